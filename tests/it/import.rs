//! Bad CSV input: every case gets a message naming the line, column and fix, and nothing is
//! written. Parsing does not depend on the backend, so most cases run on SQLite; the
//! all-or-nothing guarantee runs on both.

use chrono::{TimeZone, Utc};

use briefing_bot::domain::spreadsheet::Cells;
use briefing_bot::domain::BoardSlug;
use briefing_bot::services::export::{export_csv, ExportKind};
use briefing_bot::services::import::{import_csv, ImportError, ImportOptions, Problem, RecordKind};
use briefing_bot::store::Store;

use crate::on_both_backends;
use crate::store_contract::{load, ACTIONS, RECS};
use crate::support::db::{sqlite, TestDb};

const ACTION_HEADER: &str =
    "ref,recommendation,title,owner,borough,officer,due,status,completed_on";

fn options() -> ImportOptions<'static> {
    ImportOptions {
        by: "test",
        now: Utc.with_ymd_and_hms(2010, 9, 1, 9, 0, 0).unwrap(),
        ..Default::default()
    }
}

/// Import `bytes` as actions into board `dsvb` (which holds the small test board) and return the
/// problems; panics if the import succeeded.
async fn problems_with(store: &Store, kind: RecordKind, bytes: &[u8]) -> Vec<Problem> {
    let slug = BoardSlug::parse("dsvb").unwrap();
    match import_csv(store, Some(&slug), kind, "bad.csv", bytes, &options()).await {
        Err(ImportError::Invalid { problems, .. }) => problems,
        other => panic!("expected the file to be rejected, got {other:?}"),
    }
}

/// The board's records are exactly those of the small test board: nothing was written.
async fn assert_untouched(store: &Store) {
    let board = store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.actions(board.id).await.unwrap().len(), 3);
    assert_eq!(store.recommendations(board.id).await.unwrap().len(), 2);
    assert_eq!(store.history(board.id).await.unwrap().len(), 5);
}

async fn loaded() -> TestDb {
    let db = sqlite().await;
    load(&db.store, "dsvb").await;
    db
}

fn has(problems: &[Problem], line: u64, column: Option<&str>, text: &str) -> bool {
    problems
        .iter()
        .any(|p| p.line == line && p.column.as_deref() == column && p.message.contains(text))
}

#[tokio::test]
async fn every_problem_in_a_file_is_listed_with_line_and_column() {
    let db = loaded().await;
    let file = format!(
        "{ACTION_HEADER}\n\
         ACT-010,NOPE,Audit,Bexley CSU,Bexley,jane,2026-02-31,finished,\n\
         ACT-011,,Audit,Bexley CSU,,,1900-01-01,on_track,\n\
         ACT-012,,Audit,Bexley CSU,,,3000-01-01,on_track,\n\
         ACT-010,,Again,Bexley CSU,,,2026-01-01,on_track,\n\
         ACT-013,,,Bexley CSU,,,31 Feb 2026,on_track,\n"
    );
    let problems = problems_with(&db.store, RecordKind::Actions, file.as_bytes()).await;
    assert!(
        has(
            &problems,
            2,
            Some("recommendation"),
            "no recommendation NOPE"
        ),
        "{problems:#?}"
    );
    assert!(has(&problems, 2, Some("officer"), "not a Discord user id"));
    assert!(has(&problems, 2, Some("due"), "not a day on the calendar"));
    assert!(has(
        &problems,
        2,
        Some("status"),
        "not a valid action status; use one of: not_started"
    ));
    assert!(has(&problems, 3, Some("due"), "outside 1990–2099"));
    assert!(has(&problems, 4, Some("due"), "outside 1990–2099"));
    assert!(has(
        &problems,
        5,
        Some("ref"),
        "appears twice in this file (first on line 2)"
    ));
    assert!(has(&problems, 6, Some("title"), "is empty"));
    assert!(has(&problems, 6, Some("due"), "not a day on the calendar"));
    assert_eq!(problems.len(), 9, "{problems:#?}");
    assert_untouched(&db.store).await;
}

