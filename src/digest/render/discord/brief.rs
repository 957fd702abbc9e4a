//! The pre-meeting brief as a Discord message.

use crate::digest::MeetingBrief;

use super::escape::escape;
use super::lines::{action_status_line, fit, join_within, short_date, PURPLE};
use super::message::{clamp, limits, Embed, Message};

/// The brief as a message: one field per presenting borough. Pings nobody. The boroughs share
/// the message's 6,000 characters, so however many present and however long their names, it
/// is one message Discord accepts; boroughs beyond Discord's 25 fields are named but not
/// detailed.
pub fn brief_message(brief: &MeetingBrief) -> Message {
    let boroughs = &brief.meeting.boroughs;
    let detailed = brief.boroughs.len().min(limits::EMBED_FIELDS);
    let not_detailed = match brief.boroughs.len() - detailed {
        0 => String::new(),
        n => format!(" ({n} more boroughs present; see /meeting brief for each)"),
    };
    let mut embed = Embed {
        title: fit(
            &format!(
                "{} — {}",
                escape(&brief.meeting.title),
                short_date(brief.meeting.held_on)
            ),
            limits::EMBED_TITLE,
        ),
        description: format!(
            "Presenting: {}. Action plans as of {}; \"done\" counts since {}.{not_detailed}",
            fit(&escape(&boroughs.join(" and ")), BRIEF_PRESENTING),
            short_date(brief.as_of),
            short_date(brief.since)
        ),
        colour: PURPLE,
        ..Default::default()
    };
    let room = limits::EMBEDS_TOTAL - embed.size();
    let per_field = room / detailed.max(1);
    let name_max = limits::FIELD_NAME.min(per_field / 4);
    for b in brief.boroughs.iter().take(detailed) {
        let mut lines: Vec<String> = b
            .overdue
            .iter()
            .map(|a| format!("⚠ {}", action_status_line(a, brief.as_of)))
            .collect();
        lines.extend(
            b.done_since_last_meeting
                .iter()
                .map(|a| format!("✓ {}", action_status_line(a, brief.as_of))),
        );
        if lines.is_empty() {
            lines.push("Nothing overdue; nothing completed since the last meeting.".into());
        }
        let name = format!(
            "{} — {} open, {} overdue, {} done",
            fit(&escape(&b.borough), name_max.saturating_sub(40).max(8)),
            b.open.len(),
            b.overdue.len(),
            b.done_since_last_meeting.len()
        );
        let name = fit(&name, name_max);
        let value_max = limits::FIELD_VALUE.min(per_field - name.chars().count());
        embed
            .fields
            .push((name, join_within(&lines, value_max), false));
    }
    Message {
        content: format!(
            "**Pre-meeting brief — {}**",
            short_date(brief.meeting.held_on)
        ),
        embeds: vec![clamp(embed)],
        ..Default::default()
    }
}

/// Room for the list of presenting boroughs in the brief's description.
const BRIEF_PRESENTING: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::Action;
    use chrono::NaiveDate;

    #[test]
    fn a_brief_of_many_long_boroughs_is_one_message_within_limits() {
        use crate::domain::{ActionStatus, Meeting, OfficerId, Ref};
        let borough = "B".repeat(100);
        let action = |i: usize| Action {
            reference: Ref::parse(&format!("A-{i:03}")).unwrap(),
            recommendation: None,
            title: "T".repeat(200),
            owner: "O".repeat(100),
            borough: Some(borough.clone()),
            officer: Some(OfficerId::new(200_000_000_000_000_001)),
            due: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            status: ActionStatus::OffTrack,
            completed_on: None,
            awaiting_sign_off: false,
        };
        for boroughs in [1, 2, 30] {
            let brief = MeetingBrief {
                meeting: Meeting {
                    held_on: NaiveDate::from_ymd_opt(2026, 10, 14).unwrap(),
                    title: "M".repeat(200),
                    boroughs: vec![borough.clone(); boroughs],
                },
                as_of: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                since: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
                boroughs: (0..boroughs)
                    .map(|_| crate::digest::BoroughBrief {
                        borough: borough.clone(),
                        open: (0..10).map(action).collect(),
                        overdue: (0..10).map(action).collect(),
                        done_since_last_meeting: Vec::new(),
                    })
                    .collect(),
            };
            let m = brief_message(&brief);
            let e = &m.embeds[0];
            assert!(e.size() <= limits::EMBEDS_TOTAL, "{boroughs}: {}", e.size());
            assert_eq!(e.fields.len(), boroughs.min(limits::EMBED_FIELDS));
            assert!(e
                .fields
                .iter()
                .all(|(n, v, _)| !n.is_empty() && !v.is_empty()));
            assert_eq!(boroughs > 25, e.description.contains("5 more boroughs"));
        }
    }
}
