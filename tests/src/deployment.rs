//! Starting and stopping Posture processes for a test: configuration files with free ports, a
//! fresh store, readiness polling on each process's health port, log capture for later checks.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use posture_kit::db::Backend;
use posture_kit::db::test_support::TestDatabase;
use rand::RngCore;

/// How Posture is deployed for a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every role in one process, SQLite and the in-process bus.
    Standalone,
    /// One process per role, PostgreSQL and NATS JetStream.
    Distributed,
}

/// The roles this build runs; each is its own process in distributed mode.
const ROLES: [&str; 3] = ["credentials", "tokens", "gateway"];

struct Process {
    role: String,
    child: Child,
    log: PathBuf,
}

/// A running Posture deployment. Dropping it kills its processes.
pub struct Deployment {
    pub mode: Mode,
    pub gateway: SocketAddr,
    pub admin_key: String,
    processes: Vec<Process>,
    data_dir: tempfile::TempDir,
    database: Option<TestDatabase>,
}

/// The `posture` binary built next to this test (cargo builds every workspace binary for
/// `cargo nextest run --workspace`); `POSTURE_BIN` overrides.
pub fn posture_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("POSTURE_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("unexpected test binary location")?;
    let binary = profile_dir.join("posture");
    if !binary.exists() {
        bail!(
            "{} does not exist: build it with `cargo build -p posture` (make test does)",
            binary.display()
        );
    }
    Ok(binary)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Ports {
    grpc: u16,
    health: u16,
    gateway: u16,
}

impl Deployment {
    pub async fn start(mode: Mode) -> anyhow::Result<Deployment> {
        // reqwest is built without a default TLS provider; the workspace uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir()?;
        let key_file = data_dir.path().join("vault-key");
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        std::fs::write(&key_file, base64::engine::general_purpose::STANDARD.encode(key))?;

        let (database_url, database) = match mode {
            Mode::Standalone => (format!("sqlite://{}/posture.db", data_dir.path().display()), None),
            Mode::Distributed => {
                let db = TestDatabase::new(Backend::Postgres)
                    .await
                    .context("a PostgreSQL test database")?;
                (db.url().to_owned(), Some(db))
            }
        };
        let prefix = format!("e2e{}", rand::rngs::OsRng.next_u32());
        let bus = match mode {
            Mode::Standalone => "kind = \"memory\"".to_owned(),
            Mode::Distributed => {
                let nats =
                    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
                format!("kind = \"nats\"\nnats_url = \"{nats}\"")
            }
        };

        // One process for everything, or one per role, each with its own ports.
        let groups: Vec<Vec<&str>> = match mode {
            Mode::Standalone => vec![ROLES.to_vec()],
            Mode::Distributed => ROLES.iter().map(|r| vec![*r]).collect(),
        };
        let ports: Vec<Ports> = groups
            .iter()
            .map(|_| {
                Ok(Ports {
                    grpc: free_port()?,
                    health: free_port()?,
                    gateway: free_port()?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let port_of = |role: &str| {
            groups
                .iter()
                .position(|g| g.contains(&role))
                .map(|i| ports[i].grpc)
                .unwrap_or(0)
        };
        let (credentials, tokens) = (port_of("credentials"), port_of("tokens"));
        let gateway_index = groups
            .iter()
            .position(|g| g.contains(&"gateway"))
            .context("no gateway")?;
        let gateway = SocketAddr::from(([127, 0, 0, 1], ports[gateway_index].gateway));

        let binary = posture_binary()?;
        let mut processes = Vec::new();
        let mut gateway_config = PathBuf::new();
        for (group, ports) in groups.iter().zip(&ports) {
            let name = group.join("-");
            let mut config = String::new();
            writeln!(
                config,
                "services = [{}]",
                group
                    .iter()
                    .map(|r| format!("\"{r}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            writeln!(config, "[grpc]\nlisten = \"127.0.0.1:{}\"", ports.grpc)?;
            writeln!(config, "[health]\nlisten = \"127.0.0.1:{}\"", ports.health)?;
            writeln!(config, "[gateway]\nlisten = \"127.0.0.1:{}\"", ports.gateway)?;
            writeln!(config, "[database]\nurl = \"{database_url}\"")?;
            writeln!(config, "[bus]\n{bus}\nprefix = \"{prefix}\"")?;
            // Debug level for Posture's own crates, so the secret-leak checks see as much as possible.
            writeln!(
                config,
                "[telemetry]\nlog_format = \"json\"\nlog_level = \"info,posture=debug\""
            )?;
            writeln!(
                config,
                "[vault]\nactive_key = \"e2e-1\"\nkeys = [{{ id = \"e2e-1\", file = \"{}\" }}]",
                key_file.display()
            )?;
            writeln!(config, "[endpoints]")?;
            for (role, port) in [
                ("credentials", credentials),
                ("tokens", tokens),
                ("sync", credentials),
                ("scheduler", credentials),
                ("assessment", credentials),
            ] {
                writeln!(config, "{role} = \"http://127.0.0.1:{port}\"")?;
            }
            let config_path = data_dir.path().join(format!("{name}.toml"));
            std::fs::write(&config_path, config)?;
            if group.contains(&"gateway") {
                gateway_config.clone_from(&config_path);
            }
            let log = data_dir.path().join(format!("{name}.log"));
            let out = std::fs::File::create(&log)?;
            let err = out.try_clone()?;
            // Standalone is the real `posture standalone` command; distributed is `posture run --service`.
            let roles = group.join(",");
            let mut command = Command::new(&binary);
            match mode {
                Mode::Standalone => command.args(["standalone", "--config"]),
                Mode::Distributed => command.args(["run", "--service", &roles, "--config"]),
            };
            let child = command
                .arg(&config_path)
                .current_dir(data_dir.path())
                .stdout(Stdio::from(out))
                .stderr(Stdio::from(err))
                .spawn()
                .with_context(|| format!("cannot start {}", binary.display()))?;
            processes.push(Process {
                role: name,
                child,
                log,
            });
        }

        let mut deployment = Deployment {
            mode,
            gateway,
            admin_key: String::new(),
            processes,
            data_dir,
            database,
        };
        for (i, ports) in ports.iter().enumerate() {
            deployment.wait_ready(i, ports.health).await?;
        }
        deployment.admin_key = bootstrap_key(&binary, &gateway_config, deployment.data_dir.path())?;
        Ok(deployment)
    }

    async fn wait_ready(&mut self, index: usize, health_port: u16) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{health_port}/readyz");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = http.get(&url).timeout(Duration::from_secs(2)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            let exited = self.processes[index].child.try_wait()?;
            let role = self.processes[index].role.clone();
            if let Some(status) = exited {
                bail!(
                    "the {role} process exited ({status}) before it was ready:\n{}",
                    self.logs()
                );
            }
            if Instant::now() > deadline {
                bail!("the {role} process was not ready within 60 s:\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Everything every process has logged so far.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for p in &self.processes {
            let _ = writeln!(all, "----- {} -----", p.role);
            all.push_str(&std::fs::read_to_string(&p.log).unwrap_or_default());
        }
        all
    }

    /// Stops every process with SIGTERM (as Kubernetes does) and waits for it to exit.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        for p in &mut self.processes {
            let _ = Command::new("kill")
                .args(["-TERM", &p.child.id().to_string()])
                .status();
        }
        for p in &mut self.processes {
            let deadline = Instant::now() + Duration::from_secs(30);
            while p.child.try_wait()?.is_none() {
                if Instant::now() > deadline {
                    let _ = p.child.kill();
                    bail!("the {} process did not stop within 30 s of SIGTERM", p.role);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// Whether `needle` appears anywhere in what the deployment stored: the SQLite files, or every
    /// row of every table in PostgreSQL, read as text.
    pub async fn store_contains(&self, needle: &str) -> anyhow::Result<bool> {
        match &self.database {
            None => {
                for entry in std::fs::read_dir(self.data_dir.path())? {
                    let path = entry?.path();
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    if name.contains(".db") {
                        let bytes = std::fs::read(&path)?;
                        if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                            return Ok(true);
                        }
                    }
                }
                Ok(false)
            }
            Some(db) => {
                let pool = sqlx::PgPool::connect(db.url()).await?;
                let found = postgres_contains(&pool, needle).await;
                pool.close().await;
                found
            }
        }
    }
}

/// Whether any row of any table, read as text, contains `needle`.
async fn postgres_contains(pool: &sqlx::PgPool, needle: &str) -> anyhow::Result<bool> {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema, table_name FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await?;
    for (schema, table) in tables {
        // Schema and table names come from the catalogue, not from outside.
        let sql =
            format!("SELECT count(*) FROM \"{schema}\".\"{table}\" t WHERE t::text LIKE '%' || $1 || '%'");
        let (hits,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(needle)
            .fetch_one(pool)
            .await?;
        if hits > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Drop for Deployment {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

/// Creates the first admin key with the real CLI command, as an operator would.
fn bootstrap_key(binary: &Path, config: &Path, dir: &Path) -> anyhow::Result<String> {
    let output = Command::new(binary)
        .args(["api-keys", "bootstrap", "--config"])
        .arg(config)
        .current_dir(dir)
        .output()?;
    if !output.status.success() {
        bail!(
            "posture api-keys bootstrap failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let key = String::from_utf8(output.stdout)?.trim().to_owned();
    if key.is_empty() {
        bail!("posture api-keys bootstrap printed no key");
    }
    Ok(key)
}
