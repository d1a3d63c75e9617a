//! Start-up checks that serde alone cannot express. Every problem is reported at once, each
//! naming the key to fix, so an operator fixes a config in one round.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};

use super::ConfigError;
use super::sections::{BusKind, KeyRef, PostureConfig};
use crate::ServiceRole;

impl PostureConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, problem: &str| {
            if !ok {
                problems.push(problem.to_owned());
            }
        };

        check(!self.services.is_empty(), "services must name at least one role");

        let db_url = self.database.url.expose_secret();
        check(
            ["postgres://", "postgresql://", "sqlite://", "sqlite:"]
                .iter()
                .any(|p| db_url.starts_with(p)),
            "database.url must start with postgres:// or sqlite://",
        );
        check(
            self.database.max_connections >= 1,
            "database.max_connections must be at least 1",
        );
        check(
            self.database.acquire_timeout_secs >= 1,
            "database.acquire_timeout_secs must be at least 1",
        );

        match (&self.bus.kind, &self.bus.nats_url) {
            (BusKind::Nats, None) => check(false, "bus.kind = nats requires bus.nats_url"),
            (BusKind::Nats, Some(url)) => check(
                ["nats://", "tls://", "ws://", "wss://"]
                    .iter()
                    .any(|p| url.expose_secret().starts_with(p)),
                "bus.nats_url must start with nats:// or tls://",
            ),
            (BusKind::Memory, _) => {}
        }
        check(
            !self.bus.prefix.is_empty()
                && self
                    .bus
                    .prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "bus.prefix must be non-empty and use only letters, digits, '-' and '_' (it is a subject token)",
        );

        check(
            tracing_subscriber::EnvFilter::try_new(&self.telemetry.log_level).is_ok(),
            "telemetry.log_level is not a valid filter (examples: info, warn,posture_sync=debug)",
        );
        if let Some(endpoint) = &self.telemetry.otlp_endpoint {
            check(
                is_http_url(endpoint),
                "telemetry.otlp_endpoint must start with http:// or https://",
            );
        }
        check(
            !self.telemetry.service_name.trim().is_empty(),
            "telemetry.service_name must not be empty",
        );

        check(
            self.grpc.max_message_bytes >= 4096,
            "grpc.max_message_bytes must be at least 4096",
        );
        check(
            self.grpc.request_timeout_secs >= 1,
            "grpc.request_timeout_secs must be at least 1",
        );
        check(
            self.grpc.connect_timeout_secs >= 1,
            "grpc.connect_timeout_secs must be at least 1",
        );
        check(
            self.health.listen != self.grpc.listen,
            "health.listen and grpc.listen must differ",
        );
        check(
            self.gateway.activity_retention_days >= 1,
            "gateway.activity_retention_days must be at least 1",
        );
        check(
            self.gateway.listen != self.grpc.listen,
            "gateway.listen and grpc.listen must differ",
        );

        let internal = &self.grpc.tls;
        check(
            !internal.is_set()
                || (internal.ca_file.is_some()
                    && internal.cert_file.is_some()
                    && internal.key_file.is_some()),
            "grpc.tls needs ca_file, cert_file and key_file together (`posture certs` writes them)",
        );
        let edge = &self.gateway.tls;
        check(
            edge.cert_file.is_some() == edge.key_file.is_some(),
            "gateway.tls needs cert_file and key_file together",
        );
        check(
            edge.client_ca_file.is_none() || edge.cert_file.is_some(),
            "gateway.tls.client_ca_file needs gateway.tls.cert_file and key_file",
        );
        if self.services.contains(&ServiceRole::Gateway) {
            check(
                edge.cert_file.is_some()
                    || self.gateway.listen.ip().is_loopback()
                    || self.gateway.allow_plaintext,
                &format!(
                    "gateway.listen {} is not loopback: API keys would cross the network in cleartext; \
                     set gateway.tls.cert_file and key_file, or gateway.allow_plaintext = true when a \
                     proxy in front terminates TLS",
                    self.gateway.listen
                ),
            );
        }

        for (role, address) in self.endpoints.all() {
            if !is_http_url(address) {
                check(
                    false,
                    &format!("endpoints.{role} must start with http:// or https:// (got `{address}`)"),
                );
            }
        }
        for (key, url) in self.cloud.overrides() {
            if let Some(url) = url
                && !is_http_url(url)
            {
                check(false, &format!("{key} must start with http:// or https://"));
            }
        }

        check(
            self.tokens.jitter_secs < self.tokens.refresh_ahead_secs,
            "tokens.jitter_secs must be smaller than tokens.refresh_ahead_secs",
        );
        check(
            self.scheduler.daily_time().is_some(),
            "scheduler.daily_at must be a UTC time as HH:MM, e.g. 03:00",
        );
        check(
            self.scheduler.spread_minutes <= 24 * 60,
            "scheduler.spread_minutes must be at most 1440 (a day)",
        );
        check(
            (1..=10_000).contains(&self.sync.batch_size),
            "sync.batch_size must be between 1 and 10000",
        );
        check(
            (1..=256).contains(&self.sync.concurrency),
            "sync.concurrency must be between 1 and 256",
        );
        check(
            (5..=3600).contains(&self.sync.ack_wait_secs),
            "sync.ack_wait_secs must be between 5 and 3600",
        );
        check(
            (1..=3650).contains(&self.sync.audit_retention_days),
            "sync.audit_retention_days must be between 1 and 3650",
        );
        check(
            (1..=86_400).contains(&self.sync.audit_interval_secs),
            "sync.audit_interval_secs must be between 1 and 86400 (a day)",
        );

        let destination = self.backup.destination.trim();
        check(
            destination.is_empty() || destination.starts_with("file:///") || destination.starts_with("s3://"),
            "backup.destination must be empty, file:///absolute/dir or s3://bucket/prefix",
        );
        check(
            (1..=31_536_000).contains(&self.backup.interval_secs),
            "backup.interval_secs must be between 1 and 31536000 (a year)",
        );
        let endpoint = self.backup.s3.endpoint.trim();
        check(
            endpoint.is_empty() || is_http_url(endpoint),
            "backup.s3.endpoint must be an http:// or https:// URL",
        );

        self.validate_vault(&mut problems);

        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    fn validate_vault(&self, problems: &mut Vec<String>) {
        let mut ids = HashSet::new();
        for key in &self.vault.keys {
            if key.id.trim().is_empty() {
                problems.push("vault.keys: every key needs a non-empty id".to_owned());
            } else if !ids.insert(key.id.as_str()) {
                problems.push(format!("vault.keys: key id `{}` is listed twice", key.id));
            }
            if key.env.is_some() == key.file.is_some() {
                problems.push(format!(
                    "vault.keys: key `{}` needs exactly one of env or file",
                    key.id
                ));
            }
        }
        match &self.vault.active_key {
            Some(active) if !ids.contains(active.as_str()) => {
                problems.push(format!("vault.active_key `{active}` is not one of vault.keys"));
            }
            None if !self.vault.keys.is_empty() => {
                problems.push("vault.active_key must name one of vault.keys".to_owned());
            }
            _ => {}
        }
    }
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len()
}

