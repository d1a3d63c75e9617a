//! Opening a service's pool from the configured URL (see the module doc of [`crate::db`] for how
//! a schema maps to a PostgreSQL `search_path` or a SQLite file).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Db, DbError, check_schema};
use crate::config::{DatabaseConfig, redact_connection_url};

impl Db {
    /// Connects the pool of the service owning `schema`.
    pub async fn connect(config: &DatabaseConfig, schema: &str) -> Result<Db, DbError> {
        Self::connect_url(
            config.url.expose_secret(),
            schema,
            config.max_connections,
            config.acquire_timeout(),
        )
        .await
    }

    pub async fn connect_url(
        url: &str,
        schema: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Db, DbError> {
        check_schema(schema)?;
        let shown = redact_connection_url(url);
        let invalid = |reason: String| DbError::InvalidUrl {
            url: shown.clone(),
            reason,
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|_| invalid("not a valid PostgreSQL URL".to_owned()))?
                .options([("search_path", schema)])
                .application_name(&format!("posture-{schema}"));
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .map_err(|source| DbError::Connect {
                    url: shown.clone(),
                    source,
                })?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|_| invalid("not a valid SQLite URL".to_owned()))?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(acquire_timeout.max(Duration::from_secs(1)));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let mut pool = SqlitePoolOptions::new().acquire_timeout(acquire_timeout);
            let options = if in_memory {
                // Every connection to `:memory:` is its own empty database: keep exactly one, forever.
                pool = pool
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
                options
            } else {
                pool = pool.max_connections(max_connections.max(1));
                let file = schema_file(options.get_filename(), schema);
                create_private(&file).map_err(|(path, source)| DbError::CreateDir {
                    path: path.display().to_string(),
                    source,
                })?;
                options.filename(file)
            };
            // Switching a new file to WAL takes an exclusive lock that SQLite may refuse at once,
            // without its busy handler, while another process or pool opens the same file: retry
            // that refusal until the acquire timeout.
            let deadline = tokio::time::Instant::now() + acquire_timeout;
            let mut pause = Duration::from_millis(10);
            let pool = loop {
                match pool.clone().connect_with(options.clone()).await {
                    Ok(pool) => break pool,
                    Err(source) if is_busy(&source) && tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(200));
                    }
                    Err(source) => return Err(DbError::Connect { url: shown, source }),
                }
            };
            Ok(Db::Sqlite(pool))
        } else {
            Err(invalid("must start with postgres:// or sqlite://".to_owned()))
        }
    }
}

/// SQLITE_BUSY (5) or SQLITE_LOCKED (6), extended codes included (their low byte is the primary
/// code): another connection holds the lock for now.
fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

/// `data/posture.db` + `sync` → `data/posture-sync.db`.
/// Creates the database file's missing folders (0700) and the file itself (0600) before SQLite
/// opens it: the store holds sealed secrets and audit trails, which no other local user should
/// read. SQLite gives its `-wal` and `-shm` files the main file's mode. Existing folders and files
/// keep the mode their owner gave them.
fn create_private(file: &Path) -> Result<(), (PathBuf, std::io::Error)> {
    if let Some(dir) = file
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty() && !dir.exists())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| (dir.to_path_buf(), e))?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err((file.to_path_buf(), e)),
    }
}

pub(crate) fn schema_file(base: &Path, schema: &str) -> PathBuf {
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "posture".to_owned());
    let name = match base.extension() {
        Some(ext) => format!("{stem}-{schema}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{schema}"),
    };
    base.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_store_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/state/posture.db", root.path().display());
        let db = Db::connect_url(&url, "credentials", 2, Duration::from_secs(5))
            .await
            .expect("connect");
        let mode = |path: &Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&root.path().join("state")), 0o700);
        assert_eq!(mode(&root.path().join("state/posture-credentials.db")), 0o600);
        db.close().await;
    }

    #[test]
    fn each_schema_gets_its_own_sqlite_file_next_to_the_configured_one() {
        assert_eq!(
            schema_file(Path::new("data/posture.db"), "sync"),
            PathBuf::from("data/posture-sync.db")
        );
        assert_eq!(
            schema_file(Path::new("/var/lib/posture"), "tokens"),
            PathBuf::from("/var/lib/posture-tokens")
        );
    }
}
