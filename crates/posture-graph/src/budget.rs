//! Request budgets that keep a fleet of workers under Microsoft's published limits instead of
//! discovering them through 429s: a log of the last window's charges per (app, tenant, service
//! family) plus per-app logs across tenants, with the numbers of the Graph throttling reference. A
//! 429 pauses the key until its Retry-After. `RequestBudget` is a trait so a deployment can share
//! one budget across processes; `InProcessBudget` shares it between the tasks of one process.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

/// Groups of endpoints that Microsoft throttles together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceFamily {
    /// Directory objects (users, groups, roles, organization...), charged in resource units.
    Identity,
    /// auditLogs, sign-ins and authentication-method reports.
    IdentityReports,
    /// `$select=signInActivity` on users.
    SignInActivity,
    /// Conditional Access policies and named locations (1 request/s per tenant, no Retry-After).
    ConditionalAccess,
    IntuneDevices,
    IntuneConfiguration,
    /// `/security` alerts and secure scores.
    Security,
    ServiceHealth,
    /// SharePoint-backed settings and other Graph workloads without a documented limit.
    OtherGraph,
    DefenderForEndpoint,
    ManagementActivity,
    /// Exchange Online's admin API (InvokeCommand), which publishes no limit.
    ExchangeOnline,
}

/// A rate: `requests` (a whole count) within any span of `per`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub requests: f64,
    pub per: Duration,
}

const fn rate(requests: f64, secs: u64) -> Rate {
    Rate {
        requests,
        per: Duration::from_secs(secs),
    }
}

impl ServiceFamily {
    /// Stable snake_case name (metric labels, logs).
    pub fn name(self) -> &'static str {
        match self {
            ServiceFamily::Identity => "identity",
            ServiceFamily::IdentityReports => "identity_reports",
            ServiceFamily::SignInActivity => "sign_in_activity",
            ServiceFamily::ConditionalAccess => "conditional_access",
            ServiceFamily::IntuneDevices => "intune_devices",
            ServiceFamily::IntuneConfiguration => "intune_configuration",
            ServiceFamily::Security => "security",
            ServiceFamily::ServiceHealth => "service_health",
            ServiceFamily::OtherGraph => "other_graph",
            ServiceFamily::DefenderForEndpoint => "defender_for_endpoint",
            ServiceFamily::ManagementActivity => "management_activity",
            ServiceFamily::ExchangeOnline => "exchange_online",
        }
    }

    /// Limit per app per tenant (reference §13, smallest tenant tier where it depends on size).
    pub fn per_tenant_rate(self) -> Rate {
        match self {
            ServiceFamily::Identity => rate(3_500.0, 10),
            ServiceFamily::IdentityReports => rate(5.0, 10),
            ServiceFamily::SignInActivity => rate(10.0, 60),
            ServiceFamily::ConditionalAccess => rate(1.0, 1),
            ServiceFamily::IntuneDevices => rate(2_000.0, 20),
            ServiceFamily::IntuneConfiguration => rate(1_000.0, 20),
            ServiceFamily::Security => rate(150.0, 60),
            ServiceFamily::ServiceHealth => rate(240.0, 60),
            ServiceFamily::OtherGraph => rate(1_000.0, 10),
            ServiceFamily::DefenderForEndpoint => rate(100.0, 60),
            ServiceFamily::ManagementActivity => rate(2_000.0, 60),
            // Not published; a sync reads about twenty cmdlets, so a modest pace costs nothing.
            ServiceFamily::ExchangeOnline => rate(50.0, 10),
        }
    }

    /// Limit per app across all tenants, where Microsoft states one for the family.
    pub fn per_app_rate(self) -> Option<Rate> {
        match self {
            ServiceFamily::Identity => Some(rate(150_000.0, 20)),
            ServiceFamily::IdentityReports => Some(rate(122.0, 10)),
            ServiceFamily::SignInActivity => Some(rate(10.0, 60)),
            _ => None,
        }
    }

    /// Hourly caps on top of the per-minute rate.
    pub fn per_tenant_hourly(self) -> Option<Rate> {
        match self {
            ServiceFamily::ServiceHealth => Some(rate(800.0, 3_600)),
            ServiceFamily::DefenderForEndpoint => Some(rate(1_500.0, 3_600)),
            _ => None,
        }
    }
}

