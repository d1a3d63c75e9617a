//! One active scheduler at a time: whoever holds the lease fires due slots, the others stand by
//! and take over once the holder stops renewing and the lease expires. Two implementations:
//! [`InProcessLease`] (standalone, or schedulers in one process) and [`NatsKvLease`] (many pods).

mod in_process;
mod nats_kv;

use std::time::Duration;

use async_trait::async_trait;

pub use in_process::InProcessLease;
pub use nats_kv::NatsKvLease;

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("scheduler lease in NATS KV bucket {bucket}: {reason}")]
    Kv { bucket: String, reason: String },
}

impl From<posture_bus::kv::KvError> for LeaseError {
    fn from(error: posture_bus::kv::KvError) -> Self {
        LeaseError::Kv {
            bucket: error.bucket,
            reason: error.message,
        }
    }
}

#[async_trait]
pub trait SchedulerLease: Send + Sync + std::fmt::Debug {
    /// Takes the lease for `holder` when it is free or expired, or renews it when `holder` already
    /// holds it. True when `holder` is the active scheduler until at least one TTL from now.
    async fn acquire(&self, holder: &str) -> Result<bool, LeaseError>;

    /// Gives the lease up early (clean shutdown), so a standby need not wait for expiry. Does
    /// nothing when `holder` does not hold it.
    async fn release(&self, holder: &str) -> Result<(), LeaseError>;

    /// How long a lease lasts without renewal; holders renew well within it.
    fn ttl(&self) -> Duration;
}
