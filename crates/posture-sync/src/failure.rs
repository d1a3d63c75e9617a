//! What a failed job means: the reason operators see (error class, Microsoft's code, missing
//! permissions, endpoint) and what happens next: the entity fails, is skipped, or the job is
//! retried later with backoff.

use posture_graph::GraphError;

use crate::connection::ConnectionError;
use crate::state::FailureClass;
use crate::store::{ErrorRecord, StoreError};

/// What to do with the entity after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Terminal: the entity FAILED.
    Fail,
    /// Terminal: the entity was SKIPPED (missing licence, cancelled run).
    Skip,
    /// Try again later (NAK with backoff); FAILED on the last delivery.
    Retry,
    /// A later delivery of the job took over: stop without settling the entity.
    Superseded,
}

/// A classified failure of one job.
#[derive(Debug, Clone)]
pub struct JobFailure {
    pub disposition: Disposition,
    pub reason: ErrorRecord,
}

impl JobFailure {
    pub fn new(disposition: Disposition, class: FailureClass, message: impl Into<String>) -> Self {
        Self {
            disposition,
            reason: ErrorRecord::new(class, message),
        }
    }

    pub fn cancelled() -> Self {
        Self::new(
            Disposition::Skip,
            FailureClass::Cancelled,
            "the run was cancelled",
        )
    }
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason.message)
    }
}

impl From<GraphError> for JobFailure {
    fn from(error: GraphError) -> Self {
        let message = error.to_string();
        let (disposition, class, code, permissions, endpoint, http) = match &error {
            GraphError::Permission {
                endpoint,
                needs,
                code,
                ..
            } => (
                Disposition::Fail,
                FailureClass::Permission,
                code.clone(),
                needs.clone(),
                endpoint.clone(),
                403,
            ),
            // Exchange Online's refusal of an app without a role: the role is what is missing.
            GraphError::RoleMissing {
                endpoint, role, code, ..
            } => (
                Disposition::Fail,
                FailureClass::Permission,
                code.clone(),
                vec![role.clone()],
                endpoint.clone(),
                401,
            ),
            // Without Defender for Endpoint the token endpoint refuses the resource (400,
            // AADSTS500011) before the API is called; the APIs answer a missing licence with 403.
            GraphError::LicenceMissing { endpoint, code, .. } => (
                Disposition::Skip,
                FailureClass::License,
                code.clone(),
                Vec::new(),
                endpoint.clone(),
                if code.starts_with("AADSTS") { 400 } else { 403 },
            ),
            GraphError::Throttled { endpoint, .. } => (
                Disposition::Retry,
                FailureClass::Throttled,
                "TooManyRequests".to_owned(),
                Vec::new(),
                endpoint.clone(),
                429,
            ),
            GraphError::Transient { endpoint, .. } => (
                Disposition::Retry,
                FailureClass::Transient,
                String::new(),
                Vec::new(),
                endpoint.clone(),
                0,
            ),
            GraphError::NotFound { endpoint, code, .. } => (
                Disposition::Fail,
                FailureClass::NotFound,
                code.clone(),
                Vec::new(),
                endpoint.clone(),
                404,
            ),
            GraphError::BadResponse { endpoint, .. } => (
                Disposition::Fail,
                FailureClass::InvalidResponse,
                String::new(),
                Vec::new(),
                endpoint.clone(),
                0,
            ),
            GraphError::Rejected {
                endpoint,
                status,
                code,
                ..
            } => (
                Disposition::Fail,
                FailureClass::InvalidResponse,
                code.clone(),
                Vec::new(),
                endpoint.clone(),
                i32::from(*status),
            ),
            GraphError::Authentication { aadsts, error, .. } => (
                Disposition::Fail,
                FailureClass::Authentication,
                aadsts
                    .map(|c| format!("AADSTS{c}"))
                    .unwrap_or_else(|| error.clone()),
                Vec::new(),
                String::new(),
                0,
            ),
            GraphError::ResyncRequired { endpoint, .. } => (
                Disposition::Retry,
                FailureClass::Transient,
                "syncStateNotFound".to_owned(),
                Vec::new(),
                endpoint.clone(),
                410,
            ),
            GraphError::Config { .. } => (
                Disposition::Fail,
                FailureClass::Internal,
                String::new(),
                Vec::new(),
                String::new(),
                0,
            ),
        };
        JobFailure {
            disposition,
            reason: ErrorRecord {
                class,
                code,
                message,
                permissions,
                endpoint,
                http_status: http,
            },
        }
    }
}

impl From<StoreError> for JobFailure {
    fn from(error: StoreError) -> Self {
        let disposition = if matches!(error, StoreError::Superseded { .. }) {
            Disposition::Superseded
        } else if error.is_transient() {
            Disposition::Retry
        } else {
            Disposition::Fail
        };
        JobFailure::new(disposition, FailureClass::Internal, error.to_string())
    }
}

impl From<ConnectionError> for JobFailure {
    fn from(error: ConnectionError) -> Self {
        match error {
            ConnectionError::Unavailable { .. } => {
                JobFailure::new(Disposition::Retry, FailureClass::Internal, error.to_string())
            }
            _ => JobFailure::new(Disposition::Fail, FailureClass::Authentication, error.to_string()),
        }
    }
}
