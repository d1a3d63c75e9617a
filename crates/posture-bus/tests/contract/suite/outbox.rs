//! The transactional outbox on both engines: an event staged with a committed change is published
//! even when the first publish fails, exactly once; an event staged in a rolled-back transaction
//! never leaves.

use std::sync::Arc;
use std::time::Duration;

use posture_bus::outbox::{self, Outbox, OutboxMessage, StageMessage};
use posture_bus::testing::FailingPublishes;
use posture_bus::{Bus, ConsumerConfig, MessageId, StreamKind, SubjectFilter, topics};
use posture_kit::db::test_support::TestDatabase;
use posture_kit::db::{Backend, BeginWrite, Db};
use posture_kit::ids::TenantId;
use posture_kit::on_backend;
use posture_proto::events::v1::SyncRunCompleted;

use crate::harness::{TestBus, next_within};

const SCHEMA: &str = "outbox_contract";

async fn store(backend: Backend) -> (TestDatabase, Db) {
    let test = TestDatabase::new(backend).await.unwrap();
    let db = test.connect(SCHEMA).await.unwrap();
    let migrations = [
        outbox::migration(1),
        posture_kit::db::Migration {
            version: 2,
            description: "runs",
            postgres: "CREATE TABLE runs (id TEXT PRIMARY KEY)",
            sqlite: "CREATE TABLE runs (id TEXT PRIMARY KEY)",
        },
    ];
    db.migrate(SCHEMA, &migrations).await.unwrap();
    (test, db)
}

fn completed(tenant: &TenantId, run: &str) -> OutboxMessage {
    let event = SyncRunCompleted {
        event_id: format!("{run}.completed"),
        tenant_id: tenant.to_string(),
        ..Default::default()
    };
    OutboxMessage::new(
        topics::RUN_COMPLETED.subject(tenant),
        MessageId::new(event.event_id.clone()).unwrap(),
        &event,
    )
}

/// Inserts the run and stages its event in one transaction, committed or rolled back.
async fn complete_run(db: &Db, tenant: &TenantId, run: &str, commit: bool) {
    let message = completed(tenant, run);
    on_backend!(db, |pool| {
        let mut tx = pool.begin_write().await.unwrap();
        sqlx::query("INSERT INTO runs (id) VALUES ($1)")
            .bind(run)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.stage(&message).await.unwrap();
        if commit {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
    });
}

pub async fn a_staged_event_survives_a_failed_publish_and_arrives_once(t: &TestBus) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (_test, db) = store(backend).await;
        let tenant = TenantId::new_random();
        // This tenant's events only: the stream still holds the previous engine's.
        let this_tenant = SubjectFilter::new(
            StreamKind::Events,
            [topics::RUN_COMPLETED.token(), &tenant.to_string()],
        )
        .unwrap();
        let config = ConsumerConfig::new(format!("outbox-{backend:?}").to_lowercase(), this_tenant)
            .unwrap()
            .with_ack_wait(Duration::from_millis(500));
        let mut consumer = t.consumer(&config).await;
        let failing = Arc::new(FailingPublishes::new(
            t.bus.clone(),
            topics::RUN_COMPLETED.filter(),
            1,
        ));
        let outbox = Outbox::new(db.clone(), failing.clone() as Arc<dyn Bus>);

        complete_run(&db, &tenant, "run-rolled-back", false).await;
        // Run ids differ per engine: the bus would drop a repeated message id as a duplicate.
        let run = format!("run-{tenant}");
        complete_run(&db, &tenant, &run, true).await;

        assert!(
            outbox.relay().await.is_err(),
            "{backend:?}: the injected failure surfaces"
        );
        assert_eq!(failing.failed(), 1);
        assert_eq!(
            outbox.relay().await.unwrap(),
            1,
            "{backend:?}: the staged event goes out on the next pass"
        );
        assert_eq!(
            outbox.relay().await.unwrap(),
            0,
            "{backend:?}: and is not staged any more"
        );

        let delivery = next_within(&mut consumer, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{backend:?}: the event arrives"));
        let event: SyncRunCompleted = delivery.decode().unwrap();
        assert_eq!(event.event_id, format!("{run}.completed"));
        assert_eq!(
            event.tenant_id,
            tenant.to_string(),
            "{backend:?} {:?}",
            delivery.subject()
        );
        delivery.ack().await.unwrap();
        assert!(
            next_within(&mut consumer, Duration::from_millis(800))
                .await
                .is_none(),
            "{backend:?}: exactly once, and nothing of the rolled-back transaction"
        );
        consumer.close().await.unwrap();
        db.close().await;
    }
}

pub async fn the_relay_task_publishes_after_a_commit_and_drains_at_shutdown(t: &TestBus) {
    let (_test, db) = store(Backend::Sqlite).await;
    let tenant = TenantId::new_random();
    let config = ConsumerConfig::new("outbox-relay", topics::RUN_COMPLETED.filter()).unwrap();
    let mut consumer = t.consumer(&config).await;
    let outbox = Outbox::new(db.clone(), t.bus.clone());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let tasks = tokio_util::task::TaskTracker::new();
    outbox.spawn(shutdown.clone(), &tasks);

    complete_run(&db, &tenant, "run-2", true).await;
    outbox.notify();
    let delivery = next_within(&mut consumer, Duration::from_secs(5))
        .await
        .expect("published after the commit");
    delivery.ack().await.unwrap();

    // Staged without a wake-up, and the relay stopped before its next poll: its last pass at
    // shutdown still publishes the event.
    complete_run(&db, &tenant, "run-3", true).await;
    shutdown.cancel();
    tasks.close();
    tasks.wait().await;
    assert_eq!(
        outbox.relay().await.unwrap(),
        0,
        "nothing left staged after shutdown"
    );
    let delivery = next_within(&mut consumer, Duration::from_secs(5))
        .await
        .expect("published by the last pass");
    let event: SyncRunCompleted = delivery.decode().unwrap();
    assert_eq!(event.event_id, "run-3.completed");
    delivery.ack().await.unwrap();
    consumer.close().await.unwrap();
}