/// Global Graph limit per app across tenants.
pub const GLOBAL_PER_APP: Rate = rate(130_000.0, 10);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BudgetKey {
    pub app_id: String,
    pub tenant_id: String,
    pub family: ServiceFamily,
}

#[async_trait]
pub trait RequestBudget: Send + Sync {
    /// Wait until a request costing `cost` units may be sent for `key`, and charge it.
    async fn acquire(&self, key: &BudgetKey, cost: u32);
    /// The service throttled `key`: nobody sends for it until `retry_after` has passed.
    fn throttled(&self, key: &BudgetKey, retry_after: Duration);
}

/// A budget that never waits (benchmarks, simulator runs with throttling off).
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

#[async_trait]
impl RequestBudget for Unlimited {
    async fn acquire(&self, _key: &BudgetKey, _cost: u32) {}
    fn throttled(&self, _key: &BudgetKey, _retry_after: Duration) {}
}

/// A limit as the budget enforces it: at most `capacity` units charged within any `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Limit {
    capacity: u64,
    window: Duration,
}

impl Limit {
    /// The published count over the published window stretched by 1 / `headroom`: the same
    /// long-run throughput as `headroom` of the rate, with the margin in time (see
    /// `DEFAULT_HEADROOM`). At least one whole request fits, or nothing could ever be sent.
    fn new(rate: Rate, headroom: f64) -> Limit {
        Limit {
            capacity: rate.requests.floor().max(1.0) as u64,
            window: rate.per.max(Duration::from_millis(1)).div_f64(headroom),
        }
    }
}

/// Limits of up to this many units log every charge on its own; larger ones share slots.
const EXACT_UP_TO: u64 = 1_024;

/// Charges of one scope that still count: a charge counts from the moment it is taken until
/// `until`, one window later. Microsoft counts limits such as "10 requests per minute" over a
/// window, which a token bucket does not respect: a full bucket sends its capacity at once and
/// then refills, so nearly twice the limit falls within one window and the service answers 429.
///
/// Up to `EXACT_UP_TO` units every instant has its own entry (at most `capacity` entries, as a
/// charge is at least one unit). Above that (the global 130,000 / 10 s and the like) a charge is
/// released at the end of a slot of `window / EXACT_UP_TO`, so the log holds at most
/// `EXACT_UP_TO + 1` entries and each unit is held at most one slot (0.1% of the window) longer than
/// its window, never shorter.
#[derive(Debug)]
struct WindowLog {
    limit: Limit,
    /// Zero when every instant has its own entry.
    slot: Duration,
    /// Where slots start.
    origin: Instant,
    /// Ordered by `until`.
    charges: VecDeque<Charge>,
    /// Units of `charges`.
    held: u64,
    /// Set by a 429: nothing is sent before this instant.
    paused_until: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Charge {
    until: Instant,
    units: u64,
}

impl WindowLog {
    fn new(limit: Limit, now: Instant) -> WindowLog {
        let slot = if limit.capacity > EXACT_UP_TO {
            limit.window / EXACT_UP_TO as u32
        } else {
            Duration::ZERO
        };
        WindowLog {
            limit,
            slot,
            origin: now,
            charges: VecDeque::new(),
            held: 0,
            paused_until: None,
        }
    }

    /// Forget the charges whose window has passed.
    fn expire(&mut self, now: Instant) {
        while let Some(first) = self.charges.front()
            && first.until <= now
        {
            self.held -= first.units;
            self.charges.pop_front();
        }
    }

    /// Units charged within the window ending at `now`.
    fn held_at(&mut self, now: Instant) -> u64 {
        self.expire(now);
        self.held
    }

    /// A request dearer than the whole limit is charged as the whole limit: it goes alone into
    /// an empty window instead of never.
    fn units(&self, cost: u64) -> u64 {
        cost.clamp(1, self.limit.capacity)
    }

    /// How long until `cost` fits within the window (zero when it fits now): until enough of
    /// the oldest charges have left it, or until a 429's pause ends.
    fn wait_for(&mut self, cost: u64, now: Instant) -> Duration {
        let units = self.units(cost);
        let mut held = self.held_at(now);
        let mut fits_at = now;
        for charge in &self.charges {
            if held + units <= self.limit.capacity {
                break;
            }
            held -= charge.units;
            fits_at = charge.until;
        }
        let fits_at = self.paused_until.map_or(fits_at, |p| p.max(fits_at));
        fits_at.saturating_duration_since(now)
    }

