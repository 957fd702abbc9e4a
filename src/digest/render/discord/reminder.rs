//! The reminder as Discord messages: one embed per owner, pinging exactly the officers named.

use crate::digest::reminder::{ReminderItem, ReminderKind};
use crate::digest::render::text::visible;
use crate::digest::Reminder;

use super::attachments::reminder_csv;
use super::controls::{self, option_value, ControlId, PostPart, Row, SelectOption, Version};
use super::escape::escape;
use super::lines::{days, fit, join_counted, short_date, AMBER, RED};
use super::message::{clamp, limits, Embed, File, Message};

/// The reminder as Discord messages: one embed per owner, each item naming its officer. Each
/// message pings exactly the officers named in it, and the admin role only in the message
/// that lists escalations.
pub fn reminder_messages(r: &Reminder, admin_role: Option<u64>) -> Vec<Message> {
    reminder_parts(r, admin_role, &[]).0
}

/// One owner's embed in a reminder message: the officers it pings, whether it escalates, and
/// the items it shows.
type Part<'r> = (Embed, Vec<u64>, bool, Vec<&'r ReminderItem>);

/// The reminder's messages, and for each the items it shows (what its controls offer).
fn reminder_parts<'r>(
    r: &'r Reminder,
    admin_role: Option<u64>,
    quiet: &[u64],
) -> (Vec<Message>, Vec<Vec<&'r ReminderItem>>) {
    let mut messages: Vec<Message> = Vec::new();
    let mut shown_items: Vec<Vec<&'r ReminderItem>> = Vec::new();
    let mut current: Vec<Part<'r>> = Vec::new();
    let mut size = 0;
    let flush = |current: &mut Vec<Part<'r>>,
                 messages: &mut Vec<Message>,
                 shown_items: &mut Vec<Vec<&'r ReminderItem>>| {
        if current.is_empty() {
            return;
        }
        let mut users: Vec<u64> = current
            .iter()
            .flat_map(|(_, u, _, _)| u.iter().copied())
            .collect();
        users.sort_unstable();
        users.dedup();
        let escalates = current.iter().any(|(_, _, e, _)| *e);
        let roles: Vec<u64> = if escalates {
            admin_role.into_iter().collect()
        } else {
            Vec::new()
        };
        let mut content = match (messages.is_empty(), r.follow_up_of) {
            (true, None) => format!(
                "**Reminder — {}**: {} overdue, {} due in the next {} days.",
                short_date(r.as_of),
                r.overdue.len(),
                r.due_soon.len(),
                r.remind_before_days
            ),
            (true, Some(reminded)) => format!(
                "**Still outstanding — follow-up to the reminder of {}**: {} with no update \
                 since. Pick one below to update it, give it a new date or mark it done.",
                short_date(reminded),
                match r.overdue.len() + r.due_soon.len() {
                    1 => "1 action".to_string(),
                    n => format!("{n} actions"),
                },
            ),
            (false, None) => "**Reminder (continued)**".to_string(),
            (false, Some(_)) => "**Still outstanding (continued)**".to_string(),
        };
        if escalates {
            match admin_role {
                Some(role) => content.push_str(&format!(
                    "\n<@&{role}>: some actions are overdue by more than {} days.",
                    r.escalate_after_days
                )),
                None => content.push_str(&format!(
                    "\nSome actions are overdue by more than {} days (escalated).",
                    r.escalate_after_days
                )),
            }
        }
        let mentions: Vec<String> = users.iter().map(|u| format!("<@{u}>")).collect();
        if !mentions.is_empty() {
            content.push_str(&format!("\nOfficers: {}", mentions.join(" ")));
        }
        shown_items.push(
            current
                .iter()
                .flat_map(|(_, _, _, items)| items.iter().copied())
                .collect(),
        );
        messages.push(Message {
            content: fit(&content, limits::CONTENT),
            embeds: current.drain(..).map(|(e, _, _, _)| e).collect(),
            ping_users: users,
            ping_roles: roles,
            ..Default::default()
        });
    };
    // Mentions are ~22 characters each; keep each message's content well inside 2,000.
    let max_officers_per_message = 60;
    let mut truncated = false;
    for group in &r.by_owner {
        let mut lines = Vec::new();
        let mut escalates = false;
        for i in &group.items {
            let officer = match &i.officer {
                Some(id) => format!(" · <@{id}>"),
                None => " · no officer assigned".to_string(),
            };
            let when = match i.kind {
                ReminderKind::Overdue if i.escalate => {
                    escalates = true;
                    format!("**{} overdue — escalated**", days(i.days_overdue))
                }
                ReminderKind::Overdue => format!("**{} overdue**", days(i.days_overdue)),
                ReminderKind::DueSoon => format!("due {}", short_date(i.due)),
            };
            let moved = i
                .moved
                .map(|m| format!(" · {}", m.phrase()))
                .unwrap_or_default();
            lines.push(format!(
                "`{}` {} — {when}{moved}{officer}",
                i.reference,
                escape(&fit(&i.title, 70))
            ));
        }
        let (text, shown) = join_counted(&lines, limits::EMBED_DESCRIPTION);
        truncated |= shown < lines.len();
        // Only ping officers whose line is actually shown.
        let shown_users: Vec<u64> = group.items[..shown]
            .iter()
            .filter_map(|i| i.officer.as_deref().and_then(|o| o.parse().ok()))
            // Officers who get theirs by DM are not pinged here; their lines still show.
            .filter(|o| !quiet.contains(o))
            .collect();
        let overdue = group
            .items
            .iter()
            .filter(|i| i.kind == ReminderKind::Overdue)
            .count();
        let embed = clamp(Embed {
            title: fit(
                &format!(
                    "{} — {} overdue, {} due soon",
                    escape(&group.owner),
                    overdue,
                    group.items.len() - overdue
                ),
                limits::EMBED_TITLE,
            ),
            description: text,
            colour: if overdue > 0 { RED } else { AMBER },
            ..Default::default()
        });
        let officers_now: usize = current.iter().map(|(_, u, _, _)| u.len()).sum();
        if !current.is_empty()
            && (size + embed.size() > limits::EMBEDS_TOTAL
                || current.len() == limits::EMBEDS_PER_MESSAGE
                || officers_now + shown_users.len() > max_officers_per_message)
        {
            flush(&mut current, &mut messages, &mut shown_items);
            size = 0;
        }
        size += embed.size();
        current.push((
            embed,
            shown_users,
            escalates,
            group.items[..shown].iter().collect(),
        ));
    }
    flush(&mut current, &mut messages, &mut shown_items);
    if let Some(line) = crate::digest::render::secretariat_line(&r.for_secretariat) {
        let line = match admin_role {
            Some(role) => format!("<@&{role}> (secretariat): {line}"),
            None => format!("For the secretariat: {line}"),
        };
        match messages.first_mut() {
            Some(first) => {
                first.content = fit(&format!("{}\n{line}", first.content), limits::CONTENT);
            }
            None => {
                shown_items.push(Vec::new());
                messages.push(Message {
                    content: fit(
                        &format!("**Reminder — {}**\n{line}", short_date(r.as_of)),
                        limits::CONTENT,
                    ),
                    ..Default::default()
                })
            }
        }
        if let (Some(role), Some(first)) = (admin_role, messages.first_mut()) {
            if !first.ping_roles.contains(&role) {
                first.ping_roles.push(role);
            }
        }
    }
    // The admin role is pinged once, in the first message with escalations; later messages
    // still say escalations are there, without pinging again.
    let mut role_pinged = false;
    for m in &mut messages {
        if m.ping_roles.is_empty() {
            continue;
        }
        if role_pinged {
            m.ping_roles.clear();
            if let Some(role) = admin_role {
                m.content = m.content.replace(&format!("<@&{role}>: some"), "Some");
            }
        }
        role_pinged = true;
    }
    if truncated {
        // Some owner's list was cut: attach every item so nothing is lost.
        if let Some(first) = messages.first_mut() {
            first.files.push(File {
                name: "reminder.csv".into(),
                bytes: reminder_csv(r),
            });
        }
    }
    (messages, shown_items)
}

