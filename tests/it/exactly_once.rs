//! Each scheduled occasion is posted once, whatever happens around it: the time zone, the
//! schedule or the channel moved inside the catch-up window, a post of several messages that
//! fails part-way, a claim whose holder died, a post that cannot be built, a panic on one
//! board, a runner task that dies, a settings change that arrives while the runner is busy.
//! All with the injected clock; nothing here sleeps waiting for a schedule.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use tokio::sync::Notify;

use briefing_bot::clock::{Clock, FixedClock, Sleep};
use briefing_bot::delivery::DeliveryError;
use briefing_bot::domain::{
    Board, BoardSettings, BoardSlug, ChatSettings, Schedule, TimeZone as Zone,
};
use briefing_bot::monitoring::{Health, Heartbeat, Metrics};
use briefing_bot::schedule::runner::{PostReport, PosterFuture};
use briefing_bot::schedule::{Job, Poster, Runner, RunnerSettings, Sending, Wakeup};
use briefing_bot::store::{PostKey, PostOutcome, Store};

use crate::on_both_backends;
use crate::support::boards::{create_board, set_chat, set_settings};
use crate::support::db::{sqlite, TestDb};
use crate::support::series;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// One message a poster sent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    board: String,
    job: Job,
    destination: String,
    due_at: DateTime<Utc>,
    part: u32,
    nonce: String,
}

/// A poster that sends each post to the board's own channels as `parts` messages, through the
/// runner's per-message bookkeeping, answering from a script of failures.
#[derive(Default)]
struct ChannelPoster {
    sent: Mutex<Vec<Sent>>,
    /// Messages of each post (default 1).
    parts: u32,
    /// Answers for the next message sends, in order; when empty, every send succeeds.
    script: Mutex<VecDeque<Result<(), DeliveryError>>>,
    /// Boards whose posts panic while being built.
    panics_on: Vec<String>,
    /// Boards whose posts cannot be built.
    broken: Vec<String>,
    /// How many more times `destinations` panics (the runner's wake-up computation calls it
    /// outside any one board's post, so such a panic kills the runner task).
    destination_panics: AtomicU32,
    /// While set, `destinations` waits for this before answering (to hold a pass mid-way).
    gate: Mutex<Option<Arc<Notify>>>,
    /// Notified whenever a pass reaches `destinations`.
    reached: Notify,
    /// Notified on every message sent.
    activity: Notify,
}

impl ChannelPoster {
    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn sent_of(&self, job: Job) -> Vec<Sent> {
        self.sent().into_iter().filter(|s| s.job == job).collect()
    }

    fn fail_next(&self, error: DeliveryError) {
        self.script.lock().unwrap().push_back(Err(error));
    }

    fn succeed_next(&self) {
        self.script.lock().unwrap().push_back(Ok(()));
    }
}

fn server_error() -> DeliveryError {
    DeliveryError::Retry {
        status: Some(503),
        retry_after: None,
        detail: "Discord answered 503".into(),
    }
}

impl Poster for ChannelPoster {
    type Post = (Job, DateTime<Utc>);

    fn destinations<'a>(&'a self, board: &'a Board, job: Job) -> PosterFuture<'a, Vec<String>> {
        Box::pin(async move {
            self.reached.notify_waiters();
            let gate = self.gate.lock().unwrap().clone();
            if let Some(gate) = gate {
                gate.notified().await;
            }
            if self
                .destination_panics
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                panic!("injected panic while reading destinations");
            }
            let channel = match job {
                Job::Digest | Job::MeetingBrief => board.chat.digest_channel,
                Job::Reminder | Job::Nudge => board.chat.reminder_channel,
            };
            channel
                .map(|c| format!("discord:{c}"))
                .into_iter()
                .collect()
        })
    }

    fn prepare<'a>(
        &'a self,
        board: &'a Board,
        job: Job,
        _occasion: &'a str,
        due_at: DateTime<Utc>,
    ) -> PosterFuture<'a, anyhow::Result<Option<Self::Post>>> {
        let slug = board.slug.to_string();
        Box::pin(async move {
            if self.panics_on.contains(&slug) {
                panic!("injected panic while building {slug}'s post");
            }
            if self.broken.contains(&slug) {
                anyhow::bail!("the record could not be read");
            }
            Ok(Some((job, due_at)))
        })
    }

    fn deliver<'a>(
        &'a self,
        board: &'a Board,
        destination: &'a str,
        post: &'a Self::Post,
        sending: &'a mut Sending,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move {
            for part in 0..self.parts.max(1) {
                if sending.confirmed(part).is_some() {
                    continue;
                }
                sending.start(part).await?;
                if let Some(answer) = self.script.lock().unwrap().pop_front() {
                    answer?;
                }
                let nonce = sending.nonce(part);
                self.sent.lock().unwrap().push(Sent {
                    board: board.slug.to_string(),
                    job: post.0,
                    destination: destination.to_string(),
                    due_at: post.1,
                    part,
                    nonce: nonce.clone(),
                });
                self.activity.notify_waiters();
                sending.confirm(part, &format!("m-{nonce}")).await?;
            }
            Ok(sending.first_message_id())
        })
    }
}

