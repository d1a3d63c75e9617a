//! Database setup shared by every service: one pool per service on PostgreSQL or SQLite, and
//! migrations that are safe when many pods start at once.
//!
//! Isolation design: on PostgreSQL every service owns one schema (`credentials`, `sync`, ...);
//! its pool sets `search_path` to that schema at connection start, so service SQL uses
//! unqualified table names. On SQLite the same effect comes from one database file per service,
//! derived from the configured URL: `sqlite://data/posture.db` with schema `sync` opens
//! `data/posture-sync.db`. Service SQL is therefore identical in structure on both backends; only
//! the dialect differs, which is why each [`Migration`] carries one script per backend.

mod connect;
mod failure;
mod migrate;
mod purge;
#[cfg(feature = "test-support")]
pub mod test_support;
mod write;

use sqlx::{PgPool, SqlitePool};

pub use failure::SqlFailure;
pub use migrate::{Migration, MigrationReport};
pub use purge::delete_tenant_rows;
pub use write::BeginWrite;

/// Runs `$body` with `$pool` bound to the service's open pool, whichever engine it is; the body
/// is type-checked once per engine, so one piece of SQL code serves PostgreSQL and SQLite.
#[macro_export]
macro_rules! on_backend {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A service's connection pool. Stores match on it to run backend-specific SQL.
#[derive(Debug, Clone)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Postgres(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `url` is already redacted.
    #[error("invalid database url `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid schema name `{schema}`: use lower-case letters, digits and '_', starting with a letter")]
    InvalidSchema { schema: String },
    /// `url` is already redacted.
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot create directory {path} for the SQLite database: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("migrations of `{schema}` are not in strictly increasing version order at version {version}")]
    MigrationOrder { schema: String, version: i64 },
    #[error(
        "migration {version} of `{schema}` was changed after it was applied (checksum differs); add a new migration instead"
    )]
    ChecksumMismatch { schema: String, version: i64 },
    #[error(
        "`{schema}` is at migration {found}, which this build does not have (it knows up to {known}): a newer \
         Posture migrated this database; run that version or newer, or restore the database from before it"
    )]
    SchemaNewer { schema: String, found: i64, known: i64 },
    #[error("migration {version} ({description}) of `{schema}` failed: {source}")]
    Migration {
        schema: String,
        version: i64,
        description: String,
        source: sqlx::Error,
    },
    #[error("database error while {context}: {source}")]
    Query {
        context: &'static str,
        source: sqlx::Error,
    },
}

/// Schema names are spliced into DDL (they cannot be bind parameters), so only a safe identifier
/// alphabet is accepted.
pub(crate) fn check_schema(schema: &str) -> Result<(), DbError> {
    let mut chars = schema.chars();
    let valid = schema.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(DbError::InvalidSchema {
            schema: schema.chars().take(80).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["credentials", "sync", "assessment_v2"] {
            assert!(check_schema(good).is_ok(), "{good}");
        }
        for bad in ["", "Sync", "2sync", "sync; DROP TABLE x", "a\"b", &"a".repeat(64)] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }
}
