//! The consumer every role with tenant rows runs for [`topics::TENANT_PURGED`]: it deletes the
//! role's own rows for the purged tenant, in its own schema, with the statements the role lists.
//! Deleting is idempotent, so a redelivered event finds nothing more to delete; a database that
//! cannot be reached is retried, as is any other failure (the rows must go).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use posture_kit::db::{Db, delete_tenant_rows};
use posture_kit::ids::TenantId;
use posture_proto::events::v1::TenantPurged;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::topics::TENANT_PURGED;
use crate::{Bus, BusError, ConsumerConfig, Delivery, Handler, HandlerError, RetryPolicy, spawn_workers};

struct PurgeHandler {
    role: &'static str,
    db: Db,
    statements: &'static [&'static str],
}

#[async_trait]
impl Handler for PurgeHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: TenantPurged = delivery.decode()?;
        let tenant_id: TenantId = event
            .tenant_id
            .parse()
            .map_err(|error| HandlerError::permanent(format!("purge names no tenant: {error}")))?;
        let deleted = delete_tenant_rows(&self.db, self.statements, &tenant_id.to_string())
            .await
            .map_err(HandlerError::transient)?;
        tracing::info!(role = self.role, %tenant_id, deleted, "tenant rows purged");
        Ok(())
    }
}

/// Creates (or joins) the role's durable consumer `durable` of `TenantPurged` and runs
/// `statements` (each binding the tenant id as `$1`) for every purge, until `shutdown`.
pub async fn spawn_tenant_purge(
    bus: &dyn Bus,
    role: &'static str,
    durable: &'static str,
    db: Db,
    statements: &'static [&'static str],
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<(), BusError> {
    let config = ConsumerConfig::new(durable, TENANT_PURGED.filter())?.with_ack_wait(Duration::from_secs(60));
    let handler = Arc::new(PurgeHandler { role, db, statements });
    spawn_workers(bus, config, 1, handler, RetryPolicy::default(), shutdown, tasks).await
}
