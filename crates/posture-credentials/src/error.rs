//! The credentials role's errors and their one mapping to [`ServiceError`] (and so to gRPC codes).
//! Messages name tenants, fields and key ids, never secret material.

use posture_kit::ServiceError;
use posture_kit::ids::TenantId;

use crate::envelope::EnvelopeError;
use crate::keyring::KeyringError;
use crate::store::StoreError;

/// What a caller creating a connection for a connected tenant should do instead.
const ALREADY_CONNECTED_HINT: &str = "use UpdateCredentials to replace its credential";

/// What an operator does about a stored secret that no longer decrypts.
pub const UNREADABLE_SECRET_HINT: &str = "replace the credential with UpdateCredentials";

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("tenant `{tenant_id}` has no connection")]
    NotFound { tenant_id: TenantId },
    #[error("tenant `{tenant_id}` is already connected; {ALREADY_CONNECTED_HINT}")]
    AlreadyConnected { tenant_id: TenantId },
    #[error("permission denied: {reason}")]
    PermissionDenied { reason: String },
    #[error("unauthenticated: {reason}")]
    Unauthenticated { reason: String },
    #[error("{what} is unavailable: {reason}")]
    Unavailable { what: String, reason: String },
    /// The stored secret exists but does not decrypt (altered row, retired key): no retry helps,
    /// the credential has to be saved again. `cause` names ids and key ids, never key material.
    #[error("the stored {kind} of tenant {tenant_id} cannot be decrypted: {cause}")]
    SecretUnreadable {
        tenant_id: TenantId,
        kind: &'static str,
        cause: String,
    },
    /// The token broker refused to test for a reason retrying does not fix; its words are kept.
    #[error("{reason}")]
    TestRefused { reason: String },
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot migrate the credentials schema: {0}")]
    Migrate(#[from] posture_kit::db::DbError),
    /// A request check done by the kit's shared validators (page size, page token).
    #[error(transparent)]
    Request(#[from] ServiceError),
}

impl CredentialsError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(tenant_id: &TenantId) -> Self {
        Self::NotFound {
            tenant_id: *tenant_id,
        }
    }
}

impl From<CredentialsError> for ServiceError {
    fn from(error: CredentialsError) -> Self {
        match error {
            CredentialsError::InvalidArgument { field, reason } => {
                ServiceError::InvalidArgument { field, reason }
            }
            CredentialsError::NotFound { tenant_id } => ServiceError::NotFound {
                what: "connection for tenant",
                id: tenant_id.to_string(),
            },
            CredentialsError::AlreadyConnected { tenant_id } => ServiceError::AlreadyExists {
                what: "connection for tenant",
                id: tenant_id.to_string(),
            }
            .with_hint(ALREADY_CONNECTED_HINT),
            CredentialsError::PermissionDenied { reason } => ServiceError::PermissionDenied { reason },
            CredentialsError::Unauthenticated { reason } => ServiceError::Unauthenticated { reason },
            error @ CredentialsError::SecretUnreadable { .. } => ServiceError::FailedPrecondition {
                reason: error.to_string(),
            }
            .with_hint(UNREADABLE_SECRET_HINT),
            CredentialsError::TestRefused { reason } => ServiceError::FailedPrecondition { reason },
            CredentialsError::Unavailable { what, reason } => {
                ServiceError::Unavailable { what }.with_hint(reason)
            }
            // A sealed secret that does not open, or a key missing from the keyring, is a state
            // an operator fixes (restore the key, or save the credential again), not a bug.
            CredentialsError::Envelope(
                error @ (EnvelopeError::Tampered { .. }
                | EnvelopeError::TamperedWebhook { .. }
                | EnvelopeError::UnknownFormat(_)
                | EnvelopeError::Keyring(KeyringError::UnknownKey(_))),
            ) => ServiceError::FailedPrecondition {
                reason: format!("{error}; save the credential again with UpdateCredentials"),
            },
            CredentialsError::Envelope(error) => ServiceError::internal("sealing a secret", error),
            CredentialsError::Store(StoreError::AlreadyExists { id, .. }) => ServiceError::AlreadyExists {
                what: "connection for tenant",
                id,
            },
            CredentialsError::Store(StoreError::Unavailable { source }) => {
                tracing::warn!(error = %source, "credentials store unavailable");
                ServiceError::Unavailable {
                    what: "credentials store".to_owned(),
                }
            }
            CredentialsError::Store(error) => ServiceError::internal("using the credentials store", error),
            CredentialsError::Migrate(error) => ServiceError::internal("migrating", error),
            CredentialsError::Request(error) => error,
        }
    }
}

impl From<CredentialsError> for tonic::Status {
    fn from(error: CredentialsError) -> Self {
        ServiceError::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::{Code, Status};

    #[test]
    fn an_existing_connection_is_already_exists_with_what_to_do_instead() {
        let status = Status::from(CredentialsError::AlreadyConnected {
            tenant_id: "6f1c8a1e-0000-4000-8000-00000000000a".parse().expect("tenant id"),
        });
        assert_eq!(status.code(), Code::AlreadyExists);
        assert_eq!(
            status.message(),
            "connection for tenant `6f1c8a1e-0000-4000-8000-00000000000a` already exists; \
             use UpdateCredentials to replace its credential"
        );
    }

    #[test]
    fn an_unavailable_dependency_says_why() {
        let status = Status::from(CredentialsError::Unavailable {
            what: "token broker".to_owned(),
            reason: "no token broker is configured".to_owned(),
        });
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status.message(),
            "token broker unavailable; no token broker is configured"
        );
    }
}
