//! App registrations, service principals and Microsoft Graph application permissions over the
//! simulator's three profiles: stored as the tenant holds them, owners expanded onto each app,
//! every granted permission resolvable to its name through Graph's app roles, and the three kinds
//! failing alone, naming Application.Read.All, when it is not granted.

use posture_graph_sim::Profile;

use crate::failures::assert_permission_gap_fails_only;
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};

const APP_KINDS: &[&str] = &["applications", "graph_app_role_assignments", "service_principals"];
const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

#[tokio::test]
async fn app_kinds_match_the_simulator_for_every_profile() {
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, APP_KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, APP_KINDS).await;

        let apps = stored_objects(&process, &tid, "applications").await;
        assert_eq!(apps.len(), 3, "{profile:?}");
        let unowned = apps
            .values()
            .filter(|a| a["owners"].as_array().is_some_and(Vec::is_empty))
            .count();
        assert!(
            apps.values().all(|a| a["owners"].is_array()),
            "owners are expanded onto every app"
        );
        let want_unowned = match profile {
            Profile::Hardened => 0,
            Profile::Typical => 1,
            Profile::Neglected => 3,
        };
        assert_eq!(unowned, want_unowned, "{profile:?}");
        for app in apps.values() {
            for owner in app["owners"].as_array().into_iter().flatten() {
                assert!(owner["userPrincipalName"].is_string(), "{owner}");
            }
            for secret in app["passwordCredentials"].as_array().into_iter().flatten() {
                assert!(secret["secretText"].is_null(), "no secret value is stored");
            }
        }

        let sps = stored_objects(&process, &tid, "service_principals").await;
        let graph = sps
            .values()
            .find(|s| s["appId"] == GRAPH)
            .expect("Microsoft Graph's service principal");
        let roles = graph["appRoles"].as_array().expect("Graph's app roles");
        let grants = stored_objects(&process, &tid, "graph_app_role_assignments").await;
        assert!(!grants.is_empty());
        for g in grants.values() {
            assert_eq!(g["resourceId"], graph["id"]);
            assert!(
                sps.contains_key(g["principalId"].as_str().expect("principalId")),
                "{g}"
            );
            assert!(
                roles.iter().any(|r| r["id"] == g["appRoleId"]),
                "{} resolves to a permission name",
                g["appRoleId"]
            );
        }
        let writers = grants
            .values()
            .filter_map(|g| roles.iter().find(|r| r["id"] == g["appRoleId"]))
            .filter(|r| {
                r["value"]
                    .as_str()
                    .is_some_and(|v| v.contains("ReadWrite") || v.contains("FullControl"))
            })
            .count();
        assert_eq!(
            writers == 0,
            profile == Profile::Hardened,
            "{profile:?}: {writers}"
        );
    }
}

#[tokio::test]
async fn applications_without_application_read_fail_alone() {
    assert_permission_gap_fails_only(
        "Application.Read.All",
        "applications",
        "applications",
        &["domains", "app_management_policies"],
    )
    .await;
}

#[tokio::test]
async fn granted_permissions_without_application_read_fail_alone() {
    assert_permission_gap_fails_only(
        "Application.Read.All",
        "graph_app_role_assignments",
        "appRoleAssignedTo",
        &["domains", "organization"],
    )
    .await;
}
