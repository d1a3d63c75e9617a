//! What one control decided: its status, the reason and the evidence objects behind it, plus any
//! risk exception that accepted the finding.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exceptions::RiskException;
use crate::metadata::ControlMetadata;

/// The verdict of one control over one tenant document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Warning,
    NotApplicable,
    /// The control could not be decided: data missing (permission, licence) or the module failed.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warning => "warning",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }

    /// A finding is something a person should act on (or accept).
    pub fn is_finding(self) -> bool {
        matches!(self, Status::Fail | Status::Warning)
    }
}

/// One object behind a verdict: a user without MFA, a Global Administrator assignment, a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The Graph kind of the object, e.g. `user`, `conditionalAccessPolicy`, `roleAssignment`.
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub detail: String,
    /// Set by [`crate::apply_exceptions`] when an object-scoped exception covers this item.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepted: bool,
}

/// The verdict of one framework that judges a control differently from the control's own result,
/// e.g. CIS reading Conditional Access exclusions as documented exceptions (a warning) where SCuBA
/// fails them. Frameworks without an entry share the control's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkResult {
    /// The pack's framework id, one the control references (e.g. `cis-m365-v7`).
    pub framework: String,
    pub status: Status,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// The outcome of one control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    pub control_id: String,
    pub title: String,
    pub metadata: Option<ControlMetadata>,
    pub status: Status,
    pub reason: String,
    pub evidence: Vec<Evidence>,
    /// Verdicts of the referenced frameworks that differ from `status` (see [`FrameworkResult`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_framework: Vec<FrameworkResult>,
    /// True when a live finding is covered by an unexpired risk exception; the status is unchanged.
    pub accepted: bool,
    /// The exceptions that applied (a control can be covered by several object-scoped ones).
    pub exceptions: Vec<RiskException>,
    #[serde(with = "duration_micros")]
    pub duration: Duration,
}

impl ControlResult {
    /// The verdict of `framework` (a pack framework id): its own when it judges differently, else
    /// the control's.
    pub fn status_for(&self, framework: &str) -> Status {
        self.framework_result(framework).map_or(self.status, |f| f.status)
    }

    /// The framework's own verdict, when it differs from the control's.
    pub fn framework_result(&self, framework: &str) -> Option<&FrameworkResult> {
        self.by_framework.iter().find(|f| f.framework == framework)
    }
}

pub(crate) mod duration_micros {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_micros(u64::deserialize(d)?))
    }
}
