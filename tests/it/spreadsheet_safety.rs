//! Exports opened in a spreadsheet never run a formula: every text column of every kind, for
//! every character a spreadsheet starts a formula with, is guarded on export and comes back
//! unchanged on import; `export --raw` writes the text as stored.

use chrono::{TimeZone, Utc};

use briefing_bot::domain::spreadsheet::Cells;
use briefing_bot::domain::{ActionStatus, Board, BoardSlug, Ref, Text};
use briefing_bot::services::actions::{update_action_status, Author};
use briefing_bot::services::export::{export_csv, ExportKind};
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::settings::change_board;
use briefing_bot::store::Store;

use crate::cli::bot;
use crate::support::db::sqlite;

/// What a spreadsheet reads as the start of a formula and the file can carry into a stored
/// value (a leading tab or carriage return is trimmed on the way in, so it is only ever written
/// by the unit tests of the guard).
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

fn hostile(start: char, column: &str) -> String {
    format!("{start}HYPERLINK(\"http://example.invalid/{column}\",\"x\")")
}

fn options() -> ImportOptions<'static> {
    ImportOptions {
        by: "import",
        now: Utc.with_ymd_and_hms(2010, 9, 1, 9, 0, 0).unwrap(),
        ..Default::default()
    }
}

/// A file as a person would write it, with every text column of every row starting like a
/// formula.
fn csv_of(header: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

const REC_HEADER: [&str; 10] = [
    "ref",
    "title",
    "text",
    "source",
    "source_date",
    "theme",
    "owner",
    "priority",
    "response",
    "status",
];
const ACTION_HEADER: [&str; 9] = [
    "ref",
    "recommendation",
    "title",
    "owner",
    "borough",
    "officer",
    "due",
    "status",
    "completed_on",
];

fn recommendations_file() -> Vec<u8> {
    let rows = FORMULA_STARTS
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            vec![
                format!("R-{i:02}"),
                hostile(c, "title"),
                hostile(c, "text"),
                hostile(c, "source"),
                "2010-01-20".into(),
                hostile(c, "theme"),
                hostile(c, "owner"),
                "no".into(),
                "pending".into(),
                "open".into(),
            ]
        })
        .collect();
    csv_of(&REC_HEADER, rows)
}

fn actions_file() -> Vec<u8> {
    let rows = FORMULA_STARTS
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            vec![
                format!("A-{i:02}"),
                format!("R-{i:02}"),
                hostile(c, "title"),
                hostile(c, "owner"),
                hostile(c, "borough"),
                String::new(),
                "2010-12-01".into(),
                "on_track".into(),
                String::new(),
            ]
        })
        .collect();
    csv_of(&ACTION_HEADER, rows)
}

/// Load the hostile board, and give every action a history entry whose author, note and
/// evidence start like formulas, and the board a name that does (the settings history).
async fn hostile_board(store: &Store, slug: &BoardSlug) -> Board {
    for (kind, file) in [
        (RecordKind::Recommendations, recommendations_file()),
        (RecordKind::Actions, actions_file()),
    ] {
        import_csv(store, Some(slug), kind, "hostile.csv", &file, &options())
            .await
            .unwrap();
    }
    let board = store.board(slug).await.unwrap().unwrap();
    for (i, &c) in FORMULA_STARTS.iter().enumerate() {
        let by = hostile(c, "by");
        let author = Author {
            by: &by,
            at: Utc.with_ymd_and_hms(2010, 9, 2, 9, 0, 0).unwrap(),
        };
        let note = Text::multiline(&hostile(c, "note"), Text::NOTE_MAX).unwrap();
        let evidence = Text::line(&hostile(c, "evidence"), Text::NOTE_MAX).unwrap();
        update_action_status(
            store,
            &board,
            &Ref::parse(&format!("A-{i:02}")).unwrap(),
            ActionStatus::AtRisk,
            Some(&note),
            Some(&evidence),
            &author,
        )
        .await
        .unwrap();
    }
    let by = hostile('@', "secretary");
    let author = Author {
        by: &by,
        at: Utc.with_ymd_and_hms(2010, 9, 3, 9, 0, 0).unwrap(),
    };
    change_board(store, board.id, &author, |b| {
        b.name = hostile('=', "board name");
        Ok(())
    })
    .await
    .unwrap();
    store.board(slug).await.unwrap().unwrap()
}

