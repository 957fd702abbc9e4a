//! Discord messages as plain data: content, embeds, attached files and exactly who may be
//! pinged. The Discord adapter turns these into API requests; keeping them plain lets tests
//! check every limit without a client.
//!
//! Every message stays within Discord's documented limits. Lists too long to show end with
//! "…and N more" and the full list is attached as a file, so nothing is silently dropped.

use chrono::{DateTime, NaiveDate, Utc};

use crate::digest::build::{ActionLine, GroupRow};
use crate::digest::reminder::ReminderKind;
use crate::digest::since_last::SinceLastDigest;
use crate::digest::{Digest, MeetingBrief, Reminder};
use crate::domain::spreadsheet::Cells;
use crate::domain::{Action, TimeZone};

/// Discord's limits on one message.
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBEDS_PER_MESSAGE: usize = 10;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    pub const EMBEDS_TOTAL: usize = 6000;
    pub const FILES_PER_MESSAGE: usize = 10;
}

pub use super::text::fit;
use super::text::visible;

/// Make user text inert in Discord, showing it as typed: bidi controls and invisible
/// characters go (see [`super::text`]); Markdown characters are escaped, and so are `-`, `+`
/// and `1.` where a line starts (lists, `-#` subtext); anything that looks like a mention,
/// timestamp, emoji or command (`@everyone`, `@here`, `<@id>`, `<@&role>`, `<#channel>`,
/// `<t:…>`, `<:name:id>`, `</cmd:id>`) is broken with a zero-width space after its `@` or `<`
/// — defence in depth behind allowed-mentions. A web address is shown as `<https://…>`: still a
/// link, never a preview, and its `_`, `*` or `#` are not escaped into it (an escape would end
/// up in the address). One with an `@` in it (`https://trusted@evil.example`) is shown as
/// plain, broken text instead.
pub fn escape(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    let mut rest: &str = &text;
    while let Some(c) = rest.chars().next() {
        let word_start = out.chars().last().is_none_or(|p| !p.is_alphanumeric());
        if let Some(len) = link_len(rest).filter(|_| word_start) {
            out.push('<');
            out.push_str(&rest[..len]);
            out.push('>');
            rest = &rest[len..];
            line_start = false;
            continue;
        }
        if line_start && c != ' ' {
            line_start = false;
            let digits = rest.len() - rest.trim_start_matches(|d: char| d.is_ascii_digit()).len();
            if matches!(c, '-' | '+') {
                out.push('\\');
            } else if digits > 0 && rest[digits..].starts_with(['.', ')']) {
                // `1.` needs its own escape; `1)` gets one below, as `)` always does.
                out.push_str(&rest[..digits]);
                if rest[digits..].starts_with('.') {
                    out.push('\\');
                }
                rest = &rest[digits..];
                continue;
            }
        }
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200B}"),
            '<' => out.push_str("<\u{200B}"),
            '\r' => {}
            '\n' => {
                out.push(c);
                line_start = true;
            }
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length in bytes of the web address `text` starts with, if it does: up to a space or
/// `<`/`>`, without the punctuation that ends a sentence or closes a bracket. `None` for an
/// address with `@` in it, which may hide where it goes.
fn link_len(text: &str) -> Option<usize> {
    let scheme = ["https://", "http://"].into_iter().find(|s| {
        text.get(..s.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(s))
    })?;
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(text.len());
    let link = text[..end].trim_end_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ':' | ';' | '!' | '?' | '\'' | ')' | ']' | '*' | '_' | '~' | '|' | '`'
        )
    });
    (link.len() > scheme.len() && !link.contains('@')).then_some(link.len())
}

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

/// One embed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Embed {
    pub title: String,
    pub description: String,
    pub colour: u32,
    /// (name, value, inline)
    pub fields: Vec<(String, String, bool)>,
    pub footer: Option<String>,
    /// `attachment://NAME` of an attached image to show in the embed.
    pub image: Option<String>,
}

