//! Throttling per family with Microsoft's limits, bodies and headers; early retries extend
//! the window; switchable per tenant.

mod common;

use common::*;
use posture_graph_sim::{TenantSpec, ThrottleMode};

fn realistic(users: u32) -> TenantSpec {
    TenantSpec {
        users,
        throttling: ThrottleMode::Realistic,
        ..TenantSpec::default()
    }
}

#[tokio::test]
async fn reports_allow_five_requests_per_ten_seconds() {
    let (sim, info) = sim_with(realistic(30)).await;
    let token = graph_token(&sim, &info).await;
    let path = "/graph/v1.0/reports/authenticationMethods/userRegistrationDetails";
    for i in 0..5 {
        let (status, _) = get_json(&sim, &token, path).await;
        assert_eq!(status, 200, "request {i}");
    }
    // The bucket refills at 0.5 requests/s: on a slow machine one more may slip through.
    let mut r = get(&sim, &token, path).await;
    for _ in 0..3 {
        if r.status() == 429 {
            break;
        }
        r = get(&sim, &token, path).await;
    }
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=10).contains(&retry), "{retry}");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "TooManyRequests");
    let log = sim.request_log(&info.tenant_id.to_string());
    let throttled = log.iter().find(|r| r.status == 429).expect("logged");
    assert_eq!(throttled.retry_after.as_deref(), Some(retry.to_string().as_str()));
}

#[tokio::test]
async fn retry_before_retry_after_is_throttled_again() {
    let (sim, info) = sim_with(realistic(30)).await;
    let token = graph_token(&sim, &info).await;
    let path = "/graph/v1.0/auditLogs/directoryAudits";
    let mut first_retry = 0;
    for _ in 0..6 {
        let r = get(&sim, &token, path).await;
        if r.status() == 429 {
            first_retry = r.headers()["retry-after"]
                .to_str()
                .expect("ra")
                .parse::<u64>()
                .expect("n");
        }
    }
    assert!(first_retry >= 1);
    // Immediately again (well before Retry-After): throttled again, window restarted.
    let r = get(&sim, &token, path).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn ca_policy_429_has_no_retry_after() {
    let (sim, info) = sim_with(realistic(30)).await;
    let token = graph_token(&sim, &info).await;
    let path = "/graph/v1.0/identity/conditionalAccess/policies";
    let mut saw = None;
    for _ in 0..4 {
        let r = get(&sim, &token, path).await;
        if r.status() == 429 {
            saw = Some(r);
            break;
        }
    }
    let r = saw.expect("1 request per second per tenant is exceeded by a burst");
    assert!(!r.headers().contains_key("retry-after"));
    assert!(
        r.headers()["x-ms-throttle-scope"]
            .to_str()
            .unwrap_or("")
            .starts_with("Tenant/")
    );
}

#[tokio::test]
async fn identity_429_carries_throttle_scope_and_information() {
    let spec = TenantSpec {
        users: 30,
        throttling: ThrottleMode::Scaled { factor: 0.002 },
        ..TenantSpec::default()
    };
    let (sim, info) = sim_with(spec).await;
    let token = graph_token(&sim, &info).await;
    let mut throttled = None;
    let mut warned = false;
    for _ in 0..10 {
        let r = get(&sim, &token, "/graph/v1.0/users?$top=5").await;
        warned |= r.headers().contains_key("x-ms-throttle-limit-percentage");
        assert!(r.headers().contains_key("x-ms-resource-unit") || r.status() == 429);
        if r.status() == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.expect("scaled identity budget (7 RU / 10 s) is exceeded");
    assert!(
        warned,
        "responses above 80% of the budget carry x-ms-throttle-limit-percentage"
    );
    let scope = r.headers()["x-ms-throttle-scope"]
        .to_str()
        .expect("scope")
        .to_string();
    assert_eq!(
        scope,
        format!(
            "Tenant_Application/ReadWrite/{}/{}",
            info.client_id, info.tenant_id
        )
    );
    assert_eq!(
        r.headers()["x-ms-throttle-information"],
        "ResourceUnitLimitExceeded"
    );
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "Request_ThrottledTemporarily");
}

#[tokio::test]
async fn throttling_switched_off_never_answers_429() {
    let (sim, info) = sim_with(realistic(30)).await;
    sim.set_throttling(&info.tenant_id.to_string(), ThrottleMode::Off)
        .expect("off");
    let token = graph_token(&sim, &info).await;
    for _ in 0..20 {
        let (status, _) = get_json(
            &sim,
            &token,
            "/graph/v1.0/reports/authenticationMethods/userRegistrationDetails",
        )
        .await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn sign_in_activity_allows_ten_requests_per_minute() {
    let (sim, info) = sim_with(realistic(30)).await;
    let token = graph_token(&sim, &info).await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(
            get(&sim, &token, "/graph/v1.0/users?$select=id,signInActivity&$top=5")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..10].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[10], 429);
    let (status, _) = get_json(&sim, &token, "/graph/v1.0/users?$select=id&$top=5").await;
    assert_eq!(status, 200, "plain user reads use the identity budget");
}
