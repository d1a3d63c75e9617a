//! Defender for Endpoint API over HTTP: paging with $top/$skip, errors, permissions.

mod common;

use common::*;
use posture_graph_sim::{Licences, TenantSpec, ThrottleMode};
use serde_json::Value;

const MDE: &str = "https://api.securitycenter.microsoft.com/.default";

#[tokio::test]
async fn machines_page_with_top_and_skip_to_ground_truth() {
    let (sim, info) = sim_with(unthrottled(600)).await;
    let token = token_for(&sim, &info, MDE).await;
    let mut next = url(&sim, "/mde/api/machines?$top=200");
    let mut all = Vec::new();
    loop {
        let v: Value = client()
            .get(&next)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        all.extend(v["value"].as_array().cloned().unwrap_or_default());
        match v["@odata.nextLink"].as_str() {
            Some(n) => {
                assert!(n.contains("skip="));
                next = n.to_string()
            }
            None => break,
        }
    }
    let truth = sim
        .ground_truth(&info.tenant_id.to_string(), "mde/machines")
        .expect("truth");
    assert_eq!(all.len(), truth.count);
    assert_eq!(all[0]["id"].as_str().map(str::len), Some(40));
    let (status, v) = get_json(&sim, &token, "/mde/api/v1.0/machines?$top=3&$skip=3").await;
    assert_eq!(status, 200);
    assert_eq!(v["value"][0]["id"], truth.objects[3]["id"]);
}

#[tokio::test]
async fn mde_endpoints_answer_with_their_shapes() {
    let (sim, info) = sim_with(unthrottled(100)).await;
    let token = token_for(&sim, &info, MDE).await;
    for path in [
        "/mde/api/alerts",
        "/mde/api/vulnerabilities",
        "/mde/api/vulnerabilities/machinesVulnerabilities",
        "/mde/api/recommendations",
    ] {
        let (status, v) = get_json(&sim, &token, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(v["value"].as_array().is_some_and(|a| !a.is_empty()), "{path}");
    }
    let (status, v) = get_json(&sim, &token, "/mde/api/exposureScore").await;
    assert_eq!(status, 200);
    assert!(v["score"].is_number() && v["time"].is_string());
    let (status, v) = get_json(&sim, &token, "/mde/api/configurationScore").await;
    assert_eq!(status, 200);
    assert!(v["score"].is_number());
    let (status, v) = get_json(&sim, &token, "/mde/api/machines?$top=10001").await;
    assert_eq!(status, 400);
    assert!(v["error"]["target"].is_string());
}

#[tokio::test]
async fn mde_without_permission_names_the_required_roles() {
    let spec = TenantSpec {
        users: 30,
        permissions: Some(vec!["Alert.Read.All".into()]),
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    };
    let (sim, info) = sim_with(spec).await;
    let token = token_for(&sim, &info, MDE).await;
    let (status, v) = get_json(&sim, &token, "/mde/api/machines").await;
    assert_eq!(status, 403);
    assert_eq!(v["error"]["code"], "Forbidden");
    assert_eq!(
        v["error"]["message"],
        "The application does not have any of the required application permissions (Machine.ReadWrite.All, Machine.Read.All) to access the resource."
    );
    let graph = graph_token(&sim, &info).await;
    let (status, v) = get_json(&sim, &graph, "/mde/api/alerts").await;
    assert_eq!(status, 401, "a Graph token is not valid for MDE");
    assert_eq!(v["error"]["code"], "Unauthorized");
}

#[tokio::test]
async fn mde_allows_one_hundred_calls_per_minute() {
    let (sim, info) = sim_with(TenantSpec {
        users: 30,
        throttling: ThrottleMode::Realistic,
        ..TenantSpec::default()
    })
    .await;
    let token = token_for(&sim, &info, MDE).await;
    let mut statuses = Vec::new();
    for _ in 0..101 {
        statuses.push(
            get(&sim, &token, "/mde/api/exposureScore")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..100].iter().all(|s| *s == 200));
    assert_eq!(statuses[100], 429);
}

#[tokio::test]
async fn tenant_without_defender_cannot_get_an_mde_token() {
    let (sim, info) = sim_with(TenantSpec {
        licences: Licences {
            p1: true,
            ..Licences::none()
        },
        ..TenantSpec::default()
    })
    .await;
    let id = info.client_id.to_string();
    let r = token_response(
        &sim,
        &info.tenant_id.to_string(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", info.client_secret.expose()),
            ("scope", MDE),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error_codes"][0], 500011);
}

#[tokio::test]
async fn machine_vulnerabilities_page_by_skip_with_unique_ids() {
    let spec = TenantSpec {
        users: 400,
        profile: posture_graph_sim::Profile::Neglected,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    };
    let (sim, info) = sim_with(spec).await;
    let token = token_for(&sim, &info, MDE).await;
    let mut next = url(&sim, "/mde/api/vulnerabilities/machinesVulnerabilities?$top=100");
    let mut ids = std::collections::BTreeSet::new();
    let mut pages = 0;
    loop {
        let v: Value = client()
            .get(&next)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        for item in v["value"].as_array().cloned().unwrap_or_default() {
            assert!(
                ids.insert(item["id"].as_str().unwrap_or("").to_string()),
                "duplicate id {}",
                item["id"]
            );
        }
        pages += 1;
        match v["@odata.nextLink"].as_str() {
            Some(n) => next = n.to_string(),
            None => break,
        }
    }
    let truth = sim
        .ground_truth(
            &info.tenant_id.to_string(),
            "mde/vulnerabilities/machinesVulnerabilities",
        )
        .expect("truth");
    assert_eq!(ids.len(), truth.count);
    assert_eq!(pages, truth.count.div_ceil(100));
}
