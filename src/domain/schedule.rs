//! When a board's scheduled posts fall due: cron expressions read in the board's time zone.
//!
//! Cron is evaluated on the board's wall clock, so 09:00 stays 09:00 in both GMT and BST. On
//! the days the clocks change, a wall-clock time that happens twice fires once (the first
//! time), and one that does not happen fires once, at the moment the clocks jump past it.
//! Both are one rule: a wall-clock time fires at the first instant the board's clock reads it
//! or later. So the times a jump skips all fire together, once, at the jump.
//!
//! Finding a fire time never walks through the schedule's fire times: the latest wall-clock
//! time the clock has reached at an instant is worked out first (see [`Schedule::unreached`]),
//! and the cron expression is asked for the one time just after or just before it. A schedule
//! every second and one once a year cost the same.
//!
//! [`Schedule::frequent`] says whether a schedule would post more than once within an hour,
//! what it does and what was probably meant; the services refuse such schedules unless the
//! deployment allows them.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike as _, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime,
    Offset as _, TimeZone as _, Timelike as _, Utc,
};
use cron::TimeUnitSpec as _;

use super::board::TimeZone;
use super::status::StatusError;

/// Seconds in a day: every zone's offset from UTC is less than this.
const DAY: i64 = 24 * 60 * 60;

