//! The sync store on PostgreSQL or SQLite (schema `sync`): the inventory (current object per
//! tenant, kind and id, plus every version of configuration kinds), sync runs with one status row
//! per entity kind, the cursors that let an interrupted job resume from its last page, and the
//! outbox of events staged in the transactions whose changes they announce. Instants are stored as microseconds since the Unix epoch, which both engines order and compare
//! the same way.

mod audit;
mod codes;
mod cursors;
mod migrations;
mod objects;
mod run_reads;
mod run_writes;
mod runs;
mod write;

use std::str::FromStr;

use posture_kit::db::{Db, SqlFailure};
use posture_kit::ids::{InvalidId, RunId};

pub use audit::{AuditEvent, AuditQuery, AuditStream};
pub(crate) use codes::Stored;
pub use cursors::Cursor;
pub use migrations::MIGRATIONS;
pub use objects::{KnownObject, ObjectQuery, StoredObject, StoredVersion};
pub use runs::{EntityStatus, ErrorRecord, NewRun, RunFilter, RunRecord};
pub use write::{PageWrite, Upsert, WriteOutcome};

/// Schema (PostgreSQL) or file suffix (SQLite) of the sync role.
pub const SCHEMA: &str = "sync";

pub(crate) use posture_kit::on_backend;
pub(crate) use posture_kit::time::{from_micros, micros};

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
        run_id: RunId,
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

/// The one mapping from database errors to store errors, through the kit's classification.
pub(crate) fn sql_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match SqlFailure::of(&source) {
        SqlFailure::UniqueViolation => StoreError::AlreadyExists {
            what: context,
            id: String::new(),
        },
        SqlFailure::Unavailable => StoreError::Unavailable { source },
        SqlFailure::Other => StoreError::Query { context, source },
    }
}

/// A stored code read back as its value; a code this version does not know is corrupt data.
pub(crate) fn decode<T: Stored>(code: i32) -> Result<T, StoreError> {
    T::from_code(code).ok_or_else(|| StoreError::Corrupt {
        what: T::WHAT,
        reason: format!("unknown code {code}"),
    })
}

/// A stored id read back as its type (tenant and run ids are kept as text).
pub(crate) fn parse_id<T: FromStr<Err = InvalidId>>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|e: InvalidId| StoreError::Corrupt {
        what: e.kind,
        reason: e.to_string(),
    })
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

/// Every row of a purged tenant in the `sync` schema (see `posture_bus::spawn_tenant_purge`):
/// children first, since SQLite does not cascade without its foreign key pragma.
pub const PURGE_TENANT: &[&str] = &[
    "DELETE FROM run_entities WHERE run_id IN (SELECT run_id FROM runs WHERE tenant_id = $1)",
    "DELETE FROM runs WHERE tenant_id = $1",
    "DELETE FROM object_versions WHERE tenant_id = $1",
    "DELETE FROM objects WHERE tenant_id = $1",
    "DELETE FROM cursors WHERE tenant_id = $1",
    "DELETE FROM audit_events WHERE tenant_id = $1",
    "DELETE FROM audit_streams WHERE tenant_id = $1",
];
