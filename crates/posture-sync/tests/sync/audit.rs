//! Audit event streams: what the role stores is exactly what the simulator's feed and logs hold
//! (each record once, no window missed), a read cut off mid-window resumes without a gap or a
//! duplicate, and events past the retention are pruned.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_graph_sim::{FaultRule, FaultSpec, Latency, TenantInfo, TenantSpec};
use posture_kit::clock::ManualClock;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_sync::audit::{
    AuditIngest, CONTENT_TYPES, DIRECTORY_AUDITS, SERVICE_PRINCIPAL_SIGN_INS, SIGN_INS,
};
use posture_sync::store::AuditQuery;

use crate::world::{SyncProcess, World, new_world, settings, sync_and_wait, tenant_id};

/// The role's reader with the simulator's clock (its epoch is fixed; the role's is the wall's).
pub(crate) fn ingest_at(process: &SyncProcess, now: DateTime<Utc>) -> AuditIngest {
    AuditIngest {
        clock: Arc::new(ManualClock::new(now)),
        ..process.role.audit().clone()
    }
}

/// Where the first read of a Management Activity stream starts at `now`: the feed keeps 7 days.
fn feed_floor(now: DateTime<Utc>) -> DateTime<Utc> {
    let now = DateTime::from_timestamp(now.timestamp(), 0).expect("a whole second");
    now - chrono::Duration::days(7) + chrono::Duration::minutes(5)
}

