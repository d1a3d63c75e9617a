//! Failures Microsoft reports: a missing permission fails that entity with the permission named,
//! a missing licence skips it, throttling and injected 5xx are absorbed by retries.

use posture_graph_sim::{FaultRule, FaultSpec, Licences, TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;

use crate::ground_truth::assert_kinds_match_truth;
use crate::world::{entity, sqlite_world, sync_and_wait};

/// Every permission the sync's kinds need.
pub fn all_permissions() -> Vec<String> {
    let mut all: Vec<String> = posture_sync::kinds::ALL
        .iter()
        .flat_map(|k| k.spec().permissions.iter().map(|p| (*p).to_owned()))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Syncs `failing` and `others` for a tenant that withholds `permission`: the run partly
/// succeeds, `failing` fails with a 403 naming the permission and the endpoint (`path` in it), and
/// every other kind succeeds.
pub async fn assert_permission_gap_fails_only(permission: &str, failing: &str, path: &str, others: &[&str]) {
    let permissions = all_permissions()
        .into_iter()
        .filter(|p| p != permission)
        .collect();
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        permissions: Some(permissions),
        ..TenantSpec::default()
    })
    .await;
    let kinds: Vec<&str> = others.iter().copied().chain([failing]).collect();
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::PartiallySucceeded as i32, "{run:#?}");
    let entity_run = entity(&run, failing);
    assert_eq!(entity_run.state, pb::EntitySyncState::Failed as i32);
    let reason = entity_run.error.clone().expect("a reason");
    assert_eq!(reason.error_class, pb::ErrorClass::Permission as i32);
    assert!(
        reason.missing_permissions.iter().any(|p| p == permission),
        "{reason:?}"
    );
    assert!(reason.endpoint.contains(path), "{reason:?}");
    assert_eq!(reason.http_status, 403);
    for ok in others {
        assert_eq!(
            entity(&run, ok).state,
            pb::EntitySyncState::Succeeded as i32,
            "{ok}"
        );
    }
}

#[tokio::test]
async fn permission_gap_fails_only_that_entity_with_reason() {
    assert_permission_gap_fails_only(
        "Policy.Read.All",
        "conditional_access_policies",
        "conditionalAccess/policies",
        &["users", "organization"],
    )
    .await;
}

#[tokio::test]
async fn licence_gap_skips_entity_with_reason() {
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        licences: Licences {
            p1: false,
            p2: false,
            intune: false,
            defender_p2: false,
            e5: false,
        },
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(
        &process,
        &tenant,
        &["role_eligibility_instances", "user_sign_in_activity", "users"],
    )
    .await;
    assert_eq!(
        run.state,
        pb::SyncRunState::Succeeded as i32,
        "skipped entities do not fail a run: {run:#?}"
    );
    let pim = entity(&run, "role_eligibility_instances");
    assert_eq!(pim.state, pb::EntitySyncState::Skipped as i32);
    let reason = pim.error.clone().expect("a reason");
    assert_eq!(reason.error_class, pb::ErrorClass::License as i32);
    assert!(reason.message.contains("P2"), "{reason:?}");
    let sign_ins = entity(&run, "user_sign_in_activity");
    assert_eq!(sign_ins.state, pb::EntitySyncState::Skipped as i32);
    let reason = sign_ins.error.clone().expect("a reason");
    assert_eq!(reason.error_class, pb::ErrorClass::License as i32);
    assert!(reason.message.contains("P1"), "{reason:?}");
    let users = entity(&run, "users");
    assert_eq!(users.state, pb::EntitySyncState::Succeeded as i32);
    // Without P1 the users are synced all the same (sign-in activity is its own kind).
    let tid = tenant.tenant_id.to_string();
    let stored = crate::ground_truth::stored_objects(&process, &tid, "users").await;
    assert!(!stored.is_empty());
    assert!(stored.values().all(|u| u.get("signInActivity").is_none()));
}

#[tokio::test]
async fn throttling_and_injected_5xx_are_absorbed() {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        users: 3_000,
        throttling: ThrottleMode::Scaled { factor: 0.05 },
        faults: Some(FaultSpec {
            seed: 11,
            rules: vec![FaultRule {
                path: "/v1.0/*".into(),
                error_rate: 0.3,
                error_statuses: vec![500, 502, 503, 504],
                drop_rate: 0.05,
                truncate_rate: 0.05,
                ..FaultRule::default()
            }],
        }),
        ..TenantSpec::default()
    })
    .await;
    let kinds = ["users", "role_definitions", "organization", "subscribed_skus"];
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let tid = tenant.tenant_id.to_string();
    assert_kinds_match_truth(&world, &process, &tid, &kinds).await;
    let log = world.sim.request_log(&tid);
    let faulted = log
        .iter()
        .filter(|r| r.status >= 500 || r.status == 429 || r.fault.is_some())
        .count();
    assert!(faulted > 0, "the simulator injected failures");
}
