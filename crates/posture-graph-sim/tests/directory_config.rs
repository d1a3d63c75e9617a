//! Directory configuration endpoints: served at their Graph v1.0 paths with Graph's shapes for
//! every profile, gated by the permissions Microsoft Learn names, and different where the
//! profiles differ.

mod common;
mod schema;

use common::*;
use posture_graph_sim::{Profile, SimConfig, Simulator, TenantSpec, ThrottleMode};
use serde_json::Value;

/// Collections and singletons whose types the schema subset has.
const TYPED: &[(&str, &str)] = &[
    ("groupSettings", "microsoft.graph.groupSetting"),
    (
        "policies/deviceRegistrationPolicy",
        "microsoft.graph.deviceRegistrationPolicy",
    ),
    (
        "policies/crossTenantAccessPolicy/default",
        "microsoft.graph.crossTenantAccessPolicyConfigurationDefault",
    ),
    (
        "policies/appManagementPolicies",
        "microsoft.graph.appManagementPolicy",
    ),
    (
        "policies/defaultAppManagementPolicy",
        "microsoft.graph.tenantAppManagementPolicy",
    ),
];

/// Types the schema subset lacks: their properties as Microsoft Learn's resource pages list them.
const UNTYPED: &[(&str, &[&str])] = &[
    (
        "policies/adminConsentRequestPolicy",
        &[
            "id",
            "isEnabled",
            "notifyReviewers",
            "remindersEnabled",
            "requestDurationInDays",
            "reviewers",
            "version",
        ],
    ),
    (
        "policies/activityBasedTimeoutPolicies",
        &[
            "id",
            "deletedDateTime",
            "definition",
            "description",
            "displayName",
            "isOrganizationDefault",
        ],
    ),
    (
        "directory/onPremisesSynchronization",
        &["id", "configuration", "features"],
    ),
    (
        "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications",
        &["id", "classification", "permissionId", "permissionName"],
    ),
];

