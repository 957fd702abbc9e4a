//! The audit trail of a board's settings: which setting changed, from what to what, who did it
//! and when. The rule that turns two versions of a board into those entries lives here, so
//! every path that changes a board (slash commands, the CLI, imports) records the same way.

use chrono::{DateTime, Utc};

use super::records::Board;

/// One recorded change of one setting. Values are as stored (ids, IANA names, cron text);
/// a webhook's URL only ever appears redacted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SettingChange {
    pub at: DateTime<Utc>,
    pub by: String,
    /// The setting's name, as the secretariat would say it ("digest channel").
    pub setting: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// What a setting is: how it is shown in the history, and how its value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// A Discord server, channel or role id.
    Server,
    Channel,
    Role,
    /// Anything else: shown as stored.
    Plain,
}

/// The name of the entry recorded when a board is created.
pub const BOARD_CREATED: &str = "board created";

/// The prefix of a webhook's entries: "webhook NAME".
pub const WEBHOOK: &str = "webhook";

/// The settings that differ between `before` and `after`, in a fixed order, each as
/// (setting, old, new).
pub fn changed_settings(
    before: &Board,
    after: &Board,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut changes = Vec::new();
    let mut compare = |setting: &'static str, old: Option<String>, new: Option<String>| {
        if old != new {
            changes.push((setting, old, new));
        }
    };
    let id = |v: Option<u64>| v.map(|v| v.to_string());
    let text = |v: &dyn ToString| Some(v.to_string());
    let (b, a) = (&before.settings, &after.settings);
    let (bc, ac) = (&before.chat, &after.chat);
    compare("name", text(&before.name), text(&after.name));
    compare("time zone", text(&b.time_zone), text(&a.time_zone));
    compare(
        "year start month",
        text(&b.year_start_month.get()),
        text(&a.year_start_month.get()),
    );
    compare(
        "remind before days",
        text(&b.remind_before_days),
        text(&a.remind_before_days),
    );
    compare(
        "escalate after days",
        text(&b.escalate_after_days),
        text(&a.escalate_after_days),
    );
    compare(
        "digest schedule",
        text(&b.digest_schedule),
        text(&a.digest_schedule),
    );
    compare(
        "reminder schedule",
        text(&b.reminder_schedule),
        text(&a.reminder_schedule),
    );
    compare(
        "catch-up days",
        text(&b.catch_up_days),
        text(&a.catch_up_days),
    );
    compare(
        "meeting brief days",
        text(&b.meeting_brief_days),
        text(&a.meeting_brief_days),
    );
    compare(
        "sign-off required",
        text(&yes_no(b.sign_off_required)),
        text(&yes_no(a.sign_off_required)),
    );
    compare(
        "response days",
        text(&b.response_days),
        text(&a.response_days),
    );
    compare(
        "flag after moves",
        text(&b.flag_after_moves),
        text(&a.flag_after_moves),
    );
    compare(
        "nudge after days",
        text(&nudge(b.nudge_after_days)),
        text(&nudge(a.nudge_after_days)),
    );
    let (bm, am) = (&b.monitoring, &a.monitoring);
    compare(
        "exception percent",
        text(&bm.exception_percent),
        text(&am.exception_percent),
    );
    compare(
        "exception minimum count",
        text(&bm.exception_min_count),
        text(&am.exception_min_count),
    );
    compare(
        "hide small numbers",
        text(&yes_no(bm.hide_small_numbers)),
        text(&yes_no(am.hide_small_numbers)),
    );
    compare(
        "trend indicators",
        text(&bm.trend_indicators.join(", ")),
        text(&am.trend_indicators.join(", ")),
    );
    compare("server", id(bc.server_id), id(ac.server_id));
    compare(
        "digest channel",
        id(bc.digest_channel),
        id(ac.digest_channel),
    );
    compare(
        "reminder channel",
        id(bc.reminder_channel),
        id(ac.reminder_channel),
    );
    compare("officer role", id(bc.officer_role), id(ac.officer_role));
    compare("admin role", id(bc.admin_role), id(ac.admin_role));
    compare(
        "officers update any action",
        text(&yes_no(bc.officers_update_any)),
        text(&yes_no(ac.officers_update_any)),
    );
    changes
}

