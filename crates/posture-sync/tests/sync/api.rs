//! The gRPC contract: watching a run, one active run per tenant, and validation of requests.

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use posture_graph_sim::{TenantInfo, TenantSpec};
use posture_proto::v1 as pb;
use posture_proto::v1::watch_sync_run_response::Update;
use tonic::Code;
use tonic::codec::Streaming;

use crate::world::{SyncProcess, World, slow_users, sqlite_world, start_run, sync_and_wait, wait_for_run};

/// A tenant of `users` whose users pages take a while, so a run stays active long enough to
/// observe, with a sync process ready.
async fn slow_tenant(users: u32) -> (World, TenantInfo, SyncProcess) {
    sqlite_world(TenantSpec {
        users,
        faults: Some(slow_users(150)),
        ..TenantSpec::default()
    })
    .await
}

async fn watch(
    process: &SyncProcess,
    tenant: &TenantInfo,
    run_id: &str,
) -> Streaming<pb::WatchSyncRunResponse> {
    process
        .sync()
        .watch_sync_run(pb::WatchSyncRunRequest {
            tenant_id: tenant.tenant_id.to_string(),
            run_id: run_id.to_owned(),
        })
        .await
        .expect("watching")
        .into_inner()
}

async fn cancel(
    process: &SyncProcess,
    tenant: &TenantInfo,
    run_id: &str,
) -> Result<pb::SyncRun, tonic::Status> {
    let response = process
        .sync()
        .cancel_sync_run(pb::CancelSyncRunRequest {
            tenant_id: tenant.tenant_id.to_string(),
            run_id: run_id.to_owned(),
        })
        .await?;
    Ok(response.into_inner().run.expect("run"))
}

/// Asserts the call is refused with INVALID_ARGUMENT; `what` names the case in a failure.
async fn expect_invalid<T: std::fmt::Debug>(
    what: &str,
    call: impl Future<Output = Result<T, tonic::Status>>,
) {
    match call.await {
        Err(s) if s.code() == Code::InvalidArgument => {}
        other => panic!("{what}: expected INVALID_ARGUMENT, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_stream_reports_progress() {
    let (_world, tenant, process) = slow_tenant(4_000).await;
    let run = start_run(&process, &tenant, &["users", "organization"]).await;
    let mut stream = watch(&process, &tenant, &run.run_id).await;
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
    let finished: Vec<_> = watch(&process, &tenant, &run.run_id).await.collect().await;
    assert_eq!(finished.len(), 1);
}

#[tokio::test]
async fn start_sync_twice_is_already_exists() {
    let (_world, tenant, process) = slow_tenant(3_000).await;
    let first = start_run(&process, &tenant, &["users"]).await;
    assert_eq!(first.state, pb::SyncRunState::Pending as i32);
    let request = pb::StartSyncRequest {
        tenant_id: tenant.tenant_id.to_string(),
        entity_kinds: vec!["users".into()],
    };
    let refused = process
        .sync()
        .start_sync(request)
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
    // A new run once the first is done.
    start_run(&process, &tenant, &["users"]).await;
}

#[tokio::test]
async fn malformed_requests_are_invalid_argument() {
    let (_world, tenant, process) = sqlite_world(TenantSpec::default()).await;
    let tid = tenant.tenant_id.to_string();
    let mut sync = process.sync();
    let mut inventory = process.inventory();
    let start = |tenant_id: &str, kinds: &[&str]| pb::StartSyncRequest {
        tenant_id: tenant_id.to_owned(),
        entity_kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
    };
    expect_invalid("domain as tenant", sync.start_sync(start("contoso.com", &[]))).await;
    expect_invalid("unknown kind", sync.start_sync(start(&tid, &["users.>"]))).await;
    expect_invalid(
        "bad run id",
        sync.get_sync_run(pb::GetSyncRunRequest {
            tenant_id: tid.clone(),
            run_id: "1; DROP TABLE runs".into(),
        }),
    )
    .await;
    let list = |page_size: i32, page_token: &str, state: i32| pb::ListSyncRunsRequest {
        page_size,
        page_token: page_token.to_owned(),
        state,
        ..Default::default()
    };
    expect_invalid("negative page size", sync.list_sync_runs(list(-1, "", 0))).await;
    expect_invalid("forged page token", sync.list_sync_runs(list(0, "%%%", 0))).await;
    expect_invalid("unknown state", sync.list_sync_runs(list(0, "", 99))).await;
    expect_invalid(
        "missing kind",
        inventory.list_objects(pb::ListObjectsRequest {
            tenant_id: tid.clone(),
            entity_kind: String::new(),
            ..Default::default()
        }),
    )
    .await;
    expect_invalid(
        "as_of outside the Timestamp range",
        inventory.list_objects(pb::ListObjectsRequest {
            tenant_id: tid.clone(),
            entity_kind: "conditional_access_policies".into(),
            as_of: Some(prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            }),
            ..Default::default()
        }),
    )
    .await;
    let no_history = inventory
        .list_objects(pb::ListObjectsRequest {
            tenant_id: tid.clone(),
            entity_kind: "users".into(),
            as_of: Some(posture_kit::time::timestamp(chrono::Utc::now())),
            ..Default::default()
        })
        .await
        .expect_err("users keep no versions");
    assert_eq!(no_history.code(), Code::FailedPrecondition, "{no_history:?}");
    expect_invalid(
        "version 0",
        inventory.get_object_version(pb::GetObjectVersionRequest {
            tenant_id: tid.clone(),
            entity_kind: "conditional_access_policies".into(),
            object_id: "x".into(),
            version: 0,
        }),
    )
    .await;

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
        .start_sync(start(&uuid::Uuid::new_v4().to_string(), &[]))
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
            .any(|k| k.name == "user_sign_in_activity" && !k.delta && !k.configuration)
    );
    assert!(
        kinds
            .iter()
            .any(|k| k.name == "conditional_access_policies" && k.configuration)
    );
}

