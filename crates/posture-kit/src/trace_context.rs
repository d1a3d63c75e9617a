//! W3C trace context (`traceparent`, `tracestate`) carried in gRPC metadata and, through the same
//! `inject_into`/`extract_from` functions, in NATS headers, so one trace follows work across hops.

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tower_http::classify::{GrpcCode, GrpcErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Writes the context of the current `tracing` span into `carrier`.
pub fn inject_into(carrier: &mut dyn Injector) {
    inject_context_into(&Span::current().context(), carrier);
}

/// Writes `cx` into `carrier`.
pub fn inject_context_into(cx: &Context, carrier: &mut dyn Injector) {
    TraceContextPropagator::new().inject_context(cx, carrier);
}

/// Reads a remote parent context from `carrier`; an empty context when there is none or it is
/// malformed (a bad header must never fail the request).
pub fn extract_from(carrier: &dyn Extractor) -> Context {
    TraceContextPropagator::new().extract(carrier)
}

/// Makes the context found in `carrier` the parent of `span`.
pub fn set_parent_from(span: &Span, carrier: &dyn Extractor) {
    let parent = extract_from(carrier);
    // Fails only when no OpenTelemetry layer is installed: then there is nothing to link.
    let _ = span.set_parent(parent);
}

/// [`Injector`]/[`Extractor`] over an `http::HeaderMap` (gRPC requests, NATS headers converted).
pub struct HeaderCarrier<'a>(pub &'a mut HeaderMap);

impl Injector for HeaderCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Read-only [`Extractor`] over an `http::HeaderMap`.
pub struct HeaderReader<'a>(pub &'a HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// [`Injector`] over tonic request metadata.
pub struct MetadataCarrier<'a>(pub &'a mut MetadataMap);

impl Injector for MetadataCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Read-only [`Extractor`] over tonic metadata (`request.metadata()` inside a handler).
pub struct MetadataReader<'a>(pub &'a MetadataMap);

impl Extractor for MetadataReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter_map(|key| match key {
                tonic::metadata::KeyRef::Ascii(key) => Some(key.as_str()),
                tonic::metadata::KeyRef::Binary(_) => None,
            })
            .collect()
    }
}

/// Client side: a tonic interceptor that puts the caller's trace context on every request.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceContextInterceptor;

impl tonic::service::Interceptor for TraceContextInterceptor {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        inject_into(&mut MetadataCarrier(request.metadata_mut()));
        Ok(request)
    }
}

/// The span of one incoming gRPC call, parented to the caller's trace when the request carries one.
pub fn grpc_server_span<B>(request: &http::Request<B>) -> Span {
    let path = request.uri().path();
    let (service, method) = rpc_service_and_method(path);
    // OpenTelemetry's RPC conventions: the span is named `service/method`, and the status code
    // is filled in by the metrics layer when the call's status is known.
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    set_parent_from(&span, &HeaderReader(request.headers()));
    // The trace id as a plain field puts it on every log line of the call, so logs and traces join.
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace_id));
    }
    span
}

/// `/pkg.Service/Method` split into `pkg.Service` and `Method` (`rpc.service`, `rpc.method`).
pub fn rpc_service_and_method(path: &str) -> (&str, &str) {
    path.trim_start_matches('/').split_once('/').unwrap_or((path, ""))
}

/// Server side: a tower layer giving every call a span (method, and the status on failure) whose
/// parent is the caller's trace.
pub type GrpcServerTraceLayer<B> =
    TraceLayer<SharedClassifier<GrpcErrorsAsFailures>, fn(&http::Request<B>) -> Span>;

pub fn grpc_server_trace_layer<B>() -> GrpcServerTraceLayer<B> {
    // Codes caused by the caller are answers, not server failures: they must not log as errors.
    let classifier = [
        GrpcCode::InvalidArgument,
        GrpcCode::NotFound,
        GrpcCode::AlreadyExists,
        GrpcCode::PermissionDenied,
        GrpcCode::Unauthenticated,
        GrpcCode::FailedPrecondition,
        GrpcCode::OutOfRange,
        GrpcCode::ResourceExhausted,
    ]
    .into_iter()
    .fold(GrpcErrorsAsFailures::new(), GrpcErrorsAsFailures::with_success);
    TraceLayer::new(SharedClassifier::new(classifier))
        .make_span_with(grpc_server_span::<B> as fn(&http::Request<B>) -> Span)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn traceparent_round_trips_through_a_header_map() {
        let mut source = HeaderMap::new();
        source.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
        source.insert("tracestate", HeaderValue::from_static("vendor=abc"));
        let cx = extract_from(&HeaderReader(&source));
        assert_eq!(
            cx.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(cx.span().span_context().is_remote());

        let mut copy = HeaderMap::new();
        inject_context_into(&cx, &mut HeaderCarrier(&mut copy));
        assert_eq!(
            copy.get("traceparent").and_then(|v| v.to_str().ok()),
            Some(TRACEPARENT)
        );
        assert_eq!(
            copy.get("tracestate").and_then(|v| v.to_str().ok()),
            Some("vendor=abc")
        );
    }

    #[test]
    fn traceparent_round_trips_through_grpc_metadata() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
        let cx = extract_from(&HeaderReader(&headers));
        let mut metadata = MetadataMap::new();
        inject_context_into(&cx, &mut MetadataCarrier(&mut metadata));
        let back = extract_from(&MetadataReader(&metadata));
        assert_eq!(
            back.span().span_context().trace_id(),
            cx.span().span_context().trace_id()
        );
        assert_eq!(
            back.span().span_context().span_id(),
            cx.span().span_context().span_id()
        );
    }

    #[test]
    fn malformed_traceparent_yields_an_empty_context() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", HeaderValue::from_static("00-zz-garbage-01"));
        let cx = extract_from(&HeaderReader(&headers));
        assert!(!cx.span().span_context().is_valid());
    }
}
