//! JSON batching: limits, unique ids, dependsOn, per-item throttling, 200 envelope.

mod common;

use common::*;
use posture_graph_sim::{TenantSpec, ThrottleMode};
use serde_json::{Value, json};

async fn post_batch(sim: &posture_graph_sim::Simulator, token: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(url(sim, "/graph/v1.0/$batch"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("batch");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

#[tokio::test]
async fn batch_runs_items_and_answers_with_a_200_envelope() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = post_batch(&sim, &token, json!({ "requests": [
        { "id": "1", "method": "GET", "url": "/users?$top=2&$select=id" },
        { "id": "2", "method": "GET", "url": "/organization" },
        { "id": "3", "method": "GET", "url": "/users/$count", "headers": { "ConsistencyLevel": "eventual" } },
    ]})).await;
    assert_eq!(status, 200);
    let responses = body["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 3);
    let one = responses.iter().find(|r| r["id"] == "1").expect("1");
    assert_eq!(one["status"], 200);
    assert!(
        one["body"]["@odata.nextLink"]
            .as_str()
            .unwrap_or("")
            .starts_with("http"),
        "absolute nextLink inside items"
    );
    assert_eq!(
        responses.iter().find(|r| r["id"] == "3").expect("3")["status"],
        200
    );
}

#[tokio::test]
async fn batch_with_duplicate_ids_is_rejected() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = post_batch(
        &sim,
        &token,
        json!({ "requests": [
            { "id": "a", "method": "GET", "url": "/users" },
            { "id": "A", "method": "GET", "url": "/groups" },
        ]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn batch_over_twenty_items_is_rejected() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    let requests: Vec<Value> = (0..21)
        .map(|i| json!({ "id": i.to_string(), "method": "GET", "url": "/users" }))
        .collect();
    let (status, _) = post_batch(&sim, &token, json!({ "requests": requests })).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn failed_dependency_is_424() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = graph_token(&sim, &info).await;
    let (status, body) = post_batch(
        &sim,
        &token,
        json!({ "requests": [
            { "id": "1", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000" },
            { "id": "2", "method": "GET", "url": "/groups", "dependsOn": ["1"] },
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    let r = body["responses"].as_array().expect("responses");
    assert_eq!(r.iter().find(|x| x["id"] == "1").expect("1")["status"], 404);
    assert_eq!(r.iter().find(|x| x["id"] == "2").expect("2")["status"], 424);
}

#[tokio::test]
async fn throttled_batch_items_carry_their_own_retry_after() {
    let (sim, info) = sim_with(TenantSpec {
        users: 30,
        throttling: ThrottleMode::Realistic,
        ..TenantSpec::default()
    })
    .await;
    let token = graph_token(&sim, &info).await;
    let requests: Vec<Value> = (0..8).map(|i| json!({ "id": format!("r{i}"), "method": "GET", "url": "/reports/authenticationMethods/userRegistrationDetails" })).collect();
    let (status, body) = post_batch(&sim, &token, json!({ "requests": requests })).await;
    assert_eq!(status, 200);
    let r = body["responses"].as_array().expect("responses");
    let throttled: Vec<&Value> = r.iter().filter(|x| x["status"] == 429).collect();
    assert_eq!(throttled.len(), 3, "5 per 10 s pass, the rest are throttled");
    assert!(throttled.iter().all(|x| x["headers"]["Retry-After"].is_string()));
}
