//! The role as the binary runs it: restarts over the same store, and schedules that follow
//! connection changes from the bus.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use posture_bus::topics::CONNECTION_CHANGED;
use posture_bus::{Bus, BusExt, MessageId};
use posture_kit::clock::ManualClock;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged};
use posture_scheduler::{NatsKvLease, scheduled_run_id};

use crate::support::*;

posture_kit::db_test!(
    restart_neither_skips_nor_doubles_a_due_run,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(at(1, 0));
        let bus = memory_bus();
        let mut requests = Requests::new(bus.as_ref()).await;

        let first = RunningRole::start(&db, bus.clone(), &clock, in_process_lease(&clock), "first").await;
        first
            .role
            .scheduler()
            .ensure_schedule(&tenant())
            .await
            .expect("create");
        first.stop().await;

        // Down across three nightly slots.
        clock.advance(Span::days(3));
        let second = RunningRole::start(&db, bus.clone(), &clock, in_process_lease(&clock), "second").await;
        let seen = requests.wait_for_some(Duration::from_secs(5)).await;
        assert_eq!(seen.len(), 1, "one run for the missed slots: {seen:?}");
        assert_eq!(
            seen[0].run_id,
            scheduled_run_id(&tenant(), at(3, 0) + Span::days(2)).to_string()
        );
        second.stop().await;

        // A restart at the same instant, even on a fresh bus with no memory of the message ids,
        // owes nothing: the store remembers the slot.
        let fresh_bus = memory_bus();
        let mut fresh_requests = Requests::new(fresh_bus.as_ref()).await;
        let third =
            RunningRole::start(&db, fresh_bus.clone(), &clock, in_process_lease(&clock), "third").await;
        eventually("the restarted scheduler is active", || async {
            third.role.is_active()
        })
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(fresh_requests.drain(Duration::from_millis(200)).await.is_empty());
        third.stop().await;
        assert!(requests.drain(Duration::from_millis(200)).await.is_empty());
    }
);

async fn publish_change(bus: &dyn Bus, tenant: &str, change: ConnectionChange) {
    let event_id = uuid::Uuid::new_v4().to_string();
    let event = ConnectionChanged {
        event_id: event_id.clone(),
        occurred_at: None,
        tenant_id: tenant.to_owned(),
        change: change as i32,
        credential_version: 1,
        changed_by: "admin@example.com".to_owned(),
    };
    let subject = CONNECTION_CHANGED.subject(&tenant.parse().expect("a GUID"));
    bus.publish_message(subject, MessageId::new(event_id).expect("id"), &event)
        .await
        .expect("publish");
}

posture_kit::db_test!(
    schedules_follow_connection_changes,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(at(1, 0));
        let bus = memory_bus();
        let running = RunningRole::start(&db, bus.clone(), &clock, in_process_lease(&clock), "only").await;
        let store = running.role.scheduler().store.clone();

        publish_change(bus.as_ref(), TENANT, ConnectionChange::Created).await;
        publish_change(bus.as_ref(), OTHER_TENANT, ConnectionChange::CredentialsUpdated).await;
        eventually("both tenants have a schedule", || {
            let store = store.clone();
            async move {
                store.get(&tenant()).await.expect("read").is_some()
                    && store.get(&other_tenant()).await.expect("read").is_some()
            }
        })
        .await;
        let created = store.get(&tenant()).await.expect("read").expect("exists");
        assert!(created.enabled);
        assert_eq!(created.cadence, defaults().cadence);
        assert!(
            created.updated_by.is_empty(),
            "a default schedule names no editor"
        );

        publish_change(bus.as_ref(), TENANT, ConnectionChange::Deleted).await;
        eventually("the deleted tenant's schedule is gone", || {
            let store = store.clone();
            async move { store.get(&tenant()).await.expect("read").is_none() }
        })
        .await;
        assert!(store.get(&other_tenant()).await.expect("read").is_some());
        running.stop().await;
    }
);

/// Two running roles over one store and bus; the lease lets one fire, and it fires each slot once.
async fn two_running_roles_fire_each_slot_once(
    db: &TestDatabase,
    bus: Arc<dyn Bus>,
    clock: &ManualClock,
    leases: [Arc<dyn posture_scheduler::SchedulerLease>; 2],
) {
    let mut requests = Requests::new(bus.as_ref()).await;
    let [lease_a, lease_b] = leases;
    let a = RunningRole::start(db, bus.clone(), clock, lease_a, "a").await;
    let b = RunningRole::start(db, bus.clone(), clock, lease_b, "b").await;
    a.role
        .scheduler()
        .ensure_schedule(&tenant())
        .await
        .expect("create");
    a.role
        .scheduler()
        .ensure_schedule(&other_tenant())
        .await
        .expect("create");
    eventually("one scheduler is active", || async {
        a.role.is_active() || b.role.is_active()
    })
    .await;
    clock.set(at(6, 0));
    let seen = requests.wait_for_some(Duration::from_secs(5)).await;
    assert_eq!(seen.len(), 2, "one request per tenant: {seen:?}");
    assert!(
        a.role.is_active() != b.role.is_active(),
        "exactly one scheduler is active"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn two_running_roles_fire_each_slot_once_with_in_process_lease() {
    let db = TestDatabase::sqlite().expect("database");
    let clock = ManualClock::new(at(1, 0));
    let lease = in_process_lease(&clock);
    two_running_roles_fire_each_slot_once(&db, memory_bus(), &clock, [lease.clone(), lease]).await;
}

#[tokio::test]
async fn two_running_roles_fire_each_slot_once_over_nats() {
    let db = TestDatabase::postgres().await.expect("database");
    let clock = ManualClock::new(at(1, 0));
    let prefix = unique_prefix();
    let bus = nats_bus(prefix.clone()).await;
    let ttl = Duration::from_secs(5);
    let lease_a = NatsKvLease::connect(nats_client().await, &prefix, ttl)
        .await
        .expect("lease");
    let lease_b = NatsKvLease::connect(nats_client().await, &prefix, ttl)
        .await
        .expect("lease");
    two_running_roles_fire_each_slot_once(
        &db,
        Arc::new(bus.clone()),
        &clock,
        [Arc::new(lease_a), Arc::new(lease_b)],
    )
    .await;
    bus.delete_streams().await.expect("clean up streams");
    NatsKvLease::delete_bucket(nats_client().await, &prefix)
        .await
        .expect("clean up bucket");
}
