//! Due slots become exactly one SyncRequested each, on PostgreSQL and SQLite.

use std::time::Duration;

use chrono::Duration as Span;
use posture_kit::clock::ManualClock;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1::SyncTrigger;
use posture_scheduler::cadence::spread_offset;
use posture_scheduler::{REQUESTED_BY, scheduled_event_id, scheduled_run_id};

use crate::support::*;

const QUIET: Duration = Duration::from_millis(200);

posture_kit::db_test!(
    due_schedule_publishes_sync_requested_once,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(at(1, 0));
        let bus = memory_bus();
        let mut requests = Requests::new(bus.as_ref()).await;
        let scheduler = scheduler(store(&db).await, bus.clone(), &clock);
        assert!(scheduler.ensure_schedule(&tenant()).await.expect("create"));
        assert!(
            !scheduler.ensure_schedule(&tenant()).await.expect("exists"),
            "an existing schedule is kept"
        );

        let offset = spread_offset(&tenant(), Span::hours(2));
        let start = at(3, 0) + offset;
        clock.set(start - Span::seconds(1));
        assert_eq!(
            scheduler.fire_due(100).await.expect("tick"),
            0,
            "not due a second early"
        );
        assert!(requests.drain(QUIET).await.is_empty());

        clock.set(start);
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 1);
        // Later ticks on the same day owe nothing more.
        clock.advance(Span::hours(5));
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 0);

        let seen = requests.drain(QUIET).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        let request = &seen[0];
        assert_eq!(request.tenant_id, TENANT);
        assert_eq!(request.trigger, SyncTrigger::Scheduled as i32);
        assert_eq!(request.requested_by, REQUESTED_BY);
        assert_eq!(request.run_id, scheduled_run_id(&tenant(), at(3, 0)).to_string());
        assert_eq!(
            request.event_id,
            scheduled_event_id(&tenant(), at(3, 0)).to_string()
        );

        let stored = scheduler
            .store
            .get(&tenant())
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(stored.last_slot, at(3, 0));
        assert_eq!(
            stored.last_run_id.map(|id| id.to_string()),
            Some(request.run_id.clone())
        );
        assert_eq!(stored.last_triggered_at, Some(start));
        assert_eq!(stored.next_run_at, start + Span::days(1));
    }
);

posture_kit::db_test!(
    slots_missed_while_down_fire_once_not_once_per_day,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(at(1, 0));
        let bus = memory_bus();
        let mut requests = Requests::new(bus.as_ref()).await;
        let scheduler = scheduler(store(&db).await, bus.clone(), &clock);
        scheduler.ensure_schedule(&tenant()).await.expect("create");

        clock.advance(Span::days(4));
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 1);
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 0);
        let seen = requests.drain(QUIET).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        // The one run owed is the latest slot, not the oldest missed one.
        let latest = at(3, 0) + Span::days(3);
        assert_eq!(seen[0].run_id, scheduled_run_id(&tenant(), latest).to_string());
    }
);

posture_kit::db_test!(
    request_republished_after_a_crash_before_recording_is_a_duplicate,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(at(1, 0));
        let bus = memory_bus();
        let mut requests = Requests::new(bus.as_ref()).await;
        let scheduler = scheduler(store(&db).await, bus.clone(), &clock);
        scheduler.ensure_schedule(&tenant()).await.expect("create");
        let before = scheduler
            .store
            .get(&tenant())
            .await
            .expect("read")
            .expect("exists");

        clock.set(at(5, 30));
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 1);
        // As if the process died after publishing and before recording: the slot is owed again.
        assert!(scheduler.store.replace(&before).await.expect("rewind"));
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 1);

        let seen = requests.drain(QUIET).await;
        assert_eq!(seen.len(), 1, "the bus drops the republished request: {seen:?}");
    }
);

posture_kit::db_test!(
    disabled_schedule_does_not_fire_and_resumes_without_backlog,
    |db: TestDatabase| async move {
        let clock = ManualClock::new(at(1, 0));
        let bus = memory_bus();
        let mut requests = Requests::new(bus.as_ref()).await;
        let scheduler = scheduler(store(&db).await, bus.clone(), &clock);
        scheduler.ensure_schedule(&tenant()).await.expect("create");
        let api = posture_scheduler::ScheduleApi::new(scheduler.clone());
        let pause = posture_scheduler::api::ScheduleChange {
            enabled: Some(false),
            ..Default::default()
        };
        api.update(&tenant(), pause, "ops@example.com")
            .await
            .expect("pause");

        clock.advance(Span::days(2));
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 0);
        let resume = posture_scheduler::api::ScheduleChange {
            enabled: Some(true),
            ..Default::default()
        };
        let resumed = api
            .update(&tenant(), resume, "ops@example.com")
            .await
            .expect("resume");
        assert!(
            resumed.next_run_at > clock_now(&clock),
            "resuming owes no run for paused days"
        );
        assert_eq!(scheduler.fire_due(100).await.expect("tick"), 0);
        assert!(requests.drain(QUIET).await.is_empty());
    }
);

fn clock_now(clock: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    use posture_kit::clock::Clock;
    clock.now()
}
