//! Throttling per (app, tenant) and service family plus the global per-app budget, with
//! Microsoft's limits (graph-api.md §13). Requests that arrive before a Retry-After has elapsed
//! are throttled again and extend the window, as Graph keeps counting usage while throttled.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::spec::ThrottleMode;

/// A throttling family: requests in one family share buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Family {
    Identity,
    Reports,
    SignInActivity,
    ConditionalAccess,
    IntuneDevices,
    IntuneConfiguration,
    Security,
    ServiceHealth,
    Mde,
    Manage,
    Exchange,
    Admin,
}

impl Family {
    /// (capacity, window seconds) limits per app per tenant.
    fn limits(self, tenant_users: u32) -> &'static [(f64, f64)] {
        match self {
            Family::Identity => {
                if tenant_users < 50 {
                    &[(3500.0, 10.0)]
                } else if tenant_users <= 500 {
                    &[(5000.0, 10.0)]
                } else {
                    &[(8000.0, 10.0)]
                }
            }
            Family::Reports => &[(5.0, 10.0)],
            Family::SignInActivity => &[(10.0, 60.0)],
            Family::ConditionalAccess => &[(1.0, 1.0)],
            Family::IntuneDevices => &[(2000.0, 20.0)],
            Family::IntuneConfiguration => &[(1000.0, 20.0)],
            Family::Security => &[(150.0, 60.0)],
            Family::ServiceHealth => &[(240.0, 60.0), (800.0, 3600.0)],
            Family::Mde => &[(100.0, 60.0), (1500.0, 3600.0)],
            Family::Manage => &[(2000.0, 60.0)],
            // Exchange Online does not publish its admin API budget; a short refilling window
            // like its per-user budgets, roomy enough for a sync's twenty cmdlets.
            Family::Exchange => &[(50.0, 10.0)],
            Family::Admin => &[],
        }
    }

    /// Whether this family's 429s carry Retry-After (identity protection / CA ones do not).
    pub fn sends_retry_after(self) -> bool {
        self != Family::ConditionalAccess
    }

    /// Limits shared by every app across tenants (per app), beyond the per-tenant ones.
    fn app_wide(self) -> &'static [(f64, f64)] {
        match self {
            Family::Reports => &[(122.0, 10.0)],
            Family::SignInActivity => &[(10.0, 60.0)],
            Family::Identity => &[(150_000.0, 20.0)],
            _ => &[],
        }
    }
}

/// Limits with windows of a minute or more are counted in fixed windows ("100 calls per
/// minute" means exactly that); shorter ones refill continuously like a token bucket.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    window: f64,
    rate: f64,
    tokens: f64,
    last: Instant,
    fixed: bool,
}

