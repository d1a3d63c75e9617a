//! The one place where domain errors become `tonic::Status`. Services return [`ServiceError`];
//! internal failures reach clients only as a generic message with a correlation id that is logged.
//! An error may carry a hint (what to do instead) and a machine-readable `google.rpc.ErrorInfo`
//! in the status details, built with `tonic-types` so any gRPC client can read them.

use std::error::Error as StdError;
use std::time::Duration;

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use uuid::Uuid;

/// Boxed source of an internal failure; logged with its correlation id, never sent to a client.
pub type InternalSource = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} `{id}` already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("permission denied: {reason}")]
    PermissionDenied { reason: String },
    #[error("unauthenticated: {reason}")]
    Unauthenticated { reason: String },
    #[error("failed precondition: {reason}")]
    FailedPrecondition { reason: String },
    #[error("resource exhausted: {reason}")]
    ResourceExhausted {
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("{what} unavailable")]
    Unavailable { what: String },
    #[error("internal error while {context}")]
    Internal {
        context: String,
        #[source]
        source: InternalSource,
    },
    /// Another error with what the caller can do about it; see [`ServiceError::with_hint`] and
    /// [`ServiceError::with_info`].
    #[error("{}", .0)]
    Detailed(Box<Detailed>),
}

/// A [`ServiceError`] with a hint appended to its message and an optional `ErrorInfo`.
#[derive(Debug)]
pub struct Detailed {
    pub error: ServiceError,
    pub hint: Option<String>,
    pub info: Option<ErrorInfo>,
}

impl std::fmt::Display for Detailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.hint {
            Some(hint) => write!(f, "{}; {hint}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

/// `google.rpc.ErrorInfo`: a stable reason, its domain, and facts a client acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub reason: String,
    pub domain: String,
    pub metadata: HashMap<String, String>,
}

/// The `ErrorInfo` in a status's details, if the server sent one (what a client reads).
pub fn error_info(status: &Status) -> Option<ErrorInfo> {
    status.get_details_error_info().map(|info| ErrorInfo {
        reason: info.reason,
        domain: info.domain,
        metadata: info.metadata.into_iter().collect(),
    })
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// Wraps an unexpected failure; `context` says what was being done ("loading connection").
    pub fn internal(context: impl Into<String>, source: impl Into<InternalSource>) -> Self {
        Self::Internal {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Appends what the caller should do instead ("remove it first or update it") to the message.
    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        let mut detailed = self.into_detailed();
        detailed.hint = Some(hint.into());
        Self::Detailed(detailed)
    }

    /// Adds a `google.rpc.ErrorInfo` with `reason` in `domain` to the status details.
    pub fn with_info<K, V>(
        self,
        reason: impl Into<String>,
        domain: impl Into<String>,
        metadata: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut detailed = self.into_detailed();
        detailed.info = Some(ErrorInfo {
            reason: reason.into(),
            domain: domain.into(),
            metadata: metadata.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        });
        Self::Detailed(detailed)
    }

    fn into_detailed(self) -> Box<Detailed> {
        match self {
            Self::Detailed(detailed) => detailed,
            error => Box::new(Detailed {
                error,
                hint: None,
                info: None,
            }),
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Detailed(detailed) => detailed.error.code(),
            Self::InvalidArgument { .. } => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::PermissionDenied { .. } => Code::PermissionDenied,
            Self::Unauthenticated { .. } => Code::Unauthenticated,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::ResourceExhausted { .. } => Code::ResourceExhausted,
            Self::Unavailable { .. } => Code::Unavailable,
            Self::Internal { .. } => Code::Internal,
        }
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Internal { context, source } => {
                let correlation_id = Uuid::new_v4();
                tracing::error!(%correlation_id, context = %context, error = %source, "internal error");
                Status::internal(format!("internal error (correlation id {correlation_id})"))
            }
            ServiceError::ResourceExhausted {
                ref reason,
                retry_after: Some(after),
            } => {
                let mut status = Status::resource_exhausted(format!("resource exhausted: {reason}"));
                if let Ok(value) = after.as_secs().max(1).to_string().parse() {
                    status.metadata_mut().insert("retry-after", value);
                }
                status
            }
            ServiceError::Detailed(detailed) => match *detailed {
                // An internal cause stays hidden whatever was attached to it.
                Detailed {
                    error: error @ ServiceError::Internal { .. },
                    ..
                } => error.into(),
                Detailed { error, hint, info } => {
                    let code = error.code();
                    let message = match &hint {
                        Some(hint) => format!("{error}; {hint}"),
                        None => error.to_string(),
                    };
                    let mut status = match info {
                        Some(info) => {
                            let details =
                                ErrorDetails::with_error_info(info.reason, info.domain, info.metadata);
                            Status::with_error_details(code, message, details)
                        }
                        None => Status::new(code, message),
                    };
                    // A retry-after of the wrapped error survives the wrapping.
                    if let ServiceError::ResourceExhausted {
                        retry_after: Some(after),
                        ..
                    } = error
                        && let Ok(value) = after.as_secs().max(1).to_string().parse()
                    {
                        status.metadata_mut().insert("retry-after", value);
                    }
                    status
                }
            },
            other => Status::new(other.code(), other.to_string()),
        }
    }
}

/// Upper bound of ids and names in request fields unless a field says otherwise.
pub const DEFAULT_MAX_FIELD_LEN: usize = 256;

/// Parses a UUID request field (`tenant_id`, `run_id`, ...).
pub fn require_uuid(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    let value = require_non_empty(field, value)?;
    require_max_len(field, value, 64)?;
    Uuid::parse_str(value).map_err(|_| {
        ServiceError::invalid(
            field,
            "must be a UUID such as 00000000-0000-0000-0000-000000000000",
        )
    })
}

/// Rejects an empty or whitespace-only field; returns it trimmed.
pub fn require_non_empty<'a>(field: &str, value: &'a str) -> Result<&'a str, ServiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    Ok(trimmed)
}

