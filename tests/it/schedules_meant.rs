//! Schedules a person meant: a digest or reminder schedule that would post more than once an
//! hour is refused with what it does and what was probably meant; one that may be saved is
//! shown as its next three times in board time first; `schedule.allow_frequent` allows
//! frequent ones, and then a schedule every 5 seconds posts every 5 seconds; boards saved with
//! a frequent schedule by an earlier release still load, and `check` points them out.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::config::ScheduleSettings;
use briefing_bot::delivery::DeliveryError;
use briefing_bot::domain::{Board, BoardSettings, BoardSlug, Schedule};
use briefing_bot::schedule::runner::PosterFuture;
use briefing_bot::schedule::{Job, Poster, Runner, RunnerSettings, Sending};
use briefing_bot::services::actions::Author;
use briefing_bot::services::settings::{change_schedules, NewSchedules};
use briefing_bot::services::ServiceError;

use crate::on_both_backends;
use crate::support::bot::{TestBot, ADMIN};
use crate::support::db::TestDb;

fn s(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn schedule(text: &str) -> Schedule {
    Schedule::parse(text).unwrap()
}

fn frequent_allowed() -> ScheduleSettings {
    let mut settings = ScheduleSettings::default();
    settings.allow_frequent = true;
    settings
}

async fn stored_board(bot: &TestBot) -> Board {
    bot.db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_frequent_schedule_is_refused_in_discord_with_the_reason_and_a_guess() {
    let bot = TestBot::start().await;
    let before = stored_board(&bot).await;
    for (option, written, says) in [
        (
            "reminders",
            "* 9 * * 1",
            "The reminder schedule `* 9 * * 1` fires every minute from 09:00 to 09:59; did you \
             mean `0 9 * * 1`? A reminder may be posted at most once an hour.",
        ),
        (
            "digest",
            "* 0 9 1 1,4,7,10 *",
            "The digest schedule `* 0 9 1 1,4,7,10 *` fires every second from 09:00:00 to \
             09:00:59; did you mean `0 0 9 1 1,4,7,10 *`? A digest may be posted at most once \
             an hour.",
        ),
        (
            "reminders",
            "*/5 9-17 * * Mon-Fri",
            "The reminder schedule `*/5 9-17 * * Mon-Fri` fires every 5 minutes from 09:00 to \
             17:55; did you mean `0 9 * * Mon-Fri` (09:00) or `0 9-17 * * Mon-Fri` (every hour \
             from 09:00 to 17:00)? A reminder may be posted at most once an hour.",
        ),
    ] {
        let reply = bot
            .run(ADMIN, "setup schedule", json!([s(option, written)]))
            .await;
        assert_eq!(reply.text().trim(), says, "{written}");
        assert!(reply.ephemeral(), "refusals are private");
        assert!(
            reply.data["components"]
                .as_array()
                .is_none_or(|c| c.is_empty()),
            "nothing to save, so no Save button: {}",
            reply.data
        );
    }
    // A schedule that never comes round again is refused too.
    let never = bot
        .run(
            ADMIN,
            "setup schedule",
            json!([s("digest", "0 0 9 31 2 *")]),
        )
        .await;
    assert!(
        never
            .text()
            .starts_with("The digest schedule `0 0 9 31 2 *` never fires after 20 September 2010"),
        "{}",
        never.text()
    );
    let after = stored_board(&bot).await;
    assert_eq!(after.settings, before.settings, "nothing was saved");
    bot.stop().await;
}

#[tokio::test]
async fn the_next_three_times_are_shown_in_board_time_before_anything_is_saved() {
    let bot = TestBot::start().await;
    let zone = bot
        .run(
            ADMIN,
            "setup timezone",
            json!([s("zone", "Pacific/Auckland")]),
        )
        .await;
    assert!(zone.text().contains("Pacific/Auckland"), "{}", zone.text());
    // The test clock says Monday 20 September 2010, 10:00 UTC: 22:00 in Auckland, which moves
    // to daylight saving time (+13) on Sunday 26 September.
    let preview = bot
        .run(
            ADMIN,
            "setup schedule",
            json!([
                s("reminders", "0 9 * * Mon"),
                s("digest", "0 0 9 1 1,4,7,10 *")
            ]),
        )
        .await;
    assert_eq!(
        preview.text().trim(),
        "Save these schedules? Times are in Pacific/Auckland.\n\
         • Digest schedule `0 0 9 1 1,4,7,10 *` — next: Fri 1 Oct 2010 09:00; \
         Sat 1 Jan 2011 09:00; Fri 1 Apr 2011 09:00\n\
         • Reminder schedule `0 9 * * Mon` — next: Mon 27 Sep 2010 09:00; Mon 4 Oct 2010 \
         09:00; Mon 11 Oct 2010 09:00"
    );
    assert!(preview.ephemeral());
    let unchanged = stored_board(&bot).await;
    assert_eq!(
        unchanged.settings.reminder_schedule,
        Schedule::weekly_reminder(),
        "shown, not saved"
    );

    let cancelled = bot.press(ADMIN, &preview, "Cancel").await;
    assert_eq!(
        cancelled.text().trim(),
        "Not saved; the schedules are as they were."
    );
    assert_eq!(
        stored_board(&bot).await.settings.reminder_schedule,
        Schedule::weekly_reminder()
    );

    let again = bot
        .run(
            ADMIN,
            "setup schedule",
            json!([s("reminders", "30 15 8 * * Tue")]),
        )
        .await;
    assert!(
        again
            .text()
            .contains("next: Tue 21 Sep 2010 08:15:30; Tue 28 Sep 2010 08:15:30; Tue 5 Oct"),
        "to the second when the schedule is: {}",
        again.text()
    );
    let saved = bot.press(ADMIN, &again, "Save").await;
    assert!(
        saved.text().starts_with("Schedules saved."),
        "{}",
        saved.text()
    );
    assert!(
        saved
            .text()
            .contains("Reminder schedule `30 15 8 * * Tue` — next: Tue 21 Sep 2010 08:15:30"),
        "{}",
        saved.text()
    );
    assert!(saved.text().contains("(times in Pacific/Auckland)"));
    let board = stored_board(&bot).await;
    assert_eq!(
        board.settings.reminder_schedule,
        schedule("30 15 8 * * Tue")
    );
    assert_eq!(board.settings.digest_schedule, Schedule::quarterly_digest());
    bot.stop().await;
}

async fn new_board(db: &TestDb) -> Board {
    crate::support::boards::create_board(
        &db.store,
        &BoardSlug::parse("often").unwrap(),
        "Often",
        &BoardSettings::default(),
        utc("2026-11-01T00:00:00Z"),
    )
    .await
    .unwrap()
}

async fn the_service_refuses_what_was_not_meant_and_saves_the_rest(db: TestDb) {
    let board = new_board(&db).await;
    let author = Author {
        by: "test",
        at: utc("2026-11-23T10:00:00Z"),
    };
    let reminder = |text: &str| NewSchedules {
        reminder: Some(schedule(text)),
        ..Default::default()
    };
    let refused = change_schedules(
        &db.store,
        board.id,
        &author,
        &reminder("* 9 * * 1"),
        &ScheduleSettings::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, ServiceError::Rejected(_)), "{refused:?}");
    assert_eq!(
        refused.to_string(),
        "the reminder schedule `* 9 * * 1` fires every minute from 09:00 to 09:59; did you \
         mean `0 9 * * 1`? A reminder may be posted at most once an hour."
    );
    // Both are checked before either is saved.
    let half = NewSchedules {
        digest: Some(schedule("0 0 9 2 1,4,7,10 *")),
        reminder: Some(schedule("*/5 * * * * *")),
    };
    assert!(change_schedules(
        &db.store,
        board.id,
        &author,
        &half,
        &ScheduleSettings::default()
    )
    .await
    .is_err());
    let history = db.store.settings_history(board.id).await.unwrap();
    assert_eq!(history.len(), 1, "only the board's creation: {history:?}");

    let allowed = change_schedules(&db.store, board.id, &author, &half, &frequent_allowed())
        .await
        .unwrap();
    assert_eq!(
        allowed.after.settings.reminder_schedule,
        schedule("*/5 * * * * *")
    );
    assert_eq!(
        allowed.after.settings.digest_schedule,
        schedule("0 0 9 2 1,4,7,10 *")
    );
    let recorded: Vec<(&str, Option<&str>)> = allowed
        .recorded
        .iter()
        .map(|c| (c.setting.as_str(), c.new_value.as_deref()))
        .collect();
    assert_eq!(
        recorded,
        [
            ("digest schedule", Some("0 0 9 2 1,4,7,10 *")),
            ("reminder schedule", Some("*/5 * * * * *"))
        ]
    );

    // Never firing again is refused even when frequent schedules are allowed.
    let never = change_schedules(
        &db.store,
        board.id,
        &author,
        &reminder("0 0 9 1 1 * 2020"),
        &frequent_allowed(),
    )
    .await
    .unwrap_err();
    assert!(
        never.to_string().starts_with(
            "the reminder schedule `0 0 9 1 1 * 2020` never fires after 23 November 2026"
        ),
        "{never}"
    );
    let stored = db.store.board(&board.slug).await.unwrap().unwrap();
    assert_eq!(
        stored.settings.reminder_schedule,
        schedule("*/5 * * * * *"),
        "a stored frequent schedule loads as saved"
    );
}

async fn a_five_second_schedule_posts_at_every_five_second_mark(db: TestDb) {
    let board = new_board(&db).await;
    let start = utc("2026-11-23T10:00:02.500Z");
    let author = Author {
        by: "test",
        at: start,
    };
    let every_five_seconds = NewSchedules {
        reminder: Some(schedule("*/5 * * * * *")),
        ..Default::default()
    };
    change_schedules(
        &db.store,
        board.id,
        &author,
        &every_five_seconds,
        &frequent_allowed(),
    )
    .await
    .unwrap();

    let clock = Arc::new(FixedClock::new(start));
    let poster = Arc::new(RemindersPoster {
        clock: clock.clone(),
        sent: Mutex::new(Vec::new()),
    });
    let runner = Runner::new(
        db.store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster.clone(),
        RunnerSettings {
            worker: "a".into(),
            max_sleep: Duration::days(1),
            ..Default::default()
        },
    );
    // Step the runner as `run` does: post what is due, sleep until the next wake-up.
    let end = utc("2026-11-23T10:02:00Z");
    let mut wake_ups = Vec::new();
    loop {
        let now = clock.now();
        runner.run_due(now).await.unwrap();
        let next = runner.next_wake(now).await.unwrap();
        if next > end {
            break;
        }
        wake_ups.push(next);
        clock.set(next);
    }

    let marks: Vec<DateTime<Utc>> = (1..=24)
        .map(|i| utc("2026-11-23T10:00:00Z") + Duration::seconds(5 * i))
        .collect();
    assert_eq!(wake_ups, marks, "the runner wakes at every 5-second mark");
    let sent = poster.sent.lock().unwrap().clone();
    let due: Vec<DateTime<Utc>> = sent.iter().map(|(due, _)| *due).collect();
    let mut expected = vec![utc("2026-11-23T10:00:00Z")];
    expected.extend(marks.iter().copied());
    assert_eq!(
        due, expected,
        "one post per mark: 10:00:00 (just missed) and then every 5 seconds to 10:02:00"
    );
    for (due, sent_at) in &sent[1..] {
        assert_eq!(due, sent_at, "posted at its mark, not late");
    }
}

on_both_backends!(
    the_service_refuses_what_was_not_meant_and_saves_the_rest,
    a_five_second_schedule_posts_at_every_five_second_mark,
);

/// Posts reminders only, and notes each post's due time and when it went.
struct RemindersPoster {
    clock: Arc<FixedClock>,
    sent: Mutex<Vec<(DateTime<Utc>, DateTime<Utc>)>>,
}

impl Poster for RemindersPoster {
    type Post = DateTime<Utc>;

    fn destinations<'a>(&'a self, _board: &'a Board, job: Job) -> PosterFuture<'a, Vec<String>> {
        Box::pin(async move {
            if job == Job::Reminder {
                vec!["test:reminders".to_string()]
            } else {
                Vec::new()
            }
        })
    }

    fn prepare<'a>(
        &'a self,
        _board: &'a Board,
        _job: Job,
        _occasion: &'a str,
        due_at: DateTime<Utc>,
    ) -> PosterFuture<'a, anyhow::Result<Option<Self::Post>>> {
        Box::pin(async move { Ok(Some(due_at)) })
    }

    fn deliver<'a>(
        &'a self,
        _board: &'a Board,
        _destination: &'a str,
        post: &'a Self::Post,
        sending: &'a mut Sending,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move {
            self.sent.lock().unwrap().push((*post, self.clock.now()));
            Ok(Some(format!("message-{}", sending.nonce(0))))
        })
    }
}

