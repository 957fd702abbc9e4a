//! The sample board shipped with the bot: the MPA Domestic and Sexual Violence Board's real
//! recommendations (from the documents in `config/sample/README.md`) with illustrative actions,
//! owners and dates, and a scripted history replayed at the times it "happened" so the record
//! has slips and completions. Everything is fixed relative to [`SAMPLE_AS_OF`], so the demo
//! prints the same briefing every time.

use chrono::{NaiveDate, TimeZone as _, Utc};

use crate::domain::{
    parse_date, parse_timestamp, ActionStatus, Board, BoardSettings, BoardSlug, Ref, Text,
};
use crate::services::actions::{
    change_due_date, record_action_status, sign_off_action, Author, StatusChange,
};

/// Who the sample's secretariat entries are by.
const SECRETARIAT: &str = "MPA secretariat";
use crate::services::import::{import_csv, ImportError, ImportOptions, RecordKind};
use crate::services::indicators::{import_indicator_csv, IndicatorFile};
use crate::services::settings::create_board;
use crate::services::ServiceError;
use crate::store::Store;

/// The sample board's recommendations (CSV, the import contract's columns).
pub const RECOMMENDATIONS_CSV: &str = include_str!("../config/sample/recommendations.csv");
/// The sample board's actions and borough action plan items.
pub const ACTIONS_CSV: &str = include_str!("../config/sample/actions.csv");
/// Scripted status updates: `at,action,change,value,note,by`.
pub const UPDATES_CSV: &str = include_str!("../config/sample/updates.csv");
/// The monitoring indicators the seed documents name. Their figures cannot be the real ones:
/// each description says they are illustrative.
pub const INDICATORS_CSV: &str = include_str!("../config/sample/indicators.csv");
/// Illustrative figures for the 13 boroughs the sample's action plans name, nine quarters to
/// Q2 2010/11, generated (not real data; every row's note says so).
pub const FIGURES_CSV: &str = include_str!("../config/sample/figures.csv");

/// The slug the sample board is loaded under.
pub const SAMPLE_SLUG: &str = "dsvb";

/// The sample board's full name.
pub const SAMPLE_NAME: &str = "MPA Domestic and Sexual Violence Board";

/// The day the sample is "as of": the Q2 2010/11 digest (July–September 2010) posts that day.
pub const SAMPLE_AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2010, 10, 1) {
    Some(d) => d,
    None => panic!("valid constant"),
};

/// Load the sample board into `store`, unless a board with its slug is already there.
/// Returns the board and whether it was loaded now.
pub async fn load_sample_board(store: &Store) -> Result<(Board, bool), ImportError> {
    let slug = BoardSlug::parse(SAMPLE_SLUG).expect("valid slug");
    // The records entered the tracker shortly after the annual report was published.
    let loaded_at = Utc
        .with_ymd_and_hms(2010, 2, 1, 9, 0, 0)
        .single()
        .expect("valid instant");
    match store.board(&slug).await? {
        // Loaded before: reuse it. (A board with no actions is a load that failed part way:
        // load it again.)
        Some(board) if !store.actions(board.id).await?.is_empty() => {
            // A sample loaded by a release without monitoring figures gains them.
            if store.indicators(board.id).await?.is_empty() {
                load_sample_figures(store, &slug).await?;
            }
            return Ok((board, false));
        }
        Some(_) => {}
        None => {
            let author = Author {
                by: "MPA secretariat",
                at: loaded_at,
            };
            create_board(
                store,
                &slug,
                SAMPLE_NAME,
                &BoardSettings::default(),
                &author,
            )
            .await?;
        }
    }
    let options = ImportOptions {
        by: "MPA secretariat",
        now: loaded_at,
        new_board_settings: BoardSettings::default(),
        ..Default::default()
    };
    import_csv(
        store,
        Some(&slug),
        RecordKind::Recommendations,
        "recommendations.csv",
        RECOMMENDATIONS_CSV.as_bytes(),
        &options,
    )
    .await?;
    import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "actions.csv",
        ACTIONS_CSV.as_bytes(),
        &options,
    )
    .await?;
    let board = store
        .board(&slug)
        .await?
        .ok_or_else(|| ServiceError::rejected("sample board vanished while loading"))?;
    replay_updates(store, &board).await?;
    load_sample_figures(store, &slug).await?;
    Ok((board, true))
}

/// Load the sample's indicators and their illustrative figures, recorded as the secretariat
/// entering them after the quarter closed.
async fn load_sample_figures(store: &Store, slug: &BoardSlug) -> Result<(), ImportError> {
    let options = ImportOptions {
        by: SECRETARIAT,
        now: Utc
            .with_ymd_and_hms(2010, 9, 30, 16, 0, 0)
            .single()
            .expect("valid instant"),
        new_board_settings: BoardSettings::default(),
        ..Default::default()
    };
    for (file, name, csv) in [
        (IndicatorFile::Indicators, "indicators.csv", INDICATORS_CSV),
        (IndicatorFile::Figures, "figures.csv", FIGURES_CSV),
    ] {
        import_indicator_csv(store, Some(slug), file, name, csv.as_bytes(), &options).await?;
    }
    Ok(())
}

/// Apply the scripted history in time order, each at its own instant.
async fn replay_updates(store: &Store, board: &Board) -> Result<(), ServiceError> {
    let bad = |line: usize, what: String| {
        ServiceError::rejected(format!("sample updates.csv line {line}: {what}"))
    };
    let mut reader = csv::Reader::from_reader(UPDATES_CSV.as_bytes());
    let mut events = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(line, e.to_string()))?;
        let field = |n: usize| record.get(n).unwrap_or("").to_string();
        let at = parse_timestamp(&field(0)).map_err(|e| bad(line, e.to_string()))?;
        events.push((at, line, field(1), field(2), field(3), field(4), field(5)));
    }
    events.sort_by_key(|e| (e.0, e.1));
    for (at, line, action, change, value, note, by) in events {
        let reference = Ref::parse(&action).map_err(|e| bad(line, e.to_string()))?;
        let note = Text::line(&note, Text::NOTE_MAX).ok();
        let author = Author { by: &by, at };
        match change.as_str() {
            "status" => {
                let status = ActionStatus::parse(&value).map_err(|e| bad(line, e.to_string()))?;
                let change = StatusChange {
                    status,
                    note: note.as_ref(),
                    evidence: None,
                    // The secretariat's own "done" needs no sign-off; an officer's waits for it.
                    by_secretariat: by == SECRETARIAT,
                };
                record_action_status(store, board, &reference, &change, &author).await?;
            }
            "sign_off" => {
                let note = note.ok_or_else(|| bad(line, "a sign-off needs a note".into()))?;
                sign_off_action(store, board, &reference, &note, &author).await?;
            }
            "due" => {
                let due = parse_date(&value).map_err(|e| bad(line, e.to_string()))?;
                let reason =
                    note.ok_or_else(|| bad(line, "a due-date change needs a note".into()))?;
                change_due_date(store, board, &reference, due, &reason, &author).await?;
            }
            other => return Err(bad(line, format!("unknown change {other:?}"))),
        }
    }
    Ok(())
}
