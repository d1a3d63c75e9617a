//! ScoreService over real gRPC: the Secure Score history the sync stored, newest first, paged and
//! filtered, with drops flagged by the tenant's own parameters; and the security signals an
//! assessment counts, equal to what the simulator's tenant holds.

use std::collections::HashMap;

use posture_graph_sim::Profile;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_proto::v1::score_service_client::ScoreServiceClient;
use serde_json::Value;
use tonic::Code;
use tonic::transport::Channel;

use crate::pipeline::spec;
use crate::world::World;

const SIGNAL_KINDS: [&str; 3] = ["secure_scores", "security_alerts", "managed_devices"];

fn scores(world: &World) -> ScoreServiceClient<Channel> {
    ScoreServiceClient::new(world.channel.clone())
}

fn list(tenant: &str, page_size: i32, page_token: String) -> pb::ListSecureScoresRequest {
    pb::ListSecureScoresRequest {
        tenant_id: tenant.to_owned(),
        page_size,
        page_token,
        ..Default::default()
    }
}

async fn all_scores(world: &World, tenant: &str, page_size: i32) -> Vec<pb::SecureScore> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = scores(world)
            .list_secure_scores(list(tenant, page_size, token))
            .await
            .expect("secure scores")
            .into_inner();
        out.extend(page.secure_scores);
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

fn seconds(s: &pb::SecureScore) -> i64 {
    s.measured_at.as_ref().map_or(0, |t| t.seconds)
}

posture_kit::db_test!(
    secure_score_history_is_served_newest_first_with_drops_flagged_by_the_tenants_parameters,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Neglected)).await;
        let tid = tenant.tenant_id.to_string();
        let kinds = SIGNAL_KINDS.iter().map(|k| (*k).to_owned()).collect();
        let run = world.sync_kinds(&tenant, kinds).await;
        assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");

        let truth = world
            .sim
            .ground_truth(&tid, "security/secureScores")
            .expect("the simulator serves Secure Scores");
        let history = all_scores(&world, &tid, 0).await;
        assert_eq!(history.len(), truth.objects.len(), "every day Graph keeps");
        assert!(
            history.windows(2).all(|w| seconds(&w[0]) > seconds(&w[1])),
            "newest first"
        );
        for (served, day) in history.iter().zip(&truth.objects) {
            assert_eq!(Some(served.current_score), day["currentScore"].as_f64());
            assert_eq!(Some(served.max_score), day["maxScore"].as_f64());
            assert_eq!(
                served.controls.len(),
                day["controlScores"].as_array().map_or(0, Vec::len)
            );
        }
        // Each change is against the day a week earlier, as control posture.securescore.drop
        // compares; the neglected tenant lost 4% of 300 points three days ago.
        let latest = &history[0];
        let week_before = history
            .iter()
            .find(|s| seconds(s) <= seconds(latest) - 7 * 86_400)
            .expect("a week of history");
        let change = latest.current_score - week_before.current_score;
        assert!((latest.change_points.expect("a change") - change).abs() < 0.01);
        assert!(latest.dropped, "{latest:#?}");
        assert_eq!(history.last().and_then(|s| s.change_points), None);

        // Pages of 30 are the same history, each day once.
        let paged = all_scores(&world, &tid, 30).await;
        assert_eq!(paged, history);

        // A range keeps the days inside it.
        let newest = latest.measured_at.expect("measured");
        let since = prost_types::Timestamp {
            seconds: newest.seconds - 10 * 86_400,
            nanos: 0,
        };
        let ranged = scores(&world)
            .list_secure_scores(pb::ListSecureScoresRequest {
                tenant_id: tid.clone(),
                measured: Some(pb::TimeRange {
                    start_at: Some(since),
                    end_at: None,
                }),
                ..Default::default()
            })
            .await
            .expect("ranged")
            .into_inner()
            .secure_scores;
        assert_eq!(ranged.len(), 11, "ten days back and the newest");

        // The tenant's own threshold decides what a drop is.
        world
            .assessments()
            .update_assessment_settings(pb::UpdateAssessmentSettingsRequest {
                tenant_id: tid.clone(),
                emergency_access_accounts: Vec::new(),
                parameters: HashMap::from([("secure_score_drop_points".to_owned(), 50.0)]),
            })
            .await
            .expect("settings");
        let lenient = all_scores(&world, &tid, 1).await;
        assert!(!lenient[0].dropped, "{:#?}", lenient[0]);

        // Nothing of Defender for Endpoint was synced: an empty history, not an error.
        let defender = scores(&world)
            .list_exposure_scores(pb::ListExposureScoresRequest {
                tenant_id: tid.clone(),
                ..Default::default()
            })
            .await
            .expect("exposure scores")
            .into_inner();
        assert!(defender.exposure_scores.is_empty());

        for (request, field) in [
            (list("not-a-tenant", 0, String::new()), "tenant_id"),
            (list(&tid, -1, String::new()), "page_size"),
            (list(&tid, 10, "garbage".into()), "page_token"),
        ] {
            let status = scores(&world)
                .list_secure_scores(request)
                .await
                .expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            assert!(status.message().contains(field), "{status:?}");
        }
    }
);

fn is_open_high(alert: &Value) -> bool {
    matches!(alert["severity"].as_str(), Some("high" | "critical")) && alert["status"] != "resolved"
}

