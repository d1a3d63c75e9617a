//! Request budgets that keep a fleet of workers under Microsoft's published limits instead of
//! discovering them through 429s: token buckets per (app, tenant, service family) plus per-app
//! buckets across tenants, with the numbers of the Graph throttling reference. A 429 pauses the
//! key until its Retry-After. `RequestBudget` is a trait so a deployment can share one budget
//! across processes; `InProcessBudget` shares it between the tasks of one process.

use std::collections::HashMap;
use std::sync::Mutex;
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
}

/// A rate: `requests` per `per`.
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

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    refill_per_sec: f64,
    updated: Instant,
    paused_until: Option<Instant>,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Bucket {
        // At least one whole request fits, or a scaled-down 1/s limit could never send.
        let capacity = rate.requests.max(1.0);
        Bucket {
            capacity,
            tokens: capacity,
            refill_per_sec: rate.requests / rate.per.as_secs_f64().max(1e-3),
            updated: now,
            paused_until: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        self.updated = now;
    }

    /// How long until `cost` tokens are available (zero when they are).
    fn wait_for(&self, cost: f64, now: Instant) -> Duration {
        let pause = self
            .paused_until
            .map(|u| u.saturating_duration_since(now))
            .unwrap_or(Duration::ZERO);
        // A request dearer than the whole bucket is allowed once the bucket is full.
        let need = cost.min(self.capacity);
        let deficit = (need - self.tokens).max(0.0);
        pause.max(Duration::from_secs_f64(deficit / self.refill_per_sec))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Scope {
    Tenant(BudgetKey),
    TenantHourly(BudgetKey),
    App(String, ServiceFamily),
    Global(String),
}

/// Share of each published limit the budget allows: requests leave a worker a few milliseconds
/// before the service counts them, so pacing at exactly the limit would still meet 429s.
pub const DEFAULT_HEADROOM: f64 = 0.9;

/// Token buckets in this process's memory.
#[derive(Debug)]
pub struct InProcessBudget {
    buckets: Mutex<HashMap<Scope, Bucket>>,
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

    /// A budget allowing `headroom` (0–1] of each published limit.
    pub fn with_headroom(headroom: f64) -> InProcessBudget {
        InProcessBudget {
            buckets: Mutex::new(HashMap::new()),
            headroom: headroom.clamp(0.01, 1.0),
        }
    }

    fn scopes(&self, key: &BudgetKey) -> Vec<(Scope, Rate)> {
        let scaled = |r: Rate| Rate {
            requests: r.requests * self.headroom,
            per: r.per,
        };
        let mut scopes = vec![(Scope::Tenant(key.clone()), scaled(key.family.per_tenant_rate()))];
        if let Some(r) = key.family.per_tenant_hourly() {
            scopes.push((Scope::TenantHourly(key.clone()), scaled(r)));
        }
        if let Some(r) = key.family.per_app_rate() {
            scopes.push((Scope::App(key.app_id.clone(), key.family), scaled(r)));
        }
        let graph = !matches!(
            key.family,
            ServiceFamily::DefenderForEndpoint | ServiceFamily::ManagementActivity
        );
        if graph {
            scopes.push((Scope::Global(key.app_id.clone()), scaled(GLOBAL_PER_APP)));
        }
        scopes
    }

    /// Charge now if every bucket has room; otherwise say how long to wait.
    fn try_take(&self, key: &BudgetKey, cost: f64) -> Duration {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let scopes = self.scopes(key);
        let mut wait = Duration::ZERO;
        for (scope, rate) in &scopes {
            let b = buckets
                .entry(scope.clone())
                .or_insert_with(|| Bucket::new(*rate, now));
            b.refill(now);
            wait = wait.max(b.wait_for(cost, now));
        }
        if wait.is_zero() {
            for (scope, _) in &scopes {
                if let Some(b) = buckets.get_mut(scope) {
                    b.tokens -= cost.min(b.capacity);
                }
            }
        }
        wait
    }

    /// Tokens left in the per-tenant bucket of `key` (for metrics and tests).
    pub fn remaining(&self, key: &BudgetKey) -> f64 {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let rate = self.scopes(key).remove(0).1;
        let b = buckets
            .entry(Scope::Tenant(key.clone()))
            .or_insert_with(|| Bucket::new(rate, now));
        b.refill(now);
        b.tokens
    }
}

#[async_trait]
impl RequestBudget for InProcessBudget {
    async fn acquire(&self, key: &BudgetKey, cost: u32) {
        let cost = f64::from(cost.max(1));
        loop {
            let wait = self.try_take(key, cost);
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }

    fn throttled(&self, key: &BudgetKey, retry_after: Duration) {
        let now = Instant::now();
        let until = now + retry_after;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let rate = self.scopes(key).remove(0).1;
        let b = buckets
            .entry(Scope::Tenant(key.clone()))
            .or_insert_with(|| Bucket::new(rate, now));
        b.paused_until = Some(b.paused_until.map_or(until, |u| u.max(until)));
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

    #[test]
    fn conditional_access_is_paced_at_one_request_per_second() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::ConditionalAccess);
        assert!(budget.try_take(&k, 1.0).is_zero());
        let wait = budget.try_take(&k, 1.0);
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "wait {wait:?}"
        );
    }

    #[tokio::test]
    async fn acquire_waits_for_the_bucket_to_refill() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::ConditionalAccess);
        let start = std::time::Instant::now();
        budget.acquire(&k, 1).await;
        budget.acquire(&k, 1).await;
        assert!(start.elapsed() >= Duration::from_millis(900));
    }

    #[test]
    fn tenants_have_separate_buckets_but_share_the_app_wide_one() {
        let budget = InProcessBudget::with_headroom(1.0);
        let a = key("a", ServiceFamily::IdentityReports);
        let b = key("b", ServiceFamily::IdentityReports);
        for _ in 0..5 {
            assert!(budget.try_take(&a, 1.0).is_zero());
        }
        assert!(
            !budget.try_take(&a, 1.0).is_zero(),
            "sixth report call in 10 s must wait"
        );
        assert!(
            budget.try_take(&b, 1.0).is_zero(),
            "another tenant is not held back"
        );
        for t in 0..30 {
            let k = key(&format!("x{t}"), ServiceFamily::IdentityReports);
            for _ in 0..5 {
                let _ = budget.try_take(&k, 1.0);
            }
        }
        let fresh = key("fresh", ServiceFamily::IdentityReports);
        assert!(
            !budget.try_take(&fresh, 1.0).is_zero(),
            "122 per 10 s across tenants is exhausted"
        );
    }

    #[test]
    fn default_headroom_paces_below_the_published_limit() {
        let budget = InProcessBudget::new();
        let k = key("t1", ServiceFamily::IdentityReports);
        for _ in 0..4 {
            assert!(budget.try_take(&k, 1.0).is_zero());
        }
        assert!(!budget.try_take(&k, 1.0).is_zero(), "4.5 of 5 per 10 s");
    }

    #[test]
    fn headroom_slows_one_per_second_limits_too() {
        let budget = InProcessBudget::new();
        let k = key("t1", ServiceFamily::ConditionalAccess);
        assert!(budget.try_take(&k, 1.0).is_zero());
        let wait = budget.try_take(&k, 1.0);
        assert!(wait > Duration::from_millis(1_100), "wait {wait:?}");
    }

    #[test]
    fn a_429_pauses_the_key_until_retry_after() {
        let budget = InProcessBudget::with_headroom(1.0);
        let k = key("t1", ServiceFamily::Identity);
        budget.throttled(&k, Duration::from_secs(7));
        let wait = budget.try_take(&k, 2.0);
        assert!(wait > Duration::from_secs(6) && wait <= Duration::from_secs(7));
        assert!(
            budget
                .try_take(&key("t2", ServiceFamily::Identity), 2.0)
                .is_zero()
        );
        assert!(budget.remaining(&k) > 3_000.0);
    }
}
