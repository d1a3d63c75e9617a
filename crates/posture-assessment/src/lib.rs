//! Compliance assessment for Posture: a Rego policy engine (regorus) over a documented tenant
//! document, the built-in pack of controls (CIS Microsoft 365 Foundations, CISA SCuBA, Posture's own
//! signals), per-framework scores and risk exceptions.

mod acceptance;
mod assessment;
mod document;
pub mod drift;
mod engine;
mod error;
mod exceptions;
mod input;
mod metadata;
mod module;
mod pack;
mod report;
mod result;
mod score;
pub mod service;
mod unit_tests;

pub use acceptance::apply_exceptions;
pub use assessment::Assessment;
pub use document::{
    Collection, CollectionKind, CollectionStatus, DEFAULT_PARAMETERS, Licences, PRIVILEGED_ROLE_TEMPLATE_IDS,
    TenantDocument, TenantDocumentBuilder, role_display_name,
};
pub use engine::Engine;
pub use error::AssessmentError;
pub use exceptions::RiskException;
pub use metadata::{ControlMetadata, FrameworkReference, Severity};
pub use pack::PolicyPack;
pub use report::{
    DriftLine, PortalLink, ReportInfo, ScorePoint, framework_title, portal_for, render_html,
    render_html_with_drift, render_report,
};
pub use result::{ControlResult, Evidence, FrameworkResult, Status};
pub use score::{FrameworkScore, OVERALL, score};
pub use service::{
    ApiReportContext, render_html_from_api, render_html_from_api_named, render_html_from_api_with_drift,
    render_report_from_api,
};
pub use unit_tests::{RegoTestOutcome, RegoTestReport, test_custom_pack, test_pack_dir};
