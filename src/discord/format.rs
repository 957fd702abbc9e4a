//! How records look in Discord. User text is escaped so it cannot ping anyone or break the
//! message's formatting, and every message stays inside Discord's documented limits.

use chrono::NaiveDate;
use poise::serenity_prelude as serenity;
use serenity::{CreateAllowedMentions, CreateAttachment, CreateEmbed, CreateEmbedFooter};

use crate::domain::settings_history::{setting_kind, SettingKind};
use crate::domain::{
    Action, ActionStatus, Rag, Recommendation, SettingChange, StatusUpdate, TimeZone,
};

pub use crate::digest::render::discord::{
    action_status_line, due_phrase, escape, fit, join_within, limits, short_date, short_local_time,
};

/// Mentions that ping nobody: set on every message that carries user text.
pub fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false)
}

/// Embed colour for an action: its RAG rating, red when overdue, grey when closed or unrated.
pub fn colour(action: &Action, today: NaiveDate) -> u32 {
    if action.is_overdue(today) {
        return 0xC62828;
    }
    match action.status.rag() {
        Some(Rag::Green) => 0x2E7D32,
        Some(Rag::Amber) => 0xF9A825,
        Some(Rag::Red) => 0xC62828,
        None if action.status == ActionStatus::Done => 0x1565C0,
        None => 0x757575,
    }
}

/// A whole action as an embed.
pub fn action_embed(action: &Action, today: NaiveDate) -> CreateEmbed {
    let mut embed = CreateEmbed::new()
        .title(fit(
            &format!("{} — {}", action.reference, escape(&action.title)),
            limits::EMBED_TITLE,
        ))
        .colour(colour(action, today))
        .field("Status", action.status_label(), true)
        .field("Due", due_phrase(action, today), true)
        .field(
            "Owner",
            fit(&escape(&action.owner), limits::FIELD_VALUE),
            true,
        );
    if let Some(borough) = &action.borough {
        embed = embed.field("Borough", fit(&escape(borough), limits::FIELD_VALUE), true);
    }
    if let Some(officer) = action.officer {
        // A mention renders the name; allowed-mentions on the message keep it from pinging.
        embed = embed.field("Officer", format!("<@{officer}>"), true);
    }
    if let Some(rec) = &action.recommendation {
        embed = embed.field("Recommendation", rec.to_string(), true);
    }
    if let Some(done) = action.completed_on {
        embed = embed.field("Completed", short_date(done), true);
    }
    embed
}

/// A whole recommendation as an embed.
pub fn recommendation_embed(
    rec: &Recommendation,
    actions: &[Action],
    today: NaiveDate,
) -> CreateEmbed {
    let mut embed = CreateEmbed::new()
        .title(fit(
            &format!("{} — {}", rec.reference, escape(&rec.title)),
            limits::EMBED_TITLE,
        ))
        .colour(if rec.status.is_closed() {
            0x1565C0
        } else {
            0x6A1B9A
        })
        .field("Status", rec.status.label(), true)
        .field("Response", rec.response.label(), true)
        .field("Priority", if rec.priority.0 { "yes" } else { "no" }, true);
    if let Some(text) = &rec.text {
        embed = embed.description(fit(&escape(text), 1500));
    }
    if let Some(owner) = &rec.owner {
        embed = embed.field(
            "Accountable",
            fit(&escape(owner), limits::FIELD_VALUE),
            true,
        );
    }
    if let Some(theme) = &rec.theme {
        embed = embed.field("Theme", fit(&escape(theme), limits::FIELD_VALUE), true);
    }
    if let Some(source) = &rec.source {
        let published = source
            .published_on
            .map(|d| format!(" ({})", short_date(d)))
            .unwrap_or_default();
        embed = embed.field(
            "Source",
            fit(
                &format!("{}{published}", escape(&source.title)),
                limits::FIELD_VALUE,
            ),
            false,
        );
    }
    if !actions.is_empty() {
        let open = actions.iter().filter(|a| !a.status.is_closed()).count();
        let overdue = actions.iter().filter(|a| a.is_overdue(today)).count();
        let lines: Vec<String> = actions
            .iter()
            .map(|a| action_status_line(a, today))
            .collect();
        let value = join_within(&lines, limits::FIELD_VALUE);
        embed = embed.field(
            format!(
                "Actions: {} ({open} open, {overdue} overdue)",
                actions.len()
            ),
            value,
            false,
        );
    }
    embed
}

