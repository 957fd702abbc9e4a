//! The board paper: the digest as one self-contained HTML file for the meeting pack. It prints
//! on A4 as it looks on screen, with each table's header repeated on every page and no row split
//! across pages. Nothing is loaded from elsewhere and nothing runs: the chart is embedded as a
//! PNG, the styles are inline, and a Content-Security-Policy forbids scripts and remote loads
//! should anything slip in. All text from the record is escaped, and shown by the rules every
//! display renderer follows (`super::text`).

use std::fmt::Write as _;

use base64::Engine as _;
use chrono::NaiveDate;

use crate::digest::build::{ActionLine, GroupRow};
use crate::digest::since_last::SinceLastDigest;
use crate::digest::Digest;
use crate::domain::format_long_date;

/// Text safe anywhere in HTML, inside elements and attribute values alike, shown as
/// [`super::text::visible`] shows it (no direction overrides, no invisible characters).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in super::text::visible(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
  @page { size: A4; margin: 16mm 14mm 18mm 14mm; }
  * { box-sizing: border-box; }
  body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 10.5pt;
         line-height: 1.4; color: #1d1d1b; margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
  header { border-bottom: 3px solid #4a2a6b; padding-bottom: 4mm; margin-bottom: 5mm; }
  header .board { font-size: 10pt; text-transform: uppercase; letter-spacing: .06em; color: #4a2a6b; margin: 0; }
  h1 { font-size: 20pt; margin: 1mm 0 2mm; }
  .dates { display: flex; flex-wrap: wrap; gap: 1mm 9mm; font-size: 9.5pt; color: #444; margin: 0; }
  .dates strong { color: #1d1d1b; white-space: nowrap; }
  h2 { font-size: 13pt; color: #4a2a6b; border-bottom: 1px solid #d7cde3; padding-bottom: 1mm;
       margin: 7mm 0 2.5mm; break-after: avoid; page-break-after: avoid; }
  h3 { font-size: 11pt; margin: 4mm 0 1.5mm; break-after: avoid; page-break-after: avoid; }
  .figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; margin: 0; padding: 0; }
  .figure { list-style: none; border: 1px solid #d7cde3; border-radius: 2mm; padding: 2.5mm 3mm;
            break-inside: avoid; }
  .figure .n { display: block; font-size: 18pt; font-weight: bold; }
  .figure .what { font-size: 9pt; color: #444; }
  .figure.alert .n { color: #9b1c1c; }
  table { width: 100%; border-collapse: collapse; margin: 1mm 0 3mm; font-size: 9.5pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  th { text-align: left; background: #efe9f5; border-bottom: 2px solid #4a2a6b; padding: 1.5mm 2mm; }
  td { border-bottom: 1px solid #e4e0e8; padding: 1.5mm 2mm; vertical-align: top; }
  td.num, th.num { text-align: right; white-space: nowrap; }
  p.lead { font-size: 1.15em; margin: 0.3em 0 0.6em; }
  td.ref { white-space: nowrap; font-weight: bold; }
  td.date { white-space: nowrap; }
  td, li { overflow-wrap: anywhere; }
  .none { color: #555; font-style: italic; }
  .note { font-size: 9pt; color: #555; }
  td.rating.worse { color: #9b1c1c; font-weight: bold; }
  td.rating.better { color: #1b5e20; }
  figure { margin: 2mm 0 4mm; break-inside: avoid; }
  figure img { display: block; max-width: 100%; max-height: 105mm; width: auto; height: auto;
               margin: 0 auto; border: 1px solid #e4e0e8; }
  figure.trend img { max-height: 190mm; }
  figcaption { text-align: center; }
  figcaption { font-size: 9pt; color: #555; }
  footer { margin-top: 8mm; border-top: 1px solid #d7cde3; padding-top: 2mm; font-size: 8.5pt; color: #555; }
  @media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"#;

fn short(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

fn figure(out: &mut String, n: usize, what: &str, alert: bool) {
    let class = if alert && n > 0 {
        "figure alert"
    } else {
        "figure"
    };
    let _ = write!(
        out,
        "<li class=\"{class}\"><span class=\"n\">{n}</span><span class=\"what\">{}</span></li>",
        escape(what)
    );
}

/// "What changed since the last digest": the figures that moved and a table per list, or one
/// plain sentence when nothing did.
fn since_last(out: &mut String, since: &SinceLastDigest) {
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", escape(&since.heading()));
    if since.nothing_changed() {
        let _ = writeln!(out, "<p>{}</p>\n</section>", escape(&since.nothing_line()));
        return;
    }
    let moved = since.moved_lines();
    if !moved.is_empty() {
        out.push_str("<ul>");
        for line in moved {
            let _ = write!(out, "<li>{}</li>", escape(&line));
        }
        out.push_str("</ul>\n");
    }
    for (label, items) in since.lists() {
        let _ = writeln!(out, "<h3>{} ({})</h3>", escape(label), items.len());
        table(
            out,
            label,
            &[("", "Ref"), ("", "Title"), ("", "Owner")],
            items,
            |item| {
                vec![
                    ("ref", item.reference.clone()),
                    ("", item.title.clone()),
                    ("", item.owner.clone().unwrap_or_else(|| "—".into())),
                ]
            },
        );
    }
    out.push_str("</section>\n");
}

/// The monitoring section: the board-wide figures as a table, then exceptions, missing returns,
/// the small-number rule, the trend chart and the indicators' descriptions as numbered notes.
fn monitoring(out: &mut String, m: &crate::digest::monitoring::Monitoring) {
    let Some(s) = super::figures::section_text(m) else {
        return;
    };
    let _ = writeln!(
        out,
        "<section class=\"monitoring\">\n<h2>{}</h2>",
        escape(&s.heading)
    );
    let _ = write!(out, "<table aria-label=\"Monitoring figures\"><thead><tr>");
    for (i, c) in s.columns.iter().enumerate() {
        let class = if i == 1 { "num" } else { "" };
        let _ = write!(
            out,
            "<th class=\"{class}\" scope=\"col\">{}</th>",
            escape(c)
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in &s.rows {
        let note = r
            .note
            .map(|n| format!("<sup><a href=\"#indicator-note-{n}\">[{n}]</a></sup>"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}{note}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"rating {}\">{}</td></tr>",
            escape(&r.name),
            escape(&r.value),
            escape(&r.vs_previous),
            escape(&r.vs_year_ago),
            r.rating.replace(' ', "-"),
            escape(r.rating)
        );
    }
    out.push_str("</tbody></table>\n");
    let _ = writeln!(
        out,
        "<h3>Exceptions ({})</h3>\n<p class=\"note\">{}</p>",
        s.exceptions.len(),
        escape(&s.exceptions_rule)
    );
    if s.exceptions.is_empty() {
        none(out, "None.");
    } else {
        out.push_str("<ul>");
        for e in &s.exceptions {
            let _ = write!(out, "<li>{}</li>", escape(e));
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<h3>Missing returns ({})</h3>",
        s.missing_returns.len()
    );
    if s.missing_returns.is_empty() {
        none(
            out,
            "None: every area that reported last quarter reported this one.",
        );
    } else {
        out.push_str("<ul>");
        for r in &s.missing_returns {
            let _ = write!(out, "<li>{}</li>", escape(r));
        }
        out.push_str("</ul>\n");
    }
    if !m.trend.is_empty() {
        match super::chart::trend_chart(m) {
            Ok(png) => {
                let _ = writeln!(
                    out,
                    "<figure class=\"trend\"><img alt=\"The board-wide figure of each indicator over the last eight quarters\" src=\"data:image/png;base64,{}\"><figcaption>Board-wide, last eight quarters{}</figcaption></figure>",
                    base64::engine::general_purpose::STANDARD.encode(png),
                    if m.hide_small_numbers { "; quarters with fewer than 5 cases are left out" } else { "" }
                );
            }
            Err(e) => tracing::warn!(error = %e, "the paper's trend chart could not be drawn"),
        }
    }
    if let Some(rule) = s.small_numbers {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(rule));
    }
    if !s.notes.is_empty() {
        out.push_str("<ol class=\"note\">");
        for (n, note) in &s.notes {
            let _ = write!(out, "<li id=\"indicator-note-{n}\">{}</li>", escape(note));
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</section>\n");
}

fn none(out: &mut String, text: &str) {
    let _ = writeln!(out, "<p class=\"none\">{}</p>", escape(text));
}

/// A table with a header row; `cells` gives each row's cells as (class, text).
fn table<T>(
    out: &mut String,
    caption: &str,
    headers: &[(&str, &str)],
    rows: &[T],
    cells: impl Fn(&T) -> Vec<(&'static str, String)>,
) {
    let _ = write!(out, "<table aria-label=\"{}\"><thead><tr>", escape(caption));
    for (class, h) in headers {
        let _ = write!(
            out,
            "<th class=\"{class}\" scope=\"col\">{}</th>",
            escape(h)
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (class, text) in cells(row) {
            let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(&text));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

fn actions_table(out: &mut String, caption: &str, actions: &[ActionLine], last: (&str, Last)) {
    table(
        out,
        caption,
        &[
            ("", "Ref"),
            ("", "Action"),
            ("", "Owner"),
            ("", "Borough"),
            ("", "Due"),
            (
                if last.1 == Last::DaysOverdue {
                    "num"
                } else {
                    ""
                },
                last.0,
            ),
        ],
        actions,
        |a| {
            vec![
                ("ref", a.reference.clone()),
                ("", a.title.clone()),
                ("", a.owner.clone()),
                ("", a.borough.clone().unwrap_or_else(|| "—".into())),
                ("date", short(a.due)),
                match last.1 {
                    Last::DaysOverdue => ("num", a.days_overdue.to_string()),
                    Last::Status => ("", a.status.label().to_string()),
                    Last::Completed => (
                        "date",
                        a.completed_on.map(short).unwrap_or_else(|| "—".into()),
                    ),
                },
            ]
        },
    );
}

/// What the last column of an action table shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    DaysOverdue,
    Status,
    Completed,
}

fn group_table(out: &mut String, heading: &str, rows: &[GroupRow]) {
    table(
        out,
        heading,
        &[
            ("", heading),
            ("num", "Open"),
            ("num", "Overdue"),
            ("num", "Done"),
        ],
        rows,
        |r| {
            vec![
                ("", r.name.clone()),
                ("num", r.open.to_string()),
                ("num", r.overdue.to_string()),
                ("num", r.done.to_string()),
            ]
        },
    );
}

/// The digest as a board paper, published on `published` (the date the paper is issued, which
/// is not the date the figures stand at). `chart` is the digest's chart as PNG, if drawn.
pub fn digest_html(d: &Digest, chart: Option<&[u8]>, published: NaiveDate) -> String {
    let t = &d.totals;
    let mut out = String::with_capacity(32 * 1024);
    let title = format!(
        "{} — quarterly VAWG briefing, {}",
        d.board_name, d.period.label
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let _ = write!(
        out,
        "<header>\n<p class=\"board\">{}</p>\n<h1>Quarterly VAWG briefing: {}</h1>\n\
         <p class=\"dates\"><span>Period: <strong>{} to {}</strong></span>\
         <span>As at: <strong>{}</strong></span><span>Published: <strong>{}</strong></span></p>\n</header>\n",
        escape(&d.board_name),
        escape(&d.period.label),
        format_long_date(d.period.start),
        format_long_date(d.period.end),
        format_long_date(d.as_of),
        format_long_date(published),
    );

    if let Some(since) = &d.since_last_digest {
        since_last(&mut out, since);
    }
    out.push_str("<section>\n<h2>Headlines</h2>\n");
    if super::is_empty(d) {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", super::NO_RECORDS_YET);
    }
    if let Some(rate) = super::implementation_rate(&d.recommendations) {
        let _ = writeln!(
            out,
            "<p class=\"lead\"><strong>{}</strong></p>",
            escape(&rate)
        );
    }
    out.push_str("<ul class=\"figures\">");
    figure(&mut out, t.actions, "actions in the plan", false);
    figure(&mut out, t.open, "open", false);
    figure(&mut out, t.overdue, "overdue", true);
    figure(
        &mut out,
        t.by_status.get("done").copied().unwrap_or(0),
        "done",
        false,
    );
    figure(
        &mut out,
        t.completed_in_period,
        "completed this quarter",
        false,
    );
    figure(&mut out, t.slipped_in_period, "slipped this quarter", true);
    figure(&mut out, t.by_rag.red, "off track", true);
    figure(&mut out, t.by_rag.amber, "at risk", false);
    if t.awaiting_sign_off > 0 {
        figure(&mut out, t.awaiting_sign_off, "awaiting sign-off", false);
    }
    if !d.responses_overdue.is_empty() {
        figure(
            &mut out,
            d.responses_overdue.len(),
            "responses overdue",
            true,
        );
    }
    out.push_str("</ul>\n");
    let r = &d.recommendations;
    let counts = super::counts_in_words;
    let _ = writeln!(
        out,
        "<p>Open actions: {} on track, {} at risk, {} off track, {} not started. \
         {} dropped.</p>\n<p><strong>{} recommendations</strong>: {}. Responses: {}.</p>",
        t.by_rag.green,
        t.by_rag.amber,
        t.by_rag.red,
        t.by_rag.not_rated,
        t.by_status.get("dropped").copied().unwrap_or(0),
        r.total,
        escape(&counts(&r.by_status)),
        escape(&counts(&r.by_response)),
    );
    match chart {
        Some(png) => {
            let _ = writeln!(
                out,
                "<figure class=\"trend\"><img alt=\"Actions by {grouping}: overdue, off track, at risk, on track, \
                 not started and done\" src=\"data:image/png;base64,{}\">\
                 <figcaption>Actions by {grouping}, each counted once.</figcaption></figure>",
                base64::engine::general_purpose::STANDARD.encode(png),
                grouping = escape(&d.chart_grouping),
            );
        }
        None => none(&mut out, "The chart could not be drawn."),
    }
    if !r.priority_open.is_empty() {
        out.push_str("<h3>Priority recommendations still open</h3>\n");
        table(
            &mut out,
            "Priority recommendations still open",
            &[
                ("", "Ref"),
                ("", "Recommendation"),
                ("", "Owner"),
                ("", "Response"),
            ],
            &r.priority_open,
            |p| {
                vec![
                    ("ref", p.reference.clone()),
                    ("", p.title.clone()),
                    ("", p.owner.clone().unwrap_or_else(|| "—".into())),
                    ("", p.response.label().to_string()),
                ]
            },
        );
    }
    if !d.responses_overdue.is_empty() {
        let _ = writeln!(
            out,
            "<h3>Responses overdue ({})</h3>",
            d.responses_overdue.len()
        );
        table(
            &mut out,
            "Responses overdue",
            &[
                ("", "Ref"),
                ("", "Recommendation"),
                ("", "Owner"),
                ("", "Response due"),
                ("num", "Days overdue"),
            ],
            &d.responses_overdue,
            |r| {
                vec![
                    ("ref", r.reference.clone()),
                    ("", r.title.clone()),
                    ("", r.owner.clone().unwrap_or_else(|| "—".into())),
                    ("date", format_long_date(r.response_due)),
                    ("num", r.days_overdue.to_string()),
                ]
            },
        );
    }
    if !d.awaiting_sign_off.is_empty() {
        let _ = writeln!(
            out,
            "<h3>Done, awaiting sign-off ({})</h3>",
            d.awaiting_sign_off.len()
        );
        table(
            &mut out,
            "Done, awaiting sign-off",
            &[("", "Ref"), ("", "Action"), ("", "Owner"), ("", "Done")],
            &d.awaiting_sign_off,
            |a| {
                vec![
                    ("ref", a.reference.clone()),
                    ("", a.title.clone()),
                    ("", a.owner.clone()),
                    (
                        "date",
                        a.done_on
                            .map(format_long_date)
                            .unwrap_or_else(|| "—".into()),
                    ),
                ]
            },
        );
    }
    out.push_str("</section>\n");

    let c = &d.changes;
    out.push_str("<section>\n<h2>What changed this quarter</h2>\n");
    let _ = writeln!(out, "<h3>Completed ({})</h3>", c.completed.len());
    if c.completed.is_empty() {
        none(&mut out, "No action was completed this quarter.");
    } else {
        actions_table(
            &mut out,
            "Completed this quarter",
            &c.completed,
            ("Done", Last::Completed),
        );
    }
    if !d.completed_date_not_recorded.is_empty() {
        let _ = writeln!(
            out,
            "<h3>Completed, date not recorded ({})</h3>\n<p class=\"note\">Done, but no quarter \
             counts them until a completion date is recorded.</p>",
            d.completed_date_not_recorded.len()
        );
        actions_table(
            &mut out,
            "Completed, date not recorded",
            &d.completed_date_not_recorded,
            ("Status", Last::Status),
        );
    }
    let _ = writeln!(out, "<h3>Newly overdue ({})</h3>", c.newly_overdue.len());
    if c.newly_overdue.is_empty() {
        none(&mut out, "No action became overdue this quarter.");
    } else {
        actions_table(
            &mut out,
            "Newly overdue",
            &c.newly_overdue,
            ("Days overdue", Last::DaysOverdue),
        );
    }
    let _ = writeln!(out, "<h3>Slipped ({})</h3>", c.slipped.len());
    if c.slipped.is_empty() {
        none(&mut out, "No due date moved later this quarter.");
    } else {
        table(
            &mut out,
            "Slipped",
            &[
                ("", "Ref"),
                ("", "Action"),
                ("", "Owner"),
                ("", "From"),
                ("", "To"),
                ("", "Reason"),
                ("", "Recorded"),
            ],
            &c.slipped,
            |s| {
                vec![
                    ("ref", s.reference.clone()),
                    ("", s.title.clone()),
                    ("", s.owner.clone()),
                    ("date", short(s.from)),
                    ("date", short(s.to)),
                    ("", s.reason.clone().unwrap_or_else(|| "—".into())),
                    ("date", short(s.on)),
                ]
            },
        );
    }
    if !c.recommendations_opened.is_empty() || !c.recommendations_closed.is_empty() {
        out.push_str("<h3>Recommendations</h3>\n<ul>\n");
        for rec in &c.recommendations_opened {
            let _ = writeln!(
                out,
                "<li>Opened: <strong>{}</strong> {}</li>",
                escape(&rec.reference),
                escape(&rec.title)
            );
        }
        for rec in &c.recommendations_closed {
            let _ = writeln!(
                out,
                "<li>Closed ({}): <strong>{}</strong> {}</li>",
                escape(&rec.status.label()),
                escape(&rec.reference),
                escape(&rec.title)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    monitoring(&mut out, &d.monitoring);

    let _ = writeln!(out, "<section>\n<h2>Overdue ({})</h2>", d.overdue.len());
    if d.overdue.is_empty() {
        none(&mut out, "Nothing is overdue.");
    } else {
        actions_table(
            &mut out,
            "Overdue actions",
            &d.overdue,
            ("Days overdue", Last::DaysOverdue),
        );
    }
    let _ = writeln!(
        out,
        "</section>\n<section>\n<h2>Due in {} ({})</h2>",
        escape(&d.next_period.label),
        d.due_next_period.len()
    );
    if d.due_next_period.is_empty() {
        none(&mut out, "Nothing is due next quarter.");
    } else {
        actions_table(
            &mut out,
            "Due next quarter",
            &d.due_next_period,
            ("Status", Last::Status),
        );
    }
    out.push_str("</section>\n<section>\n<h2>By owner</h2>\n");
    group_table(&mut out, "Owner", &d.by_owner);
    if !d.by_borough.is_empty() {
        out.push_str("<h2>By borough</h2>\n");
        group_table(&mut out, "Borough", &d.by_borough);
    }
    out.push_str("<h2>By theme</h2>\n");
    group_table(&mut out, "Theme", &d.by_theme);
    let _ = write!(
        out,
        "</section>\n<footer>{} · board {} · figures as at {} · published {}</footer>\n</body>\n</html>\n",
        escape(&d.board_name),
        escape(&d.board),
        format_long_date(d.as_of),
        format_long_date(published),
    );
    out
}
