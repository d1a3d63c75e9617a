//! Between stored schedules and their protobuf shapes.

use posture_kit::time::timestamp;
use posture_proto::v1::{DailyCadence, IntervalCadence, Schedule, schedule};

use crate::cadence::Cadence;
use crate::store::ScheduleRecord;

pub fn duration(span: chrono::Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: span.num_seconds(),
        nanos: 0,
    }
}

pub fn cadence(cadence: &Cadence) -> schedule::Cadence {
    match cadence {
        Cadence::Daily { minute_of_day } => schedule::Cadence::Daily(DailyCadence {
            hour_utc: minute_of_day / 60,
            minute_utc: minute_of_day % 60,
        }),
        Cadence::Interval { every } => schedule::Cadence::Interval(IntervalCadence {
            every: Some(duration(*every)),
        }),
    }
}

pub fn schedule(record: &ScheduleRecord) -> Schedule {
    Schedule {
        tenant_id: record.tenant_id.to_string(),
        enabled: record.enabled,
        cadence: Some(cadence(&record.cadence)),
        window: Some(duration(record.window)),
        entity_kinds: record.entity_kinds.clone(),
        next_run_at: Some(timestamp(record.next_run_at)),
        last_triggered_at: record.last_triggered_at.map(timestamp),
        last_run_id: record.last_run_id.map(|id| id.to_string()).unwrap_or_default(),
        updated_by: record.updated_by.clone(),
        updated_at: record.updated_at.map(timestamp),
    }
}
