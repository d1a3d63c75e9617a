//! The gRPC contract: watching a run, one active run per tenant, and validation of requests.

use std::time::Duration;

use futures::StreamExt;
use posture_graph_sim::{FaultRule, FaultSpec, Latency, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_proto::v1::watch_sync_run_response::Update;
use tonic::Code;

use crate::world::{World, settings, wait_for_run};

/// Users pages that take a while, so a run stays active long enough to observe.
fn slow_users() -> FaultSpec {
    FaultSpec {
        seed: 1,
        rules: vec![FaultRule {
            path: "/v1.0/users*".into(),
            latency: Some(Latency::Fixed { ms: 150 }),
            ..FaultRule::default()
        }],
    }
}

#[tokio::test]
async fn watch_stream_reports_progress() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world
        .tenant(TenantSpec {
            users: 4_000,
            faults: Some(slow_users()),
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let run = process
        .sync()
        .start_sync(pb::StartSyncRequest {
            tenant_id: tenant.tenant_id.to_string(),
            entity_kinds: vec!["users".into(), "organization".into()],
        })
        .await
        .expect("started")
        .into_inner()
        .run
        .expect("run");
    let mut stream = process
        .sync()
        .watch_sync_run(pb::WatchSyncRunRequest {
            tenant_id: tenant.tenant_id.to_string(),
            run_id: run.run_id.clone(),
        })
        .await
        .expect("watching")
        .into_inner();
    let mut updates = Vec::new();
    while let Some(update) = tokio::time::timeout(Duration::from_secs(60), stream.next())
        .await
        .expect("the stream progresses")
    {
        updates.push(update.expect("an update"));
    }
    assert!(matches!(
        updates.first().and_then(|u| u.update.as_ref()),
        Some(Update::Snapshot(_))
    ));
    let last = updates.last().expect("a final update");
    match last.update.as_ref() {
        Some(Update::Snapshot(run)) => assert_eq!(run.state, pb::SyncRunState::Succeeded as i32),
        other => panic!("the stream ends with a snapshot, got {other:?}"),
    }
    let user_pages: Vec<u32> = updates
        .iter()
        .filter_map(|u| match &u.update {
            Some(Update::Entity(e)) if e.entity_kind == "users" => Some(e.pages),
            _ => None,
        })
        .collect();
    assert!(
        user_pages.len() >= 2,
        "several progress updates for users: {user_pages:?}"
    );
    assert!(
        user_pages.windows(2).all(|w| w[0] <= w[1]),
        "pages only grow: {user_pages:?}"
    );

    // Watching a finished run yields its snapshot only.
    let finished: Vec<_> = process
        .sync()
        .watch_sync_run(pb::WatchSyncRunRequest {
            tenant_id: tenant.tenant_id.to_string(),
            run_id: run.run_id.clone(),
        })
        .await
        .expect("watching")
        .into_inner()
        .collect()
        .await;
    assert_eq!(finished.len(), 1);
}

#[tokio::test]
async fn start_sync_twice_is_already_exists() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world
        .tenant(TenantSpec {
            users: 3_000,
            faults: Some(slow_users()),
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let request = pb::StartSyncRequest {
        tenant_id: tenant.tenant_id.to_string(),
        entity_kinds: vec!["users".into()],
    };
    let first = process
        .sync()
        .start_sync(request.clone())
        .await
        .expect("first run")
        .into_inner()
        .run
        .expect("run");
    assert_eq!(first.state, pb::SyncRunState::Pending as i32);
    let refused = process
        .sync()
        .start_sync(request.clone())
        .await
        .expect_err("a run is active");
    assert_eq!(refused.code(), Code::AlreadyExists);
    assert!(refused.message().contains(&first.run_id));
    assert_eq!(posture_sync::active_run_of(&refused), Some(first.run_id.clone()));

    let done = wait_for_run(&process, &tenant, &first.run_id).await;
    assert_eq!(done.state, pb::SyncRunState::Succeeded as i32);
    let listed = process
        .sync()
        .list_sync_runs(pb::ListSyncRunsRequest {
            tenant_id: tenant.tenant_id.to_string(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.runs.len(), 1);
    process
        .sync()
        .start_sync(request)
        .await
        .expect("a new run once the first is done");
}

#[tokio::test]
async fn malformed_requests_are_invalid_argument() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world.tenant(TenantSpec::default()).await;
    let tid = tenant.tenant_id.to_string();
    let process = world.start_sync(settings()).await;
    let mut sync = process.sync();
    let mut inventory = process.inventory();
    let invalid = |r: Result<_, tonic::Status>, what: &str| match r {
        Err(s) if s.code() == Code::InvalidArgument => {}
        other => panic!("{what}: expected INVALID_ARGUMENT, got {other:?}"),
    };
    invalid(
        sync.start_sync(pb::StartSyncRequest {
            tenant_id: "contoso.com".into(),
            entity_kinds: vec![],
        })
        .await
        .map(|_| ()),
        "domain as tenant",
    );
    invalid(
        sync.start_sync(pb::StartSyncRequest {
            tenant_id: tid.clone(),
            entity_kinds: vec!["users.>".into()],
        })
        .await
        .map(|_| ()),
        "unknown kind",
    );
    invalid(
        sync.get_sync_run(pb::GetSyncRunRequest {
            tenant_id: tid.clone(),
            run_id: "1; DROP TABLE runs".into(),
        })
        .await
        .map(|_| ()),
        "bad run id",
    );
    invalid(
        sync.list_sync_runs(pb::ListSyncRunsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .map(|_| ()),
        "negative page size",
    );
    invalid(
        sync.list_sync_runs(pb::ListSyncRunsRequest {
            page_token: "%%%".into(),
            ..Default::default()
        })
        .await
        .map(|_| ()),
        "forged page token",
    );
    invalid(
        sync.list_sync_runs(pb::ListSyncRunsRequest {
            state: 99,
            ..Default::default()
        })
        .await
        .map(|_| ()),
        "unknown state",
    );
    invalid(
        inventory
            .list_objects(pb::ListObjectsRequest {
                tenant_id: tid.clone(),
                entity_kind: String::new(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "missing kind",
    );
    invalid(
        inventory
            .get_object_version(pb::GetObjectVersionRequest {
                tenant_id: tid.clone(),
                entity_kind: "conditional_access_policies".into(),
                object_id: "x".into(),
                version: 0,
            })
            .await
            .map(|_| ()),
        "version 0",
    );

    let unknown_run = sync
        .get_sync_run(pb::GetSyncRunRequest {
            tenant_id: tid.clone(),
            run_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect_err("no such run");
    assert_eq!(unknown_run.code(), Code::NotFound);
    let unknown_tenant = inventory
        .list_objects(pb::ListObjectsRequest {
            tenant_id: uuid::Uuid::new_v4().to_string(),
            entity_kind: "users".into(),
            ..Default::default()
        })
        .await
        .expect_err("never synced");
    assert_eq!(unknown_tenant.code(), Code::NotFound);
    let not_connected = sync
        .start_sync(pb::StartSyncRequest {
            tenant_id: uuid::Uuid::new_v4().to_string(),
            entity_kinds: vec![],
        })
        .await
        .expect_err("no connection");
    assert_eq!(not_connected.code(), Code::FailedPrecondition);
    let kinds = inventory
        .list_entity_kinds(pb::ListEntityKindsRequest {})
        .await
        .expect("kinds")
        .into_inner()
        .entity_kinds;
    assert_eq!(kinds.len(), posture_sync::kinds::ALL.len());
    assert!(
        kinds
            .iter()
            .any(|k| k.name == "users" && k.delta && !k.configuration)
    );
    assert!(
        kinds
            .iter()
            .any(|k| k.name == "conditional_access_policies" && k.configuration)
    );
}

#[tokio::test]
async fn cancelled_run_stops_after_the_current_page_and_skips_the_rest() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world
        .tenant(TenantSpec {
            users: 6_000,
            faults: Some(slow_users()),
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let tid = tenant.tenant_id.to_string();
    let run = process
        .sync()
        .start_sync(pb::StartSyncRequest {
            tenant_id: tid.clone(),
            entity_kinds: vec!["users".into()],
        })
        .await
        .expect("started")
        .into_inner()
        .run
        .expect("run");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cancelled = process
        .sync()
        .cancel_sync_run(pb::CancelSyncRunRequest {
            tenant_id: tid.clone(),
            run_id: run.run_id.clone(),
        })
        .await
        .expect("cancelled")
        .into_inner()
        .run
        .expect("run");
    assert_eq!(cancelled.state, pb::SyncRunState::Cancelled as i32);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let users = loop {
        let run = wait_for_run(&process, &tenant, &run.run_id).await;
        let users = run.entities[0].clone();
        if users.state == pb::EntitySyncState::Skipped as i32 {
            break users;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "users never stopped: {users:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        users.error.map(|e| e.error_class),
        Some(pb::ErrorClass::Cancelled as i32)
    );
    let again = process
        .sync()
        .cancel_sync_run(pb::CancelSyncRunRequest {
            tenant_id: tid,
            run_id: run.run_id,
        })
        .await
        .expect_err("already finished");
    assert_eq!(again.code(), Code::FailedPrecondition);
}
