//! $batch: ids matched in any order, only throttled items retried.

use posture_graph::{BatchItem, ServiceFamily};
use posture_graph_sim::{TenantSpec, ThrottleMode};

use crate::common::rig;

#[tokio::test]
async fn batch_retries_only_the_throttled_items() {
    let r = rig(TenantSpec {
        users: 40,
        throttling: ThrottleMode::Realistic,
        ..Default::default()
    })
    .await;
    let client = r.client();
    let users = r.sim.ground_truth(&r.tenant_id(), "users").expect("users");
    // Reports allow 5 requests per 10 s: a batch of 8 registration lookups is partly throttled.
    let items: Vec<BatchItem> = users.objects[..8]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let id = u["id"].as_str().expect("user id");
            BatchItem::get(
                format!("r{i}"),
                format!("/reports/authenticationMethods/userRegistrationDetails/{id}"),
            )
        })
        .collect();
    let mut all = items.clone();
    all.push(BatchItem::get("org", "/organization?$select=id"));
    let outcome = client
        .batch(&all, ServiceFamily::IdentityReports)
        .await
        .expect("batch");
    assert_eq!(outcome.responses.len(), 9);
    assert!(outcome.rounds >= 2, "some items were throttled and retried");
    for item in &all {
        let resp = &outcome.responses[&item.id];
        assert_eq!(resp.status, 200, "{} ended with {}", item.id, resp.status);
    }
    let org = &outcome.responses["org"];
    assert_eq!(
        org.body.as_ref().and_then(|b| b["value"][0]["id"].as_str()),
        Some(r.tenant_id().as_str())
    );
    let batches: Vec<_> = r
        .api_log()
        .into_iter()
        .filter(|l| l.path.contains("$batch"))
        .collect();
    assert_eq!(batches.len() as u32, outcome.rounds);
}

#[tokio::test]
async fn oversized_or_duplicate_batches_are_refused_before_sending() {
    let r = rig(TenantSpec::default()).await;
    let client = r.client();
    let many: Vec<BatchItem> = (0..21)
        .map(|i| BatchItem::get(i.to_string(), "/organization"))
        .collect();
    assert!(client.batch(&many, ServiceFamily::Identity).await.is_err());
    let dup = vec![
        BatchItem::get("a", "/organization"),
        BatchItem::get("A", "/organization"),
    ];
    assert!(client.batch(&dup, ServiceFamily::Identity).await.is_err());
    assert!(r.api_log().is_empty());
}
