//! DriftDetected: staged in the outbox in the transaction that records the new drift, so the
//! announcement and the items it names cannot part. Only a detection that adds or reopens items
//! announces; a repeated detection of the same state finds nothing new and stays quiet.

use chrono::{DateTime, Utc};
use posture_bus::outbox::OutboxMessage;
use posture_bus::{MessageId, topics};
use posture_kit::ids::TenantId;
use posture_kit::time::timestamp;
use posture_proto::events::v1 as ev;
use posture_proto::v1 as pb;

use crate::service::store::Detection;

/// The event for `detection`, or `None` when nothing is new.
pub fn detected(
    tenant_id: &TenantId,
    baseline_id: &str,
    run_id: &str,
    detection: &Detection,
    now: DateTime<Utc>,
) -> Option<OutboxMessage> {
    if detection.new.is_empty() {
        return None;
    }
    let event_id = uuid::Uuid::new_v4().to_string();
    let id = MessageId::new(event_id.clone()).ok()?;
    let event = ev::DriftDetected {
        event_id,
        occurred_at: Some(timestamp(now)),
        tenant_id: tenant_id.to_string(),
        baseline_id: baseline_id.to_owned(),
        sync_run_id: run_id.to_owned(),
        drift_ids: detection.new.iter().map(|d| d.drift_id.clone()).collect(),
        objects: detection
            .new
            .iter()
            .map(|d| pb::ObjectRef {
                entity_kind: d.entity_kind.clone(),
                object_id: d.object_id.clone(),
                display_name: d.display_name.clone(),
            })
            .collect(),
        open_drift_count: detection.open_new,
    };
    Some(OutboxMessage::new(
        topics::DRIFT_DETECTED.subject(tenant_id),
        id,
        &event,
    ))
}
