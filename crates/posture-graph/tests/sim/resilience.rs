//! Throttling and transient faults: Retry-After honoured to the millisecond of the simulator's
//! request log, backoff without it, 5xx / dropped connections / cut-off and malformed bodies
//! recovered within bounded attempts, and a budget that avoids 429s altogether.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use posture_graph::{EntityKind, GraphError, HealthClass, InProcessBudget, Resource, entity_pages, models};
use posture_graph_sim::faults::{FaultAction, FaultState};
use posture_graph_sim::{FaultRule, FaultSpec, RequestRecord, TenantSpec, ThrottleMode};

use crate::common::{collect, rig};

/// Every request that follows a 429 on the same path waits at least its Retry-After.
fn assert_no_early_retry(log: &[RequestRecord]) -> usize {
    let mut throttled = 0;
    for (i, rec) in log.iter().enumerate() {
        if rec.status != 429 {
            continue;
        }
        throttled += 1;
        let route = rec.path.split('?').next().unwrap_or_default();
        if let (Some(ra), Some(next)) = (
            rec.retry_after.as_deref().and_then(|v| v.parse::<f64>().ok()),
            log[i + 1..]
                .iter()
                .find(|n| n.path.split('?').next() == Some(route)),
        ) {
            let waited = next.time - rec.time;
            let due = ChronoDuration::milliseconds((ra * 1000.0) as i64);
            assert!(
                waited >= due,
                "retried after {waited} although Retry-After said {ra}s"
            );
        }
    }
    throttled
}

#[tokio::test]
async fn throttled_requests_wait_out_retry_after() {
    let spec = TenantSpec {
        users: 60,
        throttling: ThrottleMode::Scaled { factor: 0.002 },
        ..Default::default()
    };
    let r = rig(spec).await;
    let client = r.client();
    let spec = EntityKind::Users.spec();
    let url = client.url(spec.resource, "users?$select=id&$top=5").expect("url");
    let first = spec.request_at(url);
    let got = collect(posture_graph::pages::<models::User>(
        client,
        first,
        spec.paging,
        5,
    ))
    .await
    .expect("users despite throttling");
    assert_eq!(got.iter().map(|p| p.records.len()).sum::<usize>(), 60);
    let log = r.api_log();
    assert!(
        log.iter().any(|l| l.retry_after.is_some()),
        "the simulator throttled with Retry-After"
    );
    assert!(assert_no_early_retry(&log) > 0);
}

#[tokio::test]
async fn throttling_without_retry_after_backs_off_and_recovers() {
    let r = rig(TenantSpec {
        throttling: ThrottleMode::Realistic,
        ..Default::default()
    })
    .await;
    let client = r.client();
    for _ in 0..3 {
        for kind in [EntityKind::ConditionalAccessPolicies, EntityKind::NamedLocations] {
            collect(entity_pages::<serde_json::Value>(&client, &kind.spec()).expect("stream"))
                .await
                .expect("CA data");
        }
    }
    let log = r.api_log();
    let throttled: Vec<_> = log.iter().enumerate().filter(|(_, l)| l.status == 429).collect();
    assert!(
        !throttled.is_empty(),
        "1 request/s per tenant must throttle a burst"
    );
    assert!(
        throttled.iter().all(|(_, l)| l.retry_after.is_none()),
        "CA 429s carry no Retry-After"
    );
    for (i, rec) in throttled {
        let next = &log[i + 1];
        assert!(
            next.time - rec.time >= ChronoDuration::milliseconds(50),
            "backed off before retrying"
        );
    }
}

