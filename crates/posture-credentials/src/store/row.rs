//! Reading columns the same way from PostgreSQL and SQLite rows, and [`Ts`], the instant type
//! written as `TIMESTAMPTZ` on PostgreSQL and as fixed-width UTC text on SQLite (so that text
//! comparison orders instants correctly there).

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgRow, PgTypeInfo};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteRow, SqliteTypeInfo};
use sqlx::{Encode, Postgres, Row, Sqlite, Type};

/// Typed column access shared by both engines' rows.
pub(crate) trait RowExt {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn time(&self, column: &str) -> Result<DateTime<Utc>, sqlx::Error>;
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    fn bytes(&self, column: &str) -> Result<Vec<u8>, sqlx::Error>;
    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
}

macro_rules! row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn time(&self, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
                self.try_get(column)
            }
            fn bytes(&self, column: &str) -> Result<Vec<u8>, sqlx::Error> {
                self.try_get(column)
            }
            fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}

row_ext!(PgRow);
row_ext!(SqliteRow);

/// An instant as a bind parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ts(pub DateTime<Utc>);

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<'_, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        // Always six fractional digits and `Z`: equal-width text sorts like the instants it holds.
        let text = self.0.to_rfc3339_opts(SecondsFormat::Micros, true);
        <String as Encode<'_, Sqlite>>::encode(text, buf)
    }
}

/// An instant at the store's precision (microseconds), so what is read back equals what was written.
pub(crate) fn at_store_precision(instant: DateTime<Utc>) -> DateTime<Utc> {
    let micros = instant.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(instant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_text_of_instants_sorts_like_the_instants() {
        let early = Ts(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("date"));
        let later = Ts(early.0 + chrono::Duration::microseconds(1));
        let text = |ts: Ts| ts.0.to_rfc3339_opts(SecondsFormat::Micros, true);
        assert_eq!(text(early), "2026-01-02T03:04:05.000000Z");
        assert!(text(early) < text(later));
        let nanos = Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .expect("instant");
        assert_eq!(at_store_precision(nanos).timestamp_subsec_nanos(), 123_456_000);
    }
}
