//! Every collection of every profile, checked against the Graph v1.0 schema: zero problems.

mod schema;

use posture_graph_sim::{Licences, Profile, SimConfig, Simulator, TenantSpec, ThrottleMode};
use serde_json::Value;

const GRAPH_COLLECTIONS: &[(&str, &str)] = &[
    ("users", "microsoft.graph.user"),
    ("groups", "microsoft.graph.group"),
    (
        "reports/authenticationMethods/userRegistrationDetails",
        "microsoft.graph.userRegistrationDetails",
    ),
    (
        "identity/conditionalAccess/policies",
        "microsoft.graph.conditionalAccessPolicy",
    ),
    (
        "identity/conditionalAccess/namedLocations",
        "microsoft.graph.namedLocation",
    ),
    ("directoryRoles", "microsoft.graph.directoryRole"),
    (
        "roleManagement/directory/roleAssignments",
        "microsoft.graph.unifiedRoleAssignment",
    ),
    (
        "roleManagement/directory/roleDefinitions",
        "microsoft.graph.unifiedRoleDefinition",
    ),
    (
        "roleManagement/directory/roleEligibilityScheduleInstances",
        "microsoft.graph.unifiedRoleEligibilityScheduleInstance",
    ),
    (
        "roleManagement/directory/roleAssignmentScheduleInstances",
        "microsoft.graph.unifiedRoleAssignmentScheduleInstance",
    ),
    (
        "roleManagement/directory/roleEligibilitySchedules",
        "microsoft.graph.unifiedRoleEligibilitySchedule",
    ),
    (
        "policies/roleManagementPolicies",
        "microsoft.graph.unifiedRoleManagementPolicy",
    ),
    (
        "policies/roleManagementPolicyAssignments",
        "microsoft.graph.unifiedRoleManagementPolicyAssignment",
    ),
    (
        "policies/authorizationPolicy",
        "microsoft.graph.authorizationPolicy",
    ),
    (
        "policies/authenticationMethodsPolicy",
        "microsoft.graph.authenticationMethodsPolicy",
    ),
    (
        "policies/identitySecurityDefaultsEnforcementPolicy",
        "microsoft.graph.identitySecurityDefaultsEnforcementPolicy",
    ),
    (
        "policies/defaultAppManagementPolicy",
        "microsoft.graph.tenantAppManagementPolicy",
    ),
    ("settings", "microsoft.graph.groupSetting"),
    ("domains", "microsoft.graph.domain"),
    ("organization", "microsoft.graph.organization"),
    ("subscribedSkus", "microsoft.graph.subscribedSku"),
    ("applications", "microsoft.graph.application"),
    ("servicePrincipals", "microsoft.graph.servicePrincipal"),
    ("deviceManagement/managedDevices", "microsoft.graph.managedDevice"),
    (
        "deviceManagement/deviceCompliancePolicies",
        "microsoft.graph.deviceCompliancePolicy",
    ),
    ("security/alerts_v2", "microsoft.graph.security.alert"),
    ("security/incidents", "microsoft.graph.security.incident"),
    ("security/secureScores", "microsoft.graph.secureScore"),
    (
        "security/secureScoreControlProfiles",
        "microsoft.graph.secureScoreControlProfile",
    ),
    ("admin/sharepoint/settings", "microsoft.graph.sharepointSettings"),
    (
        "admin/serviceAnnouncement/healthOverviews",
        "microsoft.graph.serviceHealth",
    ),
    (
        "admin/serviceAnnouncement/issues",
        "microsoft.graph.serviceHealthIssue",
    ),
    ("auditLogs/directoryAudits", "microsoft.graph.directoryAudit"),
    ("auditLogs/signIns", "microsoft.graph.signIn"),
];

/// Nested objects that the collections embed and the schema types separately.
fn nested(collection: &str, obj: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if collection == "policies/roleManagementPolicies" {
        for r in obj["rules"].as_array().into_iter().flatten() {
            out.push(("microsoft.graph.unifiedRoleManagementPolicyRule", r.clone()));
        }
    }
    if collection == "policies/authenticationMethodsPolicy" {
        for c in obj["authenticationMethodConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.push(("microsoft.graph.authenticationMethodConfiguration", c.clone()));
        }
    }
    if collection == "identity/conditionalAccess/policies"
        && obj["grantControls"]["authenticationStrength"].is_object()
    {
        out.push((
            "microsoft.graph.authenticationStrengthPolicy",
            obj["grantControls"]["authenticationStrength"].clone(),
        ));
    }
    out
}

#[tokio::test]
async fn every_collection_of_every_profile_conforms_to_the_graph_schema() {
    let schema = schema::schema();
    let sim = Simulator::start(SimConfig::default()).await.expect("sim");
    let mut problems = Vec::new();
    let mut checked = 0usize;
    for (k, profile) in Profile::ALL.into_iter().enumerate() {
        for licences in [
            Licences::default(),
            Licences {
                e5: false,
                ..Licences::default()
            },
        ] {
            let spec = TenantSpec {
                profile,
                seed: 10 + k as u64,
                users: 120,
                licences,
                throttling: ThrottleMode::Off,
                ..TenantSpec::default()
            };
            let info = sim.create_tenant(spec).expect("tenant");
            let tid = info.tenant_id.to_string();
            for (collection, ty) in GRAPH_COLLECTIONS {
                assert!(schema.has_type(ty), "{ty} is in the schema");
                let truth = sim.ground_truth(&tid, collection).expect(collection);
                assert!(
                    truth.count > 0 || collection.contains("Eligibility"),
                    "{collection} is empty for {profile:?}"
                );
                for (i, obj) in truth.objects.iter().enumerate().step_by(7.max(truth.count / 40)) {
                    schema.check_object(ty, obj, &format!("{profile:?} {collection}[{i}]"), &mut problems);
                    for (nty, n) in nested(collection, obj) {
                        schema.check_object(
                            nty,
                            &n,
                            &format!("{profile:?} {collection}[{i}] nested"),
                            &mut problems,
                        );
                    }
                    checked += 1;
                }
                if let Some(first) = truth.objects.first() {
                    schema.check_object(ty, first, &format!("{profile:?} {collection}[0]"), &mut problems);
                }
            }
            let groups = sim.ground_truth(&tid, "groups").expect("groups");
            for g in groups.objects.iter().take(5) {
                let id = g["id"].as_str().expect("id");
                let members = sim
                    .ground_truth(&tid, &format!("groups/{id}/members"))
                    .expect("members");
                for m in members.objects.iter().take(20) {
                    schema.check_object(
                        "microsoft.graph.directoryObject",
                        m,
                        &format!("{profile:?} groups/{id}/members"),
                        &mut problems,
                    );
                }
            }
        }
    }
    assert!(checked > 500, "sampled {checked} objects");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
