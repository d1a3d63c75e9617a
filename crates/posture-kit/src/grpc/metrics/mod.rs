//! Prometheus metrics of gRPC calls with the names and labels of go-grpc-prometheus, so the
//! dashboards and alerts written for it work unchanged: `grpc_{server,client}_started_total`,
//! `_handled_total` (with `grpc_code`), `_msg_received_total`, `_msg_sent_total` and the
//! `_handling_seconds` histogram, labelled `grpc_type`, `grpc_service`, `grpc_method`.
//!
//! A call counts as handled when its status is known: from the response headers for a
//! trailers-only answer (every failed unary call in tonic), else from the trailers at the end of
//! the response body; a body dropped before its status counts as `Canceled`. The span of the
//! call, when it declared the field, gets `rpc.grpc.status_code` at the same moment.

mod body;
mod labels;

use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use tonic::body::Body;

pub(crate) use labels::MethodTable;
pub use labels::{UNKNOWN, code_name};

use self::body::{CallEnd, CountedBody, Direction};
use self::labels::{HandledLabels, MethodLabels};
use crate::telemetry::MetricsRegistry;

/// go-grpc-prometheus's default buckets (Prometheus's `DefBuckets`), so histogram queries and
/// heatmaps written for it line up.
const HANDLING_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

type SecondsFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

fn handling_histogram() -> Histogram {
    Histogram::new(HANDLING_BUCKETS)
}

/// Which end of the call this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

#[derive(Debug)]
pub(crate) struct RpcMetrics {
    side: Side,
    methods: RwLock<MethodTable>,
    started: Family<MethodLabels, Counter>,
    handled: Family<HandledLabels, Counter>,
    msg_received: Family<MethodLabels, Counter>,
    msg_sent: Family<MethodLabels, Counter>,
    seconds: SecondsFamily,
    /// The same durations for OTLP (`rpc.{server,client}.call.duration`, seconds), a no-op
    /// unless an OTLP endpoint installed a meter provider before the server or client started.
    otel_duration: opentelemetry::metrics::Histogram<f64>,
}

impl RpcMetrics {
    /// The families for `side` in `registry` (registered on first use, shared by every server or
    /// client of the process after that), knowing `methods` as well.
    pub(crate) fn register(registry: &MetricsRegistry, side: Side, methods: MethodTable) -> Arc<Self> {
        #[derive(Clone)]
        struct Server(Arc<RpcMetrics>);
        #[derive(Clone)]
        struct Client(Arc<RpcMetrics>);
        let metrics = match side {
            Side::Server => {
                registry
                    .shared(|registry| Server(Self::register_new(registry, side)))
                    .0
            }
            Side::Client => {
                registry
                    .shared(|registry| Client(Self::register_new(registry, side)))
                    .0
            }
        };
        metrics.know(methods);
        metrics
    }

    /// Adds `methods` to the labelled ones and starts their `started` and
    /// `handled{grpc_code="OK"}` series at zero.
    fn know(&self, methods: MethodTable) {
        for labels in methods.all() {
            self.started.get_or_create(labels).inc_by(0);
            self.handled
                .get_or_create(&labels.handled(tonic::Code::Ok))
                .inc_by(0);
        }
        self.methods
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .merge(methods);
    }

    fn labels(&self, path: &str) -> MethodLabels {
        self.methods
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .labels(path)
    }

