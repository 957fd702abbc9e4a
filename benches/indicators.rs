//! Monitoring-figures benchmark.
//!
//! 1. Import 100,000 figures (20 indicators × 50 areas × 100 quarters) into a fresh database with
//!    `import figures` (parse, check every row against the board's indicators and quarters, look
//!    for existing figures, write the figures and one history entry each, in one transaction),
//!    beside a baseline that inserts the same 100,000 rows with bare single-row SQL in one
//!    transaction.
//! 2. The digest of a board with 1,000 actions and 32 areas × 20 indicators × 12 quarters of
//!    figures, beside the same board without figures (the baseline): load and build, then render
//!    the JSON contract; the Markdown and the trend chart are timed on their own.
//!
//! Run with `cargo bench --bench indicators`; PostgreSQL too when `TEST_POSTGRES_URL` is set.

use std::time::{Duration, Instant};

use chrono::{Months, NaiveDate, TimeZone, Utc};

use briefing_bot::digest::load_digest;
use briefing_bot::digest::render::{chart::trend_chart, json::digest_json_text, markdown};
use briefing_bot::domain::BoardSlug;
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::indicators::{import_indicator_csv, IndicatorFile};
use briefing_bot::store::{DatabaseUrl, Store};

const IMPORT_RUNS: usize = 3;
const DIGEST_RUNS: usize = 15;

fn indicators_csv(n: usize) -> String {
    let mut csv = String::from("key,name,unit,better,theme,description\n");
    for i in 0..n {
        let (unit, better) = match i % 3 {
            0 => ("percent", "higher"),
            1 => ("count", "none"),
            _ => ("percent", "lower"),
        };
        csv.push_str(&format!(
            "ind_{i:02},Indicator {i},{unit},{better},Theme {},What indicator {i} counts\n",
            i % 4
        ));
    }
    csv
}

/// Figures for `indicators` × `areas` × `quarters` quarters ending with the one starting
/// `last` (a board whose year starts in April).
fn figures_csv(indicators: usize, areas: usize, quarters: u32, last: NaiveDate) -> String {
    let mut csv = String::from("indicator,area,period,value,denominator,note\n");
    for q in 0..quarters {
        let period = last - Months::new(3 * (quarters - 1 - q));
        for i in 0..indicators {
            for a in 0..areas {
                let seed = (i * 31 + a * 17 + q as usize * 7) % 97;
                if i % 3 == 1 {
                    csv.push_str(&format!("ind_{i:02},Area {a:02},{period},{},,\n", seed + 1));
                } else {
                    csv.push_str(&format!(
                        "ind_{i:02},Area {a:02},{period},{},{},\n",
                        seed,
                        seed + 40
                    ));
                }
            }
        }
    }
    csv
}

