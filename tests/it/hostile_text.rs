//! One hostile corpus, checked across every renderer. Officers type titles, notes, owners and
//! boroughs; whatever they type is stored as typed and must show as typed — inert — in Discord
//! messages and embeds, slash-command replies, the Markdown digest, the chart, and the Slack and
//! Teams bodies, always within Discord's limits. JSON keeps the text exactly as stored.
//!
//! The checks are a reader's: Discord text is scanned the way Discord's Markdown reads it (an
//! unescaped special, a live mention or timestamp, a line that starts a list or a heading), the
//! Markdown digest is parsed with a CommonMark parser and must have the same structure as the
//! same board with plain text, and every piece of user text must still read back as typed.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone as _, Utc};
use poise::serenity_prelude as serenity;
use pulldown_cmark::{Event, Options, Parser, Tag};
use serde_json::{json, Value};

use briefing_bot::delivery::discord::post_message;
use briefing_bot::delivery::webhook;
use briefing_bot::digest::render::discord::{
    brief_message, digest_messages, reminder_messages, Message,
};
use briefing_bot::digest::render::{chart, html, json as json_render, markdown};
use briefing_bot::digest::{build_digest, build_reminder, BoroughBrief, DigestInput, MeetingBrief};
use briefing_bot::discord::client::{http_client, Connection};
use briefing_bot::discord::format::{history_line, setting_line};
use briefing_bot::domain::{
    Action, ActionStatus, Board, BoardSettings, BoardSlug, ChangeKind, Meeting, OfficerId,
    Priority, Recommendation, RecommendationStatus, Ref, Response, SettingChange, Source,
    StatusUpdate, SubjectKind, Text, TimeZone, WebhookKind,
};
use briefing_bot::services::actions::{add_action, add_recommendation, update_action_status};

use crate::digest::assert_within_limits;
use crate::support::bot::{guild, TestBot, DIGEST_CHANNEL, MEMBER};
use crate::support::fake_discord::{FakeDiscord, TOKEN};

/// The officer assigned to every hostile action (the only user a reminder may ping).
const OFFICER: u64 = 200_000_000_000_000_001;

/// England's flag: a black flag and invisible tag characters, which must survive.
const ENGLAND: &str = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";

/// Text as officers might type it, and as an attacker would. Every renderer gets all of it.
pub fn corpus() -> Vec<String> {
    let mut all: Vec<String> = [
        // Discord Markdown.
        "**bold** __underline__ *italic* _also_ ~~struck~~ ***all***",
        "[click here](http://evil.example/phish) or [x](<https://evil.example>)",
        "||spoiler|| and ||another||",
        "# Heading",
        "## Smaller heading",
        "-# subtext",
        "> quoted",
        ">>> quoted to the end",
        "- a list item",
        "1. a numbered item",
        "```rust fn main() {} ``` and `inline` code",
        // Mentions, timestamps, emoji, commands.
        "@everyone and @here, look",
        "<@123456789012345678> <@!123456789012345678> <@&700000000000000010>",
        "see <#700000000000000020> and </digest post:123456789012345678>",
        "<t:1700000000:R> at <t:1700000000:F>",
        "<:blobcat:123456789012345678> <a:dance:123456789012345678>",
        // Links.
        "https://example.org/report_2010*final*.pdf and www.example.org",
        "https://user@evil.example/@everyone",
        // Unicode that changes how the text around it reads, or hides.
        "invoice \u{202E}fdp.exe\u{202C} for \u{2066}isolated\u{2069} text",
        "marks \u{200E}l\u{200F}r\u{061C}a and \u{202A}em\u{202B}bed\u{202D}ded\u{2067}\u{2068}",
        "zero\u{200B}width\u{2060}joiner\u{FEFF}bom\u{00AD}soft\u{180E}mvs",
        "\u{200D}\u{200C}leading and trailing joiners\u{200D}",
        // Unicode that must survive: joiners inside words and emoji, a flag with tags.
        "Persian \u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645} and nurse \u{1F469}\u{200D}\u{2695}\u{FE0F}",
        // Slack mrkdwn and Teams.
        "<!channel> <!here> <@U024BE7LH> <#C024BE7LR|general> & &amp; <https://evil.example|click>",
        "<at>Everyone</at> <b>bold</b> <script>alert(1)</script> &lt;script&gt;",
        // CommonMark and GitHub Markdown.
        "a | b | c in one cell \\| and a backslash \\",
        "![image](http://evil.example/x.png) <http://evil.example> [ref]: http://evil.example",
        "$x^2$ math and <!-- a comment --> and &copy;",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.push(format!("{ENGLAND} Tower Hamlets"));
    // Z with a pile of combining marks.
    all.push(format!("Z{}algo", "\u{0301}\u{0316}\u{0327}".repeat(30)));
    // 4,000-character words: letters, Markdown specials, and emoji sequences.
    all.push("W".repeat(4000));
    all.push("*_|".repeat(1334));
    all.push("\u{1F469}\u{200D}\u{2695}\u{FE0F}".repeat(1000));
    all.push("@everyone".repeat(444));
    all
}

/// Multi-line hostile text, for notes and a recommendation's full text.
fn multiline() -> Vec<String> {
    vec![
        "line one\n# heading\n-# subtext\n> quote\n- item\n1. item\n```\ncode\n```".into(),
        "first\r\n\r\n@everyone\n<@&700000000000000010>\n||spoiler||".into(),
    ]
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(10, 0, 0).unwrap())
}

