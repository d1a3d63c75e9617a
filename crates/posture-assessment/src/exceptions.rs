//! Risk exceptions: a tenant's decision to live with a finding until an expiry. Results carry the
//! exceptions that covered them; [`crate::apply_exceptions`]
//! applies them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A tenant's decision to live with a finding, for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskException {
    pub control_id: String,
    /// `None`: the whole control. `Some(ids)`: only these evidence objects; the control counts as
    /// accepted when every failing object is covered.
    pub object_ids: Option<Vec<String>>,
    pub reason: String,
    pub owner: String,
    /// Exceptions stop applying at this instant.
    pub expires_at: DateTime<Utc>,
}

impl RiskException {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}
