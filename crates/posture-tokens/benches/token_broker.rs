//! Token broker benchmark: GetToken latency for cached tokens over real gRPC on loopback
//! (sequential and concurrent callers), and token requests per (tenant, API) per refresh with three
//! replicas sharing a NATS KV lease. Prints a table and writes target/bench-results/token_broker.json.
//! Targets: p99 < 1 ms for cached tokens; exactly 1 token request per refresh.

#[allow(dead_code)]
#[path = "../tests/tokens/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/tokens/vault_double.rs"]
mod vault_double;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use posture_bus::Prefix;
use posture_graph::Resource;
use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_kit::clock::Clock;
use posture_tokens::{NatsKvCoordinator, RefreshCoordinator, TokenSealKey};

use common::{Replica, World, expires_at, memory_bus};

const SEQUENTIAL_CALLS: usize = 20_000;
const CONCURRENT_TASKS: usize = 16;
const CALLS_PER_TASK: usize = 2_000;
const REFRESH_ROUNDS: usize = 5;
const CALLS_PER_REPLICA_PER_ROUND: usize = 10;

fn results_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    }
}

struct Latency {
    calls: usize,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    max_us: f64,
    calls_per_sec: f64,
}

fn summarize(mut samples: Vec<Duration>, wall: Duration) -> Latency {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[index].as_secs_f64() * 1e6
    };
    Latency {
        calls: samples.len(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        p999_us: at(0.999),
        max_us: at(1.0),
        calls_per_sec: samples.len() as f64 / wall.as_secs_f64(),
    }
}

async fn sequential(broker: &Replica, tenant: &posture_graph_sim::TenantInfo) -> Latency {
    let mut samples = Vec::with_capacity(SEQUENTIAL_CALLS);
    let started = Instant::now();
    for _ in 0..SEQUENTIAL_CALLS {
        let t = Instant::now();
        broker
            .get_token(tenant, Resource::Graph)
            .await
            .expect("cached token");
        samples.push(t.elapsed());
    }
    summarize(samples, started.elapsed())
}

async fn concurrent(broker: &Replica, tenant: &posture_graph_sim::TenantInfo) -> Latency {
    let started = Instant::now();
    let tasks = (0..CONCURRENT_TASKS).map(|_| async {
        let mut samples = Vec::with_capacity(CALLS_PER_TASK);
        for _ in 0..CALLS_PER_TASK {
            let t = Instant::now();
            broker
                .get_token(tenant, Resource::Graph)
                .await
                .expect("cached token");
            samples.push(t.elapsed());
        }
        samples
    });
    let samples: Vec<Duration> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .flatten()
        .collect();
    summarize(samples, started.elapsed())
}

struct Refreshes {
    /// Token requests per refresh, one entry per (round, API).
    per_refresh: Vec<(usize, &'static str, usize)>,
}

async fn replicas_share_refreshes(world: &World) -> Option<Refreshes> {
    let client = match async_nats::connect("nats://127.0.0.1:4222").await {
        Ok(client) => client,
        Err(e) => {
            eprintln!("NATS is not reachable ({e}); skipping the replica measurement");
            return None;
        }
    };
    let tenant = world.tenant(TenantSpec {
        seed: 77,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    });
    let prefix = Prefix::new(format!("bench{}", uuid::Uuid::new_v4().simple())).expect("prefix");
    let seal = TokenSealKey::random();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let coordinator: Arc<dyn RefreshCoordinator> = Arc::new(
            NatsKvCoordinator::connect(client.clone(), &prefix, seal.clone(), Duration::from_secs(10))
                .await
                .expect("KV buckets"),
        );
        replicas.push(world.replica(coordinator, memory_bus()).await);
    }
    let mut per_refresh = Vec::new();
    for round in 0..REFRESH_ROUNDS {
        for resource in Resource::ALL {
            let before = world.token_requests(&tenant);
            let calls = (0..CALLS_PER_REPLICA_PER_ROUND)
                .flat_map(|_| replicas.iter().map(|r| r.get_token(&tenant, resource)));
            for result in futures::future::join_all(calls).await {
                result.expect("token");
            }
            per_refresh.push((round, resource.as_str(), world.token_requests(&tenant) - before));
        }
        // Move every API past its refresh time (lifetimes differ per token, so go by the
        // longest-lived one): the next round is a refresh for each of them.
        let mut latest_expiry = world.clock.now();
        for resource in Resource::ALL {
            let token = replicas[0].get_token(&tenant, resource).await.expect("token");
            latest_expiry = latest_expiry.max(expires_at(&token));
        }
        let step = latest_expiry - world.clock.now() - chrono::Duration::minutes(4);
        world.clock.advance(step);
        world.sim.advance_clock(step.to_std().unwrap_or_default());
    }
    let js = async_nats::jetstream::new(client);
    let _ = js.delete_key_value(format!("{prefix}_token_leases")).await;
    let _ = js.delete_key_value(format!("{prefix}_tokens")).await;
    Some(Refreshes { per_refresh })
}

