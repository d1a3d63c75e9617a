//! One configuration loader for every role. Layers, lowest first: built-in defaults, a TOML file,
//! `POSTURE__SECTION__KEY` environment variables, then overrides from command-line flags.

mod cloud;
mod load;
mod redact;
mod sections;
mod validate;

pub use cloud::{CloudConfig, CloudEndpoints, CloudEnvironment};
pub use load::{ConfigLoader, ENV_PREFIX, ENV_SEPARATOR};
pub use redact::redact_connection_url;
pub use sections::{
    AssessmentConfig, BackupConfig, BusConfig, BusKind, CredentialsConfig, DatabaseConfig, EdgeTlsConfig,
    EndpointsConfig, GatewayConfig, GrpcConfig, HealthConfig, InternalTlsConfig, KeyRef, LogFormat,
    NotificationsConfig, PostureConfig, S3Config, SchedulerConfig, SyncConfig, TelemetryConfig, TokensConfig,
    VaultConfig,
};
pub use validate::ResolveKeyError;

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration: {0}")]
    Load(#[from] ::config::ConfigError),
    #[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
    #[error("cannot render configuration: {0}")]
    Render(#[from] toml::ser::Error),
}

impl PostureConfig {
    /// The effective configuration as TOML with every secret masked, for `posture config show`.
    pub fn redacted(&self) -> Result<String, ConfigError> {
        // Serialization of secret fields always redacts (see `sections`), so this cannot leak.
        Ok(toml::to_string_pretty(self)?)
    }
}
