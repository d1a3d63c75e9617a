//! The distributed stack for a test, started the way an operator starts it on a machine without
//! containers: `deploy/scripts/up.sh --no-sim` (or `make up`), with the environment overrides that
//! let it run beside other stacks: its own state folder, port block, database and bus prefix, and
//! the already built binary. Stopped with `down.sh` (or `make down`); single roles are stopped by
//! the pid in the state folder and started again with `up.sh --role X`.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::Rng;

use crate::deployment::{Signal, concat_logs, repo_root};

/// How the stack is brought up and down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launcher {
    /// `deploy/scripts/up.sh --no-sim` and `deploy/scripts/down.sh`.
    Script,
    /// `make up` and `make down` (the simulator left out through `POSTURE_UP_SIM=0`).
    Make,
}

/// Ports up.sh uses above its base: roles at +10..+61, the gateway's internal address +62, the
/// simulator +80, a throwaway NATS monitor +92.
const PORT_SPAN: u16 = 100;

pub(crate) struct Stack {
    launcher: Launcher,
    state: PathBuf,
    port_base: u16,
    env: Vec<(String, String)>,
    down: bool,
}

/// A block of `PORT_SPAN` ports nothing listens on, below Linux's ephemeral range (32768 up) so
/// no outgoing connection takes one meanwhile. The ports are probed, not held: a parallel test
/// could still pick the same block; the random start makes that unlikely.
fn free_port_block() -> anyhow::Result<u16> {
    let mut rng = rand::thread_rng();
    for _ in 0..50 {
        let base = rng.gen_range(100..320u16) * PORT_SPAN;
        let probed = [10u16, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60, 61, 62];
        if probed
            .iter()
            .all(|offset| TcpListener::bind(("127.0.0.1", base + offset)).is_ok())
        {
            return Ok(base);
        }
    }
    bail!("no free block of {PORT_SPAN} ports found")
}

/// The port of a `scheme://host:port/...` URL, if it names one.
fn url_port(url: &str) -> Option<u16> {
    reqwest::Url::parse(url).ok()?.port()
}

