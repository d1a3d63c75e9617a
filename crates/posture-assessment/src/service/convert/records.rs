//! From the engine's results to the store's records: findings with their references and
//! evidence, the scores per framework, and the risk exceptions an assessment applies.

use chrono::{DateTime, Utc};
use posture_kit::ids::{AssessmentId, TenantId};

use crate::exceptions::RiskException;
use crate::metadata::ControlMetadata;
use crate::result::{ControlResult, Evidence};
use crate::score::{FrameworkScore, OVERALL};
use crate::service::store::{
    Counts, EvidenceRecord, ExceptionRecord, FindingRecord, FrameworkResultRecord, MAX_EVIDENCE,
    ReferenceRecord, ScoreRecord,
};

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
        "directorySetting" | "groupSetting" => "directory_settings",
        "adminConsentRequestPolicy" => "admin_consent_request_policy",
        "activityBasedTimeoutPolicy" => "activity_based_timeout_policies",
        "tenantAppManagementPolicy" => "default_app_management_policy",
        "appManagementPolicy" => "app_management_policies",
        "deviceRegistrationPolicy" => "device_registration_policy",
        "crossTenantAccessPolicyConfigurationDefault" => "cross_tenant_access_default",
        "onPremisesDirectorySynchronization" => "on_premises_synchronization",
        "delegatedPermissionClassification" => "delegated_permission_classifications",
        "application" => "applications",
        "servicePrincipal" => "service_principals",
        "appRoleAssignment" => "graph_app_role_assignments",
        "sharepointSettings" => "sharepoint_settings",
        "unifiedRoleManagementPolicy" => "role_management_policy_assignments",
        "unifiedRoleAssignmentSchedule" => "role_assignment_schedules",
        "accessReviewScheduleDefinition" => "access_review_definitions",
        "authenticationMethodsPolicy" | "authenticationMethodConfiguration" => {
            "authentication_methods_policy"
        }
        "authorizationPolicy" => "authorization_policy",
        "organization" => "organization",
        "subscribedSku" => "subscribed_skus",
        "managedDevice" => "managed_devices",
        "defenderMachine" => "defender_machines",
        "alert" => "security_alerts",
        "secureScore" => "secure_scores",
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
    assessment_id: &AssessmentId,
    tenant_id: &TenantId,
    r: &ControlResult,
    exceptions: &[ExceptionRecord],
    evaluated_at: DateTime<Utc>,
) -> FindingRecord {
    let (severity, references) = match &r.metadata {
        Some(m) => (Some(m.severity), references(m)),
        None => (None, Vec::new()),
    };
    FindingRecord {
        assessment_id: *assessment_id,
        tenant_id: *tenant_id,
        control_id: r.control_id.clone(),
        title: r.title.clone(),
        severity,
        references,
        result: r.status,
        reason: r.reason.clone(),
        evidence: evidence_records(&r.evidence),
        evidence_total: u32::try_from(r.evidence.len()).unwrap_or(u32::MAX),
        accepted: r.accepted && r.status.is_finding(),
        exception_ids: exception_ids(&r.exceptions, exceptions),
        evaluated_at,
        framework_results: r
            .by_framework
            .iter()
            .map(|f| {
                let (framework, framework_version) = framework_id(&f.framework);
                FrameworkResultRecord {
                    framework,
                    framework_version,
                    result: f.status,
                    reason: f.reason.clone(),
                    evidence: evidence_records(&f.evidence),
                }
            })
            .collect(),
    }
}

fn evidence_records(evidence: &[Evidence]) -> Vec<EvidenceRecord> {
    evidence
        .iter()
        .take(MAX_EVIDENCE)
        .map(|e| EvidenceRecord {
            entity_kind: entity_kind(&e.kind).to_owned(),
            object_id: e.id.clone(),
            display_name: e.display_name.clone(),
            detail: e.detail.clone(),
            accepted: e.accepted,
        })
        .collect()
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

    /// The store keeps the contract's numbers, so rows written before the domain types existed
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
