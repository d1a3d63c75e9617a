//! Where a tenant's APIs live and how to call them: the connection's cloud endpoints from the
//! credentials role (TenantConnectionService.GetConnection over gRPC) and tokens from the token
//! broker, assembled into a posture-graph client that shares the role's request budget.

use std::sync::Arc;

use posture_graph::GraphMetrics;
use posture_graph::{Cloud, Endpoints, GraphClient, RequestBudget, RetryPolicy};
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use tonic::Code;
use tonic::transport::Channel;
use url::Url;

use crate::tokens::BrokerTokenSource;

/// Why a tenant's client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("tenant {tenant} has no connection")]
    NotConnected { tenant: TenantId },
    #[error("the connection of tenant {tenant} is unusable: {reason}")]
    Unusable { tenant: TenantId, reason: String },
    #[error("the credentials role is unavailable: {reason}")]
    Unavailable { reason: String },
}

/// Builds per-tenant Graph clients.
#[derive(Clone)]
pub struct TenantDirectory {
    credentials: TenantConnectionServiceClient<Channel>,
    tokens: Channel,
    http: reqwest::Client,
    budget: Arc<dyn RequestBudget>,
    retry: RetryPolicy,
    metrics: Option<GraphMetrics>,
}

impl std::fmt::Debug for TenantDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantDirectory").finish_non_exhaustive()
    }
}

impl TenantDirectory {
    pub fn new(
        credentials: Channel,
        tokens: Channel,
        http: reqwest::Client,
        budget: Arc<dyn RequestBudget>,
        retry: RetryPolicy,
    ) -> Self {
        Self {
            credentials: TenantConnectionServiceClient::new(credentials),
            tokens,
            http,
            budget,
            retry,
            metrics: None,
        }
    }

    /// Clients built from here record their calls into `metrics`.
    pub fn with_metrics(mut self, metrics: GraphMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The tenant's connection, or why there is none.
    pub async fn connection(&self, tenant: &TenantId) -> Result<pb::Connection, ConnectionError> {
        let response = self
            .credentials
            .clone()
            .get_connection(pb::GetConnectionRequest {
                tenant_id: tenant.to_string(),
            })
            .await;
        match response {
            Ok(r) => r
                .into_inner()
                .connection
                .ok_or_else(|| ConnectionError::Unusable {
                    tenant: *tenant,
                    reason: "the credentials role answered without a connection".into(),
                }),
            Err(status) if status.code() == Code::NotFound => {
                Err(ConnectionError::NotConnected { tenant: *tenant })
            }
            Err(status) if status.code() == Code::InvalidArgument => Err(ConnectionError::Unusable {
                tenant: *tenant,
                reason: status.message().to_owned(),
            }),
            Err(status) => Err(ConnectionError::Unavailable {
                reason: format!("{:?}: {}", status.code(), status.message()),
            }),
        }
    }

    /// A Graph client for the tenant with broker tokens and the shared budget.
    pub async fn client(&self, tenant: &TenantId) -> Result<GraphClient, ConnectionError> {
        let connection = self.connection(tenant).await?;
        let endpoints = endpoints(tenant, &connection)?;
        // Long page streams need tokens that outlive a few minutes of paging.
        let tokens = BrokerTokenSource::new(self.tokens.clone(), *tenant).with_min_valid_seconds(300);
        let client = GraphClient::new(
            self.http.clone(),
            Arc::new(tokens),
            endpoints,
            tenant.to_string(),
            connection.client_id,
        )
        .with_budget(self.budget.clone())
        .with_retry(self.retry.clone());
        Ok(match &self.metrics {
            Some(metrics) => client.with_metrics(metrics.clone()),
            None => client,
        })
    }
}

/// The cloud's well-known endpoints with the connection's overrides (custom clouds, the
/// simulator). Scopes stay the cloud's: they name the resource, not the host.
fn endpoints(tenant: &TenantId, connection: &pb::Connection) -> Result<Endpoints, ConnectionError> {
    let unusable = |reason: String| ConnectionError::Unusable {
        tenant: *tenant,
        reason,
    };
    let cloud = pb::Cloud::try_from(connection.cloud).unwrap_or(pb::Cloud::Unspecified);
    let mut base = match cloud {
        pb::Cloud::UsGovGccHigh => Cloud::UsGovHigh.endpoints(),
        pb::Cloud::UsGovDod => Cloud::UsGovDod.endpoints(),
        pb::Cloud::China => Cloud::China.endpoints(),
        _ => Cloud::Global.endpoints(),
    };
    let Some(given) = connection.endpoints.as_ref() else {
        return Ok(base);
    };
    let join = |field: &str, value: &str, suffix: &str| -> Result<Option<Url>, ConnectionError> {
        let value = value.trim().trim_end_matches('/');
        if value.is_empty() {
            return Ok(None);
        }
        Url::parse(&format!("{value}/{suffix}"))
            .map(Some)
            .map_err(|e| unusable(format!("endpoint {field} is not a URL: {e}")))
    };
    if let Some(url) = join("authority_url", &given.authority_url, "")? {
        base.authority = url;
    }
    if let Some(url) = join("graph_url", &given.graph_url, "v1.0/")? {
        base.graph = url;
    }
    if let Some(url) = join("defender_url", &given.defender_url, "api/")? {
        base.defender = url;
    }
    if let Some(url) = join(
        "management_activity_url",
        &given.management_activity_url,
        "api/v1.0/",
    )? {
        base.management = url;
    }
    if let Some(url) = join("exchange_url", &given.exchange_url, "adminapi/beta/")? {
        base.exchange = url;
    }
    Ok(base)
}
