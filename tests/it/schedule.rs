//! The scheduler with a test clock: a year of posts in milliseconds, exactly once across two
//! runners on one database, takeover after a crash, retries, catch-up after downtime.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::delivery::DeliveryError;
use briefing_bot::domain::{Board, BoardSettings, BoardSlug, TimeZone as BoardTimeZone};
use briefing_bot::schedule::runner::{PostReport, PosterFuture};
use briefing_bot::schedule::{Job, Poster, Runner, RunnerSettings, Sending};
use briefing_bot::store::{PostKey, PostOutcome, Store};

use crate::on_both_backends;
use crate::support::db::{sqlite, TestDb};
use crate::support::series;

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// One delivered post as the poster saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Delivered {
    board: String,
    job: Job,
    due_at: DateTime<Utc>,
    delivered_at: DateTime<Utc>,
    nonce: String,
}

/// A poster that records what it is asked to send and answers from a script.
#[derive(Debug)]
struct RecordingPoster {
    clock: Arc<FixedClock>,
    delivered: Mutex<Vec<Delivered>>,
    /// Answers for the next deliveries, in order; when empty, every delivery succeeds.
    script: Mutex<VecDeque<Result<(), DeliveryError>>>,
    attempts: Mutex<u32>,
    /// Boards whose reminders have nothing to say.
    quiet: Vec<String>,
    /// Boards whose posts cannot be built (their record cannot be read).
    broken: Vec<String>,
}

impl RecordingPoster {
    fn new(clock: Arc<FixedClock>) -> Self {
        Self {
            clock,
            delivered: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            attempts: Mutex::new(0),
            quiet: Vec::new(),
            broken: Vec::new(),
        }
    }

    fn delivered(&self) -> Vec<Delivered> {
        self.delivered.lock().unwrap().clone()
    }
}

impl Poster for RecordingPoster {
    type Post = (Job, DateTime<Utc>);

    fn destinations<'a>(&'a self, _board: &'a Board, _job: Job) -> PosterFuture<'a, Vec<String>> {
        Box::pin(async { vec!["test:channel".into()] })
    }

    fn prepare<'a>(
        &'a self,
        board: &'a Board,
        job: Job,
        _occasion: &'a str,
        due_at: DateTime<Utc>,
    ) -> PosterFuture<'a, anyhow::Result<Option<Self::Post>>> {
        let quiet = job == Job::Reminder && self.quiet.contains(&board.slug.to_string());
        let broken = self.broken.contains(&board.slug.to_string());
        Box::pin(async move {
            if broken {
                anyhow::bail!("the record could not be read");
            }
            Ok((!quiet).then_some((job, due_at)))
        })
    }

    fn deliver<'a>(
        &'a self,
        board: &'a Board,
        _destination: &'a str,
        post: &'a Self::Post,
        sending: &'a mut Sending,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move {
            *self.attempts.lock().unwrap() += 1;
            sending.start(0).await?;
            if let Some(answer) = self.script.lock().unwrap().pop_front() {
                answer?;
            }
            let nonce = sending.nonce(0);
            self.delivered.lock().unwrap().push(Delivered {
                board: board.slug.to_string(),
                job: post.0,
                due_at: post.1,
                delivered_at: self.clock.now(),
                nonce: nonce.clone(),
            });
            let id = format!("message-{nonce}");
            sending.confirm(0, &id).await?;
            Ok(Some(id))
        })
    }
}

async fn board_in(store: &Store, slug: &str, zone: &str) -> Board {
    let settings = BoardSettings {
        time_zone: BoardTimeZone::parse(zone).unwrap(),
        ..Default::default()
    };
    crate::support::boards::create_board(
        store,
        &BoardSlug::parse(slug).unwrap(),
        slug,
        &settings,
        utc(2025, 1, 1, 0),
    )
    .await
    .unwrap()
}

fn runner(
    store: &Store,
    clock: &Arc<FixedClock>,
    poster: &Arc<RecordingPoster>,
    worker: &str,
) -> Runner<RecordingPoster> {
    let settings = RunnerSettings {
        worker: worker.into(),
        first_backoff: Duration::milliseconds(50),
        // Wake only for fire times; the hourly re-read of boards is for real deployments.
        max_sleep: Duration::days(30),
        ..Default::default()
    };
    Runner::new(
        store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster.clone(),
        settings,
    )
}

