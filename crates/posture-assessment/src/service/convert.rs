//! Between the engine's types, the store's records and the contract's messages.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use posture_kit::time::timestamp;
use posture_proto::v1 as pb;

use super::store::{
    AssessmentRecord, Counts, EvidenceRecord, ExceptionRecord, FailureRecord, FindingRecord, MAX_EVIDENCE,
    ReferenceRecord, ScoreRecord, SettingsRecord,
};
use crate::exceptions::RiskException;
use crate::metadata::{ControlMetadata, Severity};
use crate::result::{ControlResult, Status};
use crate::score::{FrameworkScore, OVERALL};

pub fn severity(s: Severity) -> pb::Severity {
    match s {
        Severity::Info => pb::Severity::Informational,
        Severity::Low => pb::Severity::Low,
        Severity::Medium => pb::Severity::Medium,
        Severity::High => pb::Severity::High,
        Severity::Critical => pb::Severity::Critical,
    }
}

pub fn engine_severity(s: pb::Severity) -> Severity {
    match s {
        pb::Severity::Unspecified | pb::Severity::Informational => Severity::Info,
        pb::Severity::Low => Severity::Low,
        pb::Severity::Medium => Severity::Medium,
        pb::Severity::High => Severity::High,
        pb::Severity::Critical => Severity::Critical,
    }
}

pub fn result(status: Status) -> pb::ControlResult {
    match status {
        Status::Pass => pb::ControlResult::Pass,
        Status::Fail => pb::ControlResult::Fail,
        Status::Warning => pb::ControlResult::Warning,
        Status::NotApplicable => pb::ControlResult::NotApplicable,
        Status::Error => pb::ControlResult::Error,
    }
}

pub fn status(result: pb::ControlResult) -> Status {
    match result {
        pb::ControlResult::Pass => Status::Pass,
        pb::ControlResult::Fail => Status::Fail,
        pb::ControlResult::Warning => Status::Warning,
        pb::ControlResult::NotApplicable => Status::NotApplicable,
        pb::ControlResult::Unspecified | pb::ControlResult::Error => Status::Error,
    }
}

/// The pack writes versioned framework ids (`cis-m365-v7`); the contract splits them into the id
/// (`cis-m365`) and the version (`7`).
pub fn framework_id(pack_framework: &str) -> (String, String) {
    if let Some((base, version)) = pack_framework.rsplit_once("-v")
        && !base.is_empty()
        && !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
    {
        return (base.to_owned(), version.to_owned());
    }
    (pack_framework.to_owned(), String::new())
}

pub fn references(metadata: &ControlMetadata) -> Vec<ReferenceRecord> {
    metadata
        .frameworks
        .iter()
        .map(|f| {
            let (framework, framework_version) = framework_id(&f.framework);
            ReferenceRecord {
                framework,
                framework_version,
                reference_id: f.reference.clone(),
            }
        })
        .collect()
}

/// The synced entity kind an evidence object belongs to; the pack names Graph resource types.
fn entity_kind(graph_kind: &str) -> &str {
    match graph_kind {
        "user" => "users",
        "group" => "groups",
        "conditionalAccessPolicy" => "conditional_access_policies",
        "namedLocation" | "ipNamedLocation" | "countryNamedLocation" => "named_locations",
        "roleAssignment" | "unifiedRoleAssignment" => "role_assignments",
        "directoryRole" | "roleDefinition" | "unifiedRoleDefinition" => "role_definitions",
        "roleAssignmentScheduleInstance" => "role_assignment_instances",
        "roleEligibilityScheduleInstance" => "role_eligibility_instances",
        "domain" => "domains",
        "directorySetting" => "directory_settings",
        "sharepointSettings" => "sharepoint_settings",
        "authenticationMethodsPolicy" | "authenticationMethodConfiguration" => {
            "authentication_methods_policy"
        }
        "authorizationPolicy" => "authorization_policy",
        "organization" => "organization",
        "subscribedSku" => "subscribed_skus",
        other => other,
    }
}

