//! The digest and the reminder: the CLI contract on the sample board, snapshots of what people
//! read, Discord's limits on a huge board, generated boards, and the loader on both backends.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, TimeZone as _, Utc};
use proptest::prelude::*;

use briefing_bot::digest::render::discord::{digest_messages, limits, reminder_messages, Message};
use briefing_bot::digest::render::{json, markdown};
use briefing_bot::digest::{build_digest, build_reminder, load_digest, load_reminder, DigestInput};
use briefing_bot::domain::{
    Action, ActionStatus, Board, BoardSettings, BoardSlug, OfficerId, Ref, TimeZone, YearStartMonth,
};
use briefing_bot::sample::{load_sample_board, SAMPLE_AS_OF};

use crate::on_both_backends;
use crate::support::db::{sqlite, TestDb};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Every Discord limit, checked on one message.
pub fn assert_within_limits(message: &Message) {
    assert!(
        message.content.chars().count() <= limits::CONTENT,
        "content too long"
    );
    assert!(
        message.embeds.len() <= limits::EMBEDS_PER_MESSAGE,
        "too many embeds"
    );
    assert!(
        message.files.len() <= limits::FILES_PER_MESSAGE,
        "too many files"
    );
    let mut total = 0;
    for e in &message.embeds {
        assert!(
            e.title.chars().count() <= limits::EMBED_TITLE,
            "title {}",
            e.title
        );
        assert!(
            e.description.chars().count() <= limits::EMBED_DESCRIPTION,
            "description"
        );
        assert!(e.fields.len() <= limits::EMBED_FIELDS, "fields");
        for (name, value, _) in &e.fields {
            assert!(
                name.chars().count() <= limits::FIELD_NAME,
                "field name {name}"
            );
            assert!(
                value.chars().count() <= limits::FIELD_VALUE,
                "field value of {name}"
            );
            assert!(
                !value.is_empty(),
                "Discord refuses empty field values ({name})"
            );
        }
        if let Some(f) = &e.footer {
            assert!(f.chars().count() <= limits::FOOTER, "footer");
        }
        total += e.size();
    }
    assert!(
        total <= limits::EMBEDS_TOTAL,
        "{total} characters across embeds"
    );
    // Nobody but the listed users and roles can be pinged, and never everyone/here.
    assert!(!message.content.contains("@everyone") && !message.content.contains("@here"));
}

async fn sample() -> (TestDb, Board) {
    let db = sqlite().await;
    let (board, _) = load_sample_board(&db.store).await.unwrap();
    (db, board)
}

#[tokio::test]
async fn the_digest_json_follows_the_contract_on_the_sample_board() {
    let (db, board) = sample().await;
    let digest = load_digest(&db.store, &board, SAMPLE_AS_OF).await.unwrap();
    let v = json::digest_json(&digest);
    assert_eq!(v["period"]["start"], "2010-07-01");
    assert_eq!(v["period"]["end"], "2010-09-30");
    assert_eq!(v["as_of"], "2010-10-01");
    assert_eq!(v["totals"]["actions"], 62);
    let by_status = v["totals"]["by_status"].as_object().unwrap();
    let keys: BTreeSet<&str> = by_status.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "not_started",
            "on_track",
            "at_risk",
            "off_track",
            "done",
            "dropped"
        ])
    );
    assert_eq!(
        by_status.values().map(|n| n.as_u64().unwrap()).sum::<u64>(),
        62
    );
    assert_eq!(v["totals"]["overdue"], 15);
    assert_eq!(v["totals"]["completed_in_period"], 10);
    assert_eq!(v["totals"]["slipped_in_period"], 5);
    let overdue = v["overdue"].as_array().unwrap();
    assert_eq!(overdue.len(), 15);
    assert_eq!(
        (
            overdue[0]["ref"].as_str(),
            overdue[0]["days_overdue"].as_i64()
        ),
        (Some("ACT-001"), Some(93))
    );
    assert_eq!(overdue[1]["ref"], "ACT-020", "ties are broken by ref");
    for pair in overdue.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let key = |x: &serde_json::Value| {
            (
                -x["days_overdue"].as_i64().unwrap(),
                x["ref"].as_str().unwrap().to_string(),
            )
        };
        assert!(key(a) <= key(b), "{a} before {b}");
        for k in ["ref", "title", "owner", "due", "days_overdue"] {
            assert!(!a[k].is_null(), "overdue entries carry {k}");
        }
    }
    assert_eq!(v["due_next_period"].as_array().unwrap().len(), 20);
    let first_owner = &v["by_owner"][0];
    for k in ["owner", "open", "overdue", "done"] {
        assert!(!first_owner[k].is_null(), "by_owner rows carry {k}");
    }
}

