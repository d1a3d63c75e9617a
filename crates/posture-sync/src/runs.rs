//! The life of a run: creating it with one job per entity kind on the work queue (message id
//! `{run}.{kind}`, so a repeated request enqueues nothing twice), finishing entities with an
//! EntitySynced event each, and completing the run exactly once with SyncRunCompleted.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use posture_bus::{Bus, BusExt, MessageId, Subject};
use posture_kit::clock::SharedClock;
use posture_proto::events::v1 as ev;
use posture_proto::v1::{EntitySyncState, SyncRunState, SyncTrigger};

use crate::convert;
use crate::error::SyncError;
use crate::kinds;
use crate::store::{ErrorRecord, InventoryStore, NewRun, RunRecord, StoreError};

/// Subject tokens of the sync pipeline.
pub const JOBS_TOKEN: &str = "sync";
pub const ENTITY_SYNCED: &str = "entity-synced";
pub const RUN_COMPLETED: &str = "run-completed";
pub const SYNC_REQUESTED: &str = "sync-requested";

/// `jobs.sync.<kind>.<tenant>`.
pub fn job_subject(kind: &str, tenant: &str) -> Result<Subject, SyncError> {
    Ok(Subject::jobs()
        .token(JOBS_TOKEN)?
        .token(kind)?
        .token(tenant)?
        .build()?)
}

fn event_subject(event: &str, tenant: &str) -> Result<Subject, SyncError> {
    Ok(Subject::events().token(event)?.token(tenant)?.build()?)
}

/// A run to start.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub run_id: String,
    pub tenant_id: String,
    /// Validated kind names; empty means every kind.
    pub kinds: Vec<String>,
    pub trigger: SyncTrigger,
    pub requested_by: String,
}

#[derive(Clone)]
pub struct Runs {
    pub store: InventoryStore,
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
}

impl Runs {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Creates the run and enqueues its jobs. `RunActive` when the tenant already has one.
    pub async fn start(&self, request: &RunRequest) -> Result<RunRecord, SyncError> {
        let mut names: Vec<&str> = if request.kinds.is_empty() {
            kinds::ALL.iter().map(|k| k.name).collect()
        } else {
            request.kinds.iter().map(String::as_str).collect()
        };
        names.sort_unstable();
        names.dedup();
        let created = self
            .store
            .create_run(&NewRun {
                run_id: &request.run_id,
                tenant_id: &request.tenant_id,
                trigger: request.trigger as i32,
                requested_by: &request.requested_by,
                requested_at: self.now(),
                kinds: &names,
            })
            .await;
        match created {
            Ok(()) => {}
            Err(StoreError::AlreadyExists { .. }) => {
                if let Some(existing) = self.store.run(&request.run_id).await? {
                    // The same request again (a redelivered SyncRequested): its jobs may not all
                    // have been published before a crash, so publish again; duplicates are dropped.
                    self.enqueue(&existing).await?;
                    return Ok(existing);
                }
                let active = self
                    .store
                    .active_run(&request.tenant_id)
                    .await?
                    .unwrap_or_default();
                return Err(SyncError::RunActive {
                    tenant: request.tenant_id.clone(),
                    run_id: active,
                });
            }
            Err(other) => return Err(other.into()),
        }
        let run = self
            .store
            .run(&request.run_id)
            .await?
            .ok_or_else(|| SyncError::NotFound {
                what: "sync run",
                id: request.run_id.clone(),
            })?;
        self.enqueue(&run).await?;
        Ok(run)
    }

    /// Publishes a job for every entity of the run that is not finished.
    pub async fn enqueue(&self, run: &RunRecord) -> Result<(), SyncError> {
        for entity in run.entities.iter().filter(|e| !e.is_terminal()) {
            let job = ev::SyncJob {
                event_id: format!("{}.{}", run.run_id, entity.kind),
                occurred_at: Some(convert::timestamp(self.now())),
                tenant_id: run.tenant_id.clone(),
                run_id: run.run_id.clone(),
                entity_kind: entity.kind.clone(),
                attempt: entity.attempt.max(1),
            };
            self.bus
                .publish_message(
                    job_subject(&entity.kind, &run.tenant_id)?,
                    MessageId::new(job.event_id.clone())?,
                    &job,
                )
                .await?;
        }
        Ok(())
    }

    /// Moves an entity to a terminal state, publishes EntitySynced, and completes the run when
    /// it was the last one. Repeated calls for a finished entity change and publish nothing.
    pub async fn finish_entity(
        &self,
        run: &RunRecord,
        kind: &str,
        state: EntitySyncState,
        reason: &ErrorRecord,
    ) -> Result<(), SyncError> {
        let now = self.now();
        if self
            .store
            .finish_entity(&run.run_id, kind, state, reason, now)
            .await?
            && let Some(entity) = self
                .store
                .entities(&run.run_id)
                .await?
                .into_iter()
                .find(|e| e.kind == kind)
        {
            let event = ev::EntitySynced {
                event_id: format!("{}.{}.synced", run.run_id, kind),
                occurred_at: Some(convert::timestamp(now)),
                tenant_id: run.tenant_id.clone(),
                run_id: run.run_id.clone(),
                entity: Some(convert::entity(&entity, now)),
            };
            self.bus
                .publish_message(
                    event_subject(ENTITY_SYNCED, &run.tenant_id)?,
                    MessageId::new(event.event_id.clone())?,
                    &event,
                )
                .await?;
        }
        self.complete_if_done(&run.run_id).await
    }

    /// Completes the run if every entity is terminal; publishes SyncRunCompleted once.
    pub async fn complete_if_done(&self, run_id: &str) -> Result<(), SyncError> {
        let now = self.now();
        if let Some(done) = self.store.complete_run_if_done(run_id, now).await? {
            self.publish_completed(&done, now).await?;
        }
        Ok(())
    }

    async fn publish_completed(&self, run: &RunRecord, now: DateTime<Utc>) -> Result<(), SyncError> {
        let event = ev::SyncRunCompleted {
            event_id: format!("{}.completed", run.run_id),
            occurred_at: Some(convert::timestamp(now)),
            tenant_id: run.tenant_id.clone(),
            run: Some(convert::run(run, now)),
        };
        self.bus
            .publish_message(
                event_subject(RUN_COMPLETED, &run.tenant_id)?,
                MessageId::new(event.event_id.clone())?,
                &event,
            )
            .await?;
        Ok(())
    }

    /// Cancels an active run: pending entities become SKIPPED, running ones stop after their
    /// current page.
    pub async fn cancel(&self, run: &RunRecord) -> Result<RunRecord, SyncError> {
        let now = self.now();
        if !self
            .store
            .set_run_terminal(&run.run_id, SyncRunState::Cancelled, now)
            .await?
        {
            return Err(SyncError::FailedPrecondition(format!(
                "sync run {} is already finished",
                run.run_id
            )));
        }
        let reason = crate::failure::JobFailure::cancelled().reason;
        for entity in run
            .entities
            .iter()
            .filter(|e| e.state == EntitySyncState::Pending as i32)
        {
            self.store
                .finish_entity(&run.run_id, &entity.kind, EntitySyncState::Skipped, &reason, now)
                .await?;
        }
        let cancelled = self
            .store
            .run(&run.run_id)
            .await?
            .ok_or_else(|| SyncError::NotFound {
                what: "sync run",
                id: run.run_id.clone(),
            })?;
        self.publish_completed(&cancelled, now).await?;
        Ok(cancelled)
    }
}
