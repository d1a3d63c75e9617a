//! The one Posture binary: server roles (`run`, `standalone`), the simulator (`sim`), the demo and
//! the client commands that talk to a running Posture through its gateway.

mod client;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use client::GatewayArgs;
use client::tenants::TenantsCommand;

#[derive(Parser, Debug)]
#[command(
    name = "posture",
    version,
    about = "Security posture of many Microsoft 365 tenants"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Tenant connections: add, list, show, test, update-credentials, remove.
    Tenants {
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(subcommand)]
        command: TenantsCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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

async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Tenants { gateway, command } => client::tenants::run(command, &gateway).await,
    }
}