    /// Charge `cost` at `now` (the caller has checked that it fits).
    fn charge(&mut self, cost: u64, now: Instant) {
        let units = self.units(cost);
        let until = self.release(now);
        // Callers read the clock before taking the lock, so a charge may arrive a moment after
        // a later one: keep the log ordered.
        let at = self
            .charges
            .iter()
            .rposition(|c| c.until <= until)
            .map_or(0, |i| i + 1);
        match at.checked_sub(1).and_then(|i| self.charges.get_mut(i)) {
            Some(same) if same.until == until => same.units += units,
            _ => self.charges.insert(at, Charge { until, units }),
        }
        self.held += units;
    }

    /// When a charge taken at `now` stops counting: a window later, from the end of its slot.
    fn release(&self, now: Instant) -> Instant {
        if self.slot.is_zero() {
            return now + self.limit.window;
        }
        let slot = self.slot.as_nanos();
        let slots = now
            .saturating_duration_since(self.origin)
            .as_nanos()
            .div_ceil(slot);
        let offset = u64::try_from(slots * slot).unwrap_or(u64::MAX);
        self.origin + Duration::from_nanos(offset) + self.limit.window
    }
}

/// The longest pause a 429 imposes on a key.
const LONGEST_PAUSE: Duration = Duration::from_secs(86_400);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Scope {
    Tenant(BudgetKey),
    TenantHourly(BudgetKey),
    App(String, ServiceFamily),
    Global(String),
}

/// Share of each published limit's throughput the budget uses. A request leaves a worker a
/// moment before the service counts it, and the first request on a new connection takes longer
/// than the next, so two charges exactly one window apart can land within one window at the
/// service. The budget therefore keeps the published count and stretches its window by
/// 1 / headroom (10 per minute becomes 10 per 66.7 s). The margin has to be in time: with a
/// smaller count, two bursts one window apart could still land within one window at the service.
pub const DEFAULT_HEADROOM: f64 = 0.9;

/// Window logs in this process's memory.
#[derive(Debug)]
pub struct InProcessBudget {
    logs: Mutex<HashMap<Scope, WindowLog>>,
    headroom: f64,
}

impl Default for InProcessBudget {
    fn default() -> Self {
        InProcessBudget::with_headroom(DEFAULT_HEADROOM)
    }
}

impl InProcessBudget {
    pub fn new() -> InProcessBudget {
        InProcessBudget::default()
    }

