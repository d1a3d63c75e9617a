//! Sign-in activity, its own kind: a full read of `{id, signInActivity}` per user in pages of 500
//! under its own throttling family, sign-in times that never count as a change, and a missing
//! permission that fails this entity alone.

use posture_graph_sim::{Profile, TenantSpec};
use posture_proto::v1 as pb;

use crate::failures::assert_permission_gap_fails_only;
use crate::ground_truth::{assert_matches_truth, stored_objects};
use crate::world::{entity, sqlite_world, sync_and_wait};

const SIGN_INS: &str = "user_sign_in_activity";

/// The query pairs of the first sign-in request the simulator saw.
fn first_sign_in_query(world: &crate::world::World, tenant: &str) -> Vec<(String, String)> {
    let log = world.sim.request_log(tenant);
    let first = log
        .iter()
        .find(|r| r.path.starts_with("/v1.0/users?") && r.path.contains("signInActivity"))
        .expect("sign-in activity was read");
    let url = url::Url::parse(&format!("http://sim{}", first.path)).expect("a request path");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn sign_ins_are_stored_as_the_simulator_holds_them(profile: Profile) {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        profile,
        users: 1_200,
        ..TenantSpec::default()
    })
    .await;
    let tid = tenant.tenant_id.to_string();
    let run = sync_and_wait(&process, &tenant, &[SIGN_INS, "users"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let kind = posture_sync::kinds::find(SIGN_INS).expect("a registered kind");
    assert_matches_truth(&world, &process, &tid, kind).await;
    let truth = world.sim.ground_truth(&tid, "users").expect("truth").count as u64;
    let first = entity(&run, SIGN_INS);
    assert_eq!(first.counts.as_ref().map(|c| c.added), Some(truth));
    assert_eq!(u64::from(first.pages), truth.div_ceil(500));
    let query = first_sign_in_query(&world, &tid);
    assert!(
        query.contains(&("$select".into(), "id,signInActivity".into())),
        "{query:?}"
    );
    assert!(query.contains(&("$top".into(), "500".into())), "{query:?}");
    let users = stored_objects(&process, &tid, "users").await;
    assert_eq!(users.len() as u64, truth);
    assert!(users.values().all(|u| u.get("signInActivity").is_none()));

    // The same sign-in times again: nothing written, every object unchanged.
    let written = process.role.rows_written();
    let again = sync_and_wait(&process, &tenant, &[SIGN_INS]).await;
    assert_eq!(again.state, pb::SyncRunState::Succeeded as i32, "{again:#?}");
    assert_eq!(process.role.rows_written(), written);
    let counts = entity(&again, SIGN_INS).counts.expect("counts");
    assert_eq!(
        (counts.added, counts.changed, counts.removed, counts.unchanged),
        (0, 0, 0, truth)
    );

    // A stored sign-in time older than the tenant's (as after a user signs in again): the next
    // run rewrites that one object in place, without a version or a change.
    let stored = stored_objects(&process, &tid, SIGN_INS).await;
    let (id, current) = stored.iter().next().expect("a stored sign-in");
    let before = process.object(&tid, SIGN_INS, id).await;
    let mut older = current.clone();
    older["signInActivity"] = serde_json::json!({"lastSignInDateTime": "2020-01-01T00:00:00Z"});
    let canonical = posture_sync::canonical::canonicalize(&older, kind.volatile);
    // Written as a user's earlier sign-in would have been stored (no run is active to carry it).
    posture_kit::on_backend!(process.role.store().db(), |pool| {
        sqlx::query(
            "UPDATE objects SET content = $1, content_hash = $2 WHERE tenant_id = $3 AND kind = $4 AND object_id = $5",
        )
        .bind(&canonical.content)
        .bind(&canonical.content_hash)
        .bind(&tid)
        .bind(SIGN_INS)
        .bind(id)
        .execute(pool)
        .await
        .expect("an older sign-in time is stored");
    });
    let written = process.role.rows_written();
    let third = sync_and_wait(&process, &tenant, &[SIGN_INS]).await;
    let counts = entity(&third, SIGN_INS).counts.expect("counts");
    assert_eq!((counts.changed, counts.unchanged), (0, truth));
    assert_eq!(process.role.rows_written(), written + 1, "that one object only");
    let after = process.object(&tid, SIGN_INS, id).await;
    let content: serde_json::Value = serde_json::from_str(&after.content_json).expect("stored JSON");
    assert_eq!(&content, current, "the tenant's sign-in time again");
    assert_eq!(after.content_hash, before.content_hash);
    assert_eq!(
        (after.version, after.changed_at, after.last_run_id),
        (0, before.changed_at, before.last_run_id)
    );
}

#[tokio::test]
async fn typical_tenant_sign_ins_match_the_simulator_and_resync_writes_nothing() {
    sign_ins_are_stored_as_the_simulator_holds_them(Profile::Typical).await;
}

#[tokio::test]
async fn neglected_tenant_sign_ins_match_the_simulator_and_resync_writes_nothing() {
    sign_ins_are_stored_as_the_simulator_holds_them(Profile::Neglected).await;
}

#[tokio::test]
async fn without_audit_log_permission_only_sign_in_activity_fails_naming_it() {
    assert_permission_gap_fails_only(
        "AuditLog.Read.All",
        SIGN_INS,
        "/users",
        &["organization", "users"],
    )
    .await;
}