/// 1 October 2026: the digest reviews July–September 2026.
fn as_of() -> NaiveDate {
    d(2026, 10, 1)
}

fn board(name: &str) -> Board {
    Board {
        id: 1,
        slug: BoardSlug::parse("hostile").unwrap(),
        name: name.to_string(),
        settings: BoardSettings {
            time_zone: TimeZone::parse("Europe/London").unwrap(),
            ..Default::default()
        },
        chat: Default::default(),
    }
}

fn r(s: &str) -> Ref {
    Ref::parse(s).unwrap()
}

/// A board's record with `texts` in every field a renderer shows: per text, an overdue action
/// (slipped, with the text as the reason), one done this quarter, one done with no date, one
/// due next quarter, and an open priority recommendation opened this quarter.
struct Record {
    board: Board,
    recommendations: Vec<Recommendation>,
    actions: Vec<Action>,
    history: Vec<StatusUpdate>,
}

fn record(texts: &[String]) -> Record {
    let mut recommendations = Vec::new();
    let mut actions = Vec::new();
    let mut history = Vec::new();
    let in_period = at(d(2026, 8, 3));
    for (i, text) in texts.iter().enumerate() {
        let rec = r(&format!("R-{i:03}"));
        recommendations.push(Recommendation {
            reference: rec.clone(),
            title: text.clone(),
            text: Some(format!("{text}\n{}", multiline()[i % 2])),
            source: Some(Source {
                title: text.clone(),
                published_on: Some(d(2026, 1, 20)),
            }),
            theme: Some(text.clone()),
            owner: Some(text.clone()),
            priority: Priority(true),
            response: Response::Accepted,
            status: RecommendationStatus::Open,
            response_due: None,
        });
        history.push(StatusUpdate {
            subject: SubjectKind::Recommendation,
            reference: rec.clone(),
            at: in_period,
            by: text.clone(),
            change: ChangeKind::Created,
            old_value: None,
            new_value: Some("open".into()),
            note: None,
            evidence: None,
        });
        let action =
            |kind: &str, due: NaiveDate, status: ActionStatus, done: Option<NaiveDate>| Action {
                reference: r(&format!("{kind}-{i:03}")),
                recommendation: Some(rec.clone()),
                title: text.clone(),
                owner: text.clone(),
                borough: Some(text.clone()),
                officer: Some(OfficerId::new(OFFICER)),
                due,
                status,
                completed_on: done,
                awaiting_sign_off: false,
            };
        actions.push(action("O", d(2026, 9, 10), ActionStatus::OffTrack, None));
        actions.push(action(
            "D",
            d(2026, 9, 1),
            ActionStatus::Done,
            Some(d(2026, 8, 20)),
        ));
        actions.push(action("U", d(2026, 9, 1), ActionStatus::Done, None));
        actions.push(action("N", d(2026, 10, 9), ActionStatus::AtRisk, None));
        history.push(StatusUpdate {
            subject: SubjectKind::Action,
            reference: r(&format!("O-{i:03}")),
            at: in_period,
            by: text.clone(),
            change: ChangeKind::Due,
            old_value: Some("2026-08-01".into()),
            new_value: Some("2026-09-10".into()),
            note: Some(text.clone()),
            evidence: None,
        });
    }
    Record {
        board: board(&texts[0]),
        recommendations,
        actions,
        history,
    }
}

