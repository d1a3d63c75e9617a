//! gRPC plumbing shared by every role: a server builder that adds health checking, reflection,
//! per-call tracing with W3C context extraction, limits and graceful shutdown; client channels; and
//! the principal a forwarded call is made for.

mod client;
mod metrics;
mod principal;
mod server;

pub use client::{
    GrpcClientMetrics, MeteredChannel, TracedChannel, connect_channel, connect_tls_channel, error_chain,
    internal_channel, lazy_channel, traced,
};
pub use metrics::{RpcMetricsService, UNKNOWN, code_name};
pub use principal::{
    MAX_PRINCIPAL_CHARS, PRINCIPAL_METADATA, UNKNOWN_PRINCIPAL, principal, principal_value, set_principal,
};
pub use server::GrpcServer;

#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    #[error("invalid gRPC endpoint `{address}`: {reason}")]
    InvalidEndpoint { address: String, reason: String },
    #[error("cannot connect to {address} within {timeout_secs}s: {reason}")]
    Connect {
        address: String,
        timeout_secs: u64,
        reason: String,
    },
    #[error("invalid descriptor set for reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
}
