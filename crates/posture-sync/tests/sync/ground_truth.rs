//! A first sync stores exactly what the tenant holds, kind by kind; a second sync without
//! changes writes nothing.

use std::collections::BTreeMap;

use posture_graph_sim::{GroundTruth, Profile, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use serde_json::Value;

use crate::world::{SyncProcess, World, entity, new_world, settings, sqlite_world, sync_and_wait};

/// Every stored object of a kind (FULL view), by id.
pub async fn stored_objects(process: &SyncProcess, tenant: &str, kind: &str) -> BTreeMap<String, Value> {
    let mut objects = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = process
            .inventory()
            .list_objects(pb::ListObjectsRequest {
                tenant_id: tenant.to_owned(),
                entity_kind: kind.to_owned(),
                include_removed: false,
                view: pb::ObjectView::Full as i32,
                page_size: 1000,
                page_token: token.clone(),
                as_of: None,
            })
            .await
            .expect("objects are listed")
            .into_inner();
        for o in page.objects {
            let id = o.r#ref.expect("ref").object_id;
            assert_eq!(
                o.content_hash,
                posture_sync::canonical::sha256_hex(&o.content_json)
            );
            objects.insert(id, serde_json::from_str(&o.content_json).expect("stored JSON"));
        }
        if page.next_page_token.is_empty() {
            return objects;
        }
        token = page.next_page_token;
    }
}

/// Resolved alerts and incidents are read only while updated within the last 30 days; every
/// other kind reads everything the tenant holds. Defender for Endpoint collections are the
/// simulator's `mde/<path>`, Exchange cmdlets its `exo/<cmdlet>`.
pub fn expected_truth(world: &World, tenant: &str, kind: &posture_sync::kinds::KindDef) -> GroundTruth {
    let spec = kind.spec();
    let path = match spec.resource {
        posture_graph::Resource::DefenderForEndpoint => format!("mde/{}", spec.path),
        // The cmdlet, without the parameters the kind passes (the simulator's truth holds only
        // what they select).
        posture_graph::Resource::ExchangeOnline => {
            format!("exo/{}", spec.path.split('?').next().unwrap_or(spec.path))
        }
        _ => spec.path.to_owned(),
    };
    let mut truth = world.sim.ground_truth(tenant, &path).expect("ground truth");
    let now = chrono::Utc::now();
    truth
        .objects
        .retain(|o| posture_sync::kinds::window::keeps(kind, o, now));
    truth.count = truth.objects.len();
    truth
}

/// Asserts the stored objects of `kind` are the simulator's, field by field of what was selected.
pub async fn assert_matches_truth(
    world: &World,
    process: &SyncProcess,
    tenant: &str,
    kind: &posture_sync::kinds::KindDef,
) {
    let truth = expected_truth(world, tenant, kind);
    let stored = stored_objects(process, tenant, kind.name).await;
    assert_eq!(stored.len(), truth.count, "{}: object count", kind.name);
    let select = kind.select();
    for object in &truth.objects {
        // A singleton Graph answers without an id is stored under the kind's name.
        // Exchange cmdlet output is stored under its Guid (or Identity).
        let id = object["id"]
            .as_str()
            .or_else(|| object["Guid"].as_str())
            .or_else(|| object["Identity"].as_str())
            .unwrap_or(kind.name);
        let mine = stored
            .get(id)
            .unwrap_or_else(|| panic!("{}: {id} was not stored", kind.name));
        if kind.select.is_some() {
            // A kind that keeps fewer fields than the endpoint has stores only those.
            let extra: Vec<&String> = mine
                .as_object()
                .map(|m| m.keys().filter(|k| !select.contains(&k.as_str())).collect())
                .unwrap_or_default();
            assert!(extra.is_empty(), "{}: {id} also stores {extra:?}", kind.name);
        }
        let fields: Vec<&str> = match object.as_object() {
            Some(map) if select.is_empty() => map.keys().map(String::as_str).collect(),
            _ => select.to_vec(),
        };
        // Volatile fields too: they do not make a change, but the stored content is current.
        for field in fields {
            if field.starts_with("@odata") {
                continue;
            }
            assert_eq!(
                mine.get(field),
                object.get(field),
                "{}: field {field} of {id}",
                kind.name
            );
        }
    }
}

