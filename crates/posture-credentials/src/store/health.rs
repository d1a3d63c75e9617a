//! Connection health as stored: the state, the full result, when it was found and for which
//! credential version; a result for another version than the stored one is not written. A result
//! that changes the state stages a `ConnectionHealthChanged` event in the same transaction.

use chrono::{DateTime, Utc};
use posture_bus::outbox::StageMessage;
use posture_kit::db::BeginWrite;
use posture_kit::ids::TenantId;

use super::row::{RowExt, Ts};
use super::{CredentialStore, StoreError, corrupt, map_sql_error, on_backend};
use crate::domain::ConnectionState;
use crate::events;

/// The stored health of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRecord {
    pub state: ConnectionState,
    /// The full `ConnectionHealth` (reason, per-resource checks) as protobuf bytes.
    pub detail: Option<Vec<u8>>,
    pub checked_at: Option<DateTime<Utc>>,
    pub credential_version: i64,
}

/// The outcome of recording a health result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthOutcome {
    Recorded {
        previous: ConnectionState,
    },
    /// The result was for another credential version than the stored one.
    Stale {
        current_version: i64,
    },
}

impl CredentialStore {
    /// Stores a health result unless it is for another credential version, and stages the
    /// `ConnectionHealthChanged` event (as of `now`) when the state changed; `None` when the tenant
    /// has no connection.
    pub async fn record_health(
        &self,
        tenant_id: &TenantId,
        health: &HealthRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<HealthOutcome>, StoreError> {
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", tenant_id))?;
            let current = sqlx::query(
                "SELECT c.credential_version, h.state FROM connections c \
                 JOIN connection_health h ON h.tenant_id = c.tenant_id WHERE c.tenant_id = $1",
            )
            .bind(tenant_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sql_error("reading connection health", tenant_id))?;
            let Some(current) = current else {
                return Ok(None);
            };
            let read = map_sql_error("reading connection health", tenant_id);
            let current_version = current.int("credential_version").map_err(read)?;
            let previous_text = current
                .text("state")
                .map_err(map_sql_error("reading connection health", tenant_id))?;
            let previous = ConnectionState::from_name(&previous_text)
                .ok_or_else(|| corrupt("health state", tenant_id, previous_text))?;
            if health.credential_version != current_version {
                return Ok(Some(HealthOutcome::Stale { current_version }));
            }
            sqlx::query(
                "UPDATE connection_health SET state = $2, detail = $3, checked_at = $4, credential_version = $5 \
                 WHERE tenant_id = $1",
            )
            .bind(tenant_id.to_string())
            .bind(health.state.name())
            .bind(&health.detail)
            .bind(health.checked_at.map(Ts))
            .bind(health.credential_version)
            .execute(&mut *tx)
            .await
            .map_err(map_sql_error("storing connection health", tenant_id))?;
            // Announced once per change of state: a repeated result (the broker and this role
            // both record a test's result) changes nothing worth an event.
            if previous != health.state {
                let event = events::health_changed(tenant_id, previous, health, now)?;
                tx.stage(&event)
                    .await
                    .map_err(map_sql_error("staging the health event", tenant_id))?;
            }
            tx.commit()
                .await
                .map_err(map_sql_error("committing connection health", tenant_id))?;
            Ok(Some(HealthOutcome::Recorded { previous }))
        })
    }
}
