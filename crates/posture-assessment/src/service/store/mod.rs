//! The assessment store on PostgreSQL or SQLite (schema `assessment`): assessments with their
//! counts and scores, one finding per control, risk exceptions with an append-only audit,
//! per-tenant settings, and baselines with the drift from them. Instants are microseconds since the Unix epoch on both engines.

mod assessments;
mod baselines;
mod columns;
mod database;
mod detection;
mod drift;
mod error;
mod exceptions;
mod findings;
mod lifecycle;
mod migrations;
mod settings;

pub use assessments::{
    AssessmentFilter, AssessmentRecord, Completion, Counts, FailureRecord, NewAssessment, ScoreRecord,
    Signals,
};
pub use baselines::{BaselineFilter, BaselineRecord, Deletion, PinRecord, TargetRecord};
pub use database::{AssessmentStore, SCHEMA};
pub use detection::Detection;
pub use drift::{DETECTION_PRINCIPAL, DriftFilter, DriftRecord, DriftState, StateChange, Verdict, kind_code};
pub use error::StoreError;
pub use exceptions::{AuditRecord, ExceptionFilter, ExceptionRecord};
pub use findings::{
    EvidenceRecord, FindingFilter, FindingRecord, FrameworkResultRecord, MAX_EVIDENCE, ReferenceRecord,
};
pub use lifecycle::{AssessmentState, FailureClass, Trigger};
pub use migrations::MIGRATIONS;
pub use settings::SettingsRecord;
