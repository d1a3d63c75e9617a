//! The lease across processes in NATS KV: bucket `{prefix}_scheduler_lease`, key `active`, value
//! the holder's id. nats-server 2.9 has no per-key TTL, so the bucket's max age is the lease TTL:
//! a renewal rewrites the entry (resetting its age), and a crashed holder's entry ages out. Every
//! write names the revision it read, so two standbys racing for a free lease cannot both win.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_trait::async_trait;
use bytes::Bytes;
use posture_bus::Prefix;

use super::{LeaseError, SchedulerLease};

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

impl NatsKvLease {
    /// Creates (or adopts) the lease bucket of `prefix`.
    pub async fn connect(
        client: async_nats::Client,
        prefix: &Prefix,
        ttl: Duration,
    ) -> Result<Self, LeaseError> {
        let js = jetstream::new(client);
        let bucket = format!("{prefix}_scheduler_lease");
        // The stream is created directly with the settings of a KV bucket: the client's own bucket
        // creation expects an account-limits reply that nats-server 2.9 does not give.
        let config = jetstream::stream::Config {
            name: format!("KV_{bucket}"),
            description: Some("active scheduler lease".to_owned()),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            max_age: ttl,
            storage: jetstream::stream::StorageType::Memory,
            allow_rollup: true,
            deny_delete: true,
            deny_purge: false,
            allow_direct: true,
            discard: jetstream::stream::DiscardPolicy::New,
            num_replicas: 1,
            ..Default::default()
        };
        js.create_or_update_stream(config)
            .await
            .map_err(|e| kv_error(&bucket, e))?;
        let store = js
            .get_key_value(bucket.clone())
            .await
            .map_err(|e| kv_error(&bucket, e))?;
        Ok(Self { store, bucket, ttl })
    }

    /// Removes the bucket (tests and teardown).
    pub async fn delete_bucket(client: async_nats::Client, prefix: &Prefix) -> Result<(), LeaseError> {
        let bucket = format!("{prefix}_scheduler_lease");
        jetstream::new(client)
            .delete_stream(format!("KV_{bucket}"))
            .await
            .map_err(|e| kv_error(&bucket, e))?;
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
