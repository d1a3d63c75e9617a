//! Findings: one row per control of an assessment, written with the assessment's completion and
//! read with the contract's filters (control, results, minimum severity, framework, accepted),
//! ordered by severity (highest first) then control id, paged by keyset.

use chrono::{DateTime, Utc};
use posture_kit::ids::{AssessmentId, TenantId};
use posture_kit::time::from_micros;
use serde::{Deserialize, Serialize};

use super::columns::{
    decoded, from_json, id, severity_code, severity_from_code, status_code, status_from_code,
};
use super::database::AssessmentStore;
use super::error::{StoreError, sql_error};
use crate::metadata::Severity;
use crate::result::Status;

/// Most evidence objects kept per finding; `evidence_total` keeps the full count.
pub const MAX_EVIDENCE: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceRecord {
    pub framework: String,
    pub framework_version: String,
    pub reference_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub entity_kind: String,
    pub object_id: String,
    pub display_name: String,
    pub detail: String,
    pub accepted: bool,
}

/// One framework's own verdict on a control, when it differs from the finding's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkResultRecord {
    pub framework: String,
    pub framework_version: String,
    pub result: Status,
    pub reason: String,
    pub evidence: Vec<EvidenceRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FindingRecord {
    pub assessment_id: AssessmentId,
    pub tenant_id: TenantId,
    pub control_id: String,
    pub title: String,
    /// `None` when the control's module did not load, so its metadata is unknown.
    pub severity: Option<Severity>,
    pub references: Vec<ReferenceRecord>,
    pub result: Status,
    pub reason: String,
    pub evidence: Vec<EvidenceRecord>,
    pub evidence_total: u32,
    pub accepted: bool,
    pub exception_ids: Vec<String>,
    pub evaluated_at: DateTime<Utc>,
    pub framework_results: Vec<FrameworkResultRecord>,
}

impl FindingRecord {
    /// Framework ids the framework filter matches, space-delimited with a space at both ends.
    fn frameworks(&self) -> String {
        let mut ids: Vec<&str> = self.references.iter().map(|r| r.framework.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        format!(" {} ", ids.join(" "))
    }
}

/// ListFindings' filters over one assessment.
#[derive(Debug, Clone)]
pub struct FindingFilter {
    pub assessment_id: AssessmentId,
    pub control_id: Option<String>,
    /// Empty means all.
    pub results: Vec<Status>,
    /// `None` means all.
    pub min_severity: Option<Severity>,
    pub framework: Option<String>,
    pub accepted: Option<bool>,
    /// Keyset cursor: (severity, control_id) of the last finding of the previous page.
    pub after: Option<(Option<Severity>, String)>,
    pub limit: u32,
}

/// Inserts findings inside an open transaction, on either engine.
macro_rules! insert_findings {
    ($tx:expr, $findings:expr) => {
        for f in $findings {
            sqlx::query(
                "INSERT INTO findings (assessment_id, tenant_id, control_id, title, severity, refs, frameworks, \
                 result, reason, evidence, evidence_total, accepted, exception_ids, evaluated_at, framework_results) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(f.assessment_id.to_string())
            .bind(f.tenant_id.to_string())
            .bind(&f.control_id)
            .bind(&f.title)
            .bind($crate::service::store::columns::severity_code(f.severity))
            .bind($crate::service::store::columns::to_json(&f.references))
            .bind(f.frameworks_column())
            .bind($crate::service::store::columns::status_code(f.result))
            .bind(&f.reason)
            .bind($crate::service::store::columns::to_json(&f.evidence))
            .bind(i64::from(f.evidence_total))
            .bind(f.accepted)
            .bind($crate::service::store::columns::to_json(&f.exception_ids))
            .bind(posture_kit::time::micros(f.evaluated_at))
            .bind($crate::service::store::columns::to_json(&f.framework_results))
            .execute($tx)
            .await
            .map_err($crate::service::store::error::sql_error("storing findings"))?;
        }
    };
}
pub(super) use insert_findings;

impl FindingRecord {
    pub(super) fn frameworks_column(&self) -> String {
        self.frameworks()
    }
}

type Row = (
    String,
    String,
    String,
    String,
    i32,
    String,
    i32,
    String,
    String,
    i64,
    bool,
    String,
    i64,
    String,
);

fn record(row: Row) -> Result<FindingRecord, StoreError> {
    Ok(FindingRecord {
        assessment_id: id("finding assessment id", &row.0)?,
        tenant_id: id("finding tenant id", &row.1)?,
        control_id: row.2,
        title: row.3,
        severity: decoded("finding severity", row.4, severity_from_code)?,
        references: from_json("finding references", &row.5)?,
        result: decoded("finding result", row.6, status_from_code)?,
        reason: row.7,
        evidence: from_json("finding evidence", &row.8)?,
        evidence_total: u32::try_from(row.9).unwrap_or(u32::MAX),
        accepted: row.10,
        exception_ids: from_json("finding exceptions", &row.11)?,
        evaluated_at: from_micros(row.12),
        framework_results: from_json("finding framework results", &row.13)?,
    })
}

/// `LIKE` pattern text with its wildcards escaped (`\` is the escape character).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl AssessmentStore {
    pub async fn list_findings(&self, f: &FindingFilter) -> Result<Vec<FindingRecord>, StoreError> {
        let mask = f
            .results
            .iter()
            .fold(0i64, |mask, r| mask | (1i64 << status_code(*r)));
        let (after_severity, after_control) = f
            .after
            .clone()
            .map(|(s, c)| (i64::from(severity_code(s)), c))
            .unwrap_or((i64::MAX, String::new()));
        let framework = f
            .framework
            .as_deref()
            .map(|fw| format!("% {} %", like_literal(fw)))
            .unwrap_or_default();
        let accepted = match f.accepted {
            None => 0i64,
            Some(true) => 1,
            Some(false) => 2,
        };
        let sql = "SELECT assessment_id, tenant_id, control_id, title, severity, refs, result, reason, evidence, \
             evidence_total, accepted, exception_ids, evaluated_at, framework_results FROM findings \
             WHERE assessment_id = $1 AND ($2 = '' OR control_id = $2) \
             AND ($3 = 0 OR (($3 >> result) & 1) = 1) AND severity >= $4 \
             AND ($5 = '' OR frameworks LIKE $5 ESCAPE '\\') \
             AND ($6 = 0 OR ($6 = 1 AND accepted) OR ($6 = 2 AND NOT accepted)) \
             AND (severity < $7 OR (severity = $7 AND control_id > $8)) \
             ORDER BY severity DESC, control_id LIMIT $9";
        let rows: Vec<Row> = posture_kit::on_backend!(self.db(), |pool| {
            sqlx::query_as(sql)
                .bind(f.assessment_id.to_string())
                .bind(f.control_id.clone().unwrap_or_default())
                .bind(mask)
                .bind(i64::from(severity_code(f.min_severity)))
                .bind(framework.clone())
                .bind(accepted)
                .bind(after_severity)
                .bind(after_control.clone())
                .bind(i64::from(f.limit))
                .fetch_all(pool)
                .await
                .map_err(sql_error("listing findings"))?
        });
        rows.into_iter().map(record).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::like_literal;

    #[test]
    fn like_wildcards_in_a_filter_value_match_only_themselves() {
        assert_eq!(like_literal("cis_m365%"), "cis\\_m365\\%");
        assert_eq!(like_literal("cisa-scuba"), "cisa-scuba");
    }
}