const KINDS: [ExportKind; 4] = [
    ExportKind::Recommendations,
    ExportKind::Actions,
    ExportKind::History,
    ExportKind::SettingsHistory,
];

async fn export(store: &Store, board: &Board, kind: ExportKind, cells: Cells) -> Vec<u8> {
    let mut out = Vec::new();
    export_csv(store, board, kind, cells, &mut out)
        .await
        .unwrap();
    out
}

fn cells_of(file: &[u8]) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(file);
    reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>())
        .collect()
}

#[tokio::test]
async fn no_exported_cell_starts_like_a_formula_and_every_hostile_one_is_guarded() {
    let db = sqlite().await;
    let board = hostile_board(&db.store, &BoardSlug::parse("dsvb").unwrap()).await;
    for kind in KINDS {
        let safe = cells_of(&export(&db.store, &board, kind, Cells::SpreadsheetSafe).await);
        let raw = cells_of(&export(&db.store, &board, kind, Cells::Raw).await);
        assert_eq!(safe.len(), raw.len());
        let mut guarded = 0;
        for (safe, raw) in safe.iter().zip(&raw) {
            assert!(
                !safe.starts_with(|c| FORMULA_STARTS.contains(&c)),
                "{kind:?} exports {safe:?}, which a spreadsheet would run"
            );
            if raw.starts_with(|c| FORMULA_STARTS.contains(&c)) {
                assert_eq!(*safe, format!("'{raw}"), "{kind:?}");
                guarded += 1;
            } else {
                assert_eq!(safe, raw, "{kind:?}: only formula cells change");
            }
        }
        // Each kind carries hostile text in each of its text columns, for every character.
        let expected = match kind {
            ExportKind::Recommendations => 5 * FORMULA_STARTS.len(),
            ExportKind::Actions => 3 * FORMULA_STARTS.len(),
            // by, note and evidence of each status change.
            ExportKind::History => 3 * FORMULA_STARTS.len(),
            // by, and the board's new name.
            ExportKind::SettingsHistory => 2,
        };
        assert_eq!(guarded, expected, "{kind:?}: {raw:?}");
    }
}

#[tokio::test]
async fn a_guarded_export_imports_back_to_exactly_what_was_stored() {
    let db = sqlite().await;
    let store = &db.store;
    let board = hostile_board(store, &BoardSlug::parse("dsvb").unwrap()).await;
    let copy = BoardSlug::parse("copy").unwrap();
    for (kind, record) in [
        (ExportKind::Recommendations, RecordKind::Recommendations),
        (ExportKind::Actions, RecordKind::Actions),
    ] {
        let exported = export(store, &board, kind, Cells::SpreadsheetSafe).await;
        import_csv(
            store,
            Some(&copy),
            record,
            "export.csv",
            &exported,
            &options(),
        )
        .await
        .unwrap();
    }
    let copied = store.board(&copy).await.unwrap().unwrap();
    let titles = |recs: Vec<briefing_bot::domain::Recommendation>| {
        recs.into_iter()
            .map(|r| (r.title, r.text, r.source.map(|s| s.title), r.theme, r.owner))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.recommendations(copied.id).await.unwrap()),
        titles(store.recommendations(board.id).await.unwrap())
    );
    let action_text = |actions: Vec<briefing_bot::domain::Action>| {
        actions
            .into_iter()
            .map(|a| (a.title, a.owner, a.borough))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        action_text(store.actions(copied.id).await.unwrap()),
        action_text(store.actions(board.id).await.unwrap())
    );
    assert!(store.actions(copied.id).await.unwrap()[0]
        .title
        .starts_with("=HYPERLINK"));
    // And so the guarded files are byte for byte the same.
    for kind in [ExportKind::Recommendations, ExportKind::Actions] {
        assert_eq!(
            String::from_utf8(export(store, &copied, kind, Cells::SpreadsheetSafe).await).unwrap(),
            String::from_utf8(export(store, &board, kind, Cells::SpreadsheetSafe).await).unwrap()
        );
    }
}

