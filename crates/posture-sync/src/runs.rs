//! The life of a run and its announcements, each at least once:
//! - creating a run stages one job per entity kind in the same transaction (the outbox relays
//!   them), so a run never exists without its jobs, whatever the bus does after the commit;
//! - settling an entity announces EntitySynced and, when it was the last, completes the run and
//!   announces SyncRunCompleted; a failed publish NAKs the job, and its redelivery finds the
//!   entity settled and announces again (`announce_settled`);
//! - cancelling stages SyncRunCompleted (cancelled) with the cancellation.
//!
//! Every message id derives from the run (`events`), so a repeat is dropped as a duplicate.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use posture_bus::outbox::Outbox;
use posture_bus::{Bus, BusExt};
use posture_kit::clock::SharedClock;
use posture_kit::ids::{RunId, TenantId};

use crate::error::SyncError;
use crate::events::{self, Announcement};
use crate::failure::JobFailure;
use crate::kinds;
use crate::state::{EntityState, Trigger};
use crate::store::{EntityStatus, ErrorRecord, InventoryStore, NewRun, RunRecord, StoreError};

/// A run to start.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub run_id: RunId,
    pub tenant_id: TenantId,
    /// Validated kind names; empty means every kind.
    pub kinds: Vec<String>,
    pub trigger: Trigger,
    pub requested_by: String,
}

#[derive(Clone)]
pub struct Runs {
    pub store: InventoryStore,
    pub bus: Arc<dyn Bus>,
    /// Relays what runs and cancellations staged.
    pub outbox: Outbox,
    pub clock: SharedClock,
}

impl Runs {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Creates the run with its jobs staged. `RunActive` when the tenant already has one.
    pub async fn start(&self, request: &RunRequest) -> Result<RunRecord, SyncError> {
        let mut names: Vec<&str> = if request.kinds.is_empty() {
            kinds::ALL.iter().map(|k| k.name).collect()
        } else {
            request.kinds.iter().map(String::as_str).collect()
        };
        names.sort_unstable();
        names.dedup();
        let now = self.now();
        let mut jobs = Vec::with_capacity(names.len());
        for kind in &names {
            jobs.push(events::job(request.run_id, request.tenant_id, kind, 1, now)?.staged());
        }
        let created = self
            .store
            .create_run(
                &NewRun {
                    run_id: request.run_id,
                    tenant_id: request.tenant_id,
                    trigger: request.trigger,
                    requested_by: &request.requested_by,
                    requested_at: now,
                    kinds: &names,
                },
                &jobs,
            )
            .await;
        match created {
            Ok(()) => self.outbox.notify(),
            Err(StoreError::AlreadyExists { .. }) => {
                if let Some(existing) = self.store.run(&request.run_id).await? {
                    // The same request again (a redelivered SyncRequested): its jobs were staged
                    // with it, so there is nothing more to do.
                    return Ok(existing);
                }
                let active = self.store.active_run(&request.tenant_id).await?;
                return Err(SyncError::run_active(request.tenant_id, active));
            }
            Err(other) => return Err(other.into()),
        }
        self.store
            .run(&request.run_id)
            .await?
            .ok_or_else(|| SyncError::NotFound {
                what: "sync run",
                id: request.run_id.to_string(),
            })
    }

    /// Publishes a job for every entity of the run that is not finished (a run resumed by a new
    /// process; the in-process bus lost its queue). A job already queued is a duplicate and
    /// dropped.
    pub async fn enqueue(&self, run: &RunRecord) -> Result<(), SyncError> {
        let now = self.now();
        for entity in run.entities.iter().filter(|e| !e.is_terminal()) {
            let job = events::job(run.run_id, run.tenant_id, &entity.kind, entity.attempt, now)?;
            self.publish(job).await?;
        }
        Ok(())
    }

    /// Moves an entity to a terminal state and announces it (see [`Runs::announce_settled`]).
    /// An entity settled before stays as it was and is announced as it is.
    pub async fn finish_entity(
        &self,
        run_id: &RunId,
        kind: &str,
        state: EntityState,
        reason: Option<&ErrorRecord>,
    ) -> Result<(), SyncError> {
        self.store
            .finish_entity(run_id, kind, state, reason, self.now())
            .await?;
        self.announce_settled(run_id, kind).await
    }

    /// Announces the settled entity of `kind` (EntitySynced), then completes the run when every
    /// entity is settled and announces that (SyncRunCompleted). Safe to repeat: a job delivered
    /// again after a failed publish calls this to announce what may not have gone out.
    pub async fn announce_settled(&self, run_id: &RunId, kind: &str) -> Result<(), SyncError> {
        let Some(run) = self.store.run(run_id).await? else {
            return Ok(());
        };
        if let Some(entity) = run.entity(kind).filter(|e| e.is_terminal()) {
            self.announce_entity(&run, entity).await?;
        }
        self.complete_if_done(run_id).await
    }

    /// Completes the run if every entity is terminal, and announces SyncRunCompleted whenever
    /// the run is complete, whether this call completed it or an earlier one did (whose
    /// announcement may have failed). A cancelled run is announced by its cancellation.
    pub async fn complete_if_done(&self, run_id: &RunId) -> Result<(), SyncError> {
        let now = self.now();
        if let Some(run) = self.store.complete_run_if_done(run_id, now).await?
            && run.state.is_completed()
        {
            self.publish(events::run_completed(&run, now)?).await?;
        }
        Ok(())
    }

    async fn announce_entity(&self, run: &RunRecord, entity: &EntityStatus) -> Result<(), SyncError> {
        self.publish(events::entity_synced(run, entity, self.now())?)
            .await
    }

    async fn publish<M: prost::Message + Sync>(
        &self,
        announcement: Announcement<M>,
    ) -> Result<(), SyncError> {
        self.bus
            .publish_message(announcement.subject, announcement.id, &announcement.message)
            .await?;
        Ok(())
    }

    /// Cancels an active run: pending entities become SKIPPED, running ones stop after their
    /// current page. SyncRunCompleted (cancelled) is staged with the change, so it goes out
    /// even when the bus fails right after.
    pub async fn cancel(&self, run: &RunRecord) -> Result<RunRecord, SyncError> {
        let now = self.now();
        // Built before the transaction reads the cancelled run back, so nothing fallible is left
        // for inside it.
        let subject = posture_bus::topics::RUN_COMPLETED.subject(&run.tenant_id);
        let id = events::completed_id(run.run_id)?;
        let reason = JobFailure::cancelled().reason;
        let cancelled = self
            .store
            .cancel_run(&run.run_id, &reason, now, |cancelled| {
                let message = events::run_completed_message(cancelled, now);
                vec![Announcement { subject, id, message }.staged()]
            })
            .await?;
        match cancelled {
            Some(cancelled) => {
                self.outbox.notify();
                Ok(cancelled)
            }
            None => Err(SyncError::FailedPrecondition(format!(
                "sync run {} is already finished",
                run.run_id
            ))),
        }
    }
}
