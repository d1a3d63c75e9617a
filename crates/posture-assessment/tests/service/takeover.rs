//! Interrupted assessments: a process that dies mid-assessment leaves its delivery unsettled and
//! its assessment RUNNING, and another process takes both over within the ack wait (30 s by
//! default), not after minutes; an inventory read the sync role cuts (it restarted) is retried
//! on the next delivery instead of failing the assessment for good.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use posture_assessment::service::store::{AssessmentStore, NewAssessment, Trigger};
use posture_assessment::service::{AssessmentDeps, AssessmentRole, RoleSettings, SYNC_PRINCIPAL, start};
use posture_bus::{ConsumerConfig, topics};
use posture_graph_sim::Profile;
use posture_kit::ServiceRole;
use posture_kit::clock::SystemClock;
use posture_kit::config::GrpcConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::grpc::internal_channel;
use posture_kit::ids::{AssessmentId, RunId, TenantId};
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::pipeline::spec;
use crate::world::{assessment_settings, memory_bus};

/// A world with the sync role only: each test starts the assessment role its way.
async fn sync_world() -> posture_testkit::World {
    let db = TestDatabase::postgres().await.expect("postgres");
    let mut sync = posture_sync::SyncSettings {
        concurrency: 2,
        ..posture_sync::SyncSettings::default()
    };
    sync.bus_retry.initial_backoff = Duration::from_millis(100);
    sync.bus_retry.max_backoff = Duration::from_millis(500);
    posture_testkit::World::builder()
        .bus(memory_bus())
        .with_sync(sync)
        .start(db)
        .await
}

async fn start_role(
    world: &posture_testkit::World,
    sync: tonic::transport::Channel,
    settings: RoleSettings,
) -> AssessmentRole {
    start(AssessmentDeps {
        db: world.db.connect("assessment").await.expect("assessment db"),
        bus: world.bus.clone(),
        clock: Arc::new(SystemClock),
        shutdown: world.shutdown.clone(),
        tasks: TaskTracker::new(),
        sync,
        credentials: world.channel.clone(),
        metrics: Default::default(),
        settings,
    })
    .await
    .expect("assessment role starts")
}

/// Waits until the run's assessment is finished, up to `bound`.
async fn finished_within(
    store: &AssessmentStore,
    tenant: &TenantId,
    run: &RunId,
    bound: Duration,
) -> posture_assessment::service::store::AssessmentRecord {
    let deadline = Instant::now() + bound;
    loop {
        let found = store.assessment_of_run(tenant, run).await.expect("read");
        if let Some(found) = found.filter(|f| !f.is_active()) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "the assessment of run {run} did not finish within {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assessment_left_running_by_a_killed_process_is_taken_over_within_the_ack_wait() {
    let world = sync_world().await;
    // The role's shipped ack wait: the one a killed production process leaves its delivery under.
    let mut settings = RoleSettings::default();
    settings.bus_retry.initial_backoff = Duration::from_millis(100);
    settings.bus_retry.max_backoff = Duration::from_millis(500);

    // The killed process: it took the event, created and started the run's assessment, and
    // died before settling anything (SIGKILL runs no shutdown path, so no NAK either).
    let config = ConsumerConfig::new(topics::durable::ASSESSMENT_RUNS, topics::RUN_COMPLETED.filter())
        .expect("consumer config")
        .with_ack_wait(settings.ack_wait)
        .with_max_deliver(settings.max_deliver);
    let mut killed = world.bus.consumer(config).await.expect("consumer");
    let tenant = world.tenant(spec(Profile::Neglected)).await;
    let run = world.sync_and_wait(&tenant, Vec::new()).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let delivery = killed
        .next(&CancellationToken::new())
        .await
        .expect("delivery")
        .expect("the run's event");
    let event: ev::SyncRunCompleted = delivery.decode().expect("event");
    assert_eq!(
        event.run.as_ref().map(|r| r.run_id.as_str()),
        Some(run.run_id.as_str())
    );
    let tenant_id: TenantId = tenant.tenant_id.to_string().parse().expect("tenant id");
    let run_id: RunId = run.run_id.parse().expect("run id");
    let store = AssessmentStore::new(world.db.connect("assessment").await.expect("db"));
    store.migrate().await.expect("migrate");
    let left = AssessmentId::new_random();
    store
        .create_assessment(&NewAssessment {
            assessment_id: left,
            tenant_id,
            trigger: Trigger::SyncCompleted,
            requested_by: SYNC_PRINCIPAL,
            sync_run_id: run_id,
            pack_version: "builtin-test",
            requested_at: chrono::Utc::now(),
        })
        .await
        .expect("created");
    assert!(
        store
            .mark_running(&left, chrono::Utc::now())
            .await
            .expect("running")
    );
    drop(killed);

    // The replacement process.
    let began = Instant::now();
    let role = start_role(&world, world.channel.clone(), settings.clone()).await;
    let done = finished_within(role.store(), &tenant_id, &run_id, Duration::from_secs(90)).await;
    let took = began.elapsed();
    assert_eq!(
        done.assessment_id, left,
        "the RUNNING assessment itself is completed"
    );
    assert_eq!(
        done.state,
        posture_assessment::service::store::AssessmentState::Succeeded,
        "{done:#?}"
    );
    assert!(
        took < settings.ack_wait + Duration::from_secs(30),
        "taken over after {took:?}; the ack wait is {:?}",
        settings.ack_wait
    );
    drop(delivery);
}

/// Forwards loopback connections to `target`; the first one is cut once `cut_after` bytes of
/// answers went through, as a sync role restarting mid-read cuts it.
async fn cutting_proxy(target: String, cut_after: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let cuts = Arc::new(AtomicUsize::new(0));
    let counted = cuts.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&target)
                .await
                .expect("connect to the sync role");
            let limit = if first { Some(cut_after) } else { None };
            first = false;
            let counted = counted.clone();
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let upstream = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut sent = 0usize;
                let mut buffer = vec![0u8; 8192];
                loop {
                    let n = match server_read.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if limit.is_some_and(|l| sent + n > l) {
                        counted.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    if client_write.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                    sent += n;
                }
                upstream.abort();
            });
        }
    });
    (address, cuts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inventory_read_cut_by_a_sync_restart_is_retried_and_the_assessment_succeeds() {
    let world = sync_world().await;
    let target = world.endpoint.trim_start_matches("http://").to_owned();
    let (proxy, cuts) = cutting_proxy(target, 16 * 1024).await;
    let channel =
        internal_channel(&proxy, ServiceRole::Sync, &world.tls, &GrpcConfig::default()).expect("channel");
    let role = start_role(&world, channel, assessment_settings()).await;

    let tenant = world.tenant(spec(Profile::Neglected)).await;
    let run = world.sync_and_wait(&tenant, Vec::new()).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let tenant_id: TenantId = tenant.tenant_id.to_string().parse().expect("tenant id");
    let run_id: RunId = run.run_id.parse().expect("run id");
    let done = finished_within(role.store(), &tenant_id, &run_id, Duration::from_secs(60)).await;
    assert_eq!(cuts.load(Ordering::SeqCst), 1, "the first read was cut");
    assert_eq!(
        done.state,
        posture_assessment::service::store::AssessmentState::Succeeded,
        "{:?}",
        done.error
    );
}