    /// A budget using `headroom` (0–1] of each published limit's throughput.
    pub fn with_headroom(headroom: f64) -> InProcessBudget {
        InProcessBudget {
            logs: Mutex::new(HashMap::new()),
            headroom: headroom.clamp(0.01, 1.0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Scope, WindowLog>> {
        self.logs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn scopes(&self, key: &BudgetKey) -> Vec<(Scope, Limit)> {
        let limit = |r: Rate| Limit::new(r, self.headroom);
        let mut scopes = vec![(Scope::Tenant(key.clone()), limit(key.family.per_tenant_rate()))];
        if let Some(r) = key.family.per_tenant_hourly() {
            scopes.push((Scope::TenantHourly(key.clone()), limit(r)));
        }
        if let Some(r) = key.family.per_app_rate() {
            scopes.push((Scope::App(key.app_id.clone(), key.family), limit(r)));
        }
        let graph = !matches!(
            key.family,
            ServiceFamily::DefenderForEndpoint
                | ServiceFamily::ManagementActivity
                | ServiceFamily::ExchangeOnline
        );
        if graph {
            scopes.push((Scope::Global(key.app_id.clone()), limit(GLOBAL_PER_APP)));
        }
        scopes
    }

    /// Charge `cost` at `now` if every scope of `key` has room; otherwise say how long to wait.
    fn try_take(&self, key: &BudgetKey, cost: u64, now: Instant) -> Duration {
        let mut logs = self.lock();
        let scopes = self.scopes(key);
        let mut wait = Duration::ZERO;
        for (scope, limit) in &scopes {
            let log = logs
                .entry(scope.clone())
                .or_insert_with(|| WindowLog::new(*limit, now));
            wait = wait.max(log.wait_for(cost, now));
        }
        if wait.is_zero() {
            for (scope, _) in &scopes {
                if let Some(log) = logs.get_mut(scope) {
                    log.charge(cost, now);
                }
            }
        }
        wait
    }

    /// The per-tenant log of `key`.
    fn tenant_log<'a>(
        &self,
        logs: &'a mut HashMap<Scope, WindowLog>,
        key: &BudgetKey,
        now: Instant,
    ) -> &'a mut WindowLog {
        let limit = Limit::new(key.family.per_tenant_rate(), self.headroom);
        logs.entry(Scope::Tenant(key.clone()))
            .or_insert_with(|| WindowLog::new(limit, now))
    }

    /// Units left in the per-tenant window of `key` (for metrics and tests).
    pub fn remaining(&self, key: &BudgetKey) -> f64 {
        let now = Instant::now();
        let mut logs = self.lock();
        let log = self.tenant_log(&mut logs, key, now);
        (log.limit.capacity - log.held_at(now)) as f64
    }
}

#[async_trait]
impl RequestBudget for InProcessBudget {
    async fn acquire(&self, key: &BudgetKey, cost: u32) {
        loop {
            let wait = self.try_take(key, u64::from(cost), Instant::now());
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }

    fn throttled(&self, key: &BudgetKey, retry_after: Duration) {
        let now = Instant::now();
        // A Retry-After comes from the network: a nonsensical one must not overflow the clock.
        let until = now + retry_after.min(LONGEST_PAUSE);
        let mut logs = self.lock();
        let log = self.tenant_log(&mut logs, key, now);
        log.paused_until = Some(log.paused_until.map_or(until, |u| u.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tenant: &str, family: ServiceFamily) -> BudgetKey {
        BudgetKey {
            app_id: "app".into(),
            tenant_id: tenant.into(),
            family,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// Takes `cost` for `key` as `acquire` does, on a clock the test moves; returns the instant
    /// the charge was taken.
    fn acquire_at(budget: &InProcessBudget, key: &BudgetKey, cost: u64, mut now: Instant) -> Instant {
        loop {
            let wait = budget.try_take(key, cost, now);
            if wait.is_zero() {
                return now;
            }
            now += wait;
        }
    }

    /// The same loop on one log.
    fn take_at(log: &mut WindowLog, cost: u64, mut now: Instant) -> Instant {
        loop {
            let wait = log.wait_for(cost, now);
            if wait.is_zero() {
                log.charge(cost, now);
                return now;
            }
            now += wait;
        }
    }

    /// The most units of `charges` (in time order) within any span shorter than `window`, as a
    /// service counting over a sliding window sees them.
    fn most_within(charges: &[(Instant, u64)], window: Duration) -> u64 {
        let (mut start, mut sum, mut most) = (0, 0, 0);
        for &(at, units) in charges {
            sum += units;
            while at.duration_since(charges[start].0) >= window {
                sum -= charges[start].1;
                start += 1;
            }
            most = most.max(sum);
        }
        most
    }

    #[test]
    fn sign_in_activity_never_sends_more_than_ten_within_a_minute() {
        let t0 = Instant::now();
        for headroom in [1.0, DEFAULT_HEADROOM] {
            let budget = InProcessBudget::with_headroom(headroom);
            let k = key("t1", ServiceFamily::SignInActivity);
            let mut now = t0;
            let mut sent = Vec::new();
            for _ in 0..40 {
                now = acquire_at(&budget, &k, 1, now);
                sent.push((now, 1));
            }
            assert_eq!(most_within(&sent, secs(60)), 10, "headroom {headroom}");
            // Same long-run rate as before: 10 per minute / headroom, the last ten 3 windows in.
            assert_eq!(now - t0, secs(60).div_f64(headroom) * 3, "headroom {headroom}");
        }
    }

    #[test]
    fn the_eleventh_sign_in_page_waits_for_the_first_to_leave_the_window() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::SignInActivity);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(budget.try_take(&k, 1, t0).is_zero());
        }
        // A refilling bucket would have sent it 6 s in: 11 within the minute, and a 429.
        assert_eq!(budget.try_take(&k, 1, t0 + secs(6)), secs(54));
        let just_before = t0 + secs(60) - Duration::from_nanos(1);
        assert_eq!(budget.try_take(&k, 1, just_before), Duration::from_nanos(1));
        assert!(budget.try_take(&k, 1, t0 + secs(60)).is_zero());
    }

    #[test]
    fn a_full_window_waits_exactly_until_its_oldest_charge_leaves() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::SignInActivity);
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(budget.try_take(&k, 1, t0 + secs(5 * i)).is_zero());
        }
        assert_eq!(budget.try_take(&k, 1, t0 + secs(50)), secs(10));
        assert!(budget.try_take(&k, 1, t0 + secs(60)).is_zero());
        assert_eq!(
            budget.try_take(&k, 1, t0 + secs(60)),
            secs(5),
            "then the one charged 5 s in"
        );
        assert_eq!(budget.remaining(&k), 0.0, "ten charges within the last minute");
    }

    #[test]
    fn dear_requests_wait_until_enough_charges_have_left() {
        let t0 = Instant::now();
        let limit = Limit {
            capacity: 10,
            window: secs(60),
        };
        let mut log = WindowLog::new(limit, t0);
        log.charge(4, t0);
        log.charge(3, t0 + secs(10));
        log.charge(3, t0 + secs(20));
        let now = t0 + secs(30);
        assert_eq!(log.wait_for(3, now), secs(30), "the first charge frees 4");
        assert_eq!(log.wait_for(4, now), secs(30));
        assert_eq!(
            log.wait_for(5, now),
            secs(40),
            "5 needs the second charge gone too"
        );
        assert_eq!(log.wait_for(8, now), secs(50));
        assert_eq!(take_at(&mut log, 5, now), t0 + secs(70));
        assert_eq!(log.held_at(t0 + secs(70)), 8);
    }

    #[test]
    fn a_request_dearer_than_the_limit_goes_alone_into_an_empty_window() {
        let t0 = Instant::now();
        let limit = Limit {
            capacity: 10,
            window: secs(60),
        };
        let mut log = WindowLog::new(limit, t0);
        log.charge(1, t0);
        assert_eq!(log.wait_for(25, t0), secs(60));
        assert_eq!(take_at(&mut log, 25, t0), t0 + secs(60));
        assert_eq!(
            log.wait_for(1, t0 + secs(60)),
            secs(60),
            "it took the whole window"
        );
    }

    #[test]
    fn mixed_costs_at_random_moments_never_overfill_a_window() {
        let t0 = Instant::now();
        let limit = Limit {
            capacity: 20,
            window: secs(10),
        };
        let mut log = WindowLog::new(limit, t0);
        // A fixed linear congruential sequence: deterministic, and no dependency for it.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 33) % n
        };
        let mut arrival = t0;
        let mut last = t0;
        let mut sent = Vec::new();
        for _ in 0..2_000 {
            arrival += Duration::from_millis(next(1_500));
            let cost = 1 + next(7);
            last = take_at(&mut log, cost, arrival.max(last));
            sent.push((last, cost));
        }
        assert_eq!(most_within(&sent, secs(10)), 20);
        assert!(log.charges.len() <= 20);
    }

