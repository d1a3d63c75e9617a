//! A worker that dies mid-job loses nothing and repeats nothing: the next process resumes the job
//! from the page after the last checkpoint and the run completes with the tenant's exact users.

use std::time::Duration;

use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::RunId;
use posture_proto::v1 as pb;
use posture_sync::state::EntityState;

use crate::ground_truth::assert_matches_truth;
use crate::world::{entity, new_world, settings, slow_tenant, tenant_id, wait_for_run};

#[tokio::test]
async fn worker_crash_mid_run_resumes_from_last_checkpoint() {
    let world = new_world(TestDatabase::postgres().await.expect("postgres")).await;
    let tenant = slow_tenant(&world, 9_000, 200).await;
    let tid = tenant.tenant_id.to_string();
    let first = world.start_sync(settings()).await;
    let run = first
        .sync()
        .start_sync(pb::StartSyncRequest {
            tenant_id: tid.clone(),
            entity_kinds: vec!["users".into()],
        })
        .await
        .expect("started")
        .into_inner()
        .run
        .expect("run");
    let run_id: RunId = run.run_id.parse().expect("run id");

    // Crash once a few pages are checkpointed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let cursor = first
            .role
            .store()
            .cursor(&tenant_id(&tenant), "users")
            .await
            .expect("cursor");
        let pages = first.role.store().entities(&run_id).await.expect("entities")[0].pages;
        if cursor.run_id == Some(run_id) && cursor.next_link.is_some() && pages >= 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job never checkpointed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.stop().await;
    let checkpoint = world.db.connect("sync").await.expect("db");
    let store = posture_sync::store::InventoryStore::new(checkpoint);
    let stopped_at = store.entities(&run_id).await.expect("entities")[0].clone();
    assert_ne!(stopped_at.state, EntityState::Succeeded, "stopped mid-job");
    let requests_before = world.sim.request_log(&tid).len();

    let second = world.start_sync(settings()).await;
    let done = wait_for_run(&second, &tenant, &run.run_id).await;
    assert_eq!(done.state, pb::SyncRunState::Succeeded as i32, "{done:#?}");
    assert_matches_truth(
        &world,
        &second,
        &tid,
        posture_sync::kinds::find("users").expect("kind"),
    )
    .await;
    let truth = world.sim.ground_truth(&tid, "users").expect("truth").count as u64;
    let users = entity(&done, "users");
    let counts = users.counts.expect("counts");
    assert_eq!(
        counts.added, truth,
        "every user added exactly once across both processes"
    );
    assert_eq!(counts.changed + counts.unchanged, 0, "no page was stored twice");
    // Every page was stored once, and the second process read only the pages after the checkpoint.
    let log = world.sim.request_log(&tid);
    let delta_pages = |requests: &[posture_graph_sim::RequestRecord]| {
        requests
            .iter()
            .filter(|r| r.path.contains("/users/delta") && r.status == 200)
            .map(|r| r.path.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64
    };
    let pages_total = delta_pages(&log);
    assert_eq!(u64::from(users.pages), pages_total);
    let resumed = delta_pages(&log[requests_before..]);
    assert_eq!(
        resumed,
        pages_total - stopped_at.pages,
        "resumed at the page after the {} stored ones",
        stopped_at.pages
    );
}

#[tokio::test]
async fn a_page_slower_than_the_ack_wait_keeps_its_worker() {
    let world = new_world(TestDatabase::sqlite().expect("sqlite")).await;
    // Every users page takes longer than a whole ack wait: only the job's heartbeat keeps the
    // delivery from going to a second worker.
    let tenant = slow_tenant(&world, 2_000, 1_500).await;
    let process = world
        .start_sync(posture_sync::SyncSettings {
            ack_wait: Duration::from_secs(1),
            ..settings()
        })
        .await;
    let run = crate::world::sync_and_wait(&process, &tenant, &["users"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let users = entity(&run, "users");
    assert_eq!(users.attempt, 1, "delivered once: {users:?}");
    let truth = world
        .sim
        .ground_truth(&tenant.tenant_id.to_string(), "users")
        .expect("truth")
        .count as u64;
    let counts = users.counts.expect("counts");
    assert_eq!((counts.added, counts.changed, counts.unchanged), (truth, 0, 0));
}
