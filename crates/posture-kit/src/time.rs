//! Instants at the edges of a process: `google.protobuf.Timestamp` in messages and integer
//! microseconds in stores. Every role converts through here, so a timestamp a client sends is
//! validated the same way everywhere and no store wraps an out-of-range value.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

use crate::error::ServiceError;

/// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range `google.protobuf.Timestamp`
/// is defined over. Values outside it are refused even where chrono could represent them.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// An instant as a message field.
pub fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        // Below 10^9 for every instant (a leap second is folded into the previous second).
        nanos: i32::try_from(at.timestamp_subsec_nanos().min(999_999_999)).unwrap_or(0),
    }
}

/// An instant from a message field a client sent; a value outside the protobuf range or with
/// invalid nanos is INVALID_ARGUMENT naming `field`.
pub fn from_timestamp(field: &str, value: &Timestamp) -> Result<DateTime<Utc>, ServiceError> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&value.seconds) {
        return Err(ServiceError::invalid(
            field,
            "is outside the range of google.protobuf.Timestamp (years 0001 to 9999)",
        ));
    }
    u32::try_from(value.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000)
        .and_then(|nanos| DateTime::from_timestamp(value.seconds, nanos))
        .ok_or_else(|| ServiceError::invalid(field, "is not a valid timestamp"))
}

/// An optional message field: absent is `None`, present is validated as [`from_timestamp`].
pub fn from_optional_timestamp(
    field: &str,
    value: Option<&Timestamp>,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    value.map(|ts| from_timestamp(field, ts)).transpose()
}

/// An instant as a store column: microseconds since the Unix epoch, which PostgreSQL and SQLite
/// order and compare the same way.
pub fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The inverse of [`micros`]. Every value a store wrote round-trips; a corrupt one reads as the
/// epoch rather than failing the whole listing it is part of.
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(us).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_messages_and_columns() {
        let now = Utc::now();
        assert_eq!(from_timestamp("at", &timestamp(now)).ok(), Some(now));
        let at_micros = from_micros(micros(now));
        assert_eq!(micros(at_micros), micros(now));
    }

    #[test]
    fn timestamps_outside_the_protobuf_range_are_refused_with_the_field_name() {
        for seconds in [MAX_SECONDS + 1, MIN_SECONDS - 1, i64::MAX, i64::MIN] {
            let err =
                from_timestamp("expires_at", &Timestamp { seconds, nanos: 0 }).expect_err("out of range");
            assert!(err.to_string().starts_with("invalid expires_at"), "{err}");
        }
        assert!(
            from_timestamp(
                "at",
                &Timestamp {
                    seconds: MAX_SECONDS,
                    nanos: 999_999_999
                }
            )
            .is_ok()
        );
        assert!(
            from_timestamp(
                "at",
                &Timestamp {
                    seconds: MIN_SECONDS,
                    nanos: 0
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn negative_or_oversized_nanos_are_refused() {
        for nanos in [-1, 1_000_000_000, i32::MAX] {
            assert!(
                from_timestamp("at", &Timestamp { seconds: 0, nanos }).is_err(),
                "{nanos}"
            );
        }
    }

    #[test]
    fn an_absent_optional_timestamp_is_none() {
        assert_eq!(from_optional_timestamp("at", None).ok(), Some(None));
        let bad = Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert!(from_optional_timestamp("at", Some(&bad)).is_err());
    }
}