#[tokio::test]
async fn shared_budget_keeps_conditional_access_under_its_limit() {
    let r = rig(TenantSpec {
        throttling: ThrottleMode::Realistic,
        ..Default::default()
    })
    .await;
    let client = r.client().with_budget(Arc::new(InProcessBudget::new()));
    for _ in 0..2 {
        for kind in [EntityKind::ConditionalAccessPolicies, EntityKind::NamedLocations] {
            collect(entity_pages::<serde_json::Value>(&client, &kind.spec()).expect("stream"))
                .await
                .expect("CA data");
        }
    }
    let log = r.api_log();
    assert_eq!(log.len(), 4);
    assert!(
        log.iter().all(|l| l.status == 200),
        "no 429 at all: {:?}",
        log.iter().map(|l| l.status).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_recovered() {
    let r = rig(TenantSpec {
        users: 900,
        ..Default::default()
    })
    .await;
    let rule = FaultRule {
        path: "*".into(),
        error_rate: 0.2,
        error_statuses: vec![500, 502, 503, 504],
        drop_rate: 0.1,
        ..Default::default()
    };
    r.fault(7, rule);
    let got = r.users_in_pages_of_50().await.expect("every page recovered");
    assert_eq!(got.iter().map(|p| p.records.len()).sum::<usize>(), 900);
    let log = r.api_log();
    let faults: Vec<&str> = log.iter().filter_map(|l| l.fault.as_deref()).collect();
    assert!(faults.iter().any(|f| f.contains("Drop")), "{faults:?}");
    assert!(log.iter().any(|l| l.status >= 500));
}

#[tokio::test]
async fn cut_off_bodies_are_fetched_again() {
    let r = rig(TenantSpec {
        users: 400,
        ..Default::default()
    })
    .await;
    let rule = FaultRule {
        path: "*".into(),
        truncate_rate: 0.4,
        ..Default::default()
    };
    r.fault(3, rule);
    let got = r.users_in_pages_of_50().await.expect("every page recovered");
    assert_eq!(got.iter().map(|p| p.records.len()).sum::<usize>(), 400);
    let log = r.api_log();
    let cut = log
        .iter()
        .filter(|l| l.fault.as_deref().is_some_and(|f| f.contains("Truncate")))
        .count();
    assert!(cut > 0, "the simulator cut some bodies");
    assert_eq!(log.len(), 8 + cut, "each cut page is fetched exactly once more");
}

/// A seed for which a `malformed_rate` of one half breaks the tenant's first response and leaves
/// the second alone, found through the simulator's own deterministic fault decisions.
fn seed_breaking_only_the_first_response(rule: &FaultRule) -> u64 {
    (0..1000)
        .find(|&seed| {
            let mut faults = FaultState::new(FaultSpec {
                seed,
                rules: vec![rule.clone()],
            });
            faults.decide("GET", "/v1.0/users").action == Some(FaultAction::Malformed)
                && faults.decide("GET", "/v1.0/users").action.is_none()
        })
        .expect("some seed breaks only the first response")
}

#[tokio::test]
async fn a_malformed_body_followed_by_a_good_one_reads_the_page() {
    let r = rig(TenantSpec {
        users: 40,
        ..Default::default()
    })
    .await;
    let client = r.client();
    // The token first, so the fault counter sees only the collection requests.
    client.tokens().token(Resource::Graph).await.expect("token");
    let rule = FaultRule {
        path: "*".into(),
        malformed_rate: 0.5,
        ..Default::default()
    };
    r.fault(seed_breaking_only_the_first_response(&rule), rule);
    let got = collect(entity_pages::<models::User>(&client, &EntityKind::Users.spec()).expect("stream"))
        .await
        .expect("the page is read on the second attempt");
    assert_eq!(got.iter().map(|p| p.records.len()).sum::<usize>(), 40);
    let log = r.api_log();
    let faults: Vec<Option<&str>> = log.iter().map(|l| l.fault.as_deref()).collect();
    assert_eq!(
        faults,
        vec![Some("Malformed"), None],
        "one broken body, then one good"
    );
    assert!(
        log[1].time - log[0].time >= ChronoDuration::milliseconds(50),
        "backed off before fetching again"
    );
}

#[tokio::test]
async fn malformed_bodies_are_retried_a_bounded_number_of_times_then_reported() {
    let r = rig(TenantSpec {
        users: 40,
        ..Default::default()
    })
    .await;
    let rule = FaultRule {
        path: "*".into(),
        malformed_rate: 1.0,
        ..Default::default()
    };
    r.fault(1, rule);
    let client = r.client();
    let err = collect(entity_pages::<models::User>(&client, &EntityKind::Users.spec()).expect("stream"))
        .await
        .expect_err("every body is malformed");
    assert_eq!(err.health(), Some(HealthClass::ServiceError), "{err}");
    let GraphError::BadResponse { ids, .. } = &err else {
        panic!("expected BadResponse, got {err}")
    };
    let message = err.to_string();
    assert!(
        message.contains("malformed response body (HTTP 200) after 6 attempts"),
        "{message}"
    );
    assert!(
        message.contains("from GET /") && message.contains("/v1.0/users"),
        "{message}"
    );
    assert!(
        !message.contains("Service Unavailable"),
        "no body in the message: {message}"
    );
    let log = r.api_log();
    assert_eq!(
        log.len(),
        6,
        "the retry policy's attempt limit bounds the requests"
    );
    assert!(log.iter().all(|l| l.fault.as_deref() == Some("Malformed")));
    assert!(ids.request_id.is_some(), "{err}");
    assert_eq!(
        log[5].client_request_id.as_deref(),
        Some(ids.client_request_id.as_str()),
        "the error names the last attempt's ids"
    );
}

#[tokio::test]
async fn retries_are_bounded_and_end_as_transient() {
    let r = rig(TenantSpec {
        users: 10,
        ..Default::default()
    })
    .await;
    let rule = FaultRule {
        path: "*".into(),
        error_rate: 1.0,
        error_statuses: vec![503],
        ..Default::default()
    };
    r.fault(1, rule);
    let client = r.client();
    let err = collect(entity_pages::<models::User>(&client, &EntityKind::Users.spec()).expect("stream"))
        .await
        .expect_err("always 503");
    assert!(matches!(err, GraphError::Transient { attempts: 6, .. }), "{err}");
    assert_eq!(r.api_log().len(), 6);
}
