//! The sign-in activity limit (10 requests per minute per app per tenant) is counted over a
//! window: a budget that bursts and then refills continuously meets a 429 on every large pass.
//! The test reads real pages from the simulator and checks its request log. It takes a little
//! over a minute: the simulator counts the limit on wall time, and twelve pages need two windows.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use posture_graph::{EntityKind, InProcessBudget, entity_pages, models};
use posture_graph_sim::{RequestRecord, TenantSpec};

use crate::common::{collect, rig};

/// The most requests of `log` that fall within any span of `window`.
fn most_within(log: &[RequestRecord], window: ChronoDuration) -> usize {
    let times: Vec<_> = log.iter().map(|l| l.time).collect();
    (0..times.len())
        .map(|i| times[i..].iter().take_while(|t| **t - times[i] < window).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn sign_in_activity_pass_of_twelve_pages_meets_no_429() {
    let r = rig(TenantSpec {
        users: 6_000,
        ..Default::default()
    })
    .await;
    let client = r.client().with_budget(Arc::new(InProcessBudget::new()));
    let spec = EntityKind::UserSignInActivity.spec();
    let pages = collect(entity_pages::<models::User>(&client, &spec).expect("stream"))
        .await
        .expect("every sign-in page");
    assert_eq!(pages.len(), 12, "6,000 users at $top=500");
    assert_eq!(pages.iter().map(|p| p.records.len()).sum::<usize>(), 6_000);

    let log = r.api_log();
    assert_eq!(
        log.iter().map(|l| l.status).collect::<Vec<_>>(),
        vec![200; 12],
        "one request per page and no 429"
    );
    assert!(
        most_within(&log, ChronoDuration::seconds(60)) <= 10,
        "the simulator saw more than 10 sign-in requests within a minute"
    );
}
