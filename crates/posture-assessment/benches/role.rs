//! The assessment role end to end for a simulator tenant of `POSTURE_BENCH_USERS` users (default
//! 5,000): the real sync role fills the inventory, the run-completed consumer reads it back over
//! gRPC, evaluates, applies exceptions and stores the findings. Reports the sync time and, from
//! the stored assessments, the time from request to completion of the triggered assessment and
//! of a manual one. SQLite by default; `POSTURE_BENCH_DB=postgres` uses the test PostgreSQL.
//! Writes target/bench-results/assessment-role.json.

use std::path::PathBuf;
use std::time::Instant;

use posture_graph_sim::{Profile, TenantSpec, ThrottleMode};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use serde_json::json;

// The service tests' world, shared rather than copied; the bench uses only part of it.
#[allow(dead_code)]
#[path = "../tests/service/world.rs"]
mod world;

fn seconds(a: &pb::Assessment) -> f64 {
    let (Some(from), Some(to)) = (a.requested_at, a.completed_at) else {
        return f64::NAN;
    };
    (to.seconds - from.seconds) as f64 + f64::from(to.nanos - from.nanos) / 1e9
}

#[tokio::main]
async fn main() {
    let users: u32 = std::env::var("POSTURE_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let engine = std::env::var("POSTURE_BENCH_DB").unwrap_or_else(|_| "sqlite".to_owned());
    let db = match engine.as_str() {
        "postgres" => TestDatabase::postgres().await,
        _ => TestDatabase::sqlite(),
    }
    .expect("test database");
    let world = world::World::new(db).await;
    let tenant = world
        .tenant(TenantSpec {
            profile: Profile::Typical,
            users,
            throttling: ThrottleMode::Off,
            ..TenantSpec::default()
        })
        .await;

    let started = Instant::now();
    let run = world.sync(&tenant).await;
    let sync_s = started.elapsed().as_secs_f64();
    let triggered = world.assessment_of_run(&tenant, &run.run_id).await;
    let after_sync_s = started.elapsed().as_secs_f64() - sync_s;
    let manual = world.assess_now(&tenant).await;
    let counts = manual.counts.unwrap_or_default();

    println!("assessment role, {users} users, {engine}");
    println!("  first sync (all kinds)                 {sync_s:>8.2} s");
    println!(
        "  triggered assessment, request→complete {:>8.2} s (seen by the client {after_sync_s:.2} s after the run)",
        seconds(&triggered)
    );
    println!(
        "  manual assessment, request→complete    {:>8.2} s",
        seconds(&manual)
    );
    println!(
        "  results: {} pass, {} fail, {} warning, {} n/a, {} error",
        counts.passed, counts.failed, counts.warning, counts.not_applicable, counts.error
    );

    let report = json!({
        "users": users,
        "database": engine,
        "sync_seconds": sync_s,
        "triggered_assessment_seconds": seconds(&triggered),
        "manual_assessment_seconds": seconds(&manual),
        "controls": {"pass": counts.passed, "fail": counts.failed, "warning": counts.warning,
                     "not_applicable": counts.not_applicable, "error": counts.error},
    });
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    };
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("assessment-role.json"), report.to_string()));
    match written {
        Ok(()) => println!("results: {}", dir.join("assessment-role.json").display()),
        Err(e) => eprintln!("could not write {}: {e}", dir.display()),
    }
}
