//! Reads a tenant's audit streams when one of its sync runs completes (a durable consumer of
//! SyncRunCompleted, so one sync replica does it per run): a tenant's events are fresh after each
//! sync without waiting for the interval. A stream that fails records its reason and is read again
//! next time; only an unreachable store or credentials role asks for a redelivery.

use std::time::Duration;

use async_trait::async_trait;
use posture_bus::{Delivery, Handler, HandlerError};
use posture_kit::ids::TenantId;
use posture_proto::events::v1 as ev;

use super::{AuditError, AuditIngest};
use crate::connection::ConnectionError;

/// Handles SyncRunCompleted deliveries.
pub struct AuditAfterRun {
    pub ingest: AuditIngest,
    /// Progress acks while the streams are read (a first read lists 7 days of content).
    pub heartbeat: Duration,
}

#[async_trait]
impl Handler for AuditAfterRun {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ev::SyncRunCompleted = delivery.decode()?;
        let tenant: TenantId = event.tenant_id.parse().map_err(HandlerError::permanent)?;
        let outcome = tokio::select! {
            outcome = self.ingest.read_tenant(tenant) => outcome,
            never = crate::job::heartbeat(delivery, self.heartbeat) => match never {},
        };
        match outcome {
            Ok(added) => {
                tracing::debug!(%tenant, added, "read audit streams after a sync run");
                Ok(())
            }
            Err(AuditError::Store(e)) if e.is_transient() => Err(HandlerError::transient(e)),
            Err(AuditError::Connection(e @ ConnectionError::Unavailable { .. })) => {
                Err(HandlerError::transient(e))
            }
            Err(other) => {
                tracing::info!(%tenant, error = %other, "audit streams not read after a sync run");
                Ok(())
            }
        }
    }
}
