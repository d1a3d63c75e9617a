//! Drift after each sync: a durable consumer of SyncRunCompleted of its own, beside the
//! assessment's, so a detection and an assessment retry and fail apart (a tenant whose drift
//! cannot be read is still assessed, and the reverse). A tenant without a baseline costs one
//! lookup. Detection is idempotent: a redelivery finds the items already recorded and changes
//! nothing, so it announces nothing again.

use async_trait::async_trait;
use posture_bus::{Delivery, Handler, HandlerError};
use posture_kit::ids::TenantId;
use posture_proto::events::v1 as ev;

use super::DriftDetector;
use crate::service::reader::is_assessable;

pub struct DriftRunHandler {
    pub detector: DriftDetector,
    /// Progress acks while detecting (it may wait for the audit read that follows the sync).
    pub heartbeat: std::time::Duration,
}

#[async_trait]
impl Handler for DriftRunHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ev::SyncRunCompleted = delivery.decode()?;
        let run = event
            .run
            .ok_or_else(|| HandlerError::permanent("SyncRunCompleted without a run"))?;
        let tenant: TenantId = event.tenant_id.parse().map_err(HandlerError::permanent)?;
        if !is_assessable(&run) {
            return Ok(());
        }
        let outcome = tokio::select! {
            outcome = self.detector.detect(&tenant, &run.run_id) => outcome,
            never = crate::service::consumer::heartbeat(delivery, self.heartbeat) => match never {},
        };
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => Err(HandlerError::transient(e)),
            Err(e) => {
                tracing::error!(%tenant, run = %run.run_id, error = %e, "drift detection failed");
                Err(HandlerError::permanent(e))
            }
        }
    }
}
