//! The Defender for Endpoint kinds, read with their own token from their own API, over the
//! simulator's three profiles: each stored as the tenant holds it; a tenant without Defender for
//! Endpoint and an app without the WindowsDefenderATP permissions each reported as such, with the
//! fix each needs.

use chrono::{DateTime, Duration, Timelike, Utc};
use posture_graph_sim::{Licences, Mutation, Profile, SimConfig, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_testkit::World;

use crate::failures::all_permissions;
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};
use crate::world::{SyncProcess, entity, settings, sqlite_world, sync_and_wait};

const DEFENDER_KINDS: &[&str] = &[
    "defender_alerts",
    "defender_configuration_score",
    "defender_exposure_score",
    "defender_machines",
    "defender_recommendations",
    "defender_vulnerabilities",
];

/// The WindowsDefenderATP permissions the Defender kinds need.
const MDE_PERMISSIONS: &[&str] = &[
    "Alert.Read.All",
    "Machine.Read.All",
    "Score.Read.All",
    "SecurityRecommendation.Read.All",
    "Vulnerability.Read.All",
];

#[tokio::test]
async fn defender_kinds_match_the_simulator_for_every_profile() {
    let mut exposure = Vec::new();
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, DEFENDER_KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, DEFENDER_KINDS).await;

        let machines = stored_objects(&process, &tid, "defender_machines").await;
        assert!(!machines.is_empty(), "{profile:?} has machines");
        let vulns = stored_objects(&process, &tid, "defender_vulnerabilities").await;
        assert!(!vulns.is_empty(), "{profile:?} has open CVEs");
        for (id, v) in &vulns {
            for field in ["machineId", "cveId", "severity", "fixingKbId"] {
                assert!(v[field].is_string(), "{profile:?}: {id} lacks {field}: {v}");
            }
            let machine = v["machineId"].as_str().unwrap_or_default();
            assert!(
                machines.contains_key(machine),
                "{profile:?}: {id} names a synced machine"
            );
            assert!(id.contains(machine) && id.contains(v["cveId"].as_str().unwrap_or_default()));
        }
        // Each row carries its CVE's facts from the vulnerability catalogue.
        let catalogue = world
            .sim
            .ground_truth(&tid, "mde/vulnerabilities")
            .expect("catalogue");
        for v in vulns.values() {
            let cve = catalogue
                .objects
                .iter()
                .find(|c| c["id"] == v["cveId"])
                .expect("the catalogue lists every open CVE");
            for fact in ["publicExploit", "exploitVerified", "publishedOn", "cvssV3"] {
                assert_eq!(v[fact], cve[fact], "{profile:?}: {fact} of {}", v["id"]);
            }
        }
        // A singleton without an id is stored under the kind's name.
        for kind in ["defender_exposure_score", "defender_configuration_score"] {
            let scores = stored_objects(&process, &tid, kind).await;
            assert_eq!(scores.keys().collect::<Vec<_>>(), vec![kind], "{profile:?}");
            assert!(scores[kind]["score"].is_number() && scores[kind]["time"].is_string());
        }
        let score = stored_objects(&process, &tid, "defender_exposure_score").await;
        exposure.push(score["defender_exposure_score"]["score"].as_f64());
    }
    // Hardened, typical, neglected: the exposure grows.
    assert!(
        exposure.windows(2).all(|w| w[0] < w[1]),
        "exposure per profile: {exposure:?}"
    );
}

