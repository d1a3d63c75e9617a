//! Throwaway databases for tests: a fresh PostgreSQL database per test (dropped afterwards) and a
//! SQLite file in a temporary directory, so a service runs one test body against both backends.
//! `POSTURE_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) names the
//! server; the test database is created next to that URL's database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use super::{Backend, Db, DbError};

pub const TEST_DATABASE_URL_ENV: &str = "POSTURE_TEST_DATABASE_URL";
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for the lifetime of this value.
#[derive(Debug)]
pub struct TestDatabase {
    backend: Backend,
    url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

fn admin_url() -> String {
    std::env::var(TEST_DATABASE_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// `postgres://u@h:5432/postgres?x=y` with `db` → `postgres://u@h:5432/db?x=y`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{server}/{database}{query}")
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Result<Self, DbError> {
        match backend {
            Backend::Postgres => Self::postgres().await,
            Backend::Sqlite => Self::sqlite(),
        }
    }

    pub async fn postgres() -> Result<Self, DbError> {
        let admin = admin_url();
        let name = format!("posture_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect_admin(&admin).await?;
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .map_err(|source| DbError::Query {
                context: "creating a test database",
                source,
            })?;
        let _ = conn.close().await;
        Ok(Self {
            backend: Backend::Postgres,
            url: with_database(&admin, &name),
            postgres: Some((admin, name)),
            _dir: None,
        })
    }

    pub fn sqlite() -> Result<Self, DbError> {
        let dir = tempfile::tempdir().map_err(|source| DbError::CreateDir {
            path: std::env::temp_dir().display().to_string(),
            source,
        })?;
        let url = format!("sqlite://{}", dir.path().join("posture.db").display());
        Ok(Self {
            backend: Backend::Sqlite,
            url,
            postgres: None,
            _dir: Some(dir),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL a service would find in `database.url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool for `schema`, as the owning service would open it.
    pub async fn connect(&self, schema: &str) -> Result<Db, DbError> {
        Db::connect_url(&self.url, schema, 8, Duration::from_secs(30)).await
    }
}

async fn connect_admin(url: &str) -> Result<PgConnection, DbError> {
    let shown = crate::config::redact_connection_url(url);
    let options = PgConnectOptions::from_str(url).map_err(|_| DbError::InvalidUrl {
        url: shown.clone(),
        reason: "not a valid PostgreSQL URL".into(),
    })?;
    PgConnection::connect_with(&options)
        .await
        .map_err(|source| DbError::Connect { url: shown, source })
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop cannot await, and the test's runtime may be shutting down: use a private one.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = connect_admin(&admin).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await.ok()?;
                conn.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: could not drop a test database; it will remain on the server");
        }
    }
}

/// Runs one async test body against PostgreSQL and SQLite: expands to a module with two tests,
/// `postgres` and `sqlite`. The body is a function `async fn(TestDatabase)`.
///
/// ```ignore
/// posture_kit::db_test!(inventory_keeps_one_row_per_object, |db: TestDatabase| async move { ... });
/// ```
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn postgres() {
                let db = $crate::db::test_support::TestDatabase::postgres()
                    .await
                    .expect("create test database");
                ($body)(db).await;
            }

            #[tokio::test]
            async fn sqlite() {
                let db = $crate::db::test_support::TestDatabase::sqlite().expect("create test database");
                ($body)(db).await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_database_url_replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:5432", "t3"), "postgres://h:5432/t3");
    }
}
