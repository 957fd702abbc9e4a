//! The quarterly digest as Discord messages.

use crate::digest::build::{ActionLine, GroupRow};
use crate::digest::render::text::visible;
use crate::digest::since_last::SinceLastDigest;
use crate::digest::Digest;

use super::attachments::{csv_of, list_part, slips_csv, table_csv};
use super::controls::{Button, ButtonStyle, ControlId, Row};
use super::escape::escape;
use super::lines::{
    action_line, fit, join_counted, join_within, short_date, AMBER, BLUE, GREEN, PURPLE, RED,
};
use super::message::{limits, pack, Embed, File, Message};

fn table(rows: &[GroupRow], heading: &str) -> Vec<String> {
    // Inside a code block Markdown is inert, but a backtick would end the block early, and
    // bidi controls would still reorder the columns.
    let names: Vec<String> = rows
        .iter()
        .map(|r| fit(&visible(&r.name).replace('`', "'"), 28))
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(5)
        .max(heading.len());
    let mut lines = vec![format!("{heading:<width$}  open  overdue  done")];
    for (r, name) in rows.iter().zip(&names) {
        lines.push(format!(
            "{name:<width$}  {:>4}  {:>7}  {:>4}",
            r.open, r.overdue, r.done
        ));
    }
    lines
}

/// A table as a code-block field, with the rest attached.
fn table_field(
    rows: &[GroupRow],
    heading: &str,
    file: &str,
    files: &mut Vec<File>,
) -> (String, String, bool) {
    let lines = table(rows, heading);
    // Room inside the field for the code fences and the "…and N more" line.
    let (body, shown) = join_counted(&lines, limits::FIELD_VALUE - 8);
    let value = if shown < lines.len() {
        let body_only: String = body
            .lines()
            .filter(|l| !l.starts_with("…and "))
            .collect::<Vec<_>>()
            .join("\n");
        files.push(File {
            name: file.to_string(),
            bytes: table_csv(rows, heading),
        });
        format!(
            "```\n{body_only}\n```…and {} more in {file}",
            lines.len() - shown
        )
    } else {
        format!("```\n{body}\n```")
    };
    (
        format!("By {heading}"),
        fit(&value, limits::FIELD_VALUE),
        false,
    )
}