fn actions_csv(n: usize) -> String {
    let statuses = ["not_started", "on_track", "at_risk", "off_track", "done"];
    let mut csv = String::from("ref,title,owner,borough,due,status,completed_on\n");
    for i in 0..n {
        let status = statuses[i % statuses.len()];
        let completed = if status == "done" { "2026-08-01" } else { "" };
        csv.push_str(&format!(
            "ACT-{i:05},Action {i},Owner {},Area {:02},2026-{:02}-{:02},{status},{completed}\n",
            i % 40,
            i % 32,
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    csv
}

fn median(mut d: Vec<Duration>) -> (f64, f64, f64) {
    d.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(d[0]), ms(d[d.len() / 2]), ms(d[d.len() - 1]))
}

fn line(label: &str, d: Vec<Duration>) -> String {
    let (min, med, max) = median(d);
    format!("{label:<44} median {med:>8.2} ms   (min {min:.2}, max {max:.2})")
}

/// A fresh database: a new SQLite file, or a new PostgreSQL database (dropped by `cleanup`).
async fn fresh(
    backend: &str,
    name: &str,
    dir: &std::path::Path,
) -> Option<(Store, String, Option<(sqlx::AnyPool, String)>)> {
    if backend == "sqlite" {
        let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
        return Some((
            Store::connect(&DatabaseUrl::new(&url)).await.ok()?,
            url,
            None,
        ));
    }
    let admin = std::env::var("TEST_POSTGRES_URL").ok()?;
    let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
    let db = format!("briefing_bench_{}_{name}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&pool)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .ok()?;
    let mut url = url::Url::parse(&admin).ok()?;
    url.set_path(&format!("/{db}"));
    let store = Store::connect(&DatabaseUrl::new(url.as_str())).await.ok()?;
    Some((store, url.to_string(), Some((pool, db))))
}

async fn cleanup(store: Store, pg: Option<(sqlx::AnyPool, String)>) {
    store.close().await;
    if let Some((pool, name)) = pg {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&pool)
            .await;
        pool.close().await;
    }
}

fn options() -> ImportOptions<'static> {
    ImportOptions {
        by: "bench",
        now: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
        ..Default::default()
    }
}

/// The floor: the same figures inserted with bare single-row SQL in one transaction, with no
/// parsing, validation or history.
async fn baseline(
    url: &str,
    backend: &str,
    board_id: i64,
    rows: &[(i64, String, String, i64)],
) -> Duration {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let sql = if backend == "postgres" {
        "INSERT INTO indicator_figures (board_id, indicator_id, area, area_key, period, value, updated_at) \
         VALUES ($1, $2, $3, $3, CAST($4 AS DATE), $5, CAST('2026-11-01T09:00:00Z' AS TIMESTAMPTZ))"
    } else {
        "INSERT INTO indicator_figures (board_id, indicator_id, area, area_key, period, value, updated_at) \
         VALUES ($1, $2, $3, $3, $4, $5, '2026-11-01T09:00:00.000000Z')"
    };
    let started = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for (indicator, area, period, value) in rows {
        sqlx::query(sql)
            .bind(board_id)
            .bind(*indicator)
            .bind(area.as_str())
            .bind(period.as_str())
            .bind(*value)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let took = started.elapsed();
    pool.close().await;
    took
}

async fn import_benchmark(backend: &str, dir: &std::path::Path) {
    let indicators = indicators_csv(20);
    let last = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    let figures = figures_csv(20, 50, 100, last);
    println!(
        "\n[{backend}] import 100,000 figures ({} MB), {IMPORT_RUNS} runs, fresh database each",
        figures.len() / (1024 * 1024)
    );
    let slug = BoardSlug::parse("bench").unwrap();
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for run in 0..IMPORT_RUNS {
        let Some((store, _, pg)) = fresh(backend, &format!("import{run}"), dir).await else {
            println!("  (could not open a {backend} database)");
            return;
        };
        import_indicator_csv(
            &store,
            Some(&slug),
            IndicatorFile::Indicators,
            "i.csv",
            indicators.as_bytes(),
            &options(),
        )
        .await
        .unwrap();
        let started = Instant::now();
        let summary = import_indicator_csv(
            &store,
            Some(&slug),
            IndicatorFile::Figures,
            "f.csv",
            figures.as_bytes(),
            &options(),
        )
        .await
        .unwrap();
        ours.push(started.elapsed());
        assert_eq!(summary.created, 100_000);
        cleanup(store, pg).await;

        // The baseline on a fresh database with the same indicators.
        let Some((store, url, pg)) = fresh(backend, &format!("floor{run}"), dir).await else {
            return;
        };
        import_indicator_csv(
            &store,
            Some(&slug),
            IndicatorFile::Indicators,
            "i.csv",
            indicators.as_bytes(),
            &options(),
        )
        .await
        .unwrap();
        let board = store.board(&slug).await.unwrap().unwrap();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let ids: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, key FROM indicators WHERE board_id = $1")
                .bind(board.id)
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        let id_of: std::collections::HashMap<String, i64> =
            ids.into_iter().map(|(id, k)| (k, id)).collect();
        let rows: Vec<(i64, String, String, i64)> = figures
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                (
                    id_of[c[0]],
                    c[1].to_string(),
                    c[2].to_string(),
                    c[3].parse().unwrap(),
                )
            })
            .collect();
        floor.push(baseline(&url, backend, board.id, &rows).await);
        cleanup(store, pg).await;
    }
    println!("  {}", line("import figures (all checks, history)", ours));
    println!("  {}", line("baseline: bare single-row INSERTs", floor));
}

