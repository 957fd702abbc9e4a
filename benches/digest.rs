//! Digest benchmark: build + render (JSON and Discord) the quarterly digest of generated boards
//! of 1k, 10k and 100k actions, each with 500 recommendations and ten status updates per
//! action (100,000 for the 10k board), on SQLite and — when `TEST_POSTGRES_URL` is set — on
//! PostgreSQL. Beside it: the point-in-time digest (the record as it stood, rebuilt from the
//! history) and the HTML board paper of the digest. The baseline in the same run is reading the
//! board's actions alone, the floor of any digest. Run with `cargo bench --bench digest`.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};

use briefing_bot::digest::render::{
    discord::digest_messages, html::digest_html, json::digest_view,
};
use briefing_bot::digest::{load_digest, load_digest_as_it_stood};
use briefing_bot::domain::BoardSlug;
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::store::{DatabaseUrl, Store};

const RUNS: usize = 7;

fn recommendations_csv() -> String {
    let themes = [
        "domestic abuse",
        "rape and sexual violence",
        "stalking",
        "data recording",
        "training",
        "partnership",
    ];
    let mut csv = String::from("ref,title,theme,owner,priority,response,status\n");
    for i in 0..500 {
        csv.push_str(&format!(
            "REC-{i:04},Recommendation {i},{},MPS,{},accepted,{}\n",
            themes[i % themes.len()],
            if i % 9 == 0 { "yes" } else { "no" },
            if i % 11 == 0 { "implemented" } else { "open" }
        ));
    }
    csv
}

fn actions_csv(n: usize) -> String {
    let statuses = [
        "not_started",
        "on_track",
        "at_risk",
        "off_track",
        "done",
        "dropped",
    ];
    let mut csv =
        String::from("ref,recommendation,title,owner,borough,officer,due,status,completed_on\n");
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for i in 0..n {
        let status = statuses[i % statuses.len()];
        let due = start + chrono::Days::new((i % 540) as u64);
        let completed = if status == "done" {
            (due - chrono::Days::new(3)).to_string()
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "ACT-{i:06},REC-{:04},Action {i} toward its recommendation,Owner {},Borough {},{},{due},{status},{completed}\n",
            i % 500,
            i % 60,
            i % 33,
            if i % 4 == 0 { format!("2000000000{i:08}") } else { String::new() },
        ));
    }
    csv
}

/// The record a history entry keeps, as the store writes it (`Transaction::append_update`):
/// the action's columns as a JSON array, built by the database.
fn record_sql(backend: &str, id: i64) -> String {
    let array = if backend == "sqlite" {
        "json_array"
    } else {
        "json_build_array"
    };
    format!(
        "(SELECT CAST({array}(a.reference, r.reference, a.title, a.owner, a.borough, \
         a.officer_id, a.due, a.status, a.completed_on, a.awaiting_sign_off) AS TEXT) \
         FROM actions a LEFT JOIN recommendations r ON r.id = a.recommendation_id WHERE a.id = {id})"
    )
}

/// Ten history entries per action, spread over 2026, one in five a due-date move; each keeps
/// the record, as this release's history does.
async fn add_history(url: &str, backend: &str, board_id: i64, actions: usize) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM actions WHERE board_id = $1 ORDER BY id")
        .bind(board_id)
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let per_action = 10;
    let rows: Vec<(i64, usize)> = ids
        .iter()
        .flat_map(|(id,)| (0..per_action).map(move |k| (*id, k)))
        .collect();
    for chunk in rows.chunks(50) {
        let mut sql = String::from(
            "INSERT INTO status_updates (board_id, subject_kind, subject_id, recorded_at, actor, change_kind, old_value, new_value, note, record) VALUES ",
        );
        for (n, (id, k)) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let day = 1 + ((*id as usize * 7 + k * 31) % 360);
            let at = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap()
                + chrono::Duration::days(day as i64);
            let at = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let record = record_sql(backend, *id);
            if k % 5 == 0 {
                sql.push_str(&format!("({board_id}, 'action', {id}, '{at}', 'bench', 'due', '2026-03-01', '2026-06-01', 'moved', {record})"));
            } else {
                sql.push_str(&format!("({board_id}, 'action', {id}, '{at}', 'bench', 'status', 'on_track', 'at_risk', 'progress', {record})"));
            }
        }
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
    let _ = actions;
}

fn figures(label: &str, mut times: Vec<Duration>) -> f64 {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(times[times.len() / 2]);
    println!(
        "{label:<44} min {:>8.1} ms   median {:>8.1} ms   max {:>8.1} ms",
        ms(times[0]),
        median,
        ms(times[times.len() - 1])
    );
    median
}

