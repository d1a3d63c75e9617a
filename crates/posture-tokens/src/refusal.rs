//! Refused credentials: Microsoft's refusal is kept for a short while, so callers retrying a
//! tenant with a wrong or expired secret do not hammer the token endpoint (which answers repeated
//! identical requests with AADSTS50196), and it is passed on to be reported as connection health.
//! A stored credential the vault cannot decrypt is held the same way (the vault records that
//! health itself), so retrying callers do not read the unreadable row again and again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use posture_kit::ids::TenantId;
use posture_proto::v1::ResourceCheck;
use tokio::sync::mpsc;

use crate::error::TokensError;
use crate::key::TokenKey;

/// How long a refusal is answered from memory. Short: an operator fixing the secret in Azure
/// without touching Posture waits at most this long; a change through Posture clears it at once.
pub const REFUSAL_HOLD: Duration = Duration::from_secs(30);

/// A refusal to report: the tenant, the API's check, the credential version that was refused.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub tenant: TenantId,
    pub check: ResourceCheck,
    pub credential_version: u64,
}

#[derive(Default)]
pub struct Refusals {
    held: Mutex<HashMap<TokenKey, (Instant, Arc<TokensError>)>>,
    sink: Mutex<Option<mpsc::UnboundedSender<Refusal>>>,
}

impl Refusals {
    fn held(&self) -> MutexGuard<'_, HashMap<TokenKey, (Instant, Arc<TokensError>)>> {
        self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The refusal still held for `key`, if any.
    pub fn get(&self, key: &TokenKey) -> Option<Arc<TokensError>> {
        let mut held = self.held();
        match held.get(key) {
            Some((at, error)) if at.elapsed() < REFUSAL_HOLD => Some(error.clone()),
            Some(_) => {
                held.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn hold(&self, key: &TokenKey, error: Arc<TokensError>) {
        self.held().insert(key.clone(), (Instant::now(), error));
    }

    pub fn clear_tenant(&self, tenant: &TenantId) {
        self.held().retain(|k, _| &k.tenant != tenant);
    }

    /// Where refusals are sent for reporting (the role's health reporter).
    pub fn report_to(&self, sink: mpsc::UnboundedSender<Refusal>) {
        *self.sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(sink);
    }

    pub fn report(&self, refusal: Refusal) {
        if let Some(sink) = self
            .sink
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
        {
            // The reporter only stops at shutdown; a lost report then is harmless.
            let _ = sink.send(refusal);
        }
    }
}
