//! Between the engine's types, the store's records and the contract's messages.

mod drift;
mod messages;
mod records;

pub use drift::{baseline, drift};
pub use messages::{
    assessment, control, engine_severity, error_class, exception, failure, finding_message, finding_severity,
    result, settings, severity, state, status, trigger,
};
pub use records::{finding, framework_id, references, risk_exception, scores};