    fn register_new(registry: &MetricsRegistry, side: Side) -> Arc<Self> {
        let metrics = Self {
            side,
            methods: RwLock::default(),
            started: Family::default(),
            handled: Family::default(),
            msg_received: Family::default(),
            msg_sent: Family::default(),
            seconds: Family::new_with_constructor(handling_histogram as fn() -> Histogram),
            otel_duration: opentelemetry::global::meter("posture")
                .f64_histogram(match side {
                    Side::Server => "rpc.server.call.duration",
                    Side::Client => "rpc.client.call.duration",
                })
                .with_unit("s")
                .with_boundaries(HANDLING_BUCKETS.to_vec())
                .build(),
        };
        let (side_name, peer) = match side {
            Side::Server => ("server", "on the server"),
            Side::Client => ("client", "by the client"),
        };
        registry.register_unprefixed(
            &format!("grpc_{side_name}_started"),
            &format!("Total number of RPCs started {peer}"),
            metrics.started.clone(),
        );
        registry.register_unprefixed(
            &format!("grpc_{side_name}_handled"),
            &format!("Total number of RPCs completed {peer}, regardless of success or failure"),
            metrics.handled.clone(),
        );
        registry.register_unprefixed(
            &format!("grpc_{side_name}_msg_received"),
            &format!("Total number of RPC stream messages received {peer}"),
            metrics.msg_received.clone(),
        );
        registry.register_unprefixed(
            &format!("grpc_{side_name}_msg_sent"),
            &format!("Total number of gRPC stream messages sent {peer}"),
            metrics.msg_sent.clone(),
        );
        registry.register_unprefixed(
            &format!("grpc_{side_name}_handling_seconds"),
            &format!(
                "Histogram of response latency (seconds) of gRPC that had been application-level handled {peer}"
            ),
            metrics.seconds.clone(),
        );
        Arc::new(metrics)
    }

    fn messages(&self, direction: Direction, labels: &MethodLabels, count: u64) {
        let family = match (self.side, direction) {
            (Side::Server, Direction::Request) | (Side::Client, Direction::Response) => &self.msg_received,
            (Side::Server, Direction::Response) | (Side::Client, Direction::Request) => &self.msg_sent,
        };
        family.get_or_create(labels).inc_by(count);
    }

    fn finish(&self, labels: &MethodLabels, code: tonic::Code, started: Instant, span: &tracing::Span) {
        let seconds = started.elapsed().as_secs_f64();
        self.seconds.get_or_create(labels).observe(seconds);
        self.otel_duration.record(
            seconds,
            &[
                opentelemetry::KeyValue::new("rpc.system", "grpc"),
                opentelemetry::KeyValue::new("rpc.service", labels.grpc_service.clone()),
                opentelemetry::KeyValue::new("rpc.method", labels.grpc_method.clone()),
                opentelemetry::KeyValue::new("rpc.grpc.status_code", code as i64),
            ],
        );
        self.handled.get_or_create(&labels.handled(code)).inc();
        span.record("rpc.grpc.status_code", code as i32);
    }
}

/// Tower layer recording [`RpcMetrics`]; a no-op without metrics.
#[derive(Debug, Clone, Default)]
pub(crate) struct RpcMetricsLayer {
    pub(crate) metrics: Option<Arc<RpcMetrics>>,
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// A service (a server's routes or a client's channel) whose calls are counted.
#[derive(Debug, Clone)]
pub struct RpcMetricsService<S> {
    inner: S,
    metrics: Option<Arc<RpcMetrics>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, RB> tower::Service<http::Request<Body>> for RpcMetricsService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    RB::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let Some(metrics) = self.metrics.clone() else {
            let response = self.inner.call(request);
            return Box::pin(async move { Ok(response.await?.map(Body::new)) });
        };
        let labels = metrics.labels(request.uri().path());
        metrics.started.get_or_create(&labels).inc();
        let started = Instant::now();
        let span = tracing::Span::current();
        let request = request.map(|body| {
            Body::new(CountedBody::new(
                body,
                Direction::Request,
                Arc::clone(&metrics),
                labels.clone(),
                None,
            ))
        });
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = match response.await {
                Ok(response) => response,
                Err(error) => {
                    // No response at all: the transport failed (client) or the stack refused.
                    let code = match metrics.side {
                        Side::Client => tonic::Code::Unavailable,
                        Side::Server => tonic::Code::Unknown,
                    };
                    metrics.finish(&labels, code, started, &span);
                    return Err(error);
                }
            };
            // tonic answers a failed call with its status in the headers (trailers-only).
            let header_status = response
                .headers()
                .get("grpc-status")
                .map(|value| tonic::Code::from_bytes(value.as_bytes()));
            let end = match header_status {
                Some(code) => {
                    metrics.finish(&labels, code, started, &span);
                    None
                }
                None => Some(CallEnd { started, span }),
            };
            Ok(response
                .map(|body| Body::new(CountedBody::new(body, Direction::Response, metrics, labels, end))))
        })
    }
}