/// A copy of release 0.1's SQLite database whose `dsvb` board has the reminder schedule
/// `0 * 9 * * Mon`, as that release let anyone save (it posts every minute from 09:00).
async fn release_0_1_with_a_frequent_schedule(dir: &Path) -> String {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1");
    let file = dir.join("briefing.db");
    std::fs::copy(fixture.join("briefing.db"), &file).unwrap();
    let url = format!("sqlite://{}", file.display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE boards SET reminder_schedule = '0 * 9 * * Mon' WHERE slug = 'dsvb'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    url
}

fn briefing_bot(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BRIEFING_CONFIG")
        .env_remove("BRIEFING_ENV")
        .env_remove("DISCORD_TOKEN")
        .env_remove("BRIEFING__SCHEDULE__ALLOW_FREQUENT")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[tokio::test]
async fn a_board_saved_with_a_frequent_schedule_still_loads_and_check_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = release_0_1_with_a_frequent_schedule(dir.path()).await;
    let (boards, err, ok) = briefing_bot(dir.path(), &["--database-url", &url, "boards"], &[]);
    assert!(ok, "{err}");
    assert!(boards.contains("dsvb"), "{boards}");

    let (checked, _, _) = briefing_bot(dir.path(), &["--database-url", &url, "check"], &[]);
    assert!(
        checked.contains(
            "  warn  board dsvb: the reminder schedule fires more than once an hour: \
             `0 * 9 * * Mon` fires every minute from 09:00 to 09:59; did you mean \
             `0 0 9 * * Mon`?\n        fix: `/setup schedule reminders:0 0 9 * * Mon` if that \
             is what was meant; until it is changed, the bot posts on this schedule"
        ),
        "{checked}"
    );
    assert!(
        !checked.contains("board generated: the reminder schedule"),
        "only the frequent one is named: {checked}"
    );

    let (allowed, _, _) = briefing_bot(
        dir.path(),
        &["--database-url", &url, "check"],
        &[("BRIEFING__SCHEDULE__ALLOW_FREQUENT", "true")],
    );
    assert!(
        allowed.contains(
            "  ok    board dsvb: the reminder schedule fires more than once an hour: \
             `0 * 9 * * Mon` fires every minute"
        ) && allowed.contains("(allowed: schedule.allow_frequent is on)"),
        "{allowed}"
    );
}

#[test]
fn frequent_default_schedules_are_refused_unless_the_environment_allows_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("demo.toml"),
        "[board_defaults]\nreminder_schedule = \"*/5 * * * * *\"\n",
    )
    .unwrap();
    let create = ["--config", "demo.toml", "boards", "create", "demo"];
    let (_, refused, ok) = briefing_bot(dir.path(), &create, &[]);
    assert!(!ok, "a default that posts every 5 seconds is refused");
    assert!(
        refused.contains(
            "board_defaults.reminder_schedule: `*/5 * * * * *` fires every 5 seconds from \
             00:00:00 to 23:59:55; did you mean `0 0 9 * * *` (09:00) or `0 0 * * * *` (every \
             hour from 00:00 to 23:00)? Schedules that post more than once an hour are refused \
             unless schedule.allow_frequent is true (BRIEFING__SCHEDULE__ALLOW_FREQUENT=true)"
        ),
        "{refused}"
    );
    let (created, err, ok) = briefing_bot(
        dir.path(),
        &create,
        &[("BRIEFING__SCHEDULE__ALLOW_FREQUENT", "true")],
    );
    assert!(ok, "{err}");
    assert!(created.contains("created board demo"), "{created}");
}

#[test]
fn the_allow_frequent_setting_reads_as_operators_write_it() {
    // Environment variables are text; anything but a yes/no is refused, naming the key.
    let dir = tempfile::tempdir().unwrap();
    let (_, err, ok) = briefing_bot(
        dir.path(),
        &["boards"],
        &[("BRIEFING__SCHEDULE__ALLOW_FREQUENT", "sometimes")],
    );
    assert!(!ok);
    assert!(err.contains("allow_frequent"), "{err}");
    let (_, err, ok) = briefing_bot(
        dir.path(),
        &["boards"],
        &[("BRIEFING__SCHEDULE__ALLOW_FREQUENT", "false")],
    );
    assert!(ok, "{err}");
}