/// Step a runner through time the way `run` does, without a background task: post what is
/// due, then jump the clock to the next wake-up.
async fn drive(
    runner: &Runner<RecordingPoster>,
    clock: &FixedClock,
    until: DateTime<Utc>,
) -> Vec<PostReport> {
    let mut reports = Vec::new();
    loop {
        let now = clock.now();
        reports.extend(runner.run_due(now).await.unwrap());
        let next = runner.next_wake(now).await.unwrap();
        if next > until {
            return reports;
        }
        clock.set(next);
    }
}

#[tokio::test]
async fn a_year_of_posts_lands_at_nine_local_time_in_three_time_zones() {
    let db = sqlite().await;
    let zones = [
        ("london", "Europe/London"),
        ("newyork", "America/New_York"),
        ("auckland", "Pacific/Auckland"),
    ];
    for (slug, zone) in zones {
        board_in(&db.store, slug, zone).await;
    }
    let start = utc(2026, 1, 2, 0);
    // Before Auckland's 1 January 2027 09:00 (20:00Z on 31 December).
    let end = utc(2026, 12, 31, 12);
    let clock = Arc::new(FixedClock::new(start));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    let runner = runner(&db.store, &clock, &poster, "a");
    drive(&runner, &clock, end).await;

    let delivered = poster.delivered();
    for (slug, zone) in zones {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let mine: Vec<&Delivered> = delivered.iter().filter(|d| d.board == slug).collect();
        let digests: Vec<_> = mine
            .iter()
            .filter(|d| d.job == Job::Digest)
            .map(|d| d.due_at.with_timezone(&tz))
            .collect();
        // 1 Jan 2026 09:00 is caught up at the start (within 7 days); then April, July, October.
        let months: Vec<u32> = digests.iter().map(|t| t.month()).collect();
        assert_eq!(months, [1, 4, 7, 10], "{slug}: {digests:?}");
        let reminders: Vec<_> = mine
            .iter()
            .filter(|d| d.job == Job::Reminder)
            .map(|d| d.due_at.with_timezone(&tz))
            .collect();
        // Every Monday of 2026 (52) plus the Monday before the start, caught up once.
        assert_eq!(reminders.len(), 53, "{slug}");
        for t in digests.iter().chain(reminders.iter()) {
            assert_eq!(
                (t.hour(), t.minute()),
                (9, 0),
                "{slug}: {t} is not 09:00 local"
            );
        }
        assert!(reminders.iter().all(|t| t.weekday() == Weekday::Mon));
        // Posts after the start went out at their due instant, not late and not early.
        for d in mine.iter().filter(|d| d.due_at > start) {
            assert_eq!(d.delivered_at, d.due_at, "{slug}");
        }
        // No post twice.
        let mut keys: Vec<_> = mine.iter().map(|d| (d.job, d.due_at)).collect();
        keys.sort_by_key(|k| (k.0.as_str(), k.1));
        keys.dedup();
        assert_eq!(keys.len(), mine.len());
    }
    // The UTC instants move with daylight saving: London's 09:00 is 09:00Z in winter and 08:00Z
    // in summer.
    let london_summer = delivered
        .iter()
        .find(|d| d.board == "london" && d.job == Job::Digest && d.due_at.month() == 7)
        .unwrap();
    assert_eq!(london_summer.due_at, utc(2026, 7, 1, 8));
}

