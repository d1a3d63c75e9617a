//! The one Posture binary: server roles (`run`, `standalone`), the simulator (`sim`), the demo and
//! the client commands that talk to a running Posture through its gateway. `sim` and `demo` need
//! the default `simulator` feature; production builds leave it out.

#[macro_use]
mod client;
mod cmd;
#[cfg(feature = "simulator")]
mod demo;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use client::GatewayArgs;
use client::tenants::TenantsCommand;

#[derive(Parser, Debug)]
#[command(
    name = "posture",
    version = env!("POSTURE_VERSION_TEXT"),
    about = "Security posture of many Microsoft 365 tenants"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process; the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Everything in one process against the built-in simulator: connect demo tenants and show their health.
    #[cfg(feature = "simulator")]
    Demo(demo::DemoArgs),
    /// Serve a synthetic Microsoft cloud (identity platform, Graph, Defender, Management Activity).
    #[cfg(feature = "simulator")]
    Sim(cmd::sim::SimArgs),
    /// Run the given roles in this process (distributed mode: one process per role).
    Run(cmd::serve::RunArgs),
    /// Run every role in one process (SQLite and the in-process bus unless configured otherwise).
    Standalone(cmd::serve::StandaloneArgs),
    /// Print a shell completion script, e.g. `posture completions bash > /etc/bash_completion.d/posture`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Show the effective configuration (secrets redacted) after every layer is applied.
    Config {
        #[command(flatten)]
        config: cmd::ConfigArgs,
    },
    /// Policy packs: list the controls judged, run a custom pack's Rego unit tests.
    Policy {
        #[command(subcommand)]
        command: cmd::policy::PolicyCommand,
    },
    /// Create the internal CA and the role and gateway certificates for a local stack.
    Certs(cmd::certs::CertsArgs),
    /// API keys for the gateway.
    ApiKeys {
        #[command(subcommand)]
        command: cmd::keys::ApiKeysCommand,
    },
    /// Tenant connections: add, list, show, test, update-credentials, remove.
    Tenants {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Sync runs: start, watch, list.
    Sync {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::sync::SyncCommand,
    },
    /// The synced inventory: list objects of a kind, show one object and its versions.
    Inventory {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::inventory::InventoryCommand,
    },
    /// Assessments: scores and control results, findings with evidence.
    Assess {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::assess::AssessCommand,
    },
    /// The activity log: who changed what through the gateway, and which role read a stored secret.
    Activity {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        args: client::activity::ActivityArgs,
    },
    /// Audit events: search a tenant's audit log; the sign-ins of Posture's own app in it.
    Audit {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::audit::AuditCommand,
    },
    /// Sync schedules: list, show, set (daily time or interval, window, kinds, pause, resume).
    Schedules {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::schedules::SchedulesCommand,
    },
    /// Webhook notifications: add (prints the signing secret once), list, remove, test, deliveries.
    Notify {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::notify::NotifyCommand,
    },
    /// Secure Score history (or Defender exposure and configuration scores) as a chart and a table.
    Scores {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        args: client::scores::ScoresArgs,
    },
    /// Every tenant on one screen (health, last sync, scores, failed controls, Secure Score, alerts,
    /// secret expiry), or one tenant in detail with its Defender and device signals.
    Overview {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        args: client::overview::OverviewArgs,
    },
    /// The controls the assessment role judges with: list, show (by id or framework reference).
    Controls {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::controls::ControlsCommand,
    },
    /// Configuration drift: baselines (create, apply, list, show) and drift (list, show, accept, deny).
    Drift {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::drift::DriftCommand,
    },
    /// Configuration backups: export a tenant's configuration as of a time, diff two times or an
    /// archive against now, and plan the Graph calls that would restore an archive (dry run).
    Backup {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::backup::BackupCommand,
    },
    /// Evidence bundles for auditors: export an assessment's signed bundle, list the signing keys,
    /// verify a bundle offline.
    Evidence {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::evidence::EvidenceCommand,
    },
    /// Exceptions (risk acceptance): add, list, remove.
    Exceptions {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: client::exceptions::ExceptionsCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One TLS crypto provider for every client in the process (reqwest and tonic use rustls).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a client command after replacing a tenant's display name in it by its id.
macro_rules! with_tenant {
    ($run:path, $command:ident, $gateway:ident) => {{
        let mut command = $command;
        client::resolve::resolve_names(&mut command, &$gateway).await?;
        $run(command, &$gateway).await
    }};
}

async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        #[cfg(feature = "simulator")]
        Command::Demo(args) => demo::run(args).await,
        #[cfg(feature = "simulator")]
        Command::Sim(args) => cmd::sim::run(args).await.map(|()| 0),
        Command::Run(args) => cmd::serve::run(args).await,
        Command::Certs(args) => cmd::certs::run(&args).map(|()| 0),
        Command::Policy { command } => cmd::policy::run(command),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Into a buffer first: clap_complete panics on a closed pipe, `out!` ends quietly.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "posture", &mut script);
            client::output::write_stdout(format_args!("{}", String::from_utf8_lossy(&script)));
            Ok(0)
        }
        Command::Standalone(args) => cmd::serve::standalone(args).await,
        Command::Config { config } => {
            print!("{}", config.load()?.redacted()?);
            Ok(0)
        }
        Command::ApiKeys { command } => cmd::keys::run(command).await,
        Command::Tenants { gateway, command } => with_tenant!(client::tenants::run, command, gateway),
        Command::Sync { gateway, command } => with_tenant!(client::sync::run, command, gateway),
        Command::Inventory { gateway, command } => with_tenant!(client::inventory::run, command, gateway),
        Command::Assess { gateway, command } => with_tenant!(client::assess::run, command, gateway),
        Command::Drift { gateway, command } => with_tenant!(client::drift::run, command, gateway),
        Command::Backup { gateway, command } => with_tenant!(client::backup::run, command, gateway),
        Command::Evidence { gateway, command } => with_tenant!(client::evidence::run, command, gateway),
        Command::Exceptions { gateway, command } => with_tenant!(client::exceptions::run, command, gateway),
        Command::Activity { gateway, args } => client::activity::run(args, &gateway).await,
        Command::Audit { gateway, command } => with_tenant!(client::audit::run, command, gateway),
        Command::Overview { gateway, args } => with_tenant!(client::overview::run, args, gateway),
        Command::Scores { gateway, args } => with_tenant!(client::scores::run, args, gateway),
        Command::Controls { gateway, command } => client::controls::run(command, &gateway).await,
        Command::Schedules { gateway, command } => with_tenant!(client::schedules::run, command, gateway),
        Command::Notify { gateway, command } => with_tenant!(client::notify::run, command, gateway),
    }
}

/// What `posture_build_info` reports: the crate version and the commit, as named by build.rs (`POSTURE_GIT_REVISION`, else the checkout's HEAD, else `unknown`).
fn build_info() -> posture_kit::telemetry::BuildInfo {
    posture_kit::telemetry::BuildInfo::new(env!("CARGO_PKG_VERSION"), Some(env!("POSTURE_REVISION")))
}

#[cfg(test)]
mod completion_tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn completion_scripts_know_every_command() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "posture", &mut script);
            let script = String::from_utf8(script).expect("UTF-8");
            for command in [
                "tenants",
                "overview",
                "activity",
                "certs",
                "assess",
                "inventory",
                "controls",
                "policy",
                "api-keys",
            ] {
                assert!(script.contains(command), "{shell}: {command} missing");
            }
        }
    }

    #[test]
    fn the_version_names_the_commit() {
        let version = Cli::command()
            .get_version()
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(version.starts_with(env!("CARGO_PKG_VERSION")), "{version}");
        assert!(version.contains("(commit "), "{version}");
        assert!(!env!("POSTURE_REVISION").is_empty());
    }
}