/// [`assert_matches_truth`] for each of `kinds`.
pub async fn assert_kinds_match_truth(world: &World, process: &SyncProcess, tenant: &str, kinds: &[&str]) {
    for kind in kinds {
        let kind = posture_sync::kinds::find(kind).expect("a registered kind");
        assert_matches_truth(world, process, tenant, kind).await;
    }
}

posture_kit::db_test!(
    sync_matches_simulator_ground_truth,
    |db: TestDatabase| async move {
        let world = new_world(db).await;
        let tenant = world
            .tenant(TenantSpec {
                users: 1_200,
                ..TenantSpec::default()
            })
            .await;
        let process = world.start_sync(settings()).await;
        let run = sync_and_wait(&process, &tenant, &[]).await;
        assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
        assert_eq!(run.entities.len(), posture_sync::kinds::ALL.len());
        let tid = tenant.tenant_id.to_string();
        for kind in posture_sync::kinds::ALL {
            if kind.read == posture_sync::kinds::ReadMode::PerGroup {
                let stored =
                    crate::groups::assert_transitive_members_match_truth(&world, &process, &tid, true).await;
                let e = entity(&run, kind.name);
                assert_eq!(
                    e.counts.as_ref().map(|c| c.added),
                    Some(stored.len() as u64),
                    "{}",
                    kind.name
                );
                continue;
            }
            if kind.read == posture_sync::kinds::ReadMode::MailDns {
                // One object per accepted domain, named by the domain (its records are checked
                // per profile in exchange_kinds.rs).
                let accepted = posture_sync::kinds::find("exo_accepted_domains").expect("a kind");
                let domains: std::collections::BTreeSet<String> = expected_truth(&world, &tid, accepted)
                    .objects
                    .iter()
                    .filter_map(|d| d["DomainName"].as_str().map(str::to_ascii_lowercase))
                    .collect();
                let stored = stored_objects(&process, &tid, kind.name).await;
                assert_eq!(
                    stored.keys().cloned().collect::<std::collections::BTreeSet<_>>(),
                    domains
                );
                assert_eq!(
                    entity(&run, kind.name).counts.as_ref().map(|c| c.added),
                    Some(domains.len() as u64)
                );
                continue;
            }
            assert_matches_truth(&world, &process, &tid, kind).await;
            let e = entity(&run, kind.name);
            let truth = expected_truth(&world, &tid, kind);
            assert_eq!(
                e.counts.as_ref().map(|c| c.added),
                Some(truth.count as u64),
                "{}",
                kind.name
            );
        }
        // Users arrive over two delta pages (999 per page) and role assignments name their principal.
        assert!(entity(&run, "users").pages >= 2);
        let assignments = stored_objects(&process, &tid, "role_assignments").await;
        assert!(
            assignments
                .values()
                .all(|a| a.get("principal").is_some_and(|p| p.get("id").is_some()))
        );

        // Nothing changed in the tenant: the second run writes no inventory row.
        let written = process.role.rows_written();
        let rows_before = process.role.store().row_counts().await.expect("row counts");
        let again = sync_and_wait(&process, &tenant, &[]).await;
        assert_eq!(again.state, pb::SyncRunState::Succeeded as i32, "{again:#?}");
        assert_eq!(
            process.role.rows_written(),
            written,
            "an unchanged resync writes nothing"
        );
        assert_eq!(
            process.role.store().row_counts().await.expect("row counts"),
            rows_before
        );
        let totals = again.totals.expect("totals");
        assert_eq!((totals.added, totals.changed, totals.removed), (0, 0, 0));
        assert!(
            totals.unchanged > 0
                || entity(&again, "users")
                    .counts
                    .as_ref()
                    .is_some_and(|c| c.unchanged == 0)
        );
    }
);

/// A 60-user tenant of `profile` on SQLite, synced for `kinds`: the run and each kind succeeded.
/// Returns the world, the sync process and the tenant id.
pub async fn synced_profile(profile: Profile, kinds: &[&str]) -> (World, SyncProcess, String) {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        profile,
        users: 60,
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(&process, &tenant, kinds).await;
    assert_eq!(
        run.state,
        pb::SyncRunState::Succeeded as i32,
        "{profile:?}: {run:#?}"
    );
    for kind in kinds {
        assert_eq!(
            entity(&run, kind).state,
            pb::EntitySyncState::Succeeded as i32,
            "{profile:?} {kind}"
        );
    }
    (world, process, tenant.tenant_id.to_string())
}
