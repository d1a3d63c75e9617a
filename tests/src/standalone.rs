//! Standalone for a test: one `posture standalone` child process on a SQLite file and a vault key
//! in the test's data folder, with free ports. A restart starts a new process on the same folder,
//! as an operator would after a crash; each process keeps its own log.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;

use crate::deployment::{Signal, bootstrap_key, concat_logs, free_port};

/// Every role; the binary skips the ones it does not have yet (standalone is not strict).
const ROLES: [&str; 6] = [
    "credentials",
    "tokens",
    "sync",
    "scheduler",
    "assessment",
    "gateway",
];

pub(crate) struct Standalone {
    binary: PathBuf,
    dir: PathBuf,
    config: PathBuf,
    health_port: u16,
    internal: SocketAddr,
    gateway: SocketAddr,
    admin_key: String,
    /// The current process, if it runs.
    child: Option<Child>,
    /// Every process's log, oldest first.
    logs: Vec<PathBuf>,
}

impl Standalone {
    /// Starts with `extra` TOML sections appended to the generated configuration.
    pub(crate) async fn start_with_config(
        binary: &Path,
        dir: &Path,
        extra: &str,
    ) -> anyhow::Result<Standalone> {
        let key_file = dir.join("vault-key");
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        std::fs::write(&key_file, base64::engine::general_purpose::STANDARD.encode(key))?;
        let (grpc, health, gateway) = (free_port()?, free_port()?, free_port()?);
        let roles = ROLES.map(|r| format!("\"{r}\"")).join(", ");
        let mut config = String::new();
        writeln!(config, "services = [{roles}]")?;
        writeln!(config, "[grpc]\nlisten = \"127.0.0.1:{grpc}\"")?;
        writeln!(config, "[health]\nlisten = \"127.0.0.1:{health}\"")?;
        writeln!(config, "[gateway]\nlisten = \"127.0.0.1:{gateway}\"")?;
        writeln!(
            config,
            "[database]\nurl = \"sqlite://{}/posture.db\"",
            dir.display()
        )?;
        let prefix = format!("e2e{}", rand::rngs::OsRng.next_u32());
        writeln!(config, "[bus]\nkind = \"memory\"\nprefix = \"{prefix}\"")?;
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
        // The suites' webhook receivers listen on plain http on loopback.
        // and credential expiry is checked every two seconds rather than hourly.
        writeln!(
            config,
            "[notifications]\nallow_http_loopback = true\nexpiry_check_secs = 2"
        )?;
        writeln!(config, "[endpoints]")?;
        for role in ROLES.iter().filter(|r| **r != "gateway") {
            writeln!(config, "{role} = \"http://127.0.0.1:{grpc}\"")?;
        }
        config.push_str(extra);
        let config_path = dir.join("standalone.toml");
        std::fs::write(&config_path, config)?;

        let mut standalone = Standalone {
            binary: binary.to_owned(),
            dir: dir.to_owned(),
            config: config_path,
            health_port: health,
            internal: SocketAddr::from(([127, 0, 0, 1], grpc)),
            gateway: SocketAddr::from(([127, 0, 0, 1], gateway)),
            admin_key: String::new(),
            child: None,
            logs: Vec::new(),
        };
        standalone.spawn_and_wait().await?;
        standalone.admin_key = bootstrap_key(binary, &standalone.config, dir)?;
        Ok(standalone)
    }

    pub(crate) fn gateway(&self) -> SocketAddr {
        self.gateway
    }

    /// The internal gRPC server every role of the process is mounted on.
    pub(crate) fn internal(&self) -> SocketAddr {
        self.internal
    }

    pub(crate) fn health(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.health_port))
    }

    pub(crate) fn admin_key(&self) -> &str {
        &self.admin_key
    }

    /// Starts a process on the data folder and waits until it reports ready.
    pub(crate) async fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("the standalone process is still running");
        }
        let log = self.dir.join(format!("standalone-{}.log", self.logs.len() + 1));
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let child = Command::new(&self.binary)
            .args(["standalone", "--config"])
            .arg(&self.config)
            .current_dir(&self.dir)
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .with_context(|| format!("cannot start {}", self.binary.display()))?;
        self.child = Some(child);
        self.logs.push(log);
        self.wait_ready().await
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{}/readyz", self.health_port);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = http.get(&url).timeout(Duration::from_secs(2)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            let exited = match &mut self.child {
                Some(child) => child.try_wait()?,
                None => bail!("no standalone process"),
            };
            if let Some(status) = exited {
                self.child = None;
                bail!(
                    "the standalone process exited ({status}) before it was ready:\n{}",
                    self.logs()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "the standalone process was not ready within 60 s:\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn logs(&self) -> String {
        let names: Vec<String> = (1..=self.logs.len())
            .map(|n| format!("standalone #{n}"))
            .collect();
        concat_logs(
            names
                .iter()
                .map(String::as_str)
                .zip(self.logs.iter().map(PathBuf::as_path)),
        )
    }

    /// Sends `signal` to the process and waits until it has exited (30 s for a drain).
    pub(crate) fn signal(&mut self, signal: Signal) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .args([signal.flag(), &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the standalone process did not stop within 30 s of {signal:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    pub(crate) fn stop(&mut self) -> anyhow::Result<()> {
        self.signal(Signal::Term)
    }

    pub(crate) fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            child.wait()?;
        }
        Ok(())
    }
}