/// The reminder as Discord messages with controls: under each message, select menus of the
/// actions it shows, for the assigned officer (or the secretariat) to act on in two clicks.
///
/// Discord allows 25 options per menu and 5 rows per message, so a message's actions are
/// offered 25 to a menu, in the order they are listed (most overdue first), in up to 5 menus:
/// 125 actions, more than a message's 6,000 characters of embeds can list. Should a message
/// list more, the last menu's placeholder says how many are left for `/update`. The controls
/// start pointing at no post; the sender points them at the post and message they go out as
/// ([`Message::for_post`]). The officers in `quiet` (who get theirs by DM) are not pinged.
pub fn reminder_messages_with_controls(
    r: &Reminder,
    admin_role: Option<u64>,
    board_id: i64,
    quiet: &[u64],
) -> Vec<Message> {
    let (mut messages, shown) = reminder_parts(r, admin_role, quiet);
    for (message, items) in messages.iter_mut().zip(shown) {
        message.components = pick_rows(&items, board_id);
    }
    messages
}

/// The select menus for one message's items.
fn pick_rows(items: &[&ReminderItem], board_id: i64) -> Vec<Row> {
    let per = controls::limits::OPTIONS_PER_SELECT;
    let chunks: Vec<&[&ReminderItem]> = items.chunks(per).collect();
    let menus = chunks.len().min(controls::limits::ROWS_PER_MESSAGE);
    let left_out = items.len().saturating_sub(menus * per);
    chunks
        .iter()
        .take(menus)
        .enumerate()
        .map(|(n, chunk)| {
            let first = n * per + 1;
            let mut placeholder = if items.len() <= per {
                "Act on one of these actions…".to_string()
            } else {
                format!(
                    "Act on an action ({first}–{} of {})…",
                    first + chunk.len() - 1,
                    items.len()
                )
            };
            if n + 1 == menus && left_out > 0 {
                placeholder.push_str(&format!(" {left_out} more: use /update"));
            }
            Row::Select {
                id: ControlId::Pick {
                    board: board_id,
                    on: PostPart::default(),
                    n: u8::try_from(n).unwrap_or(u8::MAX),
                },
                placeholder: fit(&placeholder, controls::limits::PLACEHOLDER),
                options: chunk.iter().map(|i| pick_option(i)).collect(),
            }
        })
        .collect()
}

