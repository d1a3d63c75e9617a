//! Client-credentials authentication: a secret or a certificate assertion exchanged for one access
//! token per (tenant, resource). Caching and refresh belong to the tokens service, which implements
//! `TokenSource`; `DirectTokenSource` asks the authority every time and suits tests and tools.

mod assertion;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use assertion::{ASSERTION_LIFETIME_SECS, CertificateCredential, x5t};
pub use token::AccessToken;

use crate::cloud::{Endpoints, Resource};
use crate::error::{GraphError, aadsts_meaning};
use crate::retry::{RetryPolicy, retry_after};

/// How the app proves who it is.
#[derive(Clone)]
pub enum ClientCredential {
    Secret(SecretString),
    Certificate(CertificateCredential),
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCredential::Secret(_) => f.write_str("Secret([redacted])"),
            ClientCredential::Certificate(c) => f.debug_tuple("Certificate").field(c).finish(),
        }
    }
}

/// One app registration in one tenant, in one cloud.
#[derive(Debug, Clone)]
pub struct AppConnection {
    pub tenant_id: String,
    pub client_id: String,
    pub credential: ClientCredential,
    pub endpoints: Endpoints,
}

/// Where requests take their tokens from.
#[async_trait]
pub trait TokenSource: Send + Sync {
    async fn token(&self, resource: Resource) -> Result<AccessToken, GraphError>;

    /// An API rejected the last token for `resource` (401): a caching source should drop it so
    /// the next `token` call fetches a new one. Sources without a cache need do nothing.
    async fn invalidate(&self, _resource: Resource) {}
}

/// Exchanges the app's credential for access tokens at the cloud's authority.
#[derive(Debug, Clone)]
pub struct TokenAcquirer {
    http: reqwest::Client,
    connection: Arc<AppConnection>,
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: serde_json::Value,
}

#[derive(Debug, Default, Deserialize)]
struct TokenErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u32>,
}

impl TokenAcquirer {
    pub fn new(http: reqwest::Client, connection: AppConnection) -> TokenAcquirer {
        TokenAcquirer {
            http,
            connection: Arc::new(connection),
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> TokenAcquirer {
        self.retry = retry;
        self
    }

    pub fn connection(&self) -> &AppConnection {
        &self.connection
    }

    /// Request a token for `resource`. The authority's 5xx, 429 and dropped connections are retried
    /// within the policy; credential and consent errors come back as `GraphError::Authentication`.
    pub async fn acquire(&self, resource: Resource) -> Result<AccessToken, GraphError> {
        let conn = &self.connection;
        let token_url = conn.endpoints.token_url(&conn.tenant_id)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let body = self.form(resource, token_url.as_str())?;
            let issued_at = Utc::now();
            let sent = self
                .http
                .post(token_url.clone())
                .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("client-request-id", uuid::Uuid::new_v4().to_string())
                .body(body)
                .send()
                .await;
            let (status, headers, bytes) = match sent {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(b) => (status, headers, b),
                        Err(e) => {
                            self.pause_or_fail(attempt, None, format!("token response cut off: {e}"))
                                .await?;
                            continue;
                        }
                    }
                }
                Err(e) => {
                    self.pause_or_fail(
                        attempt,
                        None,
                        format!("token request failed: {}", e.without_url()),
                    )
                    .await?;
                    continue;
                }
            };
            if status.is_success() {
                return parse_token(&bytes, resource, issued_at, &conn.tenant_id);
            }
            if status.as_u16() == 429 || status.is_server_error() {
                self.pause_or_fail(
                    attempt,
                    retry_after(&headers),
                    format!("authority answered HTTP {}", status.as_u16()),
                )
                .await?;
                continue;
            }
            return Err(token_failure(status.as_u16(), &bytes, &conn.tenant_id));
        }
    }

    async fn pause_or_fail(
        &self,
        attempt: u32,
        hint: Option<Duration>,
        reason: String,
    ) -> Result<(), GraphError> {
        if attempt >= self.retry.max_attempts {
            return Err(GraphError::Transient {
                endpoint: format!("token endpoint of tenant {}", self.connection.tenant_id),
                reason,
                attempts: attempt,
                ids: Default::default(),
            });
        }
        let wait = hint
            .unwrap_or_else(|| self.retry.backoff(attempt))
            .min(self.retry.max_retry_after);
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn form(&self, resource: Resource, token_url: &str) -> Result<String, GraphError> {
        let conn = &self.connection;
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("client_id", &conn.client_id)
            .append_pair("scope", conn.endpoints.scope(resource))
            .append_pair("grant_type", "client_credentials");
        match &conn.credential {
            ClientCredential::Secret(secret) => {
                form.append_pair("client_secret", secret.expose_secret());
            }
            ClientCredential::Certificate(cert) => {
                let assertion = cert.client_assertion(&conn.client_id, token_url, Utc::now())?;
                form.append_pair(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .append_pair("client_assertion", assertion.expose_secret());
            }
        }
        Ok(form.finish())
    }
}

fn parse_token(
    bytes: &[u8],
    resource: Resource,
    issued_at: chrono::DateTime<Utc>,
    tenant: &str,
) -> Result<AccessToken, GraphError> {
    let bad = |reason: String| GraphError::BadResponse {
        endpoint: format!("token endpoint of tenant {tenant}"),
        reason,
        ids: Default::default(),
    };
    let parsed: TokenResponse =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("token response is not valid JSON: {e}")))?;
    // Some authorities send expires_in as a string; both mean seconds.
    let secs = match &parsed.expires_in {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| bad("token response has no usable expires_in".to_owned()))?;
    Ok(AccessToken::new(
        SecretString::from(parsed.access_token),
        resource,
        Duration::from_secs(secs),
        issued_at,
    ))
}

