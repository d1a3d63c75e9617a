//! `/metrics` of a running `posture standalone` after real calls through the gateway and a sync:
//! the go-grpc-prometheus series of both servers with their labels, the process metrics, the
//! build info, and the sync and Graph domain metrics, with no tenant id in any series.

use anyhow::{Context, ensure};
use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_proto::v1 as pb;
use posture_tests::Mode;
use posture_tests::scenario::{World, sync_and_wait};

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn standalone_serves_grpc_process_build_and_domain_metrics_after_a_sync() -> anyhow::Result<()> {
    let mut world = World::start(Mode::Standalone).await?;
    let tenant = world
        .tenant(TenantSpec {
            seed: 31,
            users: 300,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .await?;
    let run = sync_and_wait(&mut world.clients, &tenant).await?;
    ensure!(run.state() == pb::SyncRunState::Succeeded, "{run:#?}");

    let health = world
        .deployment
        .standalone_health()
        .context("standalone health port")?;
    let response = reqwest::get(format!("http://{health}/metrics")).await?;
    ensure!(response.status().is_success(), "{}", response.status());
    let text = response.text().await?;

    // The gateway's public server and the internal server record into the same families.
    for series in [
        r#"grpc_server_handled_total{grpc_type="unary",grpc_service="posture.v1.SyncService",grpc_method="StartSync",grpc_code="OK"}"#,
        r#"grpc_server_handled_total{grpc_type="unary",grpc_service="posture.v1.TenantConnectionService",grpc_method="CreateConnection",grpc_code="OK"}"#,
    ] {
        let calls = value(&text, series).with_context(|| format!("{series} in:\n{text}"))?;
        ensure!(calls >= 1.0, "{series} = {calls}");
    }
    ensure!(
        text.matches("# TYPE grpc_server_handled counter").count() == 1,
        "one family for both servers:\n{text}"
    );
    ensure!(
        text.contains(r#"grpc_server_handling_seconds_bucket{le="0.005",grpc_type="unary",grpc_service="posture.v1.SyncService""#),
        "{text}"
    );
    for metric in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        let sample = value(&text, metric).with_context(|| format!("{metric} in:\n{text}"))?;
        ensure!(sample > 0.0, "{metric} = {sample}");
    }
    let version = env!("CARGO_PKG_VERSION");
    ensure!(
        text.lines().any(
            |line| line.starts_with(&format!(r#"posture_build_info{{version="{version}","#))
                && line.ends_with(" 1")
        ),
        "{text}"
    );
    let users_pages = value(&text, r#"posture_sync_pages_total{kind="users"}"#).context("users pages")?;
    ensure!(users_pages >= 1.0, "{text}");
    ensure!(
        value(
            &text,
            r#"posture_sync_objects_total{kind="users",change="added"}"#
        ) == Some(300.0),
        "{text}"
    );
    ensure!(
        text.contains(r#"posture_graph_requests_total{family="identity",status="200"}"#),
        "{text}"
    );
    ensure!(!text.contains(&tenant), "no tenant id in any series:\n{text}");

    // The completed run is assessed: the assessment role counts it and its scores.
    let assessed = r#"posture_assessments_total{trigger="sync",outcome="succeeded"}"#;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let text = loop {
        let text = reqwest::get(format!("http://{health}/metrics"))
            .await?
            .text()
            .await?;
        if value(&text, assessed).is_some() || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    ensure!(value(&text, assessed) == Some(1.0), "{assessed} in:\n{text}");
    ensure!(
        text.contains(r#"posture_assessment_score_percent_count{framework="overall"} 1"#),
        "{text}"
    );
    ensure!(
        text.contains("posture_assessment_duration_seconds_bucket"),
        "{text}"
    );
    ensure!(!text.contains(&tenant), "no tenant id in any series:\n{text}");
    Ok(())
}