posture_kit::db_test!(
    an_assessment_counts_the_signals_the_simulators_tenant_holds,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        let kinds = SIGNAL_KINDS.iter().map(|k| (*k).to_owned()).collect();
        let run = world.sync_kinds(&tenant, kinds).await;
        let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
        let signals = assessment.signals.expect("a succeeded assessment has signals");

        let devices = world
            .sim
            .ground_truth(&tid, "deviceManagement/managedDevices")
            .expect("devices")
            .objects;
        let noncompliant = devices
            .iter()
            .filter(|d| {
                matches!(
                    d["complianceState"].as_str(),
                    Some("noncompliant" | "conflict" | "error")
                )
            })
            .count() as u32;
        assert_eq!(signals.managed_devices, Some(devices.len() as u32));
        assert_eq!(signals.noncompliant_devices, Some(noncompliant));
        assert!(noncompliant > 0, "the typical tenant has noncompliant devices");

        // The sync reads every open alert and resolved ones of the last 30 days; resolved ones
        // are not counted, so the whole simulator set gives the same count.
        let alerts = world
            .sim
            .ground_truth(&tid, "security/alerts_v2")
            .expect("alerts")
            .objects;
        let open_high = alerts.iter().filter(|a| is_open_high(a)).count() as u32;
        assert_eq!(signals.open_high_alerts, Some(open_high));
        assert!(open_high > 0, "the typical tenant leaves a high alert open");
        // Defender for Endpoint was not synced: unknown, not zero.
        assert_eq!(signals.critical_vulnerabilities, None);

        // Synced, the distinct critical CVEs on the tenant's machines are counted.
        let run = world
            .sync_kinds(&tenant, vec!["defender_vulnerabilities".to_owned()])
            .await;
        let assessment = world.assessment_of_run(&tenant, &run.run_id).await;
        let rows = world
            .sim
            .ground_truth(&tid, "mde/vulnerabilities/machinesVulnerabilities")
            .expect("vulnerabilities")
            .objects;
        let critical: std::collections::HashSet<&str> = rows
            .iter()
            .filter(|v| v["severity"] == "Critical")
            .filter_map(|v| v["cveId"].as_str())
            .collect();
        assert!(!critical.is_empty(), "the typical tenant has critical CVEs open");
        let signals = assessment.signals.expect("signals");
        assert_eq!(signals.critical_vulnerabilities, Some(critical.len() as u32));
        // The earlier kinds still count: an assessment judges each kind's latest sync.
        assert_eq!(signals.open_high_alerts, Some(open_high));
    }
);

posture_kit::db_test!(
    defender_scores_are_served_one_per_measurement_with_their_changes,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        let tenant = world.tenant(spec(Profile::Typical)).await;
        let tid = tenant.tenant_id.to_string();
        let kinds: Vec<String> = ["defender_exposure_score", "defender_configuration_score"]
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        let run = world.sync_kinds(&tenant, kinds.clone()).await;
        assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
        let list = || pb::ListExposureScoresRequest {
            tenant_id: tid.clone(),
            ..Default::default()
        };
        let first = scores(&world)
            .list_exposure_scores(list())
            .await
            .expect("exposure scores")
            .into_inner()
            .exposure_scores;
        assert_eq!(first.len(), 1, "{first:#?}");
        assert!(first[0].configuration_score.is_some());
        assert_eq!(first[0].exposure_change, None);
        // An unchanged re-sync adds no measurement.
        world.sync_kinds(&tenant, kinds.clone()).await;
        let again = scores(&world)
            .list_exposure_scores(list())
            .await
            .expect("exposure scores")
            .into_inner()
            .exposure_scores;
        assert_eq!(again.len(), 1, "{again:#?}");

        // Defender measures again (within the cached tokens' life): a second entry, newest first,
        // with its changes against the first and flagged as worse.
        world.sim.advance_clock(std::time::Duration::from_secs(600));
        world
            .sim
            .mutate(
                &tid,
                posture_graph_sim::Mutation::MeasureDefenderScores {
                    exposure_score: first[0].exposure_score + 10.0,
                    configuration_score: first[0].configuration_score.unwrap_or(0.0) as i64 - 50,
                },
            )
            .expect("scores measured");
        world.sync_kinds(&tenant, kinds).await;
        let history = scores(&world)
            .list_exposure_scores(list())
            .await
            .expect("exposure scores")
            .into_inner()
            .exposure_scores;
        assert_eq!(history.len(), 2, "{history:#?}");
        assert_eq!(history[1], first[0], "the first measurement is kept");
        assert_eq!(history[0].exposure_change, Some(10.0));
        assert_eq!(history[0].configuration_change, Some(-50.0));
        assert!(history[0].worsened);
    }
);

posture_kit::db_test!(
    a_connection_secret_about_to_expire_fails_its_control_with_the_registered_date,
    |db: TestDatabase| async move {
        let world = World::new(db).await;
        // Ten days from today, counted from the simulator's clock (its secrets' reference).
        let ahead = (chrono::Utc::now() - world.sim.now()).num_days() + 10;
        let soon = world
            .tenant(posture_graph_sim::TenantSpec {
                secret_expires_in_days: ahead,
                ..spec(Profile::Hardened)
            })
            .await;
        let later = world.tenant(spec(Profile::Hardened)).await;
        for (tenant, expected) in [
            (&soon, pb::ControlResult::Fail),
            (&later, pb::ControlResult::Pass),
        ] {
            let run = world.sync_kinds(tenant, vec!["organization".to_owned()]).await;
            let assessment = world.assessment_of_run(tenant, &run.run_id).await;
            let findings = world.all_findings(tenant, &assessment.assessment_id).await;
            let f = crate::world::finding(&findings, "posture.connection.expiring-secret");
            assert_eq!(f.result, expected as i32, "{f:#?}");
            let date = tenant.secret_expires_at.format("%Y-%m-%d").to_string();
            assert!(f.reason.contains(&date), "the registered expiry is named: {f:#?}");
        }
    }
);
