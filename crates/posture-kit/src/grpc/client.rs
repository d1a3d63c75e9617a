//! Client channels between roles. Channels connect lazily and reconnect on their own, so a role
//! can start before the one it calls; the trace interceptor carries the caller's trace context.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use std::sync::Arc;

use tower::Layer as _;

use super::GrpcError;
use super::metrics::{MethodTable, RpcMetrics, RpcMetricsLayer, RpcMetricsService, Side};
use crate::ServiceRole;
use crate::config::GrpcConfig;
use crate::telemetry::MetricsRegistry;
use crate::tls::{ClientTls, InternalTls, role_server_name};
use crate::trace_context::TraceContextInterceptor;

/// A channel whose requests carry W3C trace context; pass it to any generated client's `new`.
pub type TracedChannel = InterceptedService<Channel, TraceContextInterceptor>;

fn endpoint(address: &str, config: &GrpcConfig) -> Result<Endpoint, GrpcError> {
    let endpoint = Endpoint::from_shared(address.to_owned()).map_err(|error| GrpcError::InvalidEndpoint {
        address: address.to_owned(),
        reason: error.to_string(),
    })?;
    Ok(endpoint
        .connect_timeout(config.connect_timeout())
        .timeout(config.request_timeout())
        .tcp_nodelay(true))
}

/// A channel that connects on first use and reconnects after failures.
pub fn lazy_channel(address: &str, config: &GrpcConfig) -> Result<Channel, GrpcError> {
    Ok(endpoint(address, config)?.connect_lazy())
}

/// A channel to `role` at `address` over mutual TLS: it presents this process's role
/// certificate and accepts only a server whose certificate names `role`, whatever the address.
/// Connects on first use, like [`lazy_channel`].
pub fn internal_channel(
    address: &str,
    role: ServiceRole,
    tls: &InternalTls,
    config: &GrpcConfig,
) -> Result<Channel, GrpcError> {
    let connector = tls
        .client()
        .connector(Some(role_server_name(role)))
        .map_err(|error| GrpcError::InvalidEndpoint {
            address: address.to_owned(),
            reason: error.to_string(),
        })?;
    Ok(endpoint(address, config)?.connect_with_connector_lazy(connector))
}

/// Connects now over TLS (`tls` decides the roots and any client certificate), verifying the
/// server's certificate for the host of `address`; fails after `grpc.connect_timeout_secs`.
pub async fn connect_tls_channel(
    address: &str,
    tls: &ClientTls,
    config: &GrpcConfig,
) -> Result<Channel, GrpcError> {
    let connector = tls.connector(None).map_err(|error| GrpcError::InvalidEndpoint {
        address: address.to_owned(),
        reason: error.to_string(),
    })?;
    endpoint(address, config)?
        .connect_with_connector(connector)
        .await
        .map_err(|error| GrpcError::Connect {
            address: address.to_owned(),
            timeout_secs: config.connect_timeout_secs,
            reason: error_chain(&error),
        })
}

/// Connects now, failing after `grpc.connect_timeout_secs` (for CLI commands that want a clear
/// "cannot reach" error up front).
pub async fn connect_channel(address: &str, config: &GrpcConfig) -> Result<Channel, GrpcError> {
    endpoint(address, config)?
        .connect()
        .await
        .map_err(|error| GrpcError::Connect {
            address: address.to_owned(),
            timeout_secs: config.connect_timeout_secs,
            reason: error_chain(&error),
        })
}

/// An error and its sources joined by `: `: tonic's transport error says only "transport error",
/// the reason (refused, a certificate problem, a timeout) is in its sources.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

pub fn traced(channel: Channel) -> TracedChannel {
    InterceptedService::new(channel, TraceContextInterceptor)
}

/// A channel whose calls are counted in the go-grpc-prometheus client metrics.
pub type MeteredChannel = RpcMetricsService<Channel>;

/// The process's gRPC client metrics (`grpc_client_started_total`, `grpc_client_handled_total`,
/// `grpc_client_handling_seconds`, ...): register once per registry, then wrap each channel.
#[derive(Debug, Clone)]
pub struct GrpcClientMetrics {
    metrics: Arc<RpcMetrics>,
}

impl GrpcClientMetrics {
    /// Registers the client families; `services` and `descriptor_sets` name the methods that
    /// get their own labels (any other path is counted as `unknown`).
    pub fn register(registry: &MetricsRegistry, services: &[&str], descriptor_sets: &[&[u8]]) -> Self {
        let services: Vec<String> = services.iter().map(|name| (*name).to_owned()).collect();
        Self {
            metrics: RpcMetrics::register(
                registry,
                Side::Client,
                MethodTable::new(&services, descriptor_sets),
            ),
        }
    }

    /// `channel` with its calls counted; TLS, timeouts and reconnects stay the channel's own.
    pub fn wrap(&self, channel: Channel) -> MeteredChannel {
        RpcMetricsLayer {
            metrics: Some(Arc::clone(&self.metrics)),
        }
        .layer(channel)
    }
}
