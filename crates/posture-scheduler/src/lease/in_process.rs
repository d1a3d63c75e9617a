//! The lease within one process: a holder and an expiry read from the [`Clock`], so tests move
//! time past an expiry instead of sleeping. Clones share the lease.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use posture_kit::clock::SharedClock;

use super::{LeaseError, SchedulerLease};

/// Who holds the lease, and until when.
#[derive(Debug, Clone)]
struct Held {
    holder: String,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct InProcessLease {
    clock: SharedClock,
    ttl: Duration,
    held: Arc<Mutex<Option<Held>>>,
}

impl InProcessLease {
    pub fn new(clock: SharedClock, ttl: Duration) -> Self {
        Self {
            clock,
            ttl,
            held: Arc::new(Mutex::new(None)),
        }
    }

    /// The current holder, if the lease has not expired.
    pub fn holder(&self) -> Option<String> {
        let now = self.clock.now();
        let held = self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        held.as_ref()
            .filter(|held| held.expires_at > now)
            .map(|held| held.holder.clone())
    }
}

#[async_trait]
impl SchedulerLease for InProcessLease {
    async fn acquire(&self, holder: &str) -> Result<bool, LeaseError> {
        let now = self.clock.now();
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let mut held = self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let free = match held.as_ref() {
            None => true,
            Some(held) => held.holder == holder || held.expires_at <= now,
        };
        if free {
            *held = Some(Held {
                holder: holder.to_owned(),
                expires_at: now.checked_add_signed(ttl).unwrap_or(DateTime::<Utc>::MAX_UTC),
            });
        }
        Ok(free)
    }

    async fn release(&self, holder: &str) -> Result<(), LeaseError> {
        let mut held = self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if held.as_ref().is_some_and(|held| held.holder == holder) {
            *held = None;
        }
        Ok(())
    }

    fn ttl(&self) -> Duration {
        self.ttl
    }
}
