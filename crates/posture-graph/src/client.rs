//! The request core: every call takes a token from the `TokenSource`, waits for the shared budget,
//! carries a fresh `client-request-id`, and is retried on throttling (honouring Retry-After),
//! 5xx, dropped connections and unreadable bodies (cut off or malformed), a bounded number of
//! times. Permission and other client errors are never retried.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tracing::Instrument as _;
use url::Url;

use crate::auth::TokenSource;
use crate::body;
pub use crate::body::{json_error, parse_json};
use crate::budget::{BudgetKey, RequestBudget, ServiceFamily, Unlimited};
use crate::classify::{FailureContext, classify_failure};
use crate::cloud::{Endpoints, Resource};
use crate::error::{GraphError, Licence, RequestIds};
use crate::metrics::GraphMetrics;
use crate::retry::{RetryPolicy, retry_after};

/// One HTTP call and what the crate knows about it (for the budget and for error reports).
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub url: Url,
    pub resource: Resource,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Bytes>,
    pub family: ServiceFamily,
    /// Budget units the call costs (Graph resource units for identity calls, else 1).
    pub cost: u32,
    /// Permissions the endpoint needs, named in a permission error.
    pub needs: &'static [&'static str],
    pub licence: Option<Licence>,
}

impl ApiRequest {
    pub fn get(resource: Resource, url: Url, family: ServiceFamily) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            url,
            resource,
            headers: Vec::new(),
            body: None,
            family,
            cost: 1,
            needs: &[],
            licence: None,
        }
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> ApiRequest {
        self.headers.push((name, value));
        self
    }

    /// Same request at another URL (the next page), keeping headers such as ConsistencyLevel.
    pub fn at(&self, url: Url) -> ApiRequest {
        ApiRequest { url, ..self.clone() }
    }

    /// `METHOD /path` for messages: no query, which may hold opaque skip and delta tokens.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub ids: RequestIds,
    /// Attempts it took (1 when nothing was retried).
    pub attempts: u32,
}

/// A client for one tenant's APIs.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    tokens: Arc<dyn TokenSource>,
    endpoints: Endpoints,
    tenant_id: String,
    app_id: String,
    budget: Arc<dyn RequestBudget>,
    retry: RetryPolicy,
    metrics: Option<GraphMetrics>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("tenant_id", &self.tenant_id)
            .field("app_id", &self.app_id)
            .field("graph", &self.endpoints.graph.as_str())
            .finish_non_exhaustive()
    }
}

enum Failure {
    Throttled(Option<Duration>),
    Transient(String),
    /// 401: the token was refused (expired early, revoked); worth one try with a fresh token.
    TokenRejected(GraphError),
}

impl GraphClient {
    pub fn new(
        http: reqwest::Client,
        tokens: Arc<dyn TokenSource>,
        endpoints: Endpoints,
        tenant_id: impl Into<String>,
        app_id: impl Into<String>,
    ) -> GraphClient {
        GraphClient {
            http,
            tokens,
            endpoints,
            tenant_id: tenant_id.into(),
            app_id: app_id.into(),
            budget: Arc::new(Unlimited),
            retry: RetryPolicy::default(),
            metrics: None,
        }
    }

    /// Records every request, 429 and budget wait into `metrics`.
    pub fn with_metrics(mut self, metrics: GraphMetrics) -> GraphClient {
        self.metrics = Some(metrics);
        self
    }

