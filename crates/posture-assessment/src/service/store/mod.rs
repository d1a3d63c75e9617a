//! The assessment store on PostgreSQL or SQLite (schema `assessment`): assessments with their
//! counts and scores, one finding per control, risk exceptions with an append-only audit, and
//! per-tenant settings. Instants are microseconds since the Unix epoch on both engines.

mod assessments;
mod exceptions;
mod findings;
mod migrations;
mod settings;

use chrono::{DateTime, Utc};
use posture_kit::db::Db;
use serde::{Deserialize, Serialize};

pub use assessments::{
    AssessmentFilter, AssessmentRecord, Counts, FailureRecord, NewAssessment, ScoreRecord,
};
pub use exceptions::{AuditRecord, ExceptionFilter, ExceptionRecord};
pub use findings::{EvidenceRecord, FindingFilter, FindingRecord, MAX_EVIDENCE, ReferenceRecord};
pub use migrations::MIGRATIONS;
pub use settings::SettingsRecord;

/// Schema (PostgreSQL) or file suffix (SQLite) of the assessment role.
pub const SCHEMA: &str = "assessment";

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

pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(us).unwrap_or_default()
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // The store's own record types serialise infallibly (strings, numbers, vectors, maps).
    serde_json::to_string(value).unwrap_or_default()
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// The role's storage. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct AssessmentStore {
    db: Db,
}

impl AssessmentStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Applies the role's migrations (safe with many replicas starting at once).
    pub async fn migrate(&self) -> Result<(), posture_kit::db::DbError> {
        self.db.migrate(SCHEMA, MIGRATIONS).await.map(|_| ())
    }
}
