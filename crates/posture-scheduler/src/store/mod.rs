//! The scheduler store on PostgreSQL or SQLite (schema `scheduler`): one row per tenant. Instants
//! are seconds since the Unix epoch, which both engines order and compare the same way, so every
//! statement is the same text on both. Ids are typed here and stored as text.

mod migrations;
mod record;

use chrono::{DateTime, Utc};
use posture_kit::db::{Db, DbError, SqlFailure};
use posture_kit::ids::{RunId, TenantId};

pub use migrations::MIGRATIONS;
pub use record::ScheduleRecord;
use record::{COLUMNS, Row, cadence_columns, from_row};

/// Schema (PostgreSQL) or file suffix (SQLite) of the scheduler role.
pub const SCHEMA: &str = "scheduler";

pub(crate) use posture_kit::on_backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the scheduler database cannot be reached: {source}")]
    Unavailable { source: sqlx::Error },
    #[error("database error while {context}: {source}")]
    Query {
        context: &'static str,
        source: sqlx::Error,
    },
    #[error("stored schedule of tenant `{tenant_id}` is unreadable: {reason}")]
    Corrupt { tenant_id: String, reason: String },
    #[error(transparent)]
    Migrate(#[from] DbError),
}

/// The one reading of a failed statement (the kit's), as this store's error: an unreachable or
/// busy database is worth retrying; anything else is reported with what was being done.
fn sql_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match SqlFailure::of(&source) {
        SqlFailure::Unavailable => StoreError::Unavailable { source },
        SqlFailure::UniqueViolation | SqlFailure::Other => StoreError::Query { context, source },
    }
}

/// Where a listing page starts: after this (next run, tenant) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAfter {
    /// Seconds since the Unix epoch, as stored.
    pub next_run_at: i64,
    pub tenant_id: TenantId,
}

#[derive(Debug, Clone)]
pub struct ScheduleStore {
    db: Db,
}

