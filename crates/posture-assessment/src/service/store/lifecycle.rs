//! Where an assessment is in its life, why it was started and why it failed, as the role
//! reasons about them. The API maps them to the contract's enums; the store keeps each as the
//! integer below, which is the contract's number, so rows written before these types existed
//! read back unchanged.

use serde::{Deserialize, Serialize};

/// The state of an assessment: active (`Pending`, `Running`) until it ends one way or the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssessmentState {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl AssessmentState {
    pub const ALL: [AssessmentState; 4] = [
        AssessmentState::Pending,
        AssessmentState::Running,
        AssessmentState::Succeeded,
        AssessmentState::Failed,
    ];

    /// Not finished yet: at most one per tenant.
    pub fn is_active(self) -> bool {
        matches!(self, AssessmentState::Pending | AssessmentState::Running)
    }

    /// The `state` column (the migration's partial indexes name 1 and 2).
    pub const fn code(self) -> i32 {
        match self {
            AssessmentState::Pending => 1,
            AssessmentState::Running => 2,
            AssessmentState::Succeeded => 3,
            AssessmentState::Failed => 4,
        }
    }

    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What started an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// A sync run completed; at most one such assessment per run.
    SyncCompleted,
    /// StartAssessment was called.
    Manual,
}

impl Trigger {
    pub const ALL: [Trigger; 2] = [Trigger::SyncCompleted, Trigger::Manual];

    /// The `trigger` column (the migration's per-run index names 1).
    pub const fn code(self) -> i32 {
        match self {
            Trigger::SyncCompleted => 1,
            Trigger::Manual => 2,
        }
    }

    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// The class of an assessment's failure: whether trying again later may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub enum FailureClass {
    /// A dependency (the sync role) was unavailable.
    Transient,
    /// Something inside Posture failed: the store, the bus, the evaluation, or the run itself
    /// gave nothing to judge.
    Internal,
}

impl FailureClass {
    pub const ALL: [FailureClass; 2] = [FailureClass::Transient, FailureClass::Internal];

    /// The number kept in the stored failure (the contract's `ErrorClass`).
    pub const fn code(self) -> i32 {
        match self {
            FailureClass::Transient => 5,
            FailureClass::Internal => 9,
        }
    }
}

impl From<FailureClass> for i32 {
    fn from(class: FailureClass) -> i32 {
        class.code()
    }
}

impl TryFrom<i32> for FailureClass {
    type Error = String;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| format!("{code} is not a failure class of an assessment"))
    }
}