/// Everything the record renders as: the digest, the reminder and a meeting brief.
struct Rendered {
    discord: Vec<Message>,
    markdown: Vec<String>,
    webhook_titles: Vec<String>,
    digest: briefing_bot::digest::Digest,
}

fn brief(rec: &Record, texts: &[String]) -> MeetingBrief {
    let today = as_of();
    MeetingBrief {
        meeting: Meeting {
            held_on: d(2026, 10, 14),
            title: texts[0].clone(),
            boroughs: texts.to_vec(),
        },
        as_of: today,
        since: d(2026, 7, 1),
        boroughs: texts
            .iter()
            .map(|t| {
                let theirs: Vec<Action> = rec
                    .actions
                    .iter()
                    .filter(|a| a.borough.as_deref() == Some(t))
                    .cloned()
                    .collect();
                BoroughBrief {
                    borough: t.clone(),
                    open: theirs
                        .iter()
                        .filter(|a| !a.status.is_closed())
                        .cloned()
                        .collect(),
                    overdue: theirs
                        .iter()
                        .filter(|a| a.is_overdue(today))
                        .cloned()
                        .collect(),
                    done_since_last_meeting: theirs
                        .iter()
                        .filter(|a| a.status == ActionStatus::Done)
                        .cloned()
                        .collect(),
                }
            })
            .collect(),
    }
}

fn render(texts: &[String]) -> Rendered {
    let rec = record(texts);
    let digest = build_digest(
        &DigestInput {
            board: &rec.board,
            recommendations: &rec.recommendations,
            actions: &rec.actions,
            history: &rec.history,
        },
        as_of(),
    );
    let reminder = build_reminder(&rec.board, &rec.actions, as_of()).expect("overdue actions");
    let brief = brief(&rec, texts);
    let mut discord = digest_messages(&digest, Some(vec![0x89, b'P', b'N', b'G']));
    discord.extend(reminder_messages(&reminder, Some(555)));
    discord.push(brief_message(&brief));
    Rendered {
        discord,
        markdown: vec![
            markdown::digest_markdown(&digest),
            markdown::reminder_markdown(Some(&reminder), as_of()),
            markdown::brief_markdown(&brief),
        ],
        webhook_titles: vec![texts[0].clone(), format!("{} — reminder", texts[0])],
        digest,
    }
}

/// The opening and closing tags of an HTML document, in order, with the names of their
/// attributes (what a typed `<`, `"` or `&` would change if it were not escaped).
fn html_tags(paper: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = paper;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            tags.push("unclosed <".into());
            break;
        };
        let tag = &rest[start + 1..start + end];
        // Attribute values are ours (classes, the data: URI) or escaped text.
        let names: Vec<&str> = tag
            .split_whitespace()
            .map(|part| part.split('=').next().unwrap_or(""))
            .collect();
        tags.push(names.join(" "));
        rest = &rest[start + end + 1..];
    }
    tags
}

/// Characters that reorder or hide text: bidi controls and invisible characters.
fn hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}')
}

