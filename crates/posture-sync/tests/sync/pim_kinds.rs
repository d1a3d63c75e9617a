//! The PIM, access review and SharePoint kinds over the simulator's three profiles: each stored as
//! the tenant holds it, the role policies with their rules expanded, access reviews and SharePoint
//! settings missing their permission failing alone (the PIM kinds also accept
//! RoleManagement.Read.Directory, which the role kinds need anyway), and the P2 kinds skipped with the licence as reason without P2.

use posture_graph_sim::{Licences, Profile, TenantSpec};
use posture_proto::v1 as pb;

use crate::failures::assert_permission_gap_fails_only;
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};
use crate::world::{entity, sqlite_world, sync_and_wait};

const KINDS: &[&str] = &[
    "access_review_definitions",
    "role_assignment_schedules",
    "role_eligibility_schedules",
    "role_management_policy_assignments",
    "sharepoint_settings",
];

const P2_KINDS: &[&str] = &[
    "access_review_definitions",
    "role_assignment_schedules",
    "role_eligibility_schedules",
    "role_management_policy_assignments",
];

#[tokio::test]
async fn pim_access_review_and_sharepoint_kinds_match_the_simulator_for_every_profile() {
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, KINDS).await;

        // Every directory role policy comes with its policy and rules, as the controls read them.
        let policies = stored_objects(&process, &tid, "role_management_policy_assignments").await;
        assert!(!policies.is_empty(), "{profile:?}");
        for (id, a) in &policies {
            assert_eq!(a["scopeType"], "DirectoryRole", "{id}");
            let rules = a["policy"]["rules"].as_array().expect("rules expanded");
            assert!(
                rules.iter().any(|r| r["id"] == "Approval_EndUser_Assignment"),
                "{id}"
            );
            assert!(
                rules
                    .iter()
                    .any(|r| r["id"] == "Notification_Admin_EndUser_Assignment"),
                "{id}"
            );
        }
        let ga = policies
            .values()
            .find(|a| a["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10")
            .expect("the Global Administrator policy");
        let approval = ga["policy"]["rules"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == "Approval_EndUser_Assignment"))
            .expect("approval rule");
        assert_eq!(
            approval["setting"]["isApprovalRequired"],
            profile == Profile::Hardened
        );

        let schedules = stored_objects(&process, &tid, "role_assignment_schedules").await;
        let outside_pim = schedules.values().filter(|s| s["createdUsing"].is_null()).count();
        assert_eq!(outside_pim == 0, profile == Profile::Hardened, "{profile:?}");

        let reviews = stored_objects(&process, &tid, "access_review_definitions").await;
        assert_eq!(reviews.is_empty(), profile == Profile::Neglected);

        let sharepoint = stored_objects(&process, &tid, "sharepoint_settings").await;
        let settings = sharepoint
            .get("sharepoint_settings")
            .expect("stored under the kind's name");
        assert_eq!(
            settings["isUnmanagedSyncAppForTenantRestricted"],
            profile == Profile::Hardened
        );
    }
}

#[tokio::test]
async fn pim_kinds_are_skipped_for_the_licence_without_p2() {
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        licences: Licences {
            p2: false,
            e5: false,
            ..Licences::default()
        },
        ..TenantSpec::default()
    })
    .await;
    let kinds: Vec<&str> = P2_KINDS.iter().copied().chain(["sharepoint_settings"]).collect();
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    for kind in P2_KINDS {
        let e = entity(&run, kind);
        assert_eq!(e.state, pb::EntitySyncState::Skipped as i32, "{kind}");
        let reason = e.error.clone().expect("a reason");
        assert_eq!(reason.error_class, pb::ErrorClass::License as i32, "{kind}");
        assert!(reason.message.contains("P2"), "{kind}: {reason:?}");
    }
    assert_eq!(
        entity(&run, "sharepoint_settings").state,
        pb::EntitySyncState::Succeeded as i32
    );
}

#[tokio::test]
async fn access_reviews_without_their_permission_fail_alone() {
    assert_permission_gap_fails_only(
        "AccessReview.Read.All",
        "access_review_definitions",
        "identityGovernance/accessReviews/definitions",
        &["role_eligibility_schedules"],
    )
    .await;
}

#[tokio::test]
async fn sharepoint_settings_without_their_permission_fail_alone() {
    assert_permission_gap_fails_only(
        "SharePointTenantSettings.Read.All",
        "sharepoint_settings",
        "admin/sharepoint/settings",
        &["role_management_policy_assignments"],
    )
    .await;
}
