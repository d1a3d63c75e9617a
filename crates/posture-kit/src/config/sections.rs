//! The typed configuration: one struct per section, each with the built-in defaults. Unknown keys
//! are rejected (`deny_unknown_fields`) so a typo fails at start instead of being silently ignored.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::cloud::CloudConfig;
use super::redact::{redact_optional_secret, redact_optional_url, redact_url};
use crate::service::{ServiceRole, deserialize_role_list};

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

/// Everything a `posture` process reads at start. Serializing it always redacts secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostureConfig {
    /// The roles this process runs.
    #[serde(deserialize_with = "deserialize_role_list")]
    pub services: Vec<ServiceRole>,
    pub grpc: GrpcConfig,
    pub health: HealthConfig,
    pub database: DatabaseConfig,
    pub bus: BusConfig,
    pub telemetry: TelemetryConfig,
    pub vault: VaultConfig,
    pub credentials: CredentialsConfig,
    pub tokens: TokensConfig,
    pub scheduler: SchedulerConfig,
    pub notifications: NotificationsConfig,
    pub sync: SyncConfig,
    pub backup: BackupConfig,
    pub assessment: AssessmentConfig,
    pub gateway: GatewayConfig,
    pub endpoints: EndpointsConfig,
    pub cloud: CloudConfig,
}

impl Default for PostureConfig {
    fn default() -> Self {
        Self {
            services: ServiceRole::all(),
            grpc: GrpcConfig::default(),
            health: HealthConfig::default(),
            database: DatabaseConfig::default(),
            bus: BusConfig::default(),
            telemetry: TelemetryConfig::default(),
            vault: VaultConfig::default(),
            credentials: CredentialsConfig::default(),
            tokens: TokensConfig::default(),
            scheduler: SchedulerConfig::default(),
            notifications: NotificationsConfig::default(),
            sync: SyncConfig::default(),
            backup: BackupConfig::default(),
            assessment: AssessmentConfig::default(),
            gateway: GatewayConfig::default(),
            endpoints: EndpointsConfig::default(),
            cloud: CloudConfig::default(),
        }
    }
}

/// The internal gRPC server every role mounts its services on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    pub listen: SocketAddr,
    pub max_message_bytes: usize,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Mutual TLS between roles. Unset: a throwaway CA made in memory at start, which only the
    /// roles of this process share (standalone).
    pub tls: InternalTlsConfig,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            listen: loopback(7600),
            max_message_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            connect_timeout_secs: 5,
            tls: InternalTlsConfig::default(),
        }
    }
}

/// This process's role certificate and the internal CA, as PEM files (from `posture certs` or a
/// cert-manager Secret: `tls.crt`, `tls.key`, `ca.crt`). Read again when they change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InternalTlsConfig {
    /// The internal CA's certificate: callers' and servers' certificates must come from it.
    pub ca_file: Option<PathBuf>,
    /// This process's certificate; its DNS names `<role>.posture.internal` name the roles it holds.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl InternalTlsConfig {
    pub fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some() || self.key_file.is_some()
    }
}

/// The gateway's public TLS: the operator's certificate and, to require client certificates, the
/// CA that issues them. Read again when they change (cert-manager rotations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeTlsConfig {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// When set, callers must present a client certificate this CA issued (besides their API key).
    pub client_ca_file: Option<PathBuf>,
}

impl EdgeTlsConfig {
    pub fn is_set(&self) -> bool {
        self.cert_file.is_some() || self.key_file.is_some() || self.client_ca_file.is_some()
    }
}

impl GrpcConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
}

/// Plain HTTP for probes (`/healthz`, `/readyz`) and the Prometheus scrape (`/metrics`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    pub listen: SocketAddr,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            listen: loopback(7601),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://user:password@host/db` or `sqlite://path/to/file.db`; may hold a password.
    #[serde(serialize_with = "redact_url")]
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://posture-data/posture.db"),
            max_connections: 10,
            acquire_timeout_secs: 10,
        }
    }
}