/// One history entry as a line, its time in the board's zone:
/// "2 Sep 2010 10:15 BST · officer · status on track → done — note".
pub fn history_line(update: &StatusUpdate, tz: &TimeZone) -> String {
    let change = match (&update.old_value, &update.new_value) {
        (Some(old), Some(new)) => format!(
            "{} {} → {}",
            update.change.as_str(),
            escape(old),
            escape(new)
        ),
        (None, Some(new)) => format!("{} {}", update.change.as_str(), escape(new)),
        (Some(old), None) => format!("{} {} → (none)", update.change.as_str(), escape(old)),
        (None, None) => update.change.as_str().to_string(),
    };
    let by = if let Some(id) = update.by.strip_prefix("discord:") {
        format!("<@{id}>")
    } else {
        escape(&update.by)
    };
    let mut line = format!("{} · {by} · {change}", short_local_time(tz, update.at));
    if let Some(note) = &update.note {
        line.push_str(&format!(" — {}", escape(&fit(note, 300))));
    }
    if let Some(evidence) = &update.evidence {
        line.push_str(&format!(" (evidence: {})", escape(&fit(evidence, 200))));
    }
    line
}

/// One settings-history entry as a line, its time in the board's zone:
/// "2 Sep 2010 14:05 BST · @secretary · digest channel #old → #new".
pub fn setting_line(change: &SettingChange, zone: TimeZone) -> String {
    let kind = setting_kind(&change.setting);
    let value = |v: &Option<String>| match (v, kind) {
        (None, _) => "(none)".to_string(),
        (Some(id), SettingKind::Channel) => format!("<#{id}>"),
        (Some(id), SettingKind::Role) => format!("<@&{id}>"),
        (Some(v), _) => escape(v),
    };
    let by = match change.by.strip_prefix("discord:") {
        Some(id) => format!("<@{id}>"),
        None => escape(&change.by),
    };
    let when = change
        .at
        .with_timezone(&zone.0)
        .format("%-d %b %Y %H:%M %Z");
    format!(
        "{when} · {by} · {} {} → {}",
        escape(&change.setting),
        value(&change.old_value),
        value(&change.new_value)
    )
}

/// A list reply: an embed with as many lines as fit and "…and N more" for the rest of `total`.
/// With `full_list`, the whole list is attached as a file; without it, the footer says how to
/// get it (`how_to_get_all`) — the list is never cut short silently.
pub fn list_reply(
    title: &str,
    lines: &[String],
    total: usize,
    empty: &str,
    full_list: Option<(String, Vec<u8>)>,
    how_to_get_all: &str,
) -> poise::CreateReply {
    let mut reply = poise::CreateReply::default()
        .ephemeral(true)
        .allowed_mentions(no_pings());
    if lines.is_empty() {
        return reply.content(empty.to_string());
    }
    let tail_room = 32;
    let (mut description, shown) =
        crate::digest::render::discord::join_counted(lines, limits::EMBED_DESCRIPTION - tail_room);
    if shown == lines.len() && shown < total {
        description.push_str(&format!("\n…and {} more", total - shown));
    } else if shown < lines.len() && lines.len() < total {
        // join_counted counted only the lines it was given; say how many there are in all.
        let cut = description.rfind("\n…and ").unwrap_or(description.len());
        description.truncate(cut);
        description.push_str(&format!("\n…and {} more", total - shown));
    }
    let mut embed = CreateEmbed::new()
        .title(fit(title, limits::EMBED_TITLE))
        .description(description);
    if shown < total {
        match full_list {
            Some((name, bytes)) => {
                embed = embed.footer(CreateEmbedFooter::new(format!(
                    "Showing {shown} of {total}; the full list is attached as {name}."
                )));
                reply = reply.attachment(CreateAttachment::bytes(bytes, name));
            }
            None => {
                embed = embed.footer(CreateEmbedFooter::new(format!(
                    "Showing {shown} of {total}. {how_to_get_all}"
                )));
            }
        }
    }
    reply.embed(embed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OfficerId, Ref};

    #[test]
    fn an_actions_title_is_escaped_in_its_embed() {
        let action = Action {
            reference: Ref::parse("ACT-001").unwrap(),
            recommendation: None,
            title: "**now** @everyone ||x||".into(),
            owner: "- owner".into(),
            borough: None,
            officer: Some(OfficerId::new(200_000_000_000_000_001)),
            due: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            status: ActionStatus::OnTrack,
            completed_on: None,
            awaiting_sign_off: false,
        };
        let embed = serde_json::to_value(action_embed(&action, action.due)).unwrap();
        assert_eq!(
            embed["title"],
            "ACT-001 — \\*\\*now\\*\\* @\u{200B}everyone \\|\\|x\\|\\|"
        );
        assert_eq!(embed["fields"][2]["value"], "\\- owner");
    }
}