async fn database(
    backend: &str,
    name: &str,
    dir: &std::path::Path,
) -> Option<(String, Option<(String, String)>)> {
    if backend == "sqlite" {
        return Some((
            format!("sqlite://{}", dir.join(format!("{name}.db")).display()),
            None,
        ));
    }
    let admin = std::env::var("TEST_POSTGRES_URL").ok()?;
    let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
    let db = format!("briefing_bench_{name}_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&pool)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .ok()?;
    pool.close().await;
    let mut url = url::Url::parse(&admin).ok()?;
    url.set_path(&format!("/{db}"));
    Some((url.to_string(), Some((admin, db))))
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let recs = recommendations_csv();
    println!("digest benchmark: build + render (JSON and Discord) as of {as_of}, {RUNS} runs each; baseline = reading the actions alone");
    // BENCH_SIZES=10000 and BENCH_BACKENDS=sqlite narrow a run while investigating.
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let backends: Vec<String> = std::env::var("BENCH_BACKENDS")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_else(|_| vec!["sqlite".into(), "postgres".into()]);
    for backend in backends.iter().map(String::as_str) {
        if backend == "postgres" && std::env::var("TEST_POSTGRES_URL").is_err() {
            println!("postgres: skipped (TEST_POSTGRES_URL is not set)");
            continue;
        }
        for &n in &sizes {
            let name = format!("{backend}_{n}");
            let (url, cleanup) = database(backend, &name, dir.path())
                .await
                .expect("database");
            let store = Store::connect(&DatabaseUrl::new(&url)).await.unwrap();
            let slug = BoardSlug::parse("bench").unwrap();
            let options = ImportOptions {
                by: "bench",
                now: Utc::now(),
                ..Default::default()
            };
            import_csv(
                &store,
                Some(&slug),
                RecordKind::Recommendations,
                "r.csv",
                recs.as_bytes(),
                &options,
            )
            .await
            .unwrap();
            import_csv(
                &store,
                Some(&slug),
                RecordKind::Actions,
                "a.csv",
                actions_csv(n).as_bytes(),
                &options,
            )
            .await
            .unwrap();
            let board = store.board(&slug).await.unwrap().unwrap();
            add_history(&url, backend, board.id, n).await;

            let mut full = Vec::new();
            let mut as_it_stood = Vec::new();
            let mut html = Vec::new();
            let mut baseline = Vec::new();
            let mut phases = [Duration::ZERO; 3];
            let mut out_sizes = (0, 0);
            for _ in 0..RUNS {
                let started = Instant::now();
                let actions = store.actions(board.id).await.unwrap();
                baseline.push(started.elapsed());
                std::hint::black_box(actions);

                let started = Instant::now();
                let digest = load_digest(&store, &board, as_of).await.unwrap();
                let built = started.elapsed();
                let json = serde_json::to_string(&digest_view(&digest)).unwrap();
                let rendered_json = started.elapsed();
                let messages = digest_messages(&digest, None);
                full.push(started.elapsed());
                phases[0] += built;
                phases[1] += rendered_json - built;
                phases[2] += started.elapsed() - rendered_json;
                out_sizes = (json.len(), messages.len());

                // The same day as it stood: checked to be a real digest, not an empty one.
                let started = Instant::now();
                let then = load_digest_as_it_stood(&store, &board, as_of)
                    .await
                    .unwrap();
                let _ = serde_json::to_string(&digest_view(&then)).unwrap();
                as_it_stood.push(started.elapsed());
                assert_eq!(then.totals.actions, n, "every action existed by then");

                let chart = briefing_bot::digest::render::chart::digest_chart(&digest).ok();
                let started = Instant::now();
                let paper = digest_html(&digest, chart.as_deref(), as_of);
                html.push(started.elapsed());
                assert!(paper.contains(&digest.period.label));
            }
            let updates = n * 10;
            figures(
                &format!("{backend} {n:>7} actions, {updates:>7} updates: digest"),
                full,
            );
            figures(
                &format!("{backend} {n:>7} actions: point-in-time digest"),
                as_it_stood,
            );
            figures(&format!("{backend} {n:>7} actions: HTML paper"), html);
            figures(
                &format!("{backend} {n:>7} actions: baseline (read actions)"),
                baseline,
            );
            let avg = |d: Duration| d.as_secs_f64() * 1000.0 / RUNS as f64;
            println!(
                "    mean split: load + build {:.1} ms, JSON {:.1} ms, Discord {:.1} ms (JSON {} KB, {} Discord messages)",
                avg(phases[0]),
                avg(phases[1]),
                avg(phases[2]),
                out_sizes.0 / 1024,
                out_sizes.1
            );
            store.close().await;
            if let Some((admin, db)) = cleanup {
                let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .execute(&pool)
                    .await;
                pool.close().await;
            }
        }
    }
}