    #[test]
    fn large_limits_keep_a_bounded_log_at_their_rate() {
        let t0 = Instant::now();
        let limit = Limit::new(GLOBAL_PER_APP, 1.0);
        let mut slotted = WindowLog::new(limit, t0);
        let mut exact = WindowLog::new(limit, t0);
        exact.slot = Duration::ZERO;
        let (mut last, mut last_exact, mut longest) = (t0, t0, 0);
        let mut sent = Vec::new();
        // 25,000 requests a second against 13,000 allowed.
        for i in 0..300_000u32 {
            let arrival = t0 + Duration::from_micros(40) * i;
            last = take_at(&mut slotted, 1, arrival.max(last));
            last_exact = take_at(&mut exact, 1, arrival.max(last_exact));
            sent.push((last, 1));
            longest = longest.max(slotted.charges.len());
        }
        assert_eq!(most_within(&sent, secs(10)), 130_000);
        assert!(longest <= EXACT_UP_TO as usize + 1, "{longest} entries");
        assert!(
            exact.charges.len() > 100_000,
            "an exact log would hold every request"
        );
        // Two windows of waiting, each at most one slot longer than with the exact log.
        assert!(last >= last_exact);
        assert!(
            last - last_exact <= slotted.slot * 2,
            "{:?} after the exact log",
            last - last_exact
        );
    }