async fn two_runners_post_each_time_exactly_once(db: TestDb) {
    for (slug, zone) in [("north", "Europe/London"), ("south", "Pacific/Auckland")] {
        board_in(&db.store, slug, zone).await;
    }
    let start = utc(2026, 3, 1, 0);
    let end = utc(2026, 6, 1, 0);
    // Two processes share the wall clock and one Discord; at every wake-up both race for the
    // same posts.
    let clock = Arc::new(FixedClock::new(start));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    let a = runner(&db.store, &clock, &poster, "process-a");
    let b = runner(&db.store, &clock, &poster, "process-b");
    let mut sent_by = HashMap::new();
    loop {
        let now = clock.now();
        let (ra, rb) = tokio::join!(a.run_due(now), b.run_due(now));
        for report in ra.unwrap() {
            *sent_by.entry("a").or_insert(0) += usize::from(report.outcome == PostOutcome::Sent);
        }
        for report in rb.unwrap() {
            *sent_by.entry("b").or_insert(0) += usize::from(report.outcome == PostOutcome::Sent);
        }
        let next = a.next_wake(now).await.unwrap();
        if next > end {
            break;
        }
        clock.set(next);
    }
    let delivered = poster.delivered();
    let mut counts: HashMap<(String, &str, DateTime<Utc>), u32> = HashMap::new();
    for d in &delivered {
        *counts
            .entry((d.board.clone(), d.job.as_str(), d.due_at))
            .or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "a post went out twice: {twice:?}");
    assert_eq!(sent_by.values().sum::<usize>(), delivered.len());
    for board in ["north", "south"] {
        let digests = delivered
            .iter()
            .filter(|d| d.board == board && d.job == Job::Digest)
            .count();
        assert_eq!(
            digests, 1,
            "{board}: only April's digest falls in March–May"
        );
        // The Monday before the start (caught up) and every Monday to the end: 14 or 15.
        let reminders = delivered
            .iter()
            .filter(|d| d.board == board && d.job == Job::Reminder)
            .count();
        assert!(
            (14..=15).contains(&reminders),
            "{board}: {reminders} reminders"
        );
    }
}

async fn a_claim_left_by_a_crashed_runner_is_taken_over_once(db: TestDb) {
    let board = board_in(&db.store, "north", "Europe/London").await;
    let due = utc(2026, 11, 23, 9); // Monday 09:00 GMT
    let clock = Arc::new(FixedClock::new(due));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    // Process A claims the reminder and dies before posting.
    let key = PostKey {
        board_id: board.id,
        job: "reminder".into(),
        occasion: "day:2026-11-23".into(),
        destination: "test:channel".into(),
        due_at: due,
    };
    let claim = db
        .store
        .claim_post(&key, "process-a", due, Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    // Process B, during A's lease, must not post.
    let b = runner(&db.store, &clock, &poster, "process-b");
    let early = b.run_due(due + Duration::minutes(1)).await.unwrap();
    assert!(early.iter().all(|r| r.job != Job::Reminder), "{early:?}");
    assert!(poster.delivered().iter().all(|d| d.job != Job::Reminder));
    // After the lease, B takes over and posts once, with the nonce A would have used.
    clock.set(due + Duration::minutes(6));
    let reports = b.run_due(clock.now()).await.unwrap();
    assert!(reports
        .iter()
        .any(|r| r.job == Job::Reminder && r.outcome == PostOutcome::Sent));
    let reminders: Vec<_> = poster
        .delivered()
        .into_iter()
        .filter(|d| d.job == Job::Reminder)
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].nonce, format!("bb{}-0", claim.post_id));
    // And never again.
    clock.set(due + Duration::hours(1));
    b.run_due(clock.now()).await.unwrap();
    assert_eq!(
        poster
            .delivered()
            .iter()
            .filter(|d| d.job == Job::Reminder)
            .count(),
        1
    );
}

async fn rate_limits_and_server_errors_are_retried_and_logged(db: TestDb) {
    let board = board_in(&db.store, "north", "Europe/London").await;
    let due = utc(2026, 11, 23, 9);
    let clock = Arc::new(FixedClock::new(due));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    poster.script.lock().unwrap().extend([
        Err(DeliveryError::Retry {
            status: Some(429),
            retry_after: Some(briefing_bot::delivery::RetryAfter::Wait(
                std::time::Duration::from_millis(1500),
            )),
            detail: "rate limited".into(),
        }),
        Err(DeliveryError::Retry {
            status: Some(500),
            retry_after: None,
            detail: "internal error".into(),
        }),
    ]);
    let r = runner(&db.store, &clock, &poster, "a");
    let reports = r.run_due(due).await.unwrap();
    let reminder = reports.iter().find(|r| r.job == Job::Reminder).unwrap();
    assert_eq!(reminder.outcome, PostOutcome::Sent);
    assert_eq!(
        poster
            .delivered()
            .iter()
            .filter(|d| d.job == Job::Reminder)
            .count(),
        1
    );
    // The 429's retry_after was honoured (1.5 s); after the 500 the backoff (50 ms, doubled
    // once per attempt) was 100 ms.
    let sent_at = poster
        .delivered()
        .iter()
        .find(|d| d.job == Job::Reminder)
        .unwrap()
        .delivered_at;
    assert_eq!(sent_at, due + Duration::milliseconds(1500 + 100));
    let log = db.store.deliveries(Some(board.id), 10).await.unwrap();
    let entry = log.iter().find(|d| d.job == "reminder").unwrap();
    assert_eq!((entry.state.as_str(), entry.attempts), ("sent", 3));
    let attempts = db.store.attempts_of(entry.post_id).await.unwrap();
    let outcomes: Vec<(&str, Option<i64>)> = attempts.iter().map(|a| (a.1.as_str(), a.2)).collect();
    assert_eq!(
        outcomes,
        [
            ("retry", Some(429)),
            ("retry", Some(500)),
            ("sent", Some(200))
        ]
    );
}

