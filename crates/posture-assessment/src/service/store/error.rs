//! The store's errors and the one mapping from database failures to them.

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

/// The one mapping from database errors to store errors.
pub(crate) fn sql_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match &source {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists { what: context },
        sqlx::Error::Database(db) if db.message().contains("database is locked") => {
            StoreError::Unavailable { source }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unavailable { source }
        }
        _ => StoreError::Query { context, source },
    }
}