#[test]
fn the_binary_guards_its_exports_and_raw_writes_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("recs.csv"), recommendations_file()).unwrap();
    let import = bot(
        dir.path(),
        &["import", "recommendations", "recs.csv", "--board", "pack"],
    );
    assert!(import.status.success(), "{import:?}");

    let safe = bot(dir.path(), &["export", "recommendations"]);
    assert!(safe.status.success(), "{safe:?}");
    let safe = String::from_utf8(safe.stdout).unwrap();
    assert!(
        safe.contains("\"'=HYPERLINK(\"\"http://example.invalid/title\"\""),
        "{safe}"
    );

    let raw = bot(
        dir.path(),
        &["export", "recommendations", "--raw", "--out", "raw.csv"],
    );
    assert!(raw.status.success(), "{raw:?}");
    let raw = std::fs::read(dir.path().join("raw.csv")).unwrap();
    assert_eq!(
        raw,
        recommendations_file(),
        "--raw gives back the file as imported"
    );
}

/// The lists a Discord post attaches in full when they are too long to show are CSV files
/// too, opened in the same spreadsheets: they are guarded the same way.
#[tokio::test]
async fn the_csv_files_attached_to_posts_are_guarded_too() {
    use briefing_bot::digest::render::discord::{digest_messages, reminder_messages};
    use briefing_bot::digest::{load_digest, load_reminder};

    let db = sqlite().await;
    let slug = BoardSlug::parse("dsvb").unwrap();
    let rows = (0..150)
        .map(|i| {
            let c = FORMULA_STARTS[i % FORMULA_STARTS.len()];
            vec![
                format!("A-{i:03}"),
                String::new(),
                format!(
                    "{}{}",
                    hostile(c, "title"),
                    " and a long description".repeat(5)
                ),
                hostile(c, "owner"),
                hostile(c, "borough"),
                String::new(),
                "2010-08-01".into(),
                "on_track".into(),
                String::new(),
            ]
        })
        .collect();
    import_csv(
        &db.store,
        Some(&slug),
        RecordKind::Actions,
        "many.csv",
        &csv_of(&ACTION_HEADER, rows),
        &options(),
    )
    .await
    .unwrap();
    let board = db.store.board(&slug).await.unwrap().unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2010, 10, 4).unwrap();
    let digest = load_digest(&db.store, &board, as_of).await.unwrap();
    let reminder = load_reminder(&db.store, &board, as_of)
        .await
        .unwrap()
        .unwrap();
    let mut messages = digest_messages(&digest, None);
    messages.extend(reminder_messages(&reminder, None));
    let files: Vec<_> = messages
        .iter()
        .flat_map(|m| &m.files)
        .filter(|f| f.name.ends_with(".csv"))
        .collect();
    assert!(
        files.iter().any(|f| f.name == "overdue.csv"),
        "the overdue list is attached in full"
    );
    for file in files {
        let cells = cells_of(&file.bytes);
        assert!(
            cells.iter().any(|c| c.starts_with("'=HYPERLINK")),
            "{}: hostile cells are there, guarded",
            file.name
        );
        for cell in cells {
            assert!(
                !cell.starts_with(|c| FORMULA_STARTS.contains(&c)),
                "{} has {cell:?}, which a spreadsheet would run",
                file.name
            );
        }
    }
}
