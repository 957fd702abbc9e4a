//! Upgrades keep data: databases made by release 0.1 (tests/fixtures/release-0.1) open with
//! today's code, migrate in place, and export exactly what that release exported.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::db;

const BOARDS: [&str; 2] = ["dsvb", "generated"];
const KINDS: [&str; 3] = ["recommendations", "actions", "history"];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1")
}

/// Export every kind of every board through the real binary and compare with the release's
/// own exports, byte for byte.
fn exports_match(database_url: &str, expected: &Path) {
    let out_dir = tempfile::tempdir().unwrap();
    for board in BOARDS {
        for kind in KINDS {
            let out = out_dir.path().join(format!("{board}-{kind}.csv"));
            let run = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
                .args([
                    "--database-url",
                    database_url,
                    "export",
                    kind,
                    "--board",
                    board,
                ])
                .arg("--out")
                .arg(&out)
                .env_remove("DATABASE_URL")
                .env_remove("BRIEFING_CONFIG")
                .output()
                .unwrap();
            assert!(
                run.status.success(),
                "export {kind} of {board}: {}",
                String::from_utf8_lossy(&run.stderr)
            );
            let got = std::fs::read_to_string(&out).unwrap();
            let want =
                std::fs::read_to_string(expected.join(format!("{board}-{kind}.csv"))).unwrap();
            assert_eq!(
                got, want,
                "export {kind} of {board} changed after the upgrade"
            );
        }
    }
}

#[test]
fn a_release_0_1_sqlite_database_upgrades_and_exports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("briefing.db");
    std::fs::copy(fixtures().join("briefing.db"), &file).unwrap();
    let url = format!("sqlite://{}", file.display());
    exports_match(&url, &fixtures().join("exports-sqlite"));
    // Opening it again (already migrated) changes nothing either.
    exports_match(&url, &fixtures().join("exports-sqlite"));
}

#[tokio::test]
async fn a_release_0_1_postgres_database_upgrades_and_exports_the_same() {
    let Some(db) = db::empty_postgres().await else {
        return;
    };
    let dump = std::fs::read_to_string(fixtures().join("postgres.sql")).unwrap();
    db.load_sql(&dump).await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        exports_match(&url, &fixtures().join("exports-postgres"));
    })
    .await
    .unwrap();
}

/// Figures and their history recorded before migration 20261204000010 (which rebuilds both
/// SQLite tables to check dates with constraints) come through it whole: the same rows under
/// the same ids, the history in its order and still append-only, and the next import adds to
/// them.
#[tokio::test]
async fn figures_recorded_before_the_date_check_rebuild_are_kept() {
    use briefing_bot::domain::BoardSlug;
    use briefing_bot::services::import::ImportOptions;
    use briefing_bot::services::indicators::{import_indicator_csv, IndicatorFile};
    use briefing_bot::store::{DatabaseUrl, Store};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut before = sqlx::migrate::Migrator::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"),
    )
    .await
    .unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < 20261204000010)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.unwrap();
    let at = "2010-10-02T09:00:00.000000Z";
    for sql in [
        format!("INSERT INTO boards (id, slug, name, created_at) VALUES (1, 'dsvb', 'DSVB', '{at}')"),
        format!(
            "INSERT INTO indicators (id, board_id, key, name, unit, better, created_at, updated_at) \
             VALUES (3, 1, 'sso_rate', 'SSO rate', 'percent', 'higher', '{at}', '{at}')"
        ),
        format!(
            "INSERT INTO indicator_figures (id, board_id, indicator_id, area, area_key, period, \
             value, denominator, note, updated_at) VALUES \
             (5, 1, 3, 'Brent', 'brent', '2010-07-01', 1, 3, NULL, '{at}'), \
             (9, 1, 3, 'Bexley', 'bexley', '2010-04-01', 2, 6, 'late return', '{at}')"
        ),
        format!(
            "INSERT INTO indicator_history (id, board_id, subject, key, area, period, recorded_at, \
             recorded_by, change, old_value, new_value, note) VALUES \
             (2, 1, 'indicator', 'sso_rate', NULL, NULL, '{at}', 'secretariat', 'created', NULL, \
             'SSO rate (percent, better higher)', 'imported from i.csv'), \
             (7, 1, 'figure', 'sso_rate', 'Brent', '2010-07-01', '{at}', 'secretariat', 'created', \
             NULL, '1/3', 'imported from f.csv'), \
             (8, 1, 'figure', 'sso_rate', 'Bexley', '2010-04-01', '{at}', 'secretariat', \
             'created', NULL, '2/6', 'imported from f.csv: late return')"
        ),
    ] {
        sqlx::query(&sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = Store::connect(&DatabaseUrl::new(&url)).await.unwrap();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    type FigureRow = (i64, String, String, i64, Option<i64>, Option<String>);
    let rows: Vec<FigureRow> = sqlx::query_as(
        "SELECT id, area, period, value, denominator, note FROM indicator_figures ORDER BY id",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            (5, "Brent".into(), "2010-07-01".into(), 1, Some(3), None),
            (
                9,
                "Bexley".into(),
                "2010-04-01".into(),
                2,
                Some(6),
                Some("late return".into())
            ),
        ]
    );
    let history: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, change, new_value FROM indicator_history ORDER BY id")
            .fetch_all(&raw)
            .await
            .unwrap();
    assert_eq!(
        history,
        [
            (
                2,
                "created".into(),
                Some("SSO rate (percent, better higher)".into())
            ),
            (7, "created".into(), Some("1/3".into())),
            (8, "created".into(), Some("2/6".into())),
        ]
    );
    assert!(sqlx::query("DELETE FROM indicator_history")
        .execute(&raw)
        .await
        .is_err_and(|e| e.to_string().contains("append-only")));

    // The board reads and takes figures as before.
    let options = ImportOptions {
        by: "secretariat",
        now: chrono::DateTime::parse_from_rfc3339("2011-01-05T09:00:00Z")
            .unwrap()
            .into(),
        ..Default::default()
    };
    let added = import_indicator_csv(
        &store,
        Some(&BoardSlug::parse("dsvb").unwrap()),
        IndicatorFile::Figures,
        "f2.csv",
        b"indicator,area,period,value,denominator,note\nsso_rate,Brent,2010-10-01,2,4,\n",
        &options,
    )
    .await
    .unwrap();
    assert_eq!(added.created, 1);
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM indicator_history ORDER BY id")
        .fetch_all(&raw)
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    assert!(ids[3] > 8, "{ids:?}");
    let figures = store.figures(1, None, None).await.unwrap();
    assert_eq!(figures.len(), 3);
    raw.close().await;
    store.close().await;
}
