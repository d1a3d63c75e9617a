//! The gate every public call passes before any handler runs: it reads the API key from
//! `authorization: Bearer <key>`, checks it against the store (hash, revocation, expiry), checks
//! the rpc's least role from the per-rpc table and hands the [`Principal`] to the handler in the
//! request's extensions. Tenant checks need the decoded message and happen in the handlers.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::Duration;
use http::HeaderMap;
use posture_kit::clock::Clock;
use secrecy::SecretString;
use tonic::Status;
use tonic::body::Body;
use tonic::server::NamedService;

use super::{Principal, policy};
use crate::keys::{ApiKeyStore, PresentedKey};

/// `last_used_at` is written at most this often per key, so busy keys do not write on every call.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// Authenticates callers and checks the role each rpc needs.
#[derive(Debug)]
pub struct Gate {
    store: ApiKeyStore,
    clock: Arc<dyn Clock>,
}

impl Gate {
    pub fn new(store: ApiKeyStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Who is calling `path`, or the status that refuses the call.
    pub async fn admit(&self, path: &str, headers: &HeaderMap) -> Result<Principal, Status> {
        let Some(required) = policy::required_role(path) else {
            return Err(Status::unimplemented(format!("{path} is not served here")));
        };
        let presented = bearer_key(headers)?;
        let unknown = || Status::unauthenticated("unknown or revoked API key");
        let key = PresentedKey::parse(&presented).ok_or_else(unknown)?;
        let stored = self.store.get(&key.id).await.map_err(|error| {
            tracing::error!(%error, "API key lookup failed");
            Status::unavailable("the gateway cannot check API keys right now; retry with backoff")
        })?;
        let Some(stored) = stored.filter(|stored| key.matches(&stored.key_hash)) else {
            return Err(unknown());
        };
        let record = stored.record;
        let now = self.clock.now();
        if record.revoked_at.is_some() {
            return Err(unknown());
        }
        if record.is_expired(now) {
            return Err(Status::unauthenticated(format!(
                "the API key `{}` has expired",
                record.display_name
            )));
        }
        if record.role < required {
            return Err(Status::permission_denied(format!(
                "{path} needs the {required} role; the API key `{}` has {}",
                record.display_name, record.role
            )));
        }
        let stale = record
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USED_RESOLUTION);
        if stale {
            // Bookkeeping only: a failed write must not fail the caller's request.
            if let Err(error) = self.store.touch(&record.id, now).await {
                tracing::warn!(%error, api_key_id = %record.id, "could not record API key use");
            }
        }
        Ok(Principal {
            api_key_id: record.id,
            name: record.display_name,
            role: record.role,
            scope: record.scope,
        })
    }
}

fn bearer_key(headers: &HeaderMap) -> Result<SecretString, Status> {
    let missing =
        || Status::unauthenticated("missing API key: send the metadata `authorization: Bearer <api key>`");
    let value = headers.get(http::header::AUTHORIZATION).ok_or_else(missing)?;
    let value = value
        .to_str()
        .map_err(|_| Status::unauthenticated("malformed authorization metadata"))?;
    let (scheme, key) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Status::unauthenticated(
            "unsupported authorization scheme: use `Bearer <api key>`",
        ));
    }
    Ok(SecretString::from(key.trim().to_owned()))
}

/// A generated tonic server behind the [`Gate`]. It keeps the inner service's name, so it mounts
/// on [`posture_kit::grpc::GrpcServer`] like the service itself.
#[derive(Clone)]
pub struct Guarded<S> {
    inner: S,
    gate: Arc<Gate>,
    max_message_bytes: usize,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, gate: Arc<Gate>, max_message_bytes: usize) -> Self {
        Self {
            inner,
            gate,
            max_message_bytes,
        }
    }
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for Guarded<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The clone is not the instance `poll_ready` was called on; swap so the ready one runs.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = Arc::clone(&self.gate);
        let limit = self.max_message_bytes;
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            match gate.admit(&path, request.headers()).await {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                    let response = inner.call(request).await?;
                    Ok(in_contract_terms(response, limit))
                }
                Err(status) => {
                    tracing::debug!(path = %path, code = ?status.code(), "call refused at the gate");
                    Ok(status.into_http())
                }
            }
        })
    }
}

/// tonic answers a request over the decoding limit with OUT_OF_RANGE and a body that is not the
/// rpc's message with INTERNAL; the contract (and other gRPC implementations for the size) say
/// RESOURCE_EXHAUSTED and INVALID_ARGUMENT, with a message that says what to fix.
fn in_contract_terms(response: http::Response<Body>, limit: usize) -> http::Response<Body> {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    match status.code() {
        tonic::Code::OutOfRange if status.message().contains("message length too large") => {
            Status::resource_exhausted(format!(
                "the request message is larger than the gateway's limit of {limit} bytes"
            ))
            .into_http()
        }
        tonic::Code::Internal if status.message().starts_with("failed to decode Protobuf message") => {
            Status::invalid_argument(format!(
                "the request is not a valid message for this rpc ({})",
                status.message()
            ))
            .into_http()
        }
        _ => response,
    }
}