async fn digest_benchmark(backend: &str, dir: &std::path::Path) {
    println!(
        "\n[{backend}] digest of 1,000 actions, with and without 32 areas × 20 indicators × 12 quarters (7,680 figures), {DIGEST_RUNS} runs"
    );
    let Some((store, _, pg)) = fresh(backend, "digest", dir).await else {
        println!("  (could not open a {backend} database)");
        return;
    };
    let actions = actions_csv(1000);
    let plain = BoardSlug::parse("plain").unwrap();
    let monitored = BoardSlug::parse("monitored").unwrap();
    for slug in [&plain, &monitored] {
        import_csv(
            &store,
            Some(slug),
            RecordKind::Actions,
            "a.csv",
            actions.as_bytes(),
            &options(),
        )
        .await
        .unwrap();
    }
    let last = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    import_indicator_csv(
        &store,
        Some(&monitored),
        IndicatorFile::Indicators,
        "i.csv",
        indicators_csv(20).as_bytes(),
        &options(),
    )
    .await
    .unwrap();
    import_indicator_csv(
        &store,
        Some(&monitored),
        IndicatorFile::Figures,
        "f.csv",
        figures_csv(20, 32, 12, last).as_bytes(),
        &options(),
    )
    .await
    .unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let time = |slug: &'static BoardSlug| {
        let store = store.clone();
        async move {
            let board = store.board(slug).await.unwrap().unwrap();
            let mut runs = Vec::new();
            let mut digest = None;
            for _ in 0..DIGEST_RUNS {
                let started = Instant::now();
                let d = load_digest(&store, &board, as_of).await.unwrap();
                std::hint::black_box(digest_json_text(&d));
                runs.push(started.elapsed());
                digest = Some(d);
            }
            (runs, digest.unwrap())
        }
    };
    // Statics so the closures above can borrow them for the whole run.
    let plain: &'static BoardSlug = Box::leak(Box::new(plain));
    let monitored: &'static BoardSlug = Box::leak(Box::new(monitored));
    let (base, _) = time(plain).await;
    let (with, digest) = time(monitored).await;
    assert_eq!(digest.monitoring.indicators.len(), 20);
    let (_, base_median, _) = median(base.clone());
    let (_, with_median, _) = median(with.clone());
    println!(
        "  {}",
        line("baseline: load + build + JSON, no figures", base)
    );
    println!("  {}", line("load + build + JSON, with the figures", with));
    println!(
        "  figures add {:.2} ms (median against median)",
        with_median - base_median
    );
    let mut md = Vec::new();
    let mut chart = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        std::hint::black_box(markdown::digest_markdown(&digest));
        md.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(trend_chart(&digest.monitoring).unwrap());
        chart.push(started.elapsed());
    }
    println!("  {}", line("Markdown of the digest with the section", md));
    println!("  {}", line("trend chart PNG (12 panels)", chart));
    cleanup(store, pg).await;
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    for backend in ["sqlite", "postgres"] {
        if backend == "postgres" && std::env::var("TEST_POSTGRES_URL").is_err() {
            println!("\nTEST_POSTGRES_URL is not set: skipping PostgreSQL");
            continue;
        }
        import_benchmark(backend, dir.path()).await;
        digest_benchmark(backend, dir.path()).await;
    }
}
