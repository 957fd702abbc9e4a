//! Calendar dates as people write them in board papers, and timestamps as the store keeps them.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Dates before this are refused as typos (the oldest source in the record is from 2001).
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => panic!("valid constant"),
};
/// Dates after this are refused as typos (a plan that runs past 2099 is a mistake).
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(d) => d,
    None => panic!("valid constant"),
};

/// Why a date was refused, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date; write it as 2026-03-31 or 31 Mar 2026")]
    Format(String),
    #[error("{0:?} is not a day on the calendar; check the day and month")]
    NoSuchDay(String),
    #[error("{0:?} is outside 1990–2099; check the year")]
    OutOfRange(String),
    #[error("{0:?} is not a timestamp; write it as 2010-08-12T10:30:00Z")]
    Timestamp(String),
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.').to_lowercase();
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| word.starts_with(m) && m.len() <= word.len())
        .filter(|&i| {
            // Accept "Sept" and full names, refuse words that merely start like a month.
            let full = [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ][i];
            full.starts_with(&word) || (i == 8 && word == "sept")
        })
        .map(|i| i as u32 + 1)
}

/// Parse `2026-03-31`, `31 Mar 2026`, `31 March 2026` or `31/03/2026` (day first, as in the UK).
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let s = input.trim();
    let format_err = || DateError::Format(s.to_string());
    let (year, month, day): (i32, u32, u32) = if let Some((y, rest)) = s.split_once('-') {
        let (m, d) = rest.split_once('-').ok_or_else(format_err)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
            return Err(format_err());
        }
        (
            y.parse().map_err(|_| format_err())?,
            m.parse().map_err(|_| format_err())?,
            d.parse().map_err(|_| format_err())?,
        )
    } else if s.contains('/') {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() != 3 || parts[2].len() != 4 {
            return Err(format_err());
        }
        (
            parts[2].parse().map_err(|_| format_err())?,
            parts[1].parse().map_err(|_| format_err())?,
            parts[0].parse().map_err(|_| format_err())?,
        )
    } else {
        let parts: Vec<&str> = s.split_whitespace().collect();
        if parts.len() != 3 || parts[2].len() != 4 {
            return Err(format_err());
        }
        let day = parts[0]
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .map_err(|_| format_err())?;
        let month = month_number(parts[1]).ok_or_else(format_err)?;
        (parts[2].parse().map_err(|_| format_err())?, month, day)
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| DateError::NoSuchDay(s.to_string()))?;
    if !(EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        return Err(DateError::OutOfRange(s.to_string()));
    }
    Ok(date)
}

/// Parse an RFC 3339 timestamp into UTC.
pub fn parse_timestamp(input: &str) -> Result<DateTime<Utc>, DateError> {
    DateTime::parse_from_rfc3339(input.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| DateError::Timestamp(input.trim().to_string()))
}

/// `1 October 2010`: how dates read in a briefing.
pub fn format_long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The one text form timestamps are stored in: fixed width, so text order is time order on
/// both backends.
pub(crate) fn timestamp_to_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn accepts_the_forms_boards_write() {
        assert_eq!(parse_date("2026-03-31").unwrap(), d(2026, 3, 31));
        assert_eq!(parse_date("31 Mar 2026").unwrap(), d(2026, 3, 31));
        assert_eq!(parse_date("31 March 2026").unwrap(), d(2026, 3, 31));
        assert_eq!(parse_date("1st Sept 2026").unwrap(), d(2026, 9, 1));
        assert_eq!(parse_date("31/03/2026").unwrap(), d(2026, 3, 31));
    }

    #[test]
    fn refuses_impossible_and_implausible_dates() {
        assert!(matches!(
            parse_date("2026-02-31"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_date("31 Feb 2026"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_date("1900-01-01"),
            Err(DateError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_date("3000-01-01"),
            Err(DateError::OutOfRange(_))
        ));
        assert!(matches!(parse_date("next week"), Err(DateError::Format(_))));
        assert!(matches!(
            parse_date("31 Marching 2026"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(parse_date("2026-3"), Err(DateError::Format(_))));
        assert_eq!(parse_date("2024-02-29").unwrap(), d(2024, 2, 29));
        assert!(parse_date("2023-02-29").is_err());
    }

    #[test]
    fn stored_timestamps_sort_as_text() {
        let a = timestamp_to_text(parse_timestamp("2010-08-12T10:30:00Z").unwrap());
        let b = timestamp_to_text(parse_timestamp("2010-08-12T10:30:00.5Z").unwrap());
        assert!(a < b);
        assert_eq!(a, "2010-08-12T10:30:00.000000Z");
    }
}
