//! gRPC plumbing shared by every role: a server builder that adds health checking, reflection,
//! per-call tracing with W3C context extraction, limits and graceful shutdown; and client channels.

mod client;
mod metrics;
mod server;

pub use client::{TracedChannel, connect_channel, lazy_channel, traced};
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