/// A cron schedule with seconds: `sec min hour day-of-month month day-of-week`.
#[derive(Clone)]
pub struct Schedule {
    cron: cron::Schedule,
    /// With seconds, as stored and compared.
    text: String,
    /// As the person wrote it (spaces tidied), so a suggestion reads in the same form.
    written: String,
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
        let written = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let with_seconds = if written.split(' ').count() == 5 {
            format!("0 {written}")
        } else {
            written.clone()
        };
        cron::Schedule::from_str(&with_seconds)
            .map(|cron| Self {
                cron,
                text: with_seconds,
                written,
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

    /// The schedule as the person wrote it (five fields stay five), for messages to them.
    pub fn written(&self) -> &str {
        &self.written
    }

    /// The first instant the board's clock reads `local` or later: the instant itself, the
    /// first of two on a clocks-back day, or the jump past a time the clocks skip.
    fn resolve(tz: &TimeZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match tz.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            LocalResult::None => Self::jump_past(tz, local),
        }
    }

    /// The instant the clocks jump past `local`, a wall-clock time they skip: the first second
    /// at which the clock reads later. A day either side the clock reads earlier and later
    /// (offsets are under a day), and in between it can only pass `local` by jumping over it,
    /// since it never reads it; so halving that span finds the jump in 18 steps, wherever
    /// the jump falls (zones have jumped by 30 minutes, by a day, at odd seconds).
    fn jump_past(tz: &TimeZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let target = local.and_utc().timestamp();
        let reads_at_least = |second: i64| {
            DateTime::from_timestamp(second, 0)
                .is_some_and(|t| t.with_timezone(&tz.0).naive_local() >= local)
        };
        let (mut before, mut after) = (target - DAY, target + DAY);
        while after - before > 1 {
            let middle = before + (after - before) / 2;
            if reads_at_least(middle) {
                after = middle;
            } else {
                before = middle;
            }
        }
        DateTime::from_timestamp(after, 0)
    }

    /// The earliest wall-clock time the board's clock has not yet read at `instant`: every
    /// cron time before it has fired by then, and none from it on. Usually the next whole
    /// second after the clock's reading. In the repeated hour after the clocks go back, the
    /// clock read further before it went back, so up to the moment it did is behind us too
    /// (those times fired the first time round).
    fn unreached(tz: &TimeZone, instant: DateTime<Utc>) -> Option<NaiveDateTime> {
        let local = instant.with_timezone(&tz.0).naive_local();
        let next_second = local
            .with_nanosecond(0)?
            .checked_add_signed(Duration::seconds(1))?;
        match tz.0.from_local_datetime(&local) {
            LocalResult::Ambiguous(first, _) if first.with_timezone(&Utc) < instant => {
                Self::went_back(tz, first.with_timezone(&Utc), instant)
            }
            _ => Some(next_second),
        }
    }

    /// The reading the clock went back from, between `earlier` (before the change) and
    /// `later` (after it): the instant of the change is found by halving the span (at most
    /// the size of the change), and read at the offset before it.
    fn went_back(
        tz: &TimeZone,
        earlier: DateTime<Utc>,
        later: DateTime<Utc>,
    ) -> Option<NaiveDateTime> {
        let offset = |second: i64| {
            DateTime::from_timestamp(second, 0)
                .map(|t| tz.0.offset_from_utc_datetime(&t.naive_utc()).fix())
        };
        let before_change = offset(earlier.timestamp())?;
        // Changes happen on whole seconds, so the whole second at or before `later` is
        // already after the change, and the one at or before `earlier` is before it.
        let (mut before, mut after) = (earlier.timestamp(), later.timestamp());
        while after - before > 1 {
            let middle = before + (after - before) / 2;
            if offset(middle)? == before_change {
                before = middle;
            } else {
                after = middle;
            }
        }
        let change = DateTime::from_timestamp(after, 0)?;
        Some(change.with_timezone(&before_change).naive_local())
    }

    /// The first time this schedule fires strictly after `instant`.
    pub fn next_after(&self, tz: &TimeZone, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = Self::unreached(tz, instant)?;
        // The cron crate's `after` is strictly after, in whole seconds: from `from` on.
        let wall = self
            .cron
            .after(&from.checked_sub_signed(Duration::seconds(1))?.and_utc())
            .next()?;
        Self::resolve(tz, wall.naive_utc())
    }

    /// The latest time this schedule fired at or before `instant`, if it is not before
    /// `not_before`.
    pub fn latest_at_or_before(
        &self,
        tz: &TimeZone,
        instant: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut until = Self::unreached(tz, instant)?;
        // Going back into an earlier year, cron 0.15 keeps the starting date's month, day
        // and hour as limits, so with a year field that leaves out this year it would miss
        // the last time of the year before. Starting from this year's first second (where
        // those limits are the year's end) finds the same time: none falls in this year.
        if !self.cron.years().includes(until.year() as u32) {
            until = NaiveDate::from_ymd_opt(until.year(), 1, 1)?.and_time(NaiveTime::MIN);
        }
        // Going back, the cron crate's iterator starts strictly before `until`.
        let wall = self.cron.after(&until.and_utc()).next_back()?;
        Self::resolve(tz, wall.naive_utc()).filter(|t| *t >= not_before)
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

    /// What this schedule does if it would post more than once within an hour, and the
    /// schedule the person probably meant; `None` when it posts at most hourly.
    ///
    /// Read from the fields, not by trying times: a cron schedule's times of day are every
    /// combination of its hours, minutes and seconds, the same on every day it fires. Its
    /// hours are whole hours apart, and its last time one day is at least an hour before its
    /// first the next; so two posts fall within an hour exactly when the seconds field or
    /// the minutes field holds more than one value. That is exact for every date, however
    /// rarely the days match: `0 0,30 9 1 1 *` (twice on 1 January) counts, because two
    /// posts half an hour apart are never what a board means by a digest or a reminder.
    ///
    /// Judged on the wall clock the expression describes, not in elapsed time: on the night
    /// the clocks go forward, `0 30 * * * *` fires at 00:30 GMT, at the jump past the
    /// skipped 01:30 (01:00 GMT) and at 02:30 BST, half an hour apart. The person wrote an
    /// hourly schedule, and refusing it for one night a year would be wrong.
    pub fn frequent(&self) -> Option<Frequent> {
        let seconds: Vec<u32> = self.cron.seconds().iter().collect();
        let minutes: Vec<u32> = self.cron.minutes().iter().collect();
        let hours: Vec<u32> = self.cron.hours().iter().collect();
        if seconds.len() < 2 && minutes.len() < 2 {
            return None;
        }
        let (first_second, first_minute) = (*seconds.first()?, *minutes.first()?);
        let in_hour: Vec<u32> = minutes
            .iter()
            .flat_map(|m| seconds.iter().map(move |s| m * 60 + s))
            .collect();
        let fires = times_of_day(&hours, &in_hour, seconds != [0]);
        // The same days, once, at the first of those minutes and seconds: 09:00 when every
        // hour was given (the bot's usual posting time), else the first hour given.
        let hour = if self.cron.hours().is_all() {
            9
        } else {
            *hours.first()?
        };
        let with_seconds = first_second != 0;
        let guess_at = clock_time(hour * 3600 + first_minute * 60 + first_second, with_seconds);
        let fields = self.fields(first_second, first_minute);
        let guess = self.checked(fields(Some(hour)), first_second, first_minute, Some(hour));
        let hourly = (hours.len() > 1).then(|| {
            (
                self.checked(fields(None), first_second, first_minute, None),
                times_of_day(&hours, &[first_minute * 60 + first_second], with_seconds),
            )
        });
        Some(Frequent {
            written: self.written.clone(),
            fires,
            guess,
            guess_at,
            hourly,
        })
    }

    /// The expression as written with its seconds and minutes replaced, and its hours too
    /// when given (else as written).
    fn fields(&self, second: u32, minute: u32) -> impl Fn(Option<u32>) -> String + '_ {
        let written: Vec<&str> = self.written.split(' ').collect();
        // Five fields have no seconds; six or seven start with them (shorthands such as
        // @daily never fire more than hourly, but read them as the stored six fields).
        let (fields, seconds_field) = match written.len() {
            5 => (written, false),
            6 | 7 => (written, true),
            _ => (self.text.split(' ').collect(), true),
        };
        move |hour| {
            let mut out: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            // Fields run together (`0,1******`) leave fewer words than fields; what is
            // made of them then is checked, and replaced, by `checked`.
            let mut set = |i: usize, value: u32| {
                if let Some(field) = out.get_mut(i) {
                    *field = value.to_string();
                }
            };
            let first = usize::from(seconds_field);
            if seconds_field {
                set(0, second);
            }
            set(first, minute);
            if let Some(hour) = hour {
                set(first + 1, hour);
            }
            out.join(" ")
        }
    }

    /// `candidate` (the written form with its times replaced) if it says what it should: the
    /// same days, at `second` and `minute` past `hour`, or past each hour this schedule names.
    /// Cron needs no space between fields (`3*/1` is a minute and an hour), and then the
    /// written words are not the fields; the fields as read are spelled out instead.
    fn checked(&self, candidate: String, second: u32, minute: u32, hour: Option<u32>) -> String {
        let hours = match hour {
            Some(hour) => vec![hour],
            None => values(self.cron.hours()),
        };
        let says_it = Schedule::parse(&candidate).is_ok_and(|c| {
            values(c.cron.seconds()) == [second]
                && values(c.cron.minutes()) == [minute]
                && values(c.cron.hours()) == hours
                && values(c.cron.days_of_month()) == values(self.cron.days_of_month())
                && values(c.cron.months()) == values(self.cron.months())
                && values(c.cron.days_of_week()) == values(self.cron.days_of_week())
                && values(c.cron.years()) == values(self.cron.years())
        });
        if says_it {
            return candidate;
        }
        let hour = hour.map_or_else(|| spelled(self.cron.hours()), |h| h.to_string());
        let years = self.cron.years();
        format!(
            "{second} {minute} {hour} {} {} {}{}",
            spelled(self.cron.days_of_month()),
            spelled(self.cron.months()),
            spelled(self.cron.days_of_week()),
            if years.is_all() {
                String::new()
            } else {
                format!(" {}", spelled(years))
            }
        )
    }
}

/// The values a cron field names, ascending.
fn values(field: &impl cron::TimeUnitSpec) -> Vec<u32> {
    field.iter().collect()
}

/// A cron field as a plain list of its values (`*` for all of them).
fn spelled(field: &impl cron::TimeUnitSpec) -> String {
    if field.is_all() {
        "*".into()
    } else {
        let values: Vec<String> = field.iter().map(|v| v.to_string()).collect();
        values.join(",")
    }
}

/// A schedule that would post more than once within an hour: what it does, and what the
/// person probably meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frequent {
    /// The schedule as the person wrote it.
    pub written: String,
    /// When it fires, e.g. "every minute from 09:00 to 09:59".
    pub fires: String,
    /// The likely intended schedule: the same days, once, in the form the person used.
    pub guess: String,
    /// The time of day `guess` posts at, e.g. "09:00".
    pub guess_at: String,
    /// When it names several hours: once in each of them, and when that posts.
    pub hourly: Option<(String, String)>,
}

