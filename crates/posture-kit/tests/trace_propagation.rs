//! W3C trace context across a real gRPC call: the client interceptor injects `traceparent`, the
//! server layer makes it the parent of the handler's span. Own test binary because it installs
//! the process-wide subscriber through `telemetry::init`.

mod common;

use opentelemetry::trace::TraceContextExt as _;
use posture_kit::config::{GrpcConfig, LogFormat, TelemetryConfig};
use posture_kit::grpc::{GrpcServer, lazy_channel, traced};
use posture_kit::telemetry;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

#[tokio::test]
async fn handler_span_continues_the_callers_trace_over_grpc() {
    let config = TelemetryConfig {
        log_format: LogFormat::Json,
        log_level: "warn".into(),
        otlp_endpoint: None,
        service_name: "posture-test".into(),
    };
    let guard = telemetry::init(&config).expect("telemetry installs once");

    let server = common::serve(GrpcServer::new(&GrpcConfig::default()).add_service(common::TraceEcho)).await;
    let channel = lazy_channel(&server.address, &GrpcConfig::default()).expect("channel");

    let caller = tracing::info_span!("scheduler.trigger_sync");
    let caller_trace = caller.context().span().span_context().trace_id();
    assert!(
        caller.context().span().span_context().is_valid(),
        "spans get OpenTelemetry ids without an exporter"
    );

    let seen = common::whoami(traced(channel.clone()))
        .instrument(caller.clone())
        .await
        .expect("call succeeds");
    assert_eq!(
        seen,
        caller_trace.to_string(),
        "the handler ran in the caller's trace"
    );

    // Without the interceptor the server starts a trace of its own.
    let untraced = common::whoami(channel)
        .instrument(caller)
        .await
        .expect("call succeeds");
    assert_ne!(untraced, caller_trace.to_string());
    assert_ne!(untraced, opentelemetry::trace::TraceId::INVALID.to_string());

    server.shutdown.cancel();
    guard.shutdown();
}
