//! The tokens role's errors and their one mapping to gRPC status. Messages name the tenant, the
//! API and Microsoft's code; they never carry a token, a secret or a response body.

use posture_graph::{GraphError, Resource};
use posture_kit::ServiceError;
use posture_kit::ids::{InvalidId, TenantId};

use crate::coordinator::CoordinatorError;

#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    /// A tenant id (or another id) in a request or event that is not a GUID.
    #[error(transparent)]
    InvalidId(#[from] InvalidId),
    #[error("tenant {tenant} is not connected")]
    NotConnected { tenant: TenantId },
    #[error("the credentials vault refused the request for tenant {tenant}: {reason}")]
    VaultRefused { tenant: TenantId, reason: String },
    /// The vault holds the tenant's credential but cannot hand it out (it no longer decrypts):
    /// retrying does not help, saving the credential again does. `reason` is the vault's.
    #[error("the stored credential of tenant {tenant} cannot be used: {reason}")]
    StoredCredentialUnusable { tenant: TenantId, reason: String },
    #[error("the credentials vault is unavailable: {reason}")]
    VaultUnavailable { reason: String },
    #[error("the vault returned an unusable connection for tenant {tenant}: {reason}")]
    UnusableConnection { tenant: TenantId, reason: String },
    /// Microsoft refused the credential (AADSTS error) or the configuration cannot work.
    #[error("no {} token for tenant {tenant}: {source}", .resource.as_str())]
    Refused {
        tenant: TenantId,
        resource: Resource,
        #[source]
        source: Box<GraphError>,
    },
    /// The token endpoint could not be reached or kept failing.
    #[error("token endpoint unavailable for tenant {tenant} ({}): {source}", .resource.as_str())]
    TokenEndpointUnavailable {
        tenant: TenantId,
        resource: Resource,
        #[source]
        source: Box<GraphError>,
    },
    #[error("token cache coordination failed: {0}")]
    Coordination(#[from] CoordinatorError),
    #[error("gave up waiting for another replica's {} token for tenant {tenant}", .resource.as_str())]
    WaitTimedOut { tenant: TenantId, resource: Resource },
    #[error("bus error: {0}")]
    Bus(#[from] posture_bus::BusError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("token refresh task failed: {0}")]
    RefreshTask(String),
}

impl TokensError {
    /// Classifies a token request failure: credential or configuration refusals are the caller's
    /// to fix; everything else is worth retrying.
    pub(crate) fn from_acquire(tenant: TenantId, resource: Resource, source: GraphError) -> TokensError {
        match source {
            GraphError::Authentication { .. } | GraphError::Config { .. } => TokensError::Refused {
                tenant,
                resource,
                source: Box::new(source),
            },
            other => TokensError::TokenEndpointUnavailable {
                tenant,
                resource,
                source: Box::new(other),
            },
        }
    }
}

/// The one mapping of the role's errors to the platform's service errors (and so to gRPC codes).
impl From<&TokensError> for ServiceError {
    fn from(error: &TokensError) -> Self {
        match error {
            TokensError::InvalidArgument { field, reason } => ServiceError::invalid(*field, reason.clone()),
            TokensError::InvalidId(invalid) => ServiceError::from(invalid.clone()),
            TokensError::NotConnected { .. }
            | TokensError::Refused { .. }
            | TokensError::StoredCredentialUnusable { .. }
            | TokensError::UnusableConnection { .. } => ServiceError::FailedPrecondition {
                reason: error.to_string(),
            },
            TokensError::VaultRefused { .. } => ServiceError::PermissionDenied {
                reason: error.to_string(),
            },
            TokensError::VaultUnavailable { .. }
            | TokensError::TokenEndpointUnavailable { .. }
            | TokensError::Coordination(_)
            | TokensError::WaitTimedOut { .. } => ServiceError::Unavailable {
                what: error.to_string(),
            },
            TokensError::Bus(_) | TokensError::Config(_) | TokensError::RefreshTask(_) => {
                ServiceError::internal("serving tokens", error.to_string())
            }
        }
    }
}

impl From<&TokensError> for tonic::Status {
    fn from(error: &TokensError) -> Self {
        ServiceError::from(error).into()
    }
}

impl From<TokensError> for tonic::Status {
    fn from(error: TokensError) -> Self {
        ServiceError::from(&error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn tenant() -> TenantId {
        "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("a GUID")
    }

    fn refused() -> GraphError {
        GraphError::Authentication {
            tenant: "t1".into(),
            aadsts: Some(7000215),
            error: "invalid_client".into(),
            meaning: "invalid client secret".into(),
        }
    }

    #[test]
    fn each_failure_maps_to_the_code_its_caller_can_act_on() {
        let transient = GraphError::Transient {
            endpoint: "token endpoint of tenant t1".into(),
            reason: "HTTP 503".into(),
            attempts: 4,
            ids: Default::default(),
        };
        let cases = [
            (
                TokensError::InvalidArgument {
                    field: "tenant_id",
                    reason: "bad".into(),
                },
                Code::InvalidArgument,
            ),
            (
                TokensError::from(
                    "contoso.onmicrosoft.com"
                        .parse::<TenantId>()
                        .expect_err("not a GUID"),
                ),
                Code::InvalidArgument,
            ),
            (
                TokensError::NotConnected { tenant: tenant() },
                Code::FailedPrecondition,
            ),
            (
                TokensError::from_acquire(tenant(), Resource::Graph, refused()),
                Code::FailedPrecondition,
            ),
            (
                TokensError::from_acquire(tenant(), Resource::Graph, transient),
                Code::Unavailable,
            ),
            (
                TokensError::VaultRefused {
                    tenant: tenant(),
                    reason: "caller".into(),
                },
                Code::PermissionDenied,
            ),
            (
                TokensError::VaultUnavailable {
                    reason: "down".into(),
                },
                Code::Unavailable,
            ),
            (
                TokensError::StoredCredentialUnusable {
                    tenant: tenant(),
                    reason: "cannot be decrypted".into(),
                },
                Code::FailedPrecondition,
            ),
            (TokensError::RefreshTask("panicked".into()), Code::Internal),
        ];
        for (error, code) in cases {
            assert_eq!(tonic::Status::from(&error).code(), code, "{error}");
        }
    }

    #[test]
    fn a_refusal_tells_the_caller_the_aadsts_code_and_its_meaning() {
        let status = tonic::Status::from(TokensError::from_acquire(tenant(), Resource::Graph, refused()));
        assert!(status.message().contains("AADSTS7000215"), "{}", status.message());
        assert!(status.message().contains("invalid client secret"));
    }
}
