//! Publishers and consumers agree: a world with every role that consumes runs a tenant from
//! connection to assessment on a recording bus, and every durable consumer's filter must take
//! something a role published, and every published job or event must reach a consumer unless it
//! is announced only for watchers and integrations.

use std::sync::Arc;
use std::time::Duration;

use posture_assessment::service::RoleSettings;
use posture_bus::{Bus, topics};
use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_kit::clock::SystemClock;
use posture_kit::db::test_support::TestDatabase;
use posture_sync::SyncSettings;
use posture_testkit::{PATIENCE, RecordingBus, World, memory_bus};

#[tokio::test(flavor = "multi_thread")]
async fn every_consumer_takes_what_a_publisher_sends_and_every_job_and_event_is_consumed() {
    let recorder = Arc::new(RecordingBus::new(memory_bus()));
    let world = World::builder()
        .bus(recorder.clone() as Arc<dyn Bus>)
        .with_sync(SyncSettings::default())
        .with_assessment(RoleSettings::default(), Arc::new(SystemClock))
        .start(TestDatabase::sqlite().expect("sqlite"))
        .await;
    let tenant = world
        .tenant(TenantSpec {
            users: 20,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .await;
    world.sync_and_wait(&tenant, Vec::new()).await;
    let completed = topics::ASSESSMENT_COMPLETED.filter();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !recorder.published().iter().any(|s| completed.matches(s)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run was never assessed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let published = recorder.published();
    let consumers = recorder.consumers();
    // The scheduler, which publishes sync requests, is not part of this world; no tenant is
    // purged in it (the end-to-end purge suite, tests/tests/purge.rs, covers those consumers).
    let unexercised = [
        topics::durable::SYNC_REQUESTS,
        topics::durable::SYNC_PURGES,
        topics::durable::ASSESSMENT_PURGES,
        topics::durable::SCHEDULER_PURGES,
    ];
    for (name, filter) in &consumers {
        if unexercised.contains(&name.as_str()) {
            continue;
        }
        assert!(
            published.iter().any(|subject| filter.matches(subject)),
            "consumer {name} ({filter:?}) took nothing any role published: {published:?}"
        );
    }
    let for_watchers = [
        topics::ENTITY_SYNCED.filter(),
        topics::CONNECTION_HEALTH_CHANGED.filter(),
        topics::ASSESSMENT_COMPLETED.filter(),
        topics::DRIFT_DETECTED.filter(),
    ];
    for subject in &published {
        if for_watchers.iter().any(|filter| filter.matches(subject)) {
            continue;
        }
        assert!(
            consumers.iter().any(|(_, filter)| filter.matches(subject)),
            "{subject:?} was published but no consumer takes it"
        );
    }
    assert!(
        consumers
            .iter()
            .any(|(name, _)| name == topics::durable::ASSESSMENT_RUNS),
        "{consumers:?}"
    );
}
