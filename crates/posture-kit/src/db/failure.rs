//! The one reading of a database failure that every store shares: what it means for the caller,
//! on either engine. Each store turns the answer into its own domain error.

/// What a failed statement means, whichever engine answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlFailure {
    /// A unique or primary key constraint refused the row (SQLSTATE 23505, SQLite's
    /// `SQLITE_CONSTRAINT_UNIQUE`/`PRIMARYKEY`): the thing already exists.
    UniqueViolation,
    /// The database could not be reached or was busy (pool timeout, closed pool, I/O, TLS,
    /// SQLite's "database is locked", PostgreSQL's connection and shutdown classes): worth
    /// retrying, not the request's fault.
    Unavailable,
    /// Anything else: a bug or a corrupt row, reported with its context.
    Other,
}

impl SqlFailure {
    pub fn of(error: &sqlx::Error) -> Self {
        match error {
            sqlx::Error::Database(db) if db.is_unique_violation() => SqlFailure::UniqueViolation,
            sqlx::Error::Database(db) if db.message().contains("database is locked") => {
                SqlFailure::Unavailable
            }
            // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now;
            // 53300: too many connections.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|code| {
                    code.starts_with("08") || code.starts_with("57P") || code == "53300"
                }) =>
            {
                SqlFailure::Unavailable
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => SqlFailure::Unavailable,
            _ => SqlFailure::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::db::test_support::TestDatabase;

    async fn duplicate_insert(db: &Db) -> sqlx::Error {
        let table = crate::db::Migration {
            version: 1,
            description: "t",
            postgres: "CREATE TABLE t (id TEXT PRIMARY KEY)",
            sqlite: "CREATE TABLE t (id TEXT PRIMARY KEY)",
        };
        db.migrate("failure", &[table]).await.expect("create");
        crate::on_backend!(db, |pool| {
            sqlx::query("INSERT INTO t (id) VALUES ('a')")
                .execute(pool)
                .await
                .expect("first insert");
            sqlx::query("INSERT INTO t (id) VALUES ('a')")
                .execute(pool)
                .await
                .expect_err("duplicate")
        })
    }

    crate::db_test!(
        a_duplicate_key_is_a_unique_violation,
        |test: TestDatabase| async move {
            let db = test.connect("failure").await.expect("connect");
            let error = duplicate_insert(&db).await;
            assert_eq!(SqlFailure::of(&error), SqlFailure::UniqueViolation, "{error}");
        }
    );

    crate::db_test!(
        a_closed_pool_is_unavailable_and_bad_sql_is_other,
        |test: TestDatabase| async move {
            let db = test.connect("failure").await.expect("connect");
            let bad = crate::on_backend!(&db, |pool| sqlx::query("SELEKT 1")
                .execute(pool)
                .await
                .map(|_| ()))
            .expect_err("bad sql");
            assert_eq!(SqlFailure::of(&bad), SqlFailure::Other);
            db.close().await;
            let closed = crate::on_backend!(&db, |pool| sqlx::query("SELECT 1")
                .execute(pool)
                .await
                .map(|_| ()))
            .expect_err("closed");
            assert_eq!(SqlFailure::of(&closed), SqlFailure::Unavailable);
        }
    );
}
