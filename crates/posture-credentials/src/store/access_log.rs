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

/// Whose entries a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessTenants {
    /// Every tenant's.
    All,
    /// These tenants' (never empty; one for the per-tenant listing).
    Only(Vec<TenantId>),
}

/// Which entries a page returns, newest first by `(accessed_at, id)`.
#[derive(Debug, Clone)]
pub struct AccessQuery {
    pub tenants: AccessTenants,
    pub accessed_from: Option<DateTime<Utc>>,
    pub accessed_until: Option<DateTime<Utc>>,
    /// Only entries older than this `(accessed_at, id)` (the page cursor).
    pub before: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

const LIST_COLUMNS: &str =
    "id, tenant_id, connection_id, caller, purpose, credential_version, trace_id, accessed_at";

/// `$1` is the tenant set (PostgreSQL: a text array; SQLite: a JSON array of strings), `$2` says
/// whether it applies, `$3`/`$4` bound `accessed_at`, `$5`..`$7` are the cursor, `$8` the limit.
const LIST_WHERE: &str = "($3 IS NULL OR accessed_at >= $3) AND ($4 IS NULL OR accessed_at < $4) \
     AND ($5 OR accessed_at < $6 OR (accessed_at = $6 AND id < $7)) \
     ORDER BY accessed_at DESC, id DESC LIMIT $8";

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
        let (filtered, tenants) = match &query.tenants {
            AccessTenants::All => (false, Vec::new()),
            AccessTenants::Only(tenants) => (true, tenants.iter().map(ToString::to_string).collect()),
        };
        let context = match tenants.as_slice() {
            [one] => one.clone(),
            _ => format!(
                "{} tenants",
                if filtered {
                    tenants.len().to_string()
                } else {
                    "all".into()
                }
            ),
        };
        let (before_at, before_id) = query.before.unwrap_or((DateTime::UNIX_EPOCH, 0));
        let rows = match self.db() {
            posture_kit::db::Db::Postgres(pool) => {
                let sql = format!(
                    "SELECT {LIST_COLUMNS} FROM credential_access_log \
                     WHERE (NOT $2 OR tenant_id = ANY($1)) AND {LIST_WHERE}"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&tenants)
                    .bind(filtered)
                    .bind(query.accessed_from.map(Ts))
                    .bind(query.accessed_until.map(Ts))
                    .bind(query.before.is_none())
                    .bind(Ts(before_at))
                    .bind(before_id)
                    .bind(query.limit)
                    .fetch_all(pool)
                    .await
                    .map_err(map_sql_error("listing credential accesses", &context))?;
                rows.iter().map(read_access).collect::<Result<Vec<_>, _>>()
            }
            posture_kit::db::Db::Sqlite(pool) => {
                let sql = format!(
                    "SELECT {LIST_COLUMNS} FROM credential_access_log \
                     WHERE (NOT $2 OR tenant_id IN (SELECT value FROM json_each($1))) AND {LIST_WHERE}"
                );
                // Tenant ids are canonical GUIDs: nothing in them needs escaping in JSON.
                let set = format!(
                    "[{}]",
                    tenants
                        .iter()
                        .map(|t| format!("\"{t}\""))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(set)
                    .bind(filtered)
                    .bind(query.accessed_from.map(Ts))
                    .bind(query.accessed_until.map(Ts))
                    .bind(query.before.is_none())
                    .bind(Ts(before_at))
                    .bind(before_id)
                    .bind(query.limit)
                    .fetch_all(pool)
                    .await
                    .map_err(map_sql_error("listing credential accesses", &context))?;
                rows.iter().map(read_access).collect::<Result<Vec<_>, _>>()
            }
        }?;
        Ok(rows)
    }
}