impl DatabaseConfig {
    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_secs(self.acquire_timeout_secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BusKind {
    Nats,
    Memory,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    pub kind: BusKind,
    /// `nats://host:4222`; may carry credentials, so it is kept secret.
    #[serde(serialize_with = "redact_optional_url")]
    pub nats_url: Option<SecretString>,
    /// First token of every subject and stream name; tests use their own to share one server.
    pub prefix: String,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            kind: BusKind::Memory,
            nats_url: None,
            prefix: "posture".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// An `EnvFilter` directive such as `info,posture_sync=debug`.
    pub log_level: String,
    /// OTLP/gRPC collector, e.g. `http://otel-collector:4317`; no export when unset.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Pretty,
            log_level: "info".to_owned(),
            otlp_endpoint: None,
            service_name: "posture".to_owned(),
        }
    }
}

/// Key-encryption keys of the credentials vault. The file names where each key lives (an
/// environment variable or a file), never the key itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VaultConfig {
    pub keys: Vec<KeyRef>,
    /// Id of the key new secrets are wrapped with.
    pub active_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRef {
    pub id: String,
    /// Name of an environment variable holding the base64 key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Path of a file (e.g. a mounted Kubernetes secret) holding the base64 key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

/// The credentials role's connection lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialsConfig {
    /// A purge asked for with a connection's deletion runs this long after it (an operator can
    /// still reconnect the tenant and keep its history meanwhile); `--now` skips the wait.
    pub purge_grace_secs: u64,
    /// How often the role looks for purges that fell due.
    pub purge_check_secs: u64,
}

impl Default for CredentialsConfig {
    fn default() -> Self {
        Self {
            purge_grace_secs: 7 * 24 * 3600,
            purge_check_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokensConfig {
    /// Refresh a token this long before it expires.
    pub refresh_ahead_secs: u64,
    /// Random extra lead, so replicas and tenants do not refresh in the same second.
    pub jitter_secs: u64,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            refresh_ahead_secs: 300,
            jitter_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Default nightly start, `HH:MM` in UTC.
    pub daily_at: String,
    /// Tenants' start times are spread over this many minutes after `daily_at`.
    pub spread_minutes: u32,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            daily_at: "03:00".to_owned(),
            spread_minutes: 120,
        }
    }
}

impl SchedulerConfig {
    /// The parsed `daily_at`; `validate()` guarantees it parses.
    pub fn daily_time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(&self.daily_at, "%H:%M").ok()
    }
}

/// Scheduled configuration backups, written by the sync role (it owns the inventory they read).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Where archives go: `file:///absolute/dir` or `s3://bucket/optional/prefix`. Empty: no
    /// scheduled backups.
    pub destination: String,
    /// Seconds between two backups of every synced tenant. Each backup is as of the start of its
    /// interval, so several sync processes write the same archive (byte for byte) under one name.
    pub interval_secs: u64,
    /// Delete a tenant's archives whose time is more than this many days ago; 0: no age limit.
    pub retention_days: u32,
    /// Keep at most this many archives per tenant, newest first; 0: no count limit.
    pub retention_count: u32,
    /// Settings of an `s3://` destination; each empty one falls back to the standard `AWS_*`
    /// environment variables.
    pub s3: S3Config,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            destination: String::new(),
            interval_secs: 86_400,
            retention_days: 30,
            retention_count: 0,
            s3: S3Config::default(),
        }
    }
}

/// Webhook notifications, sent by the scheduler role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Allow plain `http://` webhook URLs to loopback hosts (localhost, 127.0.0.0/8, ::1): for
    /// local receivers and tests. Every other URL must be https either way.
    pub allow_http_loopback: bool,
    /// Attempts per delivery before it is dead-lettered.
    pub max_attempts: u32,
    /// How often credential expiry is checked for SECRET_EXPIRING notifications.
    pub expiry_check_secs: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            allow_http_loopback: false,
            max_attempts: 8,
            expiry_check_secs: 3600,
        }
    }
}

/// An S3 or S3-compatible bucket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// The server for an S3-compatible store, e.g. `http://127.0.0.1:9000`; empty: AWS (or
    /// `AWS_ENDPOINT_URL`). Plain `http://` is allowed only when given here.
    pub endpoint: String,
    /// Region; empty: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: String,
    /// Access key id; empty: `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// Secret access key; unset: `AWS_SECRET_ACCESS_KEY`. Never logged or shown.
    #[serde(serialize_with = "redact_optional_secret")]
    pub secret_access_key: Option<SecretString>,
}