/// Rejects a field longer than `max` characters.
pub fn require_max_len<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str, ServiceError> {
    let len = value.chars().count();
    if len > max {
        return Err(ServiceError::invalid(
            field,
            format!("must be at most {max} characters (got {len})"),
        ));
    }
    Ok(value)
}

/// Resolves a requested page size: 0 means `default`, sizes above `max` are clamped to `max`
/// (AIP-158), negative sizes are rejected.
pub fn page_size(requested: i32, default: u32, max: u32) -> Result<u32, ServiceError> {
    match requested {
        n if n < 0 => Err(ServiceError::invalid("page_size", "must not be negative")),
        0 => Ok(default.min(max)),
        n => Ok(u32::try_from(n).unwrap_or(max).min(max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_domain_error_maps_to_its_grpc_code() {
        let cases = [
            (ServiceError::invalid("tenant_id", "bad"), Code::InvalidArgument),
            (ServiceError::not_found("tenant", "t1"), Code::NotFound),
            (
                ServiceError::AlreadyExists {
                    what: "connection",
                    id: "c1".into(),
                },
                Code::AlreadyExists,
            ),
            (
                ServiceError::PermissionDenied {
                    reason: "viewer".into(),
                },
                Code::PermissionDenied,
            ),
            (
                ServiceError::Unauthenticated {
                    reason: "no key".into(),
                },
                Code::Unauthenticated,
            ),
            (
                ServiceError::FailedPrecondition {
                    reason: "not connected".into(),
                },
                Code::FailedPrecondition,
            ),
            (
                ServiceError::ResourceExhausted {
                    reason: "quota".into(),
                    retry_after: None,
                },
                Code::ResourceExhausted,
            ),
            (
                ServiceError::Unavailable { what: "vault".into() },
                Code::Unavailable,
            ),
            (
                ServiceError::internal("loading", std::io::Error::other("disk")),
                Code::Internal,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(Status::from(error).code(), code);
        }
    }

    #[test]
    fn client_facing_messages_say_what_to_fix() {
        let status = Status::from(ServiceError::invalid(
            "page_token",
            "is not a token this server issued",
        ));
        assert_eq!(
            status.message(),
            "invalid page_token: is not a token this server issued"
        );
        let status = Status::from(ServiceError::not_found("connection", "c-42"));
        assert_eq!(status.message(), "connection `c-42` not found");
    }

    #[test]
    fn internal_errors_hide_their_cause_behind_a_correlation_id() {
        let source = std::io::Error::other("password=hunter2 rejected by db-7.internal");
        let status = Status::from(ServiceError::internal("saving secret", source));
        assert!(!status.message().contains("hunter2"));
        assert!(!status.message().contains("db-7"));
        assert!(!status.message().contains("saving secret"));
        let id = status
            .message()
            .trim_start_matches("internal error (correlation id ")
            .trim_end_matches(')');
        assert!(Uuid::parse_str(id).is_ok(), "{}", status.message());
    }

    #[test]
    fn a_hint_follows_the_message_and_keeps_the_code() {
        let status = Status::from(
            ServiceError::AlreadyExists {
                what: "connection for tenant",
                id: "t1".into(),
            }
            .with_hint("update it, or delete it first"),
        );
        assert_eq!(status.code(), Code::AlreadyExists);
        assert_eq!(
            status.message(),
            "connection for tenant `t1` already exists; update it, or delete it first"
        );
    }

    #[test]
    fn error_info_travels_in_the_status_details() {
        let status = Status::from(
            ServiceError::AlreadyExists {
                what: "sync run",
                id: "r1".into(),
            }
            .with_info("SYNC_RUN_ACTIVE", "posture.sync", [("run_id", "r1")]),
        );
        // Through the wire format, as a client sees it.
        let status = Status::with_details(status.code(), status.message(), status.details().to_vec().into());
        let info = error_info(&status).expect("error info");
        assert_eq!(info.reason, "SYNC_RUN_ACTIVE");
        assert_eq!(info.domain, "posture.sync");
        assert_eq!(info.metadata.get("run_id").map(String::as_str), Some("r1"));
        assert_eq!(error_info(&Status::not_found("x")), None);
    }

    #[test]
    fn a_detailed_internal_error_still_hides_its_cause() {
        let source = std::io::Error::other("password=hunter2");
        let status = Status::from(ServiceError::internal("saving", source).with_hint("try later"));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
        assert!(!status.message().contains("try later"));
    }

    #[test]
    fn throttling_carries_retry_after_metadata() {
        let error = ServiceError::ResourceExhausted {
            reason: "too many syncs".into(),
            retry_after: Some(Duration::from_secs(30)),
        };
        let status = Status::from(error);
        assert_eq!(
            status.metadata().get("retry-after").and_then(|v| v.to_str().ok()),
            Some("30")
        );
    }

    #[test]
    fn field_validators_reject_bad_input_with_the_field_name() {
        assert!(require_uuid("tenant_id", "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11").is_ok());
        let err = require_uuid("tenant_id", "not-a-guid").expect_err("bad uuid");
        assert!(err.to_string().starts_with("invalid tenant_id"));
        assert!(matches!(
            require_non_empty("name", "  "),
            Err(ServiceError::InvalidArgument { .. })
        ));
        assert_eq!(require_non_empty("name", " x ").ok(), Some("x"));
        assert!(require_max_len("name", &"a".repeat(257), DEFAULT_MAX_FIELD_LEN).is_err());
        assert!(require_max_len("name", &"é".repeat(256), DEFAULT_MAX_FIELD_LEN).is_ok());
    }

    #[test]
    fn page_size_defaults_clamps_and_rejects_negative() {
        assert_eq!(page_size(0, 50, 500).ok(), Some(50));
        assert_eq!(page_size(20, 50, 500).ok(), Some(20));
        assert_eq!(page_size(10_000, 50, 500).ok(), Some(500));
        assert!(page_size(-1, 50, 500).is_err());
    }
}
