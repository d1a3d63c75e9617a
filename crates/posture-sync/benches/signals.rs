//! Security signals at scale: a 100,000-user tenant with 20,000 Intune devices and 50,000
//! Defender for Endpoint machines (one open vulnerability each in the typical profile: 50,000
//! vulnerability rows), synced kind by kind; then a day of Management Activity content at about a
//! million records (8,334 per hourly blob over five content types) read into the audit store.
//! Reports, per part: time, objects or events per second, and the database growth per object and
//! per day of events (SQLite: the database files after a WAL checkpoint; PostgreSQL:
//! `pg_database_size`). No simulated
//! latency or throttling: the figures are Posture's own cost. Prints a table and writes
//! target/bench-results/signals.json. It runs on PostgreSQL (`POSTURE_BENCH_DB=sqlite`: on
//! SQLite, to `signals-sqlite.json`); `POSTURE_BENCH_SIGNALS_SCALE` (default 1.0) scales every
//! size for a quick run.

#[path = "../tests/sync/world.rs"]
#[allow(dead_code)]
mod world;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use posture_graph_sim::{Sizes, TenantSpec, ThrottleMode};
use posture_kit::clock::ManualClock;
use posture_kit::db::Backend;
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_sync::audit::{AuditIngest, CONTENT_TYPES};
use serde_json::json;
use world::{entity, sync_and_wait, tenant_id};

fn scale() -> f64 {
    std::env::var("POSTURE_BENCH_SIGNALS_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0)
}

fn scaled(n: u32) -> u32 {
    ((f64::from(n) * scale()).round() as u32).max(1)
}

/// PostgreSQL unless `POSTURE_BENCH_DB=sqlite`: storage per object is read from
/// `pg_database_size`, which SQLite's page-reusing files only approximate.
async fn database() -> TestDatabase {
    match std::env::var("POSTURE_BENCH_DB").as_deref() {
        Ok("sqlite") => TestDatabase::sqlite().expect("sqlite"),
        _ => TestDatabase::postgres().await.expect("postgres"),
    }
}

fn results_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    }
}

/// Bytes the database holds now: every SQLite file (main, WAL) or PostgreSQL's database size.
async fn database_bytes(db: &TestDatabase) -> u64 {
    match db.backend() {
        Backend::Sqlite => {
            // Fold the write-ahead log into the database first, so the files' size is the data's.
            {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::SqliteConnection::connect(db.url()).await {
                    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            }
            let path = db.url().trim_start_matches("sqlite://");
            let dir = std::path::Path::new(path).parent().expect("a directory");
            std::fs::read_dir(dir)
                .expect("the database directory")
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(db.url()).await.expect("connect");
            let (bytes,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())")
                .fetch_one(&mut conn)
                .await
                .expect("database size");
            u64::try_from(bytes).unwrap_or(0)
        }
    }
}

struct Part {
    name: String,
    items: u64,
    secs: f64,
    bytes: u64,
}

impl Part {
    fn per_second(&self) -> f64 {
        self.items as f64 / self.secs.max(1e-9)
    }

    fn bytes_per_item(&self) -> f64 {
        self.bytes as f64 / (self.items.max(1) as f64)
    }
}

#[tokio::main]
async fn main() {
    let users = scaled(100_000);
    let devices = scaled(20_000);
    let machines = scaled(50_000);
    let per_blob = scaled(8_334);
    let backend = match std::env::var("POSTURE_BENCH_DB").as_deref() {
        Ok("sqlite") => "sqlite".to_owned(),
        _ => "postgres".to_owned(),
    };

    let world = world::new_world(database().await).await;
    let tenant = world
        .tenant(TenantSpec {
            users,
            throttling: ThrottleMode::Off,
            sizes: Sizes {
                devices: Some(devices),
                machines: Some(machines),
                audit_records_per_blob: Some(per_blob),
            },
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(world::settings()).await;

    // Part 1: the signal kinds, one run each, so each kind's time and storage are its own.
    let mut parts = Vec::new();
    for kind in [
        "managed_devices",
        "defender_machines",
        "defender_vulnerabilities",
        "security_alerts",
    ] {
        let before = database_bytes(&world.db).await;
        let started = Instant::now();
        let run = sync_and_wait(&process, &tenant, &[kind]).await;
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(run.state, pb::SyncRunState::Succeeded as i32, "{run:#?}");
        let added = entity(&run, kind).counts.map_or(0, |c| c.added);
        parts.push(Part {
            name: kind.to_owned(),
            items: added,
            secs,
            bytes: database_bytes(&world.db).await.saturating_sub(before),
        });
    }

    // Part 2: one day of the Management Activity feed. The streams start a day back (as a
    // tenant read daily stands), so the read covers exactly the last 24 hours.
    let now = world.sim.now();
    let tid = tenant_id(&tenant);
    let ingest = AuditIngest {
        clock: Arc::new(ManualClock::new(now)),
        ..process.role.audit().clone()
    };
    let day_ago = now - chrono::Duration::hours(24);
    for content_type in CONTENT_TYPES {
        process
            .role
            .store()
            .save_audit_stream(&tid, content_type, Some(day_ago), None, now)
            .await
            .expect("stream positioned a day back");
    }
    let connection = ingest.directory.connection(&tid).await.expect("connection");
    let client = ingest.directory.client(&tid).await.expect("client");
    let before = database_bytes(&world.db).await;
    let started = Instant::now();
    let mut events = 0;
    for content_type in CONTENT_TYPES {
        let read = ingest
            .read_stream(&client, tid, content_type, &connection.client_id)
            .await
            .expect("stream read");
        events += read.added;
    }
    let secs = started.elapsed().as_secs_f64();
    parts.push(Part {
        name: "audit feed, one day".to_owned(),
        items: events,
        secs,
        bytes: database_bytes(&world.db).await.saturating_sub(before),
    });
    process.stop().await;

    let peak_rss_mib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    println!(
        "security signals at scale ({backend}): {users} users, {devices} devices, {machines} machines, {per_blob} audit records per blob"
    );
    println!(
        "{:<28} {:>10} {:>9} {:>12} {:>13} {:>11}",
        "part", "objects", "seconds", "per second", "storage MiB", "bytes/obj"
    );
    for p in &parts {
        println!(
            "{:<28} {:>10} {:>9.2} {:>12.0} {:>13.1} {:>11.0}",
            p.name,
            p.items,
            p.secs,
            p.per_second(),
            p.bytes as f64 / 1_048_576.0,
            p.bytes_per_item()
        );
    }
    println!("peak RSS of the benchmark process (simulator and sync role): {peak_rss_mib:.0} MiB");
    println!("load average at the end: {}", load.trim());

    let json = json!({
        "backend": backend,
        "users": users,
        "devices": devices,
        "machines": machines,
        "audit_records_per_blob": per_blob,
        "parts": parts.iter().map(|p| json!({
            "part": p.name,
            "objects": p.items,
            "seconds": p.secs,
            "objects_per_second": p.per_second(),
            "storage_bytes": p.bytes,
            "bytes_per_object": p.bytes_per_item(),
        })).collect::<Vec<_>>(),
        "peak_rss_mib": peak_rss_mib,
        "load_average": load.trim(),
    });
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("results directory");
    let file = if backend == "sqlite" {
        "signals-sqlite.json"
    } else {
        "signals.json"
    };
    std::fs::write(dir.join(file), serde_json::to_string_pretty(&json).expect("json"))
        .expect("results written");
}
