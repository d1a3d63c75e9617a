//! [`ActivityStore`]: the recorded calls in the `gateway` schema, on PostgreSQL or SQLite. A call
//! and its tenants are written in one transaction; pages are read newest first by
//! `(occurred_at, id)`; the retention task deletes by age.

use chrono::{DateTime, Utc};
use posture_kit::db::Db;
use posture_kit::ids::TenantId;
use posture_kit::on_backend;
use posture_kit::time::{from_micros, micros};
use sqlx::Row;

use crate::auth::AccessRole;

/// One mutating call, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub occurred_at: DateTime<Utc>,
    pub api_key_id: String,
    pub api_key_name: String,
    pub role: AccessRole,
    /// Full rpc name without the leading `/`, e.g. `posture.v1.SyncService/StartSync`.
    pub rpc: String,
    /// The gRPC status code the call ended with.
    pub status_code: i32,
    pub trace_id: String,
    pub tenant_ids: Vec<TenantId>,
}

/// Which recorded calls a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// Every call, including those that touch no tenant.
    Everything,
    /// Calls that touch at least one tenant.
    AnyTenant,
    /// Calls that touch at least one of these tenants.
    Tenants(Vec<TenantId>),
}

/// A filter on the call's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFilter {
    Any,
    Ok,
    Failed,
}

/// Which calls a page returns.
#[derive(Debug, Clone)]
pub struct CallQuery {
    pub visible: Visible,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub api_key_id: Option<String>,
    pub rpc: Option<String>,
    pub result: ResultFilter,
    /// Only calls before this `(occurred_at in µs, id)`, exclusive.
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ActivityStoreError {
    #[error("activity log store failed while {context}: {source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored activity {id} is unreadable: {reason}")]
    Corrupt { id: i64, reason: String },
}

fn query_err(context: &'static str) -> impl FnOnce(sqlx::Error) -> ActivityStoreError {
    move |source| ActivityStoreError::Query { context, source }
}

const INSERT: &str = "INSERT INTO activity_log (occurred_at, api_key_id, api_key_name, role, rpc, \
     status_code, trace_id, tenant_ids) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";

const INSERT_TENANT: &str = "INSERT INTO activity_log_tenants (activity_id, tenant_id) VALUES ($1, $2)";

/// `$1` the visibility mode (0 everything, 1 any tenant, 2 a set), `$2` the set, then the filters
/// and the cursor. The set's membership test differs per engine (see [`tenant_in_set`]).
fn list_sql(tenant_in_set: &str) -> String {
    format!(
        "SELECT id, occurred_at, api_key_id, api_key_name, role, rpc, status_code, trace_id, tenant_ids \
         FROM activity_log a \
         WHERE ($1 = 0 OR EXISTS (SELECT 1 FROM activity_log_tenants t WHERE t.activity_id = a.id \
                AND ($1 = 1 OR {tenant_in_set}))) \
           AND ($3 IS NULL OR occurred_at >= $3) AND ($4 IS NULL OR occurred_at < $4) \
           AND ($5 IS NULL OR api_key_id = $5) AND ($6 IS NULL OR rpc = $6) \
           AND ($7 = 0 OR ($7 = 1 AND status_code = 0) OR ($7 = 2 AND status_code <> 0)) \
           AND ($8 OR occurred_at < $9 OR (occurred_at = $9 AND id < $10)) \
         ORDER BY occurred_at DESC, id DESC LIMIT $11"
    )
}

/// A recorded call with its log id.
pub type StoredCall = (i64, CallRecord);

#[derive(Debug, Clone)]
pub struct ActivityStore {
    db: Db,
}

impl ActivityStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Appends one call and its tenants; returns its log id.
    pub async fn append(&self, call: &CallRecord) -> Result<i64, ActivityStoreError> {
        let tenants = join_tenants(&call.tenant_ids);
        on_backend!(&self.db, |pool| {
            let mut tx = pool.begin().await.map_err(query_err("recording a call"))?;
            let id: i64 = sqlx::query(INSERT)
                .bind(micros(call.occurred_at))
                .bind(&call.api_key_id)
                .bind(&call.api_key_name)
                .bind(call.role.as_str())
                .bind(&call.rpc)
                .bind(call.status_code)
                .bind(&call.trace_id)
                .bind(&tenants)
                .fetch_one(&mut *tx)
                .await
                .and_then(|row| row.try_get(0))
                .map_err(query_err("recording a call"))?;
            for tenant in &call.tenant_ids {
                sqlx::query(INSERT_TENANT)
                    .bind(id)
                    .bind(tenant.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_err("recording a call's tenants"))?;
            }
            tx.commit().await.map_err(query_err("recording a call"))?;
            Ok(id)
        })
    }

