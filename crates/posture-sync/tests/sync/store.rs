//! The store on both engines: page writes are atomic with their cursor, unchanged objects are
//! not rewritten, removals and configuration versions are recorded, one active run per tenant.

use chrono::Utc;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::{RunId, TenantId};
use posture_sync::state::{EntityState, FailureClass, RunState, Trigger};
use posture_sync::store::{
    Cursor, ErrorRecord, InventoryStore, NewRun, ObjectQuery, PageWrite, StoreError, Upsert,
};

const TENANT_ID: &str = "8d3c1f9e-0000-4000-8000-000000000001";

fn tenant() -> TenantId {
    TENANT_ID.parse().expect("tenant id")
}

fn upsert(id: &str, content: &str, version: i64) -> Upsert {
    Upsert {
        object_id: id.to_owned(),
        display_name: format!("name {id}"),
        content: content.to_owned(),
        content_hash: posture_sync::canonical::sha256_hex(content),
        state_hash: posture_sync::canonical::sha256_hex(content),
        version,
    }
}

fn page(
    run: RunId,
    upserts: Vec<Upsert>,
    removals: Vec<(String, i64)>,
    next: Option<&str>,
) -> PageWrite<'static> {
    PageWrite {
        tenant_id: tenant(),
        kind: "conditional_access_policies",
        run_id: run,
        // Not started: the entity's recorded attempt is still 0.
        attempt: 0,
        configuration: true,
        now: Utc::now(),
        added: upserts.len() as u64,
        upserts,
        refreshes: vec![],
        removals,
        changed: 0,
        unchanged: 0,
        pages: 1,
        cursor: Cursor {
            run_id: Some(run),
            next_link: next.map(str::to_owned),
            delta_link: None,
            complete_pass: true,
        },
        batch_size: 2,
    }
}

async fn store(db: &TestDatabase) -> InventoryStore {
    let store = InventoryStore::new(db.connect("sync").await.expect("connect"));
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrating twice is a no-op");
    store
}

/// A migrated store with one run, the start of most tests here.
async fn store_with_run(db: &TestDatabase) -> (InventoryStore, RunId) {
    let store = store(db).await;
    let run = RunId::new_random();
    new_run(&store, run).await.expect("run created");
    (store, run)
}

async fn new_run(store: &InventoryStore, run: RunId) -> Result<(), StoreError> {
    store
        .create_run(
            &NewRun {
                run_id: run,
                tenant_id: tenant(),
                trigger: Trigger::Manual,
                requested_by: "test",
                requested_at: Utc::now(),
                kinds: &["conditional_access_policies", "users"],
            },
            &[],
        )
        .await
}

