//! Forwarding: the gateway serves every public backend service itself and passes each admitted
//! call to the role that owns it through a generated tonic client, with the caller's trace
//! context, deadline and principal; a backend that is down or not deployed answers UNAVAILABLE.

mod services;
mod upstreams;

use std::pin::Pin;

use futures::{Stream, StreamExt};
use posture_kit::ServiceError;
use posture_kit::ServiceRole;
use posture_kit::grpc::TracedChannel;
use posture_kit::ids::TenantId;
use posture_proto::v1;
use posture_proto::v1::drift_service_client::DriftServiceClient;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Request, Status};

pub(crate) use upstreams::not_running;
pub use upstreams::{BACKEND_ROLES, Upstreams};

use crate::activity::CallNote;
use crate::auth::{Principal, TenantScope, principal_of};
use crate::edge::{EdgeRequest, Touches};

/// Metadata naming the API key a forwarded call was made with.
pub const API_KEY_ID_HEADER: &str = "x-posture-api-key-id";
/// Incoming metadata passed on unchanged: trace context and the caller's deadline.
const PASSED_ON: [&str; 3] = ["traceparent", "tracestate", "grpc-timeout"];

/// A server stream relayed from a backend.
pub type ForwardedStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Serves the public backend services by forwarding; one instance implements all their traits.
#[derive(Debug, Clone)]
pub struct Forwarder {
    upstreams: Upstreams,
    max_message_bytes: usize,
}

/// An admitted call: who makes it and the channel of the role that answers it.
pub(crate) struct Admitted {
    pub principal: Principal,
    pub channel: TracedChannel,
    pub role: ServiceRole,
}

impl Forwarder {
    pub fn new(upstreams: Upstreams, max_message_bytes: usize) -> Self {
        Self {
            upstreams,
            max_message_bytes,
        }
    }

    pub(crate) fn upstreams(&self) -> &Upstreams {
        &self.upstreams
    }

    pub(crate) fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }

    /// Checks the request at the edge and against the caller's tenant scope, then finds the
    /// channel of `role`. Validation comes first, so a malformed request is INVALID_ARGUMENT
    /// whatever else is wrong.
    pub(crate) async fn admit<T: EdgeRequest>(
        &self,
        request: &Request<T>,
        role: ServiceRole,
    ) -> Result<Admitted, Status> {
        let principal = principal_of(request)?;
        let touches = request.get_ref().admit()?;
        match touches {
            Touches::Tenants(tenants) => {
                CallNote::add_to(request, tenants.iter().copied());
                for tenant in &tenants {
                    principal.require_tenant(tenant)?;
                }
            }
            Touches::Baseline { baseline_id, targets } => {
                CallNote::add_to(request, targets.iter().copied());
                for tenant in &targets {
                    principal.require_tenant(tenant)?;
                }
                let source = self
                    .require_baseline_in_scope(&principal, &baseline_id, request.metadata())
                    .await?;
                CallNote::add_to(request, source);
            }
            Touches::Fleet => {
                if principal.scope != TenantScope::AllTenants {
                    tracing::info!(api_key_id = %principal.api_key_id, "call refused: fleet configuration needs an all-tenants key");
                    return Err(ServiceError::PermissionDenied {
                        reason: format!(
                            "the API key `{}` is scoped to some tenants; notifications are managed with a key for all tenants",
                            principal.name
                        ),
                    }
                    .into());
                }
            }
        }
        let channel = self.upstreams.channel(role)?;
        Ok(Admitted {
            principal,
            channel,
            role,
        })
    }

    /// A baseline belongs to its source tenant; one outside the caller's scope is NOT_FOUND.
    /// Returns the source tenant.
    async fn require_baseline_in_scope(
        &self,
        principal: &Principal,
        baseline_id: &str,
        incoming: &MetadataMap,
    ) -> Result<Option<TenantId>, Status> {
        let role = ServiceRole::Assessment;
        let mut client = DriftServiceClient::new(self.upstreams.channel(role)?);
        let lookup = v1::GetBaselineRequest {
            baseline_id: baseline_id.to_owned(),
        };
        let response = client
            .get_baseline(outgoing(incoming, principal, lookup))
            .await
            .map_err(|status| service_status(role, "DriftService", status))?;
        let source = response
            .into_inner()
            .baseline
            .map(|baseline| baseline.source_tenant_id)
            .unwrap_or_default();
        if principal.scope.contains_str(&source) {
            Ok(source.parse().ok())
        } else {
            Err(ServiceError::not_found("baseline", baseline_id).into())
        }
    }
}

/// The request sent to a backend: the message, the metadata worth passing on, and who asks.
/// The caller's API key itself never leaves the gateway.
pub(crate) fn outgoing<T>(incoming: &MetadataMap, principal: &Principal, message: T) -> Request<T> {
    let mut request = Request::new(message);
    let metadata = request.metadata_mut();
    for key in PASSED_ON {
        if let Some(value) = incoming.get(key) {
            metadata.insert(key, value.clone());
        }
    }
    if let Ok(id) = MetadataValue::try_from(principal.api_key_id.to_string()) {
        metadata.insert(API_KEY_ID_HEADER, id);
    }
    posture_kit::grpc::set_principal(metadata, &principal.name);
    request
}

/// Public services the contract declares and no role serves yet, with what is missing. A role
/// that is running answers them UNIMPLEMENTED; the caller is told what is not built, not that
/// the role is down.
const NOT_BUILT: [(&str, &str); 1] = [("EvidenceService", "evidence bundles are not assembled yet")];

/// [`upstream_status`] for a call to `service`, which may not be built yet (see [`NOT_BUILT`]).
pub(crate) fn service_status(role: ServiceRole, service: &str, status: Status) -> Status {
    if status.code() == Code::Unimplemented
        && let Some((_, missing)) = NOT_BUILT.iter().find(|(name, _)| *name == service)
    {
        return Status::unimplemented(format!("posture.v1.{service} is not available: {missing}"));
    }
    upstream_status(role, status)
}

/// What a backend's failure means to the caller. Statuses the backend chose pass through; a
/// backend that could not be reached is UNAVAILABLE, and one that does not serve the service
/// (the role is not mounted on that server) is "not running".
pub(crate) fn upstream_status(role: ServiceRole, status: Status) -> Status {
    match status.code() {
        Code::Unimplemented => not_running(role),
        // A status built from a transport error carries it as its source; one sent by the
        // backend does not. The transport error's text (addresses, OS errors) is not for callers.
        Code::Unavailable | Code::Unknown | Code::Internal
            if std::error::Error::source(&status).is_some() =>
        {
            tracing::warn!(%role, error = %status, "backend unreachable");
            Status::unavailable(format!(
                "the {role} role is not reachable right now; retry with backoff"
            ))
        }
        _ => status,
    }
}

/// Relays a backend stream, mapping its errors like unary ones.
pub(crate) fn relay<T: Send + 'static>(role: ServiceRole, stream: tonic::Streaming<T>) -> ForwardedStream<T> {
    Box::pin(stream.map(move |item| item.map_err(|status| upstream_status(role, status))))
}