/// The hidden characters left in `text` that nothing neutralised. A zero-width space right
/// after `@` or `<` (or, in Slack, beside a formatting character) is the renderer's own
/// mention breaker; a joiner between two visible characters joins them (Persian, emoji); the
/// tags of England's flag are its flag.
fn unneutralised_hidden(text: &str, breaker_after: &[char]) -> Vec<String> {
    let text = text.replace(ENGLAND, "");
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if !hidden(c) {
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let visible = |x: Option<char>| x.is_some_and(|x| !x.is_whitespace() && !hidden(x));
        let ok = match c {
            '\u{200B}' => prev.is_some_and(|p| breaker_after.contains(&p)),
            '\u{200C}' | '\u{200D}' => visible(prev) && visible(next),
            _ => false,
        };
        if !ok {
            found.push(format!("U+{:04X} at {i}", c as u32));
        }
    }
    found
}

/// What Discord's Markdown would make of `text` that it should not: live mentions, timestamps
/// and emoji, unescaped specials, lines that start a list, heading or quote, invisible
/// characters. Our own formatting is allowed: `**bold**`, `` `refs` ``, tables in code
/// blocks, mentions of `users` and `roles`, and `<https://…>` links.
fn discord_problems(text: &str, users: &[u64], roles: &[u64]) -> Vec<String> {
    let mut problems: Vec<String> = unneutralised_hidden(text, &['@', '<'])
        .into_iter()
        .map(|h| format!("hidden character {h}"))
        .collect();
    let blocks: Vec<&str> = text.split("```").collect();
    if blocks.len() % 2 == 0 {
        problems.push("an unclosed code block".into());
    }
    for (n, block) in blocks.iter().enumerate() {
        if n % 2 == 1 {
            if block.contains('`') {
                problems.push(format!("a backtick inside a code block: {block:?}"));
            }
            continue;
        }
        let chars: Vec<char> = block.chars().collect();
        let mut i = 0;
        let mut line_start = true;
        while i < chars.len() {
            let c = chars[i];
            let rest: String = chars[i..].iter().take(24).collect();
            if c == '\n' {
                line_start = true;
                i += 1;
                continue;
            }
            if line_start && c != ' ' {
                line_start = false;
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                let after_digits = &rest[digits..];
                if ["- ", "-#", "+ ", "* ", "> "]
                    .iter()
                    .any(|m| rest.starts_with(m))
                    || (digits > 0
                        && (after_digits.starts_with(". ") || after_digits.starts_with(") ")))
                {
                    problems.push(format!("a line starts a list, heading or quote: {rest:?}"));
                }
            }
            match c {
                '\\' => {
                    i += if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) {
                        2
                    } else {
                        1
                    };
                    continue;
                }
                '|' | '[' | ']' | '~' | '_' | '>' | '#' => {
                    problems.push(format!("unescaped {c:?} at {rest:?}"));
                }
                '*' if chars.get(i + 1) == Some(&'*') => {
                    i += 2;
                    continue;
                }
                '*' => problems.push(format!("a lone unescaped * at {rest:?}")),
                '`' => {
                    // Inline code: our refs. It must close on the same line.
                    match chars[i + 1..].iter().position(|&x| x == '`' || x == '\n') {
                        Some(end) if chars[i + 1 + end] == '`' => {
                            i += end + 2;
                            continue;
                        }
                        _ => problems.push(format!("an unclosed backtick at {rest:?}")),
                    }
                }
                '<' => {
                    let mention = |prefix: &str, ids: &[u64]| {
                        ids.iter()
                            .any(|id| rest.starts_with(&format!("{prefix}{id}>")))
                    };
                    if chars.get(i + 1) == Some(&'\u{200B}') {
                    } else if mention("<@", users) || mention("<@&", roles) {
                        i += rest.find('>').unwrap() + 1;
                        continue;
                    } else if rest.starts_with("<https://") || rest.starts_with("<http://") {
                        // A link shown without a preview; it ends at a space or `>`.
                        let end = chars[i..]
                            .iter()
                            .position(|&x| x == '>' || x.is_whitespace())
                            .unwrap_or(chars.len() - i);
                        i += end + 1;
                        continue;
                    } else {
                        problems.push(format!("a live < at {rest:?}"));
                    }
                }
                '@' if rest.starts_with("@everyone") || rest.starts_with("@here") => {
                    problems.push(format!("a live {rest:?}"));
                }
                _ => {}
            }
            i += 1;
        }
    }
    problems
}