posture_kit::db_test!(
    page_writes_store_objects_versions_counts_and_cursor_together,
    |db: TestDatabase| async move {
        let (store, run) = store_with_run(&db).await;
        let objects = vec![
            upsert("a", r#"{"id":"a"}"#, 1),
            upsert("b", r#"{"id":"b"}"#, 1),
            upsert("c", r#"{"id":"c"}"#, 1),
        ];
        let outcome = store
            .apply_page(&page(run, objects, vec![], Some("http://x/next")))
            .await
            .expect("write");
        assert_eq!(outcome.rows_written, 6, "three objects and three versions");
        assert_eq!(store.row_counts().await.expect("counts"), (3, 3));
        let cursor = store
            .cursor(&tenant(), "conditional_access_policies")
            .await
            .expect("cursor");
        assert_eq!(cursor.next_link.as_deref(), Some("http://x/next"));
        assert_eq!(cursor.run_id, Some(run));

        let known = store
            .known_objects(&tenant(), "conditional_access_policies")
            .await
            .expect("known");
        assert_eq!(known.len(), 3);
        assert_eq!(known["a"].version, 1);
        // Without volatile fields the content hash is the state hash and is not held twice.
        assert_eq!(known["a"].distinct_content_hash, None);
        assert_eq!(known["a"].content_hash(), known["a"].state_hash);

        // A change of `a` and the removal of `b`: new versions, removed flag, counters add up.
        let outcome = store
            .apply_page(&page(
                run,
                vec![upsert("a", r#"{"id":"a","state":"disabled"}"#, 2)],
                vec![("b".into(), 2)],
                None,
            ))
            .await
            .expect("second write");
        assert_eq!(outcome.rows_written, 4);
        let b = store
            .object(&tenant(), "conditional_access_policies", "b")
            .await
            .expect("read")
            .expect("kept");
        assert!(b.removed);
        let versions = store
            .versions(&tenant(), "conditional_access_policies", "a", None, 10)
            .await
            .expect("versions");
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
        let v1 = store
            .version(&tenant(), "conditional_access_policies", "a", 1)
            .await
            .expect("read")
            .expect("v1");
        assert_eq!(v1.content, r#"{"id":"a"}"#);

        let listed = store
            .list_objects(&ObjectQuery {
                tenant_id: tenant(),
                kind: "conditional_access_policies",
                include_removed: false,
                with_content: true,
                after: None,
                limit: 10,
                as_of: None,
            })
            .await
            .expect("list");
        assert_eq!(
            listed.iter().map(|o| o.object_id.as_str()).collect::<Vec<_>>(),
            vec!["a", "c"]
        );
        assert_eq!(listed[0].content, r#"{"id":"a","state":"disabled"}"#);

        let run_record = store.run(&run).await.expect("read run").expect("run exists");
        let cap = &run_record.entities[0];
        assert_eq!((cap.added, cap.removed, cap.pages), (4, 1, 2));
    }
);

posture_kit::db_test!(
    one_active_run_per_tenant_and_terminal_transitions_happen_once,
    |db: TestDatabase| async move {
        let store = store(&db).await;
        let first = RunId::new_random();
        new_run(&store, first).await.expect("first run");
        let second = RunId::new_random();
        assert!(matches!(
            new_run(&store, second).await,
            Err(StoreError::AlreadyExists { .. })
        ));
        assert_eq!(store.active_run(&tenant()).await.expect("active"), Some(first));

        let now = Utc::now();
        store.start_entity(&first, "users", 1, now).await.expect("start");
        assert!(
            store
                .complete_run_if_done(&first, now)
                .await
                .expect("check")
                .is_none()
        );
        let reason = ErrorRecord {
            code: "Authorization_RequestDenied".into(),
            permissions: vec!["Policy.Read.All".into()],
            ..ErrorRecord::new(FailureClass::Permission, "denied")
        };
        assert!(
            store
                .finish_entity(
                    &first,
                    "conditional_access_policies",
                    EntityState::Failed,
                    Some(&reason),
                    now
                )
                .await
                .expect("fail")
        );
        assert!(
            !store
                .finish_entity(
                    &first,
                    "conditional_access_policies",
                    EntityState::Succeeded,
                    None,
                    now
                )
                .await
                .expect("again")
        );
        assert!(
            store
                .finish_entity(&first, "users", EntityState::Succeeded, None, now)
                .await
                .expect("users")
        );
        let done = store
            .complete_run_if_done(&first, now)
            .await
            .expect("complete")
            .expect("completed");
        assert_eq!(done.state, RunState::PartiallySucceeded);
        assert_eq!(
            done.entities[0].error.as_ref().map(|e| e.permissions.clone()),
            Some(vec!["Policy.Read.All".to_owned()])
        );
        // Asked again later, the run is the one completed before: the transition happened once.
        let again = store
            .complete_run_if_done(&first, now + chrono::Duration::seconds(5))
            .await
            .expect("complete again")
            .expect("still completed");
        assert_eq!(again, done);
        new_run(&store, second)
            .await
            .expect("a new run once the first is done");
    }
);

posture_kit::db_test!(
    a_refresh_rewrites_content_without_a_version_or_a_change,
    |db: TestDatabase| async move {
        let (store, run) = store_with_run(&db).await;
        let stable = posture_sync::canonical::sha256_hex(r#"{"id":"a"}"#);
        let at = |content: &str| Upsert {
            state_hash: stable.clone(),
            ..upsert("a", content, 1)
        };
        let january = r#"{"id":"a","modifiedDateTime":"2026-01-01T00:00:00Z"}"#;
        store
            .apply_page(&page(run, vec![at(january)], vec![], None))
            .await
            .expect("first write");
        let before = store
            .object(&tenant(), "conditional_access_policies", "a")
            .await
            .expect("read")
            .expect("stored");

        let february = r#"{"id":"a","modifiedDateTime":"2026-02-01T00:00:00Z"}"#;
        let mut refresh = page(run, vec![], vec![], None);
        refresh.refreshes = vec![at(february)];
        refresh.unchanged = 1;
        refresh.now = before.changed_at + chrono::Duration::seconds(5);
        let outcome = store.apply_page(&refresh).await.expect("refresh");
        assert_eq!(outcome.rows_written, 1, "the object only, no version row");

        let after = store
            .object(&tenant(), "conditional_access_policies", "a")
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(after.content, february);
        assert_eq!(after.content_hash, posture_sync::canonical::sha256_hex(february));
        assert_eq!(after.version, 1);
        assert_eq!(after.changed_at, before.changed_at);
        assert_eq!(after.last_seen, refresh.now);
        assert_eq!(store.row_counts().await.expect("counts"), (1, 1));
        let known = store
            .known_objects(&tenant(), "conditional_access_policies")
            .await
            .expect("known");
        assert_eq!(known["a"].state_hash, stable);
        assert_eq!(known["a"].content_hash(), after.content_hash);
        let entity = &store.run(&run).await.expect("read run").expect("run").entities[0];
        assert_eq!((entity.added, entity.changed, entity.unchanged), (1, 0, 1));
    }
);

posture_kit::db_test!(
    a_page_of_a_superseded_delivery_or_a_settled_entity_is_rolled_back,
    |db: TestDatabase| async move {
        let (store, run) = store_with_run(&db).await;
        let kind = "conditional_access_policies";
        store
            .start_entity(&run, kind, 2, Utc::now())
            .await
            .expect("attempt 2 starts");
        let mut stale = page(
            run,
            vec![upsert("a", r#"{"id":"a"}"#, 1)],
            vec![],
            Some("http://x/2"),
        );
        stale.attempt = 1;
        match store.apply_page(&stale).await {
            Err(StoreError::Superseded { attempt: 1, .. }) => {}
            other => panic!("attempt 1 writes after attempt 2 started: {other:?}"),
        }
        assert_eq!(store.row_counts().await.expect("counts"), (0, 0));
        assert_eq!(
            store.cursor(&tenant(), kind).await.expect("cursor").next_link,
            None
        );
        stale.attempt = 2;
        store
            .apply_page(&stale)
            .await
            .expect("the current attempt writes");
        assert_eq!(store.row_counts().await.expect("counts"), (1, 1));
        // Once the entity is settled, no delivery adds to it.
        store
            .finish_entity(&run, kind, EntityState::Succeeded, None, Utc::now())
            .await
            .expect("settled");
        let late = page(run, vec![upsert("b", r#"{"id":"b"}"#, 1)], vec![], None);
        assert!(matches!(
            store.apply_page(&PageWrite { attempt: 2, ..late }).await,
            Err(StoreError::Superseded { .. })
        ));
        assert_eq!(store.row_counts().await.expect("counts"), (1, 1));
    }
);

posture_kit::db_test!(
    listing_as_of_a_time_returns_the_version_in_force_then,
    |db: TestDatabase| async move {
        let (store, run) = store_with_run(&db).await;
        let t1 = Utc::now() - chrono::Duration::hours(2);
        let t2 = t1 + chrono::Duration::hours(1);
        let mut first = page(
            run,
            vec![upsert("a", r#"{"id":"a"}"#, 1), upsert("b", r#"{"id":"b"}"#, 1)],
            vec![],
            None,
        );
        first.now = t1;
        store.apply_page(&first).await.expect("first write");
        let mut second = page(
            run,
            vec![
                upsert("a", r#"{"id":"a","state":"disabled"}"#, 2),
                upsert("c", r#"{"id":"c"}"#, 1),
            ],
            vec![("b".into(), 2)],
            None,
        );
        second.now = t2;
        store.apply_page(&second).await.expect("second write");

        let as_of = |at, include_removed| {
            let store = store.clone();
            async move {
                store
                    .list_objects(&ObjectQuery {
                        tenant_id: tenant(),
                        kind: "conditional_access_policies",
                        include_removed,
                        with_content: true,
                        after: None,
                        limit: 10,
                        as_of: Some(at),
                    })
                    .await
                    .expect("list as of")
                    .into_iter()
                    .map(|o| (o.object_id, o.version, o.content, o.removed))
                    .collect::<Vec<_>>()
            }
        };
        let v =
            |id: &str, version, content: &str, removed| (id.to_owned(), version, content.to_owned(), removed);

        assert!(
            as_of(t1 - chrono::Duration::minutes(1), true).await.is_empty(),
            "nothing existed before the first sync"
        );
        let between = as_of(t1 + chrono::Duration::minutes(30), false).await;
        assert_eq!(
            between,
            vec![
                v("a", 1, r#"{"id":"a"}"#, false),
                v("b", 1, r#"{"id":"b"}"#, false)
            ],
            "the first versions, and not c, which appeared later"
        );
        assert_eq!(
            as_of(t2, false).await,
            vec![
                v("a", 2, r#"{"id":"a","state":"disabled"}"#, false),
                v("c", 1, r#"{"id":"c"}"#, false)
            ],
            "at the second sync: a changed, b removed, c added"
        );
        let with_removed = as_of(t2, true).await;
        assert_eq!(with_removed.len(), 3);
        assert!(with_removed[1].3, "b is listed as removed: {with_removed:?}");
    }
);