/// The record ids stored for `source`, checking that none is stored twice.
pub(crate) async fn stored_ids(process: &SyncProcess, tenant: &TenantInfo, source: &str) -> BTreeSet<String> {
    let events = process
        .role
        .store()
        .search_audit_events(&AuditQuery {
            tenant_id: Some(tenant_id(tenant)),
            workload: Some(source.to_owned()),
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .expect("search");
    let events: Vec<_> = events.into_iter().filter(|e| e.source == source).collect();
    let ids: BTreeSet<String> = events.iter().map(|e| e.record_id.clone()).collect();
    assert_eq!(ids.len(), events.len(), "{source}: a record stored twice");
    ids
}

pub(crate) fn ids_of(records: &[serde_json::Value], field: &str) -> BTreeSet<String> {
    let ids: BTreeSet<String> = records
        .iter()
        .map(|r| r[field].as_str().expect("a record id").to_owned())
        .collect();
    assert_eq!(ids.len(), records.len(), "the simulator repeats a record id");
    ids
}

/// Every Management Activity stream holds exactly the simulator's records since `floor`.
async fn assert_feed_matches(
    world: &World,
    process: &SyncProcess,
    tenant: &TenantInfo,
    floor: DateTime<Utc>,
) {
    let tid = tenant.tenant_id.to_string();
    for content_type in CONTENT_TYPES {
        let stream = process
            .role
            .store()
            .audit_stream(&tenant_id(tenant), content_type)
            .await
            .expect("stream");
        assert_eq!(stream.last_error, None, "{content_type}");
        let until = stream.complete_until.expect("a complete window");
        let truth = world
            .sim
            .activity_records(&tid, content_type, floor, until)
            .expect("truth");
        assert!(!truth.is_empty(), "{content_type}: the simulator has content");
        assert_eq!(
            stored_ids(process, tenant, content_type).await,
            ids_of(&truth, "Id"),
            "{content_type}"
        );
    }
}

/// Entra's logs hold exactly the simulator's entries.
pub(crate) async fn assert_logs_match(world: &World, process: &SyncProcess, tenant: &TenantInfo) {
    let tid = tenant.tenant_id.to_string();
    for (source, collection) in [
        (DIRECTORY_AUDITS, "auditLogs/directoryAudits"),
        (SIGN_INS, "auditLogs/signIns"),
    ] {
        let truth = world.sim.ground_truth(&tid, collection).expect("truth");
        assert!(truth.count > 0, "{collection}");
        assert_eq!(
            stored_ids(process, tenant, source).await,
            ids_of(&truth.objects, "id"),
            "{source}"
        );
    }
}

/// A world with one tenant synced once (so the role knows it) and a sync process.
pub(crate) async fn synced_world(db: TestDatabase) -> (World, TenantInfo, SyncProcess) {
    let world = new_world(db).await;
    let tenant = world
        .tenant(TenantSpec {
            users: 60,
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let run = sync_and_wait(&process, &tenant, &["domains"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    (world, tenant, process)
}

posture_kit::db_test!(
    audit_streams_store_exactly_the_simulators_events_once,
    |db: TestDatabase| async move {
        let (world, tenant, process) = synced_world(db).await;
        let tid = tenant_id(&tenant);
        let first_now = world.sim.now();
        let floor = feed_floor(first_now);
        let sim_tenant = tenant.tenant_id.to_string();
        let own_before = world
            .sim
            .service_principal_sign_ins(&sim_tenant)
            .expect("sign-ins");
        let added = ingest_at(&process, first_now)
            .read_tenant(tid)
            .await
            .expect("streams read");
        assert!(added > 0);
        assert_feed_matches(&world, &process, &tenant, floor).await;
        assert_logs_match(&world, &process, &tenant).await;

        // Posture's own sign-ins (one per token the tenant issued to its app): every one before
        // the read is stored, nothing that the tenant does not hold, asked of beta by event type
        // and app id.
        let own_after = world
            .sim
            .service_principal_sign_ins(&sim_tenant)
            .expect("sign-ins");
        let own = stored_ids(&process, &tenant, SERVICE_PRINCIPAL_SIGN_INS).await;
        assert!(!own_before.is_empty(), "the sync's tokens were sign-ins");
        assert!(ids_of(&own_before, "id").is_subset(&own), "{own:?}");
        assert!(own.is_subset(&ids_of(&own_after, "id")), "{own:?}");
        let asked = world.sim.request_log(&sim_tenant);
        assert!(
            asked
                .iter()
                .any(|r| r.path.starts_with("/beta/auditLogs/signIns?")
                    && r.path.contains("servicePrincipal")
                    && r.path.contains(&tenant.client_id.to_string())),
            "{:?}",
            asked.iter().map(|r| &r.path).collect::<Vec<_>>()
        );

        // Fifty minutes later (within the tokens' lifetime) the feed has new content: the next
        // read adds exactly it, from where the last complete window ended.
        world.sim.advance_clock(Duration::from_secs(50 * 60));
        let later = ingest_at(&process, world.sim.now());
        let added = later.read_tenant(tid).await.expect("streams read");
        let mut errors = Vec::new();
        for stream in posture_sync::audit::streams() {
            let s = process
                .role
                .store()
                .audit_stream(&tid, stream)
                .await
                .expect("stream");
            errors.extend(s.last_error.map(|e| format!("{stream}: {e}")));
        }
        assert!(added > 0, "{errors:#?}");
        assert_feed_matches(&world, &process, &tenant, floor).await;
        assert_logs_match(&world, &process, &tenant).await;

        // Nothing new: nothing stored.
        assert_eq!(later.read_tenant(tid).await.expect("streams read"), 0);

        // Each content type's subscription was started once, by the first read.
        let starts = world
            .sim
            .request_log(&sim_tenant)
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("/subscriptions/start"))
            .count();
        assert_eq!(starts, CONTENT_TYPES.len());
        process.stop().await;
    }
);

#[tokio::test]
async fn audit_stream_cut_off_mid_window_resumes_with_no_gap_and_no_duplicate() {
    let (world, tenant, process) = synced_world(TestDatabase::postgres().await.expect("postgres")).await;
    let tid = tenant_id(&tenant);
    let sim_tenant = tenant.tenant_id.to_string();
    // Blobs come slowly, so the reader is stopped between two blobs of the first window.
    world
        .sim
        .set_faults(
            &sim_tenant,
            FaultSpec {
                seed: 1,
                rules: vec![FaultRule {
                    path: "*/activity/feed/audit/*".into(),
                    latency: Some(Latency::Fixed { ms: 100 }),
                    ..FaultRule::default()
                }],
            },
        )
        .expect("faults");
    let now = world.sim.now();
    let content_type = "Audit.Exchange";
    let client = world_client(&process, &tenant).await;
    let ingest = ingest_at(&process, now);
    let reading = {
        let ingest = ingest.clone();
        let client = client.clone();
        tokio::spawn(async move { ingest.read_stream(&client, tid, content_type, "").await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while stored_ids(&process, &tenant, content_type).await.len() < 10 {
        assert!(tokio::time::Instant::now() < deadline, "no blob was stored");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    reading.abort();
    let _ = reading.await;
    let stream = process
        .role
        .store()
        .audit_stream(&tid, content_type)
        .await
        .expect("stream");
    assert_eq!(stream.complete_until, None, "the first window was not complete");
    let floor = feed_floor(now);
    let first_window = world
        .sim
        .activity_records(
            &sim_tenant,
            content_type,
            floor,
            floor + chrono::Duration::hours(24),
        )
        .expect("truth");
    let partial = stored_ids(&process, &tenant, content_type).await;
    assert!(partial.len() < first_window.len(), "stopped mid-window");

    // A new reader (as after a restart) lists the window again: the stored blobs' records are
    // not stored twice and the rest are added.
    world
        .sim
        .set_faults(&sim_tenant, FaultSpec::default())
        .expect("faults");
    let read = ingest
        .read_stream(&client, tid, content_type, "")
        .await
        .expect("stream read");
    let until = read.complete_until.expect("complete");
    let truth = world
        .sim
        .activity_records(&sim_tenant, content_type, floor, until)
        .expect("truth");
    assert_eq!(read.added as usize + partial.len(), truth.len());
    assert_eq!(
        stored_ids(&process, &tenant, content_type).await,
        ids_of(&truth, "Id")
    );
    process.stop().await;
}

/// A Graph client for the tenant, as the role builds it.
async fn world_client(process: &SyncProcess, tenant: &TenantInfo) -> posture_graph::GraphClient {
    process
        .role
        .audit()
        .directory
        .client(&tenant_id(tenant))
        .await
        .expect("a client")
}

posture_kit::db_test!(
    audit_events_past_retention_are_pruned_and_not_stored,
    |db: TestDatabase| async move {
        let (world, tenant, process) = synced_world(db).await;
        let tid = tenant_id(&tenant);
        let now = world.sim.now();
        let client = world_client(&process, &tenant).await;
        let mut ingest = ingest_at(&process, now);
        ingest
            .read_stream(&client, tid, DIRECTORY_AUDITS, "")
            .await
            .expect("read");
        let all = stored_ids(&process, &tenant, DIRECTORY_AUDITS).await.len();

        // Ten days of retention: older audits are pruned, newer ones kept.
        ingest.settings.retention = chrono::Duration::days(10);
        let cutoff = now - chrono::Duration::days(10);
        let truth = world
            .sim
            .ground_truth(&tenant.tenant_id.to_string(), "auditLogs/directoryAudits")
            .expect("truth");
        let recent: Vec<_> = truth
            .objects
            .into_iter()
            .filter(|a| {
                a["activityDateTime"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t >= cutoff)
            })
            .collect();
        assert!(!recent.is_empty() && recent.len() < all);
        let pruned = ingest.prune().await.expect("prune");
        assert_eq!(pruned as usize, all - recent.len());
        assert_eq!(
            stored_ids(&process, &tenant, DIRECTORY_AUDITS).await,
            ids_of(&recent, "id")
        );

        // A stream read from scratch under that retention stores nothing older.
        let read = ingest
            .read_stream(&client, tid, SIGN_INS, "")
            .await
            .expect("read");
        let oldest = process
            .role
            .store()
            .search_audit_events(&AuditQuery {
                tenant_id: Some(tid),
                workload: Some(SIGN_INS.into()),
                limit: 100_000,
                ..AuditQuery::default()
            })
            .await
            .expect("search")
            .into_iter()
            .map(|e| e.occurred_at)
            .min();
        assert!(
            read.added > 0 && oldest.is_some_and(|t| t >= cutoff),
            "{oldest:?}"
        );
        process.stop().await;
    }
);

posture_kit::db_test!(
    an_administrators_change_is_found_by_the_object_it_changed,
    |db: TestDatabase| async move {
        let (world, tenant, process) = synced_world(db).await;
        let tid = tenant_id(&tenant);
        let policy = world
            .sim
            .ground_truth(&tid.to_string(), "identity/conditionalAccess/policies")
            .expect("truth")
            .objects
            .into_iter()
            .find(|p| p["state"] == "enabled")
            .expect("an enabled policy");
        let policy_id = policy["id"].as_str().expect("an id").to_owned();
        world
            .sim
            .mutate(
                &tid.to_string(),
                posture_graph_sim::Mutation::DisableCaPolicy {
                    policy_id: policy_id.clone(),
                },
            )
            .expect("policy disabled");
        let client = world_client(&process, &tenant).await;
        let ingest = ingest_at(&process, world.sim.now());
        ingest
            .read_stream(&client, tid, DIRECTORY_AUDITS, "")
            .await
            .expect("read");
        // What the simulator's log holds, admin change included, is what is stored.
        let truth = world
            .sim
            .ground_truth(&tid.to_string(), "auditLogs/directoryAudits")
            .expect("truth");
        assert_eq!(
            stored_ids(&process, &tenant, DIRECTORY_AUDITS).await,
            ids_of(&truth.objects, "id")
        );

        let search = |target: &str| AuditQuery {
            tenant_id: Some(tid),
            target: Some(target.to_owned()),
            limit: 10,
            ..AuditQuery::default()
        };
        let found = process
            .role
            .store()
            .search_audit_events(&search(&policy_id.to_uppercase()))
            .await
            .expect("search");
        assert_eq!(found.len(), 1, "{found:#?}");
        let event = &found[0];
        assert_eq!(event.operation, "Update conditional access policy");
        assert!(
            event.user.contains('@'),
            "the acting administrator: {}",
            event.user
        );
        assert_eq!(event.targets, vec![policy_id.to_lowercase()]);

        // A LIKE wildcard in the filter is a literal, not a pattern.
        for pattern in ["%", "_", "%-%"] {
            let none = process
                .role
                .store()
                .search_audit_events(&search(pattern))
                .await
                .expect("search");
            assert!(none.is_empty(), "{pattern}: {none:#?}");
        }
    }
);