/// The assessment role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessmentConfig {
    /// Folders of custom Rego controls judged with the built-in pack (same metadata and layout:
    /// `lib/` holds shared modules, `*_test.rego` unit tests). A list in the file; a comma-separated
    /// list in `POSTURE__ASSESSMENT__EXTRA_PACKS`.
    #[serde(deserialize_with = "deserialize_path_list")]
    pub extra_packs: Vec<PathBuf>,
}

fn deserialize_path_list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<PathBuf>),
        Csv(String),
    }
    Ok(match ListOrCsv::deserialize(deserializer)? {
        ListOrCsv::List(paths) => paths,
        ListOrCsv::Csv(csv) => csv
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Objects written to the store per batch.
    pub batch_size: u32,
    /// Jobs one worker process runs at once.
    pub concurrency: u32,
    /// How long a job may go unacknowledged before the bus gives it to another worker: the time a
    /// dead worker's jobs wait. A running job acknowledges progress every third of it.
    pub ack_wait_secs: u32,
    /// Days audit events are kept (by when they happened) before they are pruned.
    pub audit_retention_days: u32,
    /// Seconds between two reads of every synced tenant's audit streams (and prunes).
    pub audit_interval_secs: u32,
    /// Also read a tenant's audit streams as soon as one of its sync runs completes.
    pub audit_after_sync: bool,
    /// The DNS server (`ip:port`, UDP and TCP) asked for accepted domains' SPF, DKIM and DMARC
    /// records; absent: the system's resolvers.
    pub dns_server: Option<SocketAddr>,
    /// Seconds one DNS query waits for an answer.
    pub dns_timeout_secs: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            batch_size: 500,
            concurrency: 4,
            ack_wait_secs: 60,
            audit_retention_days: 90,
            audit_interval_secs: 900,
            audit_after_sync: true,
            dns_server: None,
            dns_timeout_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// The public gRPC endpoint.
    pub listen: SocketAddr,
    /// TLS for API callers. Without it the gateway serves plaintext, which it refuses on an address
    /// other than loopback unless `allow_plaintext` says a proxy in front terminates TLS.
    pub tls: EdgeTlsConfig,
    /// Serve plaintext on a non-loopback address: only behind a TLS-terminating proxy or mesh.
    pub allow_plaintext: bool,
    /// Days the activity log keeps an entry before it is pruned (at least 1).
    pub activity_retention_days: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: loopback(7700),
            tls: EdgeTlsConfig::default(),
            allow_plaintext: false,
            activity_retention_days: 365,
        }
    }
}

/// Where each role's gRPC endpoint is reached, by the gateway and by roles calling each other
/// (sync asks tokens, tokens asks the vault). In standalone they are all the local server. Calls
/// between roles are always mutual TLS; `https://` says so, `http://` is accepted as the same.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointsConfig {
    pub credentials: String,
    pub tokens: String,
    pub sync: String,
    pub scheduler: String,
    pub assessment: String,
}

impl Default for EndpointsConfig {
    fn default() -> Self {
        let local = "https://127.0.0.1:7600".to_owned();
        Self {
            credentials: local.clone(),
            tokens: local.clone(),
            sync: local.clone(),
            scheduler: local.clone(),
            assessment: local,
        }
    }
}

impl EndpointsConfig {
    /// The address of `role`'s gRPC endpoint; `None` for the gateway, which nobody calls inside.
    pub fn for_role(&self, role: ServiceRole) -> Option<&str> {
        match role {
            ServiceRole::Credentials => Some(&self.credentials),
            ServiceRole::Tokens => Some(&self.tokens),
            ServiceRole::Sync => Some(&self.sync),
            ServiceRole::Scheduler => Some(&self.scheduler),
            ServiceRole::Assessment => Some(&self.assessment),
            ServiceRole::Gateway => None,
        }
    }

    pub(crate) fn all(&self) -> [(&'static str, &str); 5] {
        [
            ("credentials", &self.credentials),
            ("tokens", &self.tokens),
            ("sync", &self.sync),
            ("scheduler", &self.scheduler),
            ("assessment", &self.assessment),
        ]
    }
}
