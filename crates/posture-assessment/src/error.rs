//! Errors of the assessment library. Evaluation problems of a single control never surface here:
//! they become that control's `error` result; these are for loading packs and building documents.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AssessmentError {
    // The cause is part of the message (not a `source`), so a chain printer does not repeat it.
    #[error("reading policy pack {path}: {source_error}")]
    PackRead {
        path: PathBuf,
        source_error: std::io::Error,
    },
    #[error("policy pack {path} contains no control modules")]
    EmptyPack { path: PathBuf },
    #[error("library module {module} does not load: {message}")]
    Library { module: String, message: String },
    #[error("tenant document for {tenant_id} cannot be encoded: {message}")]
    Document { tenant_id: String, message: String },
}
