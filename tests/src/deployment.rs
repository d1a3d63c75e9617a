//! Starting and stopping Posture for a test. Standalone is the real `posture standalone` command as
//! a child process (SQLite, in-process bus); distributed is the local stack of
//! `deploy/scripts/up.sh` (one `posture run --service X` process per role on PostgreSQL and NATS
//! JetStream), with its own state folder, port block, database and bus prefix. Either way the
//! logs are kept for later checks and a dropped deployment stops what it started.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use posture_kit::db::Backend;
use posture_kit::db::test_support::TestDatabase;

use crate::client::Gateway;
use crate::stack::{Launcher, Stack};
use crate::standalone::Standalone;

/// How Posture is deployed for a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every role in one process, SQLite and the in-process bus.
    Standalone,
    /// One process per role, PostgreSQL and NATS JetStream.
    Distributed,
}

/// How a process is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: the process drains (as Kubernetes stops a pod).
    Term,
    /// SIGKILL: the process dies on the spot (a crash, an OOM kill).
    Kill,
}

impl Signal {
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Signal::Term => "-TERM",
            Signal::Kill => "-KILL",
        }
    }
}

enum Runtime {
    Standalone(Standalone),
    Distributed(Stack),
}

/// A running Posture deployment. Dropping it stops its processes.
pub struct Deployment {
    pub mode: Mode,
    pub gateway: Gateway,
    pub admin_key: String,
    runtime: Runtime,
    database: Option<TestDatabase>,
    data_dir: tempfile::TempDir,
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

/// The repository root (the scripts and the Makefile live there).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Deployment {
    /// Starts Posture in `mode`; distributed through `deploy/scripts/up.sh`.
    pub async fn start(mode: Mode) -> anyhow::Result<Deployment> {
        Self::start_with(mode, Launcher::Script).await
    }