const REMINDERS: u64 = 501;
const DIGESTS: u64 = 502;

/// A board in `zone` posting reminders (Mondays 09:00) and digests to its channels.
async fn board(store: &Store, slug: &str, zone: &str) -> Board {
    let settings = BoardSettings {
        time_zone: Zone::parse(zone).unwrap(),
        ..Default::default()
    };
    let board = create_board(
        store,
        &BoardSlug::parse(slug).unwrap(),
        slug,
        &settings,
        utc(2025, 1, 1, 0, 0),
    )
    .await
    .unwrap();
    set_chat(
        store,
        board.id,
        &ChatSettings {
            digest_channel: Some(DIGESTS),
            reminder_channel: Some(REMINDERS),
            ..Default::default()
        },
    )
    .await;
    store.board(&board.slug).await.unwrap().unwrap()
}

fn runner<C: Clock + 'static>(
    store: &Store,
    clock: &Arc<C>,
    poster: &Arc<ChannelPoster>,
    worker: &str,
) -> Runner<ChannelPoster> {
    let settings = RunnerSettings {
        worker: worker.into(),
        first_backoff: Duration::milliseconds(50),
        rebuild_after: Duration::minutes(1),
        ..Default::default()
    };
    Runner::new(
        store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster.clone(),
        settings,
    )
}

async fn edit(store: &Store, board: &Board, change: impl FnOnce(&mut BoardSettings)) -> Board {
    let mut settings = store.board(&board.slug).await.unwrap().unwrap().settings;
    change(&mut settings);
    set_settings(store, board.id, &settings).await;
    store.board(&board.slug).await.unwrap().unwrap()
}

fn sent_reports(reports: &[PostReport], job: Job) -> usize {
    reports
        .iter()
        .filter(|r| r.job == job && r.outcome == PostOutcome::Sent)
        .count()
}

