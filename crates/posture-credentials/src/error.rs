//! The credentials role's errors and their one mapping to [`ServiceError`] (and so to gRPC codes).
//! Messages name tenants, fields and key ids, never secret material.

use posture_kit::ServiceError;

use crate::envelope::EnvelopeError;
use crate::keyring::KeyringError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("tenant `{tenant_id}` has no connection")]
    NotFound { tenant_id: String },
    #[error("tenant `{tenant_id}` is already connected; use UpdateCredentials to replace its credential")]
    AlreadyConnected { tenant_id: String },
    #[error("permission denied: {reason}")]
    PermissionDenied { reason: String },
    #[error("{what} is unavailable: {reason}")]
    Unavailable { what: String, reason: String },
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

    pub fn not_found(tenant_id: impl Into<String>) -> Self {
        Self::NotFound {
            tenant_id: tenant_id.into(),
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
                id: tenant_id,
            },
            CredentialsError::AlreadyConnected { tenant_id } => ServiceError::AlreadyExists {
                what: "connection for tenant",
                id: tenant_id,
            },
            CredentialsError::PermissionDenied { reason } => ServiceError::PermissionDenied { reason },
            CredentialsError::Unavailable { what, reason } => ServiceError::Unavailable {
                what: format!("{what} ({reason})"),
            },
            // A sealed secret that does not open, or a key missing from the keyring, is a state
            // an operator fixes (restore the key, or save the credential again), not a bug.
            CredentialsError::Envelope(
                error @ (EnvelopeError::Tampered { .. }
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
        match error {
            // The kit's messages have no room for the hint on what to do instead.
            CredentialsError::AlreadyConnected { .. } => tonic::Status::already_exists(error.to_string()),
            CredentialsError::Unavailable { .. } => tonic::Status::unavailable(error.to_string()),
            other => ServiceError::from(other).into(),
        }
    }
}
