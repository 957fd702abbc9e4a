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
