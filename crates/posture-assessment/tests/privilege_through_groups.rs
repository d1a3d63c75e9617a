//! Privilege held through a role-assignable group counts its members everywhere a control judges
//! privileged users: the Global Administrator count, cloud-only administrators, MFA registration
//! and the administrators' licence footprint. Each test is named after the rule it holds.

use chrono::{TimeZone, Utc};
use posture_assessment::{
    Assessment, Collection, CollectionKind, Engine, PolicyPack, Status, TenantDocumentBuilder,
};
use serde_json::{Value, json};

const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const TIER0: &str = "9a1e0000-0000-0000-0000-0000000000g0";
const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
const P2: &str = "84a661c4-e949-4bd2-a560-ed7766fcaf2b";
/// The member of the Tier 0 group: synced from on-premises, licensed for E5, no MFA method.
const GROUP_ADMIN: &str = "u-group-admin";

fn user(id: &str, synced: bool, licences: &[&str]) -> Value {
    json!({
        "id": id,
        "displayName": id,
        "userPrincipalName": format!("{id}@contoso.example"),
        "userType": "Member",
        "accountEnabled": true,
        "createdDateTime": "2024-01-01T00:00:00Z",
        "onPremisesSyncEnabled": if synced { json!(true) } else { Value::Null },
        "onPremisesImmutableId": if synced { json!("aW1tdXRhYmxl") } else { Value::Null },
        "assignedLicenses": licences.iter().map(|s| json!({"skuId": s, "disabledPlans": []})).collect::<Vec<_>>(),
    })
}

fn registration(id: &str, mfa: bool) -> Value {
    json!({"id": id, "userPrincipalName": format!("{id}@contoso.example"), "isMfaRegistered": mfa, "methodsRegistered": []})
}

fn ga_assignment(principal: &str, odata_type: &str) -> Value {
    json!({
        "id": format!("ra-{principal}"),
        "principalId": principal,
        "roleDefinitionId": GLOBAL_ADMIN,
        "directoryScopeId": "/",
        "principal": {"@odata.type": odata_type, "id": principal},
    })
}

/// `direct` cloud-only, MFA-registered, Entra-P2-only Global Administrators, plus the Tier 0 group
/// holding the role with `GROUP_ADMIN` as its member; `members` is the group's
/// `group_transitive_members` collection (`None`: not synced).
fn tenant(direct: usize, members: Option<Collection>) -> Assessment {
    let admins: Vec<String> = (0..direct).map(|i| format!("u-admin-{i}")).collect();
    let mut users: Vec<Value> = admins.iter().map(|id| user(id, false, &[P2])).collect();
    users.push(user(GROUP_ADMIN, true, &[E5]));
    let mut registrations: Vec<Value> = admins.iter().map(|id| registration(id, true)).collect();
    registrations.push(registration(GROUP_ADMIN, false));
    let mut assignments: Vec<Value> = admins
        .iter()
        .map(|id| ga_assignment(id, "#microsoft.graph.user"))
        .collect();
    assignments.push(ga_assignment(TIER0, "#microsoft.graph.group"));
    let skus = vec![
        json!({"skuId": E5, "skuPartNumber": "SPE_E5", "capabilityStatus": "Enabled", "servicePlans": [
            {"servicePlanId": "eec0eb4f-6444-4f95-aba0-50c24d67f998", "provisioningStatus": "Success"}]}),
        json!({"skuId": P2, "skuPartNumber": "AAD_PREMIUM_P2", "capabilityStatus": "Enabled", "servicePlans": [
            {"servicePlanId": "eec0eb4f-6444-4f95-aba0-50c24d67f998", "provisioningStatus": "Success"}]}),
    ];
    let groups = vec![json!({
        "id": TIER0, "displayName": "Tier 0 Admins", "groupTypes": [], "securityEnabled": true,
        "isAssignableToRole": true,
    })];
    let mut builder = TenantDocumentBuilder::new("tenant-1", "Contoso")
        .now(
            Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
                .single()
                .expect("instant"),
        )
        .collection(CollectionKind::Users, Collection::ok(users))
        .collection(
            CollectionKind::UserRegistrationDetails,
            Collection::ok(registrations),
        )
        .collection(CollectionKind::RoleAssignments, Collection::ok(assignments))
        .collection(CollectionKind::RoleDefinitions, Collection::ok(vec![]))
        .collection(CollectionKind::RoleEligibilityInstances, Collection::ok(vec![]))
        .collection(CollectionKind::RoleAssignmentInstances, Collection::ok(vec![]))
        .collection(CollectionKind::SubscribedSkus, Collection::ok(skus))
        .collection(CollectionKind::Groups, Collection::ok(groups));
    if let Some(members) = members {
        builder = builder.collection(CollectionKind::GroupTransitiveMembers, members);
    }
    Engine::evaluate(&PolicyPack::builtin(), &builder.build())
}