/// The ids of the stored exceptions `applied` stands for (the engine carries no ids).
fn exception_ids(applied: &[RiskException], stored: &[ExceptionRecord]) -> Vec<String> {
    let mut ids: Vec<String> = stored
        .iter()
        .filter(|s| applied.iter().any(|a| a == &risk_exception(s)))
        .map(|s| s.exception_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub fn risk_exception(e: &ExceptionRecord) -> RiskException {
    RiskException {
        control_id: e.control_id.clone(),
        object_ids: (!e.object_ids.is_empty()).then(|| e.object_ids.clone()),
        reason: e.reason.clone(),
        owner: e.owner.clone(),
        expires_at: e.expires_at,
    }
}

pub fn finding(
    assessment_id: &str,
    tenant_id: &str,
    r: &ControlResult,
    exceptions: &[ExceptionRecord],
    evaluated_at: DateTime<Utc>,
) -> FindingRecord {
    let (severity, references) = match &r.metadata {
        Some(m) => (severity(m.severity), references(m)),
        None => (pb::Severity::Unspecified, Vec::new()),
    };
    FindingRecord {
        assessment_id: assessment_id.to_owned(),
        tenant_id: tenant_id.to_owned(),
        control_id: r.control_id.clone(),
        title: r.title.clone(),
        severity: severity as i32,
        references,
        result: result(r.status) as i32,
        reason: r.reason.clone(),
        evidence: r
            .evidence
            .iter()
            .take(MAX_EVIDENCE)
            .map(|e| EvidenceRecord {
                entity_kind: entity_kind(&e.kind).to_owned(),
                object_id: e.id.clone(),
                display_name: e.display_name.clone(),
                detail: e.detail.clone(),
                accepted: e.accepted,
            })
            .collect(),
        evidence_total: u32::try_from(r.evidence.len()).unwrap_or(u32::MAX),
        accepted: r.accepted && r.status.is_finding(),
        exception_ids: exception_ids(&r.exceptions, exceptions),
        evaluated_at,
    }
}

fn percent(score: Option<f64>) -> f64 {
    score.map_or(0.0, |s| (s * 100.0).clamp(0.0, 100.0))
}

fn counts_of(s: &FrameworkScore) -> Counts {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Counts {
        passed: n(s.passed),
        failed: n(s.failed),
        warning: n(s.warnings),
        not_applicable: n(s.not_applicable),
        error: n(s.errors),
        accepted: n(s.accepted),
    }
}

/// The overall counts and one score per framework (contract ids, `overall` included), ordered by
/// framework id.
pub fn scores(engine: &[FrameworkScore]) -> (Counts, Vec<ScoreRecord>) {
    let overall = engine
        .iter()
        .find(|s| s.framework == OVERALL)
        .map(counts_of)
        .unwrap_or_default();
    let mut scores: Vec<ScoreRecord> = engine
        .iter()
        .map(|s| ScoreRecord {
            framework: framework_id(&s.framework).0,
            counts: counts_of(s),
            score: percent(s.score),
        })
        .collect();
    scores.sort_by(|a, b| a.framework.cmp(&b.framework));
    (overall, scores)
}

fn counts(c: &Counts) -> pb::ResultCounts {
    pb::ResultCounts {
        passed: c.passed,
        failed: c.failed,
        warning: c.warning,
        not_applicable: c.not_applicable,
        error: c.error,
        accepted: c.accepted,
    }
}

pub fn failure(f: &FailureRecord) -> pb::FailureReason {
    pb::FailureReason {
        error_class: f.error_class,
        code: f.code.clone(),
        message: f.message.clone(),
        ..Default::default()
    }
}

pub fn assessment(a: &AssessmentRecord) -> pb::Assessment {
    pb::Assessment {
        assessment_id: a.assessment_id.clone(),
        tenant_id: a.tenant_id.clone(),
        state: a.state,
        trigger: a.trigger,
        requested_by: a.requested_by.clone(),
        sync_run_id: a.sync_run_id.clone(),
        pack_version: a.pack_version.clone(),
        counts: Some(counts(&a.counts)),
        scores: a
            .scores
            .iter()
            .map(|s| pb::FrameworkScore {
                framework: s.framework.clone(),
                counts: Some(counts(&s.counts)),
                score: s.score,
            })
            .collect(),
        error: a.error.as_ref().map(failure),
        requested_at: Some(timestamp(a.requested_at)),
        completed_at: a.completed_at.map(timestamp),
    }
}

pub fn finding_message(f: FindingRecord) -> pb::Finding {
    pb::Finding {
        assessment_id: f.assessment_id,
        tenant_id: f.tenant_id,
        control_id: f.control_id,
        title: f.title,
        severity: f.severity,
        references: f
            .references
            .into_iter()
            .map(|r| pb::FrameworkReference {
                framework: r.framework,
                framework_version: r.framework_version,
                reference_id: r.reference_id,
            })
            .collect(),
        result: f.result,
        reason: f.reason,
        evidence: f
            .evidence
            .into_iter()
            .map(|e| pb::EvidenceObject {
                object: Some(pb::ObjectRef {
                    entity_kind: e.entity_kind,
                    object_id: e.object_id,
                    display_name: e.display_name,
                }),
                detail: e.detail,
                accepted: e.accepted,
            })
            .collect(),
        evidence_total: f.evidence_total,
        accepted: f.accepted,
        exception_ids: f.exception_ids,
        evaluated_at: Some(timestamp(f.evaluated_at)),
    }
}

pub fn control(m: &ControlMetadata) -> pb::Control {
    pb::Control {
        control_id: m.id.clone(),
        title: m.title.clone(),
        severity: severity(m.severity) as i32,
        references: references(m)
            .into_iter()
            .map(|r| pb::FrameworkReference {
                framework: r.framework,
                framework_version: r.framework_version,
                reference_id: r.reference_id,
            })
            .collect(),
        rationale: m.rationale.clone(),
        remediation: m.remediation.clone(),
        entity_kinds: m.required_collections.clone(),
        required_licenses: m
            .licence
            .iter()
            .map(|l| match l.as_str() {
                "p1" => "Microsoft Entra ID P1".to_owned(),
                "p2" => "Microsoft Entra ID P2".to_owned(),
                other => other.to_owned(),
            })
            .collect(),
    }
}

pub fn exception(e: &ExceptionRecord, now: DateTime<Utc>) -> pb::ControlException {
    let state = if now < e.expires_at {
        pb::ExceptionState::Active
    } else {
        pb::ExceptionState::Expired
    };
    pb::ControlException {
        exception_id: e.exception_id.clone(),
        tenant_id: e.tenant_id.clone(),
        control_id: e.control_id.clone(),
        object_ids: e.object_ids.clone(),
        reason: e.reason.clone(),
        owner: e.owner.clone(),
        expires_at: Some(timestamp(e.expires_at)),
        state: state as i32,
        created_by: e.created_by.clone(),
        created_at: Some(timestamp(e.created_at)),
    }
}

pub fn settings(s: &SettingsRecord, effective: BTreeMap<String, f64>) -> pb::AssessmentSettings {
    pb::AssessmentSettings {
        tenant_id: s.tenant_id.clone(),
        emergency_access_accounts: s.emergency_access_accounts.clone(),
        parameters: s.parameters.clone().into_iter().collect(),
        effective_parameters: effective.into_iter().collect(),
        updated_at: s.updated_at.map(timestamp),
        updated_by: s.updated_by.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_pack_frameworks_split_into_id_and_version() {
        assert_eq!(
            framework_id("cis-m365-v7"),
            ("cis-m365".to_owned(), "7".to_owned())
        );
        assert_eq!(
            framework_id("cisa-scuba"),
            ("cisa-scuba".to_owned(), String::new())
        );
        assert_eq!(framework_id("posture"), ("posture".to_owned(), String::new()));
        // Only a numeric suffix is a version.
        assert_eq!(framework_id("my-vendor"), ("my-vendor".to_owned(), String::new()));
    }

    #[test]
    fn evidence_names_the_synced_kind_and_keeps_unknown_ones() {
        assert_eq!(entity_kind("user"), "users");
        assert_eq!(
            entity_kind("conditionalAccessPolicy"),
            "conditional_access_policies"
        );
        assert_eq!(
            entity_kind("roleAssignmentScheduleInstance"),
            "role_assignment_instances"
        );
        assert_eq!(entity_kind("somethingNew"), "somethingNew");
    }

    #[test]
    fn scores_are_percentages_and_overall_gives_the_counts() {
        let engine = vec![
            FrameworkScore {
                framework: OVERALL.to_owned(),
                passed: 3,
                failed: 1,
                score: Some(0.75),
                ..FrameworkScore::default()
            },
            FrameworkScore {
                framework: "cis-m365-v7".to_owned(),
                errors: 2,
                score: None,
                ..FrameworkScore::default()
            },
        ];
        let (counts, scores) = scores(&engine);
        assert_eq!((counts.passed, counts.failed), (3, 1));
        assert_eq!(scores[0].framework, "cis-m365");
        assert_eq!(scores[0].score, 0.0, "nothing decided");
        assert_eq!(scores[0].counts.error, 2);
        assert_eq!(scores[1].framework, OVERALL);
        assert_eq!(scores[1].score, 75.0);
    }
}
