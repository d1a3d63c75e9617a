//! The Office 365 Management Activity API: subscriptions per content type, content listings paged
//! by the `NextPageUri` header, and the audit blobs they point to.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use http::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::budget::ServiceFamily;
use crate::catalog::PagingStyle;
use crate::client::{ApiRequest, GraphClient};
use crate::cloud::Resource;
use crate::error::GraphError;
use crate::paging::{Page, pages};

const NEEDS: &[&str] = &["ActivityFeed.Read"];

/// One available content blob.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContentBlob {
    pub content_type: String,
    pub content_id: String,
    pub content_uri: String,
    pub content_created: Option<String>,
    pub content_expiration: Option<String>,
}

fn feed_url(client: &GraphClient, operation: &str) -> Result<Url, GraphError> {
    client.url(
        Resource::ManagementActivity,
        &format!("{}/activity/feed/{operation}", client.tenant_id()),
    )
}

fn request(url: Url) -> ApiRequest {
    let mut req = ApiRequest::get(
        Resource::ManagementActivity,
        url,
        ServiceFamily::ManagementActivity,
    );
    req.needs = NEEDS;
    req
}

/// One subscription as `subscriptions/list` returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Subscription {
    pub content_type: String,
    /// `enabled` or `disabled`.
    pub status: String,
}

impl Subscription {
    pub fn is_enabled(&self) -> bool {
        self.status.eq_ignore_ascii_case("enabled")
    }
}

/// The tenant's subscriptions, enabled or not.
pub async fn subscriptions(client: &GraphClient) -> Result<Vec<Subscription>, GraphError> {
    let response = client
        .execute(&request(feed_url(client, "subscriptions/list")?))
        .await?;
    serde_json::from_slice(&response.body).map_err(|e| GraphError::BadResponse {
        endpoint: "activity subscriptions listing".to_owned(),
        reason: format!("not a list of subscriptions: {e}"),
        ids: response.ids,
    })
}

/// Start the subscription for `content_type` (idempotent on the service side).
pub async fn start_subscription(client: &GraphClient, content_type: &str) -> Result<(), GraphError> {
    let mut url = feed_url(client, "subscriptions/start")?;
    url.query_pairs_mut().append_pair("contentType", content_type);
    let mut req = request(url);
    req.method = Method::POST;
    req.body = Some(Bytes::from_static(b"{}"));
    client.execute(&req).await.map(|_| ())
}

/// Content available for `content_type`, optionally within `[start, end)` (at most 24 h apart,
/// within the last 7 days), page by page.
pub fn content_pages(
    client: &GraphClient,
    content_type: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<impl Stream<Item = Result<Page<ContentBlob>, GraphError>> + Send + use<>, GraphError> {
    let mut url = feed_url(client, "subscriptions/content")?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("contentType", content_type);
        if let Some((start, end)) = window {
            q.append_pair("startTime", &start.format("%Y-%m-%dT%H:%M:%S").to_string());
            q.append_pair("endTime", &end.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
    }
    Ok(pages(client.clone(), request(url), PagingStyle::NextPageUri, 1))
}

/// The audit records of one blob (a JSON array of PascalCase records), kept raw.
pub async fn blob_records(
    client: &GraphClient,
    blob: &ContentBlob,
) -> Result<Vec<crate::paging::Record<serde_json::Value>>, GraphError> {
    let url = Url::parse(&blob.content_uri).map_err(|e| GraphError::BadResponse {
        endpoint: "activity content listing".to_owned(),
        reason: format!("contentUri is not an absolute URL: {e}"),
        ids: Default::default(),
    })?;
    let mut stream = std::pin::pin!(pages::<serde_json::Value>(
        client.clone(),
        request(url),
        PagingStyle::NextPageUri,
        1
    ));
    let mut out = Vec::new();
    while let Some(page) = futures::StreamExt::next(&mut stream).await {
        out.extend(page?.records);
    }
    Ok(out)
}