/// Classify a token endpoint refusal by its AADSTS code.
pub fn token_failure(status: u16, body: &[u8], tenant: &str) -> GraphError {
    let parsed: TokenErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let aadsts = parsed
        .error_codes
        .first()
        .copied()
        .or_else(|| aadsts_in(&parsed.error_description));
    let error = if parsed.error.is_empty() {
        format!("HTTP {status}")
    } else {
        parsed.error
    };
    GraphError::Authentication {
        tenant: tenant.to_owned(),
        meaning: aadsts
            .map(aadsts_meaning)
            .unwrap_or("the identity platform refused the token request")
            .to_owned(),
        aadsts,
        error,
    }
}

fn aadsts_in(description: &str) -> Option<u32> {
    let rest = &description[description.find("AADSTS")? + 6..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// A `TokenSource` that asks the authority for every request; no cache.
#[derive(Debug, Clone)]
pub struct DirectTokenSource(pub TokenAcquirer);

#[async_trait]
impl TokenSource for DirectTokenSource {
    async fn token(&self, resource: Resource) -> Result<AccessToken, GraphError> {
        self.0.acquire(resource).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_are_classified_by_aadsts_code() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app 'x' are expired.\r\nTrace ID: 1","error_codes":[7000222]}"#;
        match token_failure(401, body, "t1") {
            GraphError::Authentication {
                aadsts,
                error,
                meaning,
                ..
            } => {
                assert_eq!(aadsts, Some(7000222));
                assert_eq!(error, "invalid_client");
                assert!(meaning.contains("expired"));
            }
            other => panic!("expected an authentication error, got {other:?}"),
        }
    }

    #[test]
    fn aadsts_code_is_read_from_the_description_when_codes_are_absent() {
        let body = br#"{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'a' was not found in the directory 't'."}"#;
        let err = token_failure(400, body, "t1");
        assert!(matches!(
            err,
            GraphError::Authentication {
                aadsts: Some(700016),
                ..
            }
        ));
        assert!(err.to_string().contains("not installed"));
    }

    #[test]
    fn secret_credentials_debug_redacted() {
        let c = ClientCredential::Secret(SecretString::from("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