impl Embed {
    /// Characters that count toward the 6,000-per-message limit.
    pub fn size(&self) -> usize {
        self.title.chars().count()
            + self.description.chars().count()
            + self
                .fields
                .iter()
                .map(|(n, v, _)| n.chars().count() + v.chars().count())
                .sum::<usize>()
            + self.footer.as_deref().map_or(0, |f| f.chars().count())
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct File {
    pub name: String,
    /// Base64 when serialised (the digest archive keeps messages as JSON): a PNG as a list of
    /// numbers would be four times the size.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// Bytes as standard base64 text, for [`File`].
mod base64_bytes {
    use base64::Engine as _;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// One message, and exactly whom it may ping.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub files: Vec<File>,
    /// Users this message may ping (the assigned officers of a reminder); nobody else.
    pub ping_users: Vec<u64>,
    /// Roles this message may ping (the admin role, for escalations); nobody else.
    pub ping_roles: Vec<u64>,
}

const GREEN: u32 = 0x2E7D32;
const AMBER: u32 = 0xF9A825;
const RED: u32 = 0xC62828;
const BLUE: u32 = 0x1565C0;
const PURPLE: u32 = 0x6A1B9A;

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

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

fn action_line(a: &ActionLine) -> String {
    let when = if a.days_overdue > 0 {
        format!(
            "due {} — **{} overdue**",
            short_date(a.due),
            days(a.days_overdue)
        )
    } else {
        format!("due {}", short_date(a.due))
    };
    format!(
        "`{}` {} — {} · {when}",
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

/// A list field or description: as many lines as fit, "…and N more", and the full list
/// attached when anything was left out.
struct ListPart {
    text: String,
    attachment: Option<File>,
}

fn list_part(
    lines: &[String],
    max: usize,
    file_name: &str,
    full: impl FnOnce() -> Vec<u8>,
) -> ListPart {
    let (text, shown) = join_counted(lines, max);
    let attachment = (shown < lines.len()).then(|| File {
        name: file_name.to_string(),
        bytes: full(),
    });
    ListPart { text, attachment }
}

/// Write a data row of an attached CSV, guarded as every export is: a cell a spreadsheet would
/// run as a formula gets an apostrophe in front (see [`crate::domain::spreadsheet`]).
fn csv_row<S: AsRef<str>>(w: &mut csv::Writer<Vec<u8>>, cells: impl IntoIterator<Item = S>) {
    let _ = w.write_record(
        cells
            .into_iter()
            .map(|c| Cells::SpreadsheetSafe.write(c.as_ref()).into_owned()),
    );
}

fn csv_of(lines: &[ActionLine]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "ref",
        "title",
        "owner",
        "borough",
        "officer",
        "due",
        "status",
        "days_overdue",
    ]);
    for a in lines {
        csv_row(
            &mut w,
            [
                a.reference.as_str(),
                &a.title,
                &a.owner,
                a.borough.as_deref().unwrap_or(""),
                a.officer.as_deref().unwrap_or(""),
                &a.due.to_string(),
                a.status.as_str(),
                &a.days_overdue.to_string(),
            ],
        );
    }
    w.into_inner().unwrap_or_default()
}

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

fn table_csv(rows: &[GroupRow], heading: &str) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([heading, "open", "overdue", "done"]);
    for r in rows {
        csv_row(
            &mut w,
            [
                r.name.clone(),
                r.open.to_string(),
                r.overdue.to_string(),
                r.done.to_string(),
            ],
        );
    }
    w.into_inner().unwrap_or_default()
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
            if super::is_empty(d) {
                format!("\n{}", super::NO_RECORDS_YET)
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
        ) + &super::implementation_rate(recs)
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
    let slips_csv = {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "ref",
            "title",
            "owner",
            "from",
            "to",
            "reason",
            "recorded_on",
        ]);
        for s in &c.slipped {
            csv_row(
                &mut w,
                [
                    s.reference.as_str(),
                    &s.title,
                    &s.owner,
                    &s.from.to_string(),
                    &s.to.to_string(),
                    s.reason.as_deref().unwrap_or(""),
                    &s.on.to_string(),
                ],
            );
        }
        w.into_inner().unwrap_or_default()
    };
    changed.fields.extend(section(
        format!("Slipped ({})", c.slipped.len()),
        slips,
        "slipped.csv",
        slips_csv,
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

/// Put embeds into as few messages as Discord allows, in order: at most 10 embeds, 10 files and
/// 6,000 embed characters per message. The first message carries `content`.
pub fn pack(
    content: String,
    embeds: Vec<(Embed, Vec<File>)>,
    ping_users: Vec<u64>,
    ping_roles: Vec<u64>,
) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    let mut current = Message {
        content: fit(&content, limits::CONTENT),
        ping_users,
        ping_roles,
        ..Default::default()
    };
    let mut size = 0;
    for (embed, files) in embeds {
        let embed = clamp(embed);
        let too_big = size + embed.size() > limits::EMBEDS_TOTAL
            || current.embeds.len() == limits::EMBEDS_PER_MESSAGE
            || current.files.len() + files.len() > limits::FILES_PER_MESSAGE;
        if too_big && !current.embeds.is_empty() {
            messages.push(std::mem::take(&mut current));
            size = 0;
        }
        size += embed.size();
        current.embeds.push(embed);
        current.files.extend(files);
    }
    if !current.embeds.is_empty() || !current.content.is_empty() {
        messages.push(current);
    }
    messages
}

/// Enforce every per-embed limit (a last line of defence: builders already fit their text).
fn clamp(mut e: Embed) -> Embed {
    e.title = fit(&e.title, limits::EMBED_TITLE);
    e.description = fit(&e.description, limits::EMBED_DESCRIPTION);
    e.fields.truncate(limits::EMBED_FIELDS);
    for (name, value, _) in &mut e.fields {
        *name = fit(name, limits::FIELD_NAME);
        *value = fit(value, limits::FIELD_VALUE);
    }
    e.footer = e.footer.map(|f| fit(&f, limits::FOOTER));
    // An embed over the whole-message budget on its own is cut down field by field.
    while e.size() > limits::EMBEDS_TOTAL && !e.fields.is_empty() {
        e.fields.pop();
    }
    e
}

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
    if let Some(line) = super::secretariat_line(&r.for_secretariat) {
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

fn reminder_csv(r: &Reminder) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "ref",
        "title",
        "owner",
        "officer",
        "due",
        "days_overdue",
        "kind",
        "escalated",
    ]);
    for i in r.overdue.iter().chain(r.due_soon.iter()) {
        let kind = match i.kind {
            ReminderKind::Overdue => "overdue",
            ReminderKind::DueSoon => "due_soon",
        };
        csv_row(
            &mut w,
            [
                i.reference.as_str(),
                &i.title,
                &i.owner,
                i.officer.as_deref().unwrap_or(""),
                &i.due.to_string(),
                &i.days_overdue.to_string(),
                kind,
                if i.escalate { "yes" } else { "no" },
            ],
        );
    }
    w.into_inner().unwrap_or_default()
}

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

    #[test]
    fn user_text_cannot_ping_or_format() {
        let safe = escape("@everyone see <@&123> and <@456> in <#789> **now** `x` @here");
        for bad in ["@everyone", "@here", "<@", "<#"] {
            assert!(!safe.contains(bad), "{safe}");
        }
        assert!(safe.contains("\\*\\*now\\*\\*"));
        assert!(safe.contains("\\`x\\`"));
    }

    #[test]
    fn timestamps_emoji_commands_and_line_starts_are_inert() {
        let safe = escape("<t:1700000000:R> <:cat:1> </digest post:2>");
        assert_eq!(safe.matches("<\u{200B}").count(), 3, "{safe}");
        for (typed, shown) in [
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("12. item", "12\\. item"),
            ("-# small", "\\-\\# small"),
            ("a\n- b\n3) c", "a\n\\- b\n3\\) c"),
            ("mid-line 1. stays", "mid-line 1. stays"),
        ] {
            assert_eq!(escape(typed), shown);
        }
    }

    #[test]
    fn bidi_controls_and_invisible_characters_are_dropped_before_escaping() {
        assert_eq!(
            escape("a\u{202E}b\u{2066}c\u{200B}d\u{FEFF}@\u{2060}here"),
            "abcd@\u{200B}here"
        );
    }

    #[test]
    fn web_addresses_stay_links_without_previews_or_escapes() {
        assert_eq!(
            escape("see https://example.org/report_2010*final*.pdf."),
            "see <https://example.org/report_2010*final*.pdf>."
        );
        assert_eq!(
            escape("[click](http://evil.example/x)"),
            "\\[click\\]\\(<http://evil.example/x>\\)"
        );
        // An address with an @ may hide where it goes: plain text, its @ broken.
        assert_eq!(
            escape("https://trusted@evil.example"),
            "https://trusted@\u{200B}evil.example"
        );
        assert_eq!(escape("xhttps://a.example"), "xhttps://a.example");
        assert_eq!(escape("https://"), "https://");
    }

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
