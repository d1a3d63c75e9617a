//! Errors of the simulator's Rust API and admin API.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    #[error("tenant {0} does not exist in the simulator")]
    UnknownTenant(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("object {id} not found in tenant {tenant}")]
    NotFound { tenant: String, id: String },
    #[error("could not bind or serve: {0}")]
    Io(#[from] std::io::Error),
    #[error("TLS configuration: {0}")]
    Tls(String),
    #[error("signing key: {0}")]
    Crypto(String),
}
