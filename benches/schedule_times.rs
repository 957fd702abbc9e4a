//! Schedule arithmetic benchmark: what one `Schedule::next_after` and one
//! `Schedule::latest_at_or_before` (a 7-day catch-up window) cost, for the default digest and
//! reminder schedules and for schedules every 5 seconds and every second, at 2,000 instants
//! spread over 2026 in Europe/London (a tenth of them within three hours of a clock change).
//!
//! The baseline in the same run is the walk these replaced, copied below from the code before
//! (start three hours to one side of the instant in board time, take up to 1,000 fire times,
//! give each its instant and keep the first that fits). It is timed on the same instants, runs
//! alternate (baseline, current, baseline, current), and each figure is the median of 5 runs.
//! Besides time, the table counts the instants where the two disagree: the walk finds nothing
//! for schedules more frequent than about every 11 seconds. Run with
//! `cargo bench --bench schedule_times`.

use std::hint::black_box;
use std::str::FromStr;
use std::time::Instant;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone as _, Utc};

use briefing_bot::domain::{Schedule, TimeZone};

const INSTANTS: usize = 2_000;
const RUNS: usize = 5;

/// The code before: `next_after` and `latest_at_or_before` as they were, on the cron crate.
mod walk {
    use super::*;

    fn resolve(tz: &TimeZone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match tz.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            LocalResult::None => (1..=24 * 60).find_map(|minutes| {
                tz.0.from_local_datetime(&(local + Duration::minutes(minutes)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            }),
        }
    }

    pub fn next_after(
        cron: &cron::Schedule,
        tz: &TimeZone,
        instant: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let local = instant.with_timezone(&tz.0).naive_local() - Duration::hours(3);
        cron.after(&local.and_utc())
            .take(1000)
            .filter_map(|candidate| resolve(tz, candidate.naive_utc()))
            .find(|t| *t > instant)
    }

    pub fn latest_at_or_before(
        cron: &cron::Schedule,
        tz: &TimeZone,
        instant: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let local = instant.with_timezone(&tz.0).naive_local() + Duration::hours(3);
        cron.after(&local.and_utc())
            .rev()
            .take(1000)
            .filter_map(|candidate| resolve(tz, candidate.naive_utc()))
            .take_while(|t| *t >= not_before)
            .find(|t| *t <= instant)
    }
}

/// The instants: evenly over 2026 at odd seconds, every tenth near a London clock change.
fn instants() -> Vec<DateTime<Utc>> {
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let changes = [
        Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap(),
    ];
    let step = 365 * 24 * 3600 / INSTANTS as i64;
    (0..INSTANTS as i64)
        .map(|i| {
            if i % 10 == 0 {
                let change = changes[(i / 10 % 2) as usize];
                change + Duration::seconds((i * 7919) % (6 * 3600) - 3 * 3600)
            } else {
                year + Duration::seconds(i * step + i % 61)
            }
        })
        .collect()
}

/// Nanoseconds per call of `f` over every instant: the median of `RUNS` runs.
fn median_ns(times: &mut [f64]) -> f64 {
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn time_per_call(instants: &[DateTime<Utc>], mut f: impl FnMut(DateTime<Utc>)) -> f64 {
    let started = Instant::now();
    for &at in instants {
        f(at);
    }
    started.elapsed().as_nanos() as f64 / instants.len() as f64
}

fn figure(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.0} µs", ns / 1000.0)
    } else if ns >= 1_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let tz = TimeZone::parse("Europe/London").unwrap();
    let instants = instants();
    let window = Duration::days(7);
    println!(
        "{} instants over 2026 in {}, median of {RUNS} alternating runs, per call",
        INSTANTS,
        tz.name()
    );
    println!(
        "| schedule                      | call                | before (walk) | after       | differ (before found none) |"
    );
    println!(
        "|-------------------------------|---------------------|---------------|-------------|----------------------------|"
    );
    for (name, text) in [
        ("quarterly digest (default)", "0 0 9 1 1,4,7,10 *"),
        ("weekly reminder (default)", "0 0 9 * * Mon"),
        ("every 5 seconds", "*/5 * * * * *"),
        ("every second", "* * * * * *"),
    ] {
        let schedule = Schedule::parse(text).unwrap();
        let cron = cron::Schedule::from_str(&schedule.to_string()).unwrap();
        for call in ["next_after", "latest_at_or_before"] {
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                before.push(time_per_call(&instants, |at| {
                    black_box(match call {
                        "next_after" => walk::next_after(&cron, &tz, at),
                        _ => walk::latest_at_or_before(&cron, &tz, at, at - window),
                    });
                }));
                after.push(time_per_call(&instants, |at| {
                    black_box(match call {
                        "next_after" => schedule.next_after(&tz, at),
                        _ => schedule.latest_at_or_before(&tz, at, at - window),
                    });
                }));
            }
            let (mut differ, mut none) = (0, 0);
            for &at in &instants {
                let (old, new) = match call {
                    "next_after" => (
                        walk::next_after(&cron, &tz, at),
                        schedule.next_after(&tz, at),
                    ),
                    _ => (
                        walk::latest_at_or_before(&cron, &tz, at, at - window),
                        schedule.latest_at_or_before(&tz, at, at - window),
                    ),
                };
                if old != new {
                    differ += 1;
                    if old.is_none() {
                        none += 1;
                    }
                }
            }
            println!(
                "| {name:<29} | {call:<19} | {:>13} | {:>11} | {:>26} |",
                figure(median_ns(&mut before)),
                figure(median_ns(&mut after)),
                format!("{differ} ({none})"),
            );
        }
    }
}
