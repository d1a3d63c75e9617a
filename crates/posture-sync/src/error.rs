//! The role's error type and its one mapping to gRPC status codes. A second StartSync while a
//! run is active is ALREADY_EXISTS with a `google.rpc.ErrorInfo` (reason `SYNC_RUN_ACTIVE`,
//! metadata `run_id`) in the status details, as the contract promises.

use std::collections::HashMap;

use posture_kit::ServiceError;
use prost::Message;
use tonic::{Code, Status};

use crate::store::StoreError;

pub const SYNC_RUN_ACTIVE: &str = "SYNC_RUN_ACTIVE";
const ERROR_DOMAIN: &str = "posture.sync";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("tenant {tenant} already has an active sync run {run_id}")]
    RunActive { tenant: String, run_id: String },
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0} is unavailable")]
    Unavailable(String),
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
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        SyncError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

impl From<ServiceError> for SyncError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::InvalidArgument { reason, field } => SyncError::Invalid {
                field: leak_field(&field),
                reason,
            },
            other => SyncError::Unavailable(other.to_string()),
        }
    }
}

/// Field names come from a fixed set in this crate; keeps `Invalid` cheap and `'static`.
fn leak_field(field: &str) -> &'static str {
    match field {
        "tenant_id" => "tenant_id",
        "run_id" => "run_id",
        "page_token" => "page_token",
        "object_id" => "object_id",
        "entity_kind" => "entity_kind",
        _ => "request",
    }
}

#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

#[derive(Clone, PartialEq, Message)]
struct ErrorInfo {
    #[prost(string, tag = "1")]
    reason: String,
    #[prost(string, tag = "2")]
    domain: String,
    #[prost(map = "string, string", tag = "3")]
    metadata: HashMap<String, String>,
}

fn run_active(tenant: &str, run_id: &str) -> Status {
    let message = format!("tenant {tenant} already has an active sync run {run_id}");
    let info = ErrorInfo {
        reason: SYNC_RUN_ACTIVE.to_owned(),
        domain: ERROR_DOMAIN.to_owned(),
        metadata: HashMap::from([("run_id".to_owned(), run_id.to_owned())]),
    };
    let status = RpcStatus {
        code: Code::AlreadyExists as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".to_owned(),
            value: info.encode_to_vec(),
        }],
    };
    Status::with_details(Code::AlreadyExists, message, status.encode_to_vec().into())
}

/// Reads the `run_id` of a SYNC_RUN_ACTIVE status (what a client does with the details).
pub fn active_run_of(status: &Status) -> Option<String> {
    let decoded = RpcStatus::decode(status.details()).ok()?;
    decoded
        .details
        .iter()
        .filter(|d| d.type_url.ends_with("google.rpc.ErrorInfo"))
        .filter_map(|d| ErrorInfo::decode(d.value.as_slice()).ok())
        .find(|i| i.reason == SYNC_RUN_ACTIVE)
        .and_then(|i| i.metadata.get("run_id").cloned())
}

impl From<SyncError> for Status {
    fn from(error: SyncError) -> Status {
        let service = match error {
            SyncError::RunActive { tenant, run_id } => return run_active(&tenant, &run_id),
            SyncError::Invalid { field, reason } => ServiceError::invalid(field, reason),
            SyncError::NotFound { what, id } => ServiceError::not_found(what, id),
            SyncError::FailedPrecondition(reason) => ServiceError::FailedPrecondition { reason },
            SyncError::Unavailable(what) => ServiceError::Unavailable { what },
            SyncError::Store(StoreError::Unavailable { .. }) => ServiceError::Unavailable {
                what: "the sync database".into(),
            },
            other => ServiceError::internal("serving a sync call", other.to_string()),
        };
        service.into()
    }
}