fn spec(profile: Profile, permissions: Option<&[&str]>) -> TenantSpec {
    TenantSpec {
        profile,
        users: 40,
        permissions: permissions.map(|p| p.iter().map(|s| s.to_string()).collect()),
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

#[tokio::test]
async fn directory_configuration_of_every_profile_has_graph_shapes() {
    let schema = schema::schema();
    let sim = Simulator::start(SimConfig::default()).await.expect("sim");
    let mut problems = Vec::new();
    for profile in Profile::ALL {
        let info = sim.create_tenant(spec(profile, None)).expect("tenant");
        let tid = info.tenant_id.to_string();
        for (path, ty) in TYPED {
            assert!(schema.has_type(ty), "{ty} is in the schema");
            let truth = sim.ground_truth(&tid, path).expect(path);
            for (i, obj) in truth.objects.iter().enumerate() {
                schema.check_object(ty, obj, &format!("{profile:?} {path}[{i}]"), &mut problems);
            }
        }
        for (path, fields) in UNTYPED {
            let truth = sim.ground_truth(&tid, path).expect(path);
            for obj in &truth.objects {
                let keys: Vec<&str> = obj
                    .as_object()
                    .expect("an object")
                    .keys()
                    .map(String::as_str)
                    .collect();
                for key in &keys {
                    assert!(fields.contains(key), "{profile:?} {path}: unknown property {key}");
                }
                assert!(obj["id"].is_string(), "{profile:?} {path}: id");
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn configuration_is_served_over_http_at_graph_paths() {
    let (sim, info) = sim_with(spec(Profile::Typical, None)).await;
    let token = graph_token(&sim, &info).await;

    let (status, settings) = get_json(&sim, &token, "/graph/v1.0/groupSettings").await;
    assert_eq!(status, 200, "{settings}");
    assert!(
        settings["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("$metadata#groupSettings"))
    );
    let templates: Vec<&str> = settings["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter_map(|s| s["templateId"].as_str())
        .collect();
    assert!(
        templates.contains(&"dffd5d46-495d-40a9-8e21-954ff55e198a"),
        "{templates:?}"
    );

    let (status, policy) = get_json(&sim, &token, "/graph/v1.0/policies/adminConsentRequestPolicy").await;
    assert_eq!(status, 200, "{policy}");
    assert_eq!(policy["isEnabled"], true);
    assert!(
        policy["@odata.context"]
            .as_str()
            .is_some_and(|c| c.contains("policies/adminConsentRequestPolicy"))
    );
    assert!(
        policy["reviewers"][0]["query"]
            .as_str()
            .is_some_and(|q| q.starts_with("/users/"))
    );

    let (status, default) = get_json(
        &sim,
        &token,
        "/graph/v1.0/policies/crossTenantAccessPolicy/default",
    )
    .await;
    assert_eq!(status, 200, "{default}");
    assert_eq!(default["isServiceDefault"], false);
    assert!(
        default.get("id").is_none(),
        "Graph answers the default without an id"
    );

    let (status, sync) = get_json(&sim, &token, "/graph/v1.0/directory/onPremisesSynchronization").await;
    assert_eq!(status, 200, "{sync}");
    assert_eq!(sync["value"][0]["id"], info.tenant_id.to_string());
    assert_eq!(sync["value"][0]["features"]["passwordSyncEnabled"], true);

    let (classifications, pages) = all_pages(
        &sim,
        &token,
        "/graph/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications",
    )
    .await;
    assert_eq!(pages, 1);
    assert!(classifications.iter().all(|c| c["classification"] == "low"));
    assert!(classifications.iter().any(|c| c["permissionName"] == "openid"));

    let (status, device) = get_json(&sim, &token, "/graph/v1.0/policies/deviceRegistrationPolicy").await;
    assert_eq!(status, 200, "{device}");
    assert_eq!(device["multiFactorAuthConfiguration"], "required");
}

#[tokio::test]
async fn device_registration_policy_needs_its_own_permission_not_policy_read_all() {
    let (sim, info) = sim_with(spec(Profile::Typical, Some(&["Policy.Read.All"]))).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = get_json(&sim, &token, "/graph/v1.0/policies/deviceRegistrationPolicy").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    // Policy.Read.All is enough for the other policies.
    for path in [
        "policies/adminConsentRequestPolicy",
        "policies/activityBasedTimeoutPolicies",
        "policies/appManagementPolicies",
        "policies/crossTenantAccessPolicy/default",
    ] {
        let (status, body) = get_json(&sim, &token, &format!("/graph/v1.0/{path}")).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    for path in [
        "groupSettings",
        "directory/onPremisesSynchronization",
        "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications",
    ] {
        let (status, body) = get_json(&sim, &token, &format!("/graph/v1.0/{path}")).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
}

fn low_names(truth: &[Value]) -> Vec<String> {
    truth
        .iter()
        .filter(|c| c["classification"] == "low")
        .filter_map(|c| c["permissionName"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn profiles_differ_where_the_benchmarks_look() {
    let sim = Simulator::start(SimConfig::default()).await.expect("sim");
    let tenant = |profile| {
        sim.create_tenant(spec(profile, None))
            .expect("tenant")
            .tenant_id
            .to_string()
    };
    let (hardened, neglected) = (tenant(Profile::Hardened), tenant(Profile::Neglected));
    let one = |tid: &str, path: &str| sim.ground_truth(tid, path).expect(path).objects;
    let classifications =
        "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/delegatedPermissionClassifications";
    let risky = ["Mail.Read", "Files.Read.All", "Directory.ReadWrite.All"];
    assert!(
        low_names(&one(&hardened, classifications))
            .iter()
            .all(|n| !risky.contains(&n.as_str()))
    );
    assert!(
        low_names(&one(&neglected, classifications))
            .iter()
            .any(|n| risky.contains(&n.as_str()))
    );

    let consent = |tid: &str| one(tid, "policies/adminConsentRequestPolicy")[0]["isEnabled"].clone();
    assert_eq!(
        (consent(&hardened), consent(&neglected)),
        (true.into(), false.into())
    );

    assert_eq!(one(&hardened, "policies/activityBasedTimeoutPolicies").len(), 1);
    assert!(one(&neglected, "policies/activityBasedTimeoutPolicies").is_empty());
    let definition = one(&hardened, "policies/activityBasedTimeoutPolicies")[0]["definition"][0]
        .as_str()
        .map(|d| serde_json::from_str::<Value>(d).expect("definition is JSON"))
        .expect("definition");
    assert_eq!(
        definition["ActivityBasedTimeoutPolicy"]["ApplicationPolicies"][0]["WebSessionIdleTimeout"],
        "01:00:00"
    );

    let device =
        |tid: &str| one(tid, "policies/deviceRegistrationPolicy")[0]["multiFactorAuthConfiguration"].clone();
    assert_eq!(
        (device(&hardened), device(&neglected)),
        ("required".into(), "notRequired".into())
    );
    let cross =
        |tid: &str| one(tid, "policies/crossTenantAccessPolicy/default")[0]["isServiceDefault"].clone();
    assert_eq!((cross(&hardened), cross(&neglected)), (false.into(), true.into()));
}
