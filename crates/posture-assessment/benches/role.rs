//! The assessment role end to end for a simulator tenant of `POSTURE_BENCH_USERS` users (default
//! 5,000): the real sync role fills the inventory, the run-completed consumer reads it back over
//! gRPC, evaluates, applies exceptions and stores the findings. Reports the sync time and, from
//! the stored assessments, the time from request to completion of the triggered assessment and
//! of a manual one. The assessment's memory is measured apart from the sync role's: a child
//! process of this bench reads the run's inventory through the sync role's gRPC API, builds the
//! document and evaluates the pack as the role does, and reports its time and peak RSS.
//! SQLite by default; `POSTURE_BENCH_DB=postgres` uses the test PostgreSQL.
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

/// The kinds the sync role reads.
const SYNCED_KINDS: [&str; 12] = [
    "authorization_policy",
    "conditional_access_policies",
    "named_locations",
    "organization",
    "role_assignment_instances",
    "role_assignments",
    "role_definitions",
    "role_eligibility_instances",
    "subscribed_skus",
    "user_registration_details",
    "user_sign_in_activity",
    "users",
];

/// A `/proc/self/status` figure in MiB (Linux only; NaN elsewhere).
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds this process used so far (user and system; Linux only, NaN elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// The child: the role's read, build and evaluate path over the run `run_id` of `tenant_id`,
/// served by the parent's sync role at `endpoint`. Prints one JSON line.
async fn assess_in_child(endpoint: &str, certificates: &str, tenant_id: &str, run_id: &str) {
    use posture_assessment::service::InventoryReader;
    use posture_assessment::{Engine, PolicyPack, TenantDocumentBuilder};
    use posture_proto::v1::sync_service_client::SyncServiceClient;

    let pack = std::sync::Arc::new(PolicyPack::builtin());
    let config = posture_kit::config::GrpcConfig::default();
    let dir = std::path::Path::new(certificates);
    let tls = posture_kit::tls::InternalTls::from_files(posture_kit::tls::PemFiles {
        certificate: dir.join("role.crt"),
        private_key: dir.join("role.key"),
        ca: Some(dir.join("ca.crt")),
    })
    .expect("the parent's certificate for this process");
    let channel =
        posture_kit::grpc::internal_channel(endpoint, posture_kit::ServiceRole::Sync, &tls, &config)
            .expect("channel");
    let run = SyncServiceClient::new(channel.clone())
        .get_sync_run(pb::GetSyncRunRequest {
            tenant_id: tenant_id.to_owned(),
            run_id: run_id.to_owned(),
        })
        .await
        .expect("run is readable")
        .into_inner()
        .run
        .expect("run");
    let resident_before = status_mib("VmRSS:");
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let collections = InventoryReader::new(channel, config.max_message_bytes)
        .collections(&tenant_id.parse().expect("tenant id"), &run)
        .await
        .expect("inventory is read");
    let read_s = started.elapsed().as_secs_f64();
    let peak_after_read = status_mib("VmHWM:");
    let tenant = tenant_id.to_owned();
    let evaluated = tokio::task::spawn_blocking(move || {
        let mut builder =
            TenantDocumentBuilder::new(tenant.clone(), tenant).items_read(pack.collections_read());
        for (kind, collection) in collections {
            builder = builder.collection(kind, collection);
        }
        let document = builder.build();
        let peak = status_mib("VmHWM:");
        (Engine::evaluate_owned(&pack, document), peak)
    })
    .await
    .expect("evaluation");
    let (evaluated, peak_after_build) = evaluated;
    let statuses: Vec<_> = evaluated
        .results
        .iter()
        .map(|r| format!("{} {}", r.control_id, r.status.as_str()))
        .collect();
    println!(
        "{}",
        json!({
            "read_seconds": read_s,
            "total_seconds": started.elapsed().as_secs_f64(),
            "cpu_seconds": cpu_seconds() - cpu_before,
            "evaluation_seconds": evaluated.duration.as_secs_f64(),
            "resident_before_mib": resident_before,
            "peak_rss_mib": status_mib("VmHWM:"),
            "peak_rss_after_read_mib": peak_after_read,
            "peak_rss_after_build_mib": peak_after_build,
            "statuses": statuses,
        })
    );
}

#[tokio::main]
async fn main() {
    if let Ok(child) = std::env::var("POSTURE_BENCH_CHILD") {
        let parts: Vec<&str> = child.split(' ').collect();
        if let [endpoint, certificates, tenant_id, run_id] = parts[..] {
            assess_in_child(endpoint, certificates, tenant_id, run_id).await;
        }
        return;
    }
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
    // Kinds to leave out of the sync, comma-separated: `user_registration_details,user_sign_in_activity`
    // matches the distributed benchmark (the simulator's report endpoints are rate limited).
    let skip: Vec<String> = std::env::var("POSTURE_BENCH_SKIP_KINDS")
        .unwrap_or_default()
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    let kinds: Vec<String> = if skip.is_empty() {
        Vec::new()
    } else {
        SYNCED_KINDS
            .iter()
            .filter(|k| !skip.iter().any(|s| s == *k))
            .map(|k| (*k).to_owned())
            .collect()
    };
    let run = world.sync_kinds(&tenant, kinds).await;
    let sync_s = started.elapsed().as_secs_f64();
    let triggered = world.assessment_of_run(&tenant, &run.run_id).await;
    let after_sync_s = started.elapsed().as_secs_f64() - sync_s;
    let manual = world.assess_now(&tenant).await;
    // The child calls the sync role as the assessment role would: over mutual TLS.
    let certificates = tempfile::tempdir().expect("certificate folder");
    world.identity_files(certificates.path(), &[posture_kit::ServiceRole::Assessment]);
    let child = tokio::process::Command::new(std::env::current_exe().expect("bench executable"))
        .env(
            "POSTURE_BENCH_CHILD",
            format!(
                "{} {} {} {}",
                world.endpoint,
                certificates.path().display(),
                tenant.tenant_id,
                run.run_id
            ),
        )
        .output()
        .await
        .expect("child runs");
    let measured: serde_json::Value = String::from_utf8_lossy(&child.stdout)
        .lines()
        .find_map(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("child failed: {}", String::from_utf8_lossy(&child.stderr)));
    let number = |name: &str| measured[name].as_f64().unwrap_or(f64::NAN);
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
        "  read+build+evaluate in a child process  {:>8.2} s (read {:.2} s, evaluation {:.2} s; {:.2} s CPU)",
        number("total_seconds"),
        number("read_seconds"),
        number("evaluation_seconds"),
        number("cpu_seconds")
    );
    println!(
        "  child peak RSS                          {:>8.1} MiB ({:.1} MiB once read, {:.1} MiB once built, {:.1} MiB before)",
        number("peak_rss_mib"),
        number("peak_rss_after_read_mib"),
        number("peak_rss_after_build_mib"),
        number("resident_before_mib")
    );
    if let Some(statuses) = measured["statuses"].as_array() {
        for status in statuses.iter().filter_map(serde_json::Value::as_str) {
            println!("    {status}");
        }
    }
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
        "child_read_build_evaluate_seconds": number("total_seconds"),
        "child_read_seconds": number("read_seconds"),
        "child_cpu_seconds": number("cpu_seconds"),
        "child_peak_rss_mib": number("peak_rss_mib"),
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
