//! When a board's scheduled posts fall due: cron expressions read in the board's time zone.
//!
//! Cron is evaluated on the board's wall clock, so 09:00 stays 09:00 in both GMT and BST. On
//! the days the clocks change, a wall-clock time that happens twice fires once (the first
//! time), and one that does not happen fires once, at the moment the clocks jump past it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone as _, Utc};

use super::board::TimeZone;
use super::status::StatusError;

/// A cron schedule with seconds: `sec min hour day-of-month month day-of-week`.
#[derive(Clone)]
pub struct Schedule {
    cron: cron::Schedule,
    text: String,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Schedule {}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.text)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Schedule {
    /// The digest default: 09:00 on the first day of January, April, July and October.
    pub fn quarterly_digest() -> Self {
        Self::parse("0 0 9 1 1,4,7,10 *").expect("valid default schedule")
    }

    /// The reminder default: Mondays at 09:00.
    pub fn weekly_reminder() -> Self {
        Self::parse("0 0 9 * * Mon").expect("valid default schedule")
    }

    /// Parse a cron expression. Five fields (no seconds) are accepted and mean second 0.
    pub fn parse(input: &str) -> Result<Self, StatusError> {
        let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let with_seconds = if text.split(' ').count() == 5 {
            format!("0 {text}")
        } else {
            text.clone()
        };
        cron::Schedule::from_str(&with_seconds)
            .map(|cron| Self {
                cron,
                text: with_seconds,
            })
            .map_err(|e| StatusError {
                what: "schedule (cron: sec min hour day month weekday)",
                value: format!("{} ({e})", input.trim()),
                allowed: vec![
                    "0 0 9 * * Mon (Mondays 09:00)",
                    "0 0 9 1 1,4,7,10 * (quarterly)",
                ],
            })
    }

    /// The instant a wall-clock time happens in `tz`: the first of two on a clocks-back day,
    /// and the moment the clocks jump past a time skipped on a clocks-forward day.
    fn resolve(tz: &TimeZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match tz.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            LocalResult::None => {
                // Step forward a minute at a time until the wall clock exists again (gaps are
                // at most a few hours): that first valid minute is the instant of the jump.
                (1..=24 * 60).find_map(|minutes| {
                    tz.0.from_local_datetime(&(local + Duration::minutes(minutes)))
                        .earliest()
                        .map(|t| t.with_timezone(&Utc))
                })
            }
        }
    }

    /// The first time this schedule fires strictly after `instant`.
    pub fn next_after(&self, tz: &TimeZone, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Walk wall-clock candidates from a little before the local time (a resolved skipped
        // time can land later than its wall-clock label) and return the first after `instant`.
        let local = instant.with_timezone(&tz.0).naive_local() - Duration::hours(3);
        self.cron
            .after(&local.and_utc())
            .take(1000)
            .filter_map(|candidate| Self::resolve(tz, candidate.naive_utc()))
            .find(|t| *t > instant)
    }

    /// The latest time this schedule fired at or before `instant`, if it is not before
    /// `not_before`.
    pub fn latest_at_or_before(
        &self,
        tz: &TimeZone,
        instant: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let local = instant.with_timezone(&tz.0).naive_local() + Duration::hours(3);
        self.cron
            .after(&local.and_utc())
            .rev()
            .take(1000)
            .filter_map(|candidate| Self::resolve(tz, candidate.naive_utc()))
            .take_while(|t| *t >= not_before)
            .find(|t| *t <= instant)
    }

    /// The next `count` fire times after `instant`, for showing the schedule to people.
    pub fn upcoming(
        &self,
        tz: &TimeZone,
        instant: DateTime<Utc>,
        count: usize,
    ) -> Vec<DateTime<Utc>> {
        let mut times = Vec::with_capacity(count);
        let mut from = instant;
        while times.len() < count {
            match self.next_after(tz, from) {
                Some(t) => {
                    times.push(t);
                    from = t;
                }
                None => break,
            }
        }
        times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn london() -> TimeZone {
        TimeZone::parse("Europe/London").unwrap()
    }

    #[test]
    fn nine_oclock_stays_nine_oclock_across_the_clock_change() {
        let mondays = Schedule::weekly_reminder();
        // 23 March 2026 is GMT (09:00Z); 30 March 2026 is BST (08:00Z).
        let first = mondays
            .next_after(&london(), utc("2026-03-20T00:00:00Z"))
            .unwrap();
        assert_eq!(first, utc("2026-03-23T09:00:00Z"));
        let second = mondays.next_after(&london(), first).unwrap();
        assert_eq!(second, utc("2026-03-30T08:00:00Z"));
    }

    #[test]
    fn a_skipped_time_fires_once_when_the_clocks_jump() {
        // 01:30 does not exist in London on 29 March 2026 (01:00 GMT → 02:00 BST).
        let nightly = Schedule::parse("0 30 1 * * *").unwrap();
        let times = nightly.upcoming(&london(), utc("2026-03-28T12:00:00Z"), 3);
        assert_eq!(
            times,
            [
                utc("2026-03-29T01:00:00Z"),
                utc("2026-03-30T00:30:00Z"),
                utc("2026-03-31T00:30:00Z")
            ]
        );
    }

    #[test]
    fn a_repeated_time_fires_once() {
        // 01:30 happens twice in London on 25 October 2026; it fires at the first.
        let nightly = Schedule::parse("0 30 1 * * *").unwrap();
        let times = nightly.upcoming(&london(), utc("2026-10-24T12:00:00Z"), 3);
        assert_eq!(
            times,
            [
                utc("2026-10-25T00:30:00Z"),
                utc("2026-10-26T01:30:00Z"),
                utc("2026-10-27T01:30:00Z")
            ]
        );
    }

    #[test]
    fn latest_fire_is_found_within_the_catch_up_window() {
        let mondays = Schedule::weekly_reminder();
        let now = utc("2026-11-25T12:00:00Z"); // a Wednesday
        let latest = mondays.latest_at_or_before(&london(), now, now - Duration::days(7));
        assert_eq!(latest, Some(utc("2026-11-23T09:00:00Z")));
        let none = mondays.latest_at_or_before(&london(), now, now - Duration::days(1));
        assert_eq!(none, None);
        // Exactly at the fire time counts.
        let at = utc("2026-11-23T09:00:00Z");
        assert_eq!(mondays.latest_at_or_before(&london(), at, at), Some(at));
    }

    #[test]
    fn five_field_cron_and_bad_input() {
        assert_eq!(
            Schedule::parse("0 9 * * Mon").unwrap().to_string(),
            "0 0 9 * * Mon"
        );
        let err = Schedule::parse("every monday").unwrap_err().to_string();
        assert!(err.contains("cron"), "{err}");
    }
}
