//! A board's own settings: where it is in the world and how it counts its year.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use super::schedule::Schedule;
use super::status::StatusError;

/// The board's time zone. Due dates are calendar dates in this zone, and "today" is its today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<Self, StatusError> {
        chrono_tz::Tz::from_str(input.trim())
            .map(TimeZone)
            .map_err(|_| StatusError {
                what: "time zone (an IANA name)",
                value: input.trim().to_string(),
                allowed: vec!["Europe/London", "Europe/Dublin", "America/New_York", "…"],
            })
    }

    /// The calendar date it is in this zone at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::Europe::London)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The month (1–12) a board's reporting year starts; April for UK public bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearStartMonth(u32);

impl YearStartMonth {
    pub fn new(month: u32) -> Result<Self, StatusError> {
        if (1..=12).contains(&month) {
            Ok(Self(month))
        } else {
            Err(StatusError {
                what: "month the reporting year starts (1–12)",
                value: month.to_string(),
                allowed: vec!["1 (January)", "4 (April, the UK financial year)"],
            })
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for YearStartMonth {
    fn default() -> Self {
        Self(4)
    }
}

/// Settings each board chooses for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardSettings {
    pub time_zone: TimeZone,
    pub year_start_month: YearStartMonth,
    /// Reminders include open actions due within this many days (both ends included).
    pub remind_before_days: u32,
    /// Actions overdue by more than this many days are escalated to the board's admins.
    pub escalate_after_days: u32,
    /// When the quarterly digest is posted (board time).
    pub digest_schedule: Schedule,
    /// When reminders are posted (board time).
    pub reminder_schedule: Schedule,
    /// After downtime, the latest missed post is caught up if at most this many days old.
    pub catch_up_days: u32,
    /// The pre-meeting brief is posted this many days before each meeting, at 09:00.
    pub meeting_brief_days: u32,
    /// An officer's "done" waits for the secretariat's sign-off before it counts as closed
    /// for good.
    pub sign_off_required: bool,
    /// A response to a recommendation is due this many days after its source was published,
    /// unless the recommendation gives its own date.
    pub response_days: u32,
    /// An action whose due date has moved more than this many times is flagged in the digest
    /// and the reminder: "moved 3 times (first due 1 Sep 2010)".
    pub flag_after_moves: u32,
    /// A follow-up this many days after a reminder, only to the officers who have not updated
    /// the actions it listed for them since (`None`, the default: no nudges).
    pub nudge_after_days: Option<u32>,
    /// How the monitoring section reads the board's figures.
    pub monitoring: MonitoringSettings,
}

/// How the monitoring section of the digest reads the board's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringSettings {
    /// An area whose figure moved the wrong way by more than this percentage (against the
    /// same quarter a year earlier) is reported as an exception.
    pub exception_percent: u32,
    /// For counts, the change must also be at least this many: a move from 2 to 3 is 50% but
    /// says nothing.
    pub exception_min_count: u32,
    /// Hide small numbers in what people see (counts of 1–4, percentages out of fewer than 5):
    /// figures about violence against women in one borough can identify people. The JSON for
    /// the secretariat keeps exact values.
    pub hide_small_numbers: bool,
    /// The indicators the trend chart draws, by key; empty for all of them.
    pub trend_indicators: Vec<String>,
}

impl Default for MonitoringSettings {
    fn default() -> Self {
        Self {
            exception_percent: 10,
            exception_min_count: 5,
            hide_small_numbers: true,
            trend_indicators: Vec::new(),
        }
    }
}

impl BoardSettings {
    /// When nudges are on but every one would be overtaken by the next reminder (reminders go
    /// out at least as often as the nudge's days, so the next reminder always comes first):
    /// the day of the reminder that overtakes the first nudge from `now`.
    pub fn nudges_overtaken(&self, now: DateTime<Utc>) -> Option<NaiveDate> {
        let after = self.nudge_after_days?;
        let tz = &self.time_zone;
        let first = self.reminder_schedule.next_after(tz, now)?;
        let second = self.reminder_schedule.next_after(tz, first)?;
        (second <= first + chrono::Duration::days(i64::from(after))).then(|| tz.today(second))
    }
}

impl Default for BoardSettings {
    fn default() -> Self {
        Self {
            time_zone: TimeZone::default(),
            year_start_month: YearStartMonth::default(),
            remind_before_days: 14,
            escalate_after_days: 28,
            digest_schedule: Schedule::quarterly_digest(),
            reminder_schedule: Schedule::weekly_reminder(),
            catch_up_days: 7,
            meeting_brief_days: 7,
            sign_off_required: true,
            response_days: 56,
            flag_after_moves: 2,
            nudge_after_days: None,
            monitoring: MonitoringSettings::default(),
        }
    }
}

/// Where a board lives in its chat server: the server bound to it, the channels it posts to
/// and the roles that make someone an officer or an admin. Plain ids, so the domain stays free
/// of any chat library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatSettings {
    /// The Discord server (guild) bound to this board; one board per server.
    pub server_id: Option<u64>,
    /// Where the quarterly digest is posted.
    pub digest_channel: Option<u64>,
    /// Where reminders are posted.
    pub reminder_channel: Option<u64>,
    /// Members with this role are officers: they update the actions assigned to them.
    pub officer_role: Option<u64>,
    /// Members with this role (or Manage Server) are the secretariat.
    pub admin_role: Option<u64>,
    /// When set, officers may update any action, not only their own.
    pub officers_update_any: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nudge_within_the_reminders_interval_is_never_overtaken() {
        // Reminders every Monday at 09:00; Tuesday 1 December 2026.
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let mut settings = BoardSettings::default();
        assert_eq!(settings.nudges_overtaken(now), None, "nudges are off");
        settings.nudge_after_days = Some(3);
        assert_eq!(settings.nudges_overtaken(now), None);
        settings.nudge_after_days = Some(6);
        assert_eq!(settings.nudges_overtaken(now), None);
        settings.nudge_after_days = Some(7);
        assert_eq!(
            settings.nudges_overtaken(now),
            Some(NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()),
            "the Monday after next comes with the first nudge"
        );
        settings.reminder_schedule = Schedule::parse("0 0 9 * * *").unwrap();
        settings.nudge_after_days = Some(1);
        assert!(settings.nudges_overtaken(now).is_some(), "daily reminders");
    }
}