#[tokio::test]
async fn cancelled_run_stops_after_the_current_page_and_skips_the_rest() {
    let (_world, tenant, process) = slow_tenant(6_000).await;
    let run = start_run(&process, &tenant, &["users"]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cancelled = cancel(&process, &tenant, &run.run_id).await.expect("cancelled");
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
    let again = cancel(&process, &tenant, &run.run_id)
        .await
        .expect_err("already finished");
    assert_eq!(again.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn run_listing_pages_newest_first_and_refuses_a_token_of_other_filters() {
    let (_world, tenant, process) = sqlite_world(TenantSpec::default()).await;
    let tid = tenant.tenant_id.to_string();
    let first = sync_and_wait(&process, &tenant, &["organization"]).await;
    let second = sync_and_wait(&process, &tenant, &["organization"]).await;
    let list = |page_token: String, tenant_id: String| pb::ListSyncRunsRequest {
        tenant_id,
        page_size: 1,
        page_token,
        ..Default::default()
    };
    let mut sync = process.sync();
    let page = sync
        .list_sync_runs(list(String::new(), tid.clone()))
        .await
        .expect("first page")
        .into_inner();
    assert_eq!(page.runs.len(), 1);
    assert_eq!(page.runs[0].run_id, second.run_id, "newest first");
    assert!(!page.next_page_token.is_empty());
    let next = sync
        .list_sync_runs(list(page.next_page_token.clone(), tid.clone()))
        .await
        .expect("second page")
        .into_inner();
    assert_eq!(next.runs.len(), 1);
    assert_eq!(next.runs[0].run_id, first.run_id);
    assert!(next.next_page_token.is_empty(), "two runs, two pages");
    // The token was issued for this tenant's runs; with another filter it would skip or repeat.
    expect_invalid(
        "a token replayed with another tenant",
        sync.list_sync_runs(list(page.next_page_token, uuid::Uuid::new_v4().to_string())),
    )
    .await;
}
