//! Office 365 Management Activity API: subscriptions, content listing windows, paging, blobs.

mod common;

use common::*;
use posture_graph_sim::TenantSpec;
use serde_json::Value;

const MANAGE: &str = "https://manage.office.com/.default";

fn feed(tid: &str, op: &str) -> String {
    format!("/manage/api/v1.0/{tid}/activity/feed/{op}")
}

async fn post(sim: &posture_graph_sim::Simulator, token: &str, path: &str) -> reqwest::Response {
    client()
        .post(url(sim, path))
        .bearer_auth(token)
        .send()
        .await
        .expect("post")
}

#[tokio::test]
async fn listing_before_start_is_af20022_then_content_pages_by_next_page_uri() {
    let (sim, info) = sim_with(unthrottled(40)).await;
    let tid = info.tenant_id.to_string();
    let token = token_for(&sim, &info, MANAGE).await;
    let (status, v) = get_json(
        &sim,
        &token,
        &feed(
            &tid,
            "subscriptions/content?contentType=Audit.AzureActiveDirectory",
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "AF20022");
    let r = post(
        &sim,
        &token,
        &feed(&tid, "subscriptions/start?contentType=Audit.AzureActiveDirectory"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "enabled");
    let (_, list) = get_json(&sim, &token, &feed(&tid, "subscriptions/list")).await;
    assert_eq!(list[0]["contentType"], "Audit.AzureActiveDirectory");
    let now = sim.now();
    let start = (now - chrono::Duration::hours(24)).format("%Y-%m-%dT%H:%M:%S");
    let end = now.format("%Y-%m-%dT%H:%M:%S");
    let mut next = Some(url(
        &sim,
        &feed(
            &tid,
            &format!(
                "subscriptions/content?contentType=Audit.AzureActiveDirectory&startTime={start}&endTime={end}"
            ),
        ),
    ));
    let mut blobs = Vec::new();
    let mut pages = 0;
    while let Some(u) = next {
        let r = client()
            .get(&u)
            .bearer_auth(&token)
            .send()
            .await
            .expect("content");
        assert_eq!(r.status(), 200);
        next = r
            .headers()
            .get("NextPageUri")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        blobs.extend(r.json::<Vec<Value>>().await.expect("array"));
        pages += 1;
    }
    assert!(pages >= 2, "24 hourly blobs come in pages");
    assert!((23..=24).contains(&blobs.len()), "{}", blobs.len());
    let uri = blobs[0]["contentUri"].as_str().expect("contentUri");
    let records: Vec<Value> = client()
        .get(uri)
        .bearer_auth(&token)
        .send()
        .await
        .expect("blob")
        .json()
        .await
        .expect("records");
    assert!(!records.is_empty());
    assert!(
        records[0]["CreationTime"]
            .as_str()
            .is_some_and(|t| !t.ends_with('Z'))
    );
    assert_eq!(records[0]["OrganizationId"], tid);
    assert_eq!(records[0]["Workload"], "AzureActiveDirectory");
}

#[tokio::test]
async fn content_windows_longer_than_a_day_or_older_than_a_week_are_af20030() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let tid = info.tenant_id.to_string();
    let token = token_for(&sim, &info, MANAGE).await;
    post(
        &sim,
        &token,
        &feed(&tid, "subscriptions/start?contentType=Audit.Exchange"),
    )
    .await;
    let now = sim.now();
    let f = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    for (s, e) in [
        (now - chrono::Duration::hours(30), now),
        (
            now - chrono::Duration::days(8),
            now - chrono::Duration::days(8) + chrono::Duration::hours(2),
        ),
    ] {
        let (status, v) = get_json(
            &sim,
            &token,
            &feed(
                &tid,
                &format!(
                    "subscriptions/content?contentType=Audit.Exchange&startTime={}&endTime={}",
                    f(s),
                    f(e)
                ),
            ),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(v["error"]["code"], "AF20030");
    }
}

#[tokio::test]
async fn expired_blob_is_af20051_and_wrong_tenant_is_af20010() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let other = sim
        .create_tenant(TenantSpec {
            seed: 99,
            ..TenantSpec::default()
        })
        .expect("other");
    let tid = info.tenant_id.to_string();
    let token = token_for(&sim, &info, MANAGE).await;
    post(
        &sim,
        &token,
        &feed(&tid, "subscriptions/start?contentType=Audit.SharePoint"),
    )
    .await;
    let (_, blobs) = get_json(
        &sim,
        &token,
        &feed(&tid, "subscriptions/content?contentType=Audit.SharePoint"),
    )
    .await;
    let uri = blobs[0]["contentUri"].as_str().expect("uri").to_string();
    sim.advance_clock(std::time::Duration::from_secs(8 * 86_400));
    let fresh = token_for(&sim, &info, MANAGE).await;
    let v: Value = client()
        .get(&uri)
        .bearer_auth(&fresh)
        .send()
        .await
        .expect("blob")
        .json()
        .await
        .expect("json");
    assert_eq!(v["error"]["code"], "AF20051");
    let (status, v) = get_json(
        &sim,
        &fresh,
        &feed(&other.tenant_id.to_string(), "subscriptions/list"),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(v["error"]["code"], "AF20010");
}

#[tokio::test]
async fn token_without_activity_feed_read_is_af10001() {
    let spec = TenantSpec {
        permissions: Some(vec!["User.Read.All".into()]),
        ..TenantSpec::default()
    };
    let (sim, info) = sim_with(spec).await;
    let token = token_for(&sim, &info, MANAGE).await;
    let (status, v) = get_json(
        &sim,
        &token,
        &feed(&info.tenant_id.to_string(), "subscriptions/list"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(v["error"]["code"], "AF10001");
}
