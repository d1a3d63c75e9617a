//! What both gRPC services share: the store, the keyring, the event outbox, the clock and the
//! settings; and the trace id of a call, read the same way by both (the principal is read with
//! `posture_kit::grpc::principal`).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use opentelemetry::trace::TraceContextExt;
use posture_bus::Outbox;
use posture_kit::clock::SharedClock;
use posture_kit::ids::TenantId;
use posture_kit::trace_context::{MetadataReader, extract_from};
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::CredentialsError;
use crate::keyring::Keyring;
use crate::store::{ConnectionRecord, CredentialStore, at_store_precision};

/// Tunables of the credentials role.
#[derive(Debug, Clone)]
pub struct CredentialsSettings {
    /// Credentials expiring within this many days are flagged `expiring_soon`.
    pub expiry_warning_days: u32,
    /// Secrets re-wrapped per batch during key rotation.
    pub rewrap_batch_size: u32,
    /// How often the rotation task looks for secrets wrapped by an old key.
    pub rewrap_interval: std::time::Duration,
    /// Roles allowed to decrypt secrets through the vault, as named by the caller's verified
    /// certificate.
    pub vault_callers: Vec<posture_kit::ServiceRole>,
    /// How long after a connection's deletion a purge asked for with it runs.
    pub purge_grace: std::time::Duration,
    /// How often the purge task looks for purges that fell due.
    pub purge_check_interval: std::time::Duration,
}

impl Default for CredentialsSettings {
    fn default() -> Self {
        Self {
            expiry_warning_days: 30,
            rewrap_batch_size: 100,
            rewrap_interval: std::time::Duration::from_secs(600),
            vault_callers: vec![posture_kit::ServiceRole::Tokens],
            purge_grace: std::time::Duration::from_secs(7 * 24 * 3600),
            purge_check_interval: std::time::Duration::from_secs(60),
        }
    }
}

pub(crate) struct Core {
    pub store: CredentialStore,
    pub keyring: Arc<Keyring>,
    /// Relay of the events the store stages with each change; told after every commit that
    /// staged one, so it publishes at once instead of at its next poll.
    pub outbox: Outbox,
    pub clock: SharedClock,
    pub settings: CredentialsSettings,
    pub token_broker: Option<Channel>,
}

impl Core {
    /// The current time at the precision the store keeps.
    pub fn now(&self) -> DateTime<Utc> {
        at_store_precision(self.clock.now())
    }

    pub fn warning_window(&self) -> Duration {
        Duration::days(i64::from(self.settings.expiry_warning_days))
    }

    pub async fn existing(&self, tenant_id: &TenantId) -> Result<ConnectionRecord, CredentialsError> {
        self.store
            .connection(tenant_id)
            .await?
            .ok_or_else(|| CredentialsError::not_found(tenant_id))
    }
}

/// The W3C trace id of the call: from the current span when telemetry is on, otherwise from the
/// request's `traceparent`; empty when neither has one.
pub(crate) fn trace_id(metadata: &MetadataMap) -> String {
    let from_span = tracing::Span::current()
        .context()
        .span()
        .span_context()
        .trace_id();
    let from_metadata = || {
        extract_from(&MetadataReader(metadata))
            .span()
            .span_context()
            .trace_id()
    };
    let id = if from_span != opentelemetry::trace::TraceId::INVALID {
        from_span
    } else {
        from_metadata()
    };
    if id == opentelemetry::trace::TraceId::INVALID {
        String::new()
    } else {
        id.to_string()
    }
}
