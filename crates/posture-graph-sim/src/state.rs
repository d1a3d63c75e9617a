//! Shared simulator state: the clock, the tenants, throttling book and issued-token cache.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use uuid::Uuid;

use crate::clock::SimClock;
use crate::error::SimError;
use crate::permissions::Resource;
use crate::spec::{RequestRecord, TenantInfo, TenantSpec};
use crate::tenant::Tenant;
use crate::throttle::ThrottleBook;

pub type TenantRef = Arc<RwLock<Tenant>>;

/// Claims of an access token the simulator issued, after verification.
#[derive(Clone, Debug)]
pub struct AccessClaims {
    pub tenant: Uuid,
    pub app_id: String,
    pub resource: Resource,
    pub roles: Vec<String>,
    pub exp: i64,
    pub nbf: i64,
}

#[derive(Default)]
pub struct Tenants {
    list: Vec<TenantRef>,
    by_key: HashMap<String, usize>,
    seeds: HashMap<u64, u64>,
}

pub struct SimState {
    pub clock: SimClock,
    tenants: RwLock<Tenants>,
    pub throttle: Mutex<ThrottleBook>,
    pub tokens: Mutex<HashMap<String, AccessClaims>>,
    pub counter: AtomicU64,
    pub unattributed_log: Mutex<VecDeque<RequestRecord>>,
}

pub fn read(t: &TenantRef) -> RwLockReadGuard<'_, Tenant> {
    t.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write(t: &TenantRef) -> RwLockWriteGuard<'_, Tenant> {
    t.write().unwrap_or_else(|e| e.into_inner())
}

impl SimState {
    pub fn new(clock: SimClock) -> Self {
        SimState {
            clock,
            tenants: RwLock::new(Tenants::default()),
            throttle: Mutex::new(ThrottleBook::default()),
            tokens: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            unattributed_log: Mutex::new(VecDeque::new()),
        }
    }

    pub fn next_request_number(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    pub fn create_tenant(&self, spec: TenantSpec) -> Result<TenantInfo, SimError> {
        if spec.users > 1_000_000 {
            return Err(SimError::Invalid(format!(
                "users must be at most 1000000, got {}",
                spec.users
            )));
        }
        if spec.secret_expires_in_days < -3650 || spec.secret_expires_in_days > 36500 {
            return Err(SimError::Invalid(
                "secret_expires_in_days must be within ±3650/36500 days".into(),
            ));
        }
        if let ThrottleMode::Scaled { factor } = spec.throttling
            && !(factor.is_finite() && factor > 0.0)
        {
            return Err(SimError::Invalid(format!(
                "throttling factor must be a positive number, got {factor}"
            )));
        }
        let mut guard = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        let ordinal = {
            let n = guard.seeds.entry(spec.seed).or_insert(0);
            let o = *n;
            *n += 1;
            o
        };
        let faults = spec.faults.clone();
        let mut tenant = Tenant::generate(spec, ordinal, self.clock.now(), self.clock.epoch());
        if let Some(f) = faults {
            crate::faults::validate_faults(&f)?;
            tenant.faults.set(f);
        }
        let info = tenant.info();
        let idx = guard.list.len();
        let keys = [
            tenant.id.to_string(),
            tenant.domain.to_lowercase(),
            tenant.custom_domain().to_lowercase(),
        ];
        guard.list.push(Arc::new(RwLock::new(tenant)));
        for k in keys {
            guard.by_key.insert(k, idx);
        }
        Ok(info)
    }

    /// Finds a tenant by id or by one of its domain names.
    pub fn tenant(&self, key: &str) -> Option<TenantRef> {
        let guard = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        guard
            .by_key
            .get(&key.to_ascii_lowercase())
            .and_then(|i| guard.list.get(*i))
            .cloned()
    }

    pub fn tenant_or_err(&self, key: &str) -> Result<TenantRef, SimError> {
        self.tenant(key)
            .ok_or_else(|| SimError::UnknownTenant(key.to_string()))
    }

    pub fn all_tenants(&self) -> Vec<TenantRef> {
        self.tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .list
            .clone()
    }

    pub fn log_unattributed(&self, record: RequestRecord) {
        let mut log = self.unattributed_log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= crate::tenant::LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }
}

use crate::spec::ThrottleMode;
