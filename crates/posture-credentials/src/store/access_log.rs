//! The vault's access log: one appended row per decryption (who, why, which credential version,
//! when, trace id), read back newest first. The table refuses updates and deletes.

use chrono::{DateTime, Utc};

use super::row::{RowExt, Ts};
use super::{CredentialStore, StoreError, map_sql_error, on_backend};

/// One decryption of a connection's credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    pub tenant_id: String,
    pub connection_id: String,
    pub caller: String,
    pub purpose: String,
    pub credential_version: i64,
    pub trace_id: String,
    pub accessed_at: DateTime<Utc>,
}

/// Which entries a page returns.
#[derive(Debug, Clone)]
pub struct AccessQuery {
    pub tenant_id: String,
    pub accessed_from: Option<DateTime<Utc>>,
    pub accessed_until: Option<DateTime<Utc>>,
    /// Only entries older than this entry id (the page cursor).
    pub before_id: Option<i64>,
    pub limit: i64,
}

fn read_access<R: RowExt>(row: &R) -> Result<(i64, AccessRecord), sqlx::Error> {
    Ok((
        row.int("id")?,
        AccessRecord {
            tenant_id: row.text("tenant_id")?,
            connection_id: row.text("connection_id")?,
            caller: row.text("caller")?,
            purpose: row.text("purpose")?,
            credential_version: row.int("credential_version")?,
            trace_id: row.text("trace_id")?,
            accessed_at: row.time("accessed_at")?,
        },
    ))
}

impl CredentialStore {
    pub async fn append_access(&self, record: &AccessRecord) -> Result<(), StoreError> {
        let id = record.tenant_id.as_str();
        on_backend!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO credential_access_log (tenant_id, connection_id, caller, purpose, \
                 credential_version, trace_id, accessed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&record.connection_id)
            .bind(&record.caller)
            .bind(&record.purpose)
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
        let id = query.tenant_id.as_str();
        on_backend!(self.db(), |pool| {
            let rows = sqlx::query(
                "SELECT id, tenant_id, connection_id, caller, purpose, credential_version, trace_id, accessed_at \
                 FROM credential_access_log WHERE tenant_id = $1 AND ($2 IS NULL OR accessed_at >= $2) \
                 AND ($3 IS NULL OR accessed_at < $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
            )
            .bind(id)
            .bind(query.accessed_from.map(Ts))
            .bind(query.accessed_until.map(Ts))
            .bind(query.before_id)
            .bind(query.limit)
            .fetch_all(pool)
            .await
            .map_err(map_sql_error("listing credential accesses", id))?;
            rows.iter()
                .map(|row| read_access(row).map_err(map_sql_error("reading a credential access", id)))
                .collect()
        })
    }
}
