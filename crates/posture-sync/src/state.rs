//! The states of runs and entities, what started a run, and the class of a failure, as the
//! service reasons about them. The store keeps them as small integers (`store::codes`) and the API
//! edge maps them to the contract's enums (`convert`), so neither format leaks into the other.

/// Where a sync run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunState {
    Pending,
    Running,
    Succeeded,
    PartiallySucceeded,
    Failed,
    Cancelled,
}

impl RunState {
    /// Pending or running: the tenant's one active run.
    pub fn is_active(self) -> bool {
        matches!(self, RunState::Pending | RunState::Running)
    }

    /// Terminal because every entity finished, as opposed to a cancellation.
    pub fn is_completed(self) -> bool {
        matches!(
            self,
            RunState::Succeeded | RunState::PartiallySucceeded | RunState::Failed
        )
    }
}

impl RunState {
    /// The state a run ends in once every entity is terminal: succeeded when none failed, failed
    /// when none succeeded, partially succeeded otherwise. `None` while an entity is open.
    pub fn completed_from(entities: impl IntoIterator<Item = EntityState>) -> Option<RunState> {
        let (mut succeeded, mut failed, mut open) = (false, false, false);
        for state in entities {
            match state {
                EntityState::Succeeded => succeeded = true,
                EntityState::Failed => failed = true,
                EntityState::Skipped => {}
                EntityState::Pending | EntityState::Running => open = true,
            }
        }
        match (open, failed, succeeded) {
            (true, _, _) => None,
            (false, false, _) => Some(RunState::Succeeded),
            (false, true, false) => Some(RunState::Failed),
            (false, true, true) => Some(RunState::PartiallySucceeded),
        }
    }
}

/// Where one entity kind of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

impl EntityState {
    /// Settled for good: no page of the run lands on it any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            EntityState::Succeeded | EntityState::Failed | EntityState::Skipped
        )
    }
}

/// What asked for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// StartSync, or a manual request through the scheduler.
    Manual,
    /// The tenant's schedule.
    Scheduled,
}

/// Why an entity failed or was skipped, in the classes operators know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    Authentication,
    Permission,
    License,
    Throttled,
    Transient,
    NotFound,
    InvalidResponse,
    Cancelled,
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityState::*;

    #[test]
    fn a_run_completes_by_what_its_entities_ended_in() {
        assert_eq!(
            RunState::completed_from([Succeeded, Skipped]),
            Some(RunState::Succeeded)
        );
        assert_eq!(RunState::completed_from([Skipped]), Some(RunState::Succeeded));
        assert_eq!(
            RunState::completed_from([Succeeded, Failed]),
            Some(RunState::PartiallySucceeded)
        );
        assert_eq!(
            RunState::completed_from([Failed, Skipped]),
            Some(RunState::Failed)
        );
        assert_eq!(RunState::completed_from([Succeeded, Running]), None);
        assert_eq!(RunState::completed_from([Pending]), None);
    }
}