    /// Starts one standalone process with `extra` TOML sections appended to its configuration.
    pub async fn standalone_with_config(extra: &str) -> anyhow::Result<Deployment> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir()?;
        let standalone = Standalone::start_with_config(&posture_binary()?, data_dir.path(), extra).await?;
        Ok(Deployment {
            mode: Mode::Standalone,
            gateway: Gateway {
                addr: standalone.gateway(),
                ca_cert: None,
            },
            admin_key: standalone.admin_key().to_owned(),
            runtime: Runtime::Standalone(standalone),
            database: None,
            data_dir,
        })
    }

    /// Starts Posture in `mode` with `settings` (dotted configuration keys and their TOML values,
    /// e.g. `("backup.interval_secs", "1")`): in the standalone process's configuration file, or
    /// as `POSTURE__…` variables of every distributed process.
    pub async fn start_with_settings(mode: Mode, settings: &[(&str, &str)]) -> anyhow::Result<Deployment> {
        match mode {
            Mode::Standalone => Self::standalone_with_config(&settings_toml(settings)).await,
            Mode::Distributed => Self::distributed(Launcher::Script, &settings_env(settings)).await,
        }
    }

    /// Starts Posture in `mode`; distributed through `launcher` (the script or `make up`).
    pub async fn start_with(mode: Mode, launcher: Launcher) -> anyhow::Result<Deployment> {
        match mode {
            Mode::Standalone => Self::standalone_with_config("").await,
            Mode::Distributed => Self::distributed(launcher, &[]).await,
        }
    }

    /// Starts Posture in `mode` with `settings` (as [`Deployment::start_with_settings`]);
    /// distributed through `launcher`.
    pub async fn start_with_launcher_settings(
        mode: Mode,
        launcher: Launcher,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Deployment> {
        match mode {
            Mode::Standalone => Self::standalone_with_config(&settings_toml(settings)).await,
            Mode::Distributed => Self::distributed(launcher, &settings_env(settings)).await,
        }
    }

    /// The distributed stack with `extra_env` in every process's environment.
    async fn distributed(launcher: Launcher, extra_env: &[(String, String)]) -> anyhow::Result<Deployment> {
        // reqwest is built without a default TLS provider; the workspace uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir()?;
        let binary = posture_binary()?;
        let database = TestDatabase::new(Backend::Postgres)
            .await
            .context("a PostgreSQL test database")?;
        let stack = Stack::up(
            launcher,
            &binary,
            &data_dir.path().join("stack"),
            database.url(),
            extra_env,
        )?;
        Ok(Deployment {
            mode: Mode::Distributed,
            gateway: Gateway {
                addr: stack.gateway(),
                ca_cert: Some(stack.ca_cert()),
            },
            admin_key: stack.admin_key()?,
            runtime: Runtime::Distributed(stack),
            database: Some(database),
            data_dir,
        })
    }

    /// Runs the `posture` CLI against this deployment's gateway with the admin key (and the CA
    /// file when the gateway serves TLS), as an operator's shell would.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<std::process::Output> {
        let mut command = Command::new(posture_binary()?);
        command
            .args(args)
            .env("POSTURE_GATEWAY", self.gateway.url())
            .env("POSTURE_API_KEY", &self.admin_key)
            .env_remove("POSTURE_CA_CERT");
        if let Some(ca) = &self.gateway.ca_cert {
            command.env("POSTURE_CA_CERT", ca);
        }
        Ok(command.output()?)
    }

    /// Every internal gRPC server and the roles it serves: one for standalone (`all`), one per
    /// role distributed.
    pub fn internal_servers(&self) -> Vec<(&'static str, std::net::SocketAddr)> {
        match &self.runtime {
            Runtime::Standalone(standalone) => vec![("all", standalone.internal())],
            Runtime::Distributed(stack) => stack.internal(),
        }
    }

    /// Standalone only: the process's health server, which serves `/metrics`.
    pub fn standalone_health(&self) -> Option<std::net::SocketAddr> {
        match &self.runtime {
            Runtime::Standalone(standalone) => Some(standalone.health()),
            Runtime::Distributed(_) => None,
        }
    }

    /// Distributed only: the folder holding the stack's internal CA and role certificates.
    pub fn certificates(&self) -> Option<PathBuf> {
        match &self.runtime {
            Runtime::Standalone(_) => None,
            Runtime::Distributed(stack) => Some(stack.certificates()),
        }
    }

    /// Distributed only: which roles' processes hold the vault key in their environment, and
    /// whether any role's command line shows it.
    pub fn vault_key_exposure(&self) -> anyhow::Result<(Vec<String>, bool)> {
        let Runtime::Distributed(stack) = &self.runtime else {
            anyhow::bail!("one process runs every role in standalone");
        };
        let key = stack.vault_key()?;
        let mut holders = Vec::new();
        let mut on_a_command_line = false;
        for role in [
            "credentials",
            "tokens",
            "sync",
            "scheduler",
            "assessment",
            "gateway",
        ] {
            if stack
                .environment_names(role)?
                .iter()
                .any(|name| name.starts_with("POSTURE_VAULT_KEY"))
            {
                holders.push(role.to_owned());
            }
            on_a_command_line |= stack.command_line(role)?.contains(&key);
        }
        Ok((holders, on_a_command_line))
    }

    /// Everything every process has logged so far.
    pub fn logs(&self) -> String {
        match &self.runtime {
            Runtime::Standalone(s) => s.logs(),
            Runtime::Distributed(s) => s.logs(),
        }
    }

    /// Whether the deployment runs `role` (a role this build does not have yet is skipped): read
    /// from what each process logged when it started serving.
    pub fn runs_role(&self, role: &str) -> bool {
        self.logs().lines().any(|line| {
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|entry| {
                entry["message"] == "posture is serving"
                    && entry["roles"]
                        .as_str()
                        .is_some_and(|roles| roles.split(',').any(|r| r == role))
            })
        })
    }

    /// Stops the process that runs the sync role with `signal` and waits until it has exited. In
    /// standalone that is the one process of every role.
    pub fn stop_sync_worker(&mut self, signal: Signal) -> anyhow::Result<()> {
        match &mut self.runtime {
            Runtime::Standalone(s) => s.signal(signal),
            Runtime::Distributed(s) => s.signal_role("sync", signal),
        }
    }

    /// Starts a new sync worker: a new `posture run --service sync` through `up.sh --role sync`,
    /// or a new standalone process on the same data folder. Returns once it is ready.
    pub async fn start_sync_worker(&mut self) -> anyhow::Result<()> {
        match &mut self.runtime {
            Runtime::Standalone(s) => s.spawn_and_wait().await,
            Runtime::Distributed(s) => s.start_role("sync"),
        }
    }

    /// Stops every process with SIGTERM (as Kubernetes does) and waits for it to exit:
    /// `down.sh` (or `make down`) for the distributed stack.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        match &mut self.runtime {
            Runtime::Standalone(s) => s.stop(),
            Runtime::Distributed(s) => s.down(),
        }
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

