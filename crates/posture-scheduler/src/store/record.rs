//! One tenant's schedule as stored, and the bookkeeping that keeps a restart from skipping or
//! doubling a run: `last_slot` is the nominal slot already accounted for (fired, or passed before
//! the schedule existed or changed), and `next_run_at` follows from it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use posture_kit::ids::{RunId, TenantId};

use super::StoreError;
use crate::cadence::{Cadence, spread_offset};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub tenant_id: TenantId,
    pub enabled: bool,
    pub cadence: Cadence,
    /// Spread window the tenant's offset falls in.
    pub window: Duration,
    /// Entity kinds scheduled runs sync; empty means every kind.
    pub entity_kinds: Vec<String>,
    /// Start of the first slot after `last_slot` (may be in the past while it waits to fire).
    pub next_run_at: DateTime<Utc>,
    pub last_slot: DateTime<Utc>,
    pub last_triggered_at: Option<DateTime<Utc>>,
    /// The run the last fired slot asked for; stored as empty text before the first.
    pub last_run_id: Option<RunId>,
    /// Empty for a schedule never changed through the API.
    pub updated_by: String,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ScheduleRecord {
    /// A fresh schedule: slots that came due before `now` are not owed a run.
    pub fn new(tenant_id: TenantId, cadence: Cadence, window: Duration, now: DateTime<Utc>) -> Self {
        let mut record = ScheduleRecord {
            tenant_id,
            enabled: true,
            cadence,
            window,
            entity_kinds: Vec::new(),
            next_run_at: now,
            last_slot: now,
            last_triggered_at: None,
            last_run_id: None,
            updated_by: String::new(),
            updated_at: None,
        };
        record.rearm(now);
        record
    }

    /// The tenant's stable offset within its window.
    pub fn offset(&self) -> Duration {
        spread_offset(&self.tenant_id, self.window)
    }

    /// Recomputes the bookkeeping after the cadence or window changed: the next run is the first
    /// start after `now`, so a change never fires a run for a slot that is already past.
    pub fn rearm(&mut self, now: DateTime<Utc>) {
        self.last_slot = self.cadence.latest_due_slot(self.offset(), now);
        self.next_run_at = self.start_after(self.last_slot);
    }

    /// Start of the first slot after `slot`.
    pub fn start_after(&self, slot: DateTime<Utc>) -> DateTime<Utc> {
        self.cadence
            .start_of(self.cadence.slot_after(slot), self.offset())
    }

    /// The slot to fire at `now`, if one is owed: the latest slot whose start has passed, when it
    /// is newer than the last one accounted for. Slots missed while no scheduler ran collapse
    /// into this one, so a long outage costs one run, not one per missed day.
    pub fn due_slot(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let latest = self.cadence.latest_due_slot(self.offset(), now);
        (self.enabled && latest > self.last_slot).then_some(latest)
    }
}

/// The stored columns, in `COLUMNS` order.
pub(super) type Row = (
    String,
    bool,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
    Option<i64>,
    String,
    String,
    Option<i64>,
);

pub(super) const COLUMNS: &str = "tenant_id, enabled, cadence, daily_minute, interval_secs, window_secs, \
     entity_kinds, next_run_at, last_slot, last_triggered_at, last_run_id, updated_by, updated_at";

pub(super) const DAILY: &str = "daily";
pub(super) const INTERVAL: &str = "interval";

fn corrupt(tenant: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        tenant_id: tenant.to_owned(),
        reason: reason.into(),
    }
}

pub(super) fn instant(tenant: &str, secs: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .ok_or_else(|| corrupt(tenant, format!("instant {secs} is out of range")))
}

pub(super) fn from_row(row: Row) -> Result<ScheduleRecord, StoreError> {
    let (
        tenant_id,
        enabled,
        cadence,
        daily_minute,
        interval_secs,
        window_secs,
        kinds,
        next,
        last,
        triggered,
        run,
        by,
        at,
    ) = row;
    let t = tenant_id.as_str();
    let tenant = t.parse::<TenantId>().map_err(|e| corrupt(t, e.to_string()))?;
    let last_run_id = match run.as_str() {
        "" => None,
        id => Some(id.parse::<RunId>().map_err(|e| corrupt(t, e.to_string()))?),
    };
    let cadence = match cadence.as_str() {
        DAILY => u32::try_from(daily_minute)
            .ok()
            .and_then(|m| Cadence::daily(m / 60, m % 60))
            .ok_or_else(|| corrupt(t, format!("daily minute {daily_minute}")))?,
        INTERVAL => Cadence::interval(Duration::seconds(interval_secs))
            .ok_or_else(|| corrupt(t, format!("interval {interval_secs}s")))?,
        other => return Err(corrupt(t, format!("cadence `{other}`"))),
    };
    Ok(ScheduleRecord {
        enabled,
        cadence,
        window: Duration::seconds(window_secs),
        entity_kinds: kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        next_run_at: instant(t, next)?,
        last_slot: instant(t, last)?,
        last_triggered_at: triggered.map(|s| instant(t, s)).transpose()?,
        last_run_id,
        updated_by: by,
        updated_at: at.map(|s| instant(t, s)).transpose()?,
        tenant_id: tenant,
    })
}

/// `(cadence, daily_minute, interval_secs)` columns of a cadence.
pub(super) fn cadence_columns(cadence: &Cadence) -> (&'static str, i64, i64) {
    match cadence {
        Cadence::Daily { minute_of_day } => (DAILY, i64::from(*minute_of_day), 0),
        Cadence::Interval { every } => (INTERVAL, 0, every.num_seconds()),
    }
}
