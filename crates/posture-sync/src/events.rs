//! The messages the sync role publishes, built from store records with ids derived from the run:
//! a job per entity (`{run}.{kind}`), EntitySynced per settled entity (`{run}.{kind}.synced`) and
//! SyncRunCompleted per terminal run (`{run}.completed`). Built again from the same records they
//! are the same messages, so announcing again after a failed publish is deduplicated by the bus
//! (and is idempotent for consumers beyond its window).

use chrono::{DateTime, Utc};
use posture_bus::outbox::OutboxMessage;
use posture_bus::{MessageId, Subject, topics};
use posture_kit::ids::{RunId, TenantId};
use posture_kit::time::timestamp;
use posture_proto::events::v1 as ev;

use crate::convert;
use crate::error::SyncError;
use crate::store::{EntityStatus, RunRecord};

/// A message ready to publish or stage.
pub struct Announcement<M> {
    pub subject: Subject,
    pub id: MessageId,
    pub message: M,
}

impl<M: prost::Message> Announcement<M> {
    /// The message as an outbox row, for staging in the transaction that makes the change.
    pub fn staged(&self) -> OutboxMessage {
        OutboxMessage::new(self.subject.clone(), self.id.clone(), &self.message)
    }
}

/// The job of one entity kind of a run, on its kind's work queue.
pub fn job(
    run_id: RunId,
    tenant: TenantId,
    kind: &str,
    attempt: u32,
    now: DateTime<Utc>,
) -> Result<Announcement<ev::SyncJob>, SyncError> {
    let event_id = format!("{run_id}.{kind}");
    Ok(Announcement {
        subject: topics::sync_jobs::subject(kind, &tenant)?,
        id: MessageId::new(event_id.clone())?,
        message: ev::SyncJob {
            event_id,
            occurred_at: Some(timestamp(now)),
            tenant_id: tenant.to_string(),
            run_id: run_id.to_string(),
            entity_kind: kind.to_owned(),
            attempt: attempt.max(1),
        },
    })
}

/// A settled entity of `run`. It happened when the entity finished.
pub fn entity_synced(
    run: &RunRecord,
    entity: &EntityStatus,
    now: DateTime<Utc>,
) -> Result<Announcement<ev::EntitySynced>, SyncError> {
    let at = entity.finished_at.unwrap_or(now);
    let event_id = format!("{}.{}.synced", run.run_id, entity.kind);
    Ok(Announcement {
        subject: topics::ENTITY_SYNCED.subject(&run.tenant_id),
        id: MessageId::new(event_id.clone())?,
        message: ev::EntitySynced {
            event_id,
            occurred_at: Some(timestamp(at)),
            tenant_id: run.tenant_id.to_string(),
            run_id: run.run_id.to_string(),
            entity: Some(convert::entity(entity, at)),
        },
    })
}

/// The completion of `run` (or its cancellation). It happened when the run finished.
pub fn run_completed(
    run: &RunRecord,
    now: DateTime<Utc>,
) -> Result<Announcement<ev::SyncRunCompleted>, SyncError> {
    let at = run.finished_at.unwrap_or(now);
    Ok(Announcement {
        subject: topics::RUN_COMPLETED.subject(&run.tenant_id),
        id: completed_id(run.run_id)?,
        message: run_completed_message(run, at),
    })
}

/// The message id of a run's completion, known before the run is read back.
pub fn completed_id(run_id: RunId) -> Result<MessageId, SyncError> {
    Ok(MessageId::new(format!("{run_id}.completed"))?)
}

/// SyncRunCompleted of a terminal run that finished at `at`.
pub fn run_completed_message(run: &RunRecord, at: DateTime<Utc>) -> ev::SyncRunCompleted {
    ev::SyncRunCompleted {
        event_id: format!("{}.completed", run.run_id),
        occurred_at: Some(timestamp(at)),
        tenant_id: run.tenant_id.to_string(),
        run: Some(convert::run(run, at)),
    }
}
