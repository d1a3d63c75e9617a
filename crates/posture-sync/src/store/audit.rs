//! The audit event store: append-only rows keyed by (tenant, source, record id), so a record read
//! twice (an overlapping window, a blob fetched again after a crash) is stored once; the stream
//! cursors (how far each tenant's stream is complete, its last error); searches newest first with
//! a keyset; and pruning by age.

use chrono::{DateTime, Utc};
use posture_kit::db::BeginWrite;
use posture_kit::ids::TenantId;
use sqlx::QueryBuilder;

use super::{InventoryStore, StoreError, from_micros, micros, parse_id, sql_error};

/// One audit record with the fields every source is normalized to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tenant_id: TenantId,
    /// Content type, or `directory_audits`, `sign_ins`, `service_principal_sign_ins`.
    pub source: String,
    pub record_id: String,
    pub occurred_at: DateTime<Utc>,
    pub operation: String,
    pub user: String,
    pub workload: String,
    pub result: String,
    pub client_ip: String,
    /// Ids of the objects the event names (changed, added, removed), as the record gives them.
    pub targets: Vec<String>,
    /// The record as Microsoft returned it.
    pub raw: String,
}

impl AuditEvent {
    /// `targets` as stored: lower-case, each id between spaces.
    fn targets_column(&self) -> String {
        if self.targets.is_empty() {
            return String::new();
        }
        let mut column = String::from(" ");
        for id in &self.targets {
            column.push_str(&id.to_lowercase());
            column.push(' ');
        }
        column
    }
}

fn targets_of(column: &str) -> Vec<String> {
    column.split_whitespace().map(str::to_owned).collect()
}

/// A `LIKE` pattern matching the stored targets column that holds `id`.
fn target_pattern(id: &str) -> String {
    let mut escaped = String::with_capacity(id.len() + 4);
    for c in id.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("% {escaped} %")
}

/// Where one stream of one tenant stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditStream {
    /// Every record before this instant is stored (Management Activity: content created before
    /// it; Graph logs: the newest event time of the last complete listing).
    pub complete_until: Option<DateTime<Utc>>,
    pub last_read_at: Option<DateTime<Utc>>,
    /// Why the last read failed; `None` after a successful one.
    pub last_error: Option<String>,
}

/// A search of one tenant's events; `after` is the key (occurred_at µs, source, record id) of the
/// last event of the previous page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub tenant_id: Option<TenantId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub operation: Option<String>,
    pub user: Option<String>,
    pub workload: Option<String>,
    /// Only events naming this object id.
    pub target: Option<String>,
    pub after: Option<(i64, String, String)>,
    pub limit: u32,
}

/// The PostgreSQL batch insert: one array per column.
const PG_INSERT: &str = "INSERT INTO audit_events (tenant_id, source, record_id, occurred_at, operation, \
     user_name, workload, result, client_ip, targets, raw, stored_at) SELECT t.*, $12 FROM UNNEST($1::text[], \
     $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], \
     $10::text[], $11::text[]) AS t (tenant_id, source, record_id, occurred_at, operation, user_name, workload, \
     result, client_ip, targets, raw) ON CONFLICT (tenant_id, source, record_id) DO NOTHING";

/// Rows per insert statement (12 binds each, well under both engines' limits).
const INSERT_BATCH: usize = 500;

