//! `/metrics` of a real health server next to a real gRPC server, scraped over HTTP after real
//! calls: the go-grpc-prometheus server and client series with their labels, bounded labels for
//! paths nobody declared, the process metrics and `posture_build_info`.

mod common;

use posture_kit::config::GrpcConfig;
use posture_kit::grpc::{GrpcClientMetrics, GrpcServer, lazy_channel};
use posture_kit::telemetry::health::{Readiness, serve};
use posture_kit::telemetry::{BuildInfo, MetricsRegistry};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.expect("read");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    raw.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// The value of the series written exactly as `series` (name and labels), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn scrape_after_calls_shows_go_grpc_prometheus_series_process_metrics_and_build_info() {
    let registry = MetricsRegistry::for_process(&BuildInfo::new("9.8.7", Some("abc123")));
    let health_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let health_addr = health_listener.local_addr().expect("addr");
    let stop = CancellationToken::new();
    serve(
        health_listener,
        registry.clone(),
        Readiness::new(stop.clone()),
        stop.clone(),
    );

    let server = common::serve(
        GrpcServer::new(&GrpcConfig::default())
            .add_service(common::TraceEcho)
            .descriptor_set(common::descriptor_set())
            .metrics(&registry),
    )
    .await;
    // A second server in the process (standalone runs the gateway next to the internal server)
    // shares the families instead of registering them again.
    let second = common::serve(GrpcServer::new(&GrpcConfig::default()).metrics(&registry)).await;
    GrpcClientMetrics::register(&registry, &[], &[]);
    let clients = GrpcClientMetrics::register(
        &registry,
        &[common::SERVICE, "grpc.health.v1.Health"],
        &[common::descriptor_set(), tonic_health::pb::FILE_DESCRIPTOR_SET],
    );
    let channel = clients.wrap(lazy_channel(&server.address, &GrpcConfig::default()).expect("channel"));

    common::whoami(channel.clone()).await.expect("ok call");
    common::whoami(channel.clone()).await.expect("ok call");
    let missing = common::call(channel.clone(), "/posture.test.v1.TraceEcho/Missing")
        .await
        .expect_err("no such method");
    assert_eq!(missing.code(), tonic::Code::Unimplemented);
    let scanner = common::call(channel.clone(), "/evil.Probe/Random123")
        .await
        .expect_err("no such service");
    assert_eq!(scanner.code(), tonic::Code::Unimplemented);
    let not_found = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .expect_err("unknown service");
    assert_eq!(not_found.code(), tonic::Code::NotFound);

    let text = scrape(health_addr).await;
    let whoami = r#"grpc_type="unary",grpc_service="posture.test.v1.TraceEcho",grpc_method="Whoami""#;
    for side in ["server", "client"] {
        assert_eq!(
            value(&text, &format!("grpc_{side}_started_total{{{whoami}}}")),
            Some(2.0),
            "{side}: {text}"
        );
        assert_eq!(
            value(
                &text,
                &format!(r#"grpc_{side}_handled_total{{{whoami},grpc_code="OK"}}"#)
            ),
            Some(2.0),
            "{side}: {text}"
        );
        assert_eq!(
            value(&text, &format!("grpc_{side}_handling_seconds_count{{{whoami}}}")),
            Some(2.0),
            "{side}: {text}"
        );
        // One request and one response message per unary call, counted from the gRPC framing.
        assert_eq!(
            value(&text, &format!("grpc_{side}_msg_received_total{{{whoami}}}")),
            Some(2.0),
            "{side}: {text}"
        );
        assert_eq!(
            value(&text, &format!("grpc_{side}_msg_sent_total{{{whoami}}}")),
            Some(2.0),
            "{side}: {text}"
        );
        assert_eq!(
            value(
                &text,
                &format!(
                    r#"grpc_{side}_handled_total{{grpc_type="unary",grpc_service="posture.test.v1.TraceEcho",grpc_method="unknown",grpc_code="Unimplemented"}}"#
                )
            ),
            Some(1.0),
            "a mounted service's undeclared method is `unknown` ({side}): {text}"
        );
        assert_eq!(
            value(
                &text,
                &format!(
                    r#"grpc_{side}_handled_total{{grpc_type="unary",grpc_service="unknown",grpc_method="unknown",grpc_code="Unimplemented"}}"#
                )
            ),
            Some(1.0),
            "{side}: {text}"
        );
        assert_eq!(
            value(
                &text,
                &format!(
                    r#"grpc_{side}_handled_total{{grpc_type="unary",grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="NotFound"}}"#
                )
            ),
            Some(1.0),
            "{side}: {text}"
        );
    }
    assert!(
        text.contains(r#"grpc_server_handling_seconds_bucket{le="0.005",grpc_type="unary""#),
        "go-grpc-prometheus buckets: {text}"
    );
    // Declared methods start at zero, so rate() works before the first call.
    assert_eq!(
        value(
            &text,
            r#"grpc_server_started_total{grpc_type="server_stream",grpc_service="grpc.health.v1.Health",grpc_method="Watch"}"#
        ),
        Some(0.0),
        "{text}"
    );
    for family in [
        "grpc_server_handled",
        "grpc_client_handled",
        "grpc_server_handling_seconds",
    ] {
        let declared = format!("# TYPE {family} ");
        assert_eq!(text.matches(&declared).count(), 1, "{family} once: {text}");
    }
    assert!(!text.contains("Random123") && !text.contains("evil"), "{text}");

    assert_eq!(
        value(&text, r#"posture_build_info{version="9.8.7",revision="abc123"}"#),
        Some(1.0),
        "{text}"
    );
    // A test process this young may not have used one 10 ms clock tick of CPU yet.
    let cpu = value(&text, "process_cpu_seconds_total").expect("cpu seconds");
    assert!(cpu >= 0.0, "{text}");
    let rss = value(&text, "process_resident_memory_bytes").expect("rss");
    assert!(rss > 1_000_000.0, "{text}");
    let fds = value(&text, "process_open_fds").expect("open fds");
    assert!(fds >= 3.0, "{text}");
    let start = value(&text, "process_start_time_seconds").expect("start time");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    assert!(start <= now && now - start < 3600.0, "start {start}, now {now}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");

    server.shutdown.cancel();
    second.shutdown.cancel();
    stop.cancel();
}