#[tokio::test]
async fn the_error_message_says_nothing_was_imported_and_lists_every_problem() {
    let db = loaded().await;
    let slug = BoardSlug::parse("dsvb").unwrap();
    let file =
        format!("{ACTION_HEADER}\nX1,,T,O,,,2026-01-01,nope,\nX2,,T,O,,,2026-13-01,on_track,\n");
    let err = import_csv(
        &db.store,
        Some(&slug),
        RecordKind::Actions,
        "plan.csv",
        file.as_bytes(),
        &options(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("plan.csv was rejected and nothing was imported. Fix these 2 problems"),
        "{err}"
    );
    assert!(err.contains("line 2, column status"), "{err}");
    assert!(err.contains("line 3, column due"), "{err}");
}

#[tokio::test]
async fn wrong_delimiter_gets_a_hint() {
    let db = loaded().await;
    let file = "ref;title;owner;due\nX1;T;O;2026-01-01\n";
    let problems = problems_with(&db.store, RecordKind::Actions, file.as_bytes()).await;
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .contains("missing required columns ref, title, owner, due"),
        "{problems:?}"
    );
    assert!(
        problems[0].message.contains("semicolons or tabs"),
        "{problems:?}"
    );
    assert_untouched(&db.store).await;
}

#[tokio::test]
async fn missing_header_or_empty_file_is_explained() {
    let db = loaded().await;
    let headerless = "X1,,Audit,Bexley CSU,,,2026-01-01,on_track,\n";
    let problems = problems_with(&db.store, RecordKind::Actions, headerless.as_bytes()).await;
    assert!(
        problems[0].message.contains("missing required column"),
        "{problems:?}"
    );
    assert!(
        problems[0].message.contains("ref (required)"),
        "{problems:?}"
    );
    let empty = problems_with(&db.store, RecordKind::Actions, b"").await;
    assert!(empty[0].message.contains("the file is empty"), "{empty:?}");
    assert_untouched(&db.store).await;
}

#[tokio::test]
async fn byte_order_mark_crlf_and_quoted_newlines_are_read_correctly() {
    let db = sqlite().await;
    let slug = BoardSlug::parse("dsvb").unwrap();
    let recs = format!("\u{feff}{}", RECS.replace('\n', "\r\n")).replace(
        "\"Record, consistently.\"",
        "\"Record, consistently.\r\nAcross all boroughs.\"",
    );
    import_csv(
        &db.store,
        Some(&slug),
        RecordKind::Recommendations,
        "r.csv",
        recs.as_bytes(),
        &options(),
    )
    .await
    .expect("BOM + CRLF + quoted newline import");
    let board = db.store.board(&slug).await.unwrap().unwrap();
    let stored = db.store.recommendations(board.id).await.unwrap();
    assert_eq!(
        stored[0].reference.as_str(),
        "DSVB-2010-01",
        "the BOM must not stick to the first column"
    );
    assert_eq!(
        stored[0].text.as_deref(),
        Some("Record, consistently.\nAcross all boroughs.")
    );
    assert_eq!(stored[1].title, "Options for victim feedback");
}

#[tokio::test]
async fn non_utf8_is_refused_with_the_fix() {
    let db = loaded().await;
    let mut file = format!("{ACTION_HEADER}\nX1,,Caf").into_bytes();
    file.push(0xE9); // "é" in Latin-1, as older spreadsheets save it
    file.extend_from_slice(b",Bexley CSU,,,2026-01-01,on_track,\n");
    let problems = problems_with(&db.store, RecordKind::Actions, &file).await;
    assert!(
        has(&problems, 2, Some("title"), "not valid UTF-8"),
        "{problems:?}"
    );
    assert!(problems[0].message.contains("CSV UTF-8"));
    assert_untouched(&db.store).await;
}