    #[test]
    fn a_charge_taken_after_a_later_one_keeps_the_log_in_order() {
        let t0 = Instant::now();
        let limit = Limit {
            capacity: 3,
            window: secs(10),
        };
        let mut log = WindowLog::new(limit, t0);
        log.charge(1, t0 + secs(5));
        log.charge(1, t0 + secs(3));
        log.charge(1, t0 + secs(5));
        assert_eq!(log.charges.len(), 2);
        assert_eq!(
            log.wait_for(1, t0 + secs(6)),
            secs(7),
            "the charge of 3 s leaves first"
        );
        assert_eq!(log.held_at(t0 + secs(13)), 2);
    }

    #[test]
    fn conditional_access_is_paced_at_one_request_per_second() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::ConditionalAccess);
        let t0 = Instant::now();
        assert!(budget.try_take(&k, 1, t0).is_zero());
        assert_eq!(
            budget.try_take(&k, 1, t0 + Duration::from_millis(200)),
            Duration::from_millis(800)
        );
    }

    #[test]
    fn tenants_have_separate_logs_but_share_the_app_wide_one() {
        let budget = InProcessBudget::with_headroom(1.0);
        let now = Instant::now();
        let a = key("a", ServiceFamily::IdentityReports);
        let b = key("b", ServiceFamily::IdentityReports);
        for _ in 0..5 {
            assert!(budget.try_take(&a, 1, now).is_zero());
        }
        assert!(
            !budget.try_take(&a, 1, now).is_zero(),
            "sixth report call in 10 s must wait"
        );
        assert!(
            budget.try_take(&b, 1, now).is_zero(),
            "another tenant is not held back"
        );
        for t in 0..30 {
            let k = key(&format!("x{t}"), ServiceFamily::IdentityReports);
            for _ in 0..5 {
                let _ = budget.try_take(&k, 1, now);
            }
        }
        let fresh = key("fresh", ServiceFamily::IdentityReports);
        assert!(
            !budget.try_take(&fresh, 1, now).is_zero(),
            "122 per 10 s across tenants is exhausted"
        );
    }

    #[test]
    fn default_headroom_stretches_the_window_not_the_count() {
        let budget = InProcessBudget::new();
        let t0 = Instant::now();
        let reports = key("t1", ServiceFamily::IdentityReports);
        for _ in 0..5 {
            assert!(budget.try_take(&reports, 1, t0).is_zero());
        }
        assert_eq!(budget.try_take(&reports, 1, t0), secs(10).div_f64(0.9));
        let ca = key("t1", ServiceFamily::ConditionalAccess);
        assert!(budget.try_take(&ca, 1, t0).is_zero());
        assert_eq!(budget.try_take(&ca, 1, t0), secs(1).div_f64(0.9));
    }

    #[tokio::test]
    async fn acquire_charges_every_scope_of_the_key() {
        let budget = InProcessBudget::new();
        let k = key("t1", ServiceFamily::Identity);
        for _ in 0..3 {
            budget.acquire(&k, 2).await;
        }
        budget.acquire(&k, 0).await;
        assert_eq!(
            budget.remaining(&k),
            3_493.0,
            "3 × 2 units and a free call charged as 1"
        );
        let other = key("t2", ServiceFamily::Identity);
        assert_eq!(budget.remaining(&other), 3_500.0);
        let global = budget.lock()[&Scope::Global("app".into())].held;
        assert_eq!(global, 7, "the app-wide logs count it too");
    }

    #[test]
    fn a_429_pauses_the_key_until_retry_after() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::Identity);
        budget.throttled(&k, secs(7));
        let wait = budget.try_take(&k, 2, Instant::now());
        assert!(wait > secs(6) && wait <= secs(7), "wait {wait:?}");
        assert!(
            budget
                .try_take(&key("t2", ServiceFamily::Identity), 2, Instant::now())
                .is_zero()
        );
        assert_eq!(budget.remaining(&k), 3_500.0);
        budget.throttled(&k, Duration::MAX);
        assert!(budget.try_take(&k, 1, Instant::now()) <= LONGEST_PAUSE);
    }
}
