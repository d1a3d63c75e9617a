//! The purge task: purges asked for with a connection's deletion run once their grace period is
//! over. Each run deletes this role's rows for the tenant and stages `TenantPurged`, which the
//! other roles consume to delete theirs (see `docs/architecture.md`, "Tenant data lifecycle").

use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_bus::Outbox;
use posture_kit::clock::SharedClock;
use tokio_util::sync::CancellationToken;

use crate::store::{CredentialStore, PurgeOutcome, at_store_precision};

/// When a purge asked for at `now` falls due; a grace too long for the calendar is capped.
pub(crate) fn due_after(now: DateTime<Utc>, grace: Duration) -> DateTime<Utc> {
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::days(3650));
    now.checked_add_signed(grace).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Runs the purges due at the moment, then again every `interval`, until `shutdown`.
pub(crate) async fn run_purges(
    store: CredentialStore,
    outbox: Outbox,
    clock: SharedClock,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let now = at_store_precision(clock.now());
        match store.due_purges(now).await {
            Ok(due) => {
                for tenant_id in due {
                    match store.run_purge(&tenant_id, now).await {
                        Ok(PurgeOutcome::Purged) => {
                            outbox.notify();
                            tracing::info!(%tenant_id, "tenant purged after its grace period");
                        }
                        Ok(PurgeOutcome::Cancelled) => {
                            tracing::info!(%tenant_id, "purge cancelled: the tenant was connected again");
                        }
                        Ok(PurgeOutcome::NotPending) => {}
                        Err(error) => tracing::warn!(%tenant_id, %error, "purge failed; retrying later"),
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "listing due purges failed; retrying later"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
