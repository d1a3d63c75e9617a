//! AssessmentCompleted: every assessment that reaches a terminal state (SUCCEEDED or FAILED) is
//! announced at least once. A caller that is handling a bus delivery publishes after the change
//! and lets a failed publish fail the delivery, whose redelivery announces again; a caller with
//! nothing to redeliver (a manual assessment's task, an abandonment) stages the event in the
//! outbox in the same transaction as the change.

use chrono::{DateTime, Utc};
use posture_bus::outbox::OutboxMessage;
use posture_bus::{Bus, BusError, BusExt, MessageId, Subject, topics};
use posture_kit::time::timestamp;
use posture_proto::events::v1 as ev;

use super::convert;
use super::store::AssessmentRecord;

/// How the announcement of an assessment a caller finishes gets out if the first publish fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// The caller handles a bus delivery: it publishes after the change (and again whenever a
    /// redelivery finds the assessment finished), failing the delivery if the publish fails.
    OnRedelivery,
    /// Nothing would redeliver: the event is staged in the outbox with the change and relayed.
    ThroughOutbox,
}

/// The announcement of one finished assessment. Its message id derives from the assessment id,
/// so the first announcement, a repeat after a redelivery and a staged one are the same message
/// to the bus, which drops repeats within its duplicate window.
pub struct Completed {
    subject: Subject,
    id: MessageId,
    event: ev::AssessmentCompleted,
}

impl Completed {
    /// The announcement of `record` as stored, with the controls that started failing in it;
    /// `now` stands in for a missing completion time.
    pub fn of(
        record: &AssessmentRecord,
        newly_failing: Vec<ev::assessment_completed::NewlyFailingControl>,
        now: DateTime<Utc>,
    ) -> Result<Self, BusError> {
        let event_id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("posture.assessment-completed.{}", record.assessment_id).as_bytes(),
        )
        .to_string();
        Ok(Self {
            subject: topics::ASSESSMENT_COMPLETED.subject(&record.tenant_id),
            id: MessageId::new(event_id.clone())?,
            event: ev::AssessmentCompleted {
                event_id,
                occurred_at: Some(timestamp(record.completed_at.unwrap_or(now))),
                tenant_id: record.tenant_id.to_string(),
                assessment: Some(convert::assessment(record)),
                newly_failing,
            },
        })
    }

    /// The event as an outbox row, for the transaction that finishes the assessment.
    pub fn staged(&self) -> OutboxMessage {
        OutboxMessage::new(self.subject.clone(), self.id.clone(), &self.event)
    }

    pub async fn publish(&self, bus: &dyn Bus) -> Result<(), BusError> {
        bus.publish_message(self.subject.clone(), self.id.clone(), &self.event)
            .await
            .map(|_| ())
    }
}