async fn moving_the_zone_schedule_or_channel_never_posts_an_occasion_twice(db: TestDb) {
    let b = board(&db.store, "north", "Europe/London").await;
    // Monday 2 November 2026, 09:00 GMT: the reminder for that day, and the digest of the
    // July–September quarter (due 1 October, within a 40-day catch-up window).
    let b = edit(&db.store, &b, |s| s.catch_up_days = 40).await;
    let monday = utc(2026, 11, 2, 9, 0);
    let clock = Arc::new(FixedClock::new(monday));
    let poster = Arc::new(ChannelPoster::default());
    let r = runner(&db.store, &clock, &poster, "one");
    let first = r.run_due(monday).await.unwrap();
    assert_eq!(sent_reports(&first, Job::Reminder), 1, "{first:?}");
    assert_eq!(sent_reports(&first, Job::Digest), 1, "{first:?}");
    let occasions: Vec<&str> = first.iter().map(|r| r.occasion.as_str()).collect();
    assert!(occasions.contains(&"day:2026-11-02"), "{occasions:?}");
    assert!(occasions.contains(&"period:2026-07-01"), "{occasions:?}");

    // Honolulu: 09:00 on this Monday is still ahead (19:00 UTC), so the latest reminder due
    // there is last Monday's — older than the one posted, and never posted late.
    edit(&db.store, &b, |s| {
        s.time_zone = Zone::parse("Pacific/Honolulu").unwrap()
    })
    .await;
    clock.set(utc(2026, 11, 2, 9, 45));
    let after_west = r.run_due(clock.now()).await.unwrap();
    assert!(after_west.is_empty(), "{after_west:?}");

    // New York: 09:00 there on the same Monday is 14:00 UTC, a new instant for the same day.
    edit(&db.store, &b, |s| {
        s.time_zone = Zone::parse("America/New_York").unwrap()
    })
    .await;
    clock.set(utc(2026, 11, 2, 14, 30));
    let after_zone = r.run_due(clock.now()).await.unwrap();
    // A later hour on the same days (a digest posted on the 1st reviews the quarter just
    // ended, whatever the hour).
    edit(&db.store, &b, |s| {
        s.reminder_schedule = Schedule::parse("0 0 16 * * Mon").unwrap();
        s.digest_schedule = Schedule::parse("0 0 15 1 1,4,7,10 *").unwrap();
    })
    .await;
    clock.set(utc(2026, 11, 2, 21, 30));
    let after_schedule = r.run_due(clock.now()).await.unwrap();
    // Another channel for both.
    set_chat(
        &db.store,
        b.id,
        &ChatSettings {
            digest_channel: Some(DIGESTS + 10),
            reminder_channel: Some(REMINDERS + 10),
            ..Default::default()
        },
    )
    .await;
    clock.set(utc(2026, 11, 2, 22, 0));
    let after_channel = r.run_due(clock.now()).await.unwrap();
    for (what, reports) in [
        ("zone", &after_zone),
        ("schedule", &after_schedule),
        ("channel", &after_channel),
    ] {
        assert!(reports.is_empty(), "after moving the {what}: {reports:?}");
    }
    assert_eq!(poster.sent_of(Job::Reminder).len(), 1);
    assert_eq!(poster.sent_of(Job::Digest).len(), 1);

    // The next Monday is a new occasion, in the new zone, at the new hour, in the new channel.
    clock.set(utc(2026, 11, 9, 21, 0));
    let next = r.run_due(clock.now()).await.unwrap();
    assert_eq!(sent_reports(&next, Job::Reminder), 1, "{next:?}");
    let reminders = poster.sent_of(Job::Reminder);
    assert_eq!(
        reminders[1].destination,
        format!("discord:{}", REMINDERS + 10)
    );
    assert_eq!(reminders[1].due_at, utc(2026, 11, 9, 21, 0));
    let log = db.store.deliveries(Some(b.id), 10).await.unwrap();
    assert!(log
        .iter()
        .any(|d| d.occasion == "day:2026-11-09" && d.state == "sent"));
}