type EventRow = (
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

const EVENT_COLUMNS: &str = "tenant_id, source, record_id, occurred_at, operation, user_name, workload, result, client_ip, targets, raw";

impl InventoryStore {
    /// Appends `events` in one transaction (`UNNEST` arrays on PostgreSQL, multi-row `VALUES` on
    /// SQLite); a record already stored is left as it is. Returns how many were new.
    pub async fn append_audit_events(
        &self,
        events: &[AuditEvent],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let stored_at = micros(now);
        let mut added = 0;
        match self.db() {
            posture_kit::db::Db::Postgres(pool) => {
                let mut tx = pool
                    .begin_write()
                    .await
                    .map_err(sql_error("starting an audit write"))?;
                for chunk in events.chunks(INSERT_BATCH) {
                    let text = |f: fn(&AuditEvent) -> String| chunk.iter().map(f).collect::<Vec<String>>();
                    let done = sqlx::query(PG_INSERT)
                        .bind(text(|e| e.tenant_id.to_string()))
                        .bind(text(|e| e.source.clone()))
                        .bind(text(|e| e.record_id.clone()))
                        .bind(chunk.iter().map(|e| micros(e.occurred_at)).collect::<Vec<i64>>())
                        .bind(text(|e| e.operation.clone()))
                        .bind(text(|e| e.user.clone()))
                        .bind(text(|e| e.workload.clone()))
                        .bind(text(|e| e.result.clone()))
                        .bind(text(|e| e.client_ip.clone()))
                        .bind(text(AuditEvent::targets_column))
                        .bind(text(|e| e.raw.clone()))
                        .bind(stored_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_error("storing audit events"))?;
                    added += done.rows_affected();
                }
                tx.commit().await.map_err(sql_error("committing audit events"))?;
            }
            posture_kit::db::Db::Sqlite(pool) => {
                let mut tx = pool
                    .begin_write()
                    .await
                    .map_err(sql_error("starting an audit write"))?;
                for chunk in events.chunks(INSERT_BATCH) {
                    let mut q = QueryBuilder::<sqlx::Sqlite>::new(format!(
                        "INSERT INTO audit_events ({EVENT_COLUMNS}, stored_at) "
                    ));
                    q.push_values(chunk, |mut row, e| {
                        row.push_bind(e.tenant_id.to_string())
                            .push_bind(e.source.clone())
                            .push_bind(e.record_id.clone())
                            .push_bind(micros(e.occurred_at))
                            .push_bind(e.operation.clone())
                            .push_bind(e.user.clone())
                            .push_bind(e.workload.clone())
                            .push_bind(e.result.clone())
                            .push_bind(e.client_ip.clone())
                            .push_bind(e.targets_column())
                            .push_bind(e.raw.clone())
                            .push_bind(stored_at);
                    });
                    q.push(" ON CONFLICT (tenant_id, source, record_id) DO NOTHING");
                    let done = q
                        .build()
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_error("storing audit events"))?;
                    added += done.rows_affected();
                }
                tx.commit().await.map_err(sql_error("committing audit events"))?;
            }
        }
        Ok(added)
    }

    /// The stored position of a tenant's stream (default when never read).
    pub async fn audit_stream(&self, tenant_id: &TenantId, stream: &str) -> Result<AuditStream, StoreError> {
        let row: Option<(Option<i64>, Option<i64>, Option<String>)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT complete_until, last_read_at, last_error FROM audit_streams \
                 WHERE tenant_id = $1 AND stream = $2",
            )
            .bind(tenant_id.to_string())
            .bind(stream)
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading an audit stream"))?
        });
        Ok(row
            .map(|(complete_until, last_read_at, last_error)| AuditStream {
                complete_until: complete_until.map(from_micros),
                last_read_at: last_read_at.map(from_micros),
                last_error,
            })
            .unwrap_or_default())
    }

    /// Records a read of a stream: a new `complete_until` (never moved back, so two readers of
    /// the same stream cannot undo each other) and the read's error, if any.
    pub async fn save_audit_stream(
        &self,
        tenant_id: &TenantId,
        stream: &str,
        complete_until: Option<DateTime<Utc>>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        super::on_backend!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO audit_streams (tenant_id, stream, complete_until, last_read_at, last_error) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, stream) DO UPDATE SET \
                 complete_until = CASE WHEN excluded.complete_until IS NULL THEN audit_streams.complete_until \
                 WHEN audit_streams.complete_until IS NULL THEN excluded.complete_until \
                 WHEN excluded.complete_until > audit_streams.complete_until THEN excluded.complete_until \
                 ELSE audit_streams.complete_until END, \
                 last_read_at = excluded.last_read_at, last_error = excluded.last_error",
            )
            .bind(tenant_id.to_string())
            .bind(stream)
            .bind(complete_until.map(micros))
            .bind(micros(now))
            .bind(error)
            .execute(pool)
            .await
            .map_err(sql_error("saving an audit stream"))?;
        });
        Ok(())
    }

    /// Tenants the sync role reads audit events for: every tenant it has synced.
    pub async fn synced_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let rows: Vec<(String,)> = super::on_backend!(self.db(), |pool| {
            sqlx::query_as("SELECT DISTINCT tenant_id FROM runs ORDER BY tenant_id")
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing synced tenants"))?
        });
        rows.into_iter().map(|(t,)| parse_id(&t)).collect()
    }

    /// Events matching `query`, newest first by (occurred_at, source, record id), at most
    /// `query.limit`.
    pub async fn search_audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        macro_rules! search {
            ($pool:expr, $engine:ty) => {{
                let mut q = QueryBuilder::<$engine>::new(format!(
                    "SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1 = 1"
                ));
                if let Some(tenant) = &query.tenant_id {
                    q.push(" AND tenant_id = ").push_bind(tenant.to_string());
                }
                if let Some(since) = query.since {
                    q.push(" AND occurred_at >= ").push_bind(micros(since));
                }
                if let Some(until) = query.until {
                    q.push(" AND occurred_at < ").push_bind(micros(until));
                }
                if let Some(operation) = &query.operation {
                    q.push(" AND lower(operation) = ")
                        .push_bind(operation.to_lowercase());
                }
                if let Some(user) = &query.user {
                    q.push(" AND lower(user_name) = ")
                        .push_bind(user.to_lowercase());
                }
                if let Some(workload) = &query.workload {
                    let workload = workload.to_lowercase();
                    q.push(" AND (lower(workload) = ")
                        .push_bind(workload.clone())
                        .push(" OR lower(source) = ")
                        .push_bind(workload)
                        .push(")");
                }
                if let Some(target) = &query.target {
                    q.push(" AND targets LIKE ")
                        .push_bind(target_pattern(target))
                        .push(" ESCAPE '\\'");
                }
                if let Some((at, source, record)) = &query.after {
                    q.push(" AND (occurred_at < ")
                        .push_bind(*at)
                        .push(" OR (occurred_at = ")
                        .push_bind(*at)
                        .push(" AND (source < ")
                        .push_bind(source.clone())
                        .push(" OR (source = ")
                        .push_bind(source.clone())
                        .push(" AND record_id < ")
                        .push_bind(record.clone())
                        .push("))))");
                }
                q.push(" ORDER BY occurred_at DESC, source DESC, record_id DESC LIMIT ")
                    .push_bind(i64::from(query.limit));
                q.build_query_as::<EventRow>()
                    .fetch_all($pool)
                    .await
                    .map_err(sql_error("searching audit events"))?
            }};
        }
        let rows: Vec<EventRow> = match self.db() {
            posture_kit::db::Db::Postgres(pool) => search!(pool, sqlx::Postgres),
            posture_kit::db::Db::Sqlite(pool) => search!(pool, sqlx::Sqlite),
        };
        rows.into_iter()
            .map(
                |(
                    tenant,
                    source,
                    record_id,
                    at,
                    operation,
                    user,
                    workload,
                    result,
                    client_ip,
                    targets,
                    raw,
                )| {
                    Ok(AuditEvent {
                        tenant_id: parse_id(&tenant)?,
                        source,
                        record_id,
                        occurred_at: from_micros(at),
                        operation,
                        user,
                        workload,
                        result,
                        client_ip,
                        targets: targets_of(&targets),
                        raw,
                    })
                },
            )
            .collect()
    }

    /// Deletes every event that happened before `cutoff`; returns how many.
    pub async fn prune_audit_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = super::on_backend!(self.db(), |pool| {
            sqlx::query("DELETE FROM audit_events WHERE occurred_at < $1")
                .bind(micros(cutoff))
                .execute(pool)
                .await
                .map_err(sql_error("pruning audit events"))?
                .rows_affected()
        });
        Ok(done)
    }
}
