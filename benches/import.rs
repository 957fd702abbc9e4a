//! Import benchmark: a generated 10,000-action CSV imported into a fresh database, timed over
//! several runs, beside a baseline that inserts the same rows with bare SQL in one transaction
//! (the floor any importer has to pay). Run with `cargo bench --bench import`; PostgreSQL too
//! when `TEST_POSTGRES_URL` is set.

use std::time::{Duration, Instant};

use briefing_bot::domain::BoardSlug;
use briefing_bot::services::actions::Author;
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::settings::create_board;
use briefing_bot::store::{DatabaseUrl, Store};

const ACTIONS: usize = 10_000;
const RECOMMENDATIONS: usize = 500;
const RUNS: usize = 5;

fn recommendations_csv() -> String {
    let mut csv =
        String::from("ref,title,text,source,source_date,theme,owner,priority,response,status\n");
    for i in 0..RECOMMENDATIONS {
        csv.push_str(&format!(
            "REC-{i:04},Recommendation {i},\"Text of recommendation {i}, in full.\",Annual Report,2010-01-20,training,MPS,{},accepted,open\n",
            if i % 7 == 0 { "yes" } else { "no" }
        ));
    }
    csv
}

fn actions_csv() -> String {
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
    for i in 0..ACTIONS {
        let status = statuses[i % statuses.len()];
        let completed = if status == "done" { "2010-08-01" } else { "" };
        csv.push_str(&format!(
            "ACT-{i:05},REC-{:04},Action {i} toward its recommendation,Owner {},Borough {},{},2010-{:02}-{:02},{status},{completed}\n",
            i % RECOMMENDATIONS,
            i % 40,
            i % 13,
            if i % 5 == 0 { format!("2000000000000{i:05}") } else { String::new() },
            i % 12 + 1,
            i % 28 + 1,
        ));
    }
    csv
}

struct Figures(Vec<Duration>);

impl Figures {
    fn line(&self, label: &str) -> String {
        let mut sorted = self.0.clone();
        sorted.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "{label:<34} min {:>8.1} ms   median {:>8.1} ms   max {:>8.1} ms",
            ms(sorted[0]),
            ms(sorted[sorted.len() / 2]),
            ms(sorted[sorted.len() - 1])
        )
    }
}

/// A fresh database per run: a new SQLite file, or a new PostgreSQL database.
async fn fresh(
    backend: &str,
    run: usize,
    dir: &std::path::Path,
) -> Option<(Store, String, Option<(sqlx::AnyPool, String)>)> {
    match backend {
        "sqlite" => {
            let url = format!("sqlite://{}", dir.join(format!("bench-{run}.db")).display());
            Some((
                Store::connect(&DatabaseUrl::new(&url)).await.ok()?,
                url,
                None,
            ))
        }
        _ => {
            let admin = std::env::var("TEST_POSTGRES_URL").ok()?;
            let pool = sqlx::AnyPool::connect(&admin).await.ok()?;
            let name = format!("briefing_bench_{}_{run}", std::process::id());
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&pool)
                .await
                .ok()?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .ok()?;
            let mut url = url::Url::parse(&admin).ok()?;
            url.set_path(&format!("/{name}"));
            let store = Store::connect(&DatabaseUrl::new(url.as_str())).await.ok()?;
            Some((store, url.to_string(), Some((pool, name))))
        }
    }
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

/// The floor: the same rows inserted with bare SQL, no parsing or validation, one transaction.
async fn baseline_insert(pool: &sqlx::AnyPool, board_id: i64) {
    let mut tx = pool.begin().await.unwrap();
    for i in 0..ACTIONS {
        sqlx::query(
            "INSERT INTO actions (board_id, reference, ref_key, title, owner, due, status, created_at, updated_at) \
             VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(board_id)
        .bind(format!("ACT-{i:05}"))
        .bind(format!("Action {i}"))
        .bind(format!("Owner {}", i % 40))
        .bind("2010-06-01")
        .bind("on_track")
        .bind("2010-02-01T09:00:00.000000Z")
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let recs = recommendations_csv();
    let actions = actions_csv();
    println!(
        "import benchmark: {ACTIONS} actions ({} KB) after {RECOMMENDATIONS} recommendations, {RUNS} runs each, fresh database per run",
        actions.len() / 1024
    );
    let dir = tempfile::tempdir().unwrap();
    let slug = BoardSlug::parse("bench").unwrap();
    for backend in ["sqlite", "postgres"] {
        if backend == "postgres" && std::env::var("TEST_POSTGRES_URL").is_err() {
            println!("postgres: skipped (TEST_POSTGRES_URL is not set)");
            continue;
        }
        let mut import_times = Vec::new();
        let mut baseline_times = Vec::new();
        for run in 0..RUNS {
            let (store, url, pg) = fresh(backend, run, dir.path())
                .await
                .expect("database for the benchmark");
            let options = ImportOptions {
                by: "bench",
                now: chrono::Utc::now(),
                ..Default::default()
            };
            import_csv(
                &store,
                Some(&slug),
                RecordKind::Recommendations,
                "recs.csv",
                recs.as_bytes(),
                &options,
            )
            .await
            .unwrap();
            let started = Instant::now();
            let summary = import_csv(
                &store,
                Some(&slug),
                RecordKind::Actions,
                "actions.csv",
                actions.as_bytes(),
                &options,
            )
            .await
            .unwrap();
            import_times.push(started.elapsed());
            assert_eq!(summary.created, ACTIONS);

            // Baseline on a second board of the same database.
            let author = Author {
                by: "bench",
                at: chrono::Utc::now(),
            };
            let other = create_board(
                &store,
                &BoardSlug::parse("baseline").unwrap(),
                "Baseline",
                &Default::default(),
                &author,
            )
            .await
            .unwrap();
            let raw = sqlx::AnyPool::connect(&url).await.unwrap();
            let started = Instant::now();
            baseline_insert(&raw, other.id).await;
            baseline_times.push(started.elapsed());
            raw.close().await;
            cleanup(store, pg).await;
        }
        println!(
            "{}",
            Figures(import_times).line(&format!("{backend}: briefing-bot import"))
        );
        println!(
            "{}",
            Figures(baseline_times).line(&format!("{backend}: baseline bare INSERTs"))
        );
    }
}
