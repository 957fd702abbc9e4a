//! The fuzz targets' bodies, shared by the fuzzers (`fuzz/fuzz_targets/*.rs`, one line each)
//! and by the regression test that replays the kept corpus and every input that once failed
//! (`tests/it/fuzz_regressions.rs`, which includes this file as a module).
//!
//! Each target takes the fuzzer's bytes, feeds them to the parser a person or a server
//! reaches, and asserts what must hold of the answer: beyond not panicking, that what was
//! accepted prints back to something that parses to the same value, stays within its
//! limits, and keeps its promises (nothing that pings, no dangling escape). Only the bot's
//! library and the crates it already builds are used, so the regression test needs nothing
//! more.

use std::sync::atomic::{AtomicU64, Ordering};

use briefing_bot::config::Settings;
use briefing_bot::delivery::{RetryAfter, MAX_RETRY_AFTER};
use briefing_bot::digest::render::discord::{escape, fit, join_within, limits};
use briefing_bot::digest::render::text::visible;
use briefing_bot::discord::commands::{date_option, note_option, ref_option, text_option};
use briefing_bot::domain::{
    format_long_date, parse_date, parse_timestamp, ActionStatus, BoardSlug, DateError, OfficerId,
    Priority, RecommendationStatus, Ref, RefError, Response, Schedule, Text, TimeZone, WebhookUrl,
    EARLIEST_DATE, LATEST_DATE,
};
use briefing_bot::services::import::{check_file, ImportError, RecordKind};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

/// The input as text, as every text parser receives it (Discord and the CLI hand over
/// strings; a file's bytes go through the CSV target instead).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// CSV import, both kinds: the checks `import_csv` makes before it writes.
pub fn csv_import(data: &[u8]) {
    // A record ends at a line break, so a file has at most one record per break plus one,
    // and the header is one of them.
    let breaks = data.iter().filter(|b| matches!(b, b'\n' | b'\r')).count();
    for kind in [RecordKind::Recommendations, RecordKind::Actions] {
        match check_file(data, kind) {
            Ok(rows) => assert!(rows <= breaks, "{rows} records from {breaks} line breaks"),
            Err(problems) => {
                assert!(!problems.is_empty(), "refused without a reason");
                for p in &problems {
                    assert!(!p.message.is_empty(), "a problem without a message: {p:?}");
                }
                // The message the person reads, every problem listed.
                let error = ImportError::Invalid {
                    file: "board.csv".into(),
                    problems,
                };
                assert!(error.to_string().contains("nothing was imported"));
            }
        }
    }
}

/// What a parsed date must satisfy: in range, and every form the bot prints it in (and
/// every form people write) reads back as the same day.
fn check_date(date: NaiveDate) {
    assert!((EARLIEST_DATE..=LATEST_DATE).contains(&date), "{date}");
    for form in [
        date.format("%Y-%m-%d").to_string(),
        date.format("%d/%m/%Y").to_string(),
        date.format("%-d %b %Y").to_string(),
        date.format("%-d %B %Y").to_string(),
        format_long_date(date),
    ] {
        assert_eq!(parse_date(&form), Ok(date), "{form:?}");
    }
}

/// The date parser (every accepted form) and the timestamp parser.
pub fn dates(data: &[u8]) {
    let Some(input) = text(data) else { return };
    match parse_date(input) {
        Ok(date) => {
            check_date(date);
            // Surrounding space is never part of a date.
            assert_eq!(parse_date(&format!(" {input}\t")), Ok(date));
        }
        Err(e) => {
            let shown = match &e {
                DateError::Format(s)
                | DateError::NoSuchDay(s)
                | DateError::OutOfRange(s)
                | DateError::Timestamp(s) => s,
            };
            assert_eq!(shown, input.trim(), "the error quotes what was typed");
            assert!(!e.to_string().is_empty());
        }
    }
    if let Ok(at) = parse_timestamp(input) {
        let stored = at.to_rfc3339_opts(SecondsFormat::Nanos, true);
        assert_eq!(parse_timestamp(&stored), Ok(at), "{stored}");
    }
}

