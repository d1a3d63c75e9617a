//! Assessments: creating one (at most one active per tenant, one per completed sync run),
//! moving it to RUNNING, completing it with its findings in one transaction, failing it, and
//! reading them back for the API.

use chrono::{DateTime, Utc};
use posture_bus::outbox::{OutboxMessage, StageMessage};
use posture_kit::db::BeginWrite;
use posture_kit::ids::{AssessmentId, RunId, TenantId};
use posture_kit::time::{from_micros, micros};
use serde::{Deserialize, Serialize};

use super::columns::{decoded, from_json, id, to_json};
use super::database::AssessmentStore;
use super::error::{StoreError, sql_error};
use super::findings::{FindingRecord, insert_findings};
use super::lifecycle::{AssessmentState, FailureClass, Trigger};

const PENDING: i32 = AssessmentState::Pending.code();
const RUNNING: i32 = AssessmentState::Running.code();
const SUCCEEDED: i32 = AssessmentState::Succeeded.code();
const FAILED: i32 = AssessmentState::Failed.code();

/// Results per status over a set of controls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
    pub warning: u32,
    pub not_applicable: u32,
    pub error: u32,
    pub accepted: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    pub framework: String,
    pub counts: Counts,
    /// 0 to 100.
    pub score: f64,
}

/// Security signals counted in the inventory an assessment judged; `None` where the kind was not
/// read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Signals {
    pub open_high_alerts: Option<u32>,
    pub managed_devices: Option<u32>,
    pub noncompliant_devices: Option<u32>,
    pub critical_vulnerabilities: Option<u32>,
}

/// What a succeeded assessment stores: its counts, scores, signals and findings.
#[derive(Debug, Clone, Copy)]
pub struct Completion<'a> {
    pub counts: &'a Counts,
    pub scores: &'a [ScoreRecord],
    pub signals: &'a Signals,
    pub findings: &'a [FindingRecord],
}

/// Why an assessment failed, in the contract's FailureReason shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRecord {
    pub error_class: FailureClass,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRecord {
    pub assessment_id: AssessmentId,
    pub tenant_id: TenantId,
    pub state: AssessmentState,
    pub trigger: Trigger,
    pub requested_by: String,
    /// The run whose inventory is judged: the completed one, or for a manual assessment the
    /// tenant's newest run that read something.
    pub sync_run_id: RunId,
    pub pack_version: String,
    pub counts: Counts,
    pub scores: Vec<ScoreRecord>,
    pub signals: Signals,
    pub error: Option<FailureRecord>,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl AssessmentRecord {
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }
}

pub struct NewAssessment<'a> {
    pub assessment_id: AssessmentId,
    pub tenant_id: TenantId,
    pub trigger: Trigger,
    pub requested_by: &'a str,
    pub sync_run_id: RunId,
    pub pack_version: &'a str,
    pub requested_at: DateTime<Utc>,
}

/// A page of a tenant's assessments, newest first.
#[derive(Debug, Clone)]
pub struct AssessmentFilter {
    pub tenant_id: TenantId,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset cursor: (requested_at, assessment_id) of the last row of the previous page.
    pub before: Option<(DateTime<Utc>, AssessmentId)>,
    pub limit: u32,
}

const COLUMNS: &str = "assessment_id, tenant_id, state, trigger, requested_by, sync_run_id, pack_version, \
     counts, scores, error, requested_at, started_at, completed_at, signals";

type Row = (
    String,
    String,
    i32,
    i32,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    String,
);

fn record(row: Row) -> Result<AssessmentRecord, StoreError> {
    Ok(AssessmentRecord {
        assessment_id: id("assessment id", &row.0)?,
        tenant_id: id("assessment tenant id", &row.1)?,
        state: decoded("assessment state", row.2, AssessmentState::from_code)?,
        trigger: decoded("assessment trigger", row.3, Trigger::from_code)?,
        requested_by: row.4,
        sync_run_id: id("assessment sync run id", &row.5)?,
        pack_version: row.6,
        counts: from_json("assessment counts", &row.7)?,
        scores: from_json("assessment scores", &row.8)?,
        error: row
            .9
            .as_deref()
            .map(|e| from_json("assessment error", e))
            .transpose()?,
        requested_at: from_micros(row.10),
        started_at: row.11.map(from_micros),
        completed_at: row.12.map(from_micros),
        signals: from_json("assessment signals", &row.13)?,
    })
}

