//! Consumes SyncRequested events (from the scheduler) and starts the run they ask for, with the
//! requester's run id, so a redelivered request starts it once.

use async_trait::async_trait;
use posture_bus::{Delivery, Handler, HandlerError};
use posture_proto::events::v1 as ev;

use crate::api::validate;
use crate::convert;
use crate::error::SyncError;
use crate::runs::{RunRequest, Runs};

pub struct SyncRequestedHandler {
    pub runs: Runs,
}

#[async_trait]
impl Handler for SyncRequestedHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ev::SyncRequested = delivery.decode()?;
        let request = (|| -> Result<RunRequest, SyncError> {
            let mut kinds = Vec::with_capacity(event.entity_kinds.len());
            for name in &event.entity_kinds {
                kinds.push(validate::kind("entity_kinds", name)?.name.to_owned());
            }
            Ok(RunRequest {
                run_id: validate::run_id(&event.run_id)?,
                tenant_id: validate::tenant(&event.tenant_id)?,
                kinds,
                trigger: convert::requested_trigger(event.trigger),
                requested_by: if event.requested_by.is_empty() {
                    "scheduler".to_owned()
                } else {
                    event.requested_by.chars().take(128).collect()
                },
            })
        })()
        .map_err(HandlerError::permanent)?;
        match self.runs.start(&request).await {
            Ok(_) => Ok(()),
            Err(SyncError::RunActive { tenant, run_id }) => {
                tracing::info!(%tenant, active_run = %run_id, requested_run = %request.run_id, "sync requested while a run is active; dropped");
                Ok(())
            }
            Err(SyncError::Store(e)) if !e.is_transient() => Err(HandlerError::permanent(e)),
            Err(other) => Err(HandlerError::transient(other)),
        }
    }
}
