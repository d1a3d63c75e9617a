//! Vault costs: sealing, opening and re-wrapping one secret (AES-256-GCM envelope, one core),
//! GetConnectionSecret over loopback gRPC including its access-log write, and key rotation
//! throughput (`rewrap_all`) on SQLite and PostgreSQL. Prints a table and writes
//! target/bench-results/vault.json.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::*;
use posture_credentials::{KeyId, KeyMaterial, SecretBinding, SecretKind, open, rewrap, rewrap_all, seal};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::internal::v1::GetConnectionSecretRequest;
use posture_proto::v1::CredentialAccessPurpose;
use tokio_util::sync::CancellationToken;

const CRYPTO_ITERATIONS: u32 = 50_000;
const SECRET_CALLS: u32 = 500;
const ROTATION_ROWS: usize = 1_000;

fn results_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    }
}

fn per_second(count: u64, elapsed: std::time::Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(f64::EPSILON)
}

/// Operations per second of seal, open and rewrap on a client-secret-sized value.
fn crypto() -> (f64, f64, f64) {
    let mut ring = keyring(&["k1"]);
    let binding = SecretBinding {
        tenant_id: TENANT_A.parse().expect("tenant id"),
        connection_id: "6a3c0d3e-5a5b-4c4d-8e8f-000000000001"
            .parse()
            .expect("connection id"),
        kind: SecretKind::ClientSecret,
    };
    let started = Instant::now();
    let mut sealed = None;
    for _ in 0..CRYPTO_ITERATIONS {
        sealed = Some(seal(&ring, binding, SECRET.as_bytes()).expect("seal"));
    }
    let seal_rate = per_second(u64::from(CRYPTO_ITERATIONS), started.elapsed());
    let sealed = sealed.expect("sealed once");
    let started = Instant::now();
    for _ in 0..CRYPTO_ITERATIONS {
        std::hint::black_box(open(&ring, binding, &sealed).expect("open"));
    }
    let open_rate = per_second(u64::from(CRYPTO_ITERATIONS), started.elapsed());
    ring.rotate_to(KeyId::new("k2").expect("id"), KeyMaterial::generate());
    let started = Instant::now();
    for _ in 0..CRYPTO_ITERATIONS {
        std::hint::black_box(rewrap(&ring, binding, &sealed).expect("rewrap"));
    }
    let rewrap_rate = per_second(u64::from(CRYPTO_ITERATIONS), started.elapsed());
    (seal_rate, open_rate, rewrap_rate)
}

/// Sequential GetConnectionSecret calls per second over loopback gRPC (SQLite store).
async fn secret_calls() -> f64 {
    let mut h = Harness::start(TestDatabase::sqlite().expect("sqlite")).await;
    h.connections
        .create_connection(create_request(TENANT_A, SECRET))
        .await
        .expect("create");
    let request = GetConnectionSecretRequest {
        tenant_id: TENANT_A.into(),
        purpose: CredentialAccessPurpose::TokenRequest as i32,
    };
    h.vault
        .get_connection_secret(request.clone())
        .await
        .expect("warm up");
    let started = Instant::now();
    for _ in 0..SECRET_CALLS {
        h.vault
            .get_connection_secret(request.clone())
            .await
            .expect("secret");
    }
    let rate = per_second(u64::from(SECRET_CALLS), started.elapsed());
    h.stop().await;
    rate
}

/// Rows re-wrapped per second by one `rewrap_all` pass after a key rotation.
async fn rotation(db: TestDatabase) -> f64 {
    let ring = keyring(&["k1"]);
    let h = Harness::start_with(
        db,
        Options {
            keyring: ring.clone(),
            ..Default::default()
        },
    )
    .await;
    let mut connections = h.connections.clone();
    for n in 0..ROTATION_ROWS {
        let tenant = format!("6f1c8a1e-0000-4000-8000-{n:012}");
        connections
            .create_connection(create_request(&tenant, SECRET))
            .await
            .expect("create");
    }
    let store = h.role.store().clone();
    let mut rotated = ring;
    rotated.rotate_to(KeyId::new("k2").expect("id"), KeyMaterial::generate());
    let started = Instant::now();
    let report = rewrap_all(&store, &rotated, 100, &CancellationToken::new())
        .await
        .expect("rewrap");
    let rate = per_second(report.rewrapped, started.elapsed());
    assert_eq!(report.rewrapped, ROTATION_ROWS as u64);
    h.stop().await;
    rate
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (seal_rate, open_rate, rewrap_rate) = crypto();
    let secret_rate = runtime.block_on(secret_calls());
    let sqlite_rate = runtime.block_on(rotation(TestDatabase::sqlite().expect("sqlite")));
    let postgres_rate =
        runtime.block_on(async { rotation(TestDatabase::postgres().await.expect("postgres")).await });

    println!(
        "vault: {CRYPTO_ITERATIONS} crypto iterations, {SECRET_CALLS} vault calls, {ROTATION_ROWS} rows rotated"
    );
    println!("{:<48} {:>14}", "measure", "per second");
    println!("{:<48} {:>14.0}", "seal (fresh data key, wrap)", seal_rate);
    println!("{:<48} {:>14.0}", "open (unwrap, decrypt)", open_rate);
    println!(
        "{:<48} {:>14.0}",
        "rewrap (unwrap, wrap with new key)", rewrap_rate
    );
    println!(
        "{:<48} {:>14.0}",
        "GetConnectionSecret over gRPC (SQLite, logged)", secret_rate
    );
    println!("{:<48} {:>14.0}", "rewrap_all rows (SQLite)", sqlite_rate);
    println!("{:<48} {:>14.0}", "rewrap_all rows (PostgreSQL)", postgres_rate);

    let json = serde_json::json!({
        "bench": "vault",
        "crypto_iterations": CRYPTO_ITERATIONS,
        "seal_per_second": seal_rate,
        "open_per_second": open_rate,
        "rewrap_per_second": rewrap_rate,
        "get_connection_secret_per_second_sqlite": secret_rate,
        "rewrap_all_rows_per_second_sqlite": sqlite_rate,
        "rewrap_all_rows_per_second_postgres": postgres_rate,
    });
    let dir = results_dir();
    if let Err(error) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("vault.json"), format!("{json:#}\n")))
    {
        eprintln!("could not write {}: {error}", dir.join("vault.json").display());
    }
}