/// The ref parsers: record refs, board slugs and Discord user ids.
pub fn refs(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    match Ref::parse(input) {
        Ok(r) => {
            assert_eq!(r.as_str(), input.trim());
            assert!((1..=Ref::MAX_LEN).contains(&r.as_str().chars().count()));
            assert!(r.as_str().chars().all(allowed), "{r}");
            assert_eq!(Ref::parse(&r.to_string()), Ok(r.clone()));
            assert_eq!(input.parse::<Ref>(), Ok(r));
        }
        Err(RefError::Empty) => assert!(input.trim().is_empty()),
        Err(RefError::TooLong(n)) => {
            assert_eq!(n, input.trim().chars().count());
            assert!(n > Ref::MAX_LEN);
        }
        Err(RefError::BadChar(c)) => assert!(input.contains(c) && !allowed(c)),
        Err(e) => panic!("a ref refused as {e:?}"),
    }
    if let Ok(slug) = BoardSlug::parse(input) {
        assert_eq!(BoardSlug::parse(slug.as_str()), Ok(slug.clone()));
        assert_eq!(slug.to_string(), input.trim());
    }
    if let Ok(officer) = OfficerId::parse(input) {
        // The id is stored and exported as its number, and a mention names it.
        for form in [
            officer.to_string(),
            format!("<@{officer}>"),
            format!("<@!{officer}>"),
        ] {
            assert_eq!(
                OfficerId::parse(&form),
                Ok(officer),
                "{input:?} as {form:?}"
            );
        }
    }
}

/// The input's first bytes as a number (little-endian), and the rest.
fn take<const N: usize>(data: &[u8]) -> Option<([u8; N], &[u8])> {
    let head = data.get(..N)?.try_into().ok()?;
    Some((head, &data[N..]))
}

/// The cron parser, and the fire times it gives over two years from a fuzzed instant in a
/// fuzzed zone. Input: 2 bytes choosing the zone, 8 choosing the instant (1990–2099, to the
/// nanosecond), then the cron expression.
pub fn schedule(data: &[u8]) {
    let Some((zone, data)) = take::<2>(data) else {
        return;
    };
    let Some((instant, data)) = take::<8>(data) else {
        return;
    };
    let Some(expression) = text(data) else { return };
    let Ok(schedule) = Schedule::parse(expression) else {
        return;
    };
    // Stored as text and read back.
    assert_eq!(
        Schedule::parse(&schedule.to_string()).as_ref(),
        Ok(&schedule)
    );
    assert_eq!(Schedule::parse(schedule.written()).as_ref(), Ok(&schedule));
    if let Some(frequent) = schedule.frequent() {
        assert!(!frequent.to_string().is_empty());
        // The suggestion is itself a schedule that is not frequent.
        let guess = Schedule::parse(&frequent.guess).expect("the guess parses");
        assert!(guess.frequent().is_none(), "{}", frequent.guess);
    }

    let zones = chrono_tz::TZ_VARIANTS;
    let tz = TimeZone(zones[usize::from(u16::from_le_bytes(zone)) % zones.len()]);
    let start = instant_in_range(u64::from_le_bytes(instant));
    let end = start + Duration::days(2 * 366);

    // Walk the fires: each is after the one before, is a fire (the next after just before
    // it, the latest at or before it), and the latest at or before any instant leads to the
    // same next fire as that instant does.
    const MOST_FIRES: usize = 400;
    let mut fires = Vec::new();
    let mut from = start;
    while fires.len() < MOST_FIRES {
        let Some(fire) = schedule.next_after(&tz, from) else {
            break;
        };
        assert!(
            fire > from,
            "{schedule} in {tz}: {fire} is not after {from}"
        );
        if fire > end {
            break;
        }
        assert_eq!(
            schedule.next_after(&tz, fire - Duration::nanoseconds(1)),
            Some(fire),
            "{schedule} in {tz}: the fire {fire} is not next just before it"
        );
        assert_eq!(
            schedule.latest_at_or_before(&tz, fire, fire),
            Some(fire),
            "{schedule} in {tz}: the fire {fire} is not the latest at itself"
        );
        fires.push(fire);
        from = fire;
    }
    assert_eq!(
        schedule.upcoming(&tz, start, fires.len().min(5)),
        fires[..fires.len().min(5)],
        "{schedule} in {tz}: upcoming differs from the walk"
    );
    // A schedule firing often covers little of two years in its first fires: probe the rest
    // at instants spread over them.
    const PROBES: i64 = 48;
    let step = (end - start) / PROBES as i32;
    for i in 0..=PROBES {
        let at = start + step * i as i32;
        let next = schedule.next_after(&tz, at);
        if let Some(next) = next {
            assert!(next > at, "{schedule} in {tz}: {next} is not after {at}");
        }
        if let Some(latest) = schedule.latest_at_or_before(&tz, at, start - Duration::days(400)) {
            assert!(latest <= at, "{schedule} in {tz}: {latest} is after {at}");
            assert_eq!(
                schedule.next_after(&tz, latest),
                next,
                "{schedule} in {tz}: at {at} the latest fire {latest} leads elsewhere"
            );
        }
    }
}

