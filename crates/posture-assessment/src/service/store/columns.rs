//! How values are kept in columns on both engines: ids as their lower-case text, enums as the
//! contract's numbers (so filters and orderings are integer comparisons), structured parts as
//! JSON text only this store reads. Instants are microseconds since the Unix epoch
//! (`posture_kit::time::micros`).

use std::str::FromStr;

use posture_kit::ids::InvalidId;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use crate::metadata::Severity;
use crate::result::Status;

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // The store's own record types serialise infallibly (strings, numbers, vectors, maps).
    serde_json::to_string(value).unwrap_or_default()
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// A typed id read back from its text column.
pub(crate) fn id<T: FromStr<Err = InvalidId>>(what: &'static str, text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|e: InvalidId| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// An enum read back from its integer column.
pub(crate) fn decoded<T>(
    what: &'static str,
    code: i32,
    decode: fn(i32) -> Option<T>,
) -> Result<T, StoreError> {
    decode(code).ok_or_else(|| StoreError::Corrupt {
        what,
        reason: format!("{code} is not a known value"),
    })
}

/// The `severity` column of a finding: 0 when the control's module did not load (no metadata),
/// so "at least X" is `severity >= code(X)` and the highest sorts first.
pub(crate) const fn severity_code(severity: Option<Severity>) -> i32 {
    match severity {
        None => 0,
        Some(Severity::Info) => 1,
        Some(Severity::Low) => 2,
        Some(Severity::Medium) => 3,
        Some(Severity::High) => 4,
        Some(Severity::Critical) => 5,
    }
}

/// `None` inside: a finding without a severity; `None` outside: not a severity code.
pub(crate) fn severity_from_code(code: i32) -> Option<Option<Severity>> {
    [
        None,
        Some(Severity::Info),
        Some(Severity::Low),
        Some(Severity::Medium),
        Some(Severity::High),
        Some(Severity::Critical),
    ]
    .into_iter()
    .find(|s| severity_code(*s) == code)
}

/// The `result` column of a finding; the results filter is a bit mask over these codes.
pub(crate) const fn status_code(status: Status) -> i32 {
    match status {
        Status::Pass => 1,
        Status::Fail => 2,
        Status::Warning => 3,
        Status::NotApplicable => 4,
        Status::Error => 5,
    }
}

pub(crate) fn status_from_code(code: i32) -> Option<Status> {
    [
        Status::Pass,
        Status::Fail,
        Status::Warning,
        Status::NotApplicable,
        Status::Error,
    ]
    .into_iter()
    .find(|s| status_code(*s) == code)
}

#[cfg(test)]
mod tests {
    use posture_proto::v1 as pb;

    use super::*;

    /// The columns keep the contract's numbers, so findings stored before the domain types
    /// existed read back as they were, and every code reads back as itself.
    #[test]
    fn severity_and_result_codes_are_the_contract_numbers_and_round_trip() {
        let severities = [
            (None, pb::Severity::Unspecified),
            (Some(Severity::Info), pb::Severity::Informational),
            (Some(Severity::Low), pb::Severity::Low),
            (Some(Severity::Medium), pb::Severity::Medium),
            (Some(Severity::High), pb::Severity::High),
            (Some(Severity::Critical), pb::Severity::Critical),
        ];
        for (severity, contract) in severities {
            assert_eq!(severity_code(severity), contract as i32);
            assert_eq!(severity_from_code(severity_code(severity)), Some(severity));
        }
        let results = [
            (Status::Pass, pb::ControlResult::Pass),
            (Status::Fail, pb::ControlResult::Fail),
            (Status::Warning, pb::ControlResult::Warning),
            (Status::NotApplicable, pb::ControlResult::NotApplicable),
            (Status::Error, pb::ControlResult::Error),
        ];
        for (status, contract) in results {
            assert_eq!(status_code(status), contract as i32);
            assert_eq!(status_from_code(status_code(status)), Some(status));
        }
        assert_eq!(severity_from_code(42), None);
        assert_eq!(status_from_code(0), None);
    }
}
