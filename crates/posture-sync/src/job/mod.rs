//! The worker: one job is one entity kind of one run. It reads the tenant's endpoints from the
//! credentials role and tokens from the broker, resumes from the stored cursor, streams pages
//! into the store while the next one is fetched, checkpoints after every durable page, and turns
//! failures into the entity's state (failed, skipped) or a retry with backoff. Settling announces
//! the entity (and the run, when it was the last); a delivery that finds its entity settled
//! announces again before it is acked, so a failed publish is repaired by the job's redelivery.

// Errors here are posture-graph's `GraphError`, passed through on a cold path once per job.
#![allow(clippy::result_large_err)]

mod cves;
mod diff;
mod fetch;
mod mail_dns;
mod members;
mod pages;
mod pass;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use async_trait::async_trait;
use posture_bus::{Delivery, Handler, HandlerError};
use posture_kit::ids::{RunId, TenantId};
use posture_proto::events::v1 as ev;

use crate::connection::TenantDirectory;
use crate::failure::{Disposition, JobFailure};
use crate::kinds::{self, KindDef};
use crate::metrics::{JobOutcome, SyncMetrics};
use crate::runs::Runs;
use crate::state::{EntityState, RunState};
use crate::store::{ErrorRecord, RunRecord};

pub use diff::{Inventory, PageDiff};
pub use fetch::{FetchedPage, Item};
pub use pages::{DiffedPage, PageStream};
use pass::Job;

/// Tunables of the workers.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Objects per store statement.
    pub batch_size: usize,
    /// Pages fetched ahead of the writer.
    pub page_buffer: usize,
    /// How often a running job tells the bus it is alive (a third of the ack wait), so a page
    /// that waits for its request budget or a Retry-After is not delivered to a second worker.
    pub heartbeat: Duration,
    /// Where the `dns_mail_records` kind asks for mail records.
    pub dns: posture_graph::mail_dns::DnsSettings,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            batch_size: 500,
            page_buffer: 2,
            heartbeat: Duration::from_secs(20),
            dns: Default::default(),
        }
    }
}

/// Handles SyncJob deliveries of every kind.
#[derive(Clone)]
pub struct SyncWorker {
    pub runs: Runs,
    pub directory: TenantDirectory,
    pub settings: JobSettings,
    /// Inventory rows written since start (objects and versions).
    pub rows_written: Arc<AtomicU64>,
    pub metrics: SyncMetrics,
}

#[async_trait]
impl Handler for SyncWorker {
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let job: ev::SyncJob = delivery.decode()?;
        let kind = kinds::find(&job.entity_kind)
            .ok_or_else(|| HandlerError::permanent(format!("unknown entity kind {}", job.entity_kind)))?;
        let run_id: RunId = job.run_id.parse().map_err(HandlerError::permanent)?;
        let tenant: TenantId = job.tenant_id.parse().map_err(HandlerError::permanent)?;
        let store = &self.runs.store;
        let run = store
            .run(&run_id)
            .await
            .map_err(HandlerError::transient)?
            .ok_or_else(|| HandlerError::permanent(format!("unknown sync run {run_id}")))?;
        if run.tenant_id != tenant {
            return Err(HandlerError::permanent(format!(
                "job for tenant {tenant} names run {run_id} of another tenant"
            )));
        }
        if run.state == RunState::Cancelled {
            // A job of a cancelled run whose worker died mid-page: nobody else will settle it.
            let reason = JobFailure::cancelled().reason;
            store
                .finish_entity(
                    &run.run_id,
                    kind.name,
                    EntityState::Skipped,
                    Some(&reason),
                    self.runs.now(),
                )
                .await
                .map_err(HandlerError::transient)?;
        }
        if run.is_active() {
            let attempt = delivery.delivery_count().max(1);
            let entity = store
                .start_entity(&run.run_id, kind.name, attempt, self.runs.now())
                .await
                .map_err(HandlerError::transient)?;
            if entity.is_some_and(|e| !e.is_terminal()) {
                let job = Job {
                    run: &run,
                    kind,
                    delivery,
                    attempt,
                };
                return self.run_job(&job).await;
            }
        }
        // The entity was settled before this delivery. Settling announces, and that publish may
        // be what failed (this is its redelivery): announce again, under the same message ids,
        // before the job is acked.
        self.runs
            .announce_settled(&run.run_id, kind.name)
            .await
            .map_err(HandlerError::transient)
    }
}

impl SyncWorker {
    /// Reads the job's kind and settles its entity by the outcome, or asks for a retry.
    async fn run_job(&self, job: &Job<'_>) -> Result<(), HandlerError> {
        let started = std::time::Instant::now();
        let outcome = tokio::select! {
            outcome = self.sync(job) => outcome,
            never = heartbeat(job.delivery, self.settings.heartbeat) => match never {},
        };
        let (run, kind, attempt) = (job.run, job.kind, job.attempt);
        let ended = match &outcome {
            Ok(()) => JobOutcome::Succeeded,
            Err(f) => match f.disposition {
                Disposition::Fail => JobOutcome::Failed,
                Disposition::Skip => JobOutcome::Skipped,
                Disposition::Retry if job.delivery.is_last_delivery() => JobOutcome::Failed,
                Disposition::Retry => JobOutcome::Retried,
                Disposition::Superseded => JobOutcome::Superseded,
            },
        };
        self.metrics.job(kind.name, ended, started.elapsed());
        match outcome {
            Ok(()) => self.settle(run, kind, EntityState::Succeeded, None).await,
            Err(f) => match f.disposition {
                Disposition::Fail => self.settle(run, kind, EntityState::Failed, Some(&f.reason)).await,
                Disposition::Skip => {
                    self.settle(run, kind, EntityState::Skipped, Some(&f.reason))
                        .await
                }
                Disposition::Retry if job.delivery.is_last_delivery() => {
                    self.settle(run, kind, EntityState::Failed, Some(&f.reason)).await
                }
                Disposition::Superseded => {
                    tracing::warn!(run = %run.run_id, kind = kind.name, attempt, reason = %f, "sync job stops: delivered again");
                    Ok(())
                }
                Disposition::Retry => {
                    tracing::warn!(run = %run.run_id, kind = kind.name, attempt, reason = %f, "sync job will be retried");
                    let _ = self
                        .runs
                        .store
                        .note_entity_error(&run.run_id, kind.name, &f.reason)
                        .await;
                    Err(HandlerError::transient(f))
                }
            },
        }
    }

    /// Settles the entity and announces it (and the run, when it was the last one). A failed
    /// announcement NAKs the job; its redelivery announces again.
    async fn settle(
        &self,
        run: &RunRecord,
        kind: &'static KindDef,
        state: EntityState,
        reason: Option<&ErrorRecord>,
    ) -> Result<(), HandlerError> {
        self.runs
            .finish_entity(&run.run_id, kind.name, state, reason)
            .await
            .map_err(HandlerError::transient)
    }
}

/// Progress acks every `every` until dropped: a job stays this worker's while it waits.
pub(crate) async fn heartbeat(delivery: &Delivery, every: Duration) -> std::convert::Infallible {
    let every = every.max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let _ = delivery.in_progress().await;
    }
}