    pub fn with_budget(mut self, budget: Arc<dyn RequestBudget>) -> GraphClient {
        self.budget = budget;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> GraphClient {
        self.retry = retry;
        self
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn tokens(&self) -> &Arc<dyn TokenSource> {
        &self.tokens
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// A URL under the base of `resource`, e.g. `url(Resource::Graph, "users?$top=999")`.
    pub fn url(&self, resource: Resource, relative: &str) -> Result<Url, GraphError> {
        self.endpoints
            .base(resource)
            .join(relative.trim_start_matches('/'))
            .map_err(|e| GraphError::Config {
                reason: format!("bad relative URL {relative}: {e}"),
            })
    }

    /// Send with retries; returns the 2xx answer or the classified error.
    pub async fn execute(&self, req: &ApiRequest) -> Result<ApiResponse, GraphError> {
        let base = self.endpoints.base(req.resource);
        if req.url.origin() != base.origin() {
            // A link from a response must not take our token to another host.
            return Err(GraphError::BadResponse {
                endpoint: req.endpoint(),
                reason: format!("link points outside {}", base.origin().ascii_serialization()),
                ids: RequestIds::default(),
            });
        }
        let key = BudgetKey {
            app_id: self.app_id.clone(),
            tenant_id: self.tenant_id.clone(),
            family: req.family,
        };
        let mut attempt = 0;
        let mut token_renewed = false;
        loop {
            attempt += 1;
            // Token first: the budget is charged right before sending, so its pacing is what the
            // service sees.
            let token = self
                .tokens
                .token(req.resource)
                .await
                .map_err(|e| e.licence_gate(req.resource, &req.endpoint(), req.licence))?;
            let waiting = std::time::Instant::now();
            self.budget.acquire(&key, req.cost).await;
            if let Some(metrics) = &self.metrics {
                metrics.waited(req.family, waiting.elapsed());
            }
            let ids = RequestIds {
                client_request_id: uuid::Uuid::new_v4().to_string(),
                request_id: None,
            };
            // One client span per attempt, with OpenTelemetry's HTTP client attributes; the
            // tenant is on the job's span above it.
            let span = tracing::info_span!(
                "graph.request",
                otel.name = %req.method,
                otel.kind = "client",
                http.request.method = %req.method,
                server.address = req.url.host_str().unwrap_or_default(),
                http.request.resend_count = attempt - 1,
                http.response.status_code = tracing::field::Empty,
                throttled = tracing::field::Empty,
                posture.graph.family = req.family.name(),
                client_request_id = %ids.client_request_id,
            );
            let sent = self
                .send_once(req, token.secret().expose_secret(), ids)
                .instrument(span)
                .await;
            let (failure, ids) = match sent {
                Ok(Ok(mut resp)) => {
                    resp.attempts = attempt;
                    return Ok(resp);
                }
                Ok(Err((f, ids))) => (f, ids),
                Err(final_error) => return Err(final_error),
            };
            let wait = match failure {
                Failure::TokenRejected(error) => {
                    if token_renewed {
                        return Err(error);
                    }
                    token_renewed = true;
                    self.tokens.invalidate(req.resource).await;
                    continue;
                }
                Failure::Throttled(hint) => {
                    let too_long = hint.is_some_and(|h| h > self.retry.max_retry_after);
                    if attempt >= self.retry.max_attempts || too_long {
                        if let Some(h) = hint {
                            self.budget.throttled(&key, h);
                        }
                        return Err(GraphError::Throttled {
                            endpoint: req.endpoint(),
                            retry_after: hint,
                            attempts: attempt,
                            ids,
                        });
                    }
                    let wait = hint.unwrap_or_else(|| self.retry.backoff(attempt));
                    self.budget.throttled(&key, wait);
                    wait
                }
                Failure::Transient(reason) => {
                    if attempt >= self.retry.max_attempts {
                        return Err(GraphError::Transient {
                            endpoint: req.endpoint(),
                            reason,
                            attempts: attempt,
                            ids,
                        });
                    }
                    self.retry.backoff(attempt)
                }
            };
            tracing::debug!(endpoint = %req.endpoint(), attempt, wait_ms = wait.as_millis() as u64,
                client_request_id = %ids.client_request_id, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt. Outer `Err` is final; inner `Err` is retryable.
    async fn send_once(
        &self,
        req: &ApiRequest,
        token: &str,
        mut ids: RequestIds,
    ) -> Result<Result<ApiResponse, (Failure, RequestIds)>, GraphError> {
        let mut auth =
            HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| GraphError::BadResponse {
                endpoint: "token source".to_owned(),
                reason: "access token holds characters not allowed in a header".to_owned(),
                ids: ids.clone(),
            })?;
        auth.set_sensitive(true);
        let mut builder = self
            .http
            .request(req.method.clone(), req.url.clone())
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .header("client-request-id", ids.client_request_id.as_str());
        for (name, value) in &req.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let started = std::time::Instant::now();
        let answered = |status: Option<StatusCode>| {
            let span = tracing::Span::current();
            if let Some(status) = status {
                span.record("http.response.status_code", status.as_u16());
                span.record("throttled", status == StatusCode::TOO_MANY_REQUESTS);
            }
            if let Some(metrics) = &self.metrics {
                metrics.answered(req.family, status.map(|s| s.as_u16()), started.elapsed());
            }
        };
        let resp = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                answered(None);
                let reason = format!("connection failed: {}", e.without_url());
                return Ok(Err((Failure::Transient(reason), ids)));
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        ids.request_id = headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match resp.bytes().await {
            Ok(b) => {
                answered(Some(status));
                b
            }
            Err(e) => {
                answered(None);
                let reason = format!("response body cut off: {}", e.without_url());
                return Ok(Err((Failure::Transient(reason), ids)));
            }
        };
        if status.is_success() {
            return Ok(Ok(ApiResponse {
                status,
                headers,
                body,
                ids,
                attempts: 1,
            }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Ok(Err((Failure::Throttled(retry_after(&headers)), ids)));
        }
        if matches!(status.as_u16(), 500 | 502 | 503 | 504 | 507 | 509) {
            let reason = format!("HTTP {}", status.as_u16());
            return Ok(Err((Failure::Transient(reason), ids)));
        }
        let endpoint = req.endpoint();
        let error = classify_failure(
            status,
            &headers,
            &body,
            FailureContext {
                tenant: &self.tenant_id,
                endpoint: &endpoint,
                resource: req.resource,
                needs: req.needs,
                licence: req.licence,
                ids: ids.clone(),
            },
        );
        // Exchange answers 401 to an app without a role or consent too; a fresh token would not
        // change that, so only a refused token is worth another one.
        let token_refused =
            req.resource != Resource::ExchangeOnline || matches!(error, GraphError::Authentication { .. });
        if status == StatusCode::UNAUTHORIZED && token_refused {
            return Ok(Err((Failure::TokenRejected(error), ids)));
        }
        Err(error)
    }

    /// `execute`, then `parse` the answer. A 2xx body that does not parse (cut off, broken JSON,
    /// JSON of the wrong shape) is what a proxy or front end sends when it hiccups: it is fetched
    /// again with backoff within the retry policy's attempts, then reported (see `body`).
    pub async fn fetch<T>(
        &self,
        req: &ApiRequest,
        parse: impl Fn(&ApiResponse) -> Result<T, GraphError>,
    ) -> Result<(T, ApiResponse), GraphError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self.execute(req).await?;
            let error = match parse(&resp) {
                Ok(value) => return Ok((value, resp)),
                Err(e) if body::is_unreadable_body(&e) => e,
                Err(other) => return Err(other),
            };
            if attempt >= self.retry.max_attempts {
                return Err(body::unreadable_after(error, resp.status, attempt));
            }
            tracing::debug!(endpoint = %req.endpoint(), attempt, status = resp.status.as_u16(),
                client_request_id = %resp.ids.client_request_id, error = %body::excerpt(&error.to_string()),
                "refetching unreadable body");
            tokio::time::sleep(self.retry.backoff(attempt)).await;
        }
    }

    /// `fetch` and parse the JSON body as `T`.
    pub async fn json<T: DeserializeOwned>(&self, req: &ApiRequest) -> Result<T, GraphError> {
        let endpoint = req.endpoint();
        let (value, _) = self
            .fetch(req, |r| parse_json(&r.body, &endpoint, &r.ids))
            .await?;
        Ok(value)
    }
}
