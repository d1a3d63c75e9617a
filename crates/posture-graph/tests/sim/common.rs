//! A simulator with one tenant, and clients wired to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use posture_graph::{
    AccessToken, AppConnection, ClientCredential, Endpoints, GraphClient, GraphError, Page, Resource,
    RetryPolicy, TokenAcquirer, TokenSource,
};
use posture_graph_sim::{FaultRule, FaultSpec, RequestRecord, SimConfig, Simulator, TenantInfo, TenantSpec};
use secrecy::SecretString;

pub struct Rig {
    pub sim: Simulator,
    pub tenant: TenantInfo,
    pub endpoints: Endpoints,
    pub http: reqwest::Client,
}

/// A simulator whose clock follows wall time (so request-log times measure real waits).
pub async fn rig(spec: TenantSpec) -> Rig {
    posture_graph::install_crypto_provider();
    let config = SimConfig {
        clock_runs: true,
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await.expect("simulator starts");
    let tenant = sim.create_tenant(spec).expect("tenant is created");
    let endpoints = Endpoints::path_routed(&sim.base_url()).expect("path-routed endpoints");
    let http = posture_graph::http_client().expect("http client");
    Rig {
        sim,
        tenant,
        endpoints,
        http,
    }
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        max_retry_after: Duration::from_secs(30),
    }
}

impl Rig {
    pub fn tenant_id(&self) -> String {
        self.tenant.tenant_id.to_string()
    }

    pub fn client_id(&self) -> String {
        self.tenant.client_id.to_string()
    }

    pub fn secret(&self) -> SecretString {
        SecretString::from(self.tenant.client_secret.expose().to_owned())
    }

    pub fn connection(&self, credential: ClientCredential) -> AppConnection {
        AppConnection {
            tenant_id: self.tenant_id(),
            client_id: self.client_id(),
            credential,
            endpoints: self.endpoints.clone(),
        }
    }

    pub fn acquirer(&self) -> TokenAcquirer {
        TokenAcquirer::new(
            self.http.clone(),
            self.connection(ClientCredential::Secret(self.secret())),
        )
        .with_retry(fast_retry())
    }

    /// A client that asks for each token once per resource, with a quick retry policy.
    pub fn client(&self) -> GraphClient {
        GraphClient::new(
            self.http.clone(),
            Arc::new(TokenPerResource::new(self.acquirer())),
            self.endpoints.clone(),
            self.tenant_id(),
            self.client_id(),
        )
        .with_retry(fast_retry())
    }

    /// Applies one fault rule to the tenant's requests, deterministic for `seed`.
    pub fn fault(&self, seed: u64, rule: FaultRule) {
        self.sim
            .set_faults(
                &self.tenant_id(),
                FaultSpec {
                    seed,
                    rules: vec![rule],
                },
            )
            .expect("faults set");
    }

    /// Every user, read 50 per page through the paging stream, so faults hit many pages.
    pub async fn users_in_pages_of_50(&self) -> Result<Vec<Page<posture_graph::models::User>>, GraphError> {
        let client = self.client();
        let url = client
            .url(Resource::Graph, "users?$select=id&$top=50")
            .expect("url");
        let first = posture_graph::EntityKind::Users.spec().request_at(url);
        collect(posture_graph::pages(
            client,
            first,
            posture_graph::PagingStyle::NextLink,
            50,
        ))
        .await
    }

    /// API requests of the tenant (token requests excluded).
    pub fn api_log(&self) -> Vec<RequestRecord> {
        self.sim
            .request_log(&self.tenant_id())
            .into_iter()
            .filter(|r| !r.api.starts_with("login"))
            .collect()
    }
}

/// Test token source: one token per resource for the life of the test.
pub struct TokenPerResource {
    acquirer: TokenAcquirer,
    cache: Mutex<HashMap<Resource, AccessToken>>,
}

impl TokenPerResource {
    pub fn new(acquirer: TokenAcquirer) -> Self {
        TokenPerResource {
            acquirer,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl TokenSource for TokenPerResource {
    async fn token(&self, resource: Resource) -> Result<AccessToken, GraphError> {
        if let Some(t) = self.cache.lock().expect("cache lock").get(&resource) {
            return Ok(t.clone());
        }
        let t = self.acquirer.acquire(resource).await?;
        self.cache.lock().expect("cache lock").insert(resource, t.clone());
        Ok(t)
    }

    async fn invalidate(&self, resource: Resource) {
        self.cache.lock().expect("cache lock").remove(&resource);
    }
}

/// Drain a page stream.
pub async fn collect<T>(
    stream: impl futures::Stream<Item = Result<Page<T>, GraphError>>,
) -> Result<Vec<Page<T>>, GraphError> {
    let mut stream = std::pin::pin!(stream);
    let mut pages = Vec::new();
    while let Some(page) = stream.next().await {
        pages.push(page?);
    }
    Ok(pages)
}
