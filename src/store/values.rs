//! Dates and instants as the store writes and reads them: real `date` and `timestamptz`
//! columns on PostgreSQL; on SQLite, fixed-format ISO text (`YYYY-MM-DD`, and RFC 3339 UTC
//! with microseconds) whose text order is time order, checked by the schema. One Rust type
//! each, bound and decoded the same way by every query on either backend.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, Postgres};
use sqlx::sqlite::{Sqlite, SqliteTypeInfo};
use sqlx::{Database, Decode, Encode, Type};

use crate::domain::dates::timestamp_to_text;
use crate::domain::parse_timestamp;

/// A calendar date column (due dates, completion dates, meeting days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Day(pub NaiveDate);

/// An instant column (when something was recorded, claimed, sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instant(pub DateTime<Utc>);

/// A stored `YYYY-MM-DD` date. Read digit by digit: this runs for every action of every
/// digest, and chrono's general parser is several times slower.
pub(crate) fn stored_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

// The one-JSON-array reads (`Store::actions`, the digest's history) carry the same text as
// SQLite stores and PostgreSQL's JSON renders.
impl<'de> serde::Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        stored_date(&text)
            .map(Day)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a stored date")))
    }
}

impl<'de> serde::Deserialize<'de> for Instant {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_timestamp(&text)
            .map(Instant)
            .map_err(serde::de::Error::custom)
    }
}

impl Type<Sqlite> for Day {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Day {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.0.format("%Y-%m-%d").to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Day {
    fn decode(value: <Sqlite as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        stored_date(text)
            .map(Day)
            .ok_or_else(|| format!("{text:?} is not a stored date").into())
    }
}

impl Type<Postgres> for Day {
    fn type_info() -> PgTypeInfo {
        <NaiveDate as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for Day {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <NaiveDate as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Day {
    fn decode(value: <Postgres as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <NaiveDate as Decode<'r, Postgres>>::decode(value).map(Day)
    }
}

impl Type<Sqlite> for Instant {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for Instant {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(timestamp_to_text(self.0), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Instant {
    fn decode(value: <Sqlite as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<'r, Sqlite>>::decode(value)?;
        parse_timestamp(text)
            .map(Instant)
            .map_err(|e| e.to_string().into())
    }
}

impl Type<Postgres> for Instant {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl<'q> Encode<'q, Postgres> for Instant {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Instant {
    fn decode(value: <Postgres as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<'r, Postgres>>::decode(value).map(Instant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_dates_are_read_exactly() {
        assert_eq!(
            stored_date("2010-09-30"),
            NaiveDate::from_ymd_opt(2010, 9, 30)
        );
        for bad in [
            "2010-9-30",
            "2010-02-30",
            "2010/09/30",
            "2010-09/30",
            "2010/09-30",
            "20100930xx",
            "",
            "２０１０-09-30",
        ] {
            assert_eq!(stored_date(bad), None, "{bad}");
        }
    }
}
