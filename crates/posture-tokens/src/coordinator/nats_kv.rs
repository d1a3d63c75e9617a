//! Coordination across processes over NATS KV. Two in-memory buckets per bus prefix:
//! `{prefix}_token_leases`, whose max age is the lease TTL (nats-server 2.9 has no per-key TTL, so
//! a crashed holder's lease simply ages out), and `{prefix}_tokens`, where the lease holder leaves
//! the token sealed with a key derived from the vault keyring. Every replica watches the token
//! bucket so a dropped tenant is dropped from every replica's memory.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use posture_bus::Prefix;
use posture_bus::kv::BucketSpec;
use posture_graph::Resource;
use posture_kit::ids::TenantId;

use super::{ChangeWaiter, CoordinatorError, RefreshCoordinator, wire};
use crate::cached::CachedToken;
use crate::key::TokenKey;
use crate::seal::TokenSealKey;

/// Bucket names under the bus prefix: `{prefix}_token_leases` and `{prefix}_tokens`.
const LEASES_BUCKET: &str = "token_leases";
const TOKENS_BUCKET: &str = "tokens";

/// Longest a shared token entry lives, whatever its own expiry says (tokens last 60-90 minutes).
const TOKEN_ENTRY_MAX_AGE: Duration = Duration::from_secs(3 * 3600);

#[derive(Clone)]
pub struct NatsKvCoordinator {
    leases: kv::Store,
    tokens: kv::Store,
    seal: TokenSealKey,
    leases_bucket: String,
    tokens_bucket: String,
}

impl std::fmt::Debug for NatsKvCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsKvCoordinator")
            .field("leases", &self.leases_bucket)
            .field("tokens", &self.tokens_bucket)
            .field("seal_key", &self.seal.key_id())
            .finish()
    }
}

fn kv_error(bucket: &str, e: impl std::fmt::Display) -> CoordinatorError {
    CoordinatorError::Kv {
        bucket: bucket.to_owned(),
        reason: e.to_string(),
    }
}

impl NatsKvCoordinator {
    /// Creates (or adopts) the buckets of `prefix`. `lease_ttl` bounds how long a crashed lease
    /// holder blocks a refresh.
    pub async fn connect(
        client: async_nats::Client,
        prefix: &Prefix,
        seal: TokenSealKey,
        lease_ttl: Duration,
    ) -> Result<NatsKvCoordinator, CoordinatorError> {
        let js = jetstream::new(client);
        // The shared setup keeps entries in memory: sealed or not, short-lived secrets have no
        // business on disk.
        let leases_spec = BucketSpec {
            name: LEASES_BUCKET,
            description: "token refresh leases",
            max_age: lease_ttl,
        };
        let tokens_spec = BucketSpec {
            name: TOKENS_BUCKET,
            description: "sealed access tokens",
            max_age: TOKEN_ENTRY_MAX_AGE,
        };
        let leases = posture_bus::kv::bucket(&js, prefix, &leases_spec).await?;
        let tokens = posture_bus::kv::bucket(&js, prefix, &tokens_spec).await?;
        let leases_bucket = leases_spec.bucket(prefix);
        let tokens_bucket = tokens_spec.bucket(prefix);
        Ok(NatsKvCoordinator {
            leases,
            tokens,
            seal,
            leases_bucket,
            tokens_bucket,
        })
    }
}

fn parse_kv_key(raw: &str) -> Option<TokenKey> {
    let (tenant, resource) = raw.split_once('.')?;
    let tenant: TenantId = tenant.parse().ok()?;
    let resource = Resource::ALL.into_iter().find(|r| r.as_str() == resource)?;
    Some(TokenKey::new(tenant, resource))
}

struct KvWaiter(futures::stream::SelectAll<kv::Watch>);

#[async_trait]
impl ChangeWaiter for KvWaiter {
    async fn wait(&mut self, timeout: Duration) {
        let _changed_or_timed_out = tokio::time::timeout(timeout, self.0.next()).await;
    }
}

