//! Consumes SyncRunCompleted and assesses the run's inventory. Idempotent per sync run: the
//! database allows one sync-triggered assessment per run, so a redelivery finds it and either
//! leaves it (finished) or takes it over (its first attempt died midway). However the assessment
//! ended, on this delivery or an earlier one, the delivery ends by announcing it, so a failed
//! announcement is repeated by the redelivery.
//!
//! The ack wait is short (30 s by default) so the delivery of a process that died goes to
//! another consumer quickly, and the RUNNING assessment it left is taken over by that
//! redelivery; a live process keeps its delivery through a long assessment with progress acks.

use std::time::Duration;

use async_trait::async_trait;
use posture_bus::{Delivery, Handler, HandlerError};
use posture_kit::ids::{RunId, TenantId};
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;

use super::announce::Announce;
use super::assess::{AssessError, Assessor, Request};
use super::reader::is_assessable;
use super::store::{AssessmentRecord, FailureClass, FailureRecord, StoreError, Trigger};

/// `requested_by` of assessments a completed run triggered.
pub const SYNC_PRINCIPAL: &str = "sync";

pub struct RunCompletedHandler {
    pub assessor: Assessor,
    /// Interval of progress acks while a delivery is handled: a third of the ack wait, so two
    /// may be lost before the bus hands the delivery to another consumer.
    pub heartbeat: Duration,
}

fn store_error(e: StoreError) -> HandlerError {
    if e.is_transient() {
        HandlerError::transient(e)
    } else {
        HandlerError::permanent(e)
    }
}

fn assess_error(e: AssessError) -> HandlerError {
    if e.is_transient() {
        HandlerError::transient(e)
    } else {
        HandlerError::permanent(e)
    }
}

impl RunCompletedHandler {
    /// The run's assessment: the existing one, or a new one.
    async fn assessment(&self, tenant: &TenantId, run_id: &RunId) -> Result<AssessmentRecord, HandlerError> {
        let store = &self.assessor.store;
        if let Some(existing) = store
            .assessment_of_run(tenant, run_id)
            .await
            .map_err(store_error)?
        {
            return Ok(existing);
        }
        let request = Request {
            tenant_id: *tenant,
            trigger: Trigger::SyncCompleted,
            requested_by: SYNC_PRINCIPAL,
            sync_run_id: *run_id,
        };
        match self.assessor.create(&request).await {
            Ok(created) => Ok(created),
            Err(AssessError::Store(StoreError::AlreadyExists { .. })) => {
                // Either a concurrent delivery created it just now, or another assessment of the
                // tenant (a manual one) is running: try again after it.
                match store
                    .assessment_of_run(tenant, run_id)
                    .await
                    .map_err(store_error)?
                {
                    Some(existing) => Ok(existing),
                    None => Err(HandlerError::transient(format!(
                        "tenant {tenant} has an assessment running; run {run_id} waits for it"
                    ))),
                }
            }
            Err(e) => Err(assess_error(e)),
        }
    }

    /// Brings an active assessment to SUCCEEDED, or to FAILED when the run read nothing or the
    /// last delivery failed too.
    async fn finish(
        &self,
        delivery: &Delivery,
        assessment: &AssessmentRecord,
        run: &pb::SyncRun,
    ) -> Result<(), HandlerError> {
        if !is_assessable(run) {
            let failure = FailureRecord {
                error_class: FailureClass::Internal,
                code: "SYNC_RUN_FAILED".to_owned(),
                message: format!(
                    "sync run {} read no entity of the tenant; nothing to assess",
                    run.run_id
                ),
            };
            return self
                .assessor
                .fail(assessment, &failure, Announce::OnRedelivery)
                .await
                .map_err(HandlerError::transient);
        }
        match self
            .assessor
            .execute(assessment, run, Announce::OnRedelivery)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.is_transient() && !delivery.is_last_delivery() => {
                tracing::warn!(tenant = %assessment.tenant_id, run = %run.run_id, error = %e, "assessment will be retried");
                Err(HandlerError::transient(e))
            }
            Err(e) => fail_for_good(&self.assessor, assessment, e).await,
        }
    }
}

#[async_trait]
impl Handler for RunCompletedHandler {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        tokio::select! {
            handled = self.handle_event(delivery) => handled,
            never = heartbeat(delivery, self.heartbeat) => match never {},
        }
    }
}

/// Progress acks every `every` until dropped: the delivery stays this process's while it
/// assesses, however long that takes, and stops being so soon after the process dies.
pub(crate) async fn heartbeat(delivery: &Delivery, every: Duration) -> std::convert::Infallible {
    let every = every.max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = delivery.in_progress().await {
            tracing::warn!(error = %e, "progress ack failed; the delivery may go to another consumer");
        }
    }
}

impl RunCompletedHandler {
    async fn handle_event(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let event: ev::SyncRunCompleted = delivery.decode()?;
        let run = event
            .run
            .ok_or_else(|| HandlerError::permanent("SyncRunCompleted without a run"))?;
        // Parsed once here; a malformed id will not parse on a later delivery either.
        let tenant: TenantId = event.tenant_id.parse().map_err(HandlerError::permanent)?;
        let run_id: RunId = run.run_id.parse().map_err(HandlerError::permanent)?;
        if run.state == pb::SyncRunState::Cancelled as i32 {
            tracing::info!(%tenant, run = %run_id, "sync run was cancelled; not assessed");
            return Ok(());
        }
        let assessment = self.assessment(&tenant, &run_id).await?;
        if assessment.is_active() {
            self.finish(delivery, &assessment, &run).await?;
        }
        // Announced on every delivery that finds the assessment finished, not only the one that
        // finished it: the first announcement may be what failed. The message id derives from
        // the assessment, so the bus drops a repeat within its duplicate window.
        let announced = self
            .assessor
            .announce(&assessment.assessment_id, &tenant, Announce::OnRedelivery)
            .await;
        match announced {
            Ok(()) => Ok(()),
            // No redelivery follows the last one: the outbox relay takes the announcement over.
            Err(e) if delivery.is_last_delivery() => {
                tracing::warn!(assessment = %assessment.assessment_id, error = %e, "announcement handed to the outbox");
                self.assessor
                    .announce(&assessment.assessment_id, &tenant, Announce::ThroughOutbox)
                    .await
                    .map_err(HandlerError::transient)
            }
            Err(e) => Err(HandlerError::transient(e)),
        }
    }
}

async fn fail_for_good(
    assessor: &Assessor,
    assessment: &AssessmentRecord,
    error: AssessError,
) -> Result<(), HandlerError> {
    tracing::error!(assessment = %assessment.assessment_id, error = %error, "assessment failed for good");
    assessor
        .fail(assessment, &error.failure(), Announce::OnRedelivery)
        .await
        .map_err(HandlerError::transient)
}
