//! Markdown: for the terminal, board papers, and the Slack / Teams mirrors.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::text::visible;
use crate::digest::build::{ActionLine, GroupRow};
use crate::digest::reminder::ReminderKind;
use crate::digest::since_last::SinceLastDigest;
use crate::digest::{Digest, MeetingBrief, Reminder};
use crate::domain::format_long_date;

/// Why undated completions are listed, and how to date them.
const UNDATED_HINT: &str = "Done, but no quarter counts them until a completion date \
is recorded: set completed_on and import the actions with --update.";

/// Typed text as inert Markdown (CommonMark and GitHub's, which Teams' cards read too), on one
/// line, safe in a heading, a list item or a table cell: bidi controls and invisible characters
/// go (see [`super::text`]); every character that could start emphasis, code, a link, an
/// image, HTML, an entity, a table cell, strikethrough or math is backslash-escaped, so
/// `<script>`, `[x](http://…)` and `a | b` read as typed.
pub fn escape(text: &str) -> String {
    let text = visible(text);
    // Where typed text starts a line (a Teams card's title), leading spaces would make code and
    // `-`, `+` or `1.` a list. Digits make a list only when a space or the end follows their
    // `.` or `)`, so a figure such as 22.9% is left as written.
    let mut rest = text.trim_start();
    let mut out = String::with_capacity(rest.len() + 8);
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after_digits = &rest[digits..];
    let numbered = digits > 0
        && after_digits.starts_with(['.', ')'])
        && after_digits[1..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace);
    if rest.starts_with(['-', '+']) || numbered {
        out.push_str(&rest[..digits]);
        out.push('\\');
        rest = &rest[digits..];
    }
    for c in rest.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

fn cell(text: &str) -> String {
    escape(text)
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

fn short(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

fn action_item(a: &ActionLine) -> String {
    format!(
        "**{}** {} — {}",
        a.reference,
        cell(&a.title),
        cell(&a.owner)
    )
}

/// "What changed since the last digest": the figures that moved and the lists, or one plain
/// sentence when nothing did.
fn since_last(out: &mut String, since: &SinceLastDigest) {
    let _ = writeln!(out, "## {}\n", since.heading());
    if since.nothing_changed() {
        let _ = writeln!(out, "{}\n", since.nothing_line());
        return;
    }
    for line in since.moved_lines() {
        let _ = writeln!(out, "- {line}");
    }
    for (label, items) in since.lists() {
        let _ = writeln!(out, "- {label} ({}):", items.len());
        for item in items {
            let owner = item
                .owner
                .as_deref()
                .map(|o| format!(" — {}", cell(o)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  - **{}** {}{owner}",
                cell(&item.reference),
                cell(&item.title)
            );
        }
    }
    out.push('\n');
}

fn group_table(out: &mut String, heading: &str, rows: &[GroupRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "| {heading} | Open | Overdue | Done |\n|---|---:|---:|---:|"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&r.name),
            r.open,
            r.overdue,
            r.done
        );
    }
    out.push('\n');
}

/// The monitoring section: a table of the board-wide figures, then exceptions, missing returns,
/// the small-number rule and the indicators' descriptions as numbered notes.
fn monitoring(out: &mut String, m: &crate::digest::monitoring::Monitoring) {
    let Some(s) = super::figures::section_text(m) else {
        return;
    };
    let _ = writeln!(
        out,
        "## {}
",
        cell(&s.heading)
    );
    let _ = writeln!(
        out,
        "| {} |\n|---|---:|---|---|---|",
        s.columns
            .iter()
            .map(|c| cell(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    for r in &s.rows {
        let note = r.note.map(|n| format!(" \\[{n}\\]")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {}{note} | {} | {} | {} | {} |",
            cell(&r.name),
            cell(&r.value),
            cell(&r.vs_previous),
            cell(&r.vs_year_ago),
            r.rating
        );
    }
    let _ = writeln!(
        out,
        "\n### Exceptions ({})\n\n{}\n",
        s.exceptions.len(),
        cell(&s.exceptions_rule)
    );
    for e in &s.exceptions {
        let _ = writeln!(out, "- {}", cell(e));
    }
    if s.exceptions.is_empty() {
        let _ = writeln!(out, "- None.");
    }
    let _ = writeln!(out, "\n### Missing returns ({})\n", s.missing_returns.len());
    for r in &s.missing_returns {
        let _ = writeln!(out, "- {}", cell(r));
    }
    if s.missing_returns.is_empty() {
        let _ = writeln!(
            out,
            "- None: every area that reported last quarter reported this one."
        );
    }
    out.push('\n');
    if let Some(rule) = s.small_numbers {
        let _ = writeln!(out, "_{}_\n", cell(rule));
    }
    for (n, note) in &s.notes {
        let _ = writeln!(out, "\\[{n}\\] {}  ", cell(note));
    }
    if !s.notes.is_empty() {
        out.push('\n');
    }
}

/// The digest as Markdown.
pub fn digest_markdown(d: &Digest) -> String {
    let mut out = String::new();
    let t = &d.totals;
    let _ = writeln!(out, "# {} — quarterly VAW briefing\n", cell(&d.board_name));
    let _ = writeln!(
        out,
        "**{}**: {} to {}, as of {}.\n",
        d.period.label,
        format_long_date(d.period.start),
        format_long_date(d.period.end),
        format_long_date(d.as_of)
    );
    if super::is_empty(d) {
        let _ = writeln!(out, "{}\n", super::NO_RECORDS_YET);
    }
    if let Some(since) = &d.since_last_digest {
        since_last(&mut out, since);
    }
    let _ = writeln!(out, "## Headlines\n");
    let _ = writeln!(
        out,
        "- **{}** actions: {} open ({} on track, {} at risk, {} off track, {} not started), {} done, {} dropped",
        t.actions, t.open, t.by_rag.green, t.by_rag.amber, t.by_rag.red, t.by_rag.not_rated,
        t.by_status.get("done").copied().unwrap_or(0),
        t.by_status.get("dropped").copied().unwrap_or(0)
    );
    let _ = writeln!(out, "- **{}** overdue", t.overdue);
    let _ = writeln!(
        out,
        "- **{}** completed and **{}** slipped this quarter",
        t.completed_in_period, t.slipped_in_period
    );
    if t.completed_date_not_recorded > 0 {
        let _ = writeln!(
            out,
            "- **{}** done with no completion date recorded",
            t.completed_date_not_recorded
        );
    }
    let r = &d.recommendations;
    let counts = super::counts_in_words;
    let _ = writeln!(
        out,
        "- **{}** recommendations: {}; responses: {}",
        r.total,
        counts(&r.by_status),
        counts(&r.by_response)
    );
    if let Some(rate) = super::implementation_rate(r) {
        let _ = writeln!(out, "- **{rate}**");
    }
    if !d.responses_overdue.is_empty() {
        let n = d.responses_overdue.len();
        let _ = writeln!(
            out,
            "- **{n}** {} overdue (still pending after {} due date)",
            if n == 1 { "response" } else { "responses" },
            if n == 1 { "its" } else { "their" }
        );
    }
    if t.awaiting_sign_off > 0 {
        let _ = writeln!(
            out,
            "- **{}** done, awaiting the secretariat's sign-off (/action sign-off)",
            t.awaiting_sign_off
        );
    }
    if !r.priority_open.is_empty() {
        let _ = writeln!(out, "- Priority recommendations still open:");
        for p in &r.priority_open {
            let _ = writeln!(out, "  - **{}** {}", p.reference, cell(&p.title));
        }
    }
    out.push('\n');

    let c = &d.changes;
    let _ = writeln!(out, "## What changed this quarter\n");
    let _ = writeln!(out, "### Completed ({})\n", c.completed.len());
    for a in &c.completed {
        let done = a
            .completed_on
            .map(|d| format!(" (done {})", short(d)))
            .unwrap_or_default();
        let _ = writeln!(out, "- {}{done}", action_item(a));
    }
    if c.completed.is_empty() {
        let _ = writeln!(out, "- None.");
    }
    if !d.completed_date_not_recorded.is_empty() {
        let _ = writeln!(
            out,
            "\n### Completed, date not recorded ({})\n\n{UNDATED_HINT}\n",
            d.completed_date_not_recorded.len()
        );
        for a in &d.completed_date_not_recorded {
            let _ = writeln!(out, "- {}", action_item(a));
        }
    }
    let _ = writeln!(out, "\n### Newly overdue ({})\n", c.newly_overdue.len());
    for a in &c.newly_overdue {
        let _ = writeln!(out, "- {} (due {})", action_item(a), short(a.due));
    }
    if c.newly_overdue.is_empty() {
        let _ = writeln!(out, "- None.");
    }
    let _ = writeln!(out, "\n### Slipped ({})\n", c.slipped.len());
    for s in &c.slipped {
        let reason = s
            .reason
            .as_deref()
            .map(|r| format!(" — {}", cell(r)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}** {} — {}: {} → {}{reason} (recorded {})",
            s.reference,
            cell(&s.title),
            cell(&s.owner),
            short(s.from),
            short(s.to),
            short(s.on)
        );
    }
    if c.slipped.is_empty() {
        let _ = writeln!(out, "- None.");
    }
    if !c.recommendations_opened.is_empty() || !c.recommendations_closed.is_empty() {
        let _ = writeln!(out, "\n### Recommendations\n");
        for rec in &c.recommendations_opened {
            let _ = writeln!(out, "- Opened: **{}** {}", rec.reference, cell(&rec.title));
        }
        for rec in &c.recommendations_closed {
            let _ = writeln!(
                out,
                "- Closed ({}): **{}** {}",
                rec.status.label(),
                rec.reference,
                cell(&rec.title)
            );
        }
    }
    out.push('\n');

    monitoring(&mut out, &d.monitoring);

    let _ = writeln!(out, "## Overdue ({})\n", d.overdue.len());
    if d.overdue.is_empty() {
        let _ = writeln!(out, "Nothing is overdue.\n");
    } else {
        let _ = writeln!(
            out,
            "| Ref | Action | Owner | Officer | Due | Days overdue |\n|---|---|---|---|---|---:|"
        );
        for a in &d.overdue {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                a.reference,
                cell(&a.title),
                cell(&a.owner),
                a.officer.as_deref().unwrap_or("—"),
                match a.moved {
                    Some(m) => format!("{} ({})", short(a.due), m.phrase()),
                    None => short(a.due),
                },
                a.days_overdue
            );
        }
        out.push('\n');
    }

    if !d.awaiting_sign_off.is_empty() {
        let _ = writeln!(
            out,
            "## Awaiting sign-off ({})\n",
            d.awaiting_sign_off.len()
        );
        for a in &d.awaiting_sign_off {
            let done = a
                .done_on
                .map(|d| format!(" (done {})", short(d)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- **{}** {} — {}{done}",
                a.reference,
                cell(&a.title),
                cell(&a.owner)
            );
        }
        out.push('\n');
    }
    if !d.responses_overdue.is_empty() {
        let _ = writeln!(
            out,
            "## Responses overdue ({})\n",
            d.responses_overdue.len()
        );
        let _ = writeln!(
            out,
            "| Ref | Recommendation | Owner | Response due | Days overdue |\n|---|---|---|---|---:|"
        );
        for r in &d.responses_overdue {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.reference,
                cell(&r.title),
                r.owner
                    .as_deref()
                    .map(cell)
                    .unwrap_or_else(|| "—".to_string()),
                short(r.response_due),
                r.days_overdue
            );
        }
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "## Due in {} ({})\n",
        d.next_period.label,
        d.due_next_period.len()
    );
    for a in &d.due_next_period {
        let _ = writeln!(
            out,
            "- {} — due {} ({})",
            action_item(a),
            short(a.due),
            a.status.label()
        );
    }
    if d.due_next_period.is_empty() {
        let _ = writeln!(out, "- Nothing is due next quarter.");
    }
    out.push('\n');

    let _ = writeln!(out, "## By owner\n");
    group_table(&mut out, "Owner", &d.by_owner);
    if !d.by_borough.is_empty() {
        let _ = writeln!(out, "## By borough\n");
        group_table(&mut out, "Borough", &d.by_borough);
    }
    let _ = writeln!(out, "## By theme\n");
    group_table(&mut out, "Theme", &d.by_theme);
    out
}

/// The reminder as Markdown; `None` says there is nothing to post.
pub fn reminder_markdown(r: Option<&Reminder>, as_of: NaiveDate) -> String {
    let Some(r) = r else {
        return format!(
            "Nothing to post on {}: no action is overdue or due soon.\n",
            format_long_date(as_of)
        );
    };
    let mut out = String::new();
    match r.follow_up_of {
        None => {
            let _ = writeln!(
                out,
                "# Reminder — {}\n\n{} overdue, {} due in the next {} days.\n",
                format_long_date(r.as_of),
                r.overdue.len(),
                r.due_soon.len(),
                r.remind_before_days
            );
        }
        Some(reminded) => {
            let _ = writeln!(
                out,
                "# Still outstanding — {}\n\nFollow-up to the reminder of {}: {} overdue, {} \
                 due soon, with no update since.\n",
                format_long_date(r.as_of),
                format_long_date(reminded),
                r.overdue.len(),
                r.due_soon.len(),
            );
        }
    }
    if let Some(line) = super::secretariat_line(&r.for_secretariat) {
        let _ = writeln!(out, "**For the secretariat:** {}\n", cell(&line));
    }
    let escalated = r.escalations().count();
    if escalated > 0 {
        let _ = writeln!(
            out,
            "**Escalated to the board's admins:** {escalated} overdue by more than {} days.\n",
            r.escalate_after_days
        );
    }
    for g in &r.by_owner {
        let _ = writeln!(out, "## {}\n", cell(&g.owner));
        for i in &g.items {
            let when = match i.kind {
                ReminderKind::Overdue if i.escalate => {
                    format!("**{} overdue — escalated**", days(i.days_overdue))
                }
                ReminderKind::Overdue => format!("**{} overdue**", days(i.days_overdue)),
                ReminderKind::DueSoon => format!("due {}", short(i.due)),
            };
            let officer = i
                .officer
                .as_deref()
                .map(|o| format!(" — officer {o}"))
                .unwrap_or_else(|| " — no officer assigned".into());
            let moved = i
                .moved
                .map(|m| format!(" — {}", m.phrase()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- **{}** {} — {when}{moved}{officer}",
                i.reference,
                cell(&i.title)
            );
        }
        out.push('\n');
    }
    out
}

/// The brief as Markdown (terminal, webhooks, board papers).
pub fn brief_markdown(brief: &MeetingBrief) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} — {}\n\nPresenting: {}. Action plans as of {}.\n",
        cell(&brief.meeting.title),
        format_long_date(brief.meeting.held_on),
        cell(&brief.meeting.boroughs.join(" and ")),
        format_long_date(brief.as_of)
    );
    for b in &brief.boroughs {
        let _ = writeln!(
            out,
            "### {}\n\n{} open, {} overdue, {} done since {}.\n",
            cell(&b.borough),
            b.open.len(),
            b.overdue.len(),
            b.done_since_last_meeting.len(),
            format_long_date(brief.since)
        );
        for a in &b.overdue {
            let _ = writeln!(
                out,
                "- **Overdue** {} {} — {} (due {}, {} days)",
                a.reference,
                cell(&a.title),
                cell(&a.owner),
                a.due,
                a.days_overdue(brief.as_of)
            );
        }
        for a in &b.done_since_last_meeting {
            let _ = writeln!(
                out,
                "- **Done** {} {} — {}",
                a.reference,
                cell(&a.title),
                cell(&a.owner)
            );
        }
        if b.overdue.is_empty() && b.done_since_last_meeting.is_empty() {
            let _ = writeln!(
                out,
                "- Nothing overdue and nothing completed since the last meeting."
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_inert_markdown_on_one_line() {
        assert_eq!(
            escape("**b** _i_ `c` ~~s~~ [x](http://e.example) <script> a | b & $x$ #"),
            "\\*\\*b\\*\\* \\_i\\_ \\`c\\` \\~\\~s\\~\\~ \\[x\\](http://e.example) \\<script\\> \
             a \\| b \\& \\$x\\$ \\#"
        );
        // A typed backslash before a pipe cannot unescape it and split a table cell.
        assert_eq!(escape("a \\| b"), "a \\\\\\| b");
        assert_eq!(escape("one\r\ntwo"), "one two");
        assert_eq!(escape("  - item"), "\\- item");
        assert_eq!(escape("2. item"), "2\\. item");
        assert_eq!(escape("2."), "2\\.");
        assert_eq!(escape("3) item"), "3\\) item");
        // A figure is not a list.
        assert_eq!(escape("22.9%"), "22.9%");
        assert_eq!(escape("1.5 points"), "1.5 points");
        assert_eq!(escape("4)x"), "4)x");
        assert_eq!(escape(". not numbered"), ". not numbered");
        assert_eq!(escape("x\u{202E}y\u{200B}z"), "xyz");
    }
}
