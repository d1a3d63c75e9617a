//! Connection events are announced at least once: when the bus refuses the first publish of an
//! event, the change stays committed, the event stays staged in the outbox, and the relay publishes
//! it again; a consumer gets it exactly once and the relay does not publish it a second time.
//! Each runs on the in-process bus over SQLite (the standalone shape) and on NATS JetStream over
//! PostgreSQL (the distributed shape).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use posture_bus::testing::FailingPublishes;
use posture_bus::{
    Bus, BusError, Consumer, ConsumerConfig, Delivery, Envelope, MemoryBus, NatsBus, NatsBusConfig, Prefix,
    PublishReceipt, SubjectFilter, topics,
};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1::{ConnectionChange, ConnectionChanged, ConnectionHealthChanged};
use posture_proto::internal::v1::RecordHealthRequest;
use posture_proto::v1::{ConnectionHealth, ConnectionState};
use tokio_util::sync::CancellationToken;

/// Longer than the relay's retry after a failed pass (2 s) on a busy machine.
const ARRIVAL: Duration = Duration::from_secs(15);
/// Longer than the relay's poll (1 s): a second publish of the same event would show within it.
const QUIET: Duration = Duration::from_millis(2500);

/// Counts the publishes to `filter` that reach the wrapped bus.
struct CountingPublishes {
    inner: Arc<dyn Bus>,
    filter: SubjectFilter,
    published: AtomicU32,
}

impl CountingPublishes {
    fn new(inner: Arc<dyn Bus>, filter: SubjectFilter) -> Self {
        Self {
            inner,
            filter,
            published: AtomicU32::new(0),
        }
    }

