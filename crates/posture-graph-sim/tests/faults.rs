//! Fault injection: 5xx rates, latency, dropped connections, broken JSON; deterministic.

mod common;

use std::time::{Duration, Instant};

use common::*;
use posture_graph_sim::{FaultRule, FaultSpec, Latency};

async fn statuses(sim: &posture_graph_sim::Simulator, token: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            get(sim, token, "/graph/v1.0/groups?$top=5")
                .await
                .status()
                .as_u16(),
        );
    }
    out
}

#[tokio::test]
async fn error_rate_is_deterministic_for_a_fault_seed() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let tid = info.tenant_id.to_string();
    let token = graph_token(&sim, &info).await;
    let spec = FaultSpec {
        seed: 7,
        rules: vec![FaultRule {
            path: "/v1.0/groups*".into(),
            error_rate: 0.5,
            error_statuses: vec![503, 504],
            ..FaultRule::default()
        }],
    };
    sim.set_faults(&tid, spec.clone()).expect("faults");
    let first = statuses(&sim, &token, 30).await;
    sim.set_faults(&tid, spec).expect("faults again");
    let second = statuses(&sim, &token, 30).await;
    assert_eq!(first, second);
    let failures = first.iter().filter(|s| **s >= 500).count();
    assert!((5..=25).contains(&failures), "{first:?}");
    assert!(first.iter().all(|s| [200, 503, 504].contains(s)));
    let (status, _) = get_json(&sim, &token, "/graph/v1.0/users?$top=1").await;
    assert_eq!(status, 200, "other paths are untouched");
}

#[tokio::test]
async fn injected_503_has_graph_shape_and_retry_after() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    sim.set_faults(
        &info.tenant_id.to_string(),
        FaultSpec {
            seed: 1,
            rules: vec![FaultRule {
                error_rate: 1.0,
                error_statuses: vec![503],
                ..FaultRule::default()
            }],
        },
    )
    .expect("faults");
    let r = get(&sim, &token, "/graph/v1.0/users").await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "serviceNotAvailable");
}

#[tokio::test]
async fn latency_is_added_per_page() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    sim.set_faults(
        &info.tenant_id.to_string(),
        FaultSpec {
            seed: 1,
            rules: vec![FaultRule {
                latency: Some(Latency::Uniform {
                    min_ms: 150,
                    max_ms: 250,
                }),
                ..FaultRule::default()
            }],
        },
    )
    .expect("faults");
    let start = Instant::now();
    let (status, _) = get_json(&sim, &token, "/graph/v1.0/users").await;
    assert_eq!(status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn dropped_connection_closes_without_a_response() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    sim.set_faults(
        &info.tenant_id.to_string(),
        FaultSpec {
            seed: 1,
            rules: vec![FaultRule {
                path: "/v1.0/users".into(),
                drop_rate: 1.0,
                ..FaultRule::default()
            }],
        },
    )
    .expect("faults");
    let err = client()
        .get(url(&sim, "/graph/v1.0/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("no response");
    assert!(!err.is_status(), "{err}");
    let log = sim.request_log(&info.tenant_id.to_string());
    assert!(
        log.iter()
            .any(|r| r.status == 0 && r.fault.as_deref() == Some("Drop"))
    );
}

#[tokio::test]
async fn malformed_and_truncated_bodies_do_not_parse() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let tid = info.tenant_id.to_string();
    let token = graph_token(&sim, &info).await;
    for rule in [
        FaultRule {
            malformed_rate: 1.0,
            ..FaultRule::default()
        },
        FaultRule {
            truncate_rate: 1.0,
            ..FaultRule::default()
        },
    ] {
        sim.set_faults(
            &tid,
            FaultSpec {
                seed: 3,
                rules: vec![rule],
            },
        )
        .expect("faults");
        let r = get(&sim, &token, "/graph/v1.0/users").await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.expect("body");
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{text}"
        );
    }
}

#[tokio::test]
async fn bad_fault_settings_are_rejected_by_the_admin_api() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let r = client()
        .put(url(&sim, &format!("/_sim/tenants/{}/faults", info.tenant_id)))
        .header("content-type", "application/json")
        .body(r#"{"rules":[{"error_rate": 3.0}]}"#)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(
        body["error"].as_str().unwrap_or("").contains("error_rate"),
        "{body}"
    );
}
