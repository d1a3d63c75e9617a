//! Client channels between roles. Channels connect lazily and reconnect on their own, so a role
//! can start before the one it calls; the trace interceptor carries the caller's trace context.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use super::GrpcError;
use crate::config::GrpcConfig;
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

/// Connects now, failing after `grpc.connect_timeout_secs` (for CLI commands that want a clear
/// "cannot reach" error up front).
pub async fn connect_channel(address: &str, config: &GrpcConfig) -> Result<Channel, GrpcError> {
    endpoint(address, config)?
        .connect()
        .await
        .map_err(|error| GrpcError::Connect {
            address: address.to_owned(),
            timeout_secs: config.connect_timeout_secs,
            reason: error.to_string(),
        })
}

pub fn traced(channel: Channel) -> TracedChannel {
    InterceptedService::new(channel, TraceContextInterceptor)
}