impl ScheduleStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.db.migrate(SCHEMA, MIGRATIONS).await?;
        Ok(())
    }

    /// Stores `record` unless the tenant already has a schedule; true when stored.
    pub async fn insert_if_absent(&self, record: &ScheduleRecord) -> Result<bool, StoreError> {
        let (cadence, minute, interval) = cadence_columns(&record.cadence);
        let done = on_backend!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO schedules (tenant_id, enabled, cadence, daily_minute, interval_secs, window_secs, \
                 entity_kinds, next_run_at, last_slot, last_triggered_at, last_run_id, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant_id) DO NOTHING",
            )
            .bind(record.tenant_id.to_string())
            .bind(record.enabled)
            .bind(cadence)
            .bind(minute)
            .bind(interval)
            .bind(record.window.num_seconds())
            .bind(record.entity_kinds.join(","))
            .bind(record.next_run_at.timestamp())
            .bind(record.last_slot.timestamp())
            .bind(record.last_triggered_at.map(|t| t.timestamp()))
            .bind(record.last_run_id.map(|id| id.to_string()).unwrap_or_default())
            .bind(&record.updated_by)
            .bind(record.updated_at.map(|t| t.timestamp()))
            .execute(pool)
            .await
            .map_err(sql_error("creating a schedule"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Writes the settings and bookkeeping of an existing schedule; false when it is gone.
    pub async fn replace(&self, record: &ScheduleRecord) -> Result<bool, StoreError> {
        let (cadence, minute, interval) = cadence_columns(&record.cadence);
        let done = on_backend!(&self.db, |pool| {
            sqlx::query(
                "UPDATE schedules SET enabled = $2, cadence = $3, daily_minute = $4, interval_secs = $5, \
                 window_secs = $6, entity_kinds = $7, next_run_at = $8, last_slot = $9, updated_by = $10, \
                 updated_at = $11 WHERE tenant_id = $1",
            )
            .bind(record.tenant_id.to_string())
            .bind(record.enabled)
            .bind(cadence)
            .bind(minute)
            .bind(interval)
            .bind(record.window.num_seconds())
            .bind(record.entity_kinds.join(","))
            .bind(record.next_run_at.timestamp())
            .bind(record.last_slot.timestamp())
            .bind(&record.updated_by)
            .bind(record.updated_at.map(|t| t.timestamp()))
            .execute(pool)
            .await
            .map_err(sql_error("updating a schedule"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Records that `slot` fired, only if nobody recorded a newer slot meanwhile (a second
    /// scheduler, or an update); true when this call recorded it.
    pub async fn record_fired(
        &self,
        record: &ScheduleRecord,
        slot: DateTime<Utc>,
        triggered_at: DateTime<Utc>,
        run_id: &RunId,
    ) -> Result<bool, StoreError> {
        let next_run_at = record.start_after(slot);
        let done = on_backend!(&self.db, |pool| {
            sqlx::query(
                "UPDATE schedules SET last_slot = $2, next_run_at = $3, last_triggered_at = $4, last_run_id = $5 \
                 WHERE tenant_id = $1 AND last_slot = $6",
            )
            .bind(record.tenant_id.to_string())
            .bind(slot.timestamp())
            .bind(next_run_at.timestamp())
            .bind(triggered_at.timestamp())
            .bind(run_id.to_string())
            .bind(record.last_slot.timestamp())
            .execute(pool)
            .await
            .map_err(sql_error("recording a fired slot"))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Removes the tenant's schedule; true when there was one.
    pub async fn delete(&self, tenant_id: &TenantId) -> Result<bool, StoreError> {
        let done = on_backend!(&self.db, |pool| {
            sqlx::query("DELETE FROM schedules WHERE tenant_id = $1")
                .bind(tenant_id.to_string())
                .execute(pool)
                .await
                .map_err(sql_error("deleting a schedule"))?
                .rows_affected()
        });
        Ok(done == 1)
    }

    pub async fn get(&self, tenant_id: &TenantId) -> Result<Option<ScheduleRecord>, StoreError> {
        let row: Option<Row> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM schedules WHERE tenant_id = $1"
            )))
            .bind(tenant_id.to_string())
            .fetch_optional(pool)
            .await
            .map_err(sql_error("reading a schedule"))?
        });
        row.map(from_row).transpose()
    }

    /// Enabled schedules whose next run is at or before `now`, earliest first.
    pub async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ScheduleRecord>, StoreError> {
        let rows: Vec<Row> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM schedules WHERE enabled = TRUE AND next_run_at <= $1 \
                 ORDER BY next_run_at, tenant_id LIMIT $2"
            )))
            .bind(now.timestamp())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("finding due schedules"))?
        });
        rows.into_iter().map(from_row).collect()
    }

    /// A page of schedules ordered by next run, then tenant.
    pub async fn list(
        &self,
        enabled_only: bool,
        after: Option<&ListAfter>,
        limit: u32,
    ) -> Result<Vec<ScheduleRecord>, StoreError> {
        let (next, tenant) = after.map_or((i64::MIN, String::new()), |a| {
            (a.next_run_at, a.tenant_id.to_string())
        });
        let rows: Vec<Row> = on_backend!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM schedules WHERE ($1 = FALSE OR enabled = TRUE) \
                 AND (next_run_at > $2 OR (next_run_at = $2 AND tenant_id > $3)) \
                 ORDER BY next_run_at, tenant_id LIMIT $4"
            )))
            .bind(enabled_only)
            .bind(next)
            .bind(&tenant)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(sql_error("listing schedules"))?
        });
        rows.into_iter().map(from_row).collect()
    }
}

/// Every row of a purged tenant in the `scheduler` schema (see `posture_bus::spawn_tenant_purge`):
/// its schedule, its failed-sync streak, its deliveries, and the subscriptions scoped to it alone
/// with their deliveries.
pub const PURGE_TENANT: &[&str] = &[
    "DELETE FROM schedules WHERE tenant_id = $1",
    "DELETE FROM notification_sync_streaks WHERE tenant_id = $1",
    "DELETE FROM notification_deliveries WHERE tenant_id = $1 OR subscription_id IN \
     (SELECT subscription_id FROM notification_subscriptions WHERE tenant_id = $1)",
    "DELETE FROM notification_subscriptions WHERE tenant_id = $1",
];