#[async_trait]
impl RefreshCoordinator for NatsKvCoordinator {
    async fn try_lease(&self, key: &TokenKey, holder: &str) -> Result<bool, CoordinatorError> {
        match self
            .leases
            .create(key.kv_key(), Bytes::copy_from_slice(holder.as_bytes()))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(kv_error(&self.leases_bucket, e)),
        }
    }

    async fn release(&self, key: &TokenKey, holder: &str) -> Result<(), CoordinatorError> {
        let entry = self
            .leases
            .entry(key.kv_key())
            .await
            .map_err(|e| kv_error(&self.leases_bucket, e))?;
        if let Some(entry) = entry
            && entry.operation == kv::Operation::Put
            && entry.value.as_ref() == holder.as_bytes()
        {
            // Expecting the revision we read keeps us from deleting a lease someone took since.
            let deleted = self
                .leases
                .delete_expect_revision(key.kv_key(), Some(entry.revision))
                .await;
            if let Err(e) = deleted {
                tracing::debug!(key = %key, error = %e, "refresh lease changed hands before release");
            }
        }
        Ok(())
    }

    async fn shared(&self, key: &TokenKey) -> Result<Option<CachedToken>, CoordinatorError> {
        let kv_key = key.kv_key();
        let Some(sealed) = self
            .tokens
            .get(kv_key.clone())
            .await
            .map_err(|e| kv_error(&self.tokens_bucket, e))?
        else {
            return Ok(None);
        };
        let plain = match self.seal.open(&kv_key, &sealed) {
            Ok(plain) => plain,
            Err(e) => {
                // Another key (rotation) or a damaged entry: refresh rather than fail the caller.
                tracing::warn!(key = %key, error = %e, "ignoring a shared token this replica cannot open");
                return Ok(None);
            }
        };
        match wire::decode(&plain) {
            Ok(token) => Ok(Some(token)),
            Err(reason) => {
                tracing::warn!(key = %key, %reason, "ignoring an unreadable shared token");
                Ok(None)
            }
        }
    }

    async fn share(&self, key: &TokenKey, token: &CachedToken) -> Result<(), CoordinatorError> {
        let kv_key = key.kv_key();
        let sealed = self
            .seal
            .seal(&kv_key, &wire::encode(token))
            .map_err(|e| CoordinatorError::Entry {
                key: kv_key.clone(),
                reason: e.to_string(),
            })?;
        self.tokens
            .put(kv_key, Bytes::from(sealed))
            .await
            .map_err(|e| kv_error(&self.tokens_bucket, e))?;
        Ok(())
    }

    async fn watch(&self, key: &TokenKey) -> Result<Box<dyn ChangeWaiter>, CoordinatorError> {
        let kv_key = key.kv_key();
        let token = self
            .tokens
            .watch(kv_key.clone())
            .await
            .map_err(|e| kv_error(&self.tokens_bucket, e))?;
        let lease = self
            .leases
            .watch(kv_key)
            .await
            .map_err(|e| kv_error(&self.leases_bucket, e))?;
        Ok(Box::new(KvWaiter(futures::stream::select_all([token, lease]))))
    }

    async fn forget_tenant(&self, tenant: &TenantId) -> Result<u32, CoordinatorError> {
        let mut dropped = 0;
        for resource in Resource::ALL {
            let key = TokenKey::new(*tenant, resource);
            let present = self
                .tokens
                .get(key.kv_key())
                .await
                .map_err(|e| kv_error(&self.tokens_bucket, e))?
                .is_some();
            // Purge even when absent: a replica may be about to read an entry written meanwhile.
            self.tokens
                .purge(key.kv_key())
                .await
                .map_err(|e| kv_error(&self.tokens_bucket, e))?;
            if present {
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    async fn forgotten(&self) -> Result<BoxStream<'static, TokenKey>, CoordinatorError> {
        let watch = self
            .tokens
            .watch_all()
            .await
            .map_err(|e| kv_error(&self.tokens_bucket, e))?;
        Ok(watch
            .filter_map(|entry| async move {
                match entry {
                    Ok(entry) if entry.operation != kv::Operation::Put => parse_kv_key(&entry.key),
                    Ok(_) => None,
                    Err(e) => {
                        tracing::warn!(error = %e, "token bucket watch failed");
                        None
                    }
                }
            })
            .boxed())
    }
}
