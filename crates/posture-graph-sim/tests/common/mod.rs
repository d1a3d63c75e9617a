//! Shared helpers for the simulator's integration tests: start a simulator, create tenants,
//! fetch tokens and call the APIs over real HTTP.
#![allow(dead_code)]

use posture_graph_sim::{SimConfig, Simulator, TenantInfo, TenantSpec};
use serde_json::Value;

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("reqwest client")
}

pub async fn sim() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

pub async fn sim_with(spec: TenantSpec) -> (Simulator, TenantInfo) {
    let s = sim().await;
    let info = s.create_tenant(spec).expect("tenant");
    (s, info)
}

pub fn url(sim: &Simulator, path: &str) -> String {
    format!("{}{}", sim.base_url(), path.trim_start_matches('/'))
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish()
}

pub async fn token_response(sim: &Simulator, tenant: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(url(sim, &format!("/login/{tenant}/oauth2/v2.0/token")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(form))
        .send()
        .await
        .expect("token request")
}

pub async fn token_for(sim: &Simulator, info: &TenantInfo, scope: &str) -> String {
    let id = info.client_id.to_string();
    let resp = token_response(
        sim,
        &info.tenant_id.to_string(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", info.client_secret.expose()),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200, "token request should succeed");
    let v: Value = resp.json().await.expect("token json");
    v["access_token"].as_str().expect("access_token").to_string()
}

pub async fn graph_token(sim: &Simulator, info: &TenantInfo) -> String {
    token_for(sim, info, "https://graph.microsoft.com/.default").await
}

pub async fn get(sim: &Simulator, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(url(sim, path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
}

pub async fn get_json(sim: &Simulator, token: &str, path: &str) -> (u16, Value) {
    let r = get(sim, token, path).await;
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(Value::Null);
    (status, v)
}

/// Follows @odata.nextLink to the end; returns all items and the number of pages.
pub async fn all_pages(sim: &Simulator, token: &str, path: &str) -> (Vec<Value>, usize) {
    let mut next = url(sim, path);
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let r = client().get(&next).bearer_auth(token).send().await.expect("page");
        assert_eq!(r.status(), 200, "page {next} should succeed");
        let v: Value = r.json().await.expect("page json");
        pages += 1;
        items.extend(v["value"].as_array().cloned().unwrap_or_default());
        match v["@odata.nextLink"].as_str() {
            Some(n) => next = n.to_string(),
            None => break,
        }
    }
    (items, pages)
}

pub fn unthrottled(users: u32) -> TenantSpec {
    TenantSpec {
        users,
        throttling: posture_graph_sim::ThrottleMode::Off,
        ..TenantSpec::default()
    }
}