impl Bucket {
    fn new(capacity: f64, window: f64, now: Instant) -> Self {
        Bucket {
            capacity,
            window,
            rate: capacity / window,
            tokens: capacity,
            last: now,
            fixed: window >= 60.0,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.duration_since(self.last).as_secs_f64();
        if self.fixed {
            if dt >= self.window {
                self.tokens = self.capacity;
                self.last = now;
            }
        } else {
            self.tokens = (self.tokens + dt * self.rate).min(self.capacity);
            self.last = now;
        }
    }

    /// Seconds until `cost` tokens are available.
    fn wait_for(&self, cost: f64, now: Instant) -> f64 {
        if self.tokens >= cost {
            0.0
        } else if self.fixed {
            (self.window - now.duration_since(self.last).as_secs_f64()).max(0.001)
        } else {
            (cost.min(self.capacity) - self.tokens) / self.rate
        }
    }
}

/// A throttling verdict.
#[derive(Clone, Debug)]
pub struct Throttled {
    pub family: Family,
    /// Whole seconds to wait; `None` when the family does not say.
    pub retry_after: Option<u64>,
    /// `Tenant_Application`, `Tenant` or `Application`.
    pub scope: &'static str,
}

#[derive(Default, Debug)]
pub struct ThrottleBook {
    buckets: HashMap<(String, Family, usize), Bucket>,
    blocked_until: HashMap<(String, Family), (Instant, Duration)>,
}

const GLOBAL_PER_APP: (f64, f64) = (130_000.0, 10.0);

impl ThrottleBook {
    /// Charges a request of `cost` to the tenant/app buckets of `family`.
    #[allow(clippy::too_many_arguments)]
    pub fn charge(
        &mut self,
        mode: ThrottleMode,
        tenant: &str,
        app: &str,
        family: Family,
        cost: f64,
        tenant_users: u32,
        now: Instant,
    ) -> Option<Throttled> {
        let factor = match mode {
            ThrottleMode::Off => return None,
            ThrottleMode::Realistic => 1.0,
            ThrottleMode::Scaled { factor } => factor.max(1e-6),
        };
        let tenant_key = format!("{app}/{tenant}");
        // A client that retries before Retry-After elapsed is throttled again, window extended.
        if family.sends_retry_after()
            && let Some((until, span)) = self.blocked_until.get(&(tenant_key.clone(), family)).copied()
            && now < until
        {
            self.blocked_until
                .insert((tenant_key, family), (now + span, span));
            return Some(Throttled {
                family,
                retry_after: Some(span.as_secs().max(1)),
                scope: "Tenant_Application",
            });
        }
        let mut checks: Vec<(String, usize, (f64, f64), &'static str)> = Vec::new();
        for (i, lim) in family.limits(tenant_users).iter().enumerate() {
            let key = if family == Family::ConditionalAccess {
                tenant.to_string()
            } else {
                tenant_key.clone()
            };
            let scope = if family == Family::ConditionalAccess {
                "Tenant"
            } else {
                "Tenant_Application"
            };
            checks.push((key, i, *lim, scope));
        }
        for (i, lim) in family.app_wide().iter().enumerate() {
            checks.push((format!("app:{app}"), 10 + i, *lim, "Application"));
        }
        checks.push((format!("global:{app}"), 99, GLOBAL_PER_APP, "Application"));
        let mut worst: Option<(f64, &'static str)> = None;
        for (key, i, (cap, window), scope) in &checks {
            let fam = if *i == 99 { Family::Admin } else { family };
            let b = self
                .buckets
                .entry((key.clone(), fam, *i))
                .or_insert_with(|| Bucket::new((cap * factor).max(1.0), *window, now));
            b.refill(now);
            let wait = b.wait_for(cost, now);
            if wait > 0.0 && worst.is_none_or(|(w, _)| wait > w) {
                worst = Some((wait, scope));
            }
        }
        if let Some((wait, scope)) = worst {
            let secs = wait.ceil().max(1.0) as u64;
            if family.sends_retry_after() {
                let span = Duration::from_secs(secs);
                self.blocked_until
                    .insert((tenant_key, family), (now + span, span));
            }
            // Usage is still counted while throttled.
            return Some(Throttled {
                family,
                retry_after: family.sends_retry_after().then_some(secs),
                scope,
            });
        }
        for (key, i, _, _) in &checks {
            let fam = if *i == 99 { Family::Admin } else { family };
            if let Some(b) = self.buckets.get_mut(&(key.clone(), fam, *i)) {
                b.tokens -= cost;
            }
        }
        None
    }
}

impl ThrottleBook {
    /// Share of the (app, tenant) identity budget in use, as `x-ms-throttle-limit-percentage`
    /// reports it once above 0.8.
    pub fn identity_usage(&self, tenant: &str, app: &str) -> Option<f64> {
        let b = self
            .buckets
            .get(&(format!("{app}/{tenant}"), Family::Identity, 0))?;
        let used = 1.0 - b.tokens / b.capacity;
        (used >= 0.8).then_some(used.min(1.8))
    }
}

/// Resource units a directory GET costs (base cost and query modifiers).
pub fn identity_cost(path: &str, has_select: bool, has_expand: bool, top: Option<u32>) -> f64 {
    let base: i32 = if path.ends_with("/transitiveMembers") {
        5
    } else if path.ends_with("/members") || path.ends_with("subscribedSkus") {
        3
    } else if path.ends_with("/users") || path.ends_with("/applications") || path.contains("/users/") {
        2
    } else {
        1
    };
    let mut cost = base;
    if has_select {
        cost -= 1;
    }
    if has_expand {
        cost += 1;
    }
    if top.is_some_and(|t| t < 20) {
        cost -= 1;
    }
    f64::from(cost.max(1))
}