fn tier0_members() -> Collection {
    Collection::ok(vec![json!({
        "id": TIER0,
        "isAssignableToRole": true,
        "namedBy": ["role_assignable"],
        "members": [{
            "@odata.type": "#microsoft.graph.user",
            "id": GROUP_ADMIN,
            "userPrincipalName": format!("{GROUP_ADMIN}@contoso.example"),
            "onPremisesSyncEnabled": true,
        }],
    })])
}

fn result<'a>(assessment: &'a Assessment, id: &str) -> &'a posture_assessment::ControlResult {
    assessment
        .result(id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

fn evidence_ids(r: &posture_assessment::ControlResult) -> Vec<&str> {
    r.evidence.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn a_global_admin_held_through_a_group_counts_in_the_global_admin_count() {
    // Four direct holders pass CIS (two to four); the group's member makes five.
    let assessment = tenant(4, Some(tier0_members()));
    let cis = result(&assessment, "entra.roles.global-admin-count-cis");
    assert_eq!(cis.status, Status::Fail, "{}", cis.reason);
    assert!(
        cis.reason.starts_with("5 Global Administrators"),
        "{}",
        cis.reason
    );
    let member = cis
        .evidence
        .iter()
        .find(|e| e.id == GROUP_ADMIN)
        .expect("the group's member is a holder");
    assert!(member.detail.contains(TIER0), "{}", member.detail);
    assert!(
        !evidence_ids(cis).contains(&TIER0),
        "the group is not a holder itself"
    );

    // One direct holder fails "at least two" without the group and passes with it.
    let assessment = tenant(1, Some(tier0_members()));
    let cis = result(&assessment, "entra.roles.global-admin-count-cis");
    assert_eq!(cis.status, Status::Pass, "{}", cis.reason);
}

#[test]
fn a_global_admin_synced_from_on_premises_through_a_group_fails_admins_cloud_only() {
    let assessment = tenant(2, Some(tier0_members()));
    let cloud_only = result(&assessment, "entra.roles.admins-cloud-only");
    assert_eq!(cloud_only.status, Status::Fail, "{}", cloud_only.reason);
    assert_eq!(evidence_ids(cloud_only), vec![GROUP_ADMIN]);
    assert!(
        cloud_only.evidence[0].detail.contains(TIER0),
        "{}",
        cloud_only.evidence[0].detail
    );
}

#[test]
fn an_admin_held_through_a_group_without_mfa_fails_admins_mfa_registered() {
    let assessment = tenant(2, Some(tier0_members()));
    let mfa = result(&assessment, "posture.mfa.admins-registered");
    assert_eq!(mfa.status, Status::Fail, "{}", mfa.reason);
    assert_eq!(evidence_ids(mfa), vec![GROUP_ADMIN]);
}

#[test]
fn an_admin_held_through_a_group_counts_in_the_admin_licence_footprint() {
    let assessment = tenant(2, Some(tier0_members()));
    let footprint = result(&assessment, "entra.roles.admin-licence-footprint");
    assert_eq!(footprint.status, Status::Fail, "{}", footprint.reason);
    assert_eq!(evidence_ids(footprint), vec![GROUP_ADMIN]);
    assert!(footprint.evidence[0].detail.contains("SPE_E5"));
}

#[test]
fn a_privileged_group_whose_members_are_unknown_makes_per_user_admin_controls_an_error() {
    // Without the group's members nothing can be said of them: error, never a silent pass.
    let assessment = tenant(2, None);
    for id in [
        "entra.roles.admins-cloud-only",
        "posture.mfa.admins-registered",
        "entra.roles.admin-licence-footprint",
    ] {
        let r = result(&assessment, id);
        assert_eq!(r.status, Status::Error, "{id}: {}", r.reason);
        assert!(r.reason.contains(TIER0), "{id}: {}", r.reason);
        assert!(
            r.reason.contains("group_transitive_members"),
            "{id}: {}",
            r.reason
        );
    }
    // The count still counts the group once and says its members were not synced.
    let count = result(&assessment, "entra.roles.global-admin-count-cis");
    assert_eq!(count.status, Status::Warning, "{}", count.reason);
}

#[test]
fn members_of_nested_groups_count_through_the_transitive_membership() {
    // The transitive list names the nested group and its member; the member is the holder.
    let members = Collection::ok(vec![json!({
        "id": TIER0,
        "isAssignableToRole": true,
        "members": [
            {"@odata.type": "#microsoft.graph.group", "id": "g-nested"},
            {"@odata.type": "#microsoft.graph.user", "id": GROUP_ADMIN},
        ],
    })]);
    let assessment = tenant(1, Some(members));
    let cis = result(&assessment, "entra.roles.global-admin-count-cis");
    assert_eq!(cis.status, Status::Pass, "{}", cis.reason);
    assert!(!evidence_ids(cis).contains(&"g-nested"));
}