async fn a_post_that_fails_part_way_resumes_from_the_first_unconfirmed_message(db: TestDb) {
    let b = board(&db.store, "north", "Europe/London").await;
    let b = edit(&db.store, &b, |s| s.catch_up_days = 40).await;
    let clock = Arc::new(FixedClock::new(utc(2026, 10, 1, 9, 0)));
    let poster = Arc::new(ChannelPoster {
        parts: 3,
        ..Default::default()
    });
    // The first message goes, the second fails every time this runner tries.
    poster.succeed_next();
    for _ in 0..5 {
        poster.fail_next(server_error());
    }
    let a = runner(&db.store, &clock, &poster, "a");
    let reports = a.run_due(clock.now()).await.unwrap();
    let digest = reports.iter().find(|r| r.job == Job::Digest).unwrap();
    assert_eq!(digest.outcome, PostOutcome::Failed, "{reports:?}");
    let parts: Vec<u32> = poster.sent_of(Job::Digest).iter().map(|s| s.part).collect();
    assert_eq!(
        parts,
        [0],
        "message 1 sent once, never repeated by the retries"
    );
    let log = db.store.deliveries(Some(b.id), 10).await.unwrap();
    let entry = log.iter().find(|d| d.job == "digest").unwrap();
    assert_eq!(
        (entry.state.as_str(), entry.messages_confirmed),
        ("failed", 1)
    );

    // A post interrupted the same way, then taken over: the new holder sends only 2 and 3.
    let b2 = board(&db.store, "south", "Europe/London").await;
    edit(&db.store, &b2, |s| s.catch_up_days = 40).await;
    let key = PostKey {
        board_id: b2.id,
        job: "digest".into(),
        occasion: "period:2026-07-01".into(),
        destination: format!("discord:{DIGESTS}"),
        due_at: utc(2026, 10, 1, 8, 0),
    };
    let claim = db
        .store
        .claim_post(&key, "died", clock.now(), Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    assert!(db
        .store
        .start_part(
            claim.post_id,
            0,
            "died",
            clock.now(),
            clock.now() + Duration::minutes(5)
        )
        .await
        .unwrap());
    db.store
        .confirm_part(claim.post_id, 0, "m-first", clock.now())
        .await
        .unwrap();
    clock.advance(Duration::minutes(6));
    let b_runner = runner(&db.store, &clock, &poster, "b");
    let reports = b_runner.run_due(clock.now()).await.unwrap();
    assert!(
        reports
            .iter()
            .any(|r| r.board == "south" && r.job == Job::Digest && r.outcome == PostOutcome::Sent),
        "{reports:?}"
    );
    let south: Vec<(u32, String)> = poster
        .sent_of(Job::Digest)
        .into_iter()
        .filter(|s| s.board == "south")
        .map(|s| (s.part, s.nonce))
        .collect();
    let id = claim.post_id;
    assert_eq!(
        south,
        [(1, format!("bb{id}-1")), (2, format!("bb{id}-2"))],
        "only the unconfirmed messages, with the nonces the first holder would have used"
    );
    let log = db.store.deliveries(Some(b2.id), 10).await.unwrap();
    assert_eq!(log[0].messages_confirmed, 3);
}

async fn a_post_that_cannot_be_built_is_retried_at_a_bounded_rate_then_reported(db: TestDb) {
    let b = board(&db.store, "broken", "Europe/London").await;
    let monday = utc(2026, 11, 2, 9, 0);
    let clock = Arc::new(FixedClock::new(monday));
    let poster = Arc::new(ChannelPoster {
        broken: vec!["broken".into()],
        ..Default::default()
    });
    let r = runner(&db.store, &clock, &poster, "one");
    let mut passes = Vec::new();
    // Step the runner the way `run` does, through a day of simulated time.
    while clock.now() < monday + Duration::days(1) {
        let now = clock.now();
        r.run_due(now).await.unwrap();
        passes.push(now);
        let next = r.next_wake(now).await.unwrap();
        clock.set(next);
    }
    let log = db.store.deliveries(Some(b.id), 10).await.unwrap();
    let reminder = log.iter().find(|d| d.job == "reminder").unwrap();
    assert_eq!(
        reminder.state, "failed",
        "given up, not left claimed: {log:?}"
    );
    assert_eq!(reminder.attempts, 5);
    assert!(
        reminder
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("could not build the post: the record could not be read")),
        "{reminder:?}"
    );
    let tries: Vec<DateTime<Utc>> = db
        .store
        .attempts_of(reminder.post_id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.0)
        .collect();
    let gaps: Vec<i64> = tries
        .windows(2)
        .map(|w| (w[1] - w[0]).num_minutes())
        .collect();
    assert_eq!(gaps, [1, 2, 4, 8], "waits double from a minute: {tries:?}");
    assert!(poster.sent().is_empty());
}