#[tokio::test]
async fn the_reminder_lists_overdue_and_due_soon_with_both_ends_included() {
    let (db, board) = sample().await;
    let reminder = load_reminder(&db.store, &board, SAMPLE_AS_OF)
        .await
        .unwrap()
        .unwrap();
    let v = json::reminder_json(Some(&reminder), "dsvb", SAMPLE_AS_OF);
    assert_eq!(v["overdue"].as_array().unwrap().len(), 15);
    let soon: Vec<&str> = v["due_soon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ref"].as_str().unwrap())
        .collect();
    // ACT-017 is due on the as-of day itself (not overdue); LAM-02 on day 14.
    assert_eq!(soon, ["ACT-017", "ACT-027", "RIC-02", "ACT-021", "LAM-02"]);
    for k in ["ref", "owner", "officer", "due", "days_overdue"] {
        assert!(v["overdue"][0].get(k).is_some(), "items carry {k}");
    }
    assert_eq!(reminder.escalations().count(), 8);
    // Exactly the assigned officers of listed actions may be pinged.
    assert_eq!(
        reminder.officers(),
        [
            "200000000000000001",
            "200000000000000002",
            "200000000000000004"
        ]
    );
    // A day with no action overdue or due soon still tells the secretariat what awaits its
    // sign-off; with nothing at all to say it is "nothing to post", not an empty message.
    let quiet = load_reminder(&db.store, &board, d(2009, 1, 5))
        .await
        .unwrap()
        .expect("the sign-offs still waiting make a reminder");
    assert!(quiet.overdue.is_empty() && quiet.due_soon.is_empty());
    assert_eq!(
        quiet.for_secretariat.awaiting_sign_off,
        ["ACT-009", "BRE-01", "CRO-02", "GRE-01"]
    );
    assert!(quiet.for_secretariat.responses_overdue.is_empty());
    let nothing = briefing_bot::digest::reminder::with_secretariat(
        briefing_bot::digest::build_reminder(&board, &[], d(2009, 1, 5)),
        &board,
        d(2009, 1, 5),
        Default::default(),
    );
    assert!(nothing.is_none());
    let none = json::reminder_json(None, "dsvb", d(2009, 1, 5));
    assert_eq!(none["nothing_to_post"], true);
}

/// Compare with its stored snapshot in `tests/it/snapshots/NAME.snap` (insta). A change is
/// accepted with `cargo insta review` (or `INSTA_UPDATE=always cargo test …`); under `CI=true` a
/// missing or different snapshot fails instead of being written.
pub(crate) fn snapshot(name: &str, actual: &str) {
    let mut settings = insta::Settings::clone_current();
    // The files keep the names they had before insta: `sample-digest.md.snap`, not
    // `it__digest__sample-digest.md.snap`.
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, actual));
}