#[tokio::test]
async fn ten_megabytes_in_one_cell_is_refused() {
    let db = loaded().await;
    let huge = "x".repeat(10 * 1024 * 1024);
    let file = format!("{ACTION_HEADER}\nX1,,{huge},Bexley CSU,,,2026-01-01,on_track,\n");
    let problems = problems_with(&db.store, RecordKind::Actions, file.as_bytes()).await;
    assert_eq!(
        problems.len(),
        1,
        "{:?}",
        problems
            .iter()
            .map(|p| p.to_string().chars().take(200).collect::<String>())
            .collect::<Vec<_>>()
    );
    assert!(has(&problems, 2, Some("title"), "10485760 characters"));
    // Long-but-plausible text gets the field's own limit.
    let long_title = "t".repeat(201);
    let file = format!("{ACTION_HEADER}\nX1,,{long_title},Bexley CSU,,,2026-01-01,on_track,\n");
    let problems = problems_with(&db.store, RecordKind::Actions, file.as_bytes()).await;
    assert!(
        has(&problems, 2, Some("title"), "at most 200"),
        "{problems:?}"
    );
    assert_untouched(&db.store).await;
}

#[tokio::test]
async fn ragged_rows_and_broken_quotes_are_reported() {
    let db = loaded().await;
    let file = format!("{ACTION_HEADER}\nX1,,Audit,Bexley CSU,2026-01-01\n");
    let problems = problems_with(&db.store, RecordKind::Actions, file.as_bytes()).await;
    assert!(
        has(&problems, 2, None, "has 5 cells but the header has 9"),
        "{problems:?}"
    );
    assert_untouched(&db.store).await;
}

#[tokio::test]
async fn a_dry_run_writes_nothing_not_even_a_new_board() {
    let db = sqlite().await;
    let slug = BoardSlug::parse("fresh").unwrap();
    let summary = import_csv(
        &db.store,
        Some(&slug),
        RecordKind::Recommendations,
        "r.csv",
        RECS.as_bytes(),
        &ImportOptions {
            dry_run: true,
            ..options()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.created, summary.dry_run, summary.board_created),
        (2, true, true)
    );
    assert!(db.store.boards().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_rejected_file_does_not_create_its_board() {
    let db = sqlite().await;
    let slug = BoardSlug::parse("fresh").unwrap();
    let file = "ref,title,status\nR1,Title,maybe\n";
    let result = import_csv(
        &db.store,
        Some(&slug),
        RecordKind::Recommendations,
        "r.csv",
        file.as_bytes(),
        &options(),
    )
    .await;
    assert!(result.is_err());
    assert!(db.store.boards().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_read_only_database_is_explained() {
    let db = loaded().await;
    db.store.close().await;
    let url = format!("{}?mode=ro", db.url);
    let store = Store::connect(&briefing_bot::store::DatabaseUrl::new(&url))
        .await
        .expect("read-only open");
    let slug = BoardSlug::parse("dsvb").unwrap();
    let more = "ref,title\nDSVB-2010-09,Another\n";
    let err = import_csv(
        &store,
        Some(&slug),
        RecordKind::Recommendations,
        "r.csv",
        more.as_bytes(),
        &options(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("is read-only"), "{err}");
    assert!(err.contains("writable"), "{err}");
}

#[tokio::test]
async fn an_unreachable_database_is_explained_without_its_password() {
    let url = briefing_bot::store::DatabaseUrl::new("postgres://board:s3cret@127.0.0.1:1/briefing");
    let err = Store::connect(&url).await.unwrap_err().to_string();
    assert!(
        err.contains(
            "could not connect to the database at postgres://board:***@127.0.0.1:1/briefing"
        ),
        "{err}"
    );
    assert!(err.contains("Check that the server is running"), "{err}");
    assert!(!err.contains("s3cret"));
}

/// One bad row at the end of many good ones: nothing of the good ones is written.
async fn imports_are_all_or_nothing(db: TestDb) {
    load(&db.store, "dsvb").await;
    let mut file = String::from(ACTION_HEADER);
    file.push('\n');
    for i in 0..200 {
        file.push_str(&format!(
            "BULK-{i:03},DSVB-2010-01,Step {i},MPS,,,2011-01-01,not_started,\n"
        ));
    }
    file.push_str("BULK-999,DSVB-2010-01,Bad,MPS,,,2011-01-01,finished,\n");
    let problems = problems_with(&db.store, RecordKind::Actions, file.as_bytes()).await;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 202);
    assert_untouched(&db.store).await;
    // The same file imports whole once fixed.
    let fixed = file.replace("finished", "on_track");
    let slug = BoardSlug::parse("dsvb").unwrap();
    let summary = import_csv(
        &db.store,
        Some(&slug),
        RecordKind::Actions,
        "bulk.csv",
        fixed.as_bytes(),
        &options(),
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 201);
    let _ = ACTIONS;
}

on_both_backends!(
    imports_are_all_or_nothing,
    undated_done_actions_round_trip_through_export_unchanged,
);

/// Actions done with and without a completion date, and one still open.
const UNDATED_DONE: &str = "\
ref,recommendation,title,owner,borough,officer,due,status,completed_on
ACT-001,DSVB-2010-01,Done and dated,MPS,,,2010-06-30,done,2010-06-01
ACT-002,DSVB-2010-01,Done without a date,MPS,,,2010-06-30,done,
ACT-003,DSVB-2010-02,Still open,MPS,,,2010-09-30,on_track,
";

/// An export of actions imported as done without a date imports back unchanged: the missing
/// date is kept missing (not filled in with the import's day), and no history is written.
async fn undated_done_actions_round_trip_through_export_unchanged(db: TestDb) {
    let store = &db.store;
    let slug = BoardSlug::parse("dsvb").unwrap();
    import_csv(
        store,
        Some(&slug),
        RecordKind::Recommendations,
        "recs.csv",
        RECS.as_bytes(),
        &options(),
    )
    .await
    .unwrap();
    import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "actions.csv",
        UNDATED_DONE.as_bytes(),
        &options(),
    )
    .await
    .unwrap();
    let board = store.board(&slug).await.unwrap().unwrap();
    let mut exported = Vec::new();
    export_csv(
        store,
        &board,
        ExportKind::Actions,
        Cells::SpreadsheetSafe,
        &mut exported,
    )
    .await
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&exported), UNDATED_DONE);
    let actions_before = store.actions(board.id).await.unwrap();
    let history_before = store.history(board.id).await.unwrap().len();

    let update = ImportOptions {
        update: true,
        ..options()
    };
    let summary = import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "export.csv",
        &exported,
        &update,
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.created, summary.updated, summary.unchanged),
        (0, 0, 3),
        "{summary}"
    );
    assert_eq!(store.actions(board.id).await.unwrap(), actions_before);
    assert_eq!(store.history(board.id).await.unwrap().len(), history_before);

    // An action the file newly marks done, without a date, still takes the import's day.
    let finished = UNDATED_DONE.replace("2010-09-30,on_track,", "2010-09-30,done,");
    let summary = import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "finished.csv",
        finished.as_bytes(),
        &update,
    )
    .await
    .unwrap();
    assert_eq!((summary.updated, summary.unchanged), (1, 2), "{summary}");
    let actions = store.actions(board.id).await.unwrap();
    let completed = |reference: &str| {
        actions
            .iter()
            .find(|a| a.reference.as_str() == reference)
            .unwrap()
            .completed_on
    };
    assert_eq!(completed("ACT-002"), None);
    assert_eq!(completed("ACT-003"), Some(options().now.date_naive()));
}

