//! No announcement is lost: when the first publish of an event fails, the event still arrives,
//! once, and the work behind it happens once. On the in-process bus with SQLite and on NATS with
//! PostgreSQL, as standalone and a distributed deployment run.

use std::sync::Arc;
use std::time::Duration;

use posture_assessment::service::RoleSettings;
use posture_bus::{Bus, topics};
use posture_graph_sim::Profile;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;

use crate::events::{next_completed, next_event, nothing_more};
use crate::observed::ObservedBus;
use crate::pipeline::spec;
use posture_testkit::on_both_buses;

use crate::world::{World, assessment_settings};

/// How long a second copy of an event is waited for: longer than the role's retry backoff (at
/// most 500 ms in the test world) and the outbox relay's pause after a failure (2 s).
const QUIET: Duration = Duration::from_secs(4);

/// A completed run whose assessment's first announcement fails: the run-completed event is
/// redelivered, the redelivery announces, and the run has one assessment.
async fn assessment_of_a_run_is_announced_once_after_a_failed_publish(db: TestDatabase, inner: Arc<dyn Bus>) {
    let bus = ObservedBus::new(inner);
    let failing = bus.fail_publishes(topics::ASSESSMENT_COMPLETED.filter(), 1);
    let world = World::with_bus(db, bus.clone()).await;
    let mut completions = world.completions().await;
    let tenant = world.tenant(spec(Profile::Typical)).await;
    let run = world.sync(&tenant).await;
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    assert_eq!(
        assessment.state,
        pb::AssessmentState::Succeeded as i32,
        "{assessment:#?}"
    );

    let event = next_completed(&mut completions).await;
    let announced = event.assessment.expect("assessment in the event");
    assert_eq!(announced.assessment_id, assessment.assessment_id);
    assert_eq!(announced.state, pb::AssessmentState::Succeeded as i32);
    assert_eq!(failing.failed(), 1, "the first announcement failed");
    assert!(
        bus.most_deliveries(topics::durable::ASSESSMENT_RUNS) >= 2,
        "the run-completed event was redelivered"
    );
    nothing_more(&mut completions, QUIET).await;

    let of_run: Vec<_> = world
        .all_assessments(&tenant)
        .await
        .into_iter()
        .filter(|a| a.sync_run_id == run.run_id)
        .collect();
    assert_eq!(of_run.len(), 1, "{of_run:#?}");
}

/// As above, but the failed publish is on the event's last delivery: nothing redelivers it, so
/// the announcement is handed to the outbox relay.
async fn assessment_is_announced_after_a_failed_publish_on_the_last_delivery(
    db: TestDatabase,
    inner: Arc<dyn Bus>,
) {
    let bus = ObservedBus::new(inner);
    let failing = bus.fail_publishes(topics::ASSESSMENT_COMPLETED.filter(), 1);
    let settings = RoleSettings {
        max_deliver: 1,
        ..assessment_settings()
    };
    let world = World::with_settings(db, bus.clone(), settings).await;
    let mut completions = world.completions().await;
    let tenant = world.tenant(spec(Profile::Typical)).await;
    let run = world.sync(&tenant).await;
    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;

    let event = next_completed(&mut completions).await;
    assert_eq!(
        event.assessment.map(|a| a.assessment_id),
        Some(assessment.assessment_id.clone())
    );
    assert_eq!(failing.failed(), 1, "the first announcement failed");
    assert_eq!(
        bus.most_deliveries(topics::durable::ASSESSMENT_RUNS),
        1,
        "the run-completed event was delivered once"
    );
    nothing_more(&mut completions, QUIET).await;
}

/// A manual assessment whose first announcement fails: nothing redelivers a StartAssessment, so
/// the outbox relay publishes it again.
async fn manual_assessment_is_announced_once_after_a_failed_publish(db: TestDatabase, inner: Arc<dyn Bus>) {
    let bus = ObservedBus::new(inner);
    let world = World::with_bus(db, bus.clone()).await;
    let mut completions = world.completions().await;
    let tenant = world.tenant(spec(Profile::Typical)).await;
    let run = world.sync(&tenant).await;
    let by_sync = world.assessment_of_run(&tenant, &run.run_id).await;
    let first = next_completed(&mut completions).await;
    assert_eq!(
        first.assessment.map(|a| a.assessment_id),
        Some(by_sync.assessment_id.clone())
    );

    // Only the manual assessment's announcement fails.
    let failing = bus.fail_publishes(topics::ASSESSMENT_COMPLETED.filter(), 1);
    let manual = world.assess_now(&tenant).await;
    assert_eq!(manual.state, pb::AssessmentState::Succeeded as i32, "{manual:#?}");
    let event = next_completed(&mut completions).await;
    let announced = event.assessment.expect("assessment in the event");
    assert_eq!(announced.assessment_id, manual.assessment_id);
    assert_eq!(announced.trigger, pb::AssessmentTrigger::Manual as i32);
    assert_eq!(failing.failed(), 1, "the first announcement failed");
    nothing_more(&mut completions, QUIET).await;

    let all = world.all_assessments(&tenant).await;
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0].assessment_id, manual.assessment_id);
}

/// The sync role's SyncRunCompleted, whose first publish fails: it still arrives once, and the
/// run is assessed once.
async fn run_completed_is_announced_once_after_a_failed_publish(db: TestDatabase, inner: Arc<dyn Bus>) {
    let bus = ObservedBus::new(inner);
    let failing = bus.fail_publishes(topics::RUN_COMPLETED.filter(), 1);
    let world = World::with_bus(db, bus.clone()).await;
    let mut runs = world.events(topics::RUN_COMPLETED.filter()).await;
    let tenant = world.tenant(spec(Profile::Typical)).await;
    let run = world.sync(&tenant).await;

    let event: ev::SyncRunCompleted =
        next_event(&mut runs, |d| d.decode().expect("SyncRunCompleted decodes")).await;
    assert_eq!(event.run.map(|r| r.run_id), Some(run.run_id.clone()));
    assert_eq!(failing.failed(), 1, "the first announcement failed");
    nothing_more(&mut runs, QUIET).await;

    let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
    assert_eq!(
        assessment.state,
        pb::AssessmentState::Succeeded as i32,
        "{assessment:#?}"
    );
    let of_run: Vec<_> = world
        .all_assessments(&tenant)
        .await
        .into_iter()
        .filter(|a| a.sync_run_id == run.run_id)
        .collect();
    assert_eq!(of_run.len(), 1, "{of_run:#?}");
}

on_both_buses!(
    assessment_of_a_run_is_announced_once_after_a_failed_publish,
    assessment_is_announced_after_a_failed_publish_on_the_last_delivery,
    manual_assessment_is_announced_once_after_a_failed_publish,
    run_completed_is_announced_once_after_a_failed_publish,
);