fn describe(messages: &[Message]) -> String {
    let mut out = String::new();
    for (i, m) in messages.iter().enumerate() {
        out.push_str(&format!(
            "=== message {} (pings users {:?}, roles {:?})\n{}\n",
            i + 1,
            m.ping_users,
            m.ping_roles,
            m.content
        ));
        for e in &m.embeds {
            out.push_str(&format!("--- embed: {} (#{:06X})\n", e.title, e.colour));
            if !e.description.is_empty() {
                out.push_str(&format!("{}\n", e.description));
            }
            for (name, value, inline) in &e.fields {
                out.push_str(&format!(
                    "[{name}{}]\n{value}\n",
                    if *inline { ", inline" } else { "" }
                ));
            }
            if let Some(f) = &e.footer {
                out.push_str(&format!("(footer) {f}\n"));
            }
            if let Some(img) = &e.image {
                out.push_str(&format!("(image) {img}\n"));
            }
        }
        for f in &m.files {
            out.push_str(&format!(
                "(file) {} — {} bytes\n",
                f.name,
                if f.name.ends_with(".png") {
                    "PNG".to_string()
                } else {
                    f.bytes.len().to_string()
                }
            ));
        }
    }
    out
}

#[tokio::test]
async fn snapshots_of_what_the_sample_board_reads() {
    let (db, board) = sample().await;
    let digest = load_digest(&db.store, &board, SAMPLE_AS_OF).await.unwrap();
    snapshot("sample-digest.md", &markdown::digest_markdown(&digest));
    let messages = digest_messages(&digest, Some(vec![0x89, b'P', b'N', b'G']));
    messages.iter().for_each(assert_within_limits);
    assert!(
        messages
            .iter()
            .all(|m| m.ping_users.is_empty() && m.ping_roles.is_empty()),
        "a digest pings nobody"
    );
    snapshot("sample-digest-discord.txt", &describe(&messages));
    let reminder = load_reminder(&db.store, &board, SAMPLE_AS_OF)
        .await
        .unwrap();
    snapshot(
        "sample-reminder.md",
        &markdown::reminder_markdown(reminder.as_ref(), SAMPLE_AS_OF),
    );
    let reminder_posts = reminder_messages(reminder.as_ref().unwrap(), Some(555000000000000001));
    reminder_posts.iter().for_each(assert_within_limits);
    snapshot("sample-reminder-discord.txt", &describe(&reminder_posts));
    let png = briefing_bot::digest::render::chart::digest_chart(&digest).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 10_000, "a real chart, not an empty image");
}

fn board(zone: &str, year_start: u32) -> Board {
    Board {
        id: 1,
        slug: BoardSlug::parse("test").unwrap(),
        name: "Test @everyone board".into(),
        settings: BoardSettings {
            time_zone: TimeZone::parse(zone).unwrap(),
            year_start_month: YearStartMonth::new(year_start).unwrap(),
            ..Default::default()
        },
        chat: Default::default(),
    }
}

fn action(i: usize, due: NaiveDate, status: ActionStatus) -> Action {
    Action {
        reference: Ref::parse(&format!("A-{i:05}")).unwrap(),
        recommendation: None,
        title: format!("Action {i} with a longer title that says what will be done @everyone"),
        owner: format!("Owner {}", i % 50),
        borough: Some(format!("Borough {}", i % 33)),
        officer: Some(OfficerId::new(300000000000000000 + (i % 120) as u64)),
        due,
        status,
        completed_on: (status == ActionStatus::Done).then_some(due),
        awaiting_sign_off: false,
    }
}

