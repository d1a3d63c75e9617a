//! The directory configuration kinds over the simulator's three profiles: each stored exactly as
//! the tenant holds it, a singleton Graph answers without an id stored under the kind's name, and
//! each kind missing its permission fails alone, naming the permission.

use posture_graph_sim::{Profile, TenantSpec};
use posture_proto::v1 as pb;

use crate::failures::assert_permission_gap_fails_only;
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};
use crate::world::{sqlite_world, sync_and_wait};

const CONFIG_KINDS: &[&str] = &[
    "activity_based_timeout_policies",
    "admin_consent_request_policy",
    "app_management_policies",
    "authentication_methods_policy",
    "cross_tenant_access_default",
    "default_app_management_policy",
    "delegated_permission_classifications",
    "device_registration_policy",
    "directory_settings",
    "domains",
    "on_premises_synchronization",
];

#[tokio::test]
async fn configuration_kinds_match_the_simulator_for_every_profile() {
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, CONFIG_KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, CONFIG_KINDS).await;

        let default = stored_objects(&process, &tid, "cross_tenant_access_default").await;
        let stored = default
            .get("cross_tenant_access_default")
            .expect("stored under the kind's name");
        assert_eq!(stored["isServiceDefault"], profile == Profile::Neglected);

        let methods = stored_objects(&process, &tid, "authentication_methods_policy").await;
        let policy = methods.get("authenticationMethodsPolicy").expect("the policy");
        assert!(
            policy["authenticationMethodConfigurations"]
                .as_array()
                .is_some_and(|c| c.iter().any(|m| m["id"] == "Fido2")),
            "method configurations are inline"
        );
        let classifications = stored_objects(&process, &tid, "delegated_permission_classifications").await;
        assert!(!classifications.is_empty());
        assert!(classifications.values().all(|c| c["classification"] == "low"));
        let timeouts = stored_objects(&process, &tid, "activity_based_timeout_policies").await;
        assert_eq!(timeouts.is_empty(), profile == Profile::Neglected);
    }
}

#[tokio::test]
async fn users_carry_every_property_the_controls_read() {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        profile: Profile::Typical,
        users: 200,
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(&process, &tenant, &["users"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let tid = tenant.tenant_id.to_string();
    assert_kinds_match_truth(&world, &process, &tid, &["users"]).await;
    let users = stored_objects(&process, &tid, "users").await;
    let synced: Vec<_> = users
        .values()
        .filter(|u| u["onPremisesSyncEnabled"] == true)
        .collect();
    assert!(!synced.is_empty(), "the typical tenant has synced users");
    assert!(synced.iter().all(|u| u["onPremisesImmutableId"].is_string()));
    assert!(
        users
            .values()
            .filter(|u| u["userType"] == "Guest")
            .all(|u| u.get("externalUserStateChangeDateTime").is_some())
    );
}

#[tokio::test]
async fn device_registration_policy_without_its_permission_fails_alone() {
    assert_permission_gap_fails_only(
        "Policy.Read.DeviceConfiguration",
        "device_registration_policy",
        "policies/deviceRegistrationPolicy",
        &["admin_consent_request_policy", "cross_tenant_access_default"],
    )
    .await;
}

#[tokio::test]
async fn directory_settings_without_group_settings_permission_fails_alone() {
    assert_permission_gap_fails_only(
        "GroupSettings.Read.All",
        "directory_settings",
        "groupSettings",
        &["domains", "authentication_methods_policy"],
    )
    .await;
}

#[tokio::test]
async fn permission_classifications_without_application_read_fail_alone() {
    assert_permission_gap_fails_only(
        "Application.Read.All",
        "delegated_permission_classifications",
        "delegatedPermissionClassifications",
        &["on_premises_synchronization", "app_management_policies"],
    )
    .await;
}
