//! The broker's core: tokens per (tenant, API) served from memory while fresh, and refreshed with
//! at most one token request per key at a time, in this process (one shared flight per key that
//! every concurrent caller awaits) and across replicas (the coordinator's lease and shared slot).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use posture_graph::{AccessToken, GraphError, Resource, RetryPolicy, TokenAcquirer};
use posture_kit::clock::SharedClock;
use posture_kit::ids::TenantId;
use posture_proto::v1::CredentialAccessPurpose;

use crate::cached::{CachedToken, RefreshPolicy};
use crate::coordinator::{CoordinatorError, RefreshCoordinator};
use crate::error::TokensError;
use crate::health;
use crate::key::TokenKey;
use crate::refusal::{Refusal, Refusals};
use crate::vault::{Vault, VaultConnection};

/// The most remaining life a caller can demand; Microsoft's tokens live 60-90 minutes, so a larger
/// demand could never be met and would turn every call into a token request.
pub const MAX_MIN_VALID: Duration = Duration::from_secs(30 * 60);

type Flight = Shared<BoxFuture<'static, Result<CachedToken, Arc<TokensError>>>>;

/// Tunables of the broker.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    pub refresh: RefreshPolicy,
    /// Retries of one token request (5xx, 429, dropped connections).
    pub retry: RetryPolicy,
    /// How long a caller waits for another replica's refresh before giving up.
    pub wait_limit: Duration,
    /// How often a waiting replica looks again when no change notification arrives.
    pub wait_poll: Duration,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        BrokerSettings {
            refresh: RefreshPolicy::default(),
            retry: RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(3),
                max_retry_after: Duration::from_secs(10),
            },
            wait_limit: Duration::from_secs(60),
            wait_poll: Duration::from_millis(500),
        }
    }
}

/// The token broker of one replica. Cheap to clone.
#[derive(Clone)]
pub struct TokenBroker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenBroker")
            .field("replica", &self.inner.replica)
            .field("coordinator", &self.inner.coordinator)
            .finish_non_exhaustive()
    }
}

struct Inner {
    vault: Vault,
    http: reqwest::Client,
    clock: SharedClock,
    settings: BrokerSettings,
    coordinator: Arc<dyn RefreshCoordinator>,
    replica: String,
    cache: RwLock<HashMap<TokenKey, CachedToken>>,
    flights: Mutex<HashMap<TokenKey, Flight>>,
    /// Bumped when a tenant's tokens are dropped, so a refresh that started before the drop does
    /// not put a token issued with the old credential back.
    generations: Mutex<HashMap<TenantId, u64>>,
    refusals: Refusals,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TokenBroker {
    pub fn new(
        vault: Vault,
        http: reqwest::Client,
        clock: SharedClock,
        coordinator: Arc<dyn RefreshCoordinator>,
        settings: BrokerSettings,
    ) -> TokenBroker {
        TokenBroker {
            inner: Arc::new(Inner {
                vault,
                http,
                clock,
                settings,
                coordinator,
                replica: uuid::Uuid::new_v4().to_string(),
                cache: RwLock::new(HashMap::new()),
                flights: Mutex::new(HashMap::new()),
                generations: Mutex::new(HashMap::new()),
                refusals: Refusals::default(),
            }),
        }
    }

    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.settings.retry
    }

    pub fn coordinator(&self) -> &Arc<dyn RefreshCoordinator> {
        &self.inner.coordinator
    }

    /// The remaining life a caller needs: 0 means the refresh lead; capped at [`MAX_MIN_VALID`].
    pub fn min_valid(&self, requested_secs: u32) -> Duration {
        if requested_secs == 0 {
            self.inner.settings.refresh.lead.min(MAX_MIN_VALID)
        } else {
            Duration::from_secs(u64::from(requested_secs)).min(MAX_MIN_VALID)
        }
    }

    /// A token for `key` with at least `min_valid` of life left (when one can have that much).
    pub async fn token(&self, key: &TokenKey, min_valid: Duration) -> Result<CachedToken, Arc<TokensError>> {
        let now = self.inner.clock.now();
        if let Some(token) = self.cached(key)
            && token.serves(now, min_valid)
        {
            return Ok(token);
        }
        if let Some(refused) = self.inner.refusals.get(key) {
            return Err(refused);
        }
        self.join_flight(key, min_valid).await
    }