#[test]
fn two_thousand_overdue_actions_stay_within_discord_limits_and_are_all_accounted_for() {
    let b = board("Europe/London", 4);
    let as_of = d(2026, 10, 1);
    let actions: Vec<Action> = (0..2000)
        .map(|i| {
            action(
                i,
                as_of - Days::new(1 + (i % 400) as u64),
                ActionStatus::OffTrack,
            )
        })
        .collect();
    let digest = build_digest(
        &DigestInput {
            board: &b,
            recommendations: &[],
            actions: &actions,
            history: &[],
        },
        as_of,
    );
    assert_eq!(digest.totals.overdue, 2000);
    let messages = digest_messages(&digest, None);
    messages.iter().for_each(assert_within_limits);
    let overdue_embed = messages
        .iter()
        .flat_map(|m| &m.embeds)
        .find(|e| e.title.starts_with("Overdue actions"))
        .unwrap();
    let shown = overdue_embed
        .description
        .lines()
        .filter(|l| l.starts_with('`'))
        .count();
    let more: usize = overdue_embed
        .description
        .lines()
        .find_map(|l| {
            l.strip_prefix("…and ")
                .and_then(|r| r.strip_suffix(" more"))
        })
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        shown + more,
        2000,
        "every overdue action is shown or counted in 'and N more'"
    );
    let file = messages
        .iter()
        .flat_map(|m| &m.files)
        .find(|f| f.name == "overdue.csv")
        .expect("the full list is attached");
    assert_eq!(String::from_utf8_lossy(&file.bytes).lines().count(), 2001);

    let reminder = build_reminder(&b, &actions, as_of).unwrap();
    let posts = reminder_messages(&reminder, Some(42));
    posts.iter().for_each(assert_within_limits);
    let mut accounted = 0;
    for m in &posts {
        for e in &m.embeds {
            accounted += e.description.lines().filter(|l| l.starts_with('`')).count();
            accounted += e
                .description
                .lines()
                .find_map(|l| {
                    l.strip_prefix("…and ")
                        .and_then(|r| r.strip_suffix(" more"))
                })
                .map_or(0, |n| n.parse::<usize>().unwrap());
        }
        // Each message pings exactly the officers it names, and the admin role only when it
        // carries escalations.
        let named: BTreeSet<u64> = m
            .embeds
            .iter()
            .flat_map(|e| {
                e.description
                    .match_indices("<@")
                    .map(|(i, _)| &e.description[i + 2..])
            })
            .filter_map(|rest| rest.split('>').next()?.parse().ok())
            .collect();
        assert_eq!(
            named,
            m.ping_users.iter().copied().collect::<BTreeSet<u64>>()
        );
        assert!(m.ping_roles.is_empty() || m.ping_roles == [42]);
    }
    assert_eq!(accounted, 2000);
    assert!(posts[0].files.iter().any(|f| f.name == "reminder.csv"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_boards_count_every_action_once(
        dues in proptest::collection::vec((0i64..800, 0usize..6), 0..120),
        as_of_offset in 0i64..800,
        year_start in 1u32..=12,
    ) {
        let b = board("Europe/London", year_start);
        let origin = d(2023, 1, 1);
        let as_of = origin + chrono::Duration::days(as_of_offset);
        let actions: Vec<Action> = dues
            .iter()
            .enumerate()
            .map(|(i, (offset, s))| action(i, origin + chrono::Duration::days(*offset), ActionStatus::ALL[*s]))
            .collect();
        let digest = build_digest(&DigestInput { board: &b, recommendations: &[], actions: &actions, history: &[] }, as_of);
        prop_assert_eq!(digest.totals.by_status.values().sum::<usize>(), actions.len());
        prop_assert_eq!(digest.totals.by_status.len(), 6);
        let recount = actions.iter().filter(|a| !a.status.is_closed() && a.due < as_of).count();
        prop_assert_eq!(digest.totals.overdue, recount);
        prop_assert_eq!(digest.overdue.len(), recount);
        for line in &digest.overdue {
            prop_assert!(!line.status.is_closed(), "closed actions are never overdue");
            prop_assert!(line.due < as_of, "due today is not overdue");
        }
        // The reviewed quarter contains the day before as-of and is three months long.
        let before = as_of.pred_opt().unwrap();
        prop_assert!(digest.period.start <= before && before <= digest.period.end);
        prop_assert_eq!(digest.next_period.start, digest.period.end.succ_opt().unwrap());
        let rows: usize = digest.by_owner.iter().map(|r| r.open).sum();
        prop_assert_eq!(rows, digest.totals.open);
        let chart: usize = digest.chart.iter().map(|r| r.total()).sum();
        prop_assert_eq!(chart, actions.iter().filter(|a| a.status != ActionStatus::Dropped).count());
    }
}

#[test]
fn quarter_boundaries_and_leap_days_land_in_the_right_period() {
    let financial = board("Europe/London", 4);
    let calendar = board("Europe/London", 1);
    let digest = |b: &Board, as_of| {
        build_digest(
            &DigestInput {
                board: b,
                recommendations: &[],
                actions: &[],
                history: &[],
            },
            as_of,
        )
    };
    // 1 April reviews January–March of a financial year; 2 April reviews April to date.
    let q4 = digest(&financial, d(2024, 4, 1));
    assert_eq!(
        (q4.period.start, q4.period.end, q4.period.label.as_str()),
        (d(2024, 1, 1), d(2024, 3, 31), "Q4 2023/24")
    );
    let q1 = digest(&financial, d(2024, 4, 2));
    assert_eq!(
        (q1.period.start, q1.period.label.as_str()),
        (d(2024, 4, 1), "Q1 2024/25")
    );
    // 1 January reviews October–December of a calendar year.
    let dec = digest(&calendar, d(2025, 1, 1));
    assert_eq!(
        (dec.period.start, dec.period.end, dec.period.label.as_str()),
        (d(2024, 10, 1), d(2024, 12, 31), "Q4 2024")
    );
    // A leap day falls in the quarter that contains it, and completions on it count there.
    let done_on_leap_day = Action {
        completed_on: Some(d(2024, 2, 29)),
        ..action(1, d(2024, 2, 29), ActionStatus::Done)
    };
    let leap = build_digest(
        &DigestInput {
            board: &financial,
            recommendations: &[],
            actions: std::slice::from_ref(&done_on_leap_day),
            history: &[],
        },
        d(2024, 3, 1),
    );
    assert_eq!(leap.totals.completed_in_period, 1);
    // Completions after as-of do not count, even inside the period.
    let later = build_digest(
        &DigestInput {
            board: &financial,
            recommendations: &[],
            actions: std::slice::from_ref(&done_on_leap_day),
            history: &[],
        },
        d(2024, 2, 28),
    );
    assert_eq!(later.totals.completed_in_period, 0);
}

#[test]
fn done_actions_without_a_date_are_counted_and_listed_in_every_rendering() {
    let b = board("Europe/London", 4);
    let as_of = d(2026, 10, 1);
    let dated = Action {
        completed_on: Some(d(2026, 8, 14)),
        ..action(1, d(2026, 9, 1), ActionStatus::Done)
    };
    let undated = Action {
        completed_on: None,
        ..action(2, d(2026, 9, 1), ActionStatus::Done)
    };
    let open = action(3, d(2026, 12, 1), ActionStatus::OnTrack);
    let digest = build_digest(
        &DigestInput {
            board: &b,
            recommendations: &[],
            actions: &[dated, undated, open],
            history: &[],
        },
        as_of,
    );

    let v = json::digest_json(&digest);
    assert_eq!(v["totals"]["by_status"]["done"], 2);
    assert_eq!(v["totals"]["completed_in_period"], 1);
    assert_eq!(v["totals"]["completed_date_not_recorded"], 1);
    let listed = v["completed_date_not_recorded"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["ref"], "A-00002");
    assert!(listed[0]["completed_on"].is_null());
    assert_eq!(v["changes"]["completed"][0]["ref"], "A-00001");

    let md = markdown::digest_markdown(&digest);
    assert!(
        md.contains("- **1** done with no completion date recorded"),
        "{md}"
    );
    let section = md
        .split("### Completed, date not recorded (1)")
        .nth(1)
        .unwrap_or_else(|| panic!("no undated section:\n{md}"));
    let section = section.split("###").next().unwrap();
    assert!(section.contains("**A-00002** Action 2"), "{section}");
    assert!(
        section.contains("completed_on"),
        "says how to date them: {section}"
    );
    assert!(!section.contains("A-00001"), "{section}");

    let messages = digest_messages(&digest, None);
    messages.iter().for_each(assert_within_limits);
    let fields: Vec<&(String, String, bool)> = messages
        .iter()
        .flat_map(|m| &m.embeds)
        .flat_map(|e| &e.fields)
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, value, _)| value.as_str())
            .unwrap_or_else(|| panic!("no field {name}"))
    };
    assert_eq!(
        field("Completed this quarter"),
        "1 (+1 done, date not recorded)"
    );
    let undated_field = field("Completed, date not recorded (1)");
    assert!(
        undated_field.starts_with("`A-00002` Action 2"),
        "{undated_field}"
    );
    assert!(field("Completed (1)").contains("`A-00001`"));
}

