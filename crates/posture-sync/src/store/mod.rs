//! The sync store on PostgreSQL or SQLite (schema `sync`): the inventory (current object per
//! tenant, kind and id, plus every version of configuration kinds), sync runs with one status row
//! per entity kind, and the cursors that let an interrupted job resume from its last page.
//! Instants are stored as microseconds since the Unix epoch, which both engines order and compare
//! the same way.

mod cursors;
mod migrations;
mod objects;
mod run_reads;
mod runs;
mod write;

use chrono::{DateTime, Utc};
use posture_kit::db::Db;

pub use cursors::Cursor;
pub use migrations::MIGRATIONS;
pub use objects::{KnownObject, ObjectQuery, StoredObject, StoredVersion};
pub use runs::{EntityStatus, ErrorRecord, NewRun, RunFilter, RunRecord};
pub use write::{PageWrite, Upsert, WriteOutcome};

/// Schema (PostgreSQL) or file suffix (SQLite) of the sync role.
pub const SCHEMA: &str = "sync";

pub(crate) use posture_kit::on_backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} `{id}` already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("the sync database cannot be reached: {source}")]
    Unavailable { source: sqlx::Error },
    #[error("database error while {context}: {source}")]
    Query {
        context: &'static str,
        source: sqlx::Error,
    },
    #[error("stored {what} is unreadable: {reason}")]
    Corrupt { what: &'static str, reason: String },
    /// Another delivery of the same job started after this one, or the entity is already
    /// settled: this delivery's page is rolled back and it stops.
    #[error("the {kind} job of run {run_id} was taken over by a later delivery than attempt {attempt}")]
    Superseded {
        run_id: String,
        kind: String,
        attempt: u32,
    },
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
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists {
            what: context,
            id: String::new(),
        },
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

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(us).unwrap_or_default()
}

/// The role's storage. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct InventoryStore {
    db: Db,
}

impl InventoryStore {
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