/// One action as a select option: "ACT-001 — Title", "Owner · 19 days overdue". Option text
/// is shown as typed (no Markdown, no mentions), so only invisible characters are taken out.
fn pick_option(i: &ReminderItem) -> SelectOption {
    let when = match i.kind {
        ReminderKind::Overdue => format!("{} overdue", days(i.days_overdue)),
        ReminderKind::DueSoon => format!("due {}", short_date(i.due)),
    };
    let officer = i.officer.as_deref().and_then(|o| o.parse().ok());
    SelectOption {
        label: fit(
            &format!("{} — {}", i.reference, visible(&i.title)),
            controls::limits::OPTION_LABEL,
        ),
        value: option_value(Version::of(officer, i.due), &i.reference),
        description: Some(fit(
            &format!("{} · {when}", visible(&i.owner)),
            controls::limits::OPTION_DESCRIPTION,
        )),
    }
}

/// Where a line's "updated by" note starts.
const UPDATED_MARK: &str = " · ✎ ";

/// Edit a posted reminder message for an update made from it: the line for `reference` gets
/// "✎ `what`, updated by <@user> at `at`" (replacing an earlier such note, so the line says
/// the latest), and its select option the action's new `version`, so the next click on it is
/// current. Everything else stays as posted: the message remains a truthful record of what
/// was overdue that day. Returns false if the message lists no such line.
pub fn mark_updated(
    message: &mut Message,
    reference: &str,
    what: &str,
    user: u64,
    at: &str,
    version: Version,
) -> bool {
    let start = format!("`{reference}` ");
    let note = format!("{UPDATED_MARK}{what}, updated by <@{user}> at {at}");
    let mut found = false;
    for embed in &mut message.embeds {
        let lines: Vec<String> = embed
            .description
            .split('\n')
            .map(|line| {
                if !line.starts_with(&start) {
                    return line.to_string();
                }
                found = true;
                let kept = line.split(UPDATED_MARK).next().unwrap_or(line);
                format!("{kept}{note}")
            })
            .collect();
        embed.description = lines.join("\n");
        if embed.description.chars().count() > limits::EMBED_DESCRIPTION {
            // The note is what changed; the title is what gives.
            embed.description = fit(&embed.description, limits::EMBED_DESCRIPTION);
        }
    }
    for row in &mut message.components {
        if let Row::Select { options, .. } = row {
            for option in options {
                let ours = controls::parse_option_value(&option.value)
                    .is_some_and(|(_, r)| r == reference);
                if ours {
                    option.value = option_value(version, reference);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::render::discord::controls::parse_option_value;
    use chrono::NaiveDate;

    fn item(n: usize) -> ReminderItem {
        ReminderItem {
            reference: format!("A-{n:03}"),
            title: format!("Title {n} \u{202E}reversed"),
            owner: "Owner".into(),
            officer: Some("200000000000000001".into()),
            due: NaiveDate::from_ymd_opt(2010, 9, 1).unwrap(),
            days_overdue: 19,
            kind: ReminderKind::Overdue,
            escalate: false,
            moved: None,
        }
    }

    fn menus(rows: &[Row]) -> Vec<(String, Vec<SelectOption>, ControlId)> {
        rows.iter()
            .map(|r| match r {
                Row::Select {
                    id,
                    placeholder,
                    options,
                } => (placeholder.clone(), options.clone(), id.clone()),
                Row::Buttons(_) => panic!("a reminder carries menus only"),
            })
            .collect()
    }

    #[test]
    fn actions_are_offered_25_to_a_menu_in_up_to_five_menus_saying_which() {
        let few: Vec<ReminderItem> = (1..=3).map(item).collect();
        let shown: Vec<&ReminderItem> = few.iter().collect();
        let one = menus(&pick_rows(&shown, 7));
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].0, "Act on one of these actions…");
        assert_eq!(
            one[0].1[0].label, "A-001 — Title 1 reversed",
            "no bidi controls"
        );
        assert_eq!(
            parse_option_value(&one[0].1[0].value).unwrap().1,
            "A-001".to_string()
        );

        let thirty: Vec<ReminderItem> = (1..=30).map(item).collect();
        let shown: Vec<&ReminderItem> = thirty.iter().collect();
        let two = menus(&pick_rows(&shown, 7));
        assert_eq!(
            two.iter()
                .map(|m| (m.0.as_str(), m.1.len()))
                .collect::<Vec<_>>(),
            [
                ("Act on an action (1–25 of 30)…", 25),
                ("Act on an action (26–30 of 30)…", 5)
            ]
        );
        assert_ne!(two[0].2, two[1].2, "each menu's id differs");

        let many: Vec<ReminderItem> = (1..=130).map(item).collect();
        let shown: Vec<&ReminderItem> = many.iter().collect();
        let five = menus(&pick_rows(&shown, 7));
        assert_eq!(five.len(), controls::limits::ROWS_PER_MESSAGE);
        assert!(five.iter().all(|m| m.1.len() == 25));
        assert_eq!(
            five[4].0,
            "Act on an action (101–125 of 130)… 5 more: use /update"
        );
    }

    #[test]
    fn an_update_marks_its_own_line_replaces_an_earlier_note_and_moves_its_version() {
        let items: Vec<ReminderItem> = (1..=2).map(item).collect();
        let shown: Vec<&ReminderItem> = items.iter().collect();
        let mut message = Message {
            embeds: vec![Embed {
                description:
                    "`A-001` Title — **19 days overdue**\n`A-002` Title — **19 days overdue**"
                        .into(),
                ..Default::default()
            }],
            components: pick_rows(&shown, 7),
            ..Default::default()
        };
        let new = Version::of(Some(5), NaiveDate::from_ymd_opt(2010, 12, 1).unwrap());
        assert!(mark_updated(
            &mut message,
            "A-001",
            "now at risk",
            9,
            "20 Sep 2010 11:00 BST",
            new
        ));
        assert!(mark_updated(
            &mut message,
            "A-001",
            "now done",
            9,
            "21 Sep 2010 09:00 BST",
            new
        ));
        assert_eq!(
            message.embeds[0].description,
            "`A-001` Title — **19 days overdue** · ✎ now done, updated by <@9> at 21 Sep 2010 09:00 BST\n`A-002` Title — **19 days overdue**"
        );
        let values: Vec<(Version, String)> = menus(&message.components)[0]
            .1
            .iter()
            .map(|o| parse_option_value(&o.value).unwrap())
            .collect();
        assert_eq!(values[0], (new, "A-001".to_string()));
        assert_ne!(values[1].0, new, "the other action keeps its version");
        assert!(!mark_updated(&mut message, "A-999", "x", 9, "t", new));
    }
}
