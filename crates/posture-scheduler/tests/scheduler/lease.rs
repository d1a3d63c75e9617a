//! One active scheduler at a time, with both lease implementations: in-process (time from the
//! manual clock) and NATS KV on the real server (real time, a short TTL, a unique prefix).

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use posture_bus::Bus;
use posture_kit::clock::ManualClock;
use posture_kit::db::test_support::TestDatabase;
use posture_scheduler::{InProcessLease, NatsKvLease, Scheduler, SchedulerLease, TickOutcome};

use crate::support::*;

async fn two_schedulers(bus: Arc<dyn Bus>, clock: &ManualClock, db: &TestDatabase) -> (Scheduler, Scheduler) {
    let a = scheduler(store(db).await, bus.clone(), clock);
    let b = scheduler(store(db).await, bus, clock);
    a.ensure_schedule(&tenant()).await.expect("create");
    a.ensure_schedule(&other_tenant()).await.expect("create");
    (a, b)
}

/// Both schedulers tick over several due days; exactly one is active and each slot fires once.
async fn only_one_fires(bus: Arc<dyn Bus>, lease_a: &dyn SchedulerLease, lease_b: &dyn SchedulerLease) {
    let db = TestDatabase::sqlite().expect("database");
    let clock = ManualClock::new(at(1, 0));
    let mut requests = Requests::new(bus.as_ref()).await;
    let (a, b) = two_schedulers(bus.clone(), &clock, &db).await;
    for day in 0..3 {
        clock.set(at(6, 0) + Span::days(day));
        let first = a.tick(lease_a, "a", 100).await.expect("tick a");
        let second = b.tick(lease_b, "b", 100).await.expect("tick b");
        assert_eq!(first, TickOutcome::Active { fired: 2 }, "day {day}");
        assert_eq!(second, TickOutcome::Standby, "day {day}");
    }
    let seen = requests.drain(Duration::from_millis(500)).await;
    assert_eq!(seen.len(), 6, "two tenants on three days: {seen:?}");
}

#[tokio::test]
async fn two_schedulers_only_one_fires_in_process() {
    let clock = ManualClock::new(at(0, 0));
    let lease = InProcessLease::new(Arc::new(clock.clone()), Duration::from_secs(30));
    only_one_fires(memory_bus(), &lease, &lease.clone()).await;
}

#[tokio::test]
async fn two_schedulers_only_one_fires_over_nats_kv() {
    let prefix = unique_prefix();
    let bus = nats_bus(prefix.clone()).await;
    let lease_a = NatsKvLease::connect(nats_client().await, &prefix, Duration::from_secs(30))
        .await
        .expect("lease bucket");
    let lease_b = NatsKvLease::connect(nats_client().await, &prefix, Duration::from_secs(30))
        .await
        .expect("lease bucket");
    only_one_fires(Arc::new(bus.clone()), &lease_a, &lease_b).await;
    bus.delete_streams().await.expect("clean up streams");
    NatsKvLease::delete_bucket(nats_client().await, &prefix)
        .await
        .expect("clean up bucket");
}

#[tokio::test]
async fn standby_takes_over_after_lease_expiry_in_process() {
    let db = TestDatabase::sqlite().expect("database");
    let clock = ManualClock::new(at(1, 0));
    let bus = memory_bus();
    let mut requests = Requests::new(bus.as_ref()).await;
    let (a, b) = two_schedulers(bus.clone(), &clock, &db).await;
    let lease = InProcessLease::new(Arc::new(clock.clone()), Duration::from_secs(30));

    assert_eq!(
        a.tick(&lease, "a", 100).await.expect("tick"),
        TickOutcome::Active { fired: 0 }
    );
    clock.advance(Span::seconds(29));
    assert_eq!(
        b.tick(&lease, "b", 100).await.expect("tick"),
        TickOutcome::Standby
    );
    assert_eq!(lease.holder().as_deref(), Some("a"));

    // `a` stops renewing (crashed); its lease runs out while tonight's slots come due.
    clock.set(at(6, 0));
    assert_eq!(
        b.tick(&lease, "b", 100).await.expect("tick"),
        TickOutcome::Active { fired: 2 }
    );
    assert_eq!(
        a.tick(&lease, "a", 100).await.expect("tick"),
        TickOutcome::Standby
    );
    assert_eq!(requests.drain(Duration::from_millis(300)).await.len(), 2);
}

#[tokio::test]
async fn released_lease_is_taken_at_once() {
    let clock = ManualClock::new(at(1, 0));
    let lease = InProcessLease::new(Arc::new(clock.clone()), Duration::from_secs(30));
    assert!(lease.acquire("a").await.expect("acquire"));
    assert!(!lease.acquire("b").await.expect("acquire"));
    lease
        .release("b")
        .await
        .expect("release by a non-holder is ignored");
    assert!(!lease.acquire("b").await.expect("acquire"));
    lease.release("a").await.expect("release");
    assert!(lease.acquire("b").await.expect("acquire"));
}

#[tokio::test]
async fn standby_takes_over_after_lease_expiry_over_nats_kv() {
    let prefix = unique_prefix();
    let ttl = Duration::from_secs(2);
    let lease_a = NatsKvLease::connect(nats_client().await, &prefix, ttl)
        .await
        .expect("lease bucket");
    let lease_b = NatsKvLease::connect(nats_client().await, &prefix, ttl)
        .await
        .expect("lease bucket");

    assert!(lease_a.acquire("a").await.expect("acquire"));
    assert!(!lease_b.acquire("b").await.expect("acquire"));
    // Renewal keeps it: half a TTL later `a` renews, and `b` is still refused past the first TTL.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(lease_a.acquire("a").await.expect("renew"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        !lease_b.acquire("b").await.expect("acquire"),
        "a renewed lease outlives its first TTL"
    );

    // `a` stops renewing; the entry ages out and `b` takes over.
    let mut took_over = false;
    for _ in 0..100 {
        if lease_b.acquire("b").await.expect("acquire") {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(took_over, "the standby never took the expired lease");
    assert!(
        !lease_a.acquire("a").await.expect("acquire"),
        "the old holder is now a standby"
    );
    lease_b.release("b").await.expect("release");
    assert!(lease_a.acquire("a").await.expect("acquire after release"));
    NatsKvLease::delete_bucket(nats_client().await, &prefix)
        .await
        .expect("clean up bucket");
}
