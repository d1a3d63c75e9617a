//! W3C trace context in message headers: `traceparent`/`tracestate` are injected from the current
//! tracing span on publish and extracted on receive, so one trace follows a job across services.

use async_nats::header::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::headers::Headers;

/// Writes the current span's context into `injector`; does nothing without an OpenTelemetry layer.
pub fn inject_current(injector: &mut dyn Injector) {
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, injector);
}

/// The remote parent carried by `headers` (an empty context when there is none or it is malformed).
pub fn extract(headers: &Headers) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeadersCarrier(headers))
}

/// Same as [`extract`], straight from a NATS header map.
pub fn extract_nats(map: &HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&NatsHeaders(map))
}

/// Makes `span` a child of the context carried in `headers`, when there is one.
pub fn set_parent_from(span: &tracing::Span, headers: &Headers) {
    if headers.contains("traceparent") {
        // Fails only without an OpenTelemetry layer, where there is nothing to parent.
        let _ = span.set_parent(extract(headers));
    }
}

struct HeadersCarrier<'a>(&'a Headers);

impl Extractor for HeadersCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.names().collect()
    }
}

/// Injects into in-process headers; values the propagator produces are always valid header values.
pub struct HeadersInjector<'a>(pub &'a mut Headers);

impl Injector for HeadersInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let Err(err) = self.0.insert(key, value) {
            tracing::warn!(error = %err, "trace context not propagated");
        }
    }
}

/// Injects into and extracts from a NATS header map.
pub struct NatsHeaders<'a>(pub &'a HeaderMap);

impl Extractor for NatsHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let name = key.parse::<async_nats::header::HeaderName>().ok()?;
        self.0.get(name).map(|v| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|(name, _)| AsRef::<str>::as_ref(name))
            .collect()
    }
}

pub struct NatsHeadersInjector<'a>(pub &'a mut HeaderMap);

impl Injector for NatsHeadersInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only writes its own fixed names, but never let async-nats assert on a name.
        match key.parse::<async_nats::header::HeaderName>() {
            Ok(name) => self.0.insert(name, value),
            Err(_) => tracing::warn!(header = key, "trace context not propagated"),
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};

    use super::*;

    fn remote_context() -> (opentelemetry::Context, TraceId) {
        let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap_or(TraceId::INVALID);
        let span_id = SpanId::from_hex("00f067aa0ba902b7").unwrap_or(SpanId::INVALID);
        let span = SpanContext::new(
            trace_id,
            span_id,
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        (
            opentelemetry::Context::new().with_remote_span_context(span),
            trace_id,
        )
    }

    #[test]
    fn trace_context_round_trips_through_in_process_headers() {
        let (cx, trace_id) = remote_context();
        let mut headers = Headers::new();
        TraceContextPropagator::new().inject_context(&cx, &mut HeadersInjector(&mut headers));
        assert_eq!(
            headers.get("traceparent"),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
        assert_eq!(extract(&headers).span().span_context().trace_id(), trace_id);
    }

    #[test]
    fn trace_context_round_trips_through_nats_headers() {
        let (cx, trace_id) = remote_context();
        let mut map = HeaderMap::new();
        TraceContextPropagator::new().inject_context(&cx, &mut NatsHeadersInjector(&mut map));
        assert_eq!(extract_nats(&map).span().span_context().trace_id(), trace_id);
        assert_eq!(
            extract(&Headers::from_nats(&map))
                .span()
                .span_context()
                .trace_id(),
            trace_id
        );
    }

    #[test]
    fn a_malformed_traceparent_yields_no_parent() {
        let headers = Headers::new()
            .with("traceparent", "00-not-a-trace-01")
            .unwrap_or_default();
        assert!(!extract(&headers).span().span_context().is_valid());
    }
}
