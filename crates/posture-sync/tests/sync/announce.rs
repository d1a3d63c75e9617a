//! No announcement is lost: with the first publish of a run's jobs, of EntitySynced, of
//! SyncRunCompleted or of a cancellation failing (as a broker outage would), each still goes out,
//! a consumer of its topic receives it exactly once, the run completes, and nothing is synced
//! twice. Each test runs on the in-process bus (with SQLite) and on NATS JetStream (with
//! PostgreSQL).

use std::sync::Arc;
use std::time::Duration;

use posture_bus::testing::FailingPublishes;
use posture_bus::{Bus, Consumer, ConsumerConfig, StreamKind, SubjectFilter, topics};
use posture_graph_sim::{TenantInfo, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;
use tokio_util::sync::CancellationToken;

use crate::ground_truth::assert_kinds_match_truth;
use posture_testkit::on_both_buses;

use crate::world::{
    SyncProcess, World, settings, slow_users, start_run, sync_and_wait, wait_for_run, world_with_bus,
};

/// Two kinds read differently (a delta round and a full read), so a run has two jobs.
const KINDS: &[&str] = &["conditional_access_policies", "users"];
/// How long a consumer keeps listening after the expected events: a duplicate would arrive then.
const QUIET: Duration = Duration::from_secs(2);

/// A world whose bus fails the first publish matching a filter.
struct FailingWorld {
    world: World,
    /// The bus under the failing wrapper, for the test's own consumers.
    bus: Arc<dyn Bus>,
    failing: Arc<FailingPublishes>,
}

impl FailingWorld {
    async fn open(db: TestDatabase, bus: Arc<dyn Bus>, fail: SubjectFilter) -> FailingWorld {
        let failing = Arc::new(FailingPublishes::new(bus.clone(), fail, 1));
        let world = world_with_bus(db, failing.clone()).await;
        FailingWorld { world, bus, failing }
    }

    async fn consumer(&self, name: &str, filter: SubjectFilter) -> Box<dyn Consumer> {
        let config = ConsumerConfig::new(name, filter).expect("consumer config");
        self.bus.consumer(config).await.expect("consumer")
    }

    async fn close(self, process: SyncProcess) {
        process.stop().await;
    }
}

/// Every event `consumer` receives until `done` says the expected ones are in, then whatever
/// else arrives within [`QUIET`].
async fn events<M: prost::Message + Default>(
    consumer: &mut Box<dyn Consumer>,
    done: impl Fn(&[M]) -> bool,
) -> Vec<M> {
    let cancel = CancellationToken::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut received = Vec::new();
    while !done(&received) {
        let delivery = tokio::time::timeout_at(deadline, consumer.next(&cancel))
            .await
            .expect("the expected events arrive")
            .expect("the bus answers")
            .expect("a delivery");
        received.push(delivery.decode().expect("the event decodes"));
        delivery.ack().await.expect("ack");
    }
    while let Ok(Ok(Some(delivery))) = tokio::time::timeout(QUIET, consumer.next(&cancel)).await {
        received.push(delivery.decode().expect("the event decodes"));
        delivery.ack().await.expect("ack");
    }
    received
}

/// Every entity ran once (first delivery), stored exactly the tenant's objects and counted each
/// once.
async fn assert_synced_once(world: &World, process: &SyncProcess, tenant: &TenantInfo, run: &pb::SyncRun) {
    let tid = tenant.tenant_id.to_string();
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    for kind in KINDS {
        let entity = crate::world::entity(run, kind);
        assert_eq!(entity.attempt, 1, "{kind} was read by one delivery: {entity:?}");
        let spec = posture_sync::kinds::find(kind).expect("kind").spec();
        let truth = world.sim.ground_truth(&tid, spec.path).expect("truth").count as u64;
        let counts = entity.counts.expect("counts");
        assert_eq!(
            (counts.added, counts.changed, counts.unchanged),
            (truth, 0, 0),
            "{kind}: every object added once"
        );
    }
    assert_kinds_match_truth(world, process, &tid, KINDS).await;
}

async fn run_jobs_are_enqueued_after_a_failed_publish(db: TestDatabase, bus: Arc<dyn Bus>) {
    let jobs = SubjectFilter::new(StreamKind::Jobs, [topics::sync_jobs::TOKEN])
        .and_then(|f| f.rest())
        .expect("filter");
    let t = FailingWorld::open(db, bus, jobs).await;
    let tenant = t.world.tenant(TenantSpec::default()).await;
    let process = t.world.start_sync(settings()).await;

    let run = sync_and_wait(&process, &tenant, KINDS).await;
    assert_eq!(t.failing.failed(), 1, "the first job's publish failed");
    assert_synced_once(&t.world, &process, &tenant, &run).await;
    t.close(process).await;
}

async fn entity_synced_is_announced_after_a_failed_publish(db: TestDatabase, bus: Arc<dyn Bus>) {
    let t = FailingWorld::open(db, bus, topics::ENTITY_SYNCED.filter()).await;
    let mut synced = t
        .consumer("test-entity-synced", topics::ENTITY_SYNCED.filter())
        .await;
    let mut completed = t
        .consumer("test-run-completed", topics::RUN_COMPLETED.filter())
        .await;
    let tenant = t.world.tenant(TenantSpec::default()).await;
    let process = t.world.start_sync(settings()).await;

    let run = sync_and_wait(&process, &tenant, KINDS).await;
    assert_eq!(t.failing.failed(), 1, "the first EntitySynced publish failed");
    let announced: Vec<ev::EntitySynced> = events(&mut synced, |got| got.len() >= KINDS.len()).await;
    let mut kinds: Vec<&str> = announced
        .iter()
        .map(|e| e.entity.as_ref().map_or("", |e| e.entity_kind.as_str()))
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, KINDS, "each entity announced exactly once");
    for event in &announced {
        assert_eq!(event.run_id, run.run_id);
        let state = event.entity.as_ref().map(|e| e.state);
        assert_eq!(state, Some(pb::EntitySyncState::Succeeded as i32), "{event:?}");
    }
    let completions: Vec<ev::SyncRunCompleted> = events(&mut completed, |got| !got.is_empty()).await;
    assert_eq!(completions.len(), 1, "the run completed once: {completions:?}");
    assert_synced_once(&t.world, &process, &tenant, &run).await;
    t.close(process).await;
}

