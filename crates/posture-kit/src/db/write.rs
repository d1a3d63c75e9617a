//! Transactions that write. SQLite starts a plain `BEGIN` as a reader and upgrades to a writer at
//! the first write; when another connection is writing at that moment the upgrade fails at once
//! with "database is locked" (the busy timeout does not apply to upgrades). Starting write
//! transactions with `BEGIN IMMEDIATE` takes the write lock up front, so concurrent writers wait
//! for each other within the busy timeout instead of failing. PostgreSQL needs nothing special.

use std::future::Future;

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// `begin_write()` for the pools of both backends; use it for every transaction that writes.
pub trait BeginWrite {
    type Database: sqlx::Database;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for PgPool {
    type Database = Postgres;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;

    fn begin_write(&self) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two writers that both read before writing: with plain BEGIN one of them fails with
    /// "database is locked"; with BEGIN IMMEDIATE both commit.
    #[tokio::test]
    async fn concurrent_read_then_write_transactions_both_commit_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/w.db?mode=rwc", dir.path().display());
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("url");
        let options = options
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("pool");
        sqlx::query("CREATE TABLE counter (n INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .expect("create");
        sqlx::query("INSERT INTO counter (n) VALUES (0)")
            .execute(&pool)
            .await
            .expect("insert");

        let bump = |pool: SqlitePool| async move {
            let mut tx = pool.begin_write().await?;
            let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter")
                .fetch_one(&mut *tx)
                .await?;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            sqlx::query("UPDATE counter SET n = $1")
                .bind(n + 1)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        };
        let (a, b) = tokio::join!(bump(pool.clone()), bump(pool.clone()));
        a.expect("first writer commits");
        b.expect("second writer commits");
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter")
            .fetch_one(&pool)
            .await
            .expect("read");
        assert_eq!(n, 2, "neither update was lost");
    }
}