/// The digest as Discord messages, in reading order: headlines (with the chart), what
/// changed, the overdue list, what is due next, and the tables. Pings nobody.
pub fn digest_messages(d: &Digest, chart_png: Option<Vec<u8>>) -> Vec<Message> {
    let mut embeds: Vec<(Embed, Vec<File>)> = Vec::new();
    let t = &d.totals;

    // 0. What changed since the last digest, first: what a member who read that one needs.
    if let Some(since) = &d.since_last_digest {
        embeds.push((since_last_embed(since), Vec::new()));
    }

    // 1. Headlines.
    let mut headline = Embed {
        title: fit(
            &format!(
                "{} — VAW briefing {}",
                escape(&d.board_name),
                d.period.label
            ),
            limits::EMBED_TITLE,
        ),
        description: format!(
            "{} to {}, as of {}.{}",
            short_date(d.period.start),
            short_date(d.period.end),
            short_date(d.as_of),
            if crate::digest::render::is_empty(d) {
                format!("\n{}", crate::digest::render::NO_RECORDS_YET)
            } else {
                String::new()
            }
        ),
        colour: if t.overdue > 0 { RED } else { GREEN },
        ..Default::default()
    };
    headline.fields.push((
        "Actions".into(),
        format!("{} in all, {} open", t.actions, t.open),
        true,
    ));
    headline
        .fields
        .push(("Overdue".into(), t.overdue.to_string(), true));
    let undated = match t.completed_date_not_recorded {
        0 => String::new(),
        n => format!(" (+{n} done, date not recorded)"),
    };
    headline.fields.push((
        "Completed this quarter".into(),
        format!("{}{undated}", t.completed_in_period),
        true,
    ));
    headline.fields.push((
        "Slipped this quarter".into(),
        t.slipped_in_period.to_string(),
        true,
    ));
    headline.fields.push((
        "RAG (open actions)".into(),
        format!(
            "🟢 {} on track · 🟠 {} at risk · 🔴 {} off track · ⚪ {} not started",
            t.by_rag.green, t.by_rag.amber, t.by_rag.red, t.by_rag.not_rated
        ),
        false,
    ));
    let recs = &d.recommendations;
    headline.fields.push((
        "Recommendations".into(),
        format!(
            "{} in all — {} · responses: {}",
            recs.total,
            recs.by_status
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| format!("{n} {}", s.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", "),
            recs.by_response
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| format!("{n} {}", s.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        ) + &crate::digest::render::implementation_rate(recs)
            .map(|rate| format!("\n**{rate}**"))
            .unwrap_or_default(),
        false,
    ));
    if !d.responses_overdue.is_empty() {
        let lines: Vec<String> = d
            .responses_overdue
            .iter()
            .map(|r| {
                format!(
                    "`{}` {} — due {}, {} days overdue",
                    r.reference,
                    escape(&fit(&r.title, 80)),
                    short_date(r.response_due),
                    r.days_overdue
                )
            })
            .collect();
        headline.fields.push((
            format!("Responses overdue ({})", lines.len()),
            join_within(&lines, limits::FIELD_VALUE),
            false,
        ));
    }
    if !d.awaiting_sign_off.is_empty() {
        let lines: Vec<String> = d
            .awaiting_sign_off
            .iter()
            .map(|a| {
                format!(
                    "`{}` {} — {}{}",
                    a.reference,
                    escape(&fit(&a.title, 80)),
                    escape(&fit(&a.owner, 50)),
                    a.done_on
                        .map(|d| format!(" (done {})", short_date(d)))
                        .unwrap_or_default()
                )
            })
            .collect();
        headline.fields.push((
            format!("Done, awaiting sign-off ({})", lines.len()),
            join_within(&lines, limits::FIELD_VALUE),
            false,
        ));
    }
    if !recs.priority_open.is_empty() {
        let lines: Vec<String> = recs
            .priority_open
            .iter()
            .map(|r| format!("`{}` {}", r.reference, escape(&fit(&r.title, 90))))
            .collect();
        headline.fields.push((
            "Priority recommendations still open".into(),
            join_within(&lines, limits::FIELD_VALUE),
            false,
        ));
    }
    let mut headline_files = Vec::new();
    if let Some(png) = chart_png {
        headline.image = Some("attachment://actions-chart.png".into());
        headline_files.push(File {
            name: "actions-chart.png".into(),
            bytes: png,
        });
    }
    embeds.push((headline, headline_files));

    // 2. What changed.
    let c = &d.changes;
    let mut changed = Embed {
        title: format!("What changed in {}", d.period.label),
        colour: BLUE,
        ..Default::default()
    };
    let mut changed_files = Vec::new();
    let section =
        |name: String, lines: Vec<String>, file: &str, full: Vec<u8>, files: &mut Vec<File>| {
            if lines.is_empty() {
                return None;
            }
            let part = list_part(&lines, limits::FIELD_VALUE, file, || full);
            files.extend(part.attachment);
            Some((name, part.text, false))
        };
    // A done action, with its completion date when one is recorded.
    let done_line = |a: &ActionLine| {
        format!(
            "`{}` {} — {}{}",
            a.reference,
            escape(&fit(&a.title, 80)),
            escape(&fit(&a.owner, 50)),
            a.completed_on
                .map(|d| format!(" · {}", short_date(d)))
                .unwrap_or_default()
        )
    };
    let completed: Vec<String> = c.completed.iter().map(done_line).collect();
    changed.fields.extend(section(
        format!("Completed ({})", c.completed.len()),
        completed,
        "completed.csv",
        csv_of(&c.completed),
        &mut changed_files,
    ));
    let undated: Vec<String> = d
        .completed_date_not_recorded
        .iter()
        .map(done_line)
        .collect();
    changed.fields.extend(section(
        format!(
            "Completed, date not recorded ({})",
            d.completed_date_not_recorded.len()
        ),
        undated,
        "completed-date-not-recorded.csv",
        csv_of(&d.completed_date_not_recorded),
        &mut changed_files,
    ));
    let newly: Vec<String> = c.newly_overdue.iter().map(action_line).collect();
    changed.fields.extend(section(
        format!("Newly overdue ({})", c.newly_overdue.len()),
        newly,
        "newly-overdue.csv",
        csv_of(&c.newly_overdue),
        &mut changed_files,
    ));
    let slips: Vec<String> = c
        .slipped
        .iter()
        .map(|s| {
            format!(
                "`{}` {} — {} → {}{}",
                s.reference,
                escape(&fit(&s.title, 60)),
                short_date(s.from),
                short_date(s.to),
                s.reason
                    .as_deref()
                    .map(|r| format!(" — {}", escape(&fit(r, 120))))
                    .unwrap_or_default()
            )
        })
        .collect();
    changed.fields.extend(section(
        format!("Slipped ({})", c.slipped.len()),
        slips,
        "slipped.csv",
        slips_csv(&c.slipped),
        &mut changed_files,
    ));
    let rec_line = |r: &crate::digest::build::RecommendationLine| {
        format!(
            "`{}` {} — {}",
            r.reference,
            escape(&fit(&r.title, 90)),
            r.status.label()
        )
    };
    let opened: Vec<String> = c.recommendations_opened.iter().map(rec_line).collect();
    changed.fields.extend(section(
        format!("Recommendations opened ({})", opened.len()),
        opened,
        "recommendations-opened.txt",
        c.recommendations_opened
            .iter()
            .map(|r| format!("{} {}\n", r.reference, r.title))
            .collect::<String>()
            .into_bytes(),
        &mut changed_files,
    ));
    let closed: Vec<String> = c.recommendations_closed.iter().map(rec_line).collect();
    changed.fields.extend(section(
        format!("Recommendations closed ({})", closed.len()),
        closed,
        "recommendations-closed.txt",
        c.recommendations_closed
            .iter()
            .map(|r| format!("{} {}\n", r.reference, r.title))
            .collect::<String>()
            .into_bytes(),
        &mut changed_files,
    ));
    if changed.fields.is_empty() {
        changed.description =
            "Nothing was completed, slipped or became overdue this quarter.".into();
    }
    embeds.push((changed, changed_files));

    // The board's monitoring figures, when it has indicators.
    if let Some(section) = super::monitoring::monitoring_embed(&d.monitoring) {
        embeds.push(section);
    }

    // 3. Overdue, most overdue first.
    let overdue_lines: Vec<String> = d.overdue.iter().map(action_line).collect();
    let mut overdue_files = Vec::new();
    let part = list_part(
        &overdue_lines,
        limits::EMBED_DESCRIPTION,
        "overdue.csv",
        || csv_of(&d.overdue),
    );
    let mut overdue = Embed {
        title: format!("Overdue actions ({})", d.overdue.len()),
        description: if d.overdue.is_empty() {
            "Nothing is overdue.".into()
        } else {
            part.text
        },
        colour: RED,
        ..Default::default()
    };
    if let Some(file) = part.attachment {
        overdue.footer = Some(format!(
            "The full list of {} is attached as {}.",
            d.overdue.len(),
            file.name
        ));
        overdue_files.push(file);
    }
    embeds.push((overdue, overdue_files));

    // 4. Due next quarter.
    let next_lines: Vec<String> = d.due_next_period.iter().map(action_line).collect();
    let mut next_files = Vec::new();
    let part = list_part(
        &next_lines,
        limits::EMBED_DESCRIPTION,
        "due-next-quarter.csv",
        || csv_of(&d.due_next_period),
    );
    let mut next = Embed {
        title: format!(
            "Due in {} ({})",
            d.next_period.label,
            d.due_next_period.len()
        ),
        description: if d.due_next_period.is_empty() {
            "Nothing is due next quarter.".into()
        } else {
            part.text
        },
        colour: AMBER,
        ..Default::default()
    };
    if let Some(file) = part.attachment {
        next.footer = Some(format!(
            "The full list of {} is attached as {}.",
            d.due_next_period.len(),
            file.name
        ));
        next_files.push(file);
    }
    embeds.push((next, next_files));

    // 5. Tables.
    let mut table_files = Vec::new();
    let mut tables = Embed {
        title: "Open, overdue and done".into(),
        colour: PURPLE,
        ..Default::default()
    };
    tables.fields.push(table_field(
        &d.by_owner,
        "owner",
        "by-owner.csv",
        &mut table_files,
    ));
    if !d.by_borough.is_empty() {
        tables.fields.push(table_field(
            &d.by_borough,
            "borough",
            "by-borough.csv",
            &mut table_files,
        ));
    }
    tables.fields.push(table_field(
        &d.by_theme,
        "theme",
        "by-theme.csv",
        &mut table_files,
    ));
    embeds.push((tables, table_files));

    let content = format!(
        "**Quarterly VAW briefing — {}** ({} to {})",
        d.period.label,
        short_date(d.period.start),
        short_date(d.period.end)
    );
    pack(content, embeds, Vec::new(), Vec::new())
}

/// "What changed since the last digest": the figures that moved and the lists, within one
/// embed (a long list ends "…and N more"), or one plain sentence when nothing did.
fn since_last_embed(since: &SinceLastDigest) -> Embed {
    let description = if since.nothing_changed() {
        since.nothing_line()
    } else {
        let mut lines = since.moved_lines();
        for (label, items) in since.lists() {
            lines.push(format!("**{label} ({})**", items.len()));
            lines.extend(items.iter().map(|item| {
                let owner = item
                    .owner
                    .as_deref()
                    .map(|o| format!(" — {}", escape(&fit(o, 60))))
                    .unwrap_or_default();
                format!(
                    "`{}` {}{owner}",
                    item.reference,
                    escape(&fit(&item.title, 90))
                )
            }));
        }
        join_within(&lines, limits::EMBED_DESCRIPTION)
    };
    Embed {
        title: fit(&since.heading(), limits::EMBED_TITLE),
        description,
        colour: BLUE,
        ..Default::default()
    }
}

/// The digest's messages as posted to its channel: the first gets a **Preview my actions**
/// button, which shows whoever clicks it their own open actions, privately (the `/mine`
/// view), so a member reading the digest can act on theirs. Added when sending, not
/// archived: the archive keeps what the digest said.
pub fn with_preview_button(mut messages: Vec<Message>, board_id: i64) -> Vec<Message> {
    if let Some(first) = messages.first_mut() {
        first.components.push(Row::Buttons(vec![Button {
            id: ControlId::Preview { board: board_id },
            label: PREVIEW_LABEL.into(),
            style: ButtonStyle::Secondary,
        }]));
    }
    messages
}

/// The digest button's label.
pub const PREVIEW_LABEL: &str = "Preview my actions";
