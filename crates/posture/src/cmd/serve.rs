//! `posture run` and `posture standalone`: start roles and serve until SIGTERM or Ctrl-C, then
//! stop intake, drain in-flight work and flush telemetry.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use posture_kit::ServiceRole;
use posture_kit::shutdown::Shutdown;

use super::ConfigArgs;
use crate::server;

/// How long in-flight work may take to finish after a shutdown signal.
const DRAIN_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Roles to run, comma-separated or repeated: credentials, tokens, sync, scheduler, assessment, gateway.
    // clap needs the help as a literal; a test checks it names exactly `ServiceRole::ALL`.
    #[arg(long = "service", value_delimiter = ',', required = true)]
    pub services: Vec<ServiceRole>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Args, Debug)]
pub struct StandaloneArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub async fn run(args: RunArgs) -> anyhow::Result<i32> {
    let services = args
        .services
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let config = args
        .config
        .loader()
        .set("services", services)
        .load()
        .context("invalid configuration")?;
    serve(config, true).await
}

pub async fn standalone(args: StandaloneArgs) -> anyhow::Result<i32> {
    let mut config = args.config.load()?;
    server::prepare_standalone(&mut config)?;
    serve(config, false).await
}

async fn serve(config: posture_kit::PostureConfig, strict: bool) -> anyhow::Result<i32> {
    let telemetry = posture_kit::telemetry::init(&config.telemetry).context("cannot start telemetry")?;
    let shutdown = Shutdown::new();
    shutdown.listen_for_signals();
    let running = match server::start(&config, &shutdown, strict).await {
        Ok(running) => running,
        Err(err) => {
            shutdown.cancel();
            shutdown.complete(DRAIN_DEADLINE, Some(telemetry)).await;
            return Err(err);
        }
    };
    shutdown.token().cancelled().await;
    tracing::info!("shutting down: stopping intake and draining");
    let served = running.wait().await;
    let report = shutdown.complete(DRAIN_DEADLINE, Some(telemetry)).await;
    if !report.timed_out.is_empty() {
        eprintln!("shutdown: did not drain in time: {}", report.timed_out.join(", "));
    }
    served.map(|()| 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_help_names_every_role_in_order() {
        let command = RunArgs::augment_args(clap::Command::new("run"));
        let help = command
            .get_arguments()
            .find(|arg| arg.get_id() == "services")
            .and_then(|arg| arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        // clap drops the doc comment's final period.
        let expected = format!(": {}", ServiceRole::list(&ServiceRole::ALL));
        assert!(
            help.trim_end_matches('.').ends_with(&expected),
            "{help:?} should end with {expected:?}"
        );
    }
}
