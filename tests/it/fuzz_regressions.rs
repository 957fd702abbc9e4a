//! The fuzz targets' kept inputs, replayed: the minimised corpus (`fuzz/corpus/<target>/`)
//! and every input that once crashed or ran slow (`fuzz/regressions/<target>/`), each through
//! the same function the fuzzer runs (`fuzz/targets.rs`). The fuzzers themselves need cargo
//! fuzz and run by hand (docs/testing.md); this keeps what they found fixed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use briefing_bot::domain::BoardSlug;
use briefing_bot::services::import::{
    check_file, import_csv, ImportError, ImportOptions, RecordKind,
};

use crate::support::db::sqlite;

#[path = "../../fuzz/targets.rs"]
mod targets;

/// Longer than any input may take in a debug build (the fuzzers hold each to 1 s optimised).
const SLOW: Duration = Duration::from_secs(10);

/// Every kept input of a target, in name order.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut paths: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|dir| std::fs::read_dir(fuzz.join(dir).join(target)).ok())
        .flatten()
        .map(|entry| entry.expect("read a kept input").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
}

/// Run every kept input of `target` through it; fail naming each input that panicked or ran
/// slow.
fn replay(target: &str, run: fn(&[u8])) {
    let paths = inputs(target);
    assert!(!paths.is_empty(), "no kept inputs for {target}");
    let mut failed = Vec::new();
    for path in &paths {
        let bytes = std::fs::read(path).expect("read a kept input");
        let started = Instant::now();
        if catch_unwind(AssertUnwindSafe(|| run(&bytes))).is_err() {
            failed.push(format!("{} panicked", path.display()));
        } else if started.elapsed() > SLOW {
            failed.push(format!("{} took {:?}", path.display(), started.elapsed()));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} inputs failed:\n{}",
        failed.len(),
        paths.len(),
        failed.join("\n")
    );
}

#[test]
fn csv_import() {
    replay("csv_import", targets::csv_import);
}

#[test]
fn dates() {
    replay("dates", targets::dates);
}

#[test]
fn refs() {
    replay("refs", targets::refs);
}

#[test]
fn schedule() {
    replay("schedule", targets::schedule);
}

#[test]
fn config() {
    replay("config", targets::config);
}

#[test]
fn retry_after() {
    replay("retry_after", targets::retry_after);
}

#[test]
fn slash_options() {
    replay("slash_options", targets::slash_options);
}

/// The CSV target fuzzes `check_file`, not the import itself: this holds the two together.
/// On an empty board a dry run refuses exactly what `check_file` does, plus each ref to a
/// recommendation the board lacks, and otherwise would create as many records.
#[tokio::test]
async fn check_file_finds_what_a_dry_run_import_finds() {
    let db = sqlite().await;
    let slug = BoardSlug::parse("fuzz").unwrap();
    let options = ImportOptions {
        by: "test",
        dry_run: true,
        now: Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap(),
        ..Default::default()
    };
    for path in inputs("csv_import") {
        let bytes = std::fs::read(&path).unwrap();
        for kind in [RecordKind::Recommendations, RecordKind::Actions] {
            let checked = check_file(&bytes, kind);
            let imported =
                import_csv(&db.store, Some(&slug), kind, "f.csv", &bytes, &options).await;
            let without_lookups = |problems: &[briefing_bot::services::import::Problem]| {
                problems
                    .iter()
                    .filter(|p| !p.message.starts_with("there is no recommendation"))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            match (checked, imported) {
                (Ok(rows), Ok(summary)) => {
                    assert_eq!(summary.created, rows, "{} as {kind:?}", path.display())
                }
                (Ok(_), Err(ImportError::Invalid { problems, .. })) => {
                    assert_eq!(
                        without_lookups(&problems),
                        [],
                        "{} as {kind:?}",
                        path.display()
                    )
                }
                (Err(found), Err(ImportError::Invalid { problems, .. })) => {
                    assert_eq!(
                        without_lookups(&problems),
                        found,
                        "{} as {kind:?}",
                        path.display()
                    )
                }
                (checked, imported) => panic!(
                    "{} as {kind:?}: check_file {checked:?}, import {imported:?}",
                    path.display()
                ),
            }
        }
    }
}
