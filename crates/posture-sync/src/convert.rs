//! Store records as the contract's messages.

use chrono::{DateTime, Utc};
use posture_proto::v1 as pb;

use crate::failure::failure_reason;
use crate::store::{EntityStatus, RunRecord, StoredObject, StoredVersion};

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
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
        state: e.state,
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
        run_id: r.run_id.clone(),
        tenant_id: r.tenant_id.clone(),
        trigger: r.trigger,
        requested_by: r.requested_by.clone(),
        state: r.state,
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
        tenant_id: o.tenant_id,
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
        last_run_id: o.last_run_id,
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
        run_id: v.run_id,
        content_json: v.content,
    }
}
