//! The plaintext probe and scrape endpoint: `/healthz` (the process is alive), `/readyz` (it has
//! started and is not shutting down) and `/metrics` (Prometheus).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::MetricsRegistry;

/// Ready once start-up is done; unready again as soon as shutdown begins, so load balancers stop
/// sending work while the process drains.
#[derive(Debug, Clone)]
pub struct Readiness {
    started: Arc<AtomicBool>,
    shutdown: CancellationToken,
}

impl Readiness {
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            started: Arc::new(AtomicBool::new(false)),
            shutdown,
        }
    }

    pub fn mark_ready(&self) {
        self.started.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.started.load(Ordering::Acquire) && !self.shutdown.is_cancelled()
    }
}

#[derive(Clone)]
struct HealthState {
    metrics: MetricsRegistry,
    readiness: Readiness,
}

pub fn router(metrics: MetricsRegistry, readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(HealthState { metrics, readiness })
}

async fn readyz(State(state): State<HealthState>) -> impl IntoResponse {
    if state.readiness.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

async fn metrics_text(State(state): State<HealthState>) -> impl IntoResponse {
    match state.metrics.encode() {
        Ok(body) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Serves the health router on `listener` until `shutdown` is cancelled.
pub fn serve(
    listener: TcpListener,
    metrics: MetricsRegistry,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> JoinHandle<std::io::Result<()>> {
    let app = router(metrics, readiness);
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    })
}
