//! Risk exceptions of a tenant and their audit. Withdrawing one keeps the row (marked deleted)
//! and appends an audit record; creation is audited the same way, in the same transaction.

use chrono::{DateTime, Utc};
use posture_kit::db::BeginWrite;
use posture_kit::ids::TenantId;
use posture_kit::time::{from_micros, micros};
use serde::{Deserialize, Serialize};

use super::columns::{from_json, id, to_json};
use super::database::AssessmentStore;
use super::error::{StoreError, sql_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRecord {
    /// A GUID, kept as text: exceptions have no id type of their own.
    pub exception_id: String,
    pub tenant_id: TenantId,
    pub control_id: String,
    /// Empty: the whole control.
    pub object_ids: Vec<String>,
    pub reason: String,
    pub owner: String,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A page of a tenant's exceptions, ordered by expiry.
#[derive(Debug, Clone)]
pub struct ExceptionFilter {
    pub tenant_id: TenantId,
    pub control_id: Option<String>,
    /// Only exceptions still in force at this instant; `None` includes expired ones.
    pub active_at: Option<DateTime<Utc>>,
    /// Keyset cursor: (expires_at, exception_id) of the last row of the previous page.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
}

const COLUMNS: &str =
    "exception_id, tenant_id, control_id, object_ids, reason, owner, expires_at, created_by, created_at";

type Row = (String, String, String, String, String, String, i64, String, i64);

fn record(row: Row) -> Result<ExceptionRecord, StoreError> {
    Ok(ExceptionRecord {
        exception_id: row.0,
        tenant_id: id("exception tenant id", &row.1)?,
        control_id: row.2,
        object_ids: from_json("exception object ids", &row.3)?,
        reason: row.4,
        owner: row.5,
        expires_at: from_micros(row.6),
        created_by: row.7,
        created_at: from_micros(row.8),
    })
}

/// One audit line, written in the transaction that makes the change.
macro_rules! audit {
    ($tx:expr, $exception:expr, $action:expr, $actor:expr, $reason:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO exception_audit (audit_id, exception_id, tenant_id, action, actor, reason, snapshot, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&$exception.exception_id)
        .bind($exception.tenant_id.to_string())
        .bind($action)
        .bind($actor)
        .bind($reason)
        .bind(to_json($exception))
        .bind(micros($at))
        .execute($tx)
        .await
        .map_err(sql_error("auditing an exception"))?
    };
}

/// One line of the exception audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub exception_id: String,
    pub action: String,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl AssessmentStore {
    pub async fn create_exception(&self, e: &ExceptionRecord) -> Result<(), StoreError> {
        posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to record an exception"))?;
            sqlx::query(
                "INSERT INTO exceptions (exception_id, tenant_id, control_id, object_ids, reason, owner, expires_at, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&e.exception_id)
            .bind(e.tenant_id.to_string())
            .bind(&e.control_id)
            .bind(to_json(&e.object_ids))
            .bind(&e.reason)
            .bind(&e.owner)
            .bind(micros(e.expires_at))
            .bind(&e.created_by)
            .bind(micros(e.created_at))
            .execute(&mut *tx)
            .await
            .map_err(sql_error("exception"))?;
            audit!(&mut *tx, e, "create", &e.created_by, &e.reason, e.created_at);
            tx.commit().await.map_err(sql_error("committing an exception"))?;
        });
        Ok(())
    }

    /// Marks the tenant's exception deleted and audits it; `None` when there is no such live
    /// exception (unknown, another tenant's, or already withdrawn).
    pub async fn delete_exception(
        &self,
        tenant_id: &TenantId,
        exception_id: &str,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ExceptionRecord>, StoreError> {
        let select = format!(
            "SELECT {COLUMNS} FROM exceptions WHERE tenant_id = $1 AND exception_id = $2 AND deleted_at IS NULL"
        );
        let deleted = posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to withdraw an exception"))?;
            let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(select.clone()))
                .bind(tenant_id.to_string())
                .bind(exception_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(sql_error("reading an exception"))?;
            match row {
                None => {
                    tx.rollback()
                        .await
                        .map_err(sql_error("abandoning a withdrawal"))?;
                    None
                }
                Some(row) => {
                    let exception = record(row)?;
                    sqlx::query("UPDATE exceptions SET deleted_at = $1 WHERE exception_id = $2")
                        .bind(micros(now))
                        .bind(exception_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(sql_error("withdrawing an exception"))?;
                    audit!(&mut *tx, &exception, "delete", actor, reason, now);
                    tx.commit().await.map_err(sql_error("committing a withdrawal"))?;
                    Some(exception)
                }
            }
        });
        Ok(deleted)
    }

    pub async fn list_exceptions(&self, f: &ExceptionFilter) -> Result<Vec<ExceptionRecord>, StoreError> {
        let (after_at, after_id) = f
            .after
            .as_ref()
            .map(|(at, id)| (micros(*at), id.clone()))
            .unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT {COLUMNS} FROM exceptions WHERE tenant_id = $1 AND deleted_at IS NULL \
             AND ($2 = '' OR control_id = $2) AND expires_at > $3 \
             AND (expires_at > $4 OR (expires_at = $4 AND exception_id > $5)) \
             ORDER BY expires_at, exception_id LIMIT $6"
        );
        let rows: Vec<Row> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(f.tenant_id.to_string())
                .bind(f.control_id.clone().unwrap_or_default())
                .bind(f.active_at.map(micros).unwrap_or(i64::MIN))
                .bind(after_at)
                .bind(after_id.clone())
                .bind(i64::from(f.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing exceptions"))?
        });
        rows.into_iter().map(record).collect()
    }

    /// Every exception of the tenant in force at `now`: what an assessment applies.
    pub async fn active_exceptions(
        &self,
        tenant_id: &TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ExceptionRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM exceptions WHERE tenant_id = $1 AND deleted_at IS NULL AND expires_at > $2 \
             ORDER BY expires_at, exception_id"
        );
        let rows: Vec<Row> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(tenant_id.to_string())
                .bind(micros(now))
                .fetch_all(pool)
                .await
                .map_err(sql_error("reading active exceptions"))?
        });
        rows.into_iter().map(record).collect()
    }

    /// The audit of one exception, oldest first.
    pub async fn exception_audit(
        &self,
        tenant_id: &TenantId,
        exception_id: &str,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT exception_id, action, actor, reason, at FROM exception_audit \
                 WHERE tenant_id = $1 AND exception_id = $2 ORDER BY at, action",
            )
            .bind(tenant_id.to_string())
            .bind(exception_id)
            .fetch_all(pool)
            .await
            .map_err(sql_error("reading the exception audit"))?
        });
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                exception_id: r.0,
                action: r.1,
                actor: r.2,
                reason: r.3,
                at: from_micros(r.4),
            })
            .collect())
    }
}
