//! Prometheus metrics of the gRPC server: calls handled per method and status code, and handling
//! time per method. Methods outside the mounted services are counted as `unknown`, so random
//! paths from a scanner cannot grow the label set without bound.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use crate::telemetry::MetricsRegistry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

type SecondsHistogram = Family<MethodLabels, Histogram, fn() -> Histogram>;

#[derive(Debug)]
pub(crate) struct GrpcMetrics {
    handled: Family<CallLabels, Counter>,
    seconds: SecondsHistogram,
    services: Vec<String>,
}

fn seconds_histogram() -> Histogram {
    // 1 ms .. ~33 s
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl GrpcMetrics {
    pub(crate) fn register(registry: &MetricsRegistry, services: Vec<String>) -> Arc<Self> {
        let metrics = Self {
            handled: Family::default(),
            seconds: Family::new_with_constructor(seconds_histogram as fn() -> Histogram),
            services,
        };
        registry.register(
            "grpc_server_handled",
            "gRPC calls completed, by method and status code",
            metrics.handled.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Time to the response headers of gRPC calls",
            metrics.seconds.clone(),
        );
        Arc::new(metrics)
    }

    fn method_label(&self, path: &str) -> String {
        let service = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        if self.services.iter().any(|known| known == service) {
            path.to_owned()
        } else {
            "unknown".to_owned()
        }
    }

    fn record(&self, method: String, code: tonic::Code, started: Instant) {
        self.seconds
            .get_or_create(&MethodLabels {
                method: method.clone(),
            })
            .observe(started.elapsed().as_secs_f64());
        self.handled
            .get_or_create(&CallLabels {
                method,
                code: format!("{code:?}"),
            })
            .inc();
    }
}

/// Tower layer recording [`GrpcMetrics`]; a no-op when the server has no registry.
#[derive(Debug, Clone, Default)]
pub(crate) struct GrpcMetricsLayer {
    pub(crate) metrics: Option<Arc<GrpcMetrics>>,
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GrpcMetricsService<S> {
    inner: S,
    metrics: Option<Arc<GrpcMetrics>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for GrpcMetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    RB: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let Some(metrics) = self.metrics.clone() else {
            return Box::pin(self.inner.call(request));
        };
        let method = metrics.method_label(request.uri().path());
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await;
            // tonic sends a failed call's status in the headers (trailers-only response); a call
            // whose headers carry none has started streaming its answer and counts as OK.
            let code = match &response {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .map_or(tonic::Code::Ok, |value| tonic::Code::from_bytes(value.as_bytes())),
                Err(_) => tonic::Code::Unknown,
            };
            metrics.record(method, code, started);
            response
        })
    }
}