    pub(crate) fn refusals(&self) -> &Refusals {
        &self.inner.refusals
    }

    fn cached(&self, key: &TokenKey) -> Option<CachedToken> {
        self.inner
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .cloned()
    }

    /// Every concurrent caller for a key awaits the same spawned refresh, which finishes (and
    /// fills the cache) even when all of them give up.
    fn join_flight(&self, key: &TokenKey, min_valid: Duration) -> Flight {
        let mut flights = lock(&self.inner.flights);
        if let Some(flight) = flights.get(key) {
            return flight.clone();
        }
        let broker = self.clone();
        let owned_key = key.clone();
        let task = tokio::spawn(async move {
            let result = broker.refresh(&owned_key, min_valid).await.map_err(Arc::new);
            if let Err(error) = &result
                && matches!(
                    **error,
                    TokensError::Refused { .. } | TokensError::StoredCredentialUnusable { .. }
                )
            {
                broker.inner.refusals.hold(&owned_key, error.clone());
            }
            lock(&broker.inner.flights).remove(&owned_key);
            result
        });
        let flight = async move {
            match task.await {
                Ok(result) => result,
                Err(join) => Err(Arc::new(TokensError::RefreshTask(join.to_string()))),
            }
        }
        .boxed()
        .shared();
        flights.insert(key.clone(), flight.clone());
        flight
    }

    fn generation(&self, tenant: &TenantId) -> u64 {
        lock(&self.inner.generations).get(tenant).copied().unwrap_or(0)
    }