/// The kind of a recorded setting, from its name (for showing its values).
pub fn setting_kind(setting: &str) -> SettingKind {
    match setting {
        "server" => SettingKind::Server,
        "digest channel" | "reminder channel" => SettingKind::Channel,
        "officer role" | "admin role" => SettingKind::Role,
        _ => SettingKind::Plain,
    }
}

/// Nudges as the history shows them: "off", or the days after a reminder.
fn nudge(days: Option<u32>) -> String {
    days.map_or_else(|| "off".to_string(), |d| d.to_string())
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BoardSettings, BoardSlug, ChatSettings, Schedule, TimeZone};

    fn board() -> Board {
        Board {
            id: 1,
            slug: BoardSlug::parse("dsvb").unwrap(),
            name: "DSVB".into(),
            settings: BoardSettings::default(),
            chat: ChatSettings::default(),
        }
    }

    #[test]
    fn an_unchanged_board_has_no_entries() {
        assert!(changed_settings(&board(), &board()).is_empty());
    }

    #[test]
    fn every_setting_is_named_with_its_old_and_new_value() {
        let before = board();
        let mut after = board();
        after.name = "Domestic and Sexual Violence Board".into();
        after.settings.time_zone = TimeZone::parse("Europe/Dublin").unwrap();
        after.settings.year_start_month = crate::domain::YearStartMonth::new(1).unwrap();
        after.settings.remind_before_days = 7;
        after.settings.escalate_after_days = 14;
        after.settings.digest_schedule = Schedule::parse("0 0 9 2 1,4,7,10 *").unwrap();
        after.settings.reminder_schedule = Schedule::parse("0 0 8 * * Tue").unwrap();
        after.settings.catch_up_days = 3;
        after.settings.meeting_brief_days = 5;
        after.chat = ChatSettings {
            server_id: Some(1),
            digest_channel: Some(2),
            reminder_channel: Some(3),
            officer_role: Some(4),
            admin_role: Some(5),
            officers_update_any: true,
        };
        let changes = changed_settings(&before, &after);
        let names: Vec<&str> = changes.iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "name",
                "time zone",
                "year start month",
                "remind before days",
                "escalate after days",
                "digest schedule",
                "reminder schedule",
                "catch-up days",
                "meeting brief days",
                "server",
                "digest channel",
                "reminder channel",
                "officer role",
                "admin role",
                "officers update any action"
            ]
        );
        let tz = &changes[1];
        assert_eq!(
            (tz.1.as_deref(), tz.2.as_deref()),
            (Some("Europe/London"), Some("Europe/Dublin"))
        );
        let channel = &changes[10];
        assert_eq!(
            (channel.1.as_deref(), channel.2.as_deref()),
            (None, Some("2"))
        );
        assert_eq!(changes[14].2.as_deref(), Some("yes"));
        // How each recorded setting's values are shown.
        let kinds: Vec<SettingKind> = changes.iter().map(|c| setting_kind(c.0)).collect();
        use SettingKind::*;
        assert_eq!(
            kinds,
            [
                Plain, Plain, Plain, Plain, Plain, Plain, Plain, Plain, Plain, Server, Channel,
                Channel, Role, Role, Plain
            ]
        );
    }

    #[test]
    fn nudges_read_off_or_their_days() {
        let before = board();
        let mut after = board();
        after.settings.nudge_after_days = Some(3);
        let on = changed_settings(&before, &after);
        assert_eq!(
            on,
            [("nudge after days", Some("off".into()), Some("3".into()))]
        );
        let off = changed_settings(&after, &before);
        assert_eq!(
            off,
            [("nudge after days", Some("3".into()), Some("off".into()))]
        );
    }
}
