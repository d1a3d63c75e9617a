//! Per-call cost of the shared gRPC server stack (tracing span with context extraction, call
//! metrics, timeout, health service) over loopback, sequential and concurrent. Prints a table and
//! writes target/bench-results/grpc_server.json.

use std::time::{Duration, Instant};

use posture_kit::config::GrpcConfig;
use posture_kit::grpc::{GrpcServer, lazy_channel, traced};
use posture_kit::telemetry::MetricsRegistry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const SEQUENTIAL_CALLS: usize = 3000;
const CONCURRENT_TASKS: usize = 16;
const CALLS_PER_TASK: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Test runners list targets with `--list`; a benchmark has no tests to offer them.
    if std::env::args().any(|arg| arg == "--list") {
        return Ok(());
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let server = GrpcServer::new(&GrpcConfig::default()).metrics(&MetricsRegistry::new());
    tokio::spawn(server.serve(listener, shutdown.clone()));
    let channel = lazy_channel(&address, &GrpcConfig::default())?;
    let request = || HealthCheckRequest {
        service: String::new(),
    };

    let mut client = HealthClient::new(traced(channel.clone()));
    for _ in 0..200 {
        client.check(request()).await?;
    }

    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    let started = Instant::now();
    for _ in 0..SEQUENTIAL_CALLS {
        let call = Instant::now();
        client.check(request()).await?;
        latencies.push(call.elapsed());
    }
    let sequential_elapsed = started.elapsed();
    latencies.sort_unstable();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENT_TASKS {
        let mut client = HealthClient::new(traced(channel.clone()));
        tasks.push(tokio::spawn(async move {
            for _ in 0..CALLS_PER_TASK {
                client
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await?;
            }
            Ok::<(), tonic::Status>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let concurrent_elapsed = started.elapsed();
    shutdown.cancel();

    let sequential_rate = SEQUENTIAL_CALLS as f64 / sequential_elapsed.as_secs_f64();
    let concurrent_calls = CONCURRENT_TASKS * CALLS_PER_TASK;
    let concurrent_rate = concurrent_calls as f64 / concurrent_elapsed.as_secs_f64();
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));

    println!("gRPC server stack over loopback (health Check, tracing + metrics + timeout layers)");
    println!("{:<34} {:>12}", "measure", "value");
    println!("{:<34} {:>12.0}", "sequential calls/s", sequential_rate);
    println!(
        "{:<34} {:>12.1}",
        "sequential p50 latency (us)",
        p50.as_secs_f64() * 1e6
    );
    println!(
        "{:<34} {:>12.1}",
        "sequential p99 latency (us)",
        p99.as_secs_f64() * 1e6
    );
    println!(
        "{:<34} {:>12.0}",
        format!("concurrent calls/s ({CONCURRENT_TASKS} tasks)"),
        concurrent_rate
    );

    let json = serde_json::json!({
        "bench": "grpc_server",
        "sequential_calls": SEQUENTIAL_CALLS,
        "sequential_calls_per_sec": sequential_rate,
        "sequential_p50_us": p50.as_secs_f64() * 1e6,
        "sequential_p99_us": p99.as_secs_f64() * 1e6,
        "concurrent_tasks": CONCURRENT_TASKS,
        "concurrent_calls": concurrent_calls,
        "concurrent_calls_per_sec": concurrent_rate,
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("grpc_server.json"), serde_json::to_string_pretty(&json)?)?;
    Ok(())
}
