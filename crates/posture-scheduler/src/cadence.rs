//! Schedule arithmetic: nominal slots of a cadence, the stable per-tenant spread offset, and which
//! slot is due at a given instant. Pure functions of their inputs, so restarts and replicas agree.

use chrono::{DateTime, Duration, TimeZone, Utc};
use posture_kit::ids::TenantId;
use sha2::{Digest, Sha256};

/// Shortest interval cadence: shorter would hammer Microsoft's APIs for little gain.
pub const MIN_INTERVAL: Duration = Duration::minutes(15);
/// Longest interval cadence.
pub const MAX_INTERVAL: Duration = Duration::days(7);
/// Longest spread window.
pub const MAX_WINDOW: Duration = Duration::hours(12);

/// How often a tenant's runs start (nominal times, before the tenant's spread offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Once a day at `minute_of_day` minutes after midnight UTC (0..1440).
    Daily { minute_of_day: u32 },
    /// Every `every` (15 minutes to 7 days), on slots counted from the Unix epoch so every
    /// replica computes the same slots without shared state.
    Interval { every: Duration },
}

impl Cadence {
    pub fn daily(hour: u32, minute: u32) -> Option<Cadence> {
        (hour < 24 && minute < 60).then_some(Cadence::Daily {
            minute_of_day: hour * 60 + minute,
        })
    }

    pub fn interval(every: Duration) -> Option<Cadence> {
        (every >= MIN_INTERVAL && every <= MAX_INTERVAL).then_some(Cadence::Interval { every })
    }

    fn period(&self) -> Duration {
        match self {
            Cadence::Daily { .. } => Duration::days(1),
            Cadence::Interval { every } => *every,
        }
    }

    /// Offset of the slots from the epoch, within one period.
    fn phase(&self) -> Duration {
        match self {
            Cadence::Daily { minute_of_day } => Duration::minutes(i64::from(*minute_of_day)),
            Cadence::Interval { .. } => Duration::zero(),
        }
    }

    /// The latest nominal slot at or before `at`.
    pub fn slot_at_or_before(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let period = self.period().num_seconds().max(1);
        let phase = self.phase().num_seconds();
        let since = at.timestamp() - phase;
        let slot = since.div_euclid(period) * period + phase;
        Utc.timestamp_opt(slot, 0).single().unwrap_or(at)
    }

    /// The first nominal slot strictly after `slot`.
    pub fn slot_after(&self, slot: DateTime<Utc>) -> DateTime<Utc> {
        self.slot_at_or_before(slot) + self.period()
    }

    /// Spread offsets cannot exceed one period, or a tenant's runs would overlap their own slots.
    fn effective_offset(&self, offset: Duration) -> Duration {
        let limit = self.period() - Duration::seconds(1);
        offset.min(limit).max(Duration::zero())
    }

    /// The latest slot whose start (slot plus `offset`) is at or before `now`.
    pub fn latest_due_slot(&self, offset: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
        self.slot_at_or_before(now - self.effective_offset(offset))
    }

    /// When `slot` actually starts for a tenant with this `offset`.
    pub fn start_of(&self, slot: DateTime<Utc>, offset: Duration) -> DateTime<Utc> {
        slot + self.effective_offset(offset)
    }
}

/// The tenant's stable place in the spread window: a hash of its id, so thousands of tenants do
/// not start in the same second and a tenant's start never moves between restarts or replicas.
/// Whole seconds in `[0, window)`; zero for an empty window. The hash is over the id's text (the
/// lower-case GUID), so offsets stay where they were when ids were kept as strings.
pub fn spread_offset(tenant_id: &TenantId, window: Duration) -> Duration {
    let window_secs = window.num_seconds();
    if window_secs <= 0 {
        return Duration::zero();
    }
    let digest = Sha256::digest(tenant_id.to_string().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let hash = u64::from_be_bytes(first);
    let offset = hash % window_secs.unsigned_abs();
    Duration::seconds(i64::try_from(offset).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, h, m, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn spread_offset_is_stable_and_within_window() {
        let window = Duration::hours(2);
        let text = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11";
        let tenant: TenantId = text.parse().expect("a GUID");
        let first = spread_offset(&tenant, window);
        assert_eq!(first, spread_offset(&tenant, window));
        let upper: TenantId = text.to_ascii_uppercase().parse().expect("a GUID");
        assert_eq!(first, spread_offset(&upper, window));
        // Pinned: a tenant's start must not move when the code that computes it changes.
        assert_eq!(first, Duration::seconds(2373));
        let mut distinct = std::collections::HashSet::new();
        for n in 0..2000u32 {
            let id = TenantId::from_uuid(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &n.to_be_bytes()))
                .expect("a v5 GUID is not nil");
            let offset = spread_offset(&id, window);
            assert!(offset >= Duration::zero() && offset < window, "{offset}");
            distinct.insert(offset.num_seconds());
        }
        // 2000 tenants over 7200 seconds: a good hash leaves few collisions.
        assert!(distinct.len() > 1500, "only {} distinct offsets", distinct.len());
        assert_eq!(spread_offset(&tenant, Duration::zero()), Duration::zero());
    }

    #[test]
    fn daily_slots_fall_at_the_configured_minute() {
        let cadence = Cadence::daily(3, 0).expect("valid time");
        assert_eq!(cadence.slot_at_or_before(at(3, 0)), at(3, 0));
        assert_eq!(cadence.slot_at_or_before(at(2, 59)), at(3, 0) - Duration::days(1));
        assert_eq!(cadence.slot_after(at(3, 0)), at(3, 0) + Duration::days(1));
        let offset = Duration::minutes(47);
        assert_eq!(
            cadence.latest_due_slot(offset, at(3, 46)),
            at(3, 0) - Duration::days(1)
        );
        assert_eq!(cadence.latest_due_slot(offset, at(3, 47)), at(3, 0));
        assert_eq!(cadence.start_of(at(3, 0), offset), at(3, 47));
    }

    #[test]
    fn interval_slots_are_aligned_to_the_epoch() {
        let cadence = Cadence::interval(Duration::hours(6)).expect("valid interval");
        assert_eq!(cadence.slot_at_or_before(at(13, 5)), at(12, 0));
        assert_eq!(cadence.slot_after(at(12, 0)), at(18, 0));
        // An offset longer than the interval is cut to the interval.
        assert_eq!(
            cadence.start_of(at(12, 0), Duration::hours(9)),
            at(17, 59) + Duration::seconds(59)
        );
    }

    #[test]
    fn cadences_out_of_range_are_refused() {
        assert!(Cadence::daily(24, 0).is_none());
        assert!(Cadence::daily(0, 60).is_none());
        assert!(Cadence::interval(Duration::minutes(14)).is_none());
        assert!(Cadence::interval(Duration::days(8)).is_none());
    }
}