impl fmt::Display for Frequent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` fires {}; did you mean `{}`",
            self.written, self.fires, self.guess
        )?;
        match &self.hourly {
            Some((hourly, when)) => write!(f, " ({}) or `{hourly}` ({when})?", self.guess_at),
            None => f.write_str("?"),
        }
    }
}

/// A time of day given in seconds, as a board reads it.
fn clock_time(second_of_day: u32, with_seconds: bool) -> String {
    let (h, m, s) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    if with_seconds {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}")
    }
}

/// "every second", "every 5 minutes", "every hour": a steady gap in words.
fn every(gap: u32) -> String {
    match gap {
        1 => "every second".into(),
        60 => "every minute".into(),
        3600 => "every hour".into(),
        g if g % 60 == 0 => format!("every {} minutes", g / 60),
        g => format!("every {g} seconds"),
    }
}

/// When a schedule fires in a day, given its hours and its seconds past each hour (both
/// ascending): for each run of consecutive hours, how often and from when to when, e.g.
/// "every minute from 09:00 to 09:59 and from 14:00 to 14:59".
fn times_of_day(hours: &[u32], in_hour: &[u32], with_seconds: bool) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &hour in hours {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == hour => *last = hour,
            _ => runs.push((hour, hour)),
        }
    }
    let (Some(&first_in_hour), Some(&last_in_hour)) = (in_hour.first(), in_hour.last()) else {
        return "never".into();
    };
    let spells: Vec<(String, String)> = runs
        .iter()
        .map(|&(from, to)| {
            let mut gaps: Vec<u32> = in_hour.windows(2).map(|w| w[1] - w[0]).collect();
            if to > from {
                gaps.push(3600 - last_in_hour + first_in_hour);
            }
            let (first, last) = (
                clock_time(from * 3600 + first_in_hour, with_seconds),
                clock_time(to * 3600 + last_in_hour, with_seconds),
            );
            match gaps.first() {
                None => ("at".to_string(), first),
                Some(&gap) if gaps.iter().all(|g| *g == gap) => {
                    (every(gap), format!("from {first} to {last}"))
                }
                Some(_) => (
                    format!("{} times", in_hour.len() as u32 * (to - from + 1)),
                    format!("from {first} to {last}"),
                ),
            }
        })
        .collect();
    // Past three spells a day the list says no more than "and in N more hours".
    let (shown, rest) = spells.split_at(spells.len().min(3));
    let more_hours: u32 = runs[shown.len()..].iter().map(|(a, b)| b - a + 1).sum();
    let same_rate = shown.iter().all(|(rate, _)| *rate == shown[0].0);
    let mut parts: Vec<String> = shown
        .iter()
        .enumerate()
        .map(|(i, (rate, span))| {
            if same_rate && i > 0 {
                span.clone()
            } else {
                format!("{rate} {span}")
            }
        })
        .collect();
    if !rest.is_empty() {
        parts.push(format!("at the same minutes in {more_hours} more hours"));
    }
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, init)) => format!("{} and {last}", init.join(", ")),
        None => "never".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    fn london() -> TimeZone {
        zone("Europe/London")
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
        // At the jump itself, not at the jump plus the seconds of the skipped time.
        let odd = Schedule::parse("5 30 1 * * *").unwrap();
        assert_eq!(
            odd.next_after(&london(), utc("2026-03-28T12:00:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
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
        // Exactly at the fire time counts, and so does a window starting at it.
        let at = utc("2026-11-23T09:00:00Z");
        assert_eq!(mondays.latest_at_or_before(&london(), at, at), Some(at));
        let just_before = at - Duration::nanoseconds(1);
        assert_eq!(
            mondays.latest_at_or_before(&london(), just_before, at - Duration::days(7)),
            Some(utc("2026-11-16T09:00:00Z"))
        );
        assert_eq!(mondays.next_after(&london(), just_before), Some(at));
    }

    #[test]
    fn every_five_seconds_fires_every_five_seconds() {
        let often = Schedule::parse("*/5 * * * * *").unwrap();
        let start = utc("2026-11-23T09:00:02.5Z");
        let times = often.upcoming(&london(), start, 24);
        let expected: Vec<_> = (1..=24)
            .map(|i| utc("2026-11-23T09:00:00Z") + Duration::seconds(5 * i))
            .collect();
        assert_eq!(times, expected);
        assert_eq!(
            often.latest_at_or_before(&london(), start, start - Duration::seconds(5)),
            Some(utc("2026-11-23T09:00:00Z"))
        );
        assert_eq!(
            often.latest_at_or_before(&london(), start, start - Duration::seconds(2)),
            None
        );
        let every_second = Schedule::parse("* * * * * *").unwrap();
        assert_eq!(
            every_second.next_after(&london(), start),
            Some(utc("2026-11-23T09:00:03Z"))
        );
        assert_eq!(
            every_second.latest_at_or_before(&london(), start, start - Duration::days(7)),
            Some(utc("2026-11-23T09:00:02Z"))
        );
    }

    #[test]
    fn the_repeated_hour_posts_nothing_the_second_time_round() {
        let often = Schedule::parse("*/5 * * * * *").unwrap();
        // 01:10 GMT on 25 October 2026 (01:10Z): the clock read 01:10 an hour ago, in BST,
        // and every time up to 02:00 then. The next post is at 02:00 GMT.
        let second_time = utc("2026-10-25T01:10:00Z");
        assert_eq!(
            often.next_after(&london(), second_time),
            Some(utc("2026-10-25T02:00:00Z"))
        );
        assert_eq!(
            often.latest_at_or_before(&london(), second_time, second_time - Duration::hours(2)),
            Some(utc("2026-10-25T00:59:55Z"))
        );
        // The first time round is an ordinary hour.
        let first_time = utc("2026-10-25T00:10:00Z");
        assert_eq!(
            often.next_after(&london(), first_time),
            Some(utc("2026-10-25T00:10:05Z"))
        );
    }

    #[test]
    fn the_skipped_hour_fires_once_at_the_jump_then_carries_on() {
        let often = Schedule::parse("*/5 * * * * *").unwrap();
        let times = often.upcoming(&london(), utc("2026-03-29T00:59:50Z"), 4);
        assert_eq!(
            times,
            [
                utc("2026-03-29T00:59:55Z"),
                // 01:00:00 to 01:59:55 GMT never happen; they and 02:00:00 BST fire once.
                utc("2026-03-29T01:00:00Z"),
                utc("2026-03-29T01:00:05Z"),
                utc("2026-03-29T01:00:10Z"),
            ]
        );
        let jump = utc("2026-03-29T01:00:00Z");
        assert_eq!(often.latest_at_or_before(&london(), jump, jump), Some(jump));
    }

    #[test]
    fn a_half_hour_clock_change_is_followed_to_the_second() {
        // Lord Howe Island goes from +10:30 to +11 at 02:00 local (15:30Z) on 4 October 2026.
        let nightly = Schedule::parse("0 15 2 * * *").unwrap();
        let lord_howe = zone("Australia/Lord_Howe");
        assert_eq!(
            nightly.next_after(&lord_howe, utc("2026-10-03T12:00:00Z")),
            Some(utc("2026-10-03T15:30:00Z"))
        );
        // And back from +11 to +10:30 at 02:00 (15:00Z) on 5 April: 01:45 happens twice.
        let early = Schedule::parse("0 45 1 * * *").unwrap();
        let times = early.upcoming(&lord_howe, utc("2026-04-04T12:00:00Z"), 2);
        assert_eq!(
            times,
            [utc("2026-04-04T14:45:00Z"), utc("2026-04-05T15:15:00Z")]
        );
    }

    #[test]
    fn a_schedule_that_never_fires_again_has_no_times() {
        let past = Schedule::parse("0 0 9 1 1 * 2020").unwrap();
        assert_eq!(
            past.next_after(&london(), utc("2026-01-01T00:00:00Z")),
            None
        );
        assert_eq!(
            past.latest_at_or_before(
                &london(),
                utc("2026-01-01T00:00:00Z"),
                utc("2019-01-01T00:00:00Z")
            ),
            Some(utc("2020-01-01T09:00:00Z"))
        );
        let impossible = Schedule::parse("0 0 9 31 2 *").unwrap();
        assert!(impossible
            .upcoming(&london(), utc("2026-01-01T00:00:00Z"), 3)
            .is_empty());
    }

    #[test]
    fn five_field_cron_and_bad_input() {
        let five = Schedule::parse(" 0  9 * *  Mon").unwrap();
        assert_eq!(five.to_string(), "0 0 9 * * Mon");
        assert_eq!(five.written(), "0 9 * * Mon");
        assert_eq!(five, Schedule::parse("0 0 9 * * Mon").unwrap());
        let err = Schedule::parse("every monday").unwrap_err().to_string();
        assert!(err.contains("cron"), "{err}");
    }

    fn refusal(expression: &str) -> Option<String> {
        Schedule::parse(expression)
            .unwrap()
            .frequent()
            .map(|f| f.to_string())
    }

    #[test]
    fn frequent_schedules_are_explained_with_what_was_meant() {
        for (expression, says) in [
            (
                "* 9 * * 1",
                "`* 9 * * 1` fires every minute from 09:00 to 09:59; did you mean `0 9 * * 1`?",
            ),
            (
                "*/5 9 * * Mon",
                "`*/5 9 * * Mon` fires every 5 minutes from 09:00 to 09:55; did you mean \
                 `0 9 * * Mon`?",
            ),
            (
                "* 0 9 * * Mon",
                "`* 0 9 * * Mon` fires every second from 09:00:00 to 09:00:59; did you mean \
                 `0 0 9 * * Mon`?",
            ),
            (
                "* 9-17 * * 2-6",
                "`* 9-17 * * 2-6` fires every minute from 09:00 to 17:59; did you mean \
                 `0 9 * * 2-6` (09:00) or `0 9-17 * * 2-6` (every hour from 09:00 to 17:00)?",
            ),
            (
                "* * * * *",
                "`* * * * *` fires every minute from 00:00 to 23:59; did you mean `0 9 * * *` \
                 (09:00) or `0 * * * *` (every hour from 00:00 to 23:00)?",
            ),
            (
                "0 0,30 9 1 1 *",
                "`0 0,30 9 1 1 *` fires every 30 minutes from 09:00 to 09:30; did you mean \
                 `0 0 9 1 1 *`?",
            ),
            (
                "30 15,20,45 8,14 * * Fri",
                "`30 15,20,45 8,14 * * Fri` fires 3 times from 08:15:30 to 08:45:30 and from \
                 14:15:30 to 14:45:30; did you mean `30 15 8 * * Fri` (08:15:30) or \
                 `30 15 8,14 * * Fri` (at 08:15:30 and 14:15:30)?",
            ),
            (
                "*/10 0 9 * * * 2030",
                "`*/10 0 9 * * * 2030` fires every 10 seconds from 09:00:00 to 09:00:50; did \
                 you mean `0 0 9 * * * 2030`?",
            ),
            (
                "*/20 */2 * * *",
                "`*/20 */2 * * *` fires every 20 minutes from 00:00 to 00:40, from 02:00 to \
                 02:40, from 04:00 to 04:40 and at the same minutes in 9 more hours; did you \
                 mean `0 0 * * *` (00:00) or `0 */2 * * *` (at 00:00, 02:00, 04:00 and at the \
                 same minutes in 9 more hours)?",
            ),
            (
                "0,45 30 10-11,13 * * *",
                "`0,45 30 10-11,13 * * *` fires 4 times from 10:30:00 to 11:30:45 and every 45 \
                 seconds from 13:30:00 to 13:30:45; did you mean `0 30 10 * * *` (10:30) or \
                 `0 30 10-11,13 * * *` (every hour from 10:30 to 11:30 and at 13:30)?",
            ),
        ] {
            assert_eq!(refusal(expression).as_deref(), Some(says), "{expression}");
        }
    }

    #[test]
    fn fields_written_together_get_a_suggestion_that_parses() {
        // Cron reads fields without spaces between them: `3*/1` is minute 3 of every hour,
        // and `0,1******` all seven fields. The written words are then not the fields, and
        // the suggestion spells out the fields as read.
        for (expression, guess) in [
            ("0,45 3*/1 * **", "0 3 9 * * *"),
            ("0,1******", "0 0 9 * * *"),
            ("0,45 3*/1 * * * 2030", "0 3 9 * * * 2030"),
        ] {
            let frequent = Schedule::parse(expression).unwrap().frequent().unwrap();
            assert_eq!(frequent.guess, guess, "{expression}");
            assert_eq!(refusal(&frequent.guess), None, "{expression}");
            if let Some((hourly, _)) = frequent.hourly {
                assert_eq!(refusal(&hourly), None, "{expression}: {hourly}");
            }
        }
    }

    #[test]
    fn hourly_and_rarer_schedules_are_not_frequent() {
        for expression in [
            "0 * * * *",
            "0 0 * * * *",
            "15 30 9-17 * * Mon-Fri",
            "0 0 0,23 * * *",
            "0 0 9 1 1,4,7,10 *",
            "@daily",
            "@hourly",
        ] {
            assert_eq!(refusal(expression), None, "{expression}");
        }
        // The guess for a frequent schedule is itself hourly or rarer.
        for expression in ["* 9 * * 1", "*/5 * * * * *", "0,30 * 9-17 * * *"] {
            let frequent = Schedule::parse(expression).unwrap().frequent().unwrap();
            assert_eq!(refusal(&frequent.guess), None, "{}", frequent.guess);
            let (hourly, _) = frequent
                .hourly
                .unwrap_or_else(|| (frequent.guess.clone(), String::new()));
            assert_eq!(refusal(&hourly), None, "{hourly}");
        }
    }

    /// Every time a schedule fires between two wall-clock readings, by the rule itself: list
    /// every wall-clock time the expression names, and give each the first instant the clock
    /// reads it (a skipped one: the first whole minute after it that the clock does read,
    /// which is the jump, since the zones tested change clocks on whole minutes).
    fn fires_by_walking(
        schedule: &str,
        tz: &TimeZone,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Vec<DateTime<Utc>> {
        let cron = cron::Schedule::from_str(schedule).unwrap();
        let mut fires: Vec<DateTime<Utc>> = cron
            .after(&from.and_utc())
            .map(|wall| wall.naive_utc())
            .take_while(|wall| *wall <= to)
            .map(|wall| match tz.0.from_local_datetime(&wall) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                LocalResult::None => {
                    let minute = wall.with_second(0).unwrap();
                    (1..=24 * 60)
                        .find_map(|m| {
                            tz.0.from_local_datetime(&(minute + Duration::minutes(m)))
                                .earliest()
                        })
                        .unwrap()
                        .with_timezone(&Utc)
                }
            })
            .collect();
        fires.sort();
        fires.dedup();
        fires
    }

    /// The zones tested, each with its 2026 clock changes.
    const ZONES: [(&str, [&str; 2]); 3] = [
        (
            "Europe/London",
            ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"],
        ),
        (
            "America/New_York",
            ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"],
        ),
        (
            "Australia/Lord_Howe",
            ["2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"],
        ),
    ];

    #[test]
    fn the_tested_clock_changes_are_clock_changes() {
        for (name, changes) in ZONES {
            let tz = zone(name);
            for change in changes {
                let at = utc(change);
                let offset = |t: DateTime<Utc>| tz.0.offset_from_utc_datetime(&t.naive_utc()).fix();
                assert_ne!(
                    offset(at - Duration::seconds(1)),
                    offset(at),
                    "{name} {change}"
                );
            }
        }
    }

    mod agree_with_walking {
        use super::*;
        use proptest::prelude::*;

        /// A cron field: `*`, a step, a range or a list of values in `min..=max`.
        fn field(min: u32, max: u32, most: usize) -> impl Strategy<Value = String> {
            prop_oneof![
                1 => Just("*".to_string()),
                1 => (2..=max - min).prop_map(|k| format!("*/{k}")),
                2 => (min..=max, min..=max).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
                4 => proptest::collection::btree_set(min..=max, 1..=most)
                    .prop_map(|s| s.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
            ]
        }

        /// Schedules from several a minute to a few a week, with at most a few hundred
        /// times a day so walking nine days either side stays quick.
        fn schedule() -> impl Strategy<Value = String> {
            (
                proptest::collection::btree_set(0..60u32, 1..=2),
                proptest::collection::btree_set(0..60u32, 1..=3),
                field(0, 23, 6),
                prop_oneof![3 => Just("*".to_string()), 1 => field(1, 7, 3)],
            )
                .prop_map(|(seconds, minutes, hours, weekdays)| {
                    let list = |s: std::collections::BTreeSet<u32>| {
                        s.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
                    };
                    format!("{} {} {hours} * * {weekdays}", list(seconds), list(minutes))
                })
        }

        /// An instant in 2026: anywhere, or within three hours of one of the zone's clock
        /// changes (where the rules matter), at a whole second or not.
        fn instant(changes: [&'static str; 2]) -> impl Strategy<Value = DateTime<Utc>> {
            let year = utc("2026-01-01T00:00:00Z").timestamp();
            prop_oneof![
                (0..365 * DAY).prop_map(move |s| year + s),
                (0..2usize, -3 * 3600..3 * 3600i64)
                    .prop_map(move |(i, s)| utc(changes[i]).timestamp() + s),
            ]
            .prop_flat_map(|second| {
                prop_oneof![Just(0u32), 0..1_000_000_000u32]
                    .prop_map(move |nanos| DateTime::from_timestamp(second, nanos).unwrap())
            })
        }

        fn case() -> impl Strategy<Value = (usize, DateTime<Utc>)> {
            (0..ZONES.len()).prop_flat_map(|z| (Just(z), instant(ZONES[z].1)))
        }

        fn check(
            schedule: &str,
            zone_index: usize,
            instant: DateTime<Utc>,
            window: Duration,
            catch_up: Duration,
        ) -> Result<(), TestCaseError> {
            let tz = zone(ZONES[zone_index].0);
            let parsed = Schedule::parse(schedule).unwrap();
            let local = instant.with_timezone(&tz.0).naive_local();
            let fires = fires_by_walking(&parsed.text, &tz, local - window, local + window);
            let next = fires.iter().find(|t| **t > instant).copied();
            let latest = fires
                .iter()
                .rev()
                .find(|t| **t <= instant)
                .filter(|t| **t >= instant - catch_up)
                .copied();
            prop_assert!(next.is_some(), "the walk found no next fire for {schedule}");
            prop_assert_eq!(
                parsed.next_after(&tz, instant),
                next,
                "next after {}",
                instant
            );
            prop_assert_eq!(
                parsed.latest_at_or_before(&tz, instant, instant - catch_up),
                latest,
                "latest at or before {}",
                instant
            );
            // At a fire time itself: it is the latest, and the next comes after it.
            let fire = next.unwrap();
            prop_assert_eq!(parsed.latest_at_or_before(&tz, fire, fire), Some(fire));
            prop_assert_eq!(
                parsed.next_after(&tz, fire - Duration::nanoseconds(1)),
                Some(fire)
            );
            // The fire after that, when the walk's window reaches it (a weekly schedule's
            // second fire can lie beyond it).
            if let Some(after) = fires.iter().find(|t| **t > fire) {
                prop_assert_eq!(parsed.next_after(&tz, fire), Some(*after));
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn for_schedules_up_to_a_few_a_minute(
                schedule in schedule(),
                (zone_index, instant) in case(),
                catch_up_hours in 0..240i64,
            ) {
                check(
                    &schedule,
                    zone_index,
                    instant,
                    Duration::days(9),
                    Duration::hours(catch_up_hours),
                )?;
            }

            #[test]
            fn for_schedules_every_few_seconds(
                every in prop_oneof![Just(1u32), Just(2), Just(5), Just(7), Just(30)],
                (zone_index, instant) in case(),
                catch_up_seconds in 0..600i64,
            ) {
                check(
                    &format!("*/{every} * * * * *"),
                    zone_index,
                    instant,
                    Duration::hours(3),
                    Duration::seconds(catch_up_seconds),
                )?;
            }
        }
    }
}
