//! Changes in the tenant between runs: a disabled Conditional Access policy and a new Global
//! Administrator make new versions of exactly the changed objects; a deleted user is marked
//! removed, not forgotten.

use posture_graph_sim::{Mutation, TenantSpec};
use posture_proto::v1 as pb;

use crate::ground_truth::{assert_kinds_match_truth, stored_objects};
use crate::world::{entity, sqlite_world, sync_and_wait};

#[tokio::test]
async fn mutation_then_resync_versions_only_the_changed_objects() {
    let (world, tenant, process) = sqlite_world(TenantSpec::default()).await;
    let tid = tenant.tenant_id.to_string();
    let kinds = ["conditional_access_policies", "role_assignments"];
    let first = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(first.state, pb::SyncRunState::Succeeded as i32, "{first:#?}");
    let policies = stored_objects(&process, &tid, "conditional_access_policies").await;
    let target = policies
        .iter()
        .find(|(_, p)| p["state"] != "disabled")
        .map(|(id, _)| id.clone())
        .expect("an enabled policy");

    world
        .sim
        .mutate(
            &tid,
            Mutation::DisableCaPolicy {
                policy_id: target.clone(),
            },
        )
        .expect("policy disabled");
    world
        .sim
        .mutate(&tid, Mutation::AddGlobalAdmin { user_id: None })
        .expect("admin added");
    let second = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(second.state, pb::SyncRunState::Succeeded as i32, "{second:#?}");
    let ca = entity(&second, "conditional_access_policies")
        .counts
        .expect("counts");
    assert_eq!((ca.added, ca.changed, ca.removed), (0, 1, 0));
    assert_eq!(ca.unchanged as usize, policies.len() - 1);
    let ra = entity(&second, "role_assignments").counts.expect("counts");
    assert_eq!((ra.added, ra.changed, ra.removed), (1, 0, 0));
    assert_kinds_match_truth(
        &world,
        &process,
        &tid,
        &["conditional_access_policies", "role_assignments"],
    )
    .await;

    for id in policies.keys() {
        let object = process.object(&tid, "conditional_access_policies", id).await;
        let expected = if *id == target { 2 } else { 1 };
        assert_eq!(object.version, expected, "policy {id}");
    }
    let mut inventory = process.inventory();
    let versions = inventory
        .list_object_versions(pb::ListObjectVersionsRequest {
            tenant_id: tid.clone(),
            entity_kind: "conditional_access_policies".into(),
            object_id: target.clone(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("versions")
        .into_inner();
    assert_eq!(versions.versions.len(), 1);
    assert_eq!(versions.versions[0].version, 2);
    assert!(
        !versions.next_page_token.is_empty(),
        "the first version is on the next page"
    );
    let next = inventory
        .list_object_versions(pb::ListObjectVersionsRequest {
            tenant_id: tid.clone(),
            entity_kind: "conditional_access_policies".into(),
            object_id: target.clone(),
            page_size: 1,
            page_token: versions.next_page_token.clone(),
        })
        .await
        .expect("the next page")
        .into_inner();
    assert_eq!(
        next.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1]
    );
    assert!(next.next_page_token.is_empty(), "version 1 is the last");
    let old = inventory
        .get_object_version(pb::GetObjectVersionRequest {
            tenant_id: tid.clone(),
            entity_kind: "conditional_access_policies".into(),
            object_id: target.clone(),
            version: 1,
        })
        .await
        .expect("version 1")
        .into_inner()
        .version
        .expect("version");
    let old: serde_json::Value = serde_json::from_str(&old.content_json).expect("json");
    assert_ne!(old["state"], "disabled", "version 1 keeps the policy as it was");
}

#[tokio::test]
async fn removed_user_is_marked_removed() {
    let (world, tenant, process) = sqlite_world(TenantSpec::default()).await;
    let tid = tenant.tenant_id.to_string();
    sync_and_wait(&process, &tenant, &["users"]).await;
    let users = stored_objects(&process, &tid, "users").await;
    let victim = users.keys().last().expect("a user").clone();
    world
        .sim
        .mutate(
            &tid,
            Mutation::DeleteUser {
                user_id: victim.clone(),
            },
        )
        .expect("user deleted");

    let run = sync_and_wait(&process, &tenant, &["users"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let counts = entity(&run, "users").counts.expect("counts");
    assert_eq!((counts.added, counts.changed, counts.removed), (0, 0, 1));
    // The removed user is kept.
    let object = process.object(&tid, "users", &victim).await;
    assert!(object.removed);
    let kept: serde_json::Value = serde_json::from_str(&object.content_json).expect("json");
    assert_eq!(kept, users[&victim], "the last content is kept");
    let remaining = stored_objects(&process, &tid, "users").await;
    assert_eq!(remaining.len(), users.len() - 1);
    assert!(!remaining.contains_key(&victim));
}
