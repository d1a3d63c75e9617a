//! A connection test: fresh tokens for every API (not from the cache: the point is to prove the
//! credential works now), then the permission probe for the entity kinds Posture syncs, then the
//! health is recorded with the vault. The credentials role owns the connection state and announces
//! a change of it (`ConnectionHealthChanged`) once; this role never publishes it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use posture_graph::catalog::roles_allow;
use posture_graph::{
    AccessToken, ApiRequest, EntityKind, GraphClient, GraphError, PermissionState, Resource, ServiceFamily,
    TokenSource, probe_permissions,
};
use posture_kit::ids::TenantId;
use posture_kit::time::timestamp;
use posture_proto::v1::{ConnectionHealth, ConnectionState, CredentialAccessPurpose};

use crate::broker::TokenBroker;
use crate::error::TokensError;
use crate::health::{self, PermissionFinding};
use crate::key::TokenKey;
use crate::refusal::Refusal;

const ACTIVITY_PERMISSION: &str = "ActivityFeed.Read";

/// Serves the tokens the test just obtained, so the probe uses exactly those.
struct IssuedTokens(BTreeMap<Resource, AccessToken>);

#[async_trait]
impl TokenSource for IssuedTokens {
    async fn token(&self, resource: Resource) -> Result<AccessToken, GraphError> {
        self.0.get(&resource).cloned().ok_or_else(|| GraphError::Config {
            reason: format!("no {} token was issued during the test", resource.as_str()),
        })
    }
}

/// Runs connection tests and reports them.
#[derive(Clone)]
pub struct ConnectionTester {
    broker: TokenBroker,
    /// The last state this replica recorded per tenant, so a refusal repeated by retrying callers
    /// is recorded once.
    last_states: Arc<Mutex<HashMap<TenantId, ConnectionState>>>,
}

impl std::fmt::Debug for ConnectionTester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionTester").finish_non_exhaustive()
    }
}

impl ConnectionTester {
    pub fn new(broker: TokenBroker) -> ConnectionTester {
        ConnectionTester {
            broker,
            last_states: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Tests, records the result with the vault (which announces a state change), and returns the
    /// health with the credential version it was found with.
    pub async fn test_and_report(&self, tenant: &TenantId) -> Result<(ConnectionHealth, u64), TokensError> {
        let (health, version) = self.test(tenant).await?;
        self.report(tenant, &health, version).await;
        Ok((health, version))
    }

    /// Records a credential refused during a token request, unless this replica already recorded
    /// the tenant in that state (callers may keep retrying; the health does not change).
    pub async fn report_refusal(&self, refusal: Refusal) {
        let state = ConnectionState::try_from(refusal.check.state).unwrap_or(ConnectionState::Unspecified);
        let known = self
            .last_states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&refusal.tenant)
            .copied();
        if known == Some(state) {
            return;
        }
        let health = ConnectionHealth {
            state: refusal.check.state,
            reason: refusal.check.reason.clone(),
            resources: vec![refusal.check],
            checked_at: Some(timestamp(self.broker.clock().now())),
        };
        self.report(&refusal.tenant, &health, refusal.credential_version)
            .await;
    }

    async fn report(&self, tenant: &TenantId, health: &ConnectionHealth, version: u64) {
        let state = ConnectionState::try_from(health.state).unwrap_or(ConnectionState::Unspecified);
        tracing::info!(%tenant, state = state.as_str_name(), credential_version = version, "connection health found");
        match self
            .broker
            .vault()
            .record_health(tenant, health.clone(), version)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::info!(%tenant, version, "the vault kept a newer credential's health"),
            Err(e) => tracing::warn!(%tenant, error = %e, "could not record connection health"),
        }
        self.last_states
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(*tenant, state);
    }

    /// The test itself, without reporting.
    pub async fn test(&self, tenant: &TenantId) -> Result<(ConnectionHealth, u64), TokensError> {
        let connection = self
            .broker
            .vault()
            .connection(tenant, CredentialAccessPurpose::ConnectionTest)
            .await?;
        let mut tokens = BTreeMap::new();
        let mut refusals = BTreeMap::new();
        for resource in Resource::ALL {
            match self.broker.acquire(&connection, resource).await {
                Ok(token) => {
                    let key = TokenKey::new(*tenant, resource);
                    self.broker
                        .adopt(&key, &token, connection.credential_version)
                        .await;
                    tokens.insert(resource, token);
                }
                Err(error) => {
                    refusals.insert(resource, error);
                }
            }
        }
        let client = GraphClient::new(
            self.broker.http().clone(),
            Arc::new(IssuedTokens(tokens.clone())),
            connection.app.endpoints.clone(),
            tenant.to_string(),
            connection.app.client_id.clone(),
        )
        .with_retry(self.broker.retry_policy().clone());
        let findings = self.probe(&client, &tokens).await;
        let mut checks = BTreeMap::new();
        for resource in Resource::ALL {
            let token = match (tokens.get(&resource), refusals.get(&resource)) {
                (Some(token), _) => Ok(token),
                (None, Some(error)) => Err(error),
                (None, None) => continue,
            };
            checks.insert(resource, health::resource_check(resource, token, &findings));
        }
        Ok((
            health::assemble(checks, timestamp(self.broker.clock().now())),
            connection.credential_version,
        ))
    }

    async fn probe(
        &self,
        client: &GraphClient,
        tokens: &BTreeMap<Resource, AccessToken>,
    ) -> Vec<PermissionFinding> {
        let kinds: Vec<EntityKind> = EntityKind::ALL
            .iter()
            .copied()
            .filter(|k| tokens.contains_key(&k.spec().resource))
            .collect();
        let report = probe_permissions(client, &kinds).await;
        let mut findings: Vec<PermissionFinding> = report
            .checks
            .into_iter()
            .map(|c| PermissionFinding {
                probe_endpoint: c.probed_with.map(health::probe_endpoint).unwrap_or_default(),
                permission: c.permission,
                resource: c.resource,
                state: c.state,
            })
            .collect();
        if let Some(token) = tokens.get(&Resource::ManagementActivity) {
            findings.push(self.probe_activity(client, token).await);
        }
        findings
    }

    /// The Management Activity API is not in the entity catalog: one listing of the tenant's
    /// subscriptions checks its permission.
    async fn probe_activity(&self, client: &GraphClient, token: &AccessToken) -> PermissionFinding {
        let relative = format!("{}/activity/feed/subscriptions/list", client.tenant_id());
        let probe_endpoint = format!("GET {}{relative}", health::api_base(Resource::ManagementActivity));
        let state = if !roles_allow(token.roles(), ACTIVITY_PERMISSION) {
            PermissionState::Missing
        } else {
            match client.url(Resource::ManagementActivity, &relative) {
                Err(e) => PermissionState::Unknown(e.to_string()),
                Ok(url) => {
                    let mut request = ApiRequest::get(
                        Resource::ManagementActivity,
                        url,
                        ServiceFamily::ManagementActivity,
                    );
                    request.needs = &[ACTIVITY_PERMISSION];
                    match client.execute(&request).await {
                        Ok(_) | Err(GraphError::NotFound { .. }) => PermissionState::Granted,
                        Err(GraphError::Permission { .. } | GraphError::Authentication { .. }) => {
                            PermissionState::Missing
                        }
                        Err(other) => PermissionState::Unknown(other.to_string()),
                    }
                }
            }
        };
        PermissionFinding {
            permission: ACTIVITY_PERMISSION.to_owned(),
            resource: Resource::ManagementActivity,
            probe_endpoint,
            state,
        }
    }
}
