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
pub mod api_keys;
pub mod assess;
pub mod audit;
pub mod backup;
pub mod consent;
pub mod controls;
pub mod drift;
pub mod evidence;
pub mod exceptions;
pub mod fleet;
pub mod health;
pub mod import;
pub mod inventory;
pub mod notify;
pub mod output;
pub mod overview;
pub mod progress;
pub mod resolve;
pub mod schedules;
pub mod scores;
pub mod signals_view;
pub mod status;
pub mod sync;
pub mod tenants;

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use posture_kit::grpc::error_chain;
use posture_kit::tls::{ClientTls, PemFiles};
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
    /// CA file (PEM) to trust for an https:// gateway besides the system's roots, e.g. the ca.crt
    /// `posture certs` writes.
    #[arg(long, env = "POSTURE_CA_CERT", global = true)]
    pub ca_cert: Option<PathBuf>,
    /// Client certificate (PEM) for a gateway that requires one; with --client-key.
    #[arg(long, env = "POSTURE_CLIENT_CERT", global = true, requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of --client-cert.
    #[arg(long, env = "POSTURE_CLIENT_KEY", global = true, requires = "client_cert")]
    pub client_key: Option<PathBuf>,
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

    /// Connects to the gateway; fails fast with what to check when it is not reachable. An
    /// `https://` gateway is verified against the system's roots plus `--ca-cert`; an `http://`
    /// one must be on this machine, since the API key would otherwise cross the network readable.
    pub async fn connect(&self) -> anyhow::Result<AuthedChannel> {
        let key = self.api_key()?;
        let channel = connect_gateway(
            &self.gateway,
            self.ca_cert.as_deref(),
            self.client_identity().as_ref(),
        )
        .await?;
        Ok(tonic::service::interceptor::InterceptedService::new(channel, key))
    }

    fn client_identity(&self) -> Option<PemFiles> {
        match (&self.client_cert, &self.client_key) {
            (Some(certificate), Some(private_key)) => Some(PemFiles {
                certificate: certificate.clone(),
                private_key: private_key.clone(),
                ca: None,
            }),
            _ => None,
        }
    }
}

/// Whether `host` is this machine: a loopback address or `localhost`.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// A channel to the gateway at `address`: TLS for `https://`, plaintext only to loopback.
pub async fn connect_gateway(
    address: &str,
    ca_cert: Option<&std::path::Path>,
    identity: Option<&PemFiles>,
) -> anyhow::Result<Channel> {
    let uri: tonic::codegen::http::Uri = address
        .parse()
        .with_context(|| format!("invalid gateway address {address:?} (expected https://host:port)"))?;
    let host = uri.host().unwrap_or_default().to_owned();
    // No request timeout: `sync watch` streams for as long as a run takes.
    let endpoint = || {
        Endpoint::from_shared(address.to_owned())
            .map(|endpoint| endpoint.connect_timeout(std::time::Duration::from_secs(5)))
            .with_context(|| format!("invalid gateway address {address:?}"))
    };
    let connected = match uri.scheme_str() {
        Some("https") => {
            let tls = ClientTls::edge(ca_cert, identity)
                .context("the CLI's TLS settings (--ca-cert, --client-cert)")?;
            endpoint()?.connect_with_connector(tls.connector(None)?).await
        }
        Some("http") if is_loopback_host(&host) => endpoint()?.connect().await,
        Some("http") => anyhow::bail!(
            "refusing to send the API key in cleartext to {host}, which is not this machine: use \
             https://{} (the gateway serves TLS when gateway.tls.cert_file and key_file are set; pass \
             --ca-cert if its CA is not in the system's roots)",
            uri.authority()
                .map_or(host.as_str(), |authority| authority.as_str())
        ),
        _ => anyhow::bail!(
            "invalid gateway address {address:?}: it must start with https:// (or http:// on this machine)"
        ),
    };
    connected.map_err(|error| {
        anyhow::anyhow!(
            "cannot reach the Posture gateway at {address}: is `posture standalone` (or the gateway role) running?: {}",
            error_chain(&error)
        )
    })
}