impl Stack {
    /// Brings the stack up on `database_url` (a database that exists) and returns once every role
    /// the binary has is ready and an admin key is in the state folder.
    pub(crate) fn up(
        launcher: Launcher,
        binary: &Path,
        state: &Path,
        database_url: &str,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Stack> {
        let url = reqwest::Url::parse(database_url).context("the test database URL")?;
        let database = url.path().trim_start_matches('/').to_owned();
        let nats = std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        let port_base = free_port_block()?;
        let mut env = vec![
            ("POSTURE_UP_STATE", state.display().to_string()),
            ("POSTURE_UP_PORT_BASE", port_base.to_string()),
            ("POSTURE_UP_DB", database),
            ("POSTURE_UP_PG_PORT", url.port().unwrap_or(5432).to_string()),
            (
                "POSTURE_UP_NATS_PORT",
                url_port(&nats).unwrap_or(4222).to_string(),
            ),
            ("POSTURE_UP_BUS_PREFIX", format!("e2e{}", rand::random::<u32>())),
            ("POSTURE_UP_SIM", "0".to_owned()),
            ("POSTURE_BIN", binary.display().to_string()),
            // Debug level for Posture's own crates, so the secret-leak checks see as much as possible.
            ("POSTURE__TELEMETRY__LOG_LEVEL", "info,posture=debug".to_owned()),
            // A killed worker's jobs go to its successor after 10 s rather than the default minute.
            ("POSTURE__SYNC__ACK_WAIT_SECS", "10".to_owned()),
            // The suites' webhook receivers listen on plain http on loopback.
            ("POSTURE__NOTIFICATIONS__ALLOW_HTTP_LOOPBACK", "true".to_owned()),
            // Credential expiry is checked every two seconds rather than hourly.
            ("POSTURE__NOTIFICATIONS__EXPIRY_CHECK_SECS", "2".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect::<Vec<_>>();
        // The scenario's own settings, for every role's process.
        env.extend(extra_env.iter().cloned());
        // A developer's own overrides must not leak into the test's stack.
        for (key, _) in std::env::vars() {
            if key.starts_with("POSTURE_UP_") && !env.iter().any(|(k, _)| *k == key) {
                env.push((key, String::new()));
            }
        }
        let mut stack = Stack {
            launcher,
            state: state.to_owned(),
            port_base,
            env,
            down: false,
        };
        let output = match launcher {
            Launcher::Script => stack.script("up.sh", &["--no-sim"])?,
            Launcher::Make => stack.make("up")?,
        };
        if !output.status.success() {
            let logs = stack.logs();
            // Stop whatever did start before reporting.
            let _ = stack.down();
            bail!(
                "bringing the stack up failed ({}):\n{}\n{}\n{logs}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(stack)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.current_dir(repo_root());
        for (key, value) in &self.env {
            if value.is_empty() {
                command.env_remove(key);
            } else {
                command.env(key, value);
            }
        }
        command
    }

    fn script(&self, name: &str, args: &[&str]) -> anyhow::Result<Output> {
        let path = repo_root().join("deploy/scripts").join(name);
        self.command("bash")
            .arg(&path)
            .args(args)
            .output()
            .with_context(|| format!("cannot run {}", path.display()))
    }

    fn make(&self, target: &str) -> anyhow::Result<Output> {
        self.command("make")
            .args(["--no-print-directory", target])
            .output()
            .with_context(|| format!("cannot run make {target}"))
    }

    pub(crate) fn gateway(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port_base + 60))
    }

    /// Each role's internal gRPC server (up.sh: role N at base + 10N).
    pub(crate) fn internal(&self) -> Vec<(&'static str, SocketAddr)> {
        ["credentials", "tokens", "sync", "scheduler", "assessment"]
            .into_iter()
            .zip(1u16..)
            .map(|(role, n)| (role, SocketAddr::from(([127, 0, 0, 1], self.port_base + 10 * n))))
            .collect()
    }

    /// The folder `posture certs` wrote the stack's CA and certificates into.
    pub(crate) fn certificates(&self) -> PathBuf {
        self.state.join("certs")
    }

    /// The CA `posture certs` made for the stack; it issued the gateway's public certificate.
    pub(crate) fn ca_cert(&self) -> PathBuf {
        self.state.join("certs").join("ca.crt")
    }

    /// The admin API key up.sh bootstrapped.
    pub(crate) fn admin_key(&self) -> anyhow::Result<String> {
        let path = self.state.join("api-key");
        let key = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(key.trim().to_owned())
    }

    /// The pid up.sh recorded for `role`.
    fn pid(&self, role: &str) -> anyhow::Result<u32> {
        let path = self.state.join("pids").join(format!("{role}.pid"));
        let pid = std::fs::read_to_string(&path).with_context(|| format!("no pid file for {role}"))?;
        pid.trim()
            .parse()
            .with_context(|| format!("{} holds no pid", path.display()))
    }

    /// The names of the environment variables the process of `role` runs with.
    pub(crate) fn environment_names(&self, role: &str) -> anyhow::Result<Vec<String>> {
        let pid = self.pid(role)?;
        let environ = std::fs::read(format!("/proc/{pid}/environ"))
            .with_context(|| format!("reading the environment of {role} ({pid})"))?;
        Ok(environ
            .split(|b| *b == 0)
            .filter_map(|entry| entry.split(|b| *b == b'=').next())
            .filter(|name| !name.is_empty())
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect())
    }

    /// The command line of the process of `role`.
    pub(crate) fn command_line(&self, role: &str) -> anyhow::Result<String> {
        let pid = self.pid(role)?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .with_context(|| format!("reading the command line of {role} ({pid})"))?;
        Ok(String::from_utf8_lossy(&cmdline).replace('\0', " "))
    }

    /// The vault key up.sh generated.
    pub(crate) fn vault_key(&self) -> anyhow::Result<String> {
        let path = self.state.join("vault-key-1");
        Ok(std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim()
            .to_owned())
    }

    /// Sends `signal` to the process of `role` and waits until it has exited.
    pub(crate) fn signal_role(&mut self, role: &str, signal: Signal) -> anyhow::Result<()> {
        let pid = self.pid(role)?;
        let sent = Command::new("kill")
            .args([signal.flag(), &pid.to_string()])
            .status()?;
        if !sent.success() {
            bail!("kill {} {pid} ({role}) failed", signal.flag());
        }
        let deadline = Instant::now() + Duration::from_secs(40);
        while alive(pid) {
            if Instant::now() > deadline {
                bail!("the {role} process ({pid}) did not exit within 40 s of {signal:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Starts `role` again: `up.sh --role <role>`, or `make up`, which starts what is not
    /// running; returns once it is ready.
    pub(crate) fn start_role(&mut self, role: &str) -> anyhow::Result<()> {
        let output = match self.launcher {
            Launcher::Script => self.script("up.sh", &["--role", role])?,
            Launcher::Make => self.make("up")?,
        };
        if !output.status.success() {
            bail!(
                "starting {role} again failed ({}):\n{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr),
                self.logs()
            );
        }
        let pid = self.pid(role)?;
        if !alive(pid) {
            bail!(
                "{role} was not started again:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Every process's log: the roles in start order, then anything else up.sh wrote.
    pub(crate) fn logs(&self) -> String {
        let mut logs: Vec<(String, PathBuf)> = std::fs::read_dir(self.state.join("logs"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "log"))
                    .map(|p| {
                        let name = p.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                        (name, p)
                    })
                    .collect()
            })
            .unwrap_or_default();
        logs.sort();
        concat_logs(logs.iter().map(|(n, p)| (n.as_str(), p.as_path())))
    }

    /// Stops every role (SIGTERM and drain) with down.sh or `make down`; once.
    pub(crate) fn down(&mut self) -> anyhow::Result<()> {
        if self.down {
            return Ok(());
        }
        self.down = true;
        let output = match self.launcher {
            Launcher::Script => self.script("down.sh", &[])?,
            Launcher::Make => self.make("down")?,
        };
        if !output.status.success() {
            bail!(
                "stopping the stack failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

/// Whether `pid` is a live process (not gone, not a zombie waiting to be reaped).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name, which may itself hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}
