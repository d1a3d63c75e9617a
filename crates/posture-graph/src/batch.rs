//! JSON batching: up to 20 Graph requests in one POST. Items are matched by id (responses come in
//! any order); only throttled items are sent again, after the longest Retry-After among them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde::{Deserialize, Serialize};

use crate::budget::ServiceFamily;
use crate::client::{ApiRequest, GraphClient, parse_json};
use crate::cloud::Resource;
use crate::error::GraphError;
use crate::retry::parse_retry_after;

pub const MAX_BATCH_ITEMS: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BatchItem {
    pub id: String,
    pub method: String,
    /// Relative to the version root, e.g. `/users?$select=id`.
    pub url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl BatchItem {
    pub fn get(id: impl Into<String>, url: impl Into<String>) -> BatchItem {
        BatchItem {
            id: id.into(),
            method: "GET".to_owned(),
            url: url.into(),
            headers: BTreeMap::new(),
            body: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BatchItemResponse {
    pub id: String,
    pub status: u16,
    #[serde(default)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

impl BatchItemResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    }

    fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(&self.header("Retry-After")?, chrono::Utc::now())
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    requests: Vec<&'a BatchItem>,
}

#[derive(Deserialize)]
struct ResponseEnvelope {
    responses: Vec<BatchItemResponse>,
}

/// The outcome of a batch: one response per item id, plus how many round trips it took.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub responses: HashMap<String, BatchItemResponse>,
    pub rounds: u32,
}

impl GraphClient {
    /// Send `items` as one batch; throttled items are retried alone. Items still throttled after
    /// the retry policy's attempts are returned with their 429.
    pub async fn batch(
        &self,
        items: &[BatchItem],
        family: ServiceFamily,
    ) -> Result<BatchOutcome, GraphError> {
        let endpoint = "POST /$batch".to_owned();
        let config = |reason: String| GraphError::Config { reason };
        if items.is_empty() || items.len() > MAX_BATCH_ITEMS {
            return Err(config(format!(
                "a batch holds 1 to {MAX_BATCH_ITEMS} requests, not {}",
                items.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for item in items {
            if !seen.insert(item.id.to_ascii_lowercase()) {
                return Err(config(format!("batch item id {} is not unique", item.id)));
            }
        }
        let url = self.url(Resource::Graph, "$batch")?;
        let mut pending: Vec<&BatchItem> = items.iter().collect();
        let mut done: HashMap<String, BatchItemResponse> = HashMap::new();
        let mut rounds = 0;
        loop {
            rounds += 1;
            let body = serde_json::to_vec(&Envelope {
                requests: pending.clone(),
            })
            .map_err(|e| config(format!("batch body: {e}")))?;
            let mut req = ApiRequest::get(Resource::Graph, url.clone(), family);
            req.method = Method::POST;
            req.body = Some(Bytes::from(body));
            req.cost = pending.len() as u32;
            let (parsed, resp) = self
                .fetch(&req, |r| {
                    parse_json::<ResponseEnvelope>(&r.body, &endpoint, &r.ids)
                })
                .await?;
            let mut by_id: HashMap<String, BatchItemResponse> = parsed
                .responses
                .into_iter()
                .map(|r| (r.id.to_ascii_lowercase(), r))
                .collect();
            let mut throttled = Vec::new();
            let mut longest = None::<Duration>;
            for item in pending {
                let Some(answer) = by_id.remove(&item.id.to_ascii_lowercase()) else {
                    return Err(GraphError::BadResponse {
                        endpoint,
                        reason: format!("batch response has no item {}", item.id),
                        ids: resp.ids,
                    });
                };
                if answer.status == 429 {
                    let wait = answer.retry_after();
                    longest = match (longest, wait) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    throttled.push(item);
                }
                done.insert(item.id.clone(), answer);
            }
            let policy = self.retry_policy();
            if throttled.is_empty() || rounds >= policy.max_attempts {
                return Ok(BatchOutcome {
                    responses: done,
                    rounds,
                });
            }
            let wait = longest
                .unwrap_or_else(|| policy.backoff(rounds))
                .min(policy.max_retry_after);
            tracing::debug!(
                items = throttled.len(),
                wait_ms = wait.as_millis() as u64,
                "retrying throttled batch items"
            );
            tokio::time::sleep(wait).await;
            pending = throttled;
        }
    }
}
