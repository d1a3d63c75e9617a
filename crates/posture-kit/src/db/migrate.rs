//! Versioned migrations per service schema. On PostgreSQL all pending migrations run in one
//! transaction holding a transaction-scoped advisory lock keyed by the schema, so pods starting
//! together apply each migration exactly once and a failure leaves nothing half-applied. On SQLite
//! a `BEGIN IMMEDIATE` transaction takes the file's write lock for the same effect.

use std::collections::HashMap;

use super::BeginWrite;

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use super::{Db, DbError, check_schema};

/// One step of a service's schema. Versions are unique and increasing; an applied migration must
/// never change (its checksum is verified), so fixes go into a new version.
///
/// The convention every service follows: its list is `MIGRATIONS` in its store's `migrations.rs`;
/// a step is [`Migration::portable`] (one script both engines run, which most are: instants as
/// BIGINT microseconds, JSON as text) unless the engines need different SQL (triggers, column
/// types), where it is [`Migration::per_engine`].
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

impl Migration {
    /// A step whose one script runs on both engines.
    pub const fn portable(version: i64, description: &'static str, sql: &'static str) -> Self {
        Self {
            version,
            description,
            postgres: sql,
            sqlite: sql,
        }
    }

    /// A step that needs a script per engine.
    pub const fn per_engine(
        version: i64,
        description: &'static str,
        postgres: &'static str,
        sqlite: &'static str,
    ) -> Self {
        Self {
            version,
            description,
            postgres,
            sqlite,
        }
    }
}

/// What one `migrate` call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<i64>,
    pub already_applied: Vec<i64>,
}

const LEDGER: &str = "posture_migrations";

fn checksum(sql: &str) -> Vec<u8> {
    Sha256::digest(sql.as_bytes()).to_vec()
}

/// The advisory lock key of a schema: the first 8 bytes of a SHA-256, stable across versions.
fn lock_key(schema: &str) -> i64 {
    let digest = Sha256::digest(format!("posture-migrate:{schema}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

fn check_order(schema: &str, migrations: &[Migration]) -> Result<(), DbError> {
    for pair in migrations.windows(2) {
        if pair[1].version <= pair[0].version {
            return Err(DbError::MigrationOrder {
                schema: schema.to_owned(),
                version: pair[1].version,
            });
        }
    }
    Ok(())
}

fn query_err(context: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
    move |source| DbError::Query { context, source }
}

/// Decides which migrations to run given the ledger; fails on an edited migration.
fn plan<'m>(
    schema: &str,
    migrations: &'m [Migration],
    ledger: &HashMap<i64, Vec<u8>>,
    sql_of: fn(&Migration) -> &'static str,
    report: &mut MigrationReport,
) -> Result<Vec<&'m Migration>, DbError> {
    // A migration recorded in the ledger that this build does not have means a newer release ran:
    // its code may rely on that schema, and this build's queries may break it. Refuse to start.
    if let Some(found) = ledger
        .keys()
        .copied()
        .filter(|v| !migrations.iter().any(|m| m.version == *v))
        .max()
    {
        return Err(DbError::SchemaNewer {
            schema: schema.to_owned(),
            found,
            known: migrations.last().map_or(0, |m| m.version),
        });
    }
    let mut pending = Vec::new();
    for migration in migrations {
        match ledger.get(&migration.version) {
            Some(recorded) if *recorded == checksum(sql_of(migration)) => {
                report.already_applied.push(migration.version)
            }
            Some(_) => {
                return Err(DbError::ChecksumMismatch {
                    schema: schema.to_owned(),
                    version: migration.version,
                });
            }
            None => pending.push(migration),
        }
    }
    Ok(pending)
}

impl Db {
    /// Brings `schema` up to date with `migrations` (see the module doc for the locking).
    pub async fn migrate(&self, schema: &str, migrations: &[Migration]) -> Result<MigrationReport, DbError> {
        check_schema(schema)?;
        check_order(schema, migrations)?;
        match self {
            Db::Postgres(pool) => migrate_postgres(pool, schema, migrations).await,
            Db::Sqlite(pool) => migrate_sqlite(pool, schema, migrations).await,
        }
    }
}

/// The part of a migration run both engines share, once the transaction is open, locked and the
/// ledger exists: read the ledger, apply what is pending in order, record each migration, commit.
/// A macro because the body is the same text for two sqlx database types (as with `on_backend!`).
/// Both engines accept `$n` placeholders.
macro_rules! apply_pending {
    ($tx:ident, $schema:expr, $migrations:expr, $script:ident) => {{
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT version, checksum FROM {LEDGER}")))
            .fetch_all(&mut *$tx)
            .await
            .map_err(query_err("reading the migration ledger"))?;
        let ledger: HashMap<i64, Vec<u8>> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();

        let mut report = MigrationReport::default();
        for migration in plan($schema, $migrations, &ledger, |m| m.$script, &mut report)? {
            let failed = |source| DbError::Migration {
                schema: $schema.to_owned(),
                version: migration.version,
                description: migration.description.to_owned(),
                source,
            };
            sqlx::raw_sql(migration.$script).execute(&mut *$tx).await.map_err(failed)?;
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {LEDGER} (version, description, checksum) VALUES ($1, $2, $3)"
            )))
            .bind(migration.version)
            .bind(migration.description)
            .bind(checksum(migration.$script))
            .execute(&mut *$tx)
            .await
            .map_err(query_err("recording a migration"))?;
            report.applied.push(migration.version);
        }
        $tx.commit().await.map_err(query_err("committing migrations"))?;
        if !report.applied.is_empty() {
            tracing::info!(schema = $schema, applied = ?report.applied, "database migrated");
        }
        Ok(report)
    }};
}