fn latency_json(l: &Latency) -> String {
    format!(
        r#"{{"calls":{},"p50_us":{:.1},"p99_us":{:.1},"p999_us":{:.1},"max_us":{:.1},"calls_per_sec":{:.0}}}"#,
        l.calls, l.p50_us, l.p99_us, l.p999_us, l.max_us, l.calls_per_sec
    )
}

/// The 1-minute load average: the machine may be shared, and latency percentiles mean little
/// without it.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(-1.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let load_before = load_average();
    let world = World::new().await;
    let tenant = world.tenant(TenantSpec {
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    });
    let broker = world.standalone().await;
    for _ in 0..200 {
        broker
            .get_token(&tenant, Resource::Graph)
            .await
            .expect("warm-up token");
    }
    let seq = sequential(&broker, &tenant).await;
    let conc = concurrent(&broker, &tenant).await;
    let cached_requests = world.token_requests(&tenant);
    let refreshes = replicas_share_refreshes(&world).await;

    let load_after = load_average();
    println!(
        "token broker (GetToken over gRPC on loopback, cached; {} cores, load average {load_before:.1} -> {load_after:.1})",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    println!(
        "{:<28} {:>8} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "case", "calls", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "calls/s"
    );
    for (name, l) in [
        ("sequential", &seq),
        (&*format!("{CONCURRENT_TASKS} concurrent callers"), &conc),
    ] {
        println!(
            "{:<28} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>11.0}",
            name, l.calls, l.p50_us, l.p99_us, l.p999_us, l.max_us, l.calls_per_sec
        );
    }
    println!(
        "token requests for {} cached calls: {cached_requests}",
        seq.calls + conc.calls + 200
    );
    let p99_ok = seq.p99_us < 1000.0;
    println!(
        "target p99 < 1 ms (sequential): {}",
        if p99_ok { "met" } else { "MISSED" }
    );

    let mut refresh_json = String::from("null");
    if let Some(r) = &refreshes {
        println!();
        println!(
            "three replicas, NATS KV lease, {CALLS_PER_REPLICA_PER_ROUND} concurrent calls per replica per API"
        );
        println!("{:<8} {:<24} {:>16}", "round", "api", "token requests");
        for (round, api, requests) in &r.per_refresh {
            println!("{:<8} {:<24} {:>16}", round, api, requests);
        }
        let max = r.per_refresh.iter().map(|(_, _, n)| *n).max().unwrap_or(0);
        let total: usize = r.per_refresh.iter().map(|(_, _, n)| *n).sum();
        let mean = total as f64 / r.per_refresh.len() as f64;
        println!(
            "token requests per refresh: mean {mean:.2}, max {max} (target 1): {}",
            if max == 1 { "met" } else { "MISSED" }
        );
        let rows: Vec<String> = r
            .per_refresh
            .iter()
            .map(|(round, api, n)| format!(r#"{{"round":{round},"api":"{api}","token_requests":{n}}}"#))
            .collect();
        refresh_json = format!(
            r#"{{"replicas":3,"calls_per_replica_per_api":{CALLS_PER_REPLICA_PER_ROUND},"mean_requests_per_refresh":{mean:.2},"max_requests_per_refresh":{max},"refreshes":[{}]}}"#,
            rows.join(",")
        );
    }
    let json = format!(
        r#"{{"bench":"token_broker","load_average_before":{load_before:.2},"load_average_after":{load_after:.2},"cached_sequential":{},"cached_concurrent":{},"cached_token_requests":{cached_requests},"p99_target_us":1000,"p99_target_met":{p99_ok},"replica_refreshes":{refresh_json}}}"#,
        latency_json(&seq),
        latency_json(&conc)
    );
    let dir = results_dir();
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(dir.join("token_broker.json"), &json))
    {
        eprintln!("could not write {}: {e}", dir.display());
    } else {
        println!("\nwrote {}", dir.join("token_broker.json").display());
    }
}
