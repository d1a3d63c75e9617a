//! Tenant purges: asked for with a connection's deletion and due after the grace period. Running
//! one deletes the role's own rows naming the tenant (the access log and the deletion audit, which
//! refuse deletes otherwise) and stages `TenantPurged`, so the other roles delete theirs, in one
//! transaction: a purge either ran and was announced, or is still pending.

use chrono::{DateTime, Utc};
use posture_bus::outbox::StageMessage;
use posture_kit::db::BeginWrite;
use posture_kit::ids::TenantId;

use super::row::{RowExt, Ts};
use super::{CredentialStore, StoreError, map_sql_error, on_backend, stored_id};
use crate::events;

/// What running a due purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeOutcome {
    /// The tenant's rows are deleted and `TenantPurged` is staged.
    Purged,
    /// The tenant was connected again before the purge fell due: its history is kept.
    Cancelled,
    /// No purge is pending for the tenant (another replica ran it first).
    NotPending,
}

impl CredentialStore {
    /// Tenants whose purge is due at `now`, oldest first.
    pub async fn due_purges(&self, now: DateTime<Utc>) -> Result<Vec<TenantId>, StoreError> {
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(
                "SELECT tenant_id FROM tenant_purges WHERE purge_at <= $1 ORDER BY purge_at LIMIT 100",
            )
            .bind(Ts(now))
            .fetch_all(pool)
            .await
            .map_err(map_sql_error("listing due purges", "*"))?;
            rows.iter()
                .map(|row| {
                    let text = row
                        .text("tenant_id")
                        .map_err(map_sql_error("listing due purges", "*"))?;
                    stored_id("tenant_id", &text, &text)
                })
                .collect()
        })
    }

    /// Runs the tenant's pending purge if it is due at `now`.
    pub async fn run_purge(
        &self,
        tenant_id: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<PurgeOutcome, StoreError> {
        let tenant = tenant_id.to_string();
        on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(map_sql_error("starting a transaction", tenant_id))?;
            // The claim: a replica running the same purge waits on this row and then finds it
            // gone. `running` opens the append-only history of this tenant to the deletes below.
            let pending = sqlx::query(
                "UPDATE tenant_purges SET running = TRUE WHERE tenant_id = $1 AND purge_at <= $2 \
                 RETURNING requested_by",
            )
            .bind(&tenant)
            .bind(Ts(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sql_error("claiming a purge", tenant_id))?;
            let Some(pending) = pending else {
                return Ok(PurgeOutcome::NotPending);
            };
            let requested_by = pending
                .text("requested_by")
                .map_err(map_sql_error("claiming a purge", tenant_id))?;
            let connected = sqlx::query("SELECT 1 FROM connections WHERE tenant_id = $1")
                .bind(&tenant)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_sql_error("reading a purge", tenant_id))?
                .is_some();
            if !connected {
                for (statement, context) in [
                    (
                        "DELETE FROM credential_access_log WHERE tenant_id = $1",
                        "purging the access log",
                    ),
                    (
                        "DELETE FROM connection_deletions WHERE tenant_id = $1",
                        "purging the deletion audit",
                    ),
                ] {
                    sqlx::query(statement)
                        .bind(&tenant)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_sql_error(context, tenant_id))?;
                }
                tx.stage(&events::tenant_purged(tenant_id, &requested_by, now)?)
                    .await
                    .map_err(map_sql_error("staging the purge event", tenant_id))?;
            }
            sqlx::query("DELETE FROM tenant_purges WHERE tenant_id = $1")
                .bind(&tenant)
                .execute(&mut *tx)
                .await
                .map_err(map_sql_error("finishing a purge", tenant_id))?;
            tx.commit()
                .await
                .map_err(map_sql_error("committing a purge", tenant_id))?;
            Ok(if connected {
                PurgeOutcome::Cancelled
            } else {
                PurgeOutcome::Purged
            })
        })
    }
}
