//! Server-side commands: run roles, run everything, inspect configuration, bootstrap API keys,
//! serve the Microsoft cloud simulator.

pub mod certs;
pub mod keys;
pub mod policy;
pub mod serve;
#[cfg(feature = "simulator")]
pub mod sim;

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use posture_kit::PostureConfig;
use posture_kit::config::ConfigLoader;

/// The configuration layers every server command reads: defaults, `--config`, `POSTURE__*`
/// environment variables, then `--set` flags.
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// TOML configuration file (see deploy/config/ for examples).
    #[arg(long, short = 'c', env = "POSTURE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Override one setting, e.g. `--set grpc.listen=0.0.0.0:7600` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    pub overrides: Vec<(String, String)>,
}

fn parse_override(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got {raw:?}"))
}

impl ConfigArgs {
    pub fn loader(&self) -> ConfigLoader {
        let mut loader = ConfigLoader::from_process_env();
        if let Some(path) = &self.config {
            loader = loader.file(path);
        }
        loader.overrides(self.overrides.clone())
    }

    pub fn load(&self) -> anyhow::Result<PostureConfig> {
        self.loader().load().context("invalid configuration")
    }
}
