//! The store's errors and the one mapping from database failures to them.

use posture_kit::db::SqlFailure;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    #[error("the assessment database cannot be reached: {source}")]
    Unavailable { source: sqlx::Error },
    #[error("database error while {context}: {source}")]
    Query {
        context: &'static str,
        source: sqlx::Error,
    },
    #[error("stored {what} is unreadable: {reason}")]
    Corrupt { what: &'static str, reason: String },
}

impl StoreError {
    /// Worth retrying: the database was unreachable or busy, not wrong.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

/// Database errors as store errors, through the kit's one classification of SQL failures.
pub(crate) fn sql_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match SqlFailure::of(&source) {
        SqlFailure::UniqueViolation => StoreError::AlreadyExists { what: context },
        SqlFailure::Unavailable => StoreError::Unavailable { source },
        SqlFailure::Other => StoreError::Query { context, source },
    }
}