async fn run_completed_is_announced_after_a_failed_publish(db: TestDatabase, bus: Arc<dyn Bus>) {
    let t = FailingWorld::open(db, bus, topics::RUN_COMPLETED.filter()).await;
    let mut completed = t
        .consumer("test-run-completed", topics::RUN_COMPLETED.filter())
        .await;
    let tenant = t.world.tenant(TenantSpec::default()).await;
    let process = t.world.start_sync(settings()).await;

    let run = sync_and_wait(&process, &tenant, KINDS).await;
    let completions: Vec<ev::SyncRunCompleted> = events(&mut completed, |got| !got.is_empty()).await;
    assert_eq!(t.failing.failed(), 1, "the first SyncRunCompleted publish failed");
    assert_eq!(completions.len(), 1, "announced exactly once: {completions:?}");
    let announced = completions[0].run.as_ref().expect("the run");
    assert_eq!(announced.run_id, run.run_id);
    assert_eq!(announced.state, pb::SyncRunState::Succeeded as i32);
    assert_eq!(completions[0].event_id, format!("{}.completed", run.run_id));
    assert_synced_once(&t.world, &process, &tenant, &run).await;
    t.close(process).await;
}

async fn cancellation_is_announced_after_a_failed_publish(db: TestDatabase, bus: Arc<dyn Bus>) {
    let t = FailingWorld::open(db, bus, topics::RUN_COMPLETED.filter()).await;
    let mut completed = t
        .consumer("test-run-completed", topics::RUN_COMPLETED.filter())
        .await;
    let tenant = t
        .world
        .tenant(TenantSpec {
            users: 4_000,
            faults: Some(slow_users(150)),
            ..TenantSpec::default()
        })
        .await;
    let process = t.world.start_sync(settings()).await;

    let run = start_run(&process, &tenant, &["users"]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cancelled = process
        .sync()
        .cancel_sync_run(pb::CancelSyncRunRequest {
            tenant_id: tenant.tenant_id.to_string(),
            run_id: run.run_id.clone(),
        })
        .await
        .expect("cancelled")
        .into_inner()
        .run
        .expect("run");
    assert_eq!(cancelled.state, pb::SyncRunState::Cancelled as i32);

    let completions: Vec<ev::SyncRunCompleted> = events(&mut completed, |got| !got.is_empty()).await;
    assert_eq!(
        t.failing.failed(),
        1,
        "the first announcement of the cancellation failed"
    );
    assert_eq!(completions.len(), 1, "announced exactly once: {completions:?}");
    let announced = completions[0].run.as_ref().expect("the run");
    assert_eq!(announced.run_id, run.run_id);
    assert_eq!(announced.state, pb::SyncRunState::Cancelled as i32);
    // The running job stops after its page and is skipped; it was never delivered twice.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = wait_for_run(&process, &tenant, &run.run_id).await;
        let users = crate::world::entity(&now, "users");
        if users.state == pb::EntitySyncState::Skipped as i32 {
            assert_eq!(users.attempt, 1, "{users:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "users never stopped: {users:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    t.close(process).await;
}

on_both_buses!(
    run_jobs_are_enqueued_after_a_failed_publish,
    entity_synced_is_announced_after_a_failed_publish,
    run_completed_is_announced_after_a_failed_publish,
    cancellation_is_announced_after_a_failed_publish,
);