#[test]
fn london_and_auckland_each_use_their_own_today() {
    // 11:30 UTC on 1 October 2026 is 12:30 on 1 October in London but 00:30 on 2 October in
    // Auckland (NZDT). An action due on 1 October is due today in London (not overdue) and
    // overdue in Auckland.
    let instant = Utc.with_ymd_and_hms(2026, 10, 1, 11, 30, 0).unwrap();
    let london = board("Europe/London", 4);
    let auckland = board("Pacific/Auckland", 4);
    let due = action(1, d(2026, 10, 1), ActionStatus::OnTrack);
    let today_london = london.settings.time_zone.today(instant);
    let today_auckland = auckland.settings.time_zone.today(instant);
    assert_eq!(
        (today_london, today_auckland),
        (d(2026, 10, 1), d(2026, 10, 2))
    );
    let input = |b| DigestInput {
        board: b,
        recommendations: &[],
        actions: std::slice::from_ref(&due),
        history: &[],
    };
    assert_eq!(
        build_digest(&input(&london), today_london).totals.overdue,
        0
    );
    assert_eq!(
        build_digest(&input(&auckland), today_auckland)
            .totals
            .overdue,
        1
    );
    let reminder = build_reminder(&london, std::slice::from_ref(&due), today_london).unwrap();
    assert_eq!((reminder.overdue.len(), reminder.due_soon.len()), (0, 1));
}

