//! The role's error type and its one mapping to gRPC, through the kit's `ServiceError`. A second
//! StartSync while a run is active is ALREADY_EXISTS with a `google.rpc.ErrorInfo` (reason
//! `SYNC_RUN_ACTIVE`, metadata `run_id`) in the status details, as the contract promises.

use posture_kit::ServiceError;
use posture_kit::error::error_info;
use posture_kit::ids::{InvalidId, RunId, TenantId};
use tonic::Status;

use crate::store::StoreError;

/// `ErrorInfo.reason` of a StartSync refused because the tenant has an active run.
pub const SYNC_RUN_ACTIVE: &str = "SYNC_RUN_ACTIVE";
/// `ErrorInfo.domain` of the sync role's errors.
const ERROR_DOMAIN: &str = "posture.sync";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    /// Display text of the ids (clients build it too); `run_id` is empty when the active run
    /// finished between the refusal and the lookup.
    #[error("tenant {tenant} already has an active sync run {run_id}")]
    RunActive { tenant: String, run_id: String },
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0} is unavailable")]
    Unavailable(String),
    /// An error the kit already classified (a page token of another listing, a bad timestamp).
    #[error(transparent)]
    Service(ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the bus failed: {0}")]
    Bus(#[from] posture_bus::BusError),
    #[error("subject: {0}")]
    Subject(#[from] posture_bus::SubjectError),
    #[error("cannot migrate the sync schema: {0}")]
    Migrate(#[from] posture_kit::db::DbError),
    #[error("configuration: {0}")]
    Config(String),
}

impl SyncError {
    /// The tenant already has a run (`active`, if it still does).
    pub fn run_active(tenant: TenantId, active: Option<RunId>) -> Self {
        SyncError::RunActive {
            tenant: tenant.to_string(),
            run_id: active.map(|run| run.to_string()).unwrap_or_default(),
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        SyncError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<ServiceError> for SyncError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::InvalidArgument { field, reason } => SyncError::Invalid { field, reason },
            other => SyncError::Service(other),
        }
    }
}

impl From<InvalidId> for SyncError {
    fn from(e: InvalidId) -> Self {
        ServiceError::from(e).into()
    }
}

/// Reads the `run_id` of a SYNC_RUN_ACTIVE status (what a client does with the details).
pub fn active_run_of(status: &Status) -> Option<String> {
    error_info(status)
        .filter(|info| info.reason == SYNC_RUN_ACTIVE)
        .and_then(|info| info.metadata.get("run_id").cloned())
}

impl From<SyncError> for ServiceError {
    fn from(error: SyncError) -> ServiceError {
        match error {
            SyncError::RunActive { tenant, run_id } => ServiceError::AlreadyExists {
                what: "active sync run",
                id: run_id.clone(),
            }
            .with_hint(format!(
                "tenant {tenant} syncs one run at a time; watch that run or cancel it first"
            ))
            .with_info(SYNC_RUN_ACTIVE, ERROR_DOMAIN, [("run_id", run_id)]),
            SyncError::Invalid { field, reason } => ServiceError::InvalidArgument { field, reason },
            SyncError::NotFound { what, id } => ServiceError::not_found(what, id),
            SyncError::FailedPrecondition(reason) => ServiceError::FailedPrecondition { reason },
            SyncError::Unavailable(what) => ServiceError::Unavailable { what },
            SyncError::Service(service) => service,
            SyncError::Store(StoreError::Unavailable { .. }) => ServiceError::Unavailable {
                what: "the sync database".into(),
            },
            other => ServiceError::internal("serving a sync call", other.to_string()),
        }
    }
}

impl From<SyncError> for Status {
    fn from(error: SyncError) -> Status {
        ServiceError::from(error).into()
    }
}
