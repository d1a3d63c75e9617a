//! The assessment role: assesses a tenant whenever its sync run completes (and on request),
//! keeps assessments, findings, exceptions, tenant settings, baselines and drift in the
//! `assessment` schema, detects drift after every sync, and serves AssessmentService,
//! ExceptionService, ScoreService, DriftService and EvidenceService (signed evidence bundles). It reads the inventory only through the sync
//! role's public API.

mod announce;
mod api;
mod assess;
mod connection;
mod consumer;
pub mod convert;
pub mod drift;
mod evidence;
mod metrics;
mod newly_failing;
mod reader;
mod report;
mod role;
mod signals;
pub mod store;

pub use consumer::SYNC_PRINCIPAL;
pub use metrics::AssessmentMetrics;
pub use reader::{InventoryReader, ReadError, describe_failure};
pub use report::{
    ApiReportContext, render_html_from_api, render_html_from_api_named, render_html_from_api_with_drift,
    render_report_from_api,
};
pub use role::{AssessmentDeps, AssessmentRole, RoleSettings, StartError, start};
