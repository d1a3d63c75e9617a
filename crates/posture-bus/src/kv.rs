//! NATS key-value buckets for the roles' small shared state (the scheduler's lease, the token
//! cache and its refresh leases): created once here, with the settings a NATS KV bucket uses.

use std::time::Duration;

use async_nats::jetstream::{self, kv};

use crate::subject::Prefix;

/// Why a bucket could not be set up or used; names the bucket.
#[derive(Debug, thiserror::Error)]
#[error("key-value bucket {bucket}: {message}")]
pub struct KvError {
    pub bucket: String,
    pub message: String,
}

impl KvError {
    pub fn new(bucket: &str, error: impl std::fmt::Display) -> Self {
        Self {
            bucket: bucket.to_owned(),
            message: error.to_string(),
        }
    }
}

/// One bucket to set up: `{prefix}_{name}`, entries kept in memory for at most `max_age`.
#[derive(Debug, Clone)]
pub struct BucketSpec<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub max_age: Duration,
}

impl BucketSpec<'_> {
    /// The bucket's full name under `prefix`, e.g. `posture_tokens`.
    pub fn bucket(&self, prefix: &Prefix) -> String {
        format!("{prefix}_{}", self.name)
    }
}

/// Creates (or adopts, updating its settings) the bucket of `spec` under `prefix`.
///
/// The stream behind the bucket is created directly with a KV bucket's settings: the client's own
/// bucket creation expects an account-limits reply that nats-server 2.9 does not give. Entries
/// live in memory: what these buckets hold (leases, sealed short-lived tokens) has no business on
/// disk and is rebuilt after a restart.
pub async fn bucket(
    js: &jetstream::Context,
    prefix: &Prefix,
    spec: &BucketSpec<'_>,
) -> Result<kv::Store, KvError> {
    let name = spec.bucket(prefix);
    let config = jetstream::stream::Config {
        name: format!("KV_{name}"),
        description: Some(spec.description.to_owned()),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age: spec.max_age,
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
        .map_err(|e| KvError::new(&name, e))?;
    js.get_key_value(name.clone())
        .await
        .map_err(|e| KvError::new(&name, e))
}

/// Removes the bucket of `spec` under `prefix` (tests and teardown).
pub async fn delete_bucket(
    js: &jetstream::Context,
    prefix: &Prefix,
    spec: &BucketSpec<'_>,
) -> Result<(), KvError> {
    let name = spec.bucket(prefix);
    js.delete_stream(format!("KV_{name}"))
        .await
        .map_err(|e| KvError::new(&name, e))?;
    Ok(())
}
