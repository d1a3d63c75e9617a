//! The distributed shape: PostgreSQL and NATS JetStream. A SyncRequested event (as the scheduler
//! publishes it) starts the run once even when published twice, jobs flow through the per-kind
//! durable consumers, and SyncRunCompleted arrives on the events stream once.

use std::time::Duration;

use posture_bus::{BusExt, ConsumerConfig, MessageId, topics};
use posture_graph_sim::TenantSpec;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::RunId;
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;
use tokio_util::sync::CancellationToken;

use crate::ground_truth::assert_kinds_match_truth;
use crate::world::{nats_bus, settings, tenant_id, wait_for_run, world_with_bus};

#[tokio::test]
async fn scheduled_request_over_nats_runs_once_and_completes_once() {
    let bus = nats_bus().await;
    let world = world_with_bus(TestDatabase::postgres().await.expect("postgres"), bus.clone()).await;
    let tenant = world.tenant(TenantSpec::default()).await;
    let tid = tenant.tenant_id.to_string();
    let completions =
        ConsumerConfig::new("test-run-completed", topics::RUN_COMPLETED.filter()).expect("consumer");
    let mut completed = bus.consumer(completions).await.expect("consumer");
    let process = world.start_sync(settings()).await;

    let run = RunId::new_random();
    let run_id = run.to_string();
    let request = ev::SyncRequested {
        event_id: uuid::Uuid::new_v4().to_string(),
        occurred_at: None,
        tenant_id: tid.clone(),
        run_id: run_id.clone(),
        entity_kinds: vec![
            "users".into(),
            "conditional_access_policies".into(),
            "organization".into(),
        ],
        trigger: pb::SyncTrigger::Scheduled as i32,
        requested_by: "scheduler".into(),
    };
    let subject = topics::SYNC_REQUESTED.subject(&tenant_id(&tenant));
    for attempt in 0..2 {
        // The second publish has a new message id: only the run id makes it the same request.
        bus.publish_message(
            subject.clone(),
            MessageId::new(format!("{}-{attempt}", request.event_id)).expect("id"),
            &request,
        )
        .await
        .expect("published");
    }
    let run = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if process.role.store().run(&run).await.expect("read").is_some() {
                break wait_for_run(&process, &tenant, &run_id).await;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the requested run never started"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    assert_eq!(run.trigger, pb::SyncTrigger::Scheduled as i32);
    assert_eq!(run.requested_by, "scheduler");
    assert_kinds_match_truth(
        &world,
        &process,
        &tid,
        &["users", "conditional_access_policies", "organization"],
    )
    .await;
    let runs = process
        .sync()
        .list_sync_runs(pb::ListSyncRunsRequest {
            tenant_id: tid.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .runs;
    assert_eq!(runs.len(), 1, "two publishes of one request start one run");

    let cancel = CancellationToken::new();
    let delivery = tokio::time::timeout(Duration::from_secs(10), completed.next(&cancel))
        .await
        .expect("a completion arrives")
        .expect("bus")
        .expect("delivery");
    let event: ev::SyncRunCompleted = delivery.decode().expect("decodes");
    assert_eq!(
        event.run.as_ref().map(|r| r.run_id.as_str()),
        Some(run_id.as_str())
    );
    assert_eq!(
        event.run.as_ref().map(|r| r.state),
        Some(pb::SyncRunState::Succeeded as i32)
    );
    delivery.ack().await.expect("ack");
    let again = tokio::time::timeout(Duration::from_secs(2), completed.next(&cancel)).await;
    assert!(
        again.is_err() || matches!(again, Ok(Ok(None))),
        "the run completed once"
    );
    drop(process);
    let _ = bus.delete_streams().await;
}
