//! Throughput and latency of both buses: sequential idempotent publishes (each waits for the stream's
//! receipt), draining the queue with one worker (each ack confirmed), and publish→receive→ack round
//! trips. Targets on the local NATS server: ≥ 1,000 publishes/s and a p99 round trip under 20 ms.
//! Prints a table and writes target/bench-results/bus.json.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use posture_bus::{
    Bus, ConsumerConfig, Envelope, MemoryBus, MessageId, NatsBus, NatsBusConfig, Prefix, StreamKind,
    StreamSettings, Subject, SubjectFilter,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const MESSAGES: usize = 2_000;
const ROUND_TRIPS: usize = 300;
const PAYLOAD: usize = 512;

struct Measured {
    backend: &'static str,
    publish_per_s: f64,
    drain_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn subject() -> Subject {
    Subject::new(StreamKind::Jobs, ["sync", "users", "tenant-bench"])
        .unwrap_or_else(|e| panic!("subject: {e}"))
}

fn envelope(i: usize) -> Envelope {
    let id = MessageId::new(format!("bench-{i}")).unwrap_or_else(|e| panic!("id: {e}"));
    Envelope::new(subject(), id, vec![7u8; PAYLOAD])
}

async fn measure(backend: &'static str, bus: Arc<dyn Bus>) -> Measured {
    let filter = SubjectFilter::new(StreamKind::Jobs, ["sync", "users"])
        .and_then(|f| f.any())
        .unwrap_or_else(|e| panic!("filter: {e}"));
    let config = ConsumerConfig::new("bench", filter).unwrap_or_else(|e| panic!("config: {e}"));
    let mut worker = bus
        .consumer(config)
        .await
        .unwrap_or_else(|e| panic!("consumer: {e}"));
    let never = CancellationToken::new();

    let started = Instant::now();
    for i in 0..MESSAGES {
        bus.publish(envelope(i))
            .await
            .unwrap_or_else(|e| panic!("publish: {e}"));
    }
    let publish_per_s = MESSAGES as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    for _ in 0..MESSAGES {
        let delivery = worker
            .next(&never)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("drain"));
        delivery.ack().await.unwrap_or_else(|e| panic!("ack: {e}"));
    }
    let drain_per_s = MESSAGES as f64 / started.elapsed().as_secs_f64();

    let mut latencies: Vec<Duration> = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..ROUND_TRIPS {
        let started = Instant::now();
        bus.publish(envelope(MESSAGES + i))
            .await
            .unwrap_or_else(|e| panic!("publish: {e}"));
        let delivery = worker
            .next(&never)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("receive"));
        delivery.ack().await.unwrap_or_else(|e| panic!("ack: {e}"));
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    let measured = Measured {
        backend,
        publish_per_s,
        drain_per_s,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    };
    let _ = worker.close().await;
    let _ = bus.delete_streams().await;
    measured
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let prefix = || Prefix::new(format!("bench{}", uuid::Uuid::new_v4().simple())).unwrap_or_default();
    let mut results = Vec::new();
    runtime.block_on(async {
        let memory: Arc<dyn Bus> = Arc::new(MemoryBus::new(prefix(), StreamSettings::default()));
        results.push(measure("memory", memory).await);
        let url = std::env::var("POSTURE_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        let config = NatsBusConfig {
            prefix: prefix(),
            ..NatsBusConfig::new(url)
        };
        match NatsBus::connect(config).await {
            Ok(nats) => results.push(measure("nats", Arc::new(nats)).await),
            Err(err) => eprintln!("skipping NATS: {err}"),
        }
    });

    println!("{MESSAGES} jobs of {PAYLOAD} bytes, {ROUND_TRIPS} round trips");
    println!(
        "{:<8} {:>14} {:>14} {:>12} {:>12}",
        "bus", "publish/s", "drain+ack/s", "rt p50 ms", "rt p99 ms"
    );
    for m in &results {
        println!(
            "{:<8} {:>14.0} {:>14.0} {:>12.3} {:>12.3}",
            m.backend, m.publish_per_s, m.drain_per_s, m.p50_ms, m.p99_ms
        );
    }
    let report = json!({
        "messages": MESSAGES,
        "payload_bytes": PAYLOAD,
        "round_trips": ROUND_TRIPS,
        "results": results.iter().map(|m| json!({
            "bus": m.backend,
            "publish_per_s": m.publish_per_s,
            "drain_ack_per_s": m.drain_per_s,
            "round_trip_p50_ms": m.p50_ms,
            "round_trip_p99_ms": m.p99_ms,
        })).collect::<Vec<Value>>(),
    });
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("bench-results"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results"),
    };
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("bus.json"), report.to_string()));
    match written {
        Ok(()) => println!("results: {}", dir.join("bus.json").display()),
        Err(e) => eprintln!("could not write {}: {e}", dir.display()),
    }
}
