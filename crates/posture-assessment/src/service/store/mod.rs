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

/// Every row of a purged tenant in the `assessment` schema (see `posture_bus::spawn_tenant_purge`),
/// children first since SQLite does not cascade without its foreign key pragma. Baselines taken
/// from the tenant hold its configuration, so they go too, with their pins and the targets and
/// drift of the tenants they were applied to.
pub const PURGE_TENANT: &[&str] = &[
    "DELETE FROM findings WHERE tenant_id = $1 \
     OR assessment_id IN (SELECT assessment_id FROM assessments WHERE tenant_id = $1)",
    "DELETE FROM assessments WHERE tenant_id = $1",
    "DELETE FROM exception_audit WHERE tenant_id = $1",
    "DELETE FROM exceptions WHERE tenant_id = $1",
    "DELETE FROM tenant_settings WHERE tenant_id = $1",
    "DELETE FROM drift_items WHERE tenant_id = $1 \
     OR baseline_id IN (SELECT baseline_id FROM baselines WHERE source_tenant_id = $1)",
    "DELETE FROM baseline_targets WHERE tenant_id = $1 \
     OR baseline_id IN (SELECT baseline_id FROM baselines WHERE source_tenant_id = $1)",
    "DELETE FROM baseline_pins \
     WHERE baseline_id IN (SELECT baseline_id FROM baselines WHERE source_tenant_id = $1)",
    "DELETE FROM baselines WHERE source_tenant_id = $1",
];