async fn a_schedule_that_fires_twice_a_day_posts_twice_and_a_zone_move_repeats_neither(db: TestDb) {
    let b = board(&db.store, "north", "Europe/London").await;
    let b = edit(&db.store, &b, |s| {
        s.reminder_schedule = Schedule::parse("0 0 9,17 * * *").unwrap();
    })
    .await;
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 2, 9, 0)));
    let poster = Arc::new(ChannelPoster::default());
    let r = runner(&db.store, &clock, &poster, "one");
    let morning = r.run_due(clock.now()).await.unwrap();
    clock.set(utc(2026, 11, 2, 17, 0));
    let evening = r.run_due(clock.now()).await.unwrap();
    let occasions: Vec<String> = morning
        .iter()
        .chain(&evening)
        .filter(|r| r.job == Job::Reminder)
        .map(|r| r.occasion.clone())
        .collect();
    assert_eq!(
        occasions,
        ["day:2026-11-02 09:00:00", "day:2026-11-02 17:00:00"]
    );
    // Paris: 17:00 there was 16:00 UTC, already past; it is the same occasion.
    edit(&db.store, &b, |s| {
        s.time_zone = Zone::parse("Europe/Paris").unwrap()
    })
    .await;
    clock.set(utc(2026, 11, 2, 17, 30));
    let after = r.run_due(clock.now()).await.unwrap();
    assert!(after.is_empty(), "{after:?}");
    assert_eq!(poster.sent_of(Job::Reminder).len(), 2);
}

async fn a_board_that_catches_nothing_up_still_posts_when_the_runner_wakes_a_moment_late(
    db: TestDb,
) {
    let b = board(&db.store, "north", "Europe/London").await;
    edit(&db.store, &b, |s| s.catch_up_days = 0).await;
    let clock = Arc::new(FixedClock::new(
        utc(2026, 11, 2, 9, 0) + Duration::milliseconds(3),
    ));
    let poster = Arc::new(ChannelPoster::default());
    let r = runner(&db.store, &clock, &poster, "one");
    let reports = r.run_due(clock.now()).await.unwrap();
    assert_eq!(sent_reports(&reports, Job::Reminder), 1, "{reports:?}");
    // But last week's, missed in downtime, is not caught up.
    let other = board(&db.store, "south", "Europe/London").await;
    edit(&db.store, &other, |s| s.catch_up_days = 0).await;
    clock.set(utc(2026, 11, 2, 9, 11));
    let late = r.run_due(clock.now()).await.unwrap();
    assert!(late.is_empty(), "{late:?}");
}

on_both_backends!(
    moving_the_zone_schedule_or_channel_never_posts_an_occasion_twice,
    a_board_that_catches_nothing_up_still_posts_when_the_runner_wakes_a_moment_late,
    a_schedule_that_fires_twice_a_day_posts_twice_and_a_zone_move_repeats_neither,
    a_post_that_fails_part_way_resumes_from_the_first_unconfirmed_message,
    a_post_that_cannot_be_built_is_retried_at_a_bounded_rate_then_reported,
);

#[tokio::test]
async fn a_lapsed_claim_is_finished_within_the_catch_up_window_and_given_up_after_it() {
    let db = sqlite().await;
    let b = board(&db.store, "north", "Europe/London").await;
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 9, 9, 0)));
    let poster = Arc::new(ChannelPoster::default());
    // Claims left by a process that died: last week's reminder (an older occasion than the
    // one due now, but inside the 7-day window) and one from a month ago.
    for (occasion, due) in [
        ("day:2026-10-05", utc(2026, 10, 5, 8, 0)),
        ("day:2026-11-02", utc(2026, 11, 2, 9, 0)),
    ] {
        let key = PostKey {
            board_id: b.id,
            job: "reminder".into(),
            occasion: occasion.into(),
            destination: format!("discord:{REMINDERS}"),
            due_at: due,
        };
        db.store
            .claim_post(&key, "died", due, Duration::minutes(5))
            .await
            .unwrap()
            .unwrap();
    }
    clock.set(utc(2026, 11, 9, 9, 0));
    let r = runner(&db.store, &clock, &poster, "one");
    let reports = r.run_due(clock.now()).await.unwrap();
    let sent: Vec<&str> = reports
        .iter()
        .filter(|r| r.outcome == PostOutcome::Sent)
        .map(|r| r.occasion.as_str())
        .collect();
    assert_eq!(sent, ["day:2026-11-09", "day:2026-11-02"], "{reports:?}");
    let log = db.store.deliveries(Some(b.id), 10).await.unwrap();
    let old = log.iter().find(|d| d.occasion == "day:2026-10-05").unwrap();
    assert_eq!(old.state, "failed");
    assert!(old
        .last_error
        .as_deref()
        .unwrap()
        .contains("7-day catch-up window"));
    // Given up means reported: the board's admins hear of it with the next post.
    let unreported = db.store.unreported_failures(b.id).await.unwrap();
    assert_eq!(unreported.len(), 1);
    assert!(log.iter().all(|d| d.state != "claimed"), "{log:?}");
}

