//! The probe and scrape endpoint over real HTTP: liveness, readiness through start and shutdown,
//! and Prometheus metrics registered by a service.

use std::time::Duration;

use posture_kit::telemetry::MetricsRegistry;
use posture_kit::telemetry::health::{Readiness, serve};
use prometheus_client::metrics::counter::Counter;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.expect("read");
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn readiness_follows_startup_and_shutdown_while_liveness_stays_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let process = CancellationToken::new();
    let readiness = Readiness::new(process.clone());
    // The server outlives the process token so probes can be watched during the drain.
    let server_stop = CancellationToken::new();
    let handle = serve(
        listener,
        MetricsRegistry::new(),
        readiness.clone(),
        server_stop.clone(),
    );

    assert_eq!(get(addr, "/healthz").await.0, 200);
    assert_eq!(
        get(addr, "/readyz").await.0,
        503,
        "not ready before start-up completes"
    );
    readiness.mark_ready();
    assert_eq!(get(addr, "/readyz").await, (200, "ready".to_owned()));
    process.cancel();
    assert_eq!(
        get(addr, "/readyz").await.0,
        503,
        "unready as soon as shutdown begins"
    );
    assert_eq!(get(addr, "/healthz").await.0, 200);

    server_stop.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(5), handle).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))));
}

#[tokio::test]
async fn metrics_endpoint_exposes_registered_counters() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let metrics = MetricsRegistry::new();
    let jobs: Counter = Counter::default();
    metrics.register("sync_jobs", "Sync jobs completed", jobs.clone());
    jobs.inc_by(7);
    let stop = CancellationToken::new();
    serve(listener, metrics, Readiness::new(stop.clone()), stop.clone());

    let (status, body) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("# HELP posture_sync_jobs Sync jobs completed."),
        "{body}"
    );
    assert!(body.contains("posture_sync_jobs_total 7"), "{body}");
    assert!(body.trim_end().ends_with("# EOF"), "{body}");
    stop.cancel();
}
