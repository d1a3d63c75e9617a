//! Conversions between `chrono` instants and `google.protobuf.Timestamp`, rejecting timestamps
//! a client sent that are out of range instead of wrapping them.

use chrono::{DateTime, Utc};
use posture_kit::ServiceError;
use prost_types::Timestamp;

pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        // Always below 10^9 for a valid instant, so the cast cannot truncate.
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

pub fn from_timestamp(field: &str, at: &Timestamp) -> Result<DateTime<Utc>, ServiceError> {
    let nanos =
        u32::try_from(at.nanos).map_err(|_| ServiceError::invalid(field, "nanos must not be negative"))?;
    DateTime::from_timestamp(at.seconds, nanos)
        .ok_or_else(|| ServiceError::invalid(field, "is not a valid timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_bad_ones_are_rejected() {
        let now = Utc::now();
        assert_eq!(from_timestamp("at", &timestamp(now)).ok(), Some(now));
        let negative = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(from_timestamp("at", &negative).is_err());
        let huge = Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert!(from_timestamp("at", &huge).is_err());
    }
}