    /// Calls newest first, each with its log id.
    pub async fn list(&self, query: &CallQuery) -> Result<Vec<StoredCall>, ActivityStoreError> {
        let (mode, set) = match &query.visible {
            Visible::Everything => (0_i32, Vec::new()),
            Visible::AnyTenant => (1, Vec::new()),
            Visible::Tenants(tenants) => (2, tenants.iter().map(ToString::to_string).collect()),
        };
        let result = match query.result {
            ResultFilter::Any => 0_i32,
            ResultFilter::Ok => 1,
            ResultFilter::Failed => 2,
        };
        let (before_at, before_id) = query.before.unwrap_or((0, 0));
        macro_rules! run {
            ($pool:expr, $sql:expr, $set:expr) => {{
                let rows = sqlx::query(sqlx::AssertSqlSafe($sql))
                    .bind(mode)
                    .bind($set)
                    .bind(query.from.map(micros))
                    .bind(query.until.map(micros))
                    .bind(query.api_key_id.as_deref())
                    .bind(query.rpc.as_deref())
                    .bind(result)
                    .bind(query.before.is_none())
                    .bind(before_at)
                    .bind(before_id)
                    .bind(query.limit)
                    .fetch_all($pool)
                    .await
                    .map_err(query_err("listing activity"))?;
                rows.iter().map(read_call).collect()
            }};
        }
        match &self.db {
            Db::Postgres(pool) => run!(pool, list_sql("t.tenant_id = ANY($2)"), set),
            Db::Sqlite(pool) => {
                // Tenant ids are canonical GUIDs: nothing in them needs escaping in JSON.
                let json = format!(
                    "[{}]",
                    set.iter()
                        .map(|t| format!("\"{t}\""))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                run!(
                    pool,
                    list_sql("t.tenant_id IN (SELECT value FROM json_each($2))"),
                    json
                )
            }
        }
    }

    /// Deletes the calls that occurred before `cutoff`; returns how many.
    pub async fn prune(&self, cutoff: DateTime<Utc>) -> Result<u64, ActivityStoreError> {
        let cutoff = micros(cutoff);
        on_backend!(&self.db, |pool| {
            let mut tx = pool.begin().await.map_err(query_err("pruning activity"))?;
            sqlx::query(
                "DELETE FROM activity_log_tenants WHERE activity_id IN \
                 (SELECT id FROM activity_log WHERE occurred_at < $1)",
            )
            .bind(cutoff)
            .execute(&mut *tx)
            .await
            .map_err(query_err("pruning activity"))?;
            let deleted = sqlx::query("DELETE FROM activity_log WHERE occurred_at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .map_err(query_err("pruning activity"))?
                .rows_affected();
            tx.commit().await.map_err(query_err("pruning activity"))?;
            Ok(deleted)
        })
    }
}

fn join_tenants(tenants: &[TenantId]) -> String {
    tenants
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn read_call<R: Row>(row: &R) -> Result<StoredCall, ActivityStoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let read = query_err("reading an activity entry");
    let id: i64 = row.try_get("id").map_err(read)?;
    let get_text = |column: &str| -> Result<String, ActivityStoreError> {
        row.try_get(column)
            .map_err(query_err("reading an activity entry"))
    };
    let role_text = get_text("role")?;
    let role = AccessRole::parse(&role_text).ok_or_else(|| ActivityStoreError::Corrupt {
        id,
        reason: format!("unknown role `{role_text}`"),
    })?;
    let tenant_ids = get_text("tenant_ids")?
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<TenantId>().map_err(|_| ActivityStoreError::Corrupt {
                id,
                reason: format!("tenant id `{t}` is not a GUID"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        id,
        CallRecord {
            occurred_at: from_micros(
                row.try_get("occurred_at")
                    .map_err(query_err("reading an activity entry"))?,
            ),
            api_key_id: get_text("api_key_id")?,
            api_key_name: get_text("api_key_name")?,
            role,
            rpc: get_text("rpc")?,
            status_code: row
                .try_get("status_code")
                .map_err(query_err("reading an activity entry"))?,
            trace_id: get_text("trace_id")?,
            tenant_ids,
        },
    ))
}
