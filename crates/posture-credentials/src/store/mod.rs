//! The credentials store on PostgreSQL or SQLite (schema `credentials`): connections, sealed
//! secrets, health, the append-only access log, the deletion audit, and the outbox of events that
//! announce changes (staged in the transaction of the change). The SQL is written once
//! (both engines accept `$n` parameters) and [`on_backend!`] runs it on whichever pool is open.

mod access_log;
mod connections;
mod credential;
mod health;
mod migrations;
mod purges;
mod row;
mod secrets;
mod signing_keys;
mod webhook_secrets;

use std::fmt;
use std::str::FromStr;

use posture_kit::db::{Db, SqlFailure};
use posture_kit::ids::InvalidId;

pub use access_log::{AccessQuery, AccessRecord, AccessTenants};
pub use connections::{ConnectionRecord, ListFilter, NewConnection, SettingsChange};
pub use credential::{CredentialReplacement, DeletionRecord};
pub use health::{HealthOutcome, HealthRecord};
pub use migrations::MIGRATIONS;
pub use purges::PurgeOutcome;
pub(crate) use row::at_store_precision;
pub use secrets::{SealedRow, SecretMetadata, WrappingSwap};
pub use signing_keys::SigningKeyRow;

/// Schema (PostgreSQL) or file suffix (SQLite) of the credentials role.
pub const SCHEMA: &str = "credentials";

pub(crate) use posture_kit::on_backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} `{id}` already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("the credentials database cannot be reached: {source}")]
    Unavailable { source: sqlx::Error },
    #[error("database error while {context}: {source}")]
    Query {
        context: &'static str,
        source: sqlx::Error,
    },
    /// The event announcing a change could not be built; the change is not made without it.
    #[error("cannot stage the event announcing the change: {0}")]
    Event(#[from] posture_bus::BusError),
    #[error("stored {column} of tenant `{tenant_id}` is unreadable: {reason}")]
    Corrupt {
        column: &'static str,
        tenant_id: String,
        reason: String,
    },
}

/// Database errors as store errors, classified by the kit's one reading ([`SqlFailure::of`]): a
/// unique violation is `AlreadyExists`, a lost or busy database `Unavailable`, the rest a query
/// failure with its context.
pub(crate) fn map_sql_error(
    context: &'static str,
    id: impl fmt::Display,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| match SqlFailure::of(&source) {
        SqlFailure::UniqueViolation => StoreError::AlreadyExists {
            what: "connection for tenant",
            id: id.to_string(),
        },
        SqlFailure::Unavailable => StoreError::Unavailable { source },
        SqlFailure::Other => StoreError::Query { context, source },
    }
}

/// A stored value that this version cannot read, in the tenant's row.
pub(crate) fn corrupt(
    column: &'static str,
    tenant_id: impl fmt::Display,
    reason: impl Into<String>,
) -> StoreError {
    StoreError::Corrupt {
        column,
        tenant_id: tenant_id.to_string(),
        reason: reason.into(),
    }
}

/// A stored id read back as its type (ids are stored as text); one that does not parse is corrupt.
pub(crate) fn stored_id<T>(column: &'static str, tenant_id: &str, text: &str) -> Result<T, StoreError>
where
    T: FromStr<Err = InvalidId>,
{
    text.parse()
        .map_err(|error: InvalidId| corrupt(column, tenant_id, error.to_string()))
}

/// The role's storage. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct CredentialStore {
    db: Db,
}

impl CredentialStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Opens the role's pool from the `database` configuration and migrates it; what a CLI command
    /// (e.g. re-wrapping after a key rotation) uses outside a running role.
    pub async fn connect(
        config: &posture_kit::config::DatabaseConfig,
    ) -> Result<Self, posture_kit::db::DbError> {
        let store = Self::new(Db::connect(config, SCHEMA).await?);
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the role's migrations (safe with many replicas starting at once).
    pub async fn migrate(&self) -> Result<(), posture_kit::db::DbError> {
        self.db.migrate(SCHEMA, MIGRATIONS).await.map(|_| ())
    }
}