async fn a_lost_channel_stops_retrying_and_is_reported(db: TestDb) {
    let board = board_in(&db.store, "north", "Europe/London").await;
    let due = utc(2026, 11, 23, 9);
    let clock = Arc::new(FixedClock::new(due));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    poster
        .script
        .lock()
        .unwrap()
        .push_back(Err(DeliveryError::Permanent {
            status: Some(403),
            detail: "Missing Permissions".into(),
        }));
    let r = runner(&db.store, &clock, &poster, "a");
    let reports = r.run_due(due).await.unwrap();
    assert!(reports.iter().any(|r| r.outcome == PostOutcome::Failed));
    assert_eq!(*poster.attempts.lock().unwrap(), 1, "a 403 is not retried");
    let failures = db.store.unreported_failures(board.id).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert!(failures[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("Missing Permissions"));
    db.store
        .mark_failures_reported(&[failures[0].post_id])
        .await
        .unwrap();
    assert!(db
        .store
        .unreported_failures(board.id)
        .await
        .unwrap()
        .is_empty());
}

on_both_backends!(
    two_runners_post_each_time_exactly_once,
    a_claim_left_by_a_crashed_runner_is_taken_over_once,
    rate_limits_and_server_errors_are_retried_and_logged,
    a_lost_channel_stops_retrying_and_is_reported,
);

#[tokio::test]
async fn after_downtime_only_the_latest_missed_post_is_caught_up() {
    let db = sqlite().await;
    board_in(&db.store, "north", "Europe/London").await;
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 2, 12)));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    let r = runner(&db.store, &clock, &poster, "a");
    r.run_due(clock.now()).await.unwrap(); // Monday 2 Nov posted
                                           // Down for three weeks: Mondays 9, 16 and 23 November are missed.
    clock.set(utc(2026, 11, 25, 12));
    r.run_due(clock.now()).await.unwrap();
    let reminders: Vec<DateTime<Utc>> = poster
        .delivered()
        .iter()
        .filter(|d| d.job == Job::Reminder)
        .map(|d| d.due_at)
        .collect();
    assert_eq!(reminders, [utc(2026, 11, 2, 9), utc(2026, 11, 23, 9)]);
    // Down for longer than the catch-up window: nothing is replayed.
    clock.set(utc(2026, 12, 20, 12)); // Sunday; last Monday 14 Dec was 6 days ago → caught up
    r.run_due(clock.now()).await.unwrap();
    clock.set(utc(2027, 1, 17, 12)); // Sunday; Monday 11 Jan is 6 days ago
    r.run_due(clock.now()).await.unwrap();
    let later: Vec<DateTime<Utc>> = poster
        .delivered()
        .iter()
        .filter(|d| d.job == Job::Reminder)
        .map(|d| d.due_at)
        .collect();
    assert_eq!(later.len(), 4);
}

#[tokio::test]
async fn nothing_to_post_is_recorded_and_sends_nothing() {
    let db = sqlite().await;
    let board = board_in(&db.store, "quiet", "Europe/London").await;
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 23, 9)));
    let mut poster = RecordingPoster::new(clock.clone());
    poster.quiet.push("quiet".into());
    let poster = Arc::new(poster);
    let r = runner(&db.store, &clock, &poster, "a");
    r.run_due(clock.now()).await.unwrap();
    assert!(poster.delivered().iter().all(|d| d.job != Job::Reminder));
    let log = db.store.deliveries(Some(board.id), 10).await.unwrap();
    assert!(
        log.iter()
            .any(|d| d.job == "reminder" && d.state == "nothing_to_post"),
        "{log:?}"
    );
}

