//! The world a sync test runs in: the testkit's world (the simulator, the credentials and tokens
//! roles on one loopback gRPC server) with sync roles started as "processes" of their own, so a
//! test can stop one alone; plus the sync suite's own tenants, settings and waits.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::Bus;
use posture_graph_sim::{FaultRule, FaultSpec, Latency, TenantInfo, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
pub use posture_sync::SyncSettings;
#[allow(unused_imports)] // the benchmark shares this file and opens no bus of its own
pub use posture_testkit::{SyncProcess, World, memory_bus, nats_bus};

/// A world on the in-process bus.
pub async fn new_world(db: TestDatabase) -> World {
    World::builder().start(db).await
}

/// A world on `bus`.
pub async fn world_with_bus(db: TestDatabase, bus: Arc<dyn Bus>) -> World {
    World::builder().bus(bus).start(db).await
}

/// A connected tenant of `users` whose users pages each take `ms`.
pub async fn slow_tenant(world: &World, users: u32, ms: u64) -> TenantInfo {
    world
        .tenant(TenantSpec {
            users,
            faults: Some(slow_users(ms)),
            ..TenantSpec::default()
        })
        .await
}

/// Every users page (users and sign-in activity) answered `ms` late, so a run stays active long
/// enough to watch, cancel or cut off.
pub fn slow_users(ms: u64) -> FaultSpec {
    FaultSpec {
        seed: 1,
        rules: vec![FaultRule {
            path: "/v1.0/users*".into(),
            latency: Some(Latency::Fixed { ms }),
            ..FaultRule::default()
        }],
    }
}

/// Test settings: quick retries so fault tests finish in seconds.
pub fn settings() -> SyncSettings {
    let mut settings = SyncSettings {
        concurrency: 2,
        ack_wait: Duration::from_secs(10),
        ..SyncSettings::default()
    };
    settings.bus_retry.initial_backoff = Duration::from_millis(100);
    settings.bus_retry.max_backoff = Duration::from_millis(500);
    settings.bus_retry.shutdown_grace = Duration::from_millis(50);
    settings
}

/// The common start of a test: a world on SQLite, one connected tenant, one sync process.
pub async fn sqlite_world(spec: TenantSpec) -> (World, TenantInfo, SyncProcess) {
    let world = new_world(TestDatabase::sqlite().expect("sqlite")).await;
    let tenant = world.tenant(spec).await;
    let process = world.start_sync(settings()).await;
    (world, tenant, process)
}

/// Starts a run of `kinds` (every kind when empty) and returns it as started.
pub async fn start_run(process: &SyncProcess, tenant: &TenantInfo, kinds: &[&str]) -> pb::SyncRun {
    process
        .sync()
        .start_sync(pb::StartSyncRequest {
            tenant_id: tenant.tenant_id.to_string(),
            entity_kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
        })
        .await
        .expect("run starts")
        .into_inner()
        .run
        .expect("run")
}

/// Starts a run and waits until it is terminal.
pub async fn sync_and_wait(process: &SyncProcess, tenant: &TenantInfo, kinds: &[&str]) -> pb::SyncRun {
    let run = start_run(process, tenant, kinds).await;
    wait_for_run(process, tenant, &run.run_id).await
}

pub async fn wait_for_run(process: &SyncProcess, tenant: &TenantInfo, run_id: &str) -> pb::SyncRun {
    posture_testkit::wait_for_run(&process.channel, &tenant.tenant_id.to_string(), run_id).await
}

/// The simulator tenant's id as the service types it.
pub fn tenant_id(tenant: &TenantInfo) -> TenantId {
    TenantId::from_uuid(tenant.tenant_id).expect("a simulator tenant has a GUID")
}

pub fn entity<'a>(run: &'a pb::SyncRun, kind: &str) -> &'a pb::EntitySync {
    run.entities
        .iter()
        .find(|e| e.entity_kind == kind)
        .unwrap_or_else(|| panic!("run has no entity {kind}"))
}