/// Key material that could not be read from where the configuration says it is.
#[derive(Debug, thiserror::Error)]
pub enum ResolveKeyError {
    #[error("vault key `{id}`: environment variable {var} is not set")]
    MissingEnv { id: String, var: String },
    #[error("vault key `{id}`: cannot read {path}: {source}")]
    File {
        id: String,
        path: String,
        source: std::io::Error,
    },
    #[error("vault key `{id}` is empty")]
    Empty { id: String },
    #[error("vault key `{id}` needs exactly one of env or file")]
    Ambiguous { id: String },
}

impl KeyRef {
    /// Reads the key material (trimmed) from its environment variable or file.
    pub fn resolve(&self) -> Result<SecretString, ResolveKeyError> {
        let id = self.id.clone();
        let raw = match (&self.env, &self.file) {
            (Some(var), None) => std::env::var(var).map_err(|_| ResolveKeyError::MissingEnv {
                id: id.clone(),
                var: var.clone(),
            })?,
            (None, Some(path)) => std::fs::read_to_string(path).map_err(|source| ResolveKeyError::File {
                id: id.clone(),
                path: path.display().to_string(),
                source,
            })?,
            _ => return Err(ResolveKeyError::Ambiguous { id }),
        };
        let material = raw.trim();
        if material.is_empty() {
            return Err(ResolveKeyError::Empty { id });
        }
        Ok(SecretString::from(material))
    }
}
