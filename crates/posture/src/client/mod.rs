//! Client commands: talk to a running Posture through its gateway, the one public endpoint.
//! The API key comes from `POSTURE_API_KEY` or a file, never from a flag (flags end up in shell
//! history and in `ps`).

/// `print!` for command output: a closed pipe (`posture … | head`) ends the process quietly
/// instead of panicking as `print!` does.
macro_rules! out {
    ($($arg:tt)*) => { $crate::client::output::write_stdout(format_args!($($arg)*)) };
}

/// `println!` for command output, with the same closed-pipe handling as [`out!`].
macro_rules! outln {
    () => { $crate::client::output::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::client::output::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

pub mod activity;
pub mod assess;
pub mod exceptions;
pub mod health;
pub mod inventory;
pub mod output;
pub mod progress;
pub mod status;
pub mod sync;
pub mod tenants;

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

pub use output::OutputFormat;

/// Where the gateway is and how to authenticate to it.
#[derive(Args, Debug, Clone)]
pub struct GatewayArgs {
    /// Gateway address.
    #[arg(
        long,
        env = "POSTURE_GATEWAY",
        default_value = "http://127.0.0.1:7700",
        global = true
    )]
    pub gateway: String,
    /// File holding the API key (default: the POSTURE_API_KEY environment variable).
    #[arg(long, global = true)]
    pub api_key_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Table, global = true)]
    pub output: OutputFormat,
}

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct ApiKey(MetadataValue<tonic::metadata::Ascii>);

impl ApiKey {
    /// The demo builds its key header itself; only it needs this.
    #[cfg(feature = "simulator")]
    pub fn from_header(value: MetadataValue<tonic::metadata::Ascii>) -> Self {
        Self(value)
    }
}

impl Interceptor for ApiKey {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

pub type AuthedChannel = tonic::service::interceptor::InterceptedService<Channel, ApiKey>;

impl GatewayArgs {
    pub fn api_key(&self) -> anyhow::Result<ApiKey> {
        let key = match &self.api_key_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the API key file {}", path.display()))?,
            None => std::env::var("POSTURE_API_KEY").map_err(|_| {
                anyhow::anyhow!(
                    "no API key: set POSTURE_API_KEY or pass --api-key-file \
                     (create the first one with `posture api-keys bootstrap`)"
                )
            })?,
        };
        let value = MetadataValue::try_from(format!("Bearer {}", key.trim()))
            .map_err(|_| anyhow::anyhow!("the API key contains characters that cannot be sent"))?;
        Ok(ApiKey(value))
    }

    /// Connects to the gateway; fails fast with what to check when it is not reachable.
    pub async fn connect(&self) -> anyhow::Result<AuthedChannel> {
        let key = self.api_key()?;
        let channel = Endpoint::from_shared(self.gateway.clone())
            .with_context(|| format!("invalid gateway address {:?}", self.gateway))?
            .connect_timeout(std::time::Duration::from_secs(5))
            .connect()
            .await
            .with_context(|| {
                format!(
                    "cannot reach the Posture gateway at {}: is `posture standalone` (or the gateway role) running?",
                    self.gateway
                )
            })?;
        Ok(tonic::service::interceptor::InterceptedService::new(channel, key))
    }
}
