//! The local distributed stack of `deploy/scripts`, started with `up.sh --no-sim` under the
//! benchmark's own state folder, port block, database and bus prefix, so it runs beside a
//! developer's stack. Dropping a [`Stack`] that was not stopped runs `down.sh` (the guard for
//! errors and panics) and keeps the state folder and database for a look at the logs.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The roles up.sh knows, in its start order; the ones not in this build are skipped by it.
pub const ROLES: [&str; 6] = [
    "credentials",
    "tokens",
    "sync",
    "scheduler",
    "assessment",
    "gateway",
];

/// Where and under which names the benchmark's stack runs.
#[derive(Debug, Clone)]
pub struct StackSettings {
    pub binary: PathBuf,
    pub state_dir: PathBuf,
    /// First port of the stack's block (see [`free_port_block`]).
    pub port_base: u16,
    pub database: String,
    pub bus_prefix: String,
}

impl StackSettings {
    fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("POSTURE_BIN", self.binary.display().to_string()),
            ("POSTURE_UP_STATE", self.state_dir.display().to_string()),
            ("POSTURE_UP_PORT_BASE", self.port_base.to_string()),
            ("POSTURE_UP_DB", self.database.clone()),
            ("POSTURE_UP_BUS_PREFIX", self.bus_prefix.clone()),
        ]
    }

    /// The PostgreSQL server up.sh uses (its default, or `POSTURE_UP_PG_PORT`).
    pub fn pg_server_url(&self) -> String {
        let port = std::env::var("POSTURE_UP_PG_PORT").unwrap_or_else(|_| "5432".into());
        format!("postgres://postgres@127.0.0.1:{port}")
    }

    pub fn database_url(&self) -> String {
        format!("{}/{}?sslmode=disable", self.pg_server_url(), self.database)
    }

    /// The NATS server up.sh uses (its default, or `POSTURE_UP_NATS_PORT`).
    pub fn nats_url(&self) -> String {
        let port = std::env::var("POSTURE_UP_NATS_PORT").unwrap_or_else(|_| "4222".into());
        format!("nats://127.0.0.1:{port}")
    }
}

/// A running stack. Stop it with [`Stack::down`]; dropping it stops it too.
pub struct Stack {
    settings: StackSettings,
    /// The public gRPC endpoint, `https://127.0.0.1:PORT`.
    pub gateway: String,
    /// The CA up.sh's `posture certs` made; it issued the gateway's certificate.
    pub ca_cert: std::path::PathBuf,
    /// The admin API key up.sh bootstrapped.
    pub api_key: String,
    /// The roles running, each in its own process, in start order.
    pub roles: Vec<&'static str>,
    running: bool,
}

impl Stack {
    /// Clears what an earlier run left (processes, state folder, database), then runs up.sh.
    pub async fn up(settings: StackSettings) -> anyhow::Result<Stack> {
        tokio::task::block_in_place(|| script(&settings, "down.sh", &["--purge"]))?;
        // down.sh purges only when it finds a state folder; a database may outlive one.
        drop_database(&settings).await?;
        let mut stack = Stack {
            gateway: format!("https://127.0.0.1:{}", u32::from(settings.port_base) + 60),
            ca_cert: settings.state_dir.join("certs").join("ca.crt"),
            settings,
            api_key: String::new(),
            roles: Vec::new(),
            running: true,
        };
        tokio::task::block_in_place(|| script(&stack.settings, "up.sh", &["--no-sim"]))?;
        let key_file = stack.settings.state_dir.join("api-key");
        stack.api_key = std::fs::read_to_string(&key_file)
            .with_context(|| format!("up.sh wrote no API key to {}", key_file.display()))?
            .trim()
            .to_owned();
        stack.roles = ROLES
            .into_iter()
            .filter(|role| stack.pid(role).is_some())
            .collect();
        if !stack.roles.contains(&"gateway") || !stack.roles.contains(&"sync") {
            bail!(
                "up.sh started {:?}; the benchmark needs at least sync and gateway",
                stack.roles
            );
        }
        Ok(stack)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }

    /// The pid up.sh recorded for `role`.
    fn pid(&self, role: &str) -> Option<u32> {
        let file = self.settings.state_dir.join("pids").join(format!("{role}.pid"));
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    }

    /// Peak resident memory (VmHWM, KiB) of each running role's process.
    pub fn peak_memory_kib(&self) -> anyhow::Result<Vec<(&'static str, u64)>> {
        self.roles
            .iter()
            .map(|&role| {
                let pid = self
                    .pid(role)
                    .with_context(|| format!("no pid file for {role}"))?;
                Ok((
                    role,
                    vm_hwm_kib(pid).with_context(|| format!("VmHWM of {role} (pid {pid})"))?,
                ))
            })
            .collect()
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.settings.state_dir.join("logs")
    }

    /// Stops every process with down.sh; `purge` also drops the database and the state folder.
    /// Blocks while the roles drain (a multi-threaded runtime keeps serving meanwhile).
    pub fn down(&mut self, purge: bool) -> anyhow::Result<()> {
        self.running = false;
        let args: &[&str] = if purge { &["--purge"] } else { &[] };
        tokio::task::block_in_place(|| script(&self.settings, "down.sh", args))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if self.running {
            eprintln!(
                "stopping the benchmark stack; logs stay in {}",
                self.logs_dir().display()
            );
            if let Err(err) = self.down(false) {
                eprintln!("{err:#}");
            }
        }
    }
}

async fn drop_database(settings: &StackSettings) -> anyhow::Result<()> {
    let server = format!("{}/postgres?sslmode=disable", settings.pg_server_url());
    let pool = sqlx::PgPool::connect(&server)
        .await
        .with_context(|| format!("cannot reach PostgreSQL at {}", settings.pg_server_url()))?;
    // The name is the benchmark's own constant, not input.
    let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", settings.database);
    let dropped = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
    pool.close().await;
    dropped.with_context(|| format!("cannot drop the database {}", settings.database))?;
    Ok(())
}

/// Ports up.sh uses above its base (roles +10..+61, the gateway's internal address +62, a
/// throwaway NATS monitor +92), rounded up.
const PORT_SPAN: u16 = 100;

/// The first block of `PORT_SPAN` ports from `preferred` on (in steps of a block, staying below the
/// ephemeral range from 32768) where nothing listens, so the stack runs beside test stacks.
pub fn free_port_block(preferred: u16) -> anyhow::Result<u16> {
    let free = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    (preferred..32_768 - PORT_SPAN)
        .step_by(usize::from(PORT_SPAN))
        .find(|&base| (base..base + PORT_SPAN).all(free))
        .with_context(|| format!("no free block of {PORT_SPAN} ports from {preferred} up"))
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/scripts")
}

/// Runs one of deploy/scripts with the stack's settings; its output is shown only on failure.
fn script(settings: &StackSettings, name: &str, args: &[&str]) -> anyhow::Result<()> {
    let path = scripts_dir().join(name);
    let output = Command::new("bash")
        .arg(&path)
        .args(args)
        .envs(settings.envs())
        .output()
        .with_context(|| format!("cannot run {}", path.display()))?;
    if !output.status.success() {
        bail!(
            "{name} {} failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The `VmHWM` line of /proc/<pid>/status: the process's peak resident set, in KiB.
fn vm_hwm_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .context("no VmHWM line")
}