/// The same round trip as a secretary would run it: `export actions`, then `import actions
/// FILE --update` of that file, with the real binary on a SQLite file.
#[test]
fn the_binary_reimports_its_own_export_of_undated_done_actions_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("board.db").display());
    let bot = |args: &[&str]| {
        let mut all = vec!["--database-url", url.as_str()];
        all.extend_from_slice(args);
        let out = crate::cli::bot(dir.path(), &all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    std::fs::write(dir.path().join("recs.csv"), RECS).unwrap();
    std::fs::write(dir.path().join("actions.csv"), UNDATED_DONE).unwrap();
    bot(&["import", "recommendations", "recs.csv", "--board", "dsvb"]);
    bot(&["import", "actions", "actions.csv", "--board", "dsvb"]);
    bot(&[
        "export",
        "actions",
        "--board",
        "dsvb",
        "--out",
        "export.csv",
    ]);
    let exported = std::fs::read_to_string(dir.path().join("export.csv")).unwrap();
    assert_eq!(exported, UNDATED_DONE);
    for _ in 0..2 {
        assert_eq!(
            bot(&[
                "import",
                "actions",
                "export.csv",
                "--board",
                "dsvb",
                "--update"
            ]),
            "board dsvb: created 0, updated 0, unchanged 3"
        );
    }
}
