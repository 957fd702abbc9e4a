//! The reminder as Discord messages: one embed per owner, pinging exactly the officers named.

use crate::digest::reminder::ReminderKind;
use crate::digest::Reminder;

use super::attachments::reminder_csv;
use super::escape::escape;
use super::lines::{days, fit, join_counted, short_date, AMBER, RED};
use super::message::{clamp, limits, Embed, File, Message};

/// The reminder as Discord messages: one embed per owner, each item naming its officer. Each
/// message pings exactly the officers named in it, and the admin role only in the message
/// that lists escalations.
pub fn reminder_messages(r: &Reminder, admin_role: Option<u64>) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    let mut current: Vec<(Embed, Vec<u64>, bool)> = Vec::new();
    let mut size = 0;
    let flush = |current: &mut Vec<(Embed, Vec<u64>, bool)>, messages: &mut Vec<Message>| {
        if current.is_empty() {
            return;
        }
        let mut users: Vec<u64> = current
            .iter()
            .flat_map(|(_, u, _)| u.iter().copied())
            .collect();
        users.sort_unstable();
        users.dedup();
        let escalates = current.iter().any(|(_, _, e)| *e);
        let roles: Vec<u64> = if escalates {
            admin_role.into_iter().collect()
        } else {
            Vec::new()
        };
        let mut content = if messages.is_empty() {
            format!(
                "**Reminder — {}**: {} overdue, {} due in the next {} days.",
                short_date(r.as_of),
                r.overdue.len(),
                r.due_soon.len(),
                r.remind_before_days
            )
        } else {
            "**Reminder (continued)**".to_string()
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
        messages.push(Message {
            content: fit(&content, limits::CONTENT),
            embeds: current.drain(..).map(|(e, _, _)| e).collect(),
            files: Vec::new(),
            ping_users: users,
            ping_roles: roles,
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
            lines.push(format!(
                "`{}` {} — {when}{officer}",
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
        let officers_now: usize = current.iter().map(|(_, u, _)| u.len()).sum();
        if !current.is_empty()
            && (size + embed.size() > limits::EMBEDS_TOTAL
                || current.len() == limits::EMBEDS_PER_MESSAGE
                || officers_now + shown_users.len() > max_officers_per_message)
        {
            flush(&mut current, &mut messages);
            size = 0;
        }
        size += embed.size();
        current.push((embed, shown_users, escalates));
    }
    flush(&mut current, &mut messages);
    if let Some(line) = crate::digest::render::secretariat_line(&r.for_secretariat) {
        let line = match admin_role {
            Some(role) => format!("<@&{role}> (secretariat): {line}"),
            None => format!("For the secretariat: {line}"),
        };
        match messages.first_mut() {
            Some(first) => {
                first.content = fit(&format!("{}\n{line}", first.content), limits::CONTENT);
            }
            None => messages.push(Message {
                content: fit(
                    &format!("**Reminder — {}**\n{line}", short_date(r.as_of)),
                    limits::CONTENT,
                ),
                embeds: Vec::new(),
                files: Vec::new(),
                ping_users: Vec::new(),
                ping_roles: Vec::new(),
            }),
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
    messages
}
