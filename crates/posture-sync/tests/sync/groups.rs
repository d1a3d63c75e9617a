//! Groups and the transitive members of the groups that grant or scope privilege, over the
//! simulator's three profiles: stored as the tenant holds them, with each member's own properties.

use std::collections::{BTreeMap, BTreeSet};

use posture_graph_sim::{Profile, TenantSpec};
use posture_proto::v1 as pb;
use serde_json::Value;

use crate::failures::{all_permissions, assert_permission_gap_fails_only};
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};
use crate::world::{SyncProcess, World, entity, sqlite_world, sync_and_wait};

const GROUP_KINDS: &[&str] = &["groups", "group_transitive_members"];

fn ids(values: &[Value]) -> BTreeSet<String> {
    values
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_ascii_lowercase))
        .collect()
}

/// The groups whose members the sync must read, from the simulator's own data: role-assignable
/// ones, and those Conditional Access policies include or exclude (when `with_policies`).
fn expected_groups(world: &World, tenant: &str, with_policies: bool) -> BTreeSet<String> {
    let groups = world.sim.ground_truth(tenant, "groups").expect("groups");
    let mut out: BTreeSet<String> = groups
        .objects
        .iter()
        .filter(|g| g["isAssignableToRole"] == true)
        .filter_map(|g| g["id"].as_str().map(str::to_ascii_lowercase))
        .collect();
    if with_policies {
        let policies = world
            .sim
            .ground_truth(tenant, "identity/conditionalAccess/policies")
            .expect("policies");
        for p in &policies.objects {
            for field in ["includeGroups", "excludeGroups"] {
                for id in p["conditions"]["users"][field].as_array().into_iter().flatten() {
                    out.extend(id.as_str().map(str::to_ascii_lowercase));
                }
            }
        }
    }
    out
}

/// Asserts `group_transitive_members` holds exactly the expected groups, each with the members
/// the simulator lists for `groups/{id}/transitiveMembers`.
pub async fn assert_transitive_members_match_truth(
    world: &World,
    process: &SyncProcess,
    tenant: &str,
    with_policies: bool,
) -> BTreeMap<String, Value> {
    let stored = stored_objects(process, tenant, "group_transitive_members").await;
    let expected = expected_groups(world, tenant, with_policies);
    assert_eq!(
        stored.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "the groups whose members are read"
    );
    for (id, group) in &stored {
        let truth = world
            .sim
            .ground_truth(tenant, &format!("groups/{id}/transitiveMembers"))
            .expect("transitive members");
        let members = group["members"].as_array().expect("members");
        assert_eq!(ids(members), ids(&truth.objects), "members of {id}");
        assert!(
            members.iter().all(|m| m["@odata.type"].is_string()),
            "each member says its type: {group}"
        );
    }
    stored
}

#[tokio::test]
async fn group_kinds_match_the_simulator_for_every_profile() {
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, GROUP_KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, &["groups"]).await;
        let groups = stored_objects(&process, &tid, "groups").await;
        assert!(
            groups.values().all(|g| g.get("members@delta").is_none()),
            "membership is not taken from delta rounds"
        );
        let members = assert_transitive_members_match_truth(&world, &process, &tid, true).await;
        let role_assignable: Vec<&Value> = members
            .values()
            .filter(|g| g["isAssignableToRole"] == true)
            .collect();
        assert_eq!(role_assignable.len(), 1, "{profile:?}: the Tier 0 group");
        if profile == Profile::Typical {
            // The Global Administrator who holds the role through the group is synced from
            // on-premises, and its member entry says so.
            let synced: Vec<&Value> = role_assignable[0]["members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["onPremisesSyncEnabled"] == true)
                .collect();
            assert_eq!(synced.len(), 1, "{:#}", role_assignable[0]);
            assert_eq!(synced[0]["@odata.type"], "#microsoft.graph.user");
            assert!(synced[0]["userPrincipalName"].is_string());
            assert!(
                members
                    .values()
                    .any(|g| g["namedBy"] == serde_json::json!(["conditional_access"])),
                "the group typical's MFA policy excludes is read too"
            );
        }
    }
}

#[tokio::test]
async fn group_members_without_conditional_access_are_read_for_role_assignable_groups() {
    let permissions = all_permissions()
        .into_iter()
        .filter(|p| p != "Policy.Read.All")
        .collect();
    let (world, tenant, process) = sqlite_world(TenantSpec {
        profile: Profile::Typical,
        users: 60,
        permissions: Some(permissions),
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(&process, &tenant, &["group_transitive_members"]).await;
    assert_eq!(
        entity(&run, "group_transitive_members").state,
        pb::EntitySyncState::Succeeded as i32,
        "{run:#?}"
    );
    let tid = tenant.tenant_id.to_string();
    assert_transitive_members_match_truth(&world, &process, &tid, false).await;
}

#[tokio::test]
async fn group_members_without_their_permission_fail_alone() {
    assert_permission_gap_fails_only(
        "GroupMember.Read.All",
        "group_transitive_members",
        "groups",
        &["domains", "organization"],
    )
    .await;
}
