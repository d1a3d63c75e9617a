//! The scheduler's errors, and their one mapping to gRPC status (through `ServiceError`).

use posture_kit::ServiceError;
use posture_kit::ids::TenantId;

use crate::lease::LeaseError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("tenant `{tenant_id}` has no schedule (not connected)")]
    UnknownTenant { tenant_id: TenantId },
    #[error("invalid scheduler configuration `{key}`: {reason}")]
    Config { key: &'static str, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error("bus error while {context}: {source}")]
    Bus {
        context: &'static str,
        source: posture_bus::BusError,
    },
}

impl SchedulerError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<ServiceError> for SchedulerError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidArgument { field, reason } => Self::InvalidArgument { field, reason },
            other => Self::InvalidArgument {
                field: "request".to_owned(),
                reason: other.to_string(),
            },
        }
    }
}

impl From<SchedulerError> for ServiceError {
    fn from(error: SchedulerError) -> Self {
        match error {
            SchedulerError::InvalidArgument { field, reason } => {
                ServiceError::InvalidArgument { field, reason }
            }
            SchedulerError::UnknownTenant { tenant_id } => {
                ServiceError::not_found("tenant schedule", tenant_id)
            }
            SchedulerError::Store(StoreError::Unavailable { .. }) => ServiceError::Unavailable {
                what: "scheduler database".to_owned(),
            },
            SchedulerError::Lease(_) => ServiceError::Unavailable {
                what: "scheduler lease".to_owned(),
            },
            SchedulerError::Bus { .. } => ServiceError::Unavailable {
                what: "bus".to_owned(),
            },
            other @ (SchedulerError::Store(_) | SchedulerError::Config { .. }) => {
                ServiceError::internal("serving a schedule request", other)
            }
        }
    }
}

impl From<SchedulerError> for tonic::Status {
    fn from(error: SchedulerError) -> Self {
        ServiceError::from(error).into()
    }
}
