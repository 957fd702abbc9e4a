//! What the benchmarks share: a generated board (500 recommendations, `n` actions, ten history
//! entries per action, each keeping its record as this release's history does), a database
//! for it on either backend, and the figures line every benchmark prints.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};

use briefing_bot::domain::{Board, BoardSlug};
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::store::Store;

pub fn recommendations_csv() -> String {
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

pub fn actions_csv(n: usize) -> String {
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
pub fn record_sql(backend: &str, id: i64) -> String {
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
pub async fn add_history(url: &str, backend: &str, board_id: i64, actions: usize) {
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

pub fn figures(label: &str, mut times: Vec<Duration>) -> f64 {
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

pub async fn database(
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

/// Load the generated board of `n` actions into `store` (at `url`), history included.
pub async fn generated_board(store: &Store, url: &str, backend: &str, n: usize) -> Board {
    let slug = BoardSlug::parse("bench").unwrap();
    let options = ImportOptions {
        by: "bench",
        now: Utc::now(),
        ..Default::default()
    };
    import_csv(
        store,
        Some(&slug),
        RecordKind::Recommendations,
        "r.csv",
        recommendations_csv().as_bytes(),
        &options,
    )
    .await
    .unwrap();
    import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "a.csv",
        actions_csv(n).as_bytes(),
        &options,
    )
    .await
    .unwrap();
    let board = store.board(&slug).await.unwrap().unwrap();
    add_history(url, backend, board.id, n).await;
    board
}

/// Drop a PostgreSQL database [`database`] made.
pub async fn drop_database(cleanup: Option<(String, String)>) {
    if let Some((admin, db)) = cleanup {
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&pool)
            .await;
        pool.close().await;
    }
}
