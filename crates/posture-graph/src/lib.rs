//! Client for Microsoft Graph, Defender for Endpoint, the Office 365 Management Activity API and
//! Exchange Online's admin API:
//! client-credentials auth in every cloud, a retrying request core under a shared request budget,
//! paging and delta streams, `$batch`, typed models, the entity catalog and the permission probe.

pub mod activity;
pub mod auth;
pub mod batch;
mod body;
pub mod budget;
pub mod catalog;
pub mod classify;
pub mod client;
pub mod cloud;
pub mod delta;
pub mod error;
pub mod exchange;
pub mod mail_dns;
pub mod metrics;
pub mod models;
pub mod paging;
pub mod probe;
pub mod retry;

pub use auth::{
    AccessToken, AppConnection, CertificateCredential, ClientCredential, DirectTokenSource, TokenAcquirer,
    TokenSource,
};
pub use batch::{BatchItem, BatchItemResponse, BatchOutcome};
pub use budget::{BudgetKey, InProcessBudget, RequestBudget, ServiceFamily, Unlimited};
pub use catalog::{EntityKind, EntitySpec, PagingStyle};
pub use client::{ApiRequest, ApiResponse, GraphClient};
pub use cloud::{Cloud, Endpoints, Resource};
pub use delta::{DeltaChange, DeltaPage, RemovalReason, delta};
pub use error::{GraphError, HealthClass, Licence, RequestIds};
pub use metrics::GraphMetrics;
pub use paging::{Page, Record, entity_pages, pages};
pub use probe::{PermissionCheck, PermissionState, ProbeReport, probe_permissions};
pub use retry::RetryPolicy;

use std::time::Duration;

/// Install ring as the process-wide rustls crypto provider (reqwest is built without one).
/// Safe to call any number of times; a provider installed earlier is kept.
pub fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client Posture uses for Microsoft APIs: the crypto provider installed, sensible
/// timeouts, connection reuse.
pub fn http_client() -> Result<reqwest::Client, GraphError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("posture/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| GraphError::Config {
            reason: format!("cannot build the HTTP client: {e}"),
        })
}
