//! A sync request is never lost: when publishing it fails, the slot is not recorded, so it stays
//! due and a later tick publishes it again. Proven on both buses with a publish that fails once.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::Bus;
use posture_bus::testing::FailingPublishes;
use posture_bus::topics::SYNC_REQUESTED;
use posture_kit::clock::ManualClock;
use posture_kit::db::test_support::TestDatabase;
use posture_scheduler::{TickOutcome, scheduled_run_id};

use crate::support::*;

/// Ticks while the first SyncRequested publish fails, then until nothing is due; the request
/// arrives exactly once with the slot's run id, and the slot is recorded once.
async fn sync_request_survives_a_failed_publish(bus: Arc<dyn Bus>) {
    let db = TestDatabase::sqlite().expect("database");
    let clock = ManualClock::new(at(1, 0));
    let mut requests = Requests::new(bus.as_ref()).await;
    let failing = Arc::new(FailingPublishes::new(bus.clone(), SYNC_REQUESTED.filter(), 1));
    let scheduler = scheduler(store(&db).await, failing.clone(), &clock);
    let lease = in_process_lease(&clock);
    scheduler.ensure_schedule(&tenant()).await.expect("create");
    let before = scheduler
        .store
        .get(&tenant())
        .await
        .expect("read")
        .expect("exists");

    clock.set(at(6, 0));
    assert_eq!(
        scheduler.tick(lease.as_ref(), "only", 100).await.expect("tick"),
        TickOutcome::Active { fired: 0 },
        "a failed publish records nothing"
    );
    assert_eq!(failing.failed(), 1);
    let unrecorded = scheduler
        .store
        .get(&tenant())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(unrecorded, before, "the slot stays due");

    let mut fired = 0;
    for _ in 0..3 {
        match scheduler.tick(lease.as_ref(), "only", 100).await.expect("tick") {
            TickOutcome::Active { fired: now } => fired += now,
            TickOutcome::Standby => panic!("the only scheduler stood by"),
        }
    }
    assert_eq!(fired, 1, "the slot is recorded once");

    let run_id = scheduled_run_id(&tenant(), at(3, 0));
    let seen = requests.drain(Duration::from_millis(500)).await;
    assert_eq!(seen.len(), 1, "exactly one request arrives: {seen:?}");
    assert_eq!(seen[0].run_id, run_id.to_string());
    let recorded = scheduler
        .store
        .get(&tenant())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(recorded.last_slot, at(3, 0));
    assert_eq!(recorded.last_run_id, Some(run_id));
    assert_eq!(failing.failed(), 1);
}

#[tokio::test]
async fn sync_request_is_published_after_a_failed_publish_on_the_memory_bus() {
    sync_request_survives_a_failed_publish(memory_bus()).await;
}

#[tokio::test]
async fn sync_request_is_published_after_a_failed_publish_on_nats() {
    let bus = nats_bus(unique_prefix()).await;
    sync_request_survives_a_failed_publish(Arc::new(bus.clone())).await;
    bus.delete_streams().await.expect("clean up streams");
}
