//! Migrations on real PostgreSQL and SQLite: exactly-once under concurrent starts (advisory
//! lock), one schema per service, edited migrations and schemas of newer builds refused, failures
//! leave nothing behind.

use posture_kit::db::test_support::TestDatabase;
use posture_kit::db::{Backend, Db, DbError, Migration};
use sqlx::Row as _;

const SYNC_V1: Migration = Migration {
    version: 1,
    description: "runs",
    postgres: "CREATE TABLE runs (id UUID PRIMARY KEY, tenant_id UUID NOT NULL, started_at TIMESTAMPTZ NOT NULL DEFAULT now());
               CREATE INDEX runs_by_tenant ON runs (tenant_id);",
    sqlite: "CREATE TABLE runs (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, started_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
             CREATE INDEX runs_by_tenant ON runs (tenant_id);",
};

// Not idempotent on purpose: running it twice would insert two rows and the test would see it.
const SYNC_V2: Migration = Migration {
    version: 2,
    description: "seed marker row",
    postgres: "CREATE TABLE markers (note TEXT NOT NULL); INSERT INTO markers (note) VALUES ('v2');",
    sqlite: "CREATE TABLE markers (note TEXT NOT NULL); INSERT INTO markers (note) VALUES ('v2');",
};

async fn count(db: &Db, sql: &'static str) -> i64 {
    match db {
        Db::Postgres(pool) => sqlx::query(sql).fetch_one(pool).await.expect("count").get(0),
        Db::Sqlite(pool) => sqlx::query(sql).fetch_one(pool).await.expect("count").get(0),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_pods_migrating_at_once_apply_each_migration_exactly_once() {
    let database = TestDatabase::postgres().await.expect("test database");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        // Each task is a separate pod: its own pool, its own connections.
        let url = database.url().to_owned();
        tasks.push(tokio::spawn(async move {
            let db = Db::connect_url(&url, "sync", 2, std::time::Duration::from_secs(30)).await?;
            let report = db.migrate("sync", &[SYNC_V1, SYNC_V2]).await;
            db.close().await;
            report
        }));
    }
    let mut applied_by = 0;
    for task in tasks {
        let report = task.await.expect("task").expect("migration succeeds");
        if !report.applied.is_empty() {
            assert_eq!(report.applied, vec![1, 2]);
            applied_by += 1;
        } else {
            assert_eq!(report.already_applied, vec![1, 2]);
        }
    }
    assert_eq!(applied_by, 1, "exactly one pod applies the migrations");
    let db = database.connect("sync").await.expect("connect");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM posture_migrations").await, 2);
}

#[tokio::test]
async fn each_service_gets_its_own_postgres_schema() {
    let database = TestDatabase::postgres().await.expect("test database");
    let sync = database.connect("sync").await.expect("connect");
    let other = database.connect("assessment").await.expect("connect");
    sync.migrate("sync", &[SYNC_V1, SYNC_V2])
        .await
        .expect("migrate sync");
    other
        .migrate("assessment", &[SYNC_V2])
        .await
        .expect("same table name in another schema");

    let Db::Postgres(pool) = &sync else {
        panic!("postgres expected")
    };
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'markers' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("query");
    assert_eq!(schemas, vec!["assessment".to_owned(), "sync".to_owned()]);
    // Unqualified names resolve to the service's own schema.
    assert_eq!(count(&sync, "SELECT COUNT(*) FROM runs").await, 0);
    let wrong_schema = match &other {
        Db::Postgres(pool) => sqlx::query("SELECT COUNT(*) FROM runs")
            .fetch_one(pool)
            .await
            .err(),
        Db::Sqlite(_) => None,
    };
    assert!(wrong_schema.is_some(), "assessment must not see sync's tables");
}

#[tokio::test]
async fn sqlite_gives_each_service_its_own_file_with_wal_and_foreign_keys() {
    let database = TestDatabase::sqlite().expect("test database");
    let db = database.connect("sync").await.expect("connect");
    let report = db.migrate("sync", &[SYNC_V1, SYNC_V2]).await.expect("migrate");
    assert_eq!(report.applied, vec![1, 2]);
    let again = db
        .migrate("sync", &[SYNC_V1, SYNC_V2])
        .await
        .expect("migrate again");
    assert!(again.applied.is_empty());
    assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);

    let Db::Sqlite(pool) = &db else {
        panic!("sqlite expected")
    };
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .expect("pragma");
    assert_eq!(journal.to_lowercase(), "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .expect("pragma");
    assert_eq!(foreign_keys, 1);
    let file = std::path::Path::new(database.url().trim_start_matches("sqlite://"))
        .with_file_name("posture-sync.db");
    assert!(file.exists(), "{} missing", file.display());
}

#[tokio::test]
async fn sqlite_migrations_from_concurrent_pools_apply_once() {
    let database = TestDatabase::sqlite().expect("test database");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let url = database.url().to_owned();
        tasks.push(tokio::spawn(async move {
            let db = Db::connect_url(&url, "sync", 2, std::time::Duration::from_secs(30)).await?;
            db.migrate("sync", &[SYNC_V1, SYNC_V2]).await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("migration succeeds");
    }
    let db = database.connect("sync").await.expect("connect");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);
}

posture_kit::db_test!(edited_migration_is_refused, |database: TestDatabase| async move {
    let db = database.connect("sync").await.expect("connect");
    db.migrate("sync", &[SYNC_V1]).await.expect("migrate");
    let edited = Migration {
        postgres: "CREATE TABLE runs (id UUID);",
        sqlite: "CREATE TABLE runs (id TEXT);",
        ..SYNC_V1
    };
    let err = db
        .migrate("sync", &[edited])
        .await
        .expect_err("checksum mismatch");
    assert!(
        matches!(err, DbError::ChecksumMismatch { version: 1, .. }),
        "{err}"
    );
});

posture_kit::db_test!(
    a_schema_migrated_by_a_newer_build_is_refused,
    |database: TestDatabase| async move {
        let db = database.connect("sync").await.expect("connect");
        db.migrate("sync", &[SYNC_V1, SYNC_V2])
            .await
            .expect("the newer build migrates");
        // An older build, which knows only the first migration, starts on the same database.
        let err = db
            .migrate("sync", &[SYNC_V1])
            .await
            .expect_err("an older build refuses the newer schema");
        assert!(
            matches!(
                err,
                DbError::SchemaNewer {
                    found: 2,
                    known: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("a newer Posture migrated this database"),
            "{err}"
        );
        // Nothing was touched: the newer build still finds its schema whole.
        let report = db
            .migrate("sync", &[SYNC_V1, SYNC_V2])
            .await
            .expect("still migrated");
        assert_eq!(report.already_applied, vec![1, 2]);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);
    }
);

posture_kit::db_test!(
    failing_migration_leaves_nothing_half_applied,
    |database: TestDatabase| async move {
        let db = database.connect("sync").await.expect("connect");
        let broken = Migration {
            version: 3,
            description: "broken",
            postgres: "CREATE TABLE later (id INT); SELECT * FROM no_such_table;",
            sqlite: "CREATE TABLE later (id INT); SELECT * FROM no_such_table;",
        };
        let err = db
            .migrate("sync", &[SYNC_V1, SYNC_V2, broken])
            .await
            .expect_err("broken migration");
        assert!(
            err.to_string().contains("migration 3 (broken) of `sync` failed"),
            "{err}"
        );
        // Everything ran in one transaction: not even v1 is recorded, so a fixed release starts clean.
        let fixed = Migration {
            postgres: "CREATE TABLE later (id INT);",
            sqlite: "CREATE TABLE later (id INT);",
            ..broken
        };
        let report = db
            .migrate("sync", &[SYNC_V1, SYNC_V2, fixed])
            .await
            .expect("fixed release migrates");
        assert_eq!(report.applied, vec![1, 2, 3]);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);
    }
);

posture_kit::db_test!(
    same_test_body_runs_on_both_backends,
    |database: TestDatabase| async move {
        let db = database.connect("tokens").await.expect("connect");
        assert_eq!(db.backend(), database.backend());
        assert!(matches!(db.backend(), Backend::Postgres | Backend::Sqlite));
        db.migrate("tokens", &[SYNC_V2]).await.expect("migrate");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);
    }
);

#[tokio::test]
async fn unsafe_schema_names_and_unknown_urls_are_refused() {
    let database = TestDatabase::sqlite().expect("test database");
    let err = database
        .connect("sync; DROP TABLE x")
        .await
        .expect_err("bad schema");
    assert!(matches!(err, DbError::InvalidSchema { .. }));
    let err = Db::connect_url(
        "mysql://u:secretpw@h/db",
        "sync",
        1,
        std::time::Duration::from_secs(1),
    )
    .await
    .expect_err("unsupported backend");
    assert!(!err.to_string().contains("secretpw"), "{err}");
}

#[tokio::test]
async fn connection_errors_do_not_reveal_the_password() {
    let err = Db::connect_url(
        "postgres://posture:topsecret@127.0.0.1:1/posture",
        "sync",
        1,
        std::time::Duration::from_secs(2),
    )
    .await
    .expect_err("nothing listens on port 1");
    let message = err.to_string();
    assert!(!message.contains("topsecret"), "{message}");
    assert!(
        message.contains("postgres://posture:****@127.0.0.1:1/posture"),
        "{message}"
    );
}

#[tokio::test]
async fn test_databases_are_dropped_afterwards() {
    let database = TestDatabase::postgres().await.expect("test database");
    let name = database.url().rsplit('/').next().unwrap_or_default().to_owned();
    drop(database);
    let admin_url = std::env::var(posture_kit::db::test_support::TEST_DATABASE_URL_ENV)
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = Db::connect_url(&admin_url, "public", 1, std::time::Duration::from_secs(5))
        .await
        .expect("admin connect");
    let Db::Postgres(pool) = &admin else {
        panic!("postgres expected")
    };
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(pool)
        .await
        .expect("query");
    assert_eq!(left, 0, "{name} still exists");
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data_across_pool_checkouts() {
    let db = Db::connect_url("sqlite::memory:", "sync", 8, std::time::Duration::from_secs(5))
        .await
        .expect("connect");
    db.migrate("sync", &[SYNC_V1, SYNC_V2]).await.expect("migrate");
    // A second checkout must see the same database, not a fresh empty one.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM markers").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM posture_migrations").await, 2);
}

#[tokio::test]
async fn opening_a_sqlite_file_another_connection_holds_exclusively_waits_for_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/posture.db", dir.path().display());
    let file = dir.path().join("posture-sync.db");
    // Another process's connection, still in rollback-journal mode, holding the file exclusively.
    let holder_options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let mut holder = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&holder_options)
        .await
        .expect("holder connects");
    sqlx::query("CREATE TABLE held (id INTEGER)")
        .execute(&mut holder)
        .await
        .expect("create");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let opening =
        tokio::spawn(
            async move { Db::connect_url(&url, "sync", 2, std::time::Duration::from_secs(20)).await },
        );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sqlx::query("COMMIT").execute(&mut holder).await.expect("unlock");
    let db = opening
        .await
        .expect("task")
        .expect("the open waits for the lock instead of failing");
    db.migrate("sync", &[SYNC_V1]).await.expect("migrate");
}