/// An instant from 1990 to 2099, at any nanosecond.
fn instant_in_range(n: u64) -> DateTime<Utc> {
    let first = EARLIEST_DATE.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let last = LATEST_DATE.and_hms_opt(23, 59, 59).unwrap().and_utc();
    let span = (last - first).num_nanoseconds().unwrap() as u64;
    first + Duration::nanoseconds((n % span) as i64)
}

/// Where each run of the config target writes its file (per process and thread, so the
/// regression test's threads do not share one).
fn config_path() -> std::path::PathBuf {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "briefing-fuzz-config-{}-{:?}-{}.toml",
        std::process::id(),
        std::thread::current().id(),
        run % 4
    ))
}

/// The configuration file, loaded as `--config FILE` is.
pub fn config(data: &[u8]) {
    let path = config_path();
    std::fs::write(&path, data).expect("write the config file");
    let loaded = Settings::load(Some(&path));
    std::fs::remove_file(&path).ok();
    match loaded {
        Ok(settings) => {
            // Load checked everything the bot reads later, so none of it fails now.
            settings
                .board_settings()
                .expect("board settings were checked");
            settings.discord.shard_range().expect("shards were checked");
            settings
                .discord
                .lease_term()
                .expect("the lease was checked");
            settings.log.format().expect("the log format was checked");
            settings
                .schedule
                .claim_lease()
                .expect("the lease was checked");
            let shown = format!("{settings:?}");
            let url = settings.database_url(None);
            assert!(!shown.is_empty() && !url.redacted().is_empty());
        }
        Err(e) => assert!(e.to_string().starts_with("configuration problem: ")),
    }
}

/// What must hold of any `Retry-After` the bot accepts: the wait it gives is bounded.
fn check_retry_after(value: &str) -> Option<RetryAfter> {
    let parsed = RetryAfter::parse(value)?;
    if let RetryAfter::Wait(wait) = parsed {
        assert!(wait <= MAX_RETRY_AFTER, "{value:?} waits {wait:?}");
    }
    let nows = [
        DateTime::<Utc>::MIN_UTC,
        DateTime::from_timestamp(0, 0).unwrap(),
        DateTime::from_timestamp(1_445_410_800, 0).unwrap(),
        DateTime::<Utc>::MAX_UTC,
    ];
    for now in nows {
        assert!(
            parsed.wait_from(now) <= MAX_RETRY_AFTER,
            "{value:?} from {now}"
        );
    }
    if let RetryAfter::Until(at) = parsed {
        assert_eq!(parsed.wait_from(at), std::time::Duration::ZERO);
    }
    Some(parsed)
}

/// `Retry-After` as any server sends it, and as Discord answers a refused post: the input's
/// first line is a header value, the rest the response body (Discord's `retry_after` is read
/// from the body as the delivery code does: the JSON number's text, parsed the same way).
pub fn retry_after(data: &[u8]) {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    // A header value reaches the parser only as visible ASCII (reqwest's `to_str`).
    if header
        .iter()
        .all(|b| *b == b'\t' || (b' '..=b'~').contains(b))
    {
        let header = std::str::from_utf8(header).expect("ASCII");
        check_retry_after(header);
    }
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    if let serde_json::Value::Number(n) = &value["retry_after"] {
        check_retry_after(&n.to_string());
    }
}

