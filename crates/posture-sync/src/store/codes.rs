//! How states, triggers and failure classes are stored: one small integer each. The numbers are
//! fixed by the rows already written (and by the partial index on active runs, `state IN (1, 2)`),
//! so they never change; a new variant takes a new number.

use crate::state::{EntityState, FailureClass, RunState, Trigger};

/// A value kept in an INTEGER column.
pub(crate) trait Stored: Sized + Copy {
    /// What the column is called in a "stored ... is unreadable" error.
    const WHAT: &'static str;
    fn code(self) -> i32;
    fn from_code(code: i32) -> Option<Self>;
}

macro_rules! stored {
    ($ty:ty, $what:literal, { $($variant:ident = $code:literal),+ $(,)? }) => {
        impl Stored for $ty {
            const WHAT: &'static str = $what;

            fn code(self) -> i32 {
                match self {
                    $(<$ty>::$variant => $code,)+
                }
            }

            fn from_code(code: i32) -> Option<Self> {
                match code {
                    $($code => Some(<$ty>::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

stored!(RunState, "run state", {
    Pending = 1,
    Running = 2,
    Succeeded = 3,
    PartiallySucceeded = 4,
    Failed = 5,
    Cancelled = 6,
});

stored!(EntityState, "entity state", {
    Pending = 1,
    Running = 2,
    Succeeded = 3,
    Failed = 4,
    Skipped = 5,
});

stored!(Trigger, "run trigger", {
    Manual = 1,
    Scheduled = 2,
});

stored!(FailureClass, "failure class", {
    Authentication = 1,
    Permission = 2,
    License = 3,
    Throttled = 4,
    Transient = 5,
    NotFound = 6,
    InvalidResponse = 7,
    Cancelled = 8,
    Internal = 9,
});

/// The stored codes of the active run states, for `state IN (...)`.
pub(crate) const ACTIVE_RUN: [i32; 2] = [1, 2];
/// The stored codes of the open entity states.
pub(crate) const OPEN_ENTITY: [i32; 2] = [1, 2];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_and_open_codes_are_the_states_they_name() {
        assert_eq!(ACTIVE_RUN, [RunState::Pending.code(), RunState::Running.code()]);
        assert_eq!(
            OPEN_ENTITY,
            [EntityState::Pending.code(), EntityState::Running.code()]
        );
    }

    #[test]
    fn every_code_reads_back_as_its_value() {
        for state in [
            RunState::Pending,
            RunState::Running,
            RunState::Succeeded,
            RunState::PartiallySucceeded,
            RunState::Failed,
            RunState::Cancelled,
        ] {
            assert_eq!(RunState::from_code(state.code()), Some(state));
        }
        for class in [FailureClass::Authentication, FailureClass::Internal] {
            assert_eq!(FailureClass::from_code(class.code()), Some(class));
        }
        assert_eq!(EntityState::from_code(0), None);
        assert_eq!(Trigger::from_code(3), None);
    }
}
