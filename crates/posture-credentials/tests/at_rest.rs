//! What is at rest: after connections are created and their credentials replaced, no column of any
//! table (PostgreSQL) and no byte of the database files (SQLite, WAL included) holds a secret, in
//! plain text, hex or base64.

mod common;

use base64::Engine;
use common::*;
use posture_kit::db::Backend;
use posture_kit::db::test_support::TestDatabase;

fn forms(secret: &str) -> Vec<Vec<u8>> {
    vec![
        secret.as_bytes().to_vec(),
        hex::encode(secret).into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(secret)
            .into_bytes(),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Every row of every table in the `credentials` schema as text (bytea shows as hex).
async fn postgres_dump(h: &Harness) -> Vec<u8> {
    let posture_kit::db::Db::Postgres(pool) = h.role.store().db() else {
        unreachable!("postgres test");
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'credentials'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    assert!(tables.iter().any(|t| t == "sealed_secrets"), "{tables:?}");
    let mut dump = Vec::new();
    for table in tables {
        let sql = format!("SELECT t::text FROM credentials.\"{table}\" t");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .expect("rows");
        for row in rows {
            dump.extend_from_slice(row.as_bytes());
            dump.push(b'\n');
        }
    }
    dump
}

/// The SQLite database file and its write-ahead log, byte for byte.
fn sqlite_dump(db: &TestDatabase) -> Vec<u8> {
    let base = db.url().trim_start_matches("sqlite://");
    let file = base.replace("posture.db", "posture-credentials.db");
    let mut dump = std::fs::read(&file).expect("database file");
    for suffix in ["-wal", "-journal"] {
        if let Ok(bytes) = std::fs::read(format!("{file}{suffix}")) {
            dump.extend(bytes);
        }
    }
    dump
}

posture_kit::db_test!(database_holds_only_ciphertext, |db: TestDatabase| async move {
    let mut h = Harness::start(db).await;
    h.create(TENANT_A, SECRET).await;
    h.create(TENANT_B, SECRET).await;
    h.rotate_secret(TENANT_B, OTHER_SECRET, start_time() + chrono::Duration::days(60))
        .await;

    let dump = match h.db.backend() {
        Backend::Postgres => postgres_dump(&h).await,
        Backend::Sqlite => sqlite_dump(&h.db),
    };
    // The scan sees the stored rows at all (tenant ids are stored in clear).
    assert!(contains(&dump, TENANT_A.as_bytes()) && contains(&dump, TENANT_B.as_bytes()));
    for secret in [SECRET, OTHER_SECRET] {
        for form in forms(secret) {
            assert!(
                !contains(&dump, &form),
                "the database holds {}",
                String::from_utf8_lossy(&form)
            );
        }
    }
    h.stop().await;
});