/// Undo [`escape`]: a backslash escapes the next character, and the zero-width space after
/// `@` and `<` goes. `None` when the text is not something escape could have produced, or
/// (when `cut`) the start of it: a cut may fall between `@` or `<` and its space, since `…`
/// follows and nothing can ping, but never after an escaping backslash.
fn unescape(escaped: &str, cut: bool) -> Option<String> {
    let mut out = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            // A web address is shown as `<https://…>`: the brackets are the escape's own.
            '<' if chars
                .as_str()
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("http")) =>
            {
                let rest = chars.as_str();
                let end = rest.find('>')?;
                out.push_str(&rest[..end]);
                chars = rest[end + 1..].chars();
            }
            '@' | '<' => {
                out.push(c);
                match chars.next() {
                    Some('\u{200B}') => {}
                    None if cut => {}
                    _ => return None,
                }
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// What must hold of text the bot accepted from an option: trimmed, within its limit, only
/// the control characters allowed, and parsing it again changes nothing.
fn check_text(text: &Text, max: usize, multiline: bool) {
    let s = text.as_str();
    assert!(!s.is_empty() && s.trim() == s, "{s:?}");
    assert!(s.chars().count() <= max, "{s:?} is over {max}");
    assert!(
        s.chars()
            .all(|c| !c.is_control() || (multiline && c == '\n')),
        "{s:?}"
    );
    let again = if multiline {
        Text::multiline(s, max)
    } else {
        Text::line(s, max)
    };
    assert_eq!(again.as_ref(), Ok(text));
}

/// The text of slash-command options, through the parsers the commands apply to it (refs,
/// dates, titles, names, notes, statuses, zones, board names, webhook URLs) and the escaping
/// and shortening every reply applies to user text. The input's first byte also picks a
/// length to shorten to.
pub fn slash_options(data: &[u8]) {
    let Some(input) = text(data) else { return };

    // Each option parser accepts exactly what the domain parser does, and a refusal says why.
    let refusal = |e: briefing_bot::discord::error::BotError| {
        let message = e
            .user_message()
            .expect("a refused option is the user's to fix");
        assert!(!message.is_empty());
    };
    match ref_option(input) {
        Ok(r) => assert_eq!(Ref::parse(input), Ok(r)),
        Err(e) => refusal(e),
    }
    match date_option("due", input) {
        Ok(date) => check_date(date),
        Err(e) => refusal(e),
    }
    for max in [Text::TITLE_MAX, Text::NAME_MAX] {
        match text_option("title", input, max) {
            Ok(t) => check_text(&t, max, false),
            Err(e) => refusal(e),
        }
    }
    match note_option("note", Some(input)) {
        Ok(Some(t)) => check_text(&t, Text::NOTE_MAX, true),
        Ok(None) => assert!(input.trim().is_empty()),
        Err(e) => refusal(e),
    }
    if let Ok(t) = Text::multiline(input, Text::BODY_MAX) {
        check_text(&t, Text::BODY_MAX, true);
    }

    // The closed vocabularies: what is accepted prints in a form that reads back the same.
    macro_rules! vocabulary {
        ($($kind:ty),+) => {$(
            if let Ok(v) = <$kind>::parse(input) {
                assert_eq!(<$kind>::parse(v.as_str()), Ok(v));
                assert_eq!(<$kind>::parse(&v.label()), Ok(v));
            }
        )+};
    }
    vocabulary!(ActionStatus, RecommendationStatus, Response);
    if let Ok(p) = Priority::parse(input) {
        assert_eq!(Priority::parse(p.as_str()), Ok(p));
    }
    if let Ok(zone) = TimeZone::parse(input) {
        assert_eq!(TimeZone::parse(zone.name()), Ok(zone));
    }
    if let Ok(slug) = BoardSlug::parse(input) {
        assert_eq!(BoardSlug::parse(slug.as_str()), Ok(slug));
    }
    if let Ok(url) = WebhookUrl::parse(input) {
        // The URL is the credential: only its host and last four characters show.
        let shown = url.redacted();
        assert!(
            shown.starts_with("https://") && shown.contains('…'),
            "{shown}"
        );
        assert!(format!("{url:?}").contains(&shown));
    }

    // Escaping: nothing pings, nothing formats, and the text is all still there.
    let escaped = escape(input);
    // What is shown is the text without its hidden characters (see render::text).
    let plain: String = visible(input).chars().filter(|c| *c != '\r').collect();
    assert_eq!(unescape(&escaped, false).as_deref(), Some(plain.as_str()));
    for mention in ["@everyone", "@here", "<@", "<#"] {
        assert!(!escaped.contains(mention), "{escaped:?} holds {mention}");
    }
    // Shortening: within the limit, a prefix of the text, never cutting an escape in two.
    let chosen = usize::from(data.first().copied().unwrap_or(1)).max(1);
    for max in [
        chosen,
        80,
        100,
        limits::EMBED_TITLE,
        limits::FIELD_VALUE,
        limits::CONTENT,
    ] {
        let short = fit(&escaped, max);
        assert!(short.chars().count() <= max, "{short:?} is over {max}");
        if escaped.chars().count() <= max {
            assert_eq!(short, escaped);
        } else {
            let kept = short.strip_suffix('…').expect("a cut ends with …");
            let kept = unescape(kept, true).unwrap_or_else(|| panic!("{kept:?} cuts an escape"));
            assert!(
                plain.starts_with(&kept),
                "{kept:?} is not the start of {plain:?}"
            );
        }
        assert!(fit(input, max).chars().count() <= max);
    }
    // A list of lines joined within a limit (replies list records this way), as long as the
    // limit leaves room to say how many were left out.
    let lines: Vec<String> = input.split('\n').map(escape).collect();
    let tail = format!("…and {} more", lines.len()).chars().count();
    for max in [chosen, limits::FIELD_VALUE] {
        if max >= tail {
            let joined = join_within(&lines, max);
            assert!(joined.chars().count() <= max, "{joined:?} is over {max}");
        }
    }
}
