//! Digest benchmark: build + render (JSON and Discord) the quarterly digest of generated boards
//! of 1k, 10k and 100k actions, each with 500 recommendations and ten status updates per
//! action (100,000 for the 10k board), on SQLite and — when `TEST_POSTGRES_URL` is set — on
//! PostgreSQL. Beside it: the point-in-time digest (the record as it stood, rebuilt from the
//! history) and the HTML board paper of the digest. The baseline in the same run is reading the
//! board's actions alone, the floor of any digest. Run with `cargo bench --bench digest`.

mod support;

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use briefing_bot::digest::render::{
    discord::digest_messages, html::digest_html, json::digest_view,
};
use briefing_bot::digest::{load_digest, load_digest_as_it_stood};
use briefing_bot::store::{DatabaseUrl, Store};

use support::{database, drop_database, figures, generated_board};

const RUNS: usize = 7;

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
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
            let board = generated_board(&store, &url, backend, n).await;

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
            drop_database(cleanup).await;
        }
    }
}