impl Deployment {
    /// Every table holding a row that names `needle` in any column, with how many rows do:
    /// `schema.table` from PostgreSQL's `information_schema`, `file.table` from each SQLite file's
    /// `sqlite_master`.
    pub async fn rows_naming(&self, needle: &str) -> anyhow::Result<BTreeMap<String, i64>> {
        match &self.database {
            None => {
                let mut found = BTreeMap::new();
                for entry in std::fs::read_dir(self.data_dir.path())? {
                    let path = entry?.path();
                    if path.extension().and_then(|e| e.to_str()) == Some("db") {
                        sqlite_rows_naming(&path, needle, &mut found).await?;
                    }
                }
                Ok(found)
            }
            Some(db) => {
                let pool = sqlx::PgPool::connect(db.url()).await?;
                let found = postgres_rows_naming(&pool, needle).await;
                pool.close().await;
                found
            }
        }
    }
}

/// [`Deployment::rows_naming`] on one SQLite file, opened read-only beside the running process.
async fn sqlite_rows_naming(
    path: &Path,
    needle: &str,
    found: &mut BTreeMap<String, i64>,
) -> anyhow::Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await?;
    let file = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(&pool)
            .await?;
    for (table,) in tables {
        let columns: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&pool)
            .await?;
        if columns.is_empty() {
            continue;
        }
        // Table and column names come from the catalogue, not from outside.
        let any_column = columns
            .iter()
            .map(|(c,)| format!("instr(CAST(\"{c}\" AS TEXT), $1) > 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = format!("SELECT count(*) FROM \"{table}\" WHERE {any_column}");
        let (hits,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(needle)
            .fetch_one(&pool)
            .await?;
        if hits > 0 {
            found.insert(format!("{file}.{table}"), hits);
        }
    }
    pool.close().await;
    Ok(())
}

/// [`Deployment::rows_naming`] on PostgreSQL: every base table of every schema, rows read as text.
async fn postgres_rows_naming(pool: &sqlx::PgPool, needle: &str) -> anyhow::Result<BTreeMap<String, i64>> {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema, table_name FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await?;
    let mut found = BTreeMap::new();
    for (schema, table) in tables {
        // Schema and table names come from the catalogue, not from outside.
        let sql = format!("SELECT count(*) FROM \"{schema}\".\"{table}\" t WHERE strpos(t::text, $1) > 0");
        let (hits,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(needle)
            .fetch_one(pool)
            .await?;
        if hits > 0 {
            found.insert(format!("{schema}.{table}"), hits);
        }
    }
    Ok(found)
}

impl Drop for Deployment {
    fn drop(&mut self) {
        // Before the database goes: a role still connected would only log errors.
        let stopped = match &mut self.runtime {
            Runtime::Standalone(s) => s.kill(),
            Runtime::Distributed(s) => s.down(),
        };
        if let Err(err) = stopped {
            eprintln!("warning: stopping the deployment: {err:#}");
        }
        // For a look at the logs and the store after a failure.
        if std::env::var_os("POSTURE_E2E_KEEP").is_some() {
            self.data_dir.disable_cleanup(true);
            eprintln!("kept the deployment's folder: {}", self.data_dir.path().display());
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

/// The contents of `logs`, each under a header with its name.
pub(crate) fn concat_logs<'a>(logs: impl IntoIterator<Item = (&'a str, &'a Path)>) -> String {
    let mut all = String::new();
    for (name, path) in logs {
        let _ = writeln!(all, "----- {name} -----");
        all.push_str(&std::fs::read_to_string(path).unwrap_or_default());
    }
    all
}

/// Creates the first admin key with the real CLI command, as an operator would.
pub(crate) fn bootstrap_key(binary: &Path, config: &Path, dir: &Path) -> anyhow::Result<String> {
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

/// `settings` as TOML tables, one per section, in the order first named.
fn settings_toml(settings: &[(&str, &str)]) -> String {
    let mut sections: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    for (key, value) in settings {
        let (section, name) = key.rsplit_once('.').unwrap_or(("", key));
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, keys)) => keys.push((name, value)),
            None => sections.push((section, vec![(name, value)])),
        }
    }
    let mut toml = String::new();
    for (section, keys) in sections {
        toml.push_str(&format!("[{section}]\n"));
        for (name, value) in keys {
            toml.push_str(&format!("{name} = {value}\n"));
        }
    }
    toml
}

/// `settings` as `POSTURE__SECTION__KEY` variables; TOML strings lose their quotes.
fn settings_env(settings: &[(&str, &str)]) -> Vec<(String, String)> {
    settings
        .iter()
        .map(|(key, value)| {
            (
                format!("POSTURE__{}", key.to_uppercase().replace('.', "__")),
                value.trim_matches('"').to_owned(),
            )
        })
        .collect()
}
