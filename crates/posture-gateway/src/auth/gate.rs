//! The gate every public call passes before any handler runs: it reads the API key from
//! `authorization: Bearer <key>`, checks it against the store (hash, revocation, expiry), checks
//! the rpc's least role from the per-rpc table and hands the [`Principal`] to the handler in the
//! request's extensions. Tenant checks need the decoded message and happen in the handlers.
//! Every admitted mutating call is then recorded in the activity log with the status it ended with.

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
use crate::activity::{ActivityRecorder, CallNote, CallRecord, is_mutating, rpc_name, trace_id};
use crate::keys::{ApiKeyStore, PresentedKey};

/// `last_used_at` is written at most this often per key, so busy keys do not write on every call.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// Authenticates callers and checks the role each rpc needs.
#[derive(Debug)]
pub struct Gate {
    store: ApiKeyStore,
    clock: Arc<dyn Clock>,
    activity: ActivityRecorder,
}

impl Gate {
    pub fn new(store: ApiKeyStore, clock: Arc<dyn Clock>, activity: ActivityRecorder) -> Self {
        Self {
            store,
            clock,
            activity,
        }
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
                Ok(principal) if is_mutating(&path) => {
                    Ok(recorded(gate, principal, path, request, inner, limit).await)
                }
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

/// Runs an admitted mutating call and appends its activity record. The call runs in its own task,
/// so a caller that hangs up does not cut the record (or the call) off halfway.
async fn recorded<S>(
    gate: Arc<Gate>,
    principal: Principal,
    path: String,
    mut request: http::Request<Body>,
    mut inner: S,
    limit: usize,
) -> http::Response<Body>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    use tracing::Instrument as _;

    let note = CallNote::default();
    let mut call = CallRecord {
        occurred_at: gate.clock.now(),
        api_key_id: principal.api_key_id.to_string(),
        api_key_name: principal.name.clone(),
        role: principal.role,
        rpc: rpc_name(&path).to_owned(),
        status_code: 0,
        trace_id: trace_id(request.headers()),
        tenant_ids: Vec::new(),
    };
    request.extensions_mut().insert(principal);
    request.extensions_mut().insert(note.clone());
    let task = tokio::spawn(
        async move {
            let response = match inner.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (response, code) = ended_with(in_contract_terms(response, limit)).await;
            call.status_code = code as i32;
            call.tenant_ids = note.tenants();
            gate.activity.record(call).await;
            response
        }
        .instrument(tracing::Span::current()),
    );
    match task.await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, path = %path, "a recorded call's task failed");
            Status::internal("the gateway failed while handling the call").into_http()
        }
    }
}

/// The status a response ends with: from its headers when the answer is trailers-only (every
/// error a handler returns), else from its trailers, for which the (unary, bounded) body is read
/// and handed on unchanged.
async fn ended_with(response: http::Response<Body>) -> (http::Response<Body>, tonic::Code) {
    use http_body_util::BodyExt as _;

    fn code_in(headers: &HeaderMap) -> Option<tonic::Code> {
        headers
            .get(Status::GRPC_STATUS)
            .map(|value| tonic::Code::from_bytes(value.as_bytes()))
    }

    if let Some(code) = code_in(response.headers()) {
        return (response, code);
    }
    let (parts, body) = response.into_parts();
    match body.collect().await {
        Ok(collected) => {
            let trailers = collected.trailers().cloned();
            let code = trailers
                .as_ref()
                .and_then(code_in)
                .unwrap_or(tonic::Code::Unknown);
            let body = http_body_util::Full::new(collected.to_bytes())
                .map_err(|never| match never {})
                .with_trailers(async move { trailers.map(Ok) });
            (http::Response::from_parts(parts, Body::new(body)), code)
        }
        Err(error) => {
            tracing::warn!(%error, "the response of a recorded call broke off");
            let status = Status::internal("the response broke off");
            (status.into_http(), tonic::Code::Internal)
        }
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