impl AssessmentStore {
    /// Inserts a PENDING assessment. `AlreadyExists` when the tenant has an active one or the sync
    /// run was already assessed; the caller looks up which.
    pub async fn create_assessment(&self, new: &NewAssessment<'_>) -> Result<(), StoreError> {
        posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO assessments (assessment_id, tenant_id, state, trigger, requested_by, sync_run_id, \
                 pack_version, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new.assessment_id.to_string())
            .bind(new.tenant_id.to_string())
            .bind(PENDING)
            .bind(new.trigger.code())
            .bind(new.requested_by)
            .bind(new.sync_run_id.to_string())
            .bind(new.pack_version)
            .bind(micros(new.requested_at))
            .execute(pool)
            .await
            .map_err(sql_error("an active assessment or one of this sync run"))?;
        });
        Ok(())
    }

    async fn one(&self, condition: &str, binds: &[String]) -> Result<Option<AssessmentRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM assessments WHERE {condition}");
        let row: Option<Row> = posture_kit::on_backend!(self.db(), |pool| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for value in binds {
                query = query.bind(value.as_str());
            }
            query
                .fetch_optional(pool)
                .await
                .map_err(sql_error("reading an assessment"))?
        });
        row.map(record).transpose()
    }

    /// The assessment, only if it belongs to the tenant.
    pub async fn assessment(
        &self,
        tenant_id: &TenantId,
        assessment_id: &AssessmentId,
    ) -> Result<Option<AssessmentRecord>, StoreError> {
        self.one(
            "tenant_id = $1 AND assessment_id = $2",
            &[tenant_id.to_string(), assessment_id.to_string()],
        )
        .await
    }

    /// The assessment a completed sync run triggered, if any.
    pub async fn assessment_of_run(
        &self,
        tenant_id: &TenantId,
        sync_run_id: &RunId,
    ) -> Result<Option<AssessmentRecord>, StoreError> {
        self.one(
            "tenant_id = $1 AND sync_run_id = $2 AND trigger = 1",
            &[tenant_id.to_string(), sync_run_id.to_string()],
        )
        .await
    }

    pub async fn active_assessment(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<AssessmentRecord>, StoreError> {
        self.one("tenant_id = $1 AND state IN (1, 2)", &[tenant_id.to_string()])
            .await
    }

    pub async fn latest_succeeded(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<AssessmentRecord>, StoreError> {
        self.one(
            "tenant_id = $1 AND state = 3 ORDER BY completed_at DESC, assessment_id DESC LIMIT 1",
            &[tenant_id.to_string()],
        )
        .await
    }

    pub async fn list_assessments(&self, f: &AssessmentFilter) -> Result<Vec<AssessmentRecord>, StoreError> {
        let (before_at, before_id) = f
            .before
            .as_ref()
            .map(|(at, id)| (micros(*at), id.to_string()))
            .unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT {COLUMNS} FROM assessments WHERE tenant_id = $1 AND requested_at >= $2 AND requested_at < $3 \
             AND (requested_at < $4 OR (requested_at = $4 AND $5 <> '' AND assessment_id < $5)) \
             ORDER BY requested_at DESC, assessment_id DESC LIMIT $6"
        );
        let rows: Vec<Row> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(f.tenant_id.to_string())
                .bind(f.from.map(micros).unwrap_or(i64::MIN))
                .bind(f.to.map(micros).unwrap_or(i64::MAX))
                .bind(before_at)
                .bind(before_id)
                .bind(i64::from(f.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing assessments"))?
        });
        rows.into_iter().map(record).collect()
    }

    /// PENDING (or a RUNNING one being taken over) becomes RUNNING; false when it is finished.
    pub async fn mark_running(
        &self,
        assessment_id: &AssessmentId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query("UPDATE assessments SET state = $1, started_at = $2 WHERE assessment_id = $3 AND state IN ($4, $1)")
                .bind(RUNNING)
                .bind(micros(now))
                .bind(assessment_id.to_string())
                .bind(PENDING)
                .execute(pool)
                .await
                .map_err(sql_error("starting an assessment"))?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// An active assessment becomes FAILED with the reason, and `announcement` (if any) is
    /// staged in the outbox in the same transaction; false (and nothing written) when it was
    /// already finished.
    pub async fn fail_assessment(
        &self,
        assessment_id: &AssessmentId,
        failure: &FailureRecord,
        now: DateTime<Utc>,
        announcement: Option<&OutboxMessage>,
    ) -> Result<bool, StoreError> {
        let failed = posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to fail an assessment"))?;
            let updated = sqlx::query(
                "UPDATE assessments SET state = $1, error = $2, completed_at = $3 \
                 WHERE assessment_id = $4 AND state IN ($5, $6)",
            )
            .bind(FAILED)
            .bind(to_json(failure))
            .bind(micros(now))
            .bind(assessment_id.to_string())
            .bind(PENDING)
            .bind(RUNNING)
            .execute(&mut *tx)
            .await
            .map_err(sql_error("failing an assessment"))?
            .rows_affected();
            if updated == 1 {
                if let Some(message) = announcement {
                    tx.stage(message)
                        .await
                        .map_err(sql_error("staging AssessmentCompleted"))?;
                }
                tx.commit()
                    .await
                    .map_err(sql_error("committing a failed assessment"))?;
                true
            } else {
                tx.rollback().await.map_err(sql_error("abandoning a failure"))?;
                false
            }
        });
        Ok(failed)
    }

    /// Stores the findings, marks the assessment SUCCEEDED and stages `announcement` (if any) in
    /// the outbox, atomically. False (and nothing written) when the assessment was no longer
    /// active, e.g. already completed by a redelivery.
    pub async fn complete_assessment(
        &self,
        assessment_id: &AssessmentId,
        result: &Completion<'_>,
        now: DateTime<Utc>,
        announcement: Option<&OutboxMessage>,
    ) -> Result<bool, StoreError> {
        let Completion {
            counts,
            scores,
            signals,
            findings,
        } = *result;
        let completed = posture_kit::on_backend!(self.db(), |pool| {
            let mut tx = pool
                .begin_write()
                .await
                .map_err(sql_error("starting to store findings"))?;
            let updated = sqlx::query(
                "UPDATE assessments SET state = $1, counts = $2, scores = $3, error = NULL, completed_at = $4, \
                 signals = $8 WHERE assessment_id = $5 AND state IN ($6, $7)",
            )
            .bind(SUCCEEDED)
            .bind(to_json(counts))
            .bind(to_json(&scores))
            .bind(micros(now))
            .bind(assessment_id.to_string())
            .bind(PENDING)
            .bind(RUNNING)
            .bind(to_json(signals))
            .execute(&mut *tx)
            .await
            .map_err(sql_error("completing an assessment"))?
            .rows_affected();
            if updated == 1 {
                sqlx::query("DELETE FROM findings WHERE assessment_id = $1")
                    .bind(assessment_id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(sql_error("replacing findings"))?;
                insert_findings!(&mut *tx, findings);
                if let Some(message) = announcement {
                    tx.stage(message)
                        .await
                        .map_err(sql_error("staging AssessmentCompleted"))?;
                }
                tx.commit().await.map_err(sql_error("committing findings"))?;
                true
            } else {
                tx.rollback().await.map_err(sql_error("abandoning findings"))?;
                false
            }
        });
        Ok(completed)
    }
}
