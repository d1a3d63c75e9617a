//! Shared pieces of the suite: a manual clock at a known instant, buses with unique prefixes, a
//! collector of the SyncRequested events the scheduler publishes, and role start/stop.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use posture_bus::topics::SYNC_REQUESTED;
use posture_bus::{Bus, ConsumerConfig, MemoryBus, NatsBus, NatsBusConfig, Prefix, StreamSettings};
use posture_kit::clock::{ManualClock, SharedClock};
use posture_kit::config::SchedulerConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::TenantId;
use posture_proto::events::v1::SyncRequested;
use posture_scheduler::store::{SCHEMA, ScheduleStore};
use posture_scheduler::{
    InProcessLease, ScheduleDefaults, Scheduler, SchedulerDeps, SchedulerLease, SchedulerRole,
    SchedulerSettings,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub const TENANT: &str = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11";
pub const OTHER_TENANT: &str = "1d6c2e0a-7b4f-4c39-8a55-3e2f9d8b7c60";

pub fn tenant() -> TenantId {
    TENANT.parse().expect("a GUID")
}

pub fn other_tenant() -> TenantId {
    OTHER_TENANT.parse().expect("a GUID")
}

/// 2026-03-10 at `h:m` UTC.
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, h, m, 0)
        .single()
        .expect("valid instant")
}

/// The default of the configuration: nightly at 03:00 UTC over a two-hour window.
pub fn defaults() -> ScheduleDefaults {
    ScheduleDefaults::from_config(&SchedulerConfig::default()).expect("default config is valid")
}

pub fn nats_url() -> String {
    std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

pub fn unique_prefix() -> Prefix {
    Prefix::new(format!("schedtest{}", uuid::Uuid::new_v4().simple())).expect("valid prefix")
}

pub fn memory_bus() -> Arc<dyn Bus> {
    Arc::new(MemoryBus::new(unique_prefix(), StreamSettings::default()))
}

pub async fn nats_client() -> async_nats::Client {
    async_nats::connect(nats_url())
        .await
        .expect("NATS at POSTURE_TEST_NATS_URL")
}

pub async fn nats_bus(prefix: Prefix) -> NatsBus {
    let mut config = NatsBusConfig::new(nats_url());
    config.prefix = prefix;
    config.streams.events_max_age = Duration::from_secs(600);
    NatsBus::connect(config).await.expect("NATS bus")
}

pub async fn store(db: &TestDatabase) -> ScheduleStore {
    let store = ScheduleStore::new(db.connect(SCHEMA).await.expect("connect"));
    store.migrate().await.expect("migrate");
    store
}

pub fn scheduler(store: ScheduleStore, bus: Arc<dyn Bus>, clock: &ManualClock) -> Scheduler {
    Scheduler {
        store,
        bus,
        clock: Arc::new(clock.clone()),
        defaults: defaults(),
    }
}

/// Reads the SyncRequested events of the bus from the beginning, as the sync role would.
pub struct Requests {
    consumer: Box<dyn posture_bus::Consumer>,
    cancel: CancellationToken,
}

impl Requests {
    pub async fn new(bus: &dyn Bus) -> Requests {
        let filter = SYNC_REQUESTED.filter();
        let name = format!("test-requests-{}", uuid::Uuid::new_v4().simple());
        let consumer = bus
            .consumer(ConsumerConfig::new(name, filter).expect("consumer config"))
            .await
            .expect("consumer");
        Requests {
            consumer,
            cancel: CancellationToken::new(),
        }
    }

    /// Every request that arrives until none has come for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<SyncRequested> {
        let mut seen = Vec::new();
        while let Ok(next) = tokio::time::timeout(quiet, self.consumer.next(&self.cancel)).await {
            let Some(delivery) = next.expect("consumer next") else {
                break;
            };
            seen.push(
                delivery
                    .decode::<SyncRequested>()
                    .expect("a SyncRequested payload"),
            );
            delivery.ack().await.expect("ack");
        }
        seen
    }

    /// Waits up to `limit` for the first request, then collects the rest.
    pub async fn wait_for_some(&mut self, limit: Duration) -> Vec<SyncRequested> {
        let first = tokio::time::timeout(limit, self.consumer.next(&self.cancel))
            .await
            .ok()
            .and_then(|next| next.expect("consumer next"));
        let Some(first) = first else { return Vec::new() };
        let mut seen = vec![first.decode::<SyncRequested>().expect("a SyncRequested payload")];
        first.ack().await.expect("ack");
        seen.extend(self.drain(Duration::from_millis(300)).await);
        seen
    }
}

/// A running role and the handles to stop it.
pub struct RunningRole {
    pub role: SchedulerRole,
    pub shutdown: CancellationToken,
    pub tasks: TaskTracker,
}

impl RunningRole {
    pub async fn start(
        db: &TestDatabase,
        bus: Arc<dyn Bus>,
        clock: &ManualClock,
        lease: Arc<dyn SchedulerLease>,
        holder: &str,
    ) -> RunningRole {
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let settings = SchedulerSettings {
            defaults: defaults(),
            tick: Duration::from_millis(20),
            holder: holder.to_owned(),
            batch: 100,
            notifications: posture_scheduler::notify::DeliverySettings::default(),
        };
        let role = posture_scheduler::start(SchedulerDeps {
            db: db.connect(SCHEMA).await.expect("connect"),
            bus,
            clock: Arc::new(clock.clone()) as SharedClock,
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
            lease,
            settings,
            webhook_secrets: None,
            credentials: None,
        })
        .await
        .expect("scheduler role starts");
        RunningRole {
            role,
            shutdown,
            tasks,
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.close();
        tokio::time::timeout(Duration::from_secs(10), self.tasks.wait())
            .await
            .expect("role stops within 10 s");
    }
}

pub fn in_process_lease(clock: &ManualClock) -> Arc<InProcessLease> {
    Arc::new(InProcessLease::new(
        Arc::new(clock.clone()),
        Duration::from_secs(30),
    ))
}

/// Polls `check` every 20 ms for up to 5 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..250 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}
