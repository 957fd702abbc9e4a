//! The small pieces every message kind is built from: lists that say how many were left out,
//! dates as the board reads them, one line per action, and the colours of the embeds.

use chrono::{DateTime, NaiveDate, Utc};

use super::escape::escape;
use crate::digest::build::ActionLine;
use crate::domain::{Action, TimeZone};

pub use crate::digest::render::text::fit;

/// Join lines with newlines within `max` characters; if some do not fit, end with
/// "…and N more". Returns the text and how many lines were shown.
pub fn join_counted(lines: &[String], max: usize) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let remaining = lines.len() - i;
        let tail = format!("\n…and {remaining} more");
        let line_len = line.chars().count();
        let sep = usize::from(!out.is_empty());
        let room_for_tail = if remaining > 1 {
            tail.chars().count()
        } else {
            0
        };
        if used + sep + line_len + room_for_tail > max {
            if out.is_empty() {
                let tail = format!("…and {remaining} more");
                if remaining > 1 {
                    return (tail, 0);
                }
                return (fit(line, max), 1);
            }
            out.push_str(&tail);
            return (out, i);
        }
        if sep == 1 {
            out.push('\n');
        }
        out.push_str(line);
        used += sep + line_len;
    }
    (out, lines.len())
}

/// [`join_counted`] without the count.
pub fn join_within(lines: &[String], max: usize) -> String {
    join_counted(lines, max).0
}

pub(super) const GREEN: u32 = 0x2E7D32;
pub(super) const AMBER: u32 = 0xF9A825;
pub(super) const RED: u32 = 0xC62828;
pub(super) const BLUE: u32 = 0x1565C0;
pub(super) const PURPLE: u32 = 0x6A1B9A;

/// `1 Sep 2010`: short dates for lists.
pub fn short_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// `14 Mar 2010 10:00 GMT`: an instant as the board's clocks showed it, naming the zone (its
/// abbreviation, which changes with summer time).
pub fn short_local_time(tz: &TimeZone, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz.0)
        .format("%-d %b %Y %H:%M %Z")
        .to_string()
}

pub(super) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

pub(super) fn action_line(a: &ActionLine) -> String {
    let when = if a.days_overdue > 0 {
        format!(
            "due {} — **{} overdue**",
            short_date(a.due),
            days(a.days_overdue)
        )
    } else {
        format!("due {}", short_date(a.due))
    };
    let moved = a
        .moved
        .map(|m| format!(" · {}", m.phrase()))
        .unwrap_or_default();
    format!(
        "`{}` {} — {} · {when}{moved}",
        a.reference,
        escape(&fit(&a.title, 80)),
        escape(&fit(&a.owner, 50))
    )
}

/// How far past due an action is, in words, or its due date.
pub fn due_phrase(action: &Action, today: NaiveDate) -> String {
    let days = action.days_overdue(today);
    match days {
        0 if action.due == today && !action.status.is_closed() => "due today".into(),
        0 => format!("due {}", short_date(action.due)),
        1 => format!("due {} — 1 day overdue", short_date(action.due)),
        n => format!("due {} — {n} days overdue", short_date(action.due)),
    }
}

/// One line of a list: "`ACT-001` Title — Owner · on track · due 1 Sep 2010".
pub fn action_status_line(action: &Action, today: NaiveDate) -> String {
    format!(
        "`{}` {} — {} · {} · {}",
        action.reference,
        escape(&fit(&action.title, 90)),
        escape(&fit(&action.owner, 60)),
        action.status_label(),
        due_phrase(action, today)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_never_exceeds_the_limit() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit(&"x".repeat(3000), 2000).chars().count(), 2000);
        assert!(fit(&format!("{}\\*", "a".repeat(8)), 10).chars().count() <= 10);
    }

    #[test]
    fn long_lists_say_how_many_were_left_out() {
        let lines: Vec<String> = (0..500)
            .map(|i| format!("line number {i:03} with some words"))
            .collect();
        let (joined, shown) = join_counted(&lines, 4096);
        assert!(joined.chars().count() <= 4096);
        assert_eq!(
            joined.lines().filter(|l| l.starts_with("line")).count(),
            shown
        );
        assert!(
            joined.ends_with(&format!("…and {} more", 500 - shown)),
            "{joined}"
        );
        let (all, n) = join_counted(&lines[..3], 4096);
        assert_eq!((all.lines().count(), n), (3, 3));
    }
}