/// Every text of a message that Discord shows.
fn discord_texts(m: &Message) -> Vec<String> {
    let mut texts = vec![m.content.clone()];
    for e in &m.embeds {
        texts.push(e.title.clone());
        texts.push(e.description.clone());
        for (name, value, _) in &e.fields {
            texts.push(name.clone());
            texts.push(value.clone());
        }
        texts.extend(e.footer.clone());
    }
    texts
}

fn assert_inert_in_discord(messages: &[Message], context: &str) {
    for m in messages {
        assert_within_limits(m);
        for text in discord_texts(m) {
            let problems = discord_problems(&text, &m.ping_users, &m.ping_roles);
            assert!(problems.is_empty(), "{context}: {problems:#?}\nin {text}");
        }
    }
}

/// What a reader sees of escaped Discord text: escapes and mention breakers removed, links
/// unwrapped.
fn discord_reads(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => {
                out.extend(chars.next());
            }
            '\u{200B}' if out.ends_with(['@', '<']) => {}
            _ => out.push(c),
        }
    }
    out.replace("<https://", "https://")
        .replace("<http://", "http://")
        .replace(".pdf>", ".pdf")
}

/// `text` as people should read it: the hidden characters gone (joiners inside words kept).
fn as_read(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let kept = |x: Option<&char>| x.is_some_and(|x| !x.is_whitespace() && !hidden(*x));
    for (i, &c) in chars.iter().enumerate() {
        let keep = match c {
            '\u{200C}' | '\u{200D}' => {
                kept(i.checked_sub(1).map(|p| &chars[p])) && kept(chars.get(i + 1))
            }
            '\u{E0020}'..='\u{E007F}' => text.contains(ENGLAND),
            c => !hidden(c),
        };
        if keep {
            out.push(c);
        }
    }
    out
}

/// The Markdown's structure: every tag opened, in order, and whether it holds user text.
fn markdown_structure(md: &str) -> Vec<String> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    Parser::new_ext(md, options)
        .filter_map(|e| match e {
            Event::Start(Tag::TableCell | Tag::TableRow | Tag::TableHead) => None,
            Event::Start(tag) => Some(format!("{tag:?}")),
            Event::Html(h) => Some(format!("html {h}")),
            Event::Code(c) => Some(format!("code {c}")),
            Event::FootnoteReference(f) => Some(format!("footnote {f}")),
            Event::HardBreak => Some("hard break".into()),
            Event::Rule => Some("rule".into()),
            _ => None,
        })
        .collect()
}

/// Table rows and their cell counts, which user text must not change.
fn markdown_tables(md: &str) -> Vec<usize> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    let mut rows = Vec::new();
    let mut cells = 0;
    for e in Parser::new_ext(md, options) {
        match e {
            Event::Start(Tag::TableRow | Tag::TableHead) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(Tag::TableRow | Tag::TableHead) => rows.push(cells),
            _ => {}
        }
    }
    rows
}

