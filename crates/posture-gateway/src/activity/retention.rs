//! Retention: a background task of the gateway deletes recorded calls older than the configured
//! retention (365 days by default), at start and then periodically. Several gateway replicas may
//! prune at once; deleting by age is idempotent.

use std::sync::Arc;
use std::time::Duration;

use posture_kit::clock::Clock;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::store::ActivityStore;

pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// How long activity is kept and how often old entries are pruned.
#[derive(Debug, Clone, Copy)]
pub struct ActivitySettings {
    pub retention: chrono::Duration,
    pub prune_every: Duration,
}

impl Default for ActivitySettings {
    fn default() -> Self {
        Self::with_retention_days(DEFAULT_RETENTION_DAYS)
    }
}

impl ActivitySettings {
    /// `days` of retention (at least one), pruned every hour.
    pub fn with_retention_days(days: u32) -> Self {
        Self {
            retention: chrono::Duration::days(i64::from(days.max(1))),
            prune_every: Duration::from_secs(3600),
        }
    }
}

/// Prunes at once, then every `settings.prune_every`, until `shutdown`.
pub fn spawn_pruning(
    store: ActivityStore,
    clock: Arc<dyn Clock>,
    settings: ActivitySettings,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) {
    tasks.spawn(async move {
        loop {
            let cutoff = clock.now() - settings.retention;
            match store.prune(cutoff).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, %cutoff, "pruned the activity log"),
                Err(error) => tracing::warn!(%error, "pruning the activity log failed; retrying later"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(settings.prune_every) => {}
            }
        }
    });
}
