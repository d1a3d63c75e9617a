//! The role's public gRPC APIs: AssessmentService (controls, assessments, findings, tenant
//! settings), ExceptionService, ScoreService and DriftService. Every read filters by tenant, so another tenant's assessment
//! or exception id is NOT_FOUND.

mod assessments;
mod drift;
mod drift_input;
mod exceptions;
mod scores;
pub(crate) mod validate;

pub use assessments::AssessmentApi;
pub use drift::DriftApi;
pub use exceptions::ExceptionApi;
pub use scores::ScoreApi;

use posture_kit::ServiceError;

use super::store::StoreError;

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { .. } => ServiceError::Unavailable {
                what: "the assessment database".to_owned(),
            },
            other => ServiceError::internal("serving an assessment call", other),
        }
    }
}