/// The text a Markdown reader sees.
fn markdown_reads(md: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    for e in Parser::new_ext(md, options) {
        match e {
            Event::Text(t) | Event::Code(t) | Event::Html(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// The same record with plain text in place of each hostile text.
fn plain_twin(texts: &[String]) -> Vec<String> {
    (0..texts.len())
        .map(|i| format!("plain text {i}"))
        .collect()
}

/// Slack's formatting characters outside a zero-width-space guard: the only ones left must be
/// our own, so there are as many as in the plain twin's body.
fn slack_live_formatting(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .filter(|&i| matches!(chars[i], '*' | '_' | '~' | '`'))
        .filter(|&i| {
            let guarded = |j: Option<usize>| j.and_then(|j| chars.get(j)) == Some(&'\u{200B}');
            !(guarded(i.checked_sub(1)) && guarded(Some(i + 1)))
        })
        .count()
}

fn check_webhooks(hostile: &Rendered, plain: &Rendered, context: &str) {
    for (n, md) in hostile.markdown.iter().enumerate() {
        let title = &hostile.webhook_titles[n.min(1)];
        let slack = webhook::body(WebhookKind::Slack, title, md);
        let twin = webhook::body(
            WebhookKind::Slack,
            &plain.webhook_titles[n.min(1)],
            &plain.markdown[n],
        );
        let text = slack["text"].as_str().expect("Slack text is a string");
        // Slack reads <…> as a command (<!channel>, <@U…>, links); there must be none, and
        // every & must start one of the three entities Slack decodes.
        assert!(
            !text.contains('<') && !text.contains('>'),
            "{context}: Slack text has < or >:\n{text}"
        );
        for (i, _) in text.match_indices('&') {
            assert!(
                ["&amp;", "&lt;", "&gt;"]
                    .iter()
                    .any(|e| text[i..].starts_with(e)),
                "{context}: a bare & in Slack text at {}",
                &text[i..(i + 12).min(text.len())]
            );
        }
        assert_eq!(
            slack_live_formatting(text),
            slack_live_formatting(twin["text"].as_str().unwrap()),
            "{context}: Slack formatting characters from typed text are live:\n{text}"
        );
        // Slack guards a formatting character with a zero-width space on each side; no other
        // hidden character may be left.
        let unguarded = ['*', '_', '~', '`'].iter().fold(text.to_string(), |t, c| {
            t.replace(&format!("\u{200B}{c}\u{200B}"), &c.to_string())
        });
        let left = unneutralised_hidden(&unguarded, &[]);
        assert!(left.is_empty(), "{context}: {left:?} in Slack text");
        assert_eq!(
            slack["unfurl_links"], false,
            "typed links are not previewed"
        );

        let teams = webhook::body(WebhookKind::Teams, title, md);
        let twin = webhook::body(
            WebhookKind::Teams,
            &plain.webhook_titles[n.min(1)],
            &plain.markdown[n],
        );
        let card = &teams["attachments"][0]["content"]["body"];
        let twin_card = &twin["attachments"][0]["content"]["body"];
        for block in 0..2 {
            let text = card[block]["text"].as_str().unwrap();
            assert_eq!(
                markdown_structure(text),
                markdown_structure(twin_card[block]["text"].as_str().unwrap()),
                "{context}: typed text changes the Teams card's Markdown:\n{text}"
            );
            assert!(!text.contains("<at>"), "{context}: a Teams mention: {text}");
            assert!(
                unneutralised_hidden(text, &[]).is_empty(),
                "{context}: hidden characters in Teams text"
            );
        }
        // Both are JSON as sent.
        serde_json::from_str::<Value>(&slack.to_string()).unwrap();
        serde_json::from_str::<Value>(&teams.to_string()).unwrap();
    }
}

fn check_markdown(hostile: &Rendered, plain: &Rendered, texts: &[String], context: &str) {
    for (md, twin) in hostile.markdown.iter().zip(&plain.markdown) {
        assert_eq!(
            markdown_structure(md),
            markdown_structure(twin),
            "{context}: typed text changes the Markdown's structure:\n{md}"
        );
        assert_eq!(
            markdown_tables(md),
            markdown_tables(twin),
            "{context}: table cells\n{md}"
        );
        let hidden_left = unneutralised_hidden(md, &[]);
        assert!(
            hidden_left.is_empty(),
            "{context}: {hidden_left:?} in Markdown"
        );
        // What the reader sees is what was typed (one line, hidden characters gone).
        let reads = markdown_reads(md);
        for t in texts {
            let want = as_read(t).replace(['\n', '\r'], " ");
            assert!(
                reads.contains(want.trim()),
                "{context}: the Markdown does not read {want:?}:\n{reads}"
            );
        }
    }
}

#[test]
fn every_renderer_shows_each_hostile_text_inert_and_as_typed() {
    for text in corpus() {
        let texts = vec![text.clone()];
        let context = format!("{:?}", text.chars().take(60).collect::<String>());
        let hostile = render(&texts);
        let plain = render(&plain_twin(&texts));
        assert_inert_in_discord(&hostile.discord, &context);
        // The reader sees what was typed (shortened where lists are), not escapes.
        let short = as_read(&text);
        if short.chars().count() <= 50 {
            let shown: String = hostile
                .discord
                .iter()
                .flat_map(discord_texts)
                .map(|t| discord_reads(&t))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                shown.contains(&short),
                "{context}: Discord does not read {short:?}:\n{shown}"
            );
        }
        check_markdown(&hostile, &plain, &texts, &context);
        check_webhooks(&hostile, &plain, &context);
        // The board paper: the same elements as the plain twin's (no typed tag, attribute or
        // entity takes effect), and nothing hidden.
        let paper = html::digest_html(&hostile.digest, None, as_of());
        assert_eq!(
            html_tags(&paper),
            html_tags(&html::digest_html(&plain.digest, None, as_of())),
            "{context}: the paper's structure changed"
        );
        assert!(
            unneutralised_hidden(&paper, &[]).is_empty(),
            "{context}: hidden characters in the paper"
        );
        // JSON is data: the text exactly as stored.
        let v = json_render::digest_json(&hostile.digest);
        assert_eq!(v["overdue"][0]["title"].as_str(), Some(text.as_str()));
        assert_eq!(v["overdue"][0]["owner"].as_str(), Some(text.as_str()));
        assert_eq!(
            v["by_borough"][0]["borough"]
                .as_str()
                .or(v["by_borough"][0]["name"].as_str()),
            Some(text.as_str())
        );
        // The chart draws, whatever its labels, and labels are cut and clean.
        let label = chart::label(&text, 30);
        assert!(label.chars().count() <= 30, "{context}: label {label:?}");
        assert!(
            unneutralised_hidden(&label, &[]).is_empty(),
            "{context}: label {label:?}"
        );
        let png = chart::digest_chart(&hostile.digest).expect("the chart renders");
        let image = image::load_from_memory(&png).expect("the chart is a PNG");
        assert_eq!(image.width(), 1000);
    }
}

#[test]
fn the_whole_corpus_at_once_stays_within_limits_and_inert() {
    let texts = corpus();
    let hostile = render(&texts);
    let plain = render(&plain_twin(&texts));
    assert_inert_in_discord(&hostile.discord, "the whole corpus");
    check_markdown(&hostile, &plain, &texts, "the whole corpus");
    check_webhooks(&hostile, &plain, "the whole corpus");
    let png = chart::digest_chart(&hostile.digest).expect("the chart renders");
    image::load_from_memory(&png).expect("the chart is a PNG");
}

#[test]
fn history_and_settings_lines_show_hostile_text_inert() {
    let tz = TimeZone::parse("Europe/London").unwrap();
    for text in corpus().into_iter().chain(multiline()) {
        let update = StatusUpdate {
            subject: SubjectKind::Action,
            reference: r("ACT-001"),
            at: at(d(2026, 9, 1)),
            by: text.clone(),
            change: ChangeKind::Details,
            old_value: Some(text.clone()),
            new_value: Some(text.clone()),
            note: Some(text.clone()),
            evidence: Some(text.clone()),
        };
        let line = history_line(&update, &tz);
        let problems = discord_problems(&line, &[], &[]);
        assert!(problems.is_empty(), "{problems:#?}\nin {line}");
        let change = SettingChange {
            at: at(d(2026, 9, 1)),
            by: text.clone(),
            setting: "board.name".into(),
            old_value: Some(text.clone()),
            new_value: Some(text.clone()),
        };
        let line = setting_line(&change, tz);
        let problems = discord_problems(&line, &[], &[]);
        assert!(problems.is_empty(), "{problems:#?}\nin {line}");
    }
}

/// The corpus's digest, reminder and brief posted through the fake Discord, which refuses what
/// Discord refuses.
#[tokio::test]
async fn hostile_posts_are_accepted_by_discord() {
    let fake = FakeDiscord::start(vec![guild()]).await;
    let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
    let http = Arc::new(http_client(&connection));
    let texts = corpus();
    let mut messages = render(&texts).discord;
    for t in texts.iter().step_by(3) {
        messages.extend(render(std::slice::from_ref(t)).discord);
    }
    for (n, m) in messages.iter().enumerate() {
        post_message(
            &http,
            serenity::ChannelId::new(DIGEST_CHANNEL),
            m,
            &format!("hostile-{n}"),
        )
        .await
        .unwrap_or_else(|e| panic!("message {n} refused: {e:?}"));
    }
    assert_eq!(fake.channel_messages(DIGEST_CHANNEL).len(), messages.len());
    assert!(fake.violations().is_empty(), "{:#?}", fake.violations());
}

/// Slash-command replies about hostile records, through the real bot.
#[tokio::test]
async fn slash_command_replies_show_hostile_records_inert() {
    let bot = TestBot::start().await;
    let store = &bot.db.store;
    let now = Utc::now();
    let texts = corpus();
    for (i, text) in texts.iter().enumerate().step_by(2) {
        let author = briefing_bot::services::actions::Author {
            by: text,
            at: now - Duration::days(1),
        };
        let rec = Recommendation {
            reference: r(&format!("HR-{i:03}")),
            title: text.clone(),
            text: Some(format!("{text}\n{}", multiline()[0])),
            source: Some(Source {
                title: text.clone(),
                published_on: None,
            }),
            theme: Some(text.clone()),
            owner: Some(text.clone()),
            priority: Priority(false),
            response: Response::Pending,
            status: RecommendationStatus::Open,
            response_due: None,
        };
        add_recommendation(store, &bot.board, &rec, &author)
            .await
            .unwrap();
        let action = Action {
            reference: r(&format!("HA-{i:03}")),
            recommendation: Some(rec.reference.clone()),
            title: text.clone(),
            owner: text.clone(),
            borough: Some(text.clone()),
            officer: Some(OfficerId::new(OFFICER)),
            due: d(2010, 9, 1),
            status: ActionStatus::OffTrack,
            completed_on: None,
            awaiting_sign_off: false,
        };
        add_action(store, &bot.board, &action, &author)
            .await
            .unwrap();
        let note: String = format!("{text}\n{}", multiline()[1])
            .chars()
            .take(900)
            .collect();
        let note = Text::multiline(&note, Text::NOTE_MAX).unwrap();
        update_action_status(
            store,
            &bot.board,
            &action.reference,
            ActionStatus::AtRisk,
            Some(&note),
            Some(&note),
            &author,
        )
        .await
        .unwrap();
    }
    let mut replies = Vec::new();
    for i in (0..texts.len()).step_by(2) {
        replies.push(
            bot.run(
                MEMBER,
                "action show",
                json!([{"name": "action", "type": 3, "value": format!("HA-{i:03}")}]),
            )
            .await,
        );
        replies.push(
            bot.run(
                MEMBER,
                "rec show",
                json!([{"name": "ref", "type": 3, "value": format!("HR-{i:03}")}]),
            )
            .await,
        );
        replies.push(
            bot.run(
                MEMBER,
                "history",
                json!([{"name": "ref", "type": 3, "value": format!("HA-{i:03}")}]),
            )
            .await,
        );
    }
    replies.push(bot.run(MEMBER, "overdue", json!([])).await);
    replies.push(bot.run(MEMBER, "action list", json!([])).await);
    replies.push(bot.run(MEMBER, "rec list", json!([])).await);
    for reply in &replies {
        assert!(!reply.messages().is_empty(), "no answer: {reply:?}");
        for m in reply.messages() {
            let mut texts = vec![m["content"].as_str().unwrap_or("").to_string()];
            for e in m["embeds"].as_array().into_iter().flatten() {
                for k in ["title", "description"] {
                    texts.extend(e[k].as_str().map(String::from));
                }
                for f in e["fields"].as_array().into_iter().flatten() {
                    texts.extend(f["name"].as_str().map(String::from));
                    texts.extend(f["value"].as_str().map(String::from));
                }
                texts.extend(e["footer"]["text"].as_str().map(String::from));
            }
            for t in texts {
                let problems = discord_problems(&t, &[OFFICER], &[]);
                assert!(problems.is_empty(), "{problems:#?}\nin {t}");
            }
        }
    }
    assert!(
        bot.fake.violations().is_empty(),
        "{:#?}",
        bot.fake.violations()
    );
    bot.stop().await;
}
