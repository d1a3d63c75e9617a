//! The security-signal kinds (Intune, Defender alerts and incidents through Graph, Secure Score,
//! service health) over the simulator's three profiles: each stored as the tenant holds it,
//! resolved alerts and incidents only within their window, Intune's missing permission and
//! missing licence each reported as such.

use chrono::{DateTime, Duration, Timelike, Utc};
use posture_graph_sim::{Licences, Profile, SimConfig, TenantSpec};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_testkit::World;

use crate::failures::assert_permission_gap_fails_only;
use crate::ground_truth::{assert_kinds_match_truth, stored_objects, synced_profile};
use crate::world::{entity, settings, sqlite_world, sync_and_wait};

const SIGNAL_KINDS: &[&str] = &[
    "device_compliance_policies",
    "managed_devices",
    "secure_score_control_profiles",
    "secure_scores",
    "security_alerts",
    "security_incidents",
    "service_health_issues",
    "service_health_overviews",
];

#[tokio::test]
async fn signal_kinds_match_the_simulator_for_every_profile() {
    for profile in Profile::ALL {
        let (world, process, tid) = synced_profile(profile, SIGNAL_KINDS).await;
        assert_kinds_match_truth(&world, &process, &tid, SIGNAL_KINDS).await;

        let devices = stored_objects(&process, &tid, "managed_devices").await;
        assert!(!devices.is_empty(), "{profile:?} has devices");
        for device in devices.values() {
            for field in [
                "complianceState",
                "operatingSystem",
                "osVersion",
                "lastSyncDateTime",
                "userPrincipalName",
            ] {
                assert!(
                    device[field].is_string(),
                    "{profile:?}: device lacks {field}: {device}"
                );
            }
        }
        let policies = stored_objects(&process, &tid, "device_compliance_policies").await;
        assert!(
            policies.values().all(|p| p["assignments"].is_array()),
            "{profile:?}: compliance policies carry their assignments"
        );
        let scores = stored_objects(&process, &tid, "secure_scores").await;
        assert_eq!(scores.len(), 90, "{profile:?}: the daily history Graph keeps");
        // The simulator's resolved alerts are all older than the window at its fixed epoch; the
        // typical and neglected tenants leave a high-severity alert open for days.
        let alerts = stored_objects(&process, &tid, "security_alerts").await;
        assert!(alerts.values().all(|a| a["status"] != "resolved"), "{profile:?}");
        if profile != Profile::Hardened {
            assert!(alerts.values().any(|a| a["severity"] == "high"), "{profile:?}");
        }
    }
}

/// With the simulator's clock at the present, the recently resolved alerts and incidents are read
/// and the older resolved ones are not.
#[tokio::test]
async fn resolved_alerts_and_incidents_are_read_within_thirty_days() {
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
            // Enough alerts and incidents (one every 13 and 26 hours) to reach past 30 days.
            users: 2_400,
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let kinds = ["security_alerts", "security_incidents"];
    let run = sync_and_wait(&process, &tenant, &kinds).await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    let tid = tenant.tenant_id.to_string();
    assert_kinds_match_truth(&world, &process, &tid, &kinds).await;
    let since = now - Duration::days(30);
    for kind in kinds {
        let truth = world
            .sim
            .ground_truth(&tid, posture_sync::kinds::find(kind).expect("kind").spec().path)
            .expect("truth");
        let stored = stored_objects(&process, &tid, kind).await;
        let updated = |o: &serde_json::Value| {
            o["lastUpdateDateTime"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let resolved_recent = truth
            .objects
            .iter()
            .filter(|o| o["status"] == "resolved" && updated(o).is_some_and(|t| t >= since))
            .count();
        let resolved_old = truth
            .objects
            .iter()
            .filter(|o| o["status"] == "resolved" && updated(o).is_some_and(|t| t < since))
            .count();
        assert!(
            resolved_recent > 0 && resolved_old > 0,
            "{kind}: the tenant has both"
        );
        assert_eq!(
            stored.values().filter(|o| o["status"] == "resolved").count(),
            resolved_recent,
            "{kind}: resolved within the window"
        );
        let open = truth.objects.iter().filter(|o| o["status"] != "resolved").count();
        assert_eq!(stored.len(), open + resolved_recent, "{kind}: every open one");
    }
}

#[tokio::test]
async fn managed_devices_without_their_permission_fail_alone() {
    assert_permission_gap_fails_only(
        "DeviceManagementManagedDevices.Read.All",
        "managed_devices",
        "deviceManagement/managedDevices",
        &["device_compliance_policies", "secure_scores"],
    )
    .await;
}

#[tokio::test]
async fn alerts_without_their_permission_fail_alone() {
    assert_permission_gap_fails_only(
        "SecurityAlert.Read.All",
        "security_alerts",
        "security/alerts_v2",
        &["security_incidents", "service_health_issues"],
    )
    .await;
}

#[tokio::test]
async fn intune_kinds_without_an_intune_licence_are_skipped_with_the_reason() {
    let (_world, tenant, process) = sqlite_world(TenantSpec {
        licences: Licences {
            intune: false,
            e5: false,
            ..Licences::default()
        },
        ..TenantSpec::default()
    })
    .await;
    let run = sync_and_wait(
        &process,
        &tenant,
        &["device_compliance_policies", "managed_devices", "secure_scores"],
    )
    .await;
    assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
    for kind in ["device_compliance_policies", "managed_devices"] {
        let e = entity(&run, kind);
        assert_eq!(e.state, pb::EntitySyncState::Skipped as i32, "{kind}");
        let reason = e.error.clone().expect("a reason");
        assert_eq!(reason.error_class, pb::ErrorClass::License as i32, "{kind}");
        assert!(reason.message.contains("Intune"), "{kind}: {reason:?}");
    }
    assert_eq!(
        entity(&run, "secure_scores").state,
        pb::EntitySyncState::Succeeded as i32
    );
}