/// The contents of every version of `kind`'s one object, newest first.
async fn score_versions(process: &SyncProcess, tenant: &str, kind: &str) -> Vec<serde_json::Value> {
    let listed = process
        .inventory()
        .list_object_versions(pb::ListObjectVersionsRequest {
            tenant_id: tenant.to_owned(),
            entity_kind: kind.to_owned(),
            object_id: kind.to_owned(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("a score kind keeps versions")
        .into_inner()
        .versions;
    let mut contents = Vec::new();
    for v in listed {
        let version = process
            .inventory()
            .get_object_version(pb::GetObjectVersionRequest {
                tenant_id: tenant.to_owned(),
                entity_kind: kind.to_owned(),
                object_id: kind.to_owned(),
                version: v.version,
            })
            .await
            .expect("the listed version is readable")
            .into_inner()
            .version
            .expect("a version");
        contents.push(serde_json::from_str(&version.content_json).expect("stored JSON"));
    }
    contents
}

#[tokio::test]
async fn each_new_score_measurement_is_a_new_version_and_an_unchanged_resync_adds_none() {
    let (world, tenant, process) = sqlite_world(TenantSpec {
        users: 20,
        ..TenantSpec::default()
    })
    .await;
    let tid = tenant.tenant_id.to_string();
    let kinds = ["defender_configuration_score", "defender_exposure_score"];
    for _ in 0..2 {
        let run = sync_and_wait(&process, &tenant, &kinds).await;
        assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    }
    for kind in kinds {
        assert_eq!(
            score_versions(&process, &tid, kind).await.len(),
            1,
            "{kind}: one measurement, one version"
        );
    }

    // Defender measures again (a little later, within the life of the cached tokens): a new
    // version each, the first one kept.
    world.sim.advance_clock(std::time::Duration::from_secs(600));
    world
        .sim
        .mutate(
            &tid,
            Mutation::MeasureDefenderScores {
                exposure_score: 41.5,
                configuration_score: 512,
            },
        )
        .expect("scores measured");
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    assert_kinds_match_truth(&world, &process, &tid, &kinds).await;
    let exposure = score_versions(&process, &tid, "defender_exposure_score").await;
    let configuration = score_versions(&process, &tid, "defender_configuration_score").await;
    assert_eq!((exposure.len(), configuration.len()), (2, 2));
    assert_eq!(exposure[0]["score"], 41.5);
    assert_eq!(configuration[0]["score"], 512);
    assert!(exposure[0]["time"].as_str() > exposure[1]["time"].as_str());
    assert_ne!(exposure[1]["score"], 41.5, "the first measurement is kept");
}

#[tokio::test]
async fn defender_kinds_without_a_defender_licence_are_skipped_naming_the_licence() {
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        users: 20,
        licences: Licences {
            defender_p2: false,
            e5: false,
            ..Licences::default()
        },
        ..TenantSpec::default()
    })
    .await;
    let kinds: Vec<&str> = DEFENDER_KINDS.iter().copied().chain(["secure_scores"]).collect();
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(
        run.state,
        pb::SyncRunState::Succeeded as i32,
        "skipped kinds do not fail a run: {run:#?}"
    );
    for kind in DEFENDER_KINDS {
        let e = entity(&run, kind);
        assert_eq!(e.state, pb::EntitySyncState::Skipped as i32, "{kind}");
        let reason = e.error.clone().expect("a reason");
        assert_eq!(
            reason.error_class,
            pb::ErrorClass::License as i32,
            "{kind}: {reason:?}"
        );
        assert_eq!(reason.code, "AADSTS500011", "{kind}: {reason:?}");
        assert_eq!(reason.http_status, 400, "{kind}: the token endpoint's answer");
        assert!(
            reason
                .message
                .contains("Microsoft Defender for Endpoint P2 licence"),
            "{kind}: {reason:?}"
        );
        assert!(reason.missing_permissions.is_empty(), "{kind}: {reason:?}");
        assert!(reason.endpoint.contains("/api/"), "{kind}: {reason:?}");
    }
    assert_eq!(
        entity(&run, "secure_scores").state,
        pb::EntitySyncState::Succeeded as i32
    );
}

#[tokio::test]
async fn defender_kinds_without_windows_defender_atp_consent_fail_naming_the_permission() {
    // Every Graph permission, SecurityEvents.Read.All included, and none of WindowsDefenderATP's.
    let graph_only: Vec<String> = all_permissions()
        .into_iter()
        .filter(|p| !MDE_PERMISSIONS.contains(&p.as_str()))
        .collect();
    assert!(graph_only.iter().any(|p| p == "SecurityEvents.Read.All"));
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        users: 20,
        permissions: Some(graph_only),
        ..TenantSpec::default()
    })
    .await;
    let kinds: Vec<&str> = DEFENDER_KINDS.iter().copied().chain(["secure_scores"]).collect();
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::PartiallySucceeded as i32, "{run:#?}");
    let needs = [
        ("defender_alerts", "Alert.Read.All"),
        ("defender_configuration_score", "Score.Read.All"),
        ("defender_exposure_score", "Score.Read.All"),
        ("defender_machines", "Machine.Read.All"),
        ("defender_recommendations", "SecurityRecommendation.Read.All"),
        ("defender_vulnerabilities", "Vulnerability.Read.All"),
    ];
    for (kind, permission) in needs {
        let e = entity(&run, kind);
        assert_eq!(e.state, pb::EntitySyncState::Failed as i32, "{kind}");
        let reason = e.error.clone().expect("a reason");
        assert_eq!(
            reason.error_class,
            pb::ErrorClass::Permission as i32,
            "{kind}: {reason:?}"
        );
        assert_eq!(reason.http_status, 403, "{kind}");
        assert_eq!(reason.missing_permissions, vec![permission.to_owned()], "{kind}");
        assert!(
            reason.message.contains("WindowsDefenderATP")
                && reason.message.contains("SecurityEvents.Read.All does not cover"),
            "{kind}: the fix is the WindowsDefenderATP permission: {reason:?}"
        );
    }
    assert_eq!(
        entity(&run, "secure_scores").state,
        pb::EntitySyncState::Succeeded as i32
    );
}

/// With the simulator's clock at the present, Defender's recently resolved alerts are read and the
/// older resolved ones are not, through MDE's own field names and PascalCase status.
#[tokio::test]
async fn resolved_defender_alerts_are_read_within_thirty_days() {
    let now = Utc::now();
    let epoch = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let world = World::builder()
        .simulator(SimConfig {
            epoch,
            ..SimConfig::default()
        })
        .start(TestDatabase::sqlite().expect("sqlite"))
        .await;
    let tenant = world
        .tenant(TenantSpec {
            profile: Profile::Typical,
            // Enough alerts (one every 13 hours) to reach past 30 days.
            users: 2_400,
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let run = sync_and_wait(&process, &tenant, &["defender_alerts"]).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let tid = tenant.tenant_id.to_string();
    assert_kinds_match_truth(&world, &process, &tid, &["defender_alerts"]).await;
    let truth = world.sim.ground_truth(&tid, "mde/alerts").expect("truth");
    let since = now - Duration::days(30);
    let updated = |o: &serde_json::Value| {
        o["lastUpdateTime"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let resolved = |recent: bool| {
        truth
            .objects
            .iter()
            .filter(|o| o["status"] == "Resolved" && updated(o).is_some_and(|t| (t >= since) == recent))
            .count()
    };
    assert!(resolved(true) > 0 && resolved(false) > 0, "the tenant has both");
    let stored = stored_objects(&process, &tid, "defender_alerts").await;
    assert_eq!(
        stored.values().filter(|o| o["status"] == "Resolved").count(),
        resolved(true)
    );
    let open = truth.objects.iter().filter(|o| o["status"] != "Resolved").count();
    assert!(open > 0);
    assert_eq!(stored.len(), open + resolved(true), "every open one");
}