#[tokio::test]
async fn a_panic_on_one_board_does_not_stop_the_others() {
    let db = sqlite().await;
    board(&db.store, "apple", "Europe/London").await;
    board(&db.store, "north", "Europe/London").await;
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 2, 9, 0)));
    let poster = Arc::new(ChannelPoster {
        panics_on: vec!["apple".into()],
        ..Default::default()
    });
    let r = runner(&db.store, &clock, &poster, "one");
    let reports = r.run_due(clock.now()).await.unwrap();
    assert!(
        reports.iter().any(|r| r.board == "north"
            && r.job == Job::Reminder
            && r.outcome == PostOutcome::Sent),
        "{reports:?}"
    );
    // The panic is an attempt like any failure to build: recorded, and retried later.
    let apple = db
        .store
        .board(&BoardSlug::parse("apple").unwrap())
        .await
        .unwrap()
        .unwrap();
    let log = db.store.deliveries(Some(apple.id), 10).await.unwrap();
    let reminder = log.iter().find(|d| d.job == "reminder").unwrap();
    assert_eq!((reminder.state.as_str(), reminder.attempts), ("claimed", 1));
    let attempts = db.store.attempts_of(reminder.post_id).await.unwrap();
    assert!(
        attempts[0].3.as_deref().unwrap().contains("injected panic"),
        "{attempts:?}"
    );
}

/// A clock whose sleeps last until the test moves it: a runner's `run` then waits exactly as
/// it would in production, and the test decides when time passes.
#[derive(Debug)]
struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: Notify,
}

impl ManualClock {
    fn new(at: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(at),
            moved: Notify::new(),
        }
    }

    fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().unwrap() = at;
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep<'_> {
        Box::pin(async move {
            loop {
                let moved = self.moved.notified();
                if self.now() >= at {
                    return;
                }
                moved.await;
            }
        })
    }
}

