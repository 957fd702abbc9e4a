//! Exactly once under `kill -9`: `briefing-bot run` as separate processes on one PostgreSQL
//! database against the fake Discord (which, like Discord, forgets nonces after a few
//! minutes). The first process is killed at a chosen step of a post — after claiming it and
//! before Discord has the message, after Discord has it and before it is recorded, between the
//! messages of a digest — and a second process finishes the post: every message appears once.
//!
//! The claim lease is set to its shortest (2 s), so the takeover comes quickly; the posts are
//! catch-up posts already due when the processes start, so nothing waits for a schedule.

use std::time::Duration;

use chrono::Datelike;

use serde_json::Value;

use briefing_bot::domain::{Board, BoardSettings, BoardSlug, Schedule, TimeZone};
use briefing_bot::services::actions::Author;
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};

use crate::operations::RunningBot;
use crate::support::bot::{guild, DIGEST_CHANNEL, OFFICER, REMINDER_CHANNEL};
use crate::support::db::TestDb;
use crate::support::fake_discord::{FakeDiscord, HoldAt};

const SHORT_LEASE: [(&str, &str); 1] = [("BRIEFING__SCHEDULE__CLAIM_LEASE_SECONDS", "2")];

/// The test board on a fresh PostgreSQL database, linked to the test server, with these
/// settings; None (the test is skipped) without TEST_POSTGRES_URL.
async fn board_on_postgres(settings: impl FnOnce(&mut BoardSettings)) -> Option<(TestDb, Board)> {
    let db = crate::support::db::postgres().await?;
    let board = crate::support::bot::link_board(&db).await;
    let mut changed = board.settings.clone();
    settings(&mut changed);
    crate::support::boards::set_settings(&db.store, board.id, &changed).await;
    let board = db.store.board(&board.slug).await.unwrap().unwrap();
    Some((db, board))
}

/// A digest long enough to take several messages: many overdue actions with long titles,
/// from many boroughs. Returns how many messages the digest due now takes.
async fn many_actions(db: &TestDb, board: &Board) -> usize {
    let mut csv = String::from("ref,title,owner,borough,officer,due,status\n");
    for i in 0..300 {
        csv.push_str(&format!(
            "ACT-{:03},Review the referral pathway for case conferences in area {i} and report \
             back to the board with findings,Owner {},Borough {},{OFFICER},2020-0{}-01,at_risk\n",
            i + 100,
            i % 9,
            i % 30,
            i % 9 + 1
        ));
    }
    let options = ImportOptions {
        by: "secretariat",
        now: chrono::Utc::now(),
        ..Default::default()
    };
    import_csv(
        &db.store,
        Some(&BoardSlug::parse("dsvb").unwrap()),
        RecordKind::Actions,
        "more.csv",
        csv.as_bytes(),
        &options,
    )
    .await
    .unwrap();
    let today = board.settings.time_zone.today(chrono::Utc::now());
    let as_of = today.with_day(1).unwrap();
    let digest = briefing_bot::digest::load_digest(&db.store, board, as_of)
        .await
        .unwrap();
    briefing_bot::digest::render::discord::digest_messages(&digest, None).len()
}

fn is_sent(job: &'static str) -> impl Fn(&Value) -> bool {
    move |l: &Value| l["message"] == "scheduled post" && l["job"] == job && l["outcome"] == "sent"
}

/// Wait (up to 20 s) for a held request to reach the fake.
async fn arrived(held: &crate::support::fake_discord::Held, what: &str) {
    tokio::time::timeout(Duration::from_secs(20), held.arrived())
        .await
        .unwrap_or_else(|_| panic!("the {what} never reached the fake"));
}

/// What each message in a channel says, for telling repeats apart.
fn bodies(fake: &FakeDiscord, channel: u64) -> Vec<String> {
    fake.channel_messages(channel)
        .iter()
        .map(|m| {
            let mut text = String::new();
            crate::support::fake_discord::message_text(m, &mut text);
            text
        })
        .collect()
}

