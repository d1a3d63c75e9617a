//! The store's bookkeeping on PostgreSQL and SQLite: one row per tenant, conditional recording
//! of fired slots, and deletion.

use chrono::Duration as Span;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::RunId;
use posture_scheduler::cadence::Cadence;
use posture_scheduler::store::ScheduleRecord;

use crate::support::*;

posture_kit::db_test!(
    store_keeps_one_schedule_per_tenant_and_records_each_slot_once,
    |db: TestDatabase| async move {
        let store = store(&db).await;
        // Migrating again (another pod starting) is harmless.
        store.migrate().await.expect("migrate twice");
        let mut record = ScheduleRecord::new(tenant(), defaults().cadence, Span::hours(2), at(1, 0));
        record.entity_kinds = vec!["groups".to_owned(), "users".to_owned()];
        assert!(store.insert_if_absent(&record).await.expect("insert"));
        let other = ScheduleRecord::new(
            tenant(),
            Cadence::Daily { minute_of_day: 0 },
            Span::zero(),
            at(2, 0),
        );
        assert!(!store.insert_if_absent(&other).await.expect("insert again"));
        assert_eq!(store.get(&tenant()).await.expect("read"), Some(record.clone()));

        let slot = at(3, 0);
        let now = record.next_run_at;
        let (run_1, run_2) = (RunId::new_random(), RunId::new_random());
        assert!(
            store
                .record_fired(&record, slot, now, &run_1)
                .await
                .expect("record")
        );
        // A second scheduler that read the row before the first recorded loses the race.
        assert!(
            !store
                .record_fired(&record, slot, now, &run_2)
                .await
                .expect("record")
        );
        let fired = store.get(&tenant()).await.expect("read").expect("exists");
        assert_eq!(fired.last_slot, slot);
        assert_eq!(fired.last_run_id, Some(run_1));
        assert_eq!(fired.next_run_at, record.next_run_at + Span::days(1));
        assert_eq!(store.due(now, 10).await.expect("due"), vec![]);
        assert_eq!(store.due(fired.next_run_at, 10).await.expect("due").len(), 1);

        assert!(store.delete(&tenant()).await.expect("delete"));
        assert!(!store.delete(&tenant()).await.expect("delete again"));
        assert_eq!(store.get(&tenant()).await.expect("read"), None);
    }
);
