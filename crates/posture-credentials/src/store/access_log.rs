//! The vault's access log: one appended row per decryption (who, why, which credential version,
//! when, trace id), read back newest first. The table refuses updates and deletes.

use chrono::{DateTime, Utc};
use posture_kit::ids::{ConnectionId, TenantId};

use super::row::{RowExt, Ts};
use super::{CredentialStore, StoreError, corrupt, map_sql_error, on_backend, stored_id};
use crate::domain::AccessPurpose;

/// One decryption of a connection's credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    pub tenant_id: TenantId,
    pub connection_id: ConnectionId,
    pub caller: String,
    pub purpose: AccessPurpose,
    pub credential_version: i64,
    pub trace_id: String,
    pub accessed_at: DateTime<Utc>,
}

/// Which entries a page returns.
#[derive(Debug, Clone)]
pub struct AccessQuery {
    pub tenant_id: TenantId,
    pub accessed_from: Option<DateTime<Utc>>,
    pub accessed_until: Option<DateTime<Utc>>,
    /// Only entries older than this entry id (the page cursor).
    pub before_id: Option<i64>,
    pub limit: i64,
}

fn read_access<R: RowExt>(row: &R) -> Result<(i64, AccessRecord), StoreError> {
    let read = |source| StoreError::Query {
        context: "reading a credential access",
        source,
    };
    let tenant_text = row.text("tenant_id").map_err(read)?;
    let purpose_text = row.text("purpose").map_err(read)?;
    let purpose = AccessPurpose::from_name(&purpose_text)
        .ok_or_else(|| corrupt("access purpose", &tenant_text, purpose_text))?;
    Ok((
        row.int("id").map_err(read)?,
        AccessRecord {
            tenant_id: stored_id("tenant_id", &tenant_text, &tenant_text)?,
            connection_id: stored_id(
                "connection_id",
                &tenant_text,
                &row.text("connection_id").map_err(read)?,
            )?,
            caller: row.text("caller").map_err(read)?,
            purpose,
            credential_version: row.int("credential_version").map_err(read)?,
            trace_id: row.text("trace_id").map_err(read)?,
            accessed_at: row.time("accessed_at").map_err(read)?,
        },
    ))
}

impl CredentialStore {
    pub async fn append_access(&self, record: &AccessRecord) -> Result<(), StoreError> {
        let id = record.tenant_id;
        on_backend!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO credential_access_log (tenant_id, connection_id, caller, purpose, \
                 credential_version, trace_id, accessed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.to_string())
            .bind(record.connection_id.to_string())
            .bind(&record.caller)
            .bind(record.purpose.name())
            .bind(record.credential_version)
            .bind(&record.trace_id)
            .bind(Ts(record.accessed_at))
            .execute(pool)
            .await
            .map_err(map_sql_error("recording a credential access", id))?;
            Ok(())
        })
    }

    /// Entries newest first, each with its log id (where the next page starts).
    pub async fn list_accesses(&self, query: &AccessQuery) -> Result<Vec<(i64, AccessRecord)>, StoreError> {
        let id = query.tenant_id;
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(
                "SELECT id, tenant_id, connection_id, caller, purpose, credential_version, trace_id, accessed_at \
                 FROM credential_access_log WHERE tenant_id = $1 AND ($2 IS NULL OR accessed_at >= $2) \
                 AND ($3 IS NULL OR accessed_at < $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
            )
            .bind(id.to_string())
            .bind(query.accessed_from.map(Ts))
            .bind(query.accessed_until.map(Ts))
            .bind(query.before_id)
            .bind(query.limit)
            .fetch_all(pool)
            .await
            .map_err(map_sql_error("listing credential accesses", id))?;
            rows.iter().map(read_access).collect()
        })
    }
}