    /// Keeps `token` unless the tenant's tokens were dropped since `generation` was read.
    fn remember(&self, key: &TokenKey, token: &CachedToken, generation: u64) -> bool {
        let generations = lock(&self.inner.generations);
        if generations.get(&key.tenant).copied().unwrap_or(0) != generation {
            return false;
        }
        self.inner
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key.clone(), token.clone());
        true
    }

    async fn refresh(&self, key: &TokenKey, min_valid: Duration) -> Result<CachedToken, TokensError> {
        let generation = self.generation(&key.tenant);
        match self.refresh_coordinated(key, min_valid, generation).await {
            Err(TokensError::Coordination(e)) => {
                // Better one extra token request than no token: the lease is an optimisation.
                tracing::warn!(key = %key, error = %e, "token coordination failed; requesting without it");
                let token = self.request(key).await?;
                self.remember(key, &token, generation);
                Ok(token)
            }
            other => other,
        }
    }

    async fn refresh_coordinated(
        &self,
        key: &TokenKey,
        min_valid: Duration,
        generation: u64,
    ) -> Result<CachedToken, TokensError> {
        let coordinator = &self.inner.coordinator;
        let started = self.inner.clock.now();
        let deadline = Instant::now() + self.inner.settings.wait_limit;
        // Watch before looking, so a token shared in between wakes us.
        let mut waiter = coordinator.watch(key).await?;
        loop {
            if let Some(token) = self.usable_shared(key, min_valid, started).await? {
                self.remember(key, &token, generation);
                return Ok(token);
            }
            if coordinator.try_lease(key, &self.inner.replica).await? {
                let outcome = self.refresh_as_holder(key, min_valid, started, generation).await;
                if let Err(e) = coordinator.release(key, &self.inner.replica).await {
                    tracing::warn!(key = %key, error = %e, "could not release the refresh lease; it will expire");
                }
                return outcome;
            }
            if Instant::now() >= deadline {
                return Err(TokensError::WaitTimedOut {
                    tenant: key.tenant,
                    resource: key.resource,
                });
            }
            waiter.wait(self.inner.settings.wait_poll).await;
        }
    }

    /// A shared token this caller can use: fresh enough, or issued after it started waiting (the
    /// best there is, even if shorter-lived than asked for).
    async fn usable_shared(
        &self,
        key: &TokenKey,
        min_valid: Duration,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<CachedToken>, CoordinatorError> {
        let now = self.inner.clock.now();
        Ok(self
            .inner
            .coordinator
            .shared(key)
            .await?
            .filter(|t| t.serves(now, min_valid) || (t.issued_at >= started && now < t.refresh_at)))
    }

    async fn refresh_as_holder(
        &self,
        key: &TokenKey,
        min_valid: Duration,
        started: chrono::DateTime<chrono::Utc>,
        generation: u64,
    ) -> Result<CachedToken, TokensError> {
        // The previous holder may have shared and released between our look and our lease.
        if let Some(token) = self.usable_shared(key, min_valid, started).await? {
            self.remember(key, &token, generation);
            return Ok(token);
        }
        let token = self.request(key).await?;
        if self.remember(key, &token, generation) {
            self.inner.coordinator.share(key, &token).await?;
        }
        Ok(token)
    }

    /// One token request to the authority, with the credential fetched from the vault for it.
    async fn request(&self, key: &TokenKey) -> Result<CachedToken, TokensError> {
        let connection = self
            .inner
            .vault
            .connection(&key.tenant, CredentialAccessPurpose::TokenRequest)
            .await?;
        let token = match self.acquire(&connection, key.resource).await {
            Ok(token) => token,
            Err(e) => {
                tracing::warn!(tenant = %key.tenant, resource = key.resource.as_str(), error = %e, "token request failed");
                // Graph decides the connection's health; a refused Defender or Management Activity
                // token (no licence) is not a broken connection.
                if key.resource == Resource::Graph
                    && e.health() == Some(posture_graph::HealthClass::AuthenticationError)
                {
                    self.inner.refusals.report(Refusal {
                        tenant: key.tenant,
                        check: health::resource_check(key.resource, Err(&e), &[]),
                        credential_version: connection.credential_version,
                    });
                }
                return Err(TokensError::from_acquire(key.tenant, key.resource, e));
            }
        };
        let cached = CachedToken::issued(
            &token,
            self.inner.clock.now(),
            connection.credential_version,
            &self.inner.settings.refresh,
        );
        tracing::info!(
            tenant = %key.tenant,
            resource = key.resource.as_str(),
            expires_at = %cached.expires_at,
            refresh_at = %cached.refresh_at,
            credential_version = cached.credential_version,
            "access token issued"
        );
        Ok(cached)
    }

    /// Asks the authority directly (no cache, no lease): the connection test's path.
    pub(crate) async fn acquire(
        &self,
        connection: &VaultConnection,
        resource: Resource,
    ) -> Result<AccessToken, GraphError> {
        TokenAcquirer::new(self.inner.http.clone(), connection.app.clone())
            .with_retry(self.inner.settings.retry.clone())
            .acquire(resource)
            .await
    }

    /// Keeps a token the connection test obtained, for this replica and the others.
    pub(crate) async fn adopt(&self, key: &TokenKey, token: &AccessToken, credential_version: u64) {
        let generation = self.generation(&key.tenant);
        let cached = CachedToken::issued(
            token,
            self.inner.clock.now(),
            credential_version,
            &self.inner.settings.refresh,
        );
        if self.remember(key, &cached, generation)
            && let Err(e) = self.inner.coordinator.share(key, &cached).await
        {
            tracing::warn!(key = %key, error = %e, "could not share a tested token");
        }
    }

    /// Drops a tenant's tokens here and in the shared slot; returns how many were dropped.
    pub async fn invalidate(&self, tenant: &TenantId) -> Result<u32, TokensError> {
        let local = self.forget_locally(tenant, None);
        let shared = self.inner.coordinator.forget_tenant(tenant).await?;
        tracing::info!(%tenant, local, shared, "cached tokens dropped");
        Ok(local.max(shared))
    }

    /// Drops this replica's copy of a tenant's tokens (one API, or all of them).
    pub(crate) fn forget_locally(&self, tenant: &TenantId, resource: Option<Resource>) -> u32 {
        self.inner.refusals.clear_tenant(tenant);
        let mut generations = lock(&self.inner.generations);
        let generation = generations.entry(*tenant).or_insert(0);
        *generation = generation.wrapping_add(1);
        let mut cache = self
            .inner
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = cache.len();
        cache.retain(|k, _| &k.tenant != tenant || resource.is_some_and(|r| r != k.resource));
        u32::try_from(before - cache.len()).unwrap_or(u32::MAX)
    }
}
