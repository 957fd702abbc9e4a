//! Scheduler benchmark: 1,000 boards whose digests fall due in the same minute, posted by a
//! poster that answers at once, so the figures are the scheduler's own work (claim, log the
//! attempt, mark sent — each a database write). On SQLite with one runner, and on PostgreSQL
//! (when `TEST_POSTGRES_URL` is set) with two runners racing for the same posts. Reports the
//! time to deliver all, the overhead per post, resident memory before and after, and checks
//! none is posted twice. Run with `cargo bench --bench scheduler`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::delivery::DeliveryError;
use briefing_bot::domain::{Board, BoardSettings, BoardSlug, ChatSettings};
use briefing_bot::schedule::runner::PosterFuture;
use briefing_bot::schedule::{Job, Poster, Runner, RunnerSettings, Sending};
use briefing_bot::services::actions::Author;
use briefing_bot::services::settings::{change_board, create_board};
use briefing_bot::store::{DatabaseUrl, Store};

const BOARDS: usize = 1000;

/// Answers at once and counts what it was asked to post.
#[derive(Default)]
struct CountingPoster {
    posted: Mutex<HashMap<(i64, DateTime<Utc>), u32>>,
}

impl Poster for CountingPoster {
    type Post = DateTime<Utc>;

    fn destinations<'a>(&'a self, _board: &'a Board, job: Job) -> PosterFuture<'a, Vec<String>> {
        Box::pin(async move {
            if job == Job::Digest {
                vec!["discord:1".to_string()]
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
        board: &'a Board,
        _d: &'a str,
        post: &'a Self::Post,
        sending: &'a mut Sending,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move {
            // The scheduler's own bookkeeping of a one-message post, as the real poster does.
            sending.start(0).await?;
            sending.confirm(0, "1").await?;
            *self
                .posted
                .lock()
                .unwrap()
                .entry((board.id, *post))
                .or_default() += 1;
            Ok(None)
        })
    }
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmRSS:")).map(|v| {
                v.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

async fn boards(store: &Store) {
    for i in 0..BOARDS {
        let slug = BoardSlug::parse(&format!("board-{i:04}")).unwrap();
        let author = Author {
            by: "bench",
            at: Utc::now(),
        };
        let board = create_board(store, &slug, "Board", &BoardSettings::default(), &author)
            .await
            .unwrap();
        let chat = ChatSettings {
            server_id: Some(1_000_000 + i as u64),
            digest_channel: Some(1),
            ..Default::default()
        };
        change_board(store, board.id, &author, |b| {
            b.chat = chat.clone();
            Ok(())
        })
        .await
        .unwrap();
    }
}

fn runner(
    store: &Store,
    clock: &Arc<FixedClock>,
    poster: &Arc<CountingPoster>,
    worker: &str,
) -> Runner<CountingPoster> {
    let settings = RunnerSettings {
        worker: worker.into(),
        ..Default::default()
    };
    Runner::new(
        store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster.clone(),
        settings,
    )
}

fn report(label: &str, started: Instant, poster: &CountingPoster, before: f64) {
    let elapsed = started.elapsed();
    let posted = poster.posted.lock().unwrap();
    let twice = posted.values().filter(|n| **n > 1).count();
    println!(
        "{label:<34} {} posts in {:>7.1} ms — {:.2} ms per post; posted twice: {twice}; RSS {before:.1} MB → {:.1} MB",
        posted.len(),
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1000.0 / posted.len().max(1) as f64,
        rss_mb()
    );
    assert_eq!(posted.len(), BOARDS, "every board's digest was posted");
    assert_eq!(twice, 0, "no digest was posted twice");
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    // 1 October 2026, 09:00 in London: every board's quarterly digest is due.
    let due = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!("scheduler benchmark: {BOARDS} boards' digests due in the same minute; the poster answers at once");

    let url = format!("sqlite://{}", dir.path().join("sched.db").display());
    let store = Store::connect(&DatabaseUrl::new(&url)).await.unwrap();
    boards(&store).await;
    let clock = Arc::new(FixedClock::new(due));
    let poster = Arc::new(CountingPoster::default());
    let one = runner(&store, &clock, &poster, "a");
    let before = rss_mb();
    let started = Instant::now();
    one.run_due(due).await.unwrap();
    report("sqlite, one runner", started, &poster, before);
    let again = Instant::now();
    let more = one.run_due(due).await.unwrap();
    println!(
        "    a second pass at the same minute posted {} more in {:.1} ms",
        more.len(),
        again.elapsed().as_secs_f64() * 1000.0
    );
    store.close().await;

    let Ok(admin) = std::env::var("TEST_POSTGRES_URL") else {
        println!("postgres: skipped (TEST_POSTGRES_URL is not set)");
        return;
    };
    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
    let name = format!("briefing_bench_sched_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    let store = Store::connect(&DatabaseUrl::new(url.as_str()))
        .await
        .unwrap();
    boards(&store).await;
    let poster = Arc::new(CountingPoster::default());
    let (a, b) = (
        runner(&store, &clock, &poster, "a"),
        runner(&store, &clock, &poster, "b"),
    );
    let before = rss_mb();
    let started = Instant::now();
    let (ra, rb) = tokio::join!(a.run_due(due), b.run_due(due));
    let (ra, rb) = (ra.unwrap().len(), rb.unwrap().len());
    report("postgres, two runners racing", started, &poster, before);
    println!("    runner a posted {ra}, runner b posted {rb}");
    store.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await;
}