fn assert_no_repeats(messages: &[String]) {
    for (i, m) in messages.iter().enumerate() {
        assert!(
            !messages[..i].contains(m),
            "message {} appears twice:\n{m}",
            i + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_claim_and_send_the_reminder_is_posted_once_by_another_process() {
    let Some((db, _board)) = board_on_postgres(|_| {}).await else {
        return;
    };
    let fake = FakeDiscord::start(vec![guild()]).await;
    // This Monday's reminder (catch-up) is due as soon as a process starts.
    let held = fake.hold_post(REMINDER_CHANNEL, 0, HoldAt::BeforeCreate);
    let mut first = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    arrived(&held, "reminder").await;
    first.kill9().await;
    assert!(fake.channel_messages(REMINDER_CHANNEL).is_empty());

    let second = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    second
        .wait_for_line("posting the reminder", is_sent("reminder"))
        .await;
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
    let log = db.store.deliveries(None, 10).await.unwrap();
    let reminder = log.iter().find(|d| d.job == "reminder").unwrap();
    assert_eq!(
        (reminder.state.as_str(), reminder.messages_confirmed),
        ("sent", 1)
    );
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_send_and_record_a_takeover_after_the_nonce_window_finds_the_message() {
    let Some((db, _board)) = board_on_postgres(|_| {}).await else {
        return;
    };
    let fake = FakeDiscord::start(vec![guild()]).await;
    // Discord creates the message; the answer never reaches the bot, which is then killed.
    let held = fake.hold_post(REMINDER_CHANNEL, 0, HoldAt::AfterCreate);
    let mut first = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    arrived(&held, "reminder").await;
    first.kill9().await;
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
    // Ten minutes on, Discord has forgotten the nonce: only looking can prevent a repeat.
    fake.advance_clock(Duration::from_secs(600));

    let second = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    second
        .wait_for_line("finishing the reminder", is_sent("reminder"))
        .await;
    let found = second.json_lines().iter().any(|l| {
        l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("found a message sent before a crash"))
    });
    assert!(
        found,
        "the takeover looked first:\n{}",
        second.lines().join("\n")
    );
    assert_eq!(
        fake.channel_messages(REMINDER_CHANNEL).len(),
        1,
        "the reminder appears once"
    );
    let log = db.store.deliveries(None, 10).await.unwrap();
    let reminder = log.iter().find(|d| d.job == "reminder").unwrap();
    assert_eq!(
        (reminder.state.as_str(), reminder.messages_confirmed),
        ("sent", 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_the_messages_of_a_digest_each_message_appears_once() {
    let Some((db, board)) = board_on_postgres(|s| {
        // A digest on the first of every month, caught up within a month: one is always due.
        s.digest_schedule = Schedule::parse("0 0 9 1 * *").unwrap();
        s.catch_up_days = 31;
    })
    .await
    else {
        return;
    };
    let parts = many_actions(&db, &board).await;
    assert!(parts >= 2, "the digest takes {parts} messages");
    let fake = FakeDiscord::start(vec![guild()]).await;
    // The first message goes; the process dies while the second is on its way.
    let held = fake.hold_post(DIGEST_CHANNEL, 1, HoldAt::BeforeCreate);
    let mut first = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    arrived(&held, "digest's second message").await;
    first.kill9().await;
    assert_eq!(fake.channel_messages(DIGEST_CHANNEL).len(), 1);
    fake.advance_clock(Duration::from_secs(600));

    let second = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    second
        .wait_for_line("finishing the digest", is_sent("digest"))
        .await;
    let log = db.store.deliveries(None, 10).await.unwrap();
    let digest = log.iter().find(|d| d.job == "digest").unwrap();
    assert_eq!(digest.state, "sent");
    let posted = bodies(&fake, DIGEST_CHANNEL);
    assert!(digest.messages_confirmed >= 2, "{digest:?}");
    assert_eq!(
        posted.len() as i64,
        digest.messages_confirmed,
        "{posted:#?}"
    );
    assert_no_repeats(&posted);
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_the_zone_and_the_schedule_between_processes_posts_no_occasion_twice() {
    let Some((db, board)) = board_on_postgres(|_| {}).await else {
        return;
    };
    let fake = FakeDiscord::start(vec![guild()]).await;
    let mut first = RunningBot::start(&fake, &db.url, &[], &SHORT_LEASE);
    first
        .wait_for_line("posting the reminder", is_sent("reminder"))
        .await;
    assert!(first.terminate().await);
    // Inside the catch-up window, the reminder moves an hour east and an hour later: this
    // week's reminder falls due again at a new instant (or, early on a Monday, last week's is
    // the latest due) — either way an occasion not to post again.
    let author = Author {
        by: "secretariat",
        at: chrono::Utc::now(),
    };
    briefing_bot::services::settings::change_board(&db.store, board.id, &author, |b| {
        b.settings.time_zone = TimeZone::parse("Europe/Paris").unwrap();
        b.settings.reminder_schedule = Schedule::parse("0 0 10 * * Mon").unwrap();
        Ok(())
    })
    .await
    .unwrap();
    let second = RunningBot::start(
        &fake,
        &db.url,
        &["--ops-listen", "127.0.0.1:0"],
        &SHORT_LEASE,
    );
    let serving = second
        .wait_for_line("naming the ops address", |l| {
            l["message"] == "serving /healthz and /metrics"
        })
        .await;
    let address = serving["address"].as_str().unwrap().to_string();
    // Wait for a completed scheduler pass with the new settings.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, _, body) = crate::operations::get(&address, "/healthz").await;
        let health: Value = serde_json::from_str(&body).unwrap_or_default();
        if !health["scheduler"]["last_pass"].is_null() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no scheduler pass: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = db.store.deliveries(None, 10).await.unwrap();
    let reminders: Vec<_> = log.iter().filter(|d| d.job == "reminder").collect();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
}
