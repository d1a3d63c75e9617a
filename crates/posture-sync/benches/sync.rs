//! Sync throughput: a first full sync of a 100,000-user typical tenant (no simulated latency, no
//! throttling), an unchanged re-sync (time and inventory rows written, which must be 0), peak
//! RSS, the same re-sync without the delta link (every object listed and compared by hash), and
//! a first sync with 300 ms of simulated latency per page against the sequential paging bound
//! (pages × latency). Prints a table and writes target/bench-results/sync.json
//! (`sync-postgres.json` on PostgreSQL).
//! `POSTURE_BENCH_DB=postgres` runs on PostgreSQL instead of SQLite; `POSTURE_BENCH_USERS` and
//! `POSTURE_BENCH_LATENCY_USERS` change the tenant sizes.

#[path = "../tests/sync/world.rs"]
#[allow(dead_code)]
mod world;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use world::{entity, settings, sync_and_wait};

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn database() -> TestDatabase {
    match std::env::var("POSTURE_BENCH_DB").as_deref() {
        Ok("postgres") => TestDatabase::postgres().await.expect("postgres"),
        _ => TestDatabase::sqlite().expect("sqlite"),
    }
}

fn results_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    }
}

#[tokio::main]
async fn main() {
    let users = env_number("POSTURE_BENCH_USERS", 100_000);
    let latency_users = env_number("POSTURE_BENCH_LATENCY_USERS", 20_000);
    let backend = std::env::var("POSTURE_BENCH_DB").unwrap_or_else(|_| "sqlite".into());

    // Part 1: the big tenant, no latency, no throttling.
    let world = world::new_world(database().await).await;
    let tenant = world
        .tenant(TenantSpec {
            users,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(world::SyncSettings::default()).await;
    let started = Instant::now();
    let first = sync_and_wait(&process, &tenant, &["users"]).await;
    let first_secs = started.elapsed().as_secs_f64();
    assert_eq!(first.state, pb::SyncRunState::Succeeded as i32, "{first:#?}");
    let stored = entity(&first, "users").counts.map_or(0, |c| c.added);
    let first_pages = entity(&first, "users").pages;

    let rows_before = process.role.rows_written();
    let started = Instant::now();
    let again = sync_and_wait(&process, &tenant, &["users"]).await;
    let resync_secs = started.elapsed().as_secs_f64();
    assert_eq!(again.state, pb::SyncRunState::Succeeded as i32);
    let resync_rows = process.role.rows_written() - rows_before;
    // The same without the delta link: every user is listed again and compared by hash.
    let tid = posture_kit::ids::TenantId::from_uuid(tenant.tenant_id).expect("tenant id");
    process
        .role
        .store()
        .set_cursor(&tid, "users", &posture_sync::store::Cursor::default())
        .await
        .expect("cursor reset");
    let rows_before = process.role.rows_written();
    let started = Instant::now();
    let full = sync_and_wait(&process, &tenant, &["users"]).await;
    let full_resync_secs = started.elapsed().as_secs_f64();
    assert_eq!(full.state, pb::SyncRunState::Succeeded as i32);
    let full_resync_rows = process.role.rows_written() - rows_before;
    let full_unchanged = entity(&full, "users").counts.map_or(0, |c| c.unchanged);
    let rss = peak_rss_mib();
    drop(process);
    drop(world);

    // Part 2: 300 ms per page; the bound is what strictly sequential paging must take.
    let latency_ms = 300u64;
    let world = world::new_world(database().await).await;
    let tenant = world
        .tenant(TenantSpec {
            users: latency_users,
            throttling: ThrottleMode::Off,
            faults: Some(world::slow_users(latency_ms)),
            ..TenantSpec::default()
        })
        .await;
    let process = world.start_sync(settings()).await;
    let started = Instant::now();
    let slow = sync_and_wait(&process, &tenant, &["users"]).await;
    let slow_secs = started.elapsed().as_secs_f64();
    assert_eq!(slow.state, pb::SyncRunState::Succeeded as i32);
    let slow_pages = entity(&slow, "users").pages;
    let bound_secs = Duration::from_millis(latency_ms * u64::from(slow_pages)).as_secs_f64();
    let over_bound = (slow_secs / bound_secs - 1.0) * 100.0;

    let objects_per_sec = stored as f64 / first_secs;
    println!("sync benchmark ({backend}, users kind, in-process simulator)");
    println!("{:<46} {:>14}", "measure", "value");
    println!(
        "{:<46} {:>14}",
        format!("first sync of {users} users (s)"),
        format!("{first_secs:.2}")
    );
    println!(
        "{:<46} {:>14}",
        "  pages / objects stored",
        format!("{first_pages} / {stored}")
    );
    println!(
        "{:<46} {:>14}",
        "  objects per second",
        format!("{objects_per_sec:.0}")
    );
    println!(
        "{:<46} {:>14}",
        "unchanged re-sync (s)",
        format!("{resync_secs:.2}")
    );
    println!("{:<46} {:>14}", "  inventory rows written", resync_rows);
    println!(
        "{:<46} {:>14}",
        "unchanged full re-read, no delta link (s)",
        format!("{full_resync_secs:.2}")
    );
    println!("{:<46} {:>14}", "  objects compared unchanged", full_unchanged);
    println!("{:<46} {:>14}", "  inventory rows written", full_resync_rows);
    println!(
        "{:<46} {:>14}",
        "peak RSS incl. simulator (MiB)",
        format!("{rss:.0}")
    );
    println!(
        "{:<46} {:>14}",
        format!("first sync, {latency_users} users, {latency_ms} ms/page (s)"),
        format!("{slow_secs:.2}")
    );
    println!(
        "{:<46} {:>14}",
        format!("  sequential bound, {slow_pages} pages (s)"),
        format!("{bound_secs:.2}")
    );
    println!(
        "{:<46} {:>14}",
        "  over the bound (%)",
        format!("{over_bound:.1}")
    );

    let json = serde_json::json!({
        "backend": backend,
        "users": users,
        "first_sync_secs": first_secs,
        "first_sync_pages": first_pages,
        "objects_stored": stored,
        "objects_per_sec": objects_per_sec,
        "unchanged_resync_secs": resync_secs,
        "unchanged_resync_rows_written": resync_rows,
        "unchanged_full_reread_secs": full_resync_secs,
        "unchanged_full_reread_objects": full_unchanged,
        "unchanged_full_reread_rows_written": full_resync_rows,
        "peak_rss_mib": rss,
        "latency_users": latency_users,
        "latency_ms_per_page": latency_ms,
        "latency_sync_secs": slow_secs,
        "latency_pages": slow_pages,
        "sequential_bound_secs": bound_secs,
        "over_bound_percent": over_bound,
        "targets": {"first_sync_secs": 60, "unchanged_resync_secs": 10, "over_bound_percent": 15},
    });
    let dir = results_dir();
    let _ = std::fs::create_dir_all(&dir);
    // The default (SQLite, standalone) is `sync.json`; other engines get their own file.
    let name = if backend == "sqlite" {
        "sync.json".to_owned()
    } else {
        format!("sync-{backend}.json")
    };
    let path = dir.join(name);
    match std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap_or_default()) {
        Ok(()) => println!("wrote {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
}
