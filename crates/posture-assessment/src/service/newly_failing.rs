//! Which controls started failing: those failing in an assessment (with no exception accepting
//! them) that did not fail in the tenant's previous succeeded assessment. AssessmentCompleted
//! carries them, so the notifier can say "this control started failing" without reading findings.
//! A tenant's first assessment has nothing to compare with and names none: onboarding a tenant
//! is not a regression.

use std::collections::BTreeSet;

use posture_proto::events::v1 as ev;

use super::convert;
use super::store::{
    AssessmentFilter, AssessmentRecord, AssessmentState, AssessmentStore, FindingFilter, FindingRecord,
    StoreError,
};
use crate::result::Status;

/// Assessments looked back through for the previous succeeded one.
const LOOKBACK: u32 = 20;
/// More failing findings than any pack has controls.
const MAX_FINDINGS: u32 = 10_000;

/// The controls of `record` that started failing; `current` are its findings when the caller
/// holds them (before they are stored), otherwise they are read.
pub async fn newly_failing(
    store: &AssessmentStore,
    record: &AssessmentRecord,
    current: Option<&[FindingRecord]>,
) -> Result<Vec<ev::assessment_completed::NewlyFailingControl>, StoreError> {
    if record.state != AssessmentState::Succeeded {
        return Ok(Vec::new());
    }
    let earlier = store
        .list_assessments(&AssessmentFilter {
            tenant_id: record.tenant_id,
            from: None,
            to: None,
            before: Some((record.requested_at, record.assessment_id)),
            limit: LOOKBACK,
        })
        .await?;
    let Some(previous) = earlier
        .into_iter()
        .find(|a| a.state == AssessmentState::Succeeded)
    else {
        return Ok(Vec::new());
    };
    let before: BTreeSet<String> = failing(store, &previous)
        .await?
        .into_iter()
        .map(|f| f.control_id)
        .collect();
    let now = match current {
        Some(findings) => findings.iter().filter(|f| fails(f)).cloned().collect(),
        None => failing(store, record).await?,
    };
    Ok(now
        .into_iter()
        .filter(|f| !before.contains(&f.control_id))
        .map(|f| ev::assessment_completed::NewlyFailingControl {
            severity: convert::finding_severity(f.severity) as i32,
            control_id: f.control_id,
            title: f.title,
            reason: f.reason,
        })
        .collect())
}

fn fails(finding: &FindingRecord) -> bool {
    finding.result == Status::Fail && !finding.accepted
}

async fn failing(
    store: &AssessmentStore,
    assessment: &AssessmentRecord,
) -> Result<Vec<FindingRecord>, StoreError> {
    let findings = store
        .list_findings(&FindingFilter {
            assessment_id: assessment.assessment_id,
            control_id: None,
            results: vec![Status::Fail],
            min_severity: None,
            framework: None,
            accepted: Some(false),
            after: None,
            limit: MAX_FINDINGS,
        })
        .await?;
    Ok(findings.into_iter().filter(fails).collect())
}