    fn published(&self) -> u32 {
        self.published.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Bus for CountingPublishes {
    fn prefix(&self) -> &Prefix {
        self.inner.prefix()
    }

    async fn publish(&self, envelope: Envelope) -> Result<PublishReceipt, BusError> {
        if self.filter.matches(envelope.subject()) {
            self.published.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.publish(envelope).await
    }

    async fn consumer(&self, config: ConsumerConfig) -> Result<Box<dyn Consumer>, BusError> {
        self.inner.consumer(config).await
    }

    async fn delete_streams(&self) -> Result<(), BusError> {
        self.inner.delete_streams().await
    }
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    /// MemoryBus and SQLite.
    Standalone,
    /// NATS JetStream (own random prefix) and PostgreSQL.
    Distributed,
}

fn nats_url() -> String {
    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

async fn bus_and_database(shape: Shape) -> (Arc<dyn Bus>, TestDatabase) {
    match shape {
        Shape::Standalone => (
            Arc::new(MemoryBus::default()),
            TestDatabase::sqlite().expect("sqlite"),
        ),
        Shape::Distributed => {
            let prefix = Prefix::new(format!("t{}", uuid::Uuid::new_v4().simple())).expect("prefix");
            let bus = NatsBus::connect(NatsBusConfig {
                prefix,
                ..NatsBusConfig::new(nats_url())
            })
            .await
            .expect("NATS with JetStream must be reachable");
            (Arc::new(bus), TestDatabase::postgres().await.expect("postgres"))
        }
    }
}

/// The bus the role publishes on: `inner`, behind a counter of what reaches it and, in front, a
/// refusal of the first publish to `filter`.
fn failing_first_publish(
    inner: &Arc<dyn Bus>,
    filter: SubjectFilter,
) -> (Arc<FailingPublishes>, Arc<CountingPublishes>) {
    let reached = Arc::new(CountingPublishes::new(inner.clone(), filter.clone()));
    let failing = Arc::new(FailingPublishes::new(reached.clone() as Arc<dyn Bus>, filter, 1));
    (failing, reached)
}

async fn next_within(consumer: &mut Box<dyn Consumer>, wait: Duration) -> Option<Delivery> {
    let cancel = CancellationToken::new();
    tokio::time::timeout(wait, consumer.next(&cancel))
        .await
        .ok()
        .map(|delivery| delivery.expect("bus").expect("delivery"))
}

async fn staged_events(h: &Harness) -> i64 {
    with_pool!(h, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(pool)
            .await
            .expect("count staged events")
    })
}

async fn connection_change_is_announced_after_a_failed_publish(shape: Shape) {
    let (inner, db) = bus_and_database(shape).await;
    let (failing, reached) = failing_first_publish(&inner, topics::CONNECTION_CHANGED.filter());
    let mut h = Harness::start_with(
        db,
        Options {
            bus: Some(failing.clone() as Arc<dyn Bus>),
            ..Default::default()
        },
    )
    .await;

    h.connections
        .create_connection(as_admin(create_request(TENANT_A, SECRET)))
        .await
        .expect("create");
    let delivery = next_within(&mut h.changes, ARRIVAL)
        .await
        .unwrap_or_else(|| panic!("{shape:?}: the change is announced after the failed publish"));
    let event: ConnectionChanged = delivery.decode().expect("decode");
    delivery.ack().await.expect("ack");
    assert_eq!(failing.failed(), 1, "{shape:?}: the first publish was refused");
    assert_eq!(event.tenant_id, TENANT_A);
    assert_eq!(event.change, ConnectionChange::Created as i32);
    assert_eq!(event.credential_version, 1);
    assert_eq!(event.changed_by, ADMIN);
    assert_eq!(event.occurred_at, Some(timestamp(start_time())));
    assert!(uuid::Uuid::parse_str(&event.event_id).is_ok());

    assert!(
        next_within(&mut h.changes, QUIET).await.is_none(),
        "{shape:?}: the event arrives exactly once"
    );
    assert_eq!(
        reached.published(),
        1,
        "{shape:?}: the relay published it once after the failure"
    );
    assert_eq!(staged_events(&h).await, 0, "{shape:?}: nothing is left staged");
    h.stop().await;
    inner.delete_streams().await.expect("streams removed");
}

async fn health_change_is_announced_after_a_failed_publish(shape: Shape) {
    let (inner, db) = bus_and_database(shape).await;
    let (failing, reached) = failing_first_publish(&inner, topics::CONNECTION_HEALTH_CHANGED.filter());
    let mut h = Harness::start_with(
        db,
        Options {
            bus: Some(failing.clone() as Arc<dyn Bus>),
            ..Default::default()
        },
    )
    .await;
    let mut health_events = h
        .bus
        .consumer(
            ConsumerConfig::new("test-health-changed", topics::CONNECTION_HEALTH_CHANGED.filter())
                .expect("config"),
        )
        .await
        .expect("consumer");
    h.create(TENANT_A, SECRET).await;

    let connected = ConnectionHealth {
        state: ConnectionState::Connected as i32,
        checked_at: Some(timestamp(start_time())),
        ..Default::default()
    };
    let record = || RecordHealthRequest {
        tenant_id: TENANT_A.to_owned(),
        health: Some(connected.clone()),
        credential_version: 1,
    };
    let recorded = h.vault.record_health(record()).await.expect("record health");
    assert!(recorded.into_inner().recorded);

    let delivery = next_within(&mut health_events, ARRIVAL)
        .await
        .unwrap_or_else(|| panic!("{shape:?}: the health change is announced after the failed publish"));
    let event: ConnectionHealthChanged = delivery.decode().expect("decode");
    delivery.ack().await.expect("ack");
    assert_eq!(failing.failed(), 1, "{shape:?}: the first publish was refused");
    assert_eq!(event.tenant_id, TENANT_A);
    assert_eq!(event.previous_state, ConnectionState::Pending as i32);
    assert_eq!(
        event.health.as_ref().map(|health| health.state),
        Some(ConnectionState::Connected as i32)
    );
    assert_eq!(event.credential_version, 1);
    assert!(uuid::Uuid::parse_str(&event.event_id).is_ok());

    // The same result again changes no state, so it announces nothing.
    h.vault.record_health(record()).await.expect("record again");
    assert!(
        next_within(&mut health_events, QUIET).await.is_none(),
        "{shape:?}: the event arrives exactly once"
    );
    assert_eq!(
        reached.published(),
        1,
        "{shape:?}: the relay published it once after the failure"
    );
    assert_eq!(staged_events(&h).await, 0, "{shape:?}: nothing is left staged");
    health_events.close().await.expect("close");
    h.stop().await;
    inner.delete_streams().await.expect("streams removed");
}

#[tokio::test]
async fn connection_change_is_announced_after_a_failed_publish_on_the_memory_bus() {
    connection_change_is_announced_after_a_failed_publish(Shape::Standalone).await;
}

#[tokio::test]
async fn connection_change_is_announced_after_a_failed_publish_on_nats() {
    connection_change_is_announced_after_a_failed_publish(Shape::Distributed).await;
}

#[tokio::test]
async fn health_change_is_announced_after_a_failed_publish_on_the_memory_bus() {
    health_change_is_announced_after_a_failed_publish(Shape::Standalone).await;
}

#[tokio::test]
async fn health_change_is_announced_after_a_failed_publish_on_nats() {
    health_change_is_announced_after_a_failed_publish(Shape::Distributed).await;
}