#[tokio::test]
async fn one_boards_broken_post_does_not_hold_up_the_others() {
    let db = sqlite().await;
    // "broken" sorts first, so a pass that stopped at the first error would post nothing.
    board_in(&db.store, "broken", "Europe/London").await;
    board_in(&db.store, "north", "Europe/London").await;
    // Monday 23 November 2026, 09:00 in London: a reminder is due on both boards.
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 23, 9)));
    let mut poster = RecordingPoster::new(clock.clone());
    poster.broken.push("broken".into());
    let poster = Arc::new(poster);
    let metrics = briefing_bot::monitoring::Metrics::new();
    let r = runner(&db.store, &clock, &poster, "a").with_metrics(metrics.clone());
    let reports = r.run_due(clock.now()).await.unwrap();
    let posted: Vec<(&str, Job)> = reports.iter().map(|p| (p.board.as_str(), p.job)).collect();
    assert_eq!(posted, [("north", Job::Reminder)], "{reports:?}");
    let sent = r#"briefing_bot_scheduled_posts_total{job="reminder",outcome="sent"}"#;
    let failed = r#"briefing_bot_scheduled_posts_total{job="reminder",outcome="error"}"#;
    assert_eq!(series(&metrics.encode(), sent), Some(1.0));
    assert_eq!(series(&metrics.encode(), failed), Some(1.0));
    // The broken board's claim lapses, and a pass after the lease tries it again.
    clock.set(clock.now() + Duration::minutes(6));
    let again = r.run_due(clock.now()).await.unwrap();
    assert!(again.is_empty(), "north is not posted twice: {again:?}");
    assert_eq!(series(&metrics.encode(), failed), Some(2.0));
    assert_eq!(series(&metrics.encode(), sent), Some(1.0));
}

#[tokio::test]
async fn the_runner_loop_sleeps_on_the_clock_and_stops_on_shutdown() {
    let db = sqlite().await;
    board_in(&db.store, "north", "Europe/London").await;
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 20, 12)));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    let r = Arc::new(runner(&db.store, &clock, &poster, "a"));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = {
        let r = r.clone();
        tokio::spawn(async move { r.run(stopped).await })
    };
    // The test clock jumps to each wake-up, so weeks pass at once; stop after a month.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while clock.now() < utc(2026, 12, 21, 0) && std::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), task)
        .await
        .expect("runner stops on shutdown")
        .unwrap();
    let mondays: Vec<_> = poster
        .delivered()
        .iter()
        .filter(|d| d.job == Job::Reminder)
        .map(|d| d.due_at)
        .collect();
    assert!(
        mondays.starts_with(&[
            utc(2026, 11, 16, 9),
            utc(2026, 11, 23, 9),
            utc(2026, 11, 30, 9)
        ]),
        "{mondays:?}"
    );
}

#[tokio::test]
async fn meeting_briefs_go_out_a_week_before_each_meeting() {
    let db = sqlite().await;
    let board = board_in(&db.store, "north", "Europe/London").await;
    for (day, boroughs) in [
        ((2026, 12, 8), vec!["Bexley", "Greenwich"]),
        ((2027, 2, 9), vec!["Lambeth", "Southwark"]),
    ] {
        let meeting = briefing_bot::domain::Meeting {
            held_on: chrono::NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap(),
            title: "Board meeting".into(),
            boroughs: boroughs.into_iter().map(String::from).collect(),
        };
        assert!(db
            .store
            .add_meeting(board.id, &meeting, utc(2026, 11, 1, 0))
            .await
            .unwrap());
    }
    let clock = Arc::new(FixedClock::new(utc(2026, 11, 20, 0)));
    let poster = Arc::new(RecordingPoster::new(clock.clone()));
    let r = runner(&db.store, &clock, &poster, "a");
    drive(&r, &clock, utc(2027, 3, 1, 0)).await;
    let briefs: Vec<DateTime<Utc>> = poster
        .delivered()
        .iter()
        .filter(|d| d.job == Job::MeetingBrief)
        .map(|d| d.due_at)
        .collect();
    // 1 December 2026 and 2 February 2027, 09:00 GMT.
    assert_eq!(briefs, [utc(2026, 12, 1, 9), utc(2027, 2, 2, 9)]);
}
