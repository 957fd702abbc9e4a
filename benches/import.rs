//! Import benchmark: a generated 10,000-action CSV imported into a fresh database, timed over
//! several runs, beside a baseline that inserts the same rows with bare SQL in one transaction
//! (the floor any importer has to pay). Then ten `briefing-bot import actions --update`
//! processes are started at once on one database, each changing its own 1,000 of the 10,000
//! actions: every one must succeed, and their wall time is set beside the same ten run one after
//! the other. Run with `cargo bench --bench import`; PostgreSQL too when `TEST_POSTGRES_URL` is
//! set.

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
async fn baseline_insert(pool: &sqlx::AnyPool, board_id: i64, backend: &str) {
    // PostgreSQL's due and created_at are date and timestamptz columns; SQLite's are ISO text.
    let sql = if backend == "postgres" {
        "INSERT INTO actions (board_id, reference, ref_key, title, owner, due, status, created_at, updated_at) \
         VALUES ($1, $2, $2, $3, $4, CAST($5 AS DATE), $6, CAST($7 AS TIMESTAMPTZ), CAST($7 AS TIMESTAMPTZ))"
    } else {
        "INSERT INTO actions (board_id, reference, ref_key, title, owner, due, status, created_at, updated_at) \
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $7)"
    };
    let mut tx = pool.begin().await.unwrap();
    for i in 0..ACTIONS {
        sqlx::query(sql)
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
            baseline_insert(&raw, other.id, backend).await;
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
        concurrent_imports(backend, &recs, &actions, dir.path()).await;
    }
}

/// Ten update files, file k moving actions k*1000 … k*1000+999 off track with a new due date.
fn update_files(actions: &str, dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let lines: Vec<&str> = actions.lines().collect();
    (0..10)
        .map(|k| {
            let mut csv = format!("{}\n", lines[0]);
            for line in &lines[1 + k * 1000..1 + (k + 1) * 1000] {
                let mut cells: Vec<&str> = line.split(',').collect();
                cells[6] = "2011-03-31";
                cells[7] = "off_track";
                cells[8] = "";
                csv.push_str(&cells.join(","));
                csv.push('\n');
            }
            let path = dir.join(format!("update-{k}.csv"));
            std::fs::write(&path, csv).unwrap();
            path
        })
        .collect()
}

/// Run the ten imports as separate processes, all at once or one after the other; returns the
/// wall time and how many exited successfully.
fn run_imports(url: &str, files: &[std::path::PathBuf], together: bool) -> (Duration, usize) {
    let start = |file: &std::path::PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
            .args(["--database-url", url, "import", "actions"])
            .arg(file)
            .args(["--board", "bench", "--update"])
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let statuses: Vec<std::process::Output> = if together {
        let children: Vec<_> = files.iter().map(start).collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    } else {
        files
            .iter()
            .map(|f| start(f).wait_with_output().unwrap())
            .collect()
    };
    let elapsed = started.elapsed();
    for out in statuses.iter().filter(|o| !o.status.success()) {
        println!(
            "    an import failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    (
        elapsed,
        statuses.iter().filter(|o| o.status.success()).count(),
    )
}

async fn concurrent_imports(backend: &str, recs: &str, actions: &str, dir: &std::path::Path) {
    let files = update_files(actions, dir);
    for together in [false, true] {
        let mut times = Vec::new();
        let mut succeeded = 0;
        for run in 0..3 {
            let (store, url, pg) = fresh(backend, 100 + run + 10 * usize::from(together), dir)
                .await
                .expect("database for the benchmark");
            let slug = BoardSlug::parse("bench").unwrap();
            let options = ImportOptions {
                by: "bench",
                now: chrono::Utc::now(),
                ..Default::default()
            };
            for (kind, csv) in [
                (RecordKind::Recommendations, recs),
                (RecordKind::Actions, actions),
            ] {
                import_csv(
                    &store,
                    Some(&slug),
                    kind,
                    "plan.csv",
                    csv.as_bytes(),
                    &options,
                )
                .await
                .unwrap();
            }
            let board = store.board(&slug).await.unwrap().unwrap();
            let url_for_run = url.clone();
            let files_for_run = files.clone();
            let (elapsed, ok) = tokio::task::spawn_blocking(move || {
                run_imports(&url_for_run, &files_for_run, together)
            })
            .await
            .unwrap();
            let moved = store
                .actions(board.id)
                .await
                .unwrap()
                .iter()
                .filter(|a| a.due.to_string() == "2011-03-31")
                .count();
            assert_eq!(moved, ACTIONS, "every import's changes are in the database");
            times.push(elapsed);
            succeeded += ok;
            cleanup(store, pg).await;
        }
        let label = if together {
            "10 CLI imports at once"
        } else {
            "baseline: the same 10, one by one"
        };
        println!(
            "{}   succeeded {succeeded} of 30",
            Figures(times).line(&format!("{backend}: {label}"))
        );
    }
}
