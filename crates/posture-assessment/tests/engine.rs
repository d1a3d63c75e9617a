//! The built-in pack end to end: every control loads with complete metadata, and small tenants built
//! with the document builder are judged as the controls promise.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use posture_assessment::{
    Collection, CollectionKind, Engine, OVERALL, PolicyPack, Status, TenantDocumentBuilder,
};
use serde_json::json;

#[test]
fn builtin_pack_loads_every_control_with_complete_metadata() {
    let pack = PolicyPack::builtin();
    assert!(pack.broken_modules().is_empty(), "{:?}", pack.broken_modules());
    let controls = pack.controls();
    assert!(controls.len() >= 16, "only {} controls", controls.len());
    for control in &controls {
        assert!(!control.title.is_empty(), "{}", control.id);
        assert!(!control.rationale.is_empty(), "{}", control.id);
        assert!(!control.remediation.is_empty(), "{}", control.id);
        assert!(!control.frameworks.is_empty(), "{}", control.id);
        for collection in &control.required_collections {
            assert!(
                CollectionKind::from_key(collection).is_some(),
                "{} requires unknown collection {collection}",
                control.id
            );
        }
    }
    let references: Vec<&str> = controls
        .iter()
        .flat_map(|c| c.frameworks.iter().map(|f| f.reference.as_str()))
        .collect();
    for expected in [
        "MS.AAD.3.2v2",
        "MS.AAD.1.1v1",
        "5.2.2.1",
        "MS.AAD.7.1v1",
        "1.1.3",
        "MS.AAD.2.2v1",
    ] {
        assert!(references.contains(&expected), "no control references {expected}");
    }
}

#[test]
fn builtin_pack_judges_a_small_tenant() {
    let assessment = Engine::evaluate(&PolicyPack::builtin(), &small_tenant());
    let status = |id: &str| {
        assessment
            .result(id)
            .unwrap_or_else(|| panic!("no result for {id}"))
            .status
    };
    assert_eq!(status("entra.ca.mfa-all-users"), Status::Pass);
    assert_eq!(status("entra.roles.global-admin-count-cis"), Status::Fail);
    assert_eq!(status("posture.mfa.coverage"), Status::Fail);
    assert_eq!(status("posture.accounts.stale"), Status::Fail);
    // No P2: SCuBA's risk-based controls still apply, and fail for want of the licence.
    let risky = assessment
        .result("entra.ca.high-risk-users-blocked")
        .expect("result");
    assert_eq!(risky.status, Status::Fail);
    assert!(
        risky.reason.contains("requires Microsoft Entra ID P2"),
        "{}",
        risky.reason
    );
    assert_eq!(status("entra.risk.admin-notifications"), Status::NotApplicable);

    let consent = assessment
        .result("entra.apps.user-consent-blocked")
        .expect("result");
    assert_eq!(consent.status, Status::Error);
    assert!(consent.reason.contains("Policy.Read.All"), "{}", consent.reason);

    let stale = assessment.result("posture.accounts.stale").expect("result");
    let ids: Vec<&str> = stale.evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["bob"], "the emergency account is not reported");

    let overall = &assessment.scores[0];
    assert_eq!(overall.framework, OVERALL);
    assert_eq!(
        overall.passed + overall.failed + overall.warnings + overall.not_applicable + overall.errors,
        assessment.results.len()
    );
}

#[test]
fn permanent_global_admin_assignment_fails_on_a_p2_tenant() {
    let document = TenantDocumentBuilder::new("tenant-2", "Fabrikam")
        .now(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).single().expect("valid instant"))
        .collection(CollectionKind::Users, Collection::ok(vec![user("alice", "2026-05-30T00:00:00Z")]))
        .collection(
            CollectionKind::SubscribedSkus,
            Collection::ok(vec![sku("AAD_PREMIUM_P2", "Enabled", &[AAD_PREMIUM_P2])]),
        )
        .collection(
            CollectionKind::RoleAssignments,
            Collection::ok(vec![role_assignment("ra-1", "alice", GLOBAL_ADMIN)]),
        )
        .collection(
            CollectionKind::RoleAssignmentInstances,
            Collection::ok(vec![json!({
                "id": "rai-1", "principalId": "alice", "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/",
                "assignmentType": "Assigned", "memberType": "Direct", "startDateTime": "2025-02-01T00:00:00Z", "endDateTime": null,
            })]),
        )
        .build();
    let assessment = Engine::evaluate(&PolicyPack::builtin(), &document);
    let result = assessment
        .result("entra.roles.no-permanent-active-assignments")
        .expect("result");
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.evidence[0].id, "rai-1");
    assert_eq!(result.evidence[0].display_name, "alice@contoso.example");
    // P2 without the eligibility instances: counts of Global Administrators would be short.
    let count = assessment
        .result("entra.roles.global-admin-count-cis")
        .expect("result");
    assert_eq!(count.status, Status::Error);
    assert!(
        count.reason.contains("role_eligibility_instances"),
        "{}",
        count.reason
    );
}

#[test]
fn readme_lists_every_builtin_control() {
    let readme = include_str!("../README.md");
    let missing: Vec<String> = PolicyPack::builtin()
        .controls()
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| !readme.contains(&format!("`{id}`")))
        .collect();
    assert!(missing.is_empty(), "README.md does not list {missing:?}");
}
