//! The API edge: store records and domain states as the contract's messages and enums, and the
//! contract's enums a request carries as domain states.

use chrono::{DateTime, Utc};
use posture_kit::time::timestamp;
use posture_proto::v1 as pb;

use crate::state::{EntityState, FailureClass, RunState, Trigger};
use crate::store::{EntityStatus, ErrorRecord, RunRecord, StoredObject, StoredVersion};

pub fn run_state(state: RunState) -> pb::SyncRunState {
    match state {
        RunState::Pending => pb::SyncRunState::Pending,
        RunState::Running => pb::SyncRunState::Running,
        RunState::Succeeded => pb::SyncRunState::Succeeded,
        RunState::PartiallySucceeded => pb::SyncRunState::PartiallySucceeded,
        RunState::Failed => pb::SyncRunState::Failed,
        RunState::Cancelled => pb::SyncRunState::Cancelled,
    }
}

/// A run state a request filters on; `None` for UNSPECIFIED (no filter).
pub fn run_state_filter(state: pb::SyncRunState) -> Option<RunState> {
    match state {
        pb::SyncRunState::Unspecified => None,
        pb::SyncRunState::Pending => Some(RunState::Pending),
        pb::SyncRunState::Running => Some(RunState::Running),
        pb::SyncRunState::Succeeded => Some(RunState::Succeeded),
        pb::SyncRunState::PartiallySucceeded => Some(RunState::PartiallySucceeded),
        pb::SyncRunState::Failed => Some(RunState::Failed),
        pb::SyncRunState::Cancelled => Some(RunState::Cancelled),
    }
}

pub fn entity_state(state: EntityState) -> pb::EntitySyncState {
    match state {
        EntityState::Pending => pb::EntitySyncState::Pending,
        EntityState::Running => pb::EntitySyncState::Running,
        EntityState::Succeeded => pb::EntitySyncState::Succeeded,
        EntityState::Failed => pb::EntitySyncState::Failed,
        EntityState::Skipped => pb::EntitySyncState::Skipped,
    }
}

pub fn trigger(trigger: Trigger) -> pb::SyncTrigger {
    match trigger {
        Trigger::Manual => pb::SyncTrigger::Manual,
        Trigger::Scheduled => pb::SyncTrigger::Scheduled,
    }
}

/// The trigger a SyncRequested names: manual when it says so, scheduled otherwise (the
/// scheduler's default).
pub fn requested_trigger(value: i32) -> Trigger {
    match pb::SyncTrigger::try_from(value) {
        Ok(pb::SyncTrigger::Manual) => Trigger::Manual,
        _ => Trigger::Scheduled,
    }
}

pub fn failure_class(class: FailureClass) -> pb::ErrorClass {
    match class {
        FailureClass::Authentication => pb::ErrorClass::Authentication,
        FailureClass::Permission => pb::ErrorClass::Permission,
        FailureClass::License => pb::ErrorClass::License,
        FailureClass::Throttled => pb::ErrorClass::Throttled,
        FailureClass::Transient => pb::ErrorClass::Transient,
        FailureClass::NotFound => pb::ErrorClass::NotFound,
        FailureClass::InvalidResponse => pb::ErrorClass::InvalidResponse,
        FailureClass::Cancelled => pb::ErrorClass::Cancelled,
        FailureClass::Internal => pb::ErrorClass::Internal,
    }
}

/// The stored reason as the API's message.
pub fn failure_reason(record: &ErrorRecord) -> pb::FailureReason {
    pb::FailureReason {
        error_class: failure_class(record.class) as i32,
        code: record.code.clone(),
        message: record.message.clone(),
        missing_permissions: record.permissions.clone(),
        endpoint: record.endpoint.clone(),
        http_status: record.http_status,
    }
}

pub fn duration(from: DateTime<Utc>, to: DateTime<Utc>) -> prost_types::Duration {
    let span = (to - from).max(chrono::Duration::zero());
    prost_types::Duration {
        seconds: span.num_seconds(),
        nanos: span.subsec_nanos(),
    }
}

pub fn entity(e: &EntityStatus, now: DateTime<Utc>) -> pb::EntitySync {
    pb::EntitySync {
        entity_kind: e.kind.clone(),
        state: entity_state(e.state) as i32,
        counts: Some(pb::EntityCounts {
            added: e.added,
            changed: e.changed,
            removed: e.removed,
            unchanged: e.unchanged,
        }),
        pages: u32::try_from(e.pages).unwrap_or(u32::MAX),
        attempt: e.attempt,
        error: e.error.as_ref().map(failure_reason),
        started_at: e.started_at.map(timestamp),
        finished_at: e.finished_at.map(timestamp),
        duration: e.started_at.map(|s| duration(s, e.finished_at.unwrap_or(now))),
    }
}

pub fn run(r: &RunRecord, now: DateTime<Utc>) -> pb::SyncRun {
    let entities: Vec<pb::EntitySync> = r.entities.iter().map(|e| entity(e, now)).collect();
    let mut totals = pb::EntityCounts::default();
    for e in &r.entities {
        totals.added += e.added;
        totals.changed += e.changed;
        totals.removed += e.removed;
        totals.unchanged += e.unchanged;
    }
    pb::SyncRun {
        run_id: r.run_id.to_string(),
        tenant_id: r.tenant_id.to_string(),
        trigger: trigger(r.trigger) as i32,
        requested_by: r.requested_by.clone(),
        state: run_state(r.state) as i32,
        entities,
        totals: Some(totals),
        requested_at: Some(timestamp(r.requested_at)),
        started_at: r.started_at.map(timestamp),
        finished_at: r.finished_at.map(timestamp),
        duration: r.started_at.map(|s| duration(s, r.finished_at.unwrap_or(now))),
    }
}

pub fn object(o: StoredObject) -> pb::InventoryObject {
    pb::InventoryObject {
        tenant_id: o.tenant_id.to_string(),
        r#ref: Some(pb::ObjectRef {
            entity_kind: o.kind,
            object_id: o.object_id,
            display_name: o.display_name,
        }),
        content_hash: o.content_hash,
        version: u64::try_from(o.version).unwrap_or(0),
        content_json: o.content,
        removed: o.removed,
        first_seen_at: Some(timestamp(o.first_seen)),
        last_seen_at: Some(timestamp(o.last_seen)),
        changed_at: Some(timestamp(o.changed_at)),
        last_run_id: o.last_run_id.to_string(),
    }
}

pub fn version(kind: &str, display_name: &str, v: StoredVersion) -> pb::ObjectVersion {
    pb::ObjectVersion {
        r#ref: Some(pb::ObjectRef {
            entity_kind: kind.to_owned(),
            object_id: v.object_id,
            display_name: display_name.to_owned(),
        }),
        version: u64::try_from(v.version).unwrap_or(0),
        content_hash: v.content_hash,
        observed_at: Some(timestamp(v.observed_at)),
        removed: v.removed,
        run_id: v.run_id.to_string(),
        content_json: v.content,
    }
}
