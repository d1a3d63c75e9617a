//! What an assessment says: one result per control and the scores per framework, over one
//! tenant document.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::result::{ControlResult, duration_micros};
use crate::score::FrameworkScore;

/// The result of evaluating a pack over one tenant document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub tenant_id: String,
    pub results: Vec<ControlResult>,
    pub scores: Vec<FrameworkScore>,
    #[serde(with = "duration_micros")]
    pub duration: Duration,
}

impl Assessment {
    pub fn result(&self, control_id: &str) -> Option<&ControlResult> {
        self.results.iter().find(|r| r.control_id == control_id)
    }
}
