//! Telemetry must never take a service down: with the OTLP collector unreachable, start-up,
//! spans, metrics and the final flush all complete. Own binary: installs the global subscriber.

use std::time::{Duration, Instant};

use posture_kit::config::{LogFormat, TelemetryConfig};
use posture_kit::telemetry;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_collector_does_not_panic_or_hang_shutdown() {
    // A port nothing listens on: bind, read the port, release it.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);

    let config = TelemetryConfig {
        log_format: LogFormat::Pretty,
        log_level: "info".into(),
        otlp_endpoint: Some(format!("http://127.0.0.1:{port}")),
        service_name: "posture-test".into(),
    };
    let guard = telemetry::init(&config).expect("init succeeds without a reachable collector");
    assert!(matches!(
        telemetry::init(&config),
        Err(telemetry::TelemetryError::AlreadyInstalled)
    ));

    for n in 0..100 {
        let span = tracing::info_span!("sync.page", page = n);
        let _entered = span.enter();
        tracing::info!(n, "page stored");
    }
    let meter = opentelemetry::global::meter("posture-test");
    let counter = meter.u64_counter("pages_stored").build();
    counter.add(100, &[]);

    let started = Instant::now();
    tokio::task::spawn_blocking(move || guard.shutdown())
        .await
        .expect("shutdown does not panic");
    // Bounded by the export timeout per provider, not by the collector coming back.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "shutdown took {:?}",
        started.elapsed()
    );
}