async fn migrate_postgres(
    pool: &sqlx::PgPool,
    schema: &str,
    migrations: &[Migration],
) -> Result<MigrationReport, DbError> {
    let mut tx = pool
        .begin_write()
        .await
        .map_err(query_err("starting the migration transaction"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock_key(schema))
        .execute(&mut *tx)
        .await
        .map_err(query_err("taking the migration lock"))?;
    // The schema name passed `check_schema`, so quoting it is enough to splice it safely.
    let setup = format!(
        "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
         SET LOCAL search_path TO \"{schema}\";
         CREATE TABLE IF NOT EXISTS {LEDGER} (
             version BIGINT PRIMARY KEY,
             description TEXT NOT NULL,
             checksum BYTEA NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         );"
    );
    sqlx::raw_sql(AssertSqlSafe(setup))
        .execute(&mut *tx)
        .await
        .map_err(query_err("creating the migration ledger"))?;
    apply_pending!(tx, schema, migrations, postgres)
}

async fn migrate_sqlite(
    pool: &sqlx::SqlitePool,
    schema: &str,
    migrations: &[Migration],
) -> Result<MigrationReport, DbError> {
    // IMMEDIATE (through BeginWrite): two processes migrating one file wait for each other.
    let mut tx = pool
        .begin_write()
        .await
        .map_err(query_err("starting the migration transaction"))?;
    let setup = format!(
        "CREATE TABLE IF NOT EXISTS {LEDGER} (
             version INTEGER PRIMARY KEY,
             description TEXT NOT NULL,
             checksum BLOB NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         );"
    );
    sqlx::raw_sql(AssertSqlSafe(setup))
        .execute(&mut *tx)
        .await
        .map_err(query_err("creating the migration ledger"))?;
    apply_pending!(tx, schema, migrations, sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_per_schema_and_are_stable() {
        assert_eq!(lock_key("sync"), lock_key("sync"));
        assert_ne!(lock_key("sync"), lock_key("tokens"));
    }

    #[test]
    fn out_of_order_versions_are_rejected() {
        let m = |version| Migration {
            version,
            description: "x",
            postgres: "",
            sqlite: "",
        };
        assert!(check_order("sync", &[m(1), m(2), m(5)]).is_ok());
        assert!(matches!(
            check_order("sync", &[m(1), m(1)]),
            Err(DbError::MigrationOrder { version: 1, .. })
        ));
        assert!(matches!(
            check_order("sync", &[m(2), m(1)]),
            Err(DbError::MigrationOrder { version: 1, .. })
        ));
    }
}