async fn slips_are_counted_from_the_period_in_board_time(db: TestDb) {
    use briefing_bot::domain::Text;
    use briefing_bot::services::actions::{change_due_date, Author};
    crate::store_contract::load(&db.store, "dsvb").await;
    let board = db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    let reason = Text::line("waiting for data", 100).unwrap();
    let r = |s: &str| Ref::parse(s).unwrap();
    // In the quarter (July–September, London time).
    let inside = Utc.with_ymd_and_hms(2010, 8, 20, 10, 0, 0).unwrap();
    change_due_date(
        &db.store,
        &board,
        &r("ACT-003"),
        d(2010, 11, 30),
        &reason,
        &Author {
            by: "o",
            at: inside,
        },
    )
    .await
    .unwrap();
    // 23:30 UTC on 30 September is 00:30 on 1 October in London (BST): next quarter.
    let after = Utc.with_ymd_and_hms(2010, 9, 30, 23, 30, 0).unwrap();
    change_due_date(
        &db.store,
        &board,
        &r("ACT-001"),
        d(2010, 12, 31),
        &reason,
        &Author { by: "o", at: after },
    )
    .await
    .unwrap();
    // A due date brought forward is not a slip.
    let forward = Utc.with_ymd_and_hms(2010, 9, 1, 10, 0, 0).unwrap();
    change_due_date(
        &db.store,
        &board,
        &r("ACT-003"),
        d(2010, 11, 1),
        &reason,
        &Author {
            by: "o",
            at: forward,
        },
    )
    .await
    .unwrap();
    let digest = load_digest(&db.store, &board, d(2010, 10, 1))
        .await
        .unwrap();
    assert_eq!(digest.totals.slipped_in_period, 1);
    assert_eq!(digest.changes.slipped.len(), 1);
    let slip = &digest.changes.slipped[0];
    assert_eq!(
        (slip.reference.as_str(), slip.from, slip.to),
        ("ACT-003", d(2010, 10, 15), d(2010, 11, 30))
    );
    assert_eq!(slip.reason.as_deref(), Some("waiting for data"));
    // The next quarter's digest sees the late-night change.
    let next = load_digest(&db.store, &board, d(2011, 1, 1)).await.unwrap();
    assert_eq!(next.totals.slipped_in_period, 1);
    assert_eq!(next.changes.slipped[0].reference, "ACT-001");
}

on_both_backends!(slips_are_counted_from_the_period_in_board_time);