/// Wait (in real time, bounded) until `done` holds, re-checking whenever `activity` fires.
async fn until(activity: &Notify, what: &str, done: impl Fn() -> bool) {
    let waited = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while !done() {
            let _ = tokio::time::timeout(std::time::Duration::from_millis(50), activity.notified())
                .await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

#[tokio::test]
async fn a_settings_change_made_while_the_runner_is_busy_still_wakes_it() {
    let db = sqlite().await;
    let b = board(&db.store, "north", "Europe/London").await;
    // Tuesday: the Monday reminder is posted on the first pass; nothing else is due for days.
    let clock = Arc::new(ManualClock::new(utc(2026, 11, 3, 12, 0)));
    let gate = Arc::new(Notify::new());
    let poster = Arc::new(ChannelPoster::default());
    let wakeup = Wakeup::new();
    let r = Arc::new(runner(&db.store, &clock, &poster, "one").with_wakeup(wakeup.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(r.clone().supervise(stopped));
    until(&poster.activity, "the catch-up reminder", || {
        poster.sent_of(Job::Reminder).len() == 1
    })
    .await;
    // Hold the runner inside its next pass, change the schedule to one already due today, and
    // wake it while it is busy: the wake-up must not be lost.
    *poster.gate.lock().unwrap() = Some(gate.clone());
    let reached = poster.reached.notified();
    wakeup.wake();
    reached.await;
    edit(&db.store, &b, |s| {
        s.digest_schedule = Schedule::parse("0 0 9 3 11 *").unwrap();
    })
    .await;
    wakeup.wake();
    *poster.gate.lock().unwrap() = None;
    // A permit, so the held call goes on even if it has not started waiting yet.
    gate.notify_one();
    // Let the held pass finish; it may or may not have read the new schedule.
    until(&poster.activity, "the digest due at 09:00 today", || {
        poster.sent_of(Job::Digest).len() == 1
    })
    .await;
    assert_eq!(clock.now(), utc(2026, 11, 3, 12, 0), "no time passed");
    stop.send_replace(true);
    task.await.unwrap();
}

#[tokio::test]
async fn a_runner_that_dies_is_restarted_and_health_shows_its_passes() {
    let db = sqlite().await;
    board(&db.store, "north", "Europe/London").await;
    let clock = Arc::new(ManualClock::new(utc(2026, 11, 3, 12, 0)));
    let poster = Arc::new(ChannelPoster {
        // The first pass's first look at the board panics (caught: that board is skipped),
        // and so does its wake-up computation, which no board's guard covers: the runner
        // task dies.
        destination_panics: AtomicU32::new(2),
        ..Default::default()
    });
    let metrics = Metrics::new();
    let r = Arc::new(runner(&db.store, &clock, &poster, "one").with_metrics(metrics.clone()));
    let heartbeat: Heartbeat = r.heartbeat();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(r.clone().supervise(stopped));
    // The supervisor waits a second (of the runner's clock) before starting it again.
    until(&poster.reached, "the first pass", || {
        series(&metrics.encode(), "briefing_bot_scheduler_restarts_total").is_some_and(|n| n >= 1.0)
    })
    .await;
    clock.set(utc(2026, 11, 3, 12, 0) + Duration::seconds(1));
    until(&poster.activity, "the restarted runner's pass", || {
        heartbeat.last_pass().is_some()
    })
    .await;
    assert_eq!(
        poster.sent_of(Job::Reminder).len(),
        1,
        "the restarted runner posted"
    );
    assert_eq!(
        series(&metrics.encode(), "briefing_bot_scheduler_restarts_total"),
        Some(1.0)
    );

    let health = Health {
        store: db.store.clone(),
        gateway: Arc::new(AllConnected),
        metrics: metrics.clone(),
        scheduler: Some(heartbeat.clone()),
    };
    assert!(health.check().await.is_ready());
    // Stop the runner, then let more than twice its longest sleep pass without a pass.
    stop.send_replace(true);
    task.await.unwrap();
    clock.set(utc(2026, 11, 3, 12, 0) + Duration::minutes(11));
    let readiness = health.check().await;
    assert!(!readiness.is_ready());
    let problems = readiness.problems().join("\n");
    assert!(
        problems.contains("scheduler: no pass completed since"),
        "{problems}"
    );
}

struct AllConnected;

impl briefing_bot::monitoring::GatewayProbe for AllConnected {
    fn status(
        &self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = briefing_bot::monitoring::GatewayStatus> + Send + '_>,
    > {
        Box::pin(async {
            briefing_bot::monitoring::GatewayStatus {
                expected: 1,
                connected: 1,
            }
        })
    }
}

#[tokio::test]
async fn every_setup_command_that_moves_a_post_wakes_the_scheduler() {
    use crate::support::bot::{TestBot, ADMIN, DIGEST_CHANNEL, REMINDER_CHANNEL};
    use serde_json::json;
    let text = |name: &str, value: &str| json!({"name": name, "type": 3, "value": value});
    let bot = TestBot::start().await;
    let channels = json!({"channels": {
        REMINDER_CHANNEL.to_string(): {"id": REMINDER_CHANNEL.to_string(), "type": 0, "name": "reminders", "permissions": "0"}
    }});
    let commands: Vec<(&str, serde_json::Value, serde_json::Value, &str)> = vec![
        (
            "setup channels",
            json!([{"name": "reminders", "type": 7, "value": REMINDER_CHANNEL.to_string()}]),
            channels,
            "Channels saved",
        ),
        (
            "setup timezone",
            json!([text("zone", "Europe/Paris")]),
            json!({}),
            "Europe/Paris",
        ),
        (
            "setup reminders",
            json!([{"name": "due_within_days", "type": 4, "value": 21}]),
            json!({}),
            "due within 21 days",
        ),
        (
            "setup webhook add",
            json!([
                text("name", "members-slack"),
                {"name": "kind", "type": 4, "value": 0},
                text("url", "https://hooks.slack.com/services/T1/B1/secretvalue")
            ]),
            json!({}),
            "Added slack webhook",
        ),
        (
            "setup webhook remove",
            json!([text("name", "members-slack")]),
            json!({}),
            "Removed webhook",
        ),
        (
            "meeting add",
            json!([text("date", "2010-10-14"), text("boroughs", "Bexley")]),
            json!({}),
            "",
        ),
    ];
    for (command, options, resolved, saved) in commands {
        let before = bot.wakeup.changes();
        let reply = bot
            .run_in(ADMIN, DIGEST_CHANNEL, command, options, resolved)
            .await;
        assert!(reply.text().contains(saved), "/{command}: {}", reply.text());
        assert!(
            bot.wakeup.changes() > before,
            "/{command} did not wake the scheduler"
        );
    }
    // A schedule is saved when its preview's Save is pressed; that wakes it too.
    let preview = bot
        .run(
            ADMIN,
            "setup schedule",
            json!([text("reminders", "0 30 8 * * Tue")]),
        )
        .await;
    let before = bot.wakeup.changes();
    assert_eq!(bot.wakeup.changes(), before, "a preview changes nothing");
    let saved = bot.press(ADMIN, &preview, "Save").await;
    assert!(
        saved.text().starts_with("Schedules saved."),
        "{}",
        saved.text()
    );
    assert!(
        bot.wakeup.changes() > before,
        "saving a schedule did not wake the scheduler"
    );
    bot.stop().await;
}

/// What release 0.1 recorded when it posted the Monday reminder: keyed by its instant.
const POSTED_BY_RELEASE_0_1: &str = "
    UPDATE boards SET reminder_channel_id = '501', digest_channel_id = '502' WHERE slug = 'dsvb';
    INSERT INTO scheduled_posts (board_id, job, destination, due_at, state, claimed_by,
        lease_until, attempts, finished_at)
    VALUES ((SELECT id FROM boards WHERE slug = 'dsvb'), 'reminder', 'discord:501',
        '2026-11-02T09:00:00.000000Z', 'sent', 'old-release', '2026-11-02T09:05:00.000000Z', 1,
        '2026-11-02T09:00:01.000000Z');
";

/// After an upgrade, the first pass does not post again what the earlier release posted.
async fn the_upgraded_database_keeps_what_was_posted(url: &str) {
    let store = Store::connect(&briefing_bot::store::DatabaseUrl::new(url))
        .await
        .unwrap();
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 2, 9, 30)));
    let poster = Arc::new(ChannelPoster::default());
    let r = runner(&store, &clock, &poster, "new-release");
    let reports = r.run_due(clock.now()).await.unwrap();
    assert!(reports.is_empty(), "{reports:?}");
    assert!(poster.sent().is_empty());
    let log = store.deliveries(None, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].occasion, "at:2026-11-02T09:00:00.000000Z");
    // The next Monday is posted as an occasion.
    clock.set(utc(2026, 11, 9, 9, 0));
    let next = r.run_due(clock.now()).await.unwrap();
    assert_eq!(sent_reports(&next, Job::Reminder), 1, "{next:?}");
    store.close().await;
}

#[tokio::test]
async fn a_post_made_by_release_0_1_is_not_made_again_after_the_upgrade_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("briefing.db");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/release-0.1/briefing.db");
    std::fs::copy(fixture, &file).unwrap();
    let url = format!("sqlite://{}", file.display());
    sqlx::any::install_default_drivers();
    let old = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(POSTED_BY_RELEASE_0_1)
        .execute(&old)
        .await
        .unwrap();
    old.close().await;
    the_upgraded_database_keeps_what_was_posted(&url).await;
}

#[tokio::test]
async fn a_post_made_by_release_0_1_is_not_made_again_after_the_upgrade_on_postgres() {
    let Some(db) = crate::support::db::empty_postgres().await else {
        return;
    };
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/release-0.1/postgres.sql");
    db.load_sql(&std::fs::read_to_string(fixture).unwrap())
        .await;
    db.load_sql(POSTED_BY_RELEASE_0_1).await;
    the_upgraded_database_keeps_what_was_posted(&db.url).await;
}
