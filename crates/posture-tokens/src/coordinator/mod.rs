//! Coordination of refreshes across broker replicas: a lease per (tenant, API) so only one replica
//! asks the authority, and a shared slot where the lease holder leaves the token for the others.
//! Two implementations: [`InProcessCoordinator`] (standalone, or replicas in one process) and
//! [`NatsKvCoordinator`] (replicas in many processes, over NATS KV).

mod in_process;
mod nats_kv;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use posture_kit::ids::TenantId;

pub use in_process::InProcessCoordinator;
pub use nats_kv::NatsKvCoordinator;

use crate::cached::CachedToken;
use crate::key::TokenKey;

#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    #[error("NATS KV bucket {bucket}: {reason}")]
    Kv { bucket: String, reason: String },
    #[error("shared token entry {key} is unreadable: {reason}")]
    Entry { key: String, reason: String },
}

impl From<posture_bus::kv::KvError> for CoordinatorError {
    fn from(error: posture_bus::kv::KvError) -> Self {
        CoordinatorError::Kv {
            bucket: error.bucket,
            reason: error.message,
        }
    }
}

/// Waits for the next change of one key's lease or shared token. Created before the caller looks
/// at the shared slot, so a change in between is not missed.
#[async_trait]
pub trait ChangeWaiter: Send {
    /// Returns when something changed or after `timeout`, whichever comes first.
    async fn wait(&mut self, timeout: Duration);
}

#[async_trait]
pub trait RefreshCoordinator: Send + Sync + std::fmt::Debug {
    /// Takes the refresh lease of `key` for `holder` unless someone holds it; true when taken.
    /// A lease left by a crashed holder expires after the coordinator's lease TTL.
    async fn try_lease(&self, key: &TokenKey, holder: &str) -> Result<bool, CoordinatorError>;

    /// Gives the lease back early (after sharing the token, or after a failure).
    async fn release(&self, key: &TokenKey, holder: &str) -> Result<(), CoordinatorError>;

    /// The token the last lease holder shared, if any. An entry this replica cannot read (sealed
    /// with another key) is reported as absent.
    async fn shared(&self, key: &TokenKey) -> Result<Option<CachedToken>, CoordinatorError>;

    /// Leaves a token for the other replicas.
    async fn share(&self, key: &TokenKey, token: &CachedToken) -> Result<(), CoordinatorError>;

    /// A waiter for changes of `key`.
    async fn watch(&self, key: &TokenKey) -> Result<Box<dyn ChangeWaiter>, CoordinatorError>;

    /// Drops every shared token of `tenant`; returns how many there were.
    async fn forget_tenant(&self, tenant: &TenantId) -> Result<u32, CoordinatorError>;

    /// Keys whose shared token was dropped by any replica, from now on; each replica drops its
    /// in-memory copy when it sees one.
    async fn forgotten(&self) -> Result<BoxStream<'static, TokenKey>, CoordinatorError>;
}
