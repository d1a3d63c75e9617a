//! The lease across processes in NATS KV: bucket `{prefix}_scheduler_lease`, key `active`, value
//! the holder's id. nats-server 2.9 has no per-key TTL, so the bucket's max age is the lease TTL:
//! a renewal rewrites the entry (resetting its age), and a crashed holder's entry ages out. Every
//! write names the revision it read, so two standbys racing for a free lease cannot both win.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_trait::async_trait;
use bytes::Bytes;
use posture_bus::Prefix;
use posture_bus::kv::BucketSpec;

use super::{LeaseError, SchedulerLease};

/// Bucket name under the bus prefix, and the one key in it.
const BUCKET: &str = "scheduler_lease";
const KEY: &str = "active";

#[derive(Clone)]
pub struct NatsKvLease {
    store: kv::Store,
    bucket: String,
    ttl: Duration,
}

impl std::fmt::Debug for NatsKvLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsKvLease")
            .field("bucket", &self.bucket)
            .field("ttl", &self.ttl)
            .finish()
    }
}

fn kv_error(bucket: &str, e: impl std::fmt::Display) -> LeaseError {
    LeaseError::Kv {
        bucket: bucket.to_owned(),
        reason: e.to_string(),
    }
}

/// The lease bucket, `{prefix}_scheduler_lease`; entries age out after `ttl`.
fn spec(ttl: Duration) -> BucketSpec<'static> {
    BucketSpec {
        name: BUCKET,
        description: "active scheduler lease",
        max_age: ttl,
    }
}

impl NatsKvLease {
    /// Creates (or adopts) the lease bucket of `prefix`.
    pub async fn connect(
        client: async_nats::Client,
        prefix: &Prefix,
        ttl: Duration,
    ) -> Result<Self, LeaseError> {
        let spec = spec(ttl);
        let store = posture_bus::kv::bucket(&jetstream::new(client), prefix, &spec).await?;
        Ok(Self {
            store,
            bucket: spec.bucket(prefix),
            ttl,
        })
    }

    /// Removes the bucket (tests and teardown).
    pub async fn delete_bucket(client: async_nats::Client, prefix: &Prefix) -> Result<(), LeaseError> {
        // The max age plays no part in naming or deleting the bucket.
        posture_bus::kv::delete_bucket(&jetstream::new(client), prefix, &spec(Duration::ZERO)).await?;
        Ok(())
    }
}

#[async_trait]
impl SchedulerLease for NatsKvLease {
    async fn acquire(&self, holder: &str) -> Result<bool, LeaseError> {
        let entry = self
            .store
            .entry(KEY)
            .await
            .map_err(|e| kv_error(&self.bucket, e))?;
        let value = Bytes::copy_from_slice(holder.as_bytes());
        match entry {
            Some(entry) if entry.operation == kv::Operation::Put => {
                if entry.value.as_ref() != holder.as_bytes() {
                    return Ok(false);
                }
                match self.store.update(KEY, value, entry.revision).await {
                    Ok(_) => Ok(true),
                    // Someone else wrote since we read: the lease expired and was taken over.
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
                    Err(e) => Err(kv_error(&self.bucket, e)),
                }
            }
            _ => match self.store.create(KEY, value).await {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(kv_error(&self.bucket, e)),
            },
        }
    }

    async fn release(&self, holder: &str) -> Result<(), LeaseError> {
        let entry = self
            .store
            .entry(KEY)
            .await
            .map_err(|e| kv_error(&self.bucket, e))?;
        if let Some(entry) = entry
            && entry.operation == kv::Operation::Put
            && entry.value.as_ref() == holder.as_bytes()
        {
            // Expecting the revision we read keeps us from deleting a lease taken over since.
            if let Err(e) = self.store.delete_expect_revision(KEY, Some(entry.revision)).await {
                tracing::debug!(error = %e, "scheduler lease changed hands before release");
            }
        }
        Ok(())
    }

    fn ttl(&self) -> Duration {
        self.ttl
    }
}
