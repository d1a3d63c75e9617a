//! The Management Activity API: subscription, content listing across NextPageUri pages, blobs.

use posture_graph::GraphError;
use posture_graph::activity::{blob_records, content_pages, start_subscription};
use posture_graph_sim::TenantSpec;

use crate::common::{collect, rig};

#[tokio::test]
async fn activity_content_pages_follow_next_page_uri_and_blobs_are_read() {
    let r = rig(TenantSpec::default()).await;
    let client = r.client();
    let ctype = "Audit.AzureActiveDirectory";

    let before = collect(content_pages(&client, ctype, None).expect("listing")).await;
    match before {
        Err(GraphError::Rejected {
            code, status: 400, ..
        }) => assert_eq!(code, "AF20022"),
        other => panic!("listing before /start must be AF20022, got {other:?}"),
    }

    start_subscription(&client, ctype)
        .await
        .expect("subscription started");
    let pages = collect(content_pages(&client, ctype, None).expect("listing"))
        .await
        .expect("content");
    let blobs: Vec<_> = pages
        .iter()
        .flat_map(|p| p.records.iter().map(|r| r.value.clone()))
        .collect();
    assert!(!blobs.is_empty(), "a day of content is listed");
    assert!(blobs.iter().all(|b| b.content_type == ctype));
    let listing_requests = r
        .api_log()
        .iter()
        .filter(|l| l.path.contains("subscriptions/content"))
        .count();
    assert_eq!(
        listing_requests,
        pages.len() + 1,
        "one request per page plus the refused one"
    );
    assert!(pages.len() >= 2, "a day of hourly blobs spans pages");
    assert!(
        r.api_log().iter().any(|l| l.path.contains("nextPage=")),
        "later pages come from NextPageUri"
    );

    let records = blob_records(&client, &blobs[0]).await.expect("blob");
    assert!(!records.is_empty());
    assert!(
        records[0].value.get("Operation").is_some(),
        "{}",
        records[0].raw.get()
    );
}
