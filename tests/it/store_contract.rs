//! The store contract: the same behaviour on SQLite and PostgreSQL. Every test body here runs
//! on both (PostgreSQL when `TEST_POSTGRES_URL` is set; CI always sets it).

use chrono::{NaiveDate, TimeZone, Utc};

use briefing_bot::domain::spreadsheet::Cells;
use briefing_bot::domain::{
    ActionStatus, BoardSettings, BoardSlug, ChangeKind, OfficerId, RecommendationStatus, Ref,
    Response, SubjectKind, Text, TimeZone as BoardTimeZone, YearStartMonth,
};
use briefing_bot::services::actions::{
    assign_officer, change_due_date, set_recommendation_response, set_recommendation_status,
    update_action_status, Author,
};
use briefing_bot::services::export::{export_csv, ExportKind};
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::ServiceError;
use briefing_bot::store::{ActionFilter, DatabaseUrl, Store};

use crate::on_both_backends;
use crate::support::boards::{create_board, set_settings};
use crate::support::db::TestDb;

pub const RECS: &str = "\
ref,title,text,source,source_date,theme,owner,priority,response,status
DSVB-2010-01,Record diversity data consistently,\"Record, consistently.\",DSVB Annual Report 2009/10,2010-01-20,data recording,MPS,yes,accepted,open
DSVB-2010-02,Options for victim feedback,,DSVB Annual Report 2009/10,2010-01-20,victim feedback,MPS,no,pending,open
";

pub const ACTIONS: &str = "\
ref,recommendation,title,owner,borough,officer,due,status,completed_on
ACT-001,DSVB-2010-01,Audit diversity recording,Bexley Community Safety,Bexley,200000000000000001,2010-09-01,on_track,
ACT-002,DSVB-2010-02,Pilot a feedback tool,MPS Sapphire,,,2010-12-01,done,2010-08-01
ACT-003,,Train front desk staff,MPS Training,Lambeth,,2010-10-15,at_risk,
";

fn slug(s: &str) -> BoardSlug {
    BoardSlug::parse(s).unwrap()
}

fn r(s: &str) -> Ref {
    Ref::parse(s).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn options(now: chrono::DateTime<Utc>) -> ImportOptions<'static> {
    ImportOptions {
        by: "test",
        now,
        ..Default::default()
    }
}

/// Load the small board above into `board_slug`.
pub async fn load(store: &Store, board_slug: &str) {
    let s = slug(board_slug);
    let now = at(2010, 2, 1, 9);
    import_csv(
        store,
        Some(&s),
        RecordKind::Recommendations,
        "recs.csv",
        RECS.as_bytes(),
        &options(now),
    )
    .await
    .expect("recommendations import");
    import_csv(
        store,
        Some(&s),
        RecordKind::Actions,
        "actions.csv",
        ACTIONS.as_bytes(),
        &options(now),
    )
    .await
    .expect("actions import");
}

async fn boards_are_created_listed_and_configured(db: TestDb) {
    let store = &db.store;
    assert!(store.boards().await.unwrap().is_empty());
    let settings = BoardSettings {
        time_zone: BoardTimeZone::parse("Pacific/Auckland").unwrap(),
        year_start_month: YearStartMonth::new(7).unwrap(),
        remind_before_days: 7,
        escalate_after_days: 14,
        reminder_schedule: briefing_bot::domain::Schedule::parse("0 30 8 * * Tue").unwrap(),
        ..Default::default()
    };
    let board = create_board(store, &slug("dsvb"), "DSVB", &settings, at(2026, 1, 1, 0))
        .await
        .unwrap();
    create_board(
        store,
        &slug("another"),
        "Another",
        &BoardSettings::default(),
        at(2026, 1, 1, 0),
    )
    .await
    .unwrap();
    let listed: Vec<String> = store
        .boards()
        .await
        .unwrap()
        .iter()
        .map(|b| b.slug.to_string())
        .collect();
    assert_eq!(listed, ["another", "dsvb"]);
    let read = store.board(&slug("dsvb")).await.unwrap().unwrap();
    assert_eq!(read.settings, settings);
    let mut changed = settings.clone();
    changed.remind_before_days = 21;
    set_settings(store, board.id, &changed).await;
    assert_eq!(
        store
            .board(&slug("dsvb"))
            .await
            .unwrap()
            .unwrap()
            .settings
            .remind_before_days,
        21
    );
    assert!(
        create_board(store, &slug("dsvb"), "Again", &settings, at(2026, 1, 1, 0))
            .await
            .is_err()
    );
}

async fn imported_records_read_back_exactly(db: TestDb) {
    let store = &db.store;
    load(store, "dsvb").await;
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    let recs = store.recommendations(board.id).await.unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].text.as_deref(), Some("Record, consistently."));
    assert_eq!(
        recs[0].source.as_ref().unwrap().published_on,
        NaiveDate::from_ymd_opt(2010, 1, 20)
    );
    assert!(recs[0].priority.0);
    assert_eq!(recs[0].response, Response::Accepted);
    let actions = store.actions(board.id).await.unwrap();
    assert_eq!(actions.len(), 3);
    let a1 = &actions[0];
    assert_eq!(a1.reference.as_str(), "ACT-001");
    assert_eq!(a1.recommendation.as_ref().unwrap().as_str(), "DSVB-2010-01");
    assert_eq!(a1.officer, Some(OfficerId::new(200000000000000001)));
    assert_eq!(a1.borough.as_deref(), Some("Bexley"));
    assert_eq!(actions[1].completed_on, NaiveDate::from_ymd_opt(2010, 8, 1));
    assert_eq!(actions[2].recommendation, None);
    // Refs are found whatever their case.
    let found = store
        .action(board.id, &r("act-003"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.title, "Train front desk staff");
    // Every record's arrival is in the history.
    let history = store.history(board.id).await.unwrap();
    assert_eq!(history.len(), 5);
    assert!(history
        .iter()
        .all(|u| u.change == ChangeKind::Created && u.by == "test"));
}

async fn boards_do_not_see_each_others_records(db: TestDb) {
    let store = &db.store;
    load(store, "north").await;
    load(store, "south").await;
    let north = store.board(&slug("north")).await.unwrap().unwrap();
    let south = store.board(&slug("south")).await.unwrap().unwrap();
    let author = Author {
        by: "officer",
        at: at(2010, 9, 1, 10),
    };
    let note = Text::line("evidence in board paper 12", 1000).unwrap();
    update_action_status(
        store,
        &north,
        &r("ACT-001"),
        ActionStatus::Done,
        Some(&note),
        None,
        &author,
    )
    .await
    .unwrap();
    let south_action = store
        .action(south.id, &r("ACT-001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(south_action.status, ActionStatus::OnTrack);
    assert_eq!(store.history(south.id).await.unwrap().len(), 5);
    assert_eq!(store.history(north.id).await.unwrap().len(), 6);
}

async fn status_updates_append_history_and_track_completion(db: TestDb) {
    let store = &db.store;
    load(store, "dsvb").await;
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    // 23:30 UTC on 31 August is already 1 September in London (BST).
    let author = Author {
        by: "discord:200000000000000001",
        at: Utc.with_ymd_and_hms(2010, 8, 31, 23, 30, 0).unwrap(),
    };
    let note = Text::line("Audit report to the board", 1000).unwrap();
    let evidence = Text::line("https://example.org/audit.pdf", 1000).unwrap();

    // Closing without a note is refused and changes nothing.
    let refused = update_action_status(
        store,
        &board,
        &r("ACT-001"),
        ActionStatus::Done,
        None,
        None,
        &author,
    )
    .await;
    assert!(
        matches!(refused, Err(ServiceError::Rejected(ref m)) if m.contains("needs a note")),
        "{refused:?}"
    );
    assert_eq!(
        store
            .action(board.id, &r("ACT-001"))
            .await
            .unwrap()
            .unwrap()
            .status,
        ActionStatus::OnTrack
    );

    let change = update_action_status(
        store,
        &board,
        &r("ACT-001"),
        ActionStatus::Done,
        Some(&note),
        Some(&evidence),
        &author,
    )
    .await
    .unwrap();
    assert_eq!(change.before.status, ActionStatus::OnTrack);
    assert_eq!(
        change.after.completed_on,
        NaiveDate::from_ymd_opt(2010, 9, 1)
    );
    let stored = store
        .action(board.id, &r("ACT-001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, change.after);

    let history = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.change, ChangeKind::Status);
    assert_eq!(
        (last.old_value.as_deref(), last.new_value.as_deref()),
        (Some("on_track"), Some("done"))
    );
    assert_eq!(last.note.as_deref(), Some("Audit report to the board"));
    assert_eq!(
        last.evidence.as_deref(),
        Some("https://example.org/audit.pdf")
    );
    assert_eq!(last.by, "discord:200000000000000001");
    assert_eq!(last.at, author.at);

    // Reopening clears the completion date; the history keeps both changes.
    update_action_status(
        store,
        &board,
        &r("ACT-001"),
        ActionStatus::AtRisk,
        Some(&note),
        None,
        &author,
    )
    .await
    .unwrap();
    assert_eq!(
        store
            .action(board.id, &r("ACT-001"))
            .await
            .unwrap()
            .unwrap()
            .completed_on,
        None
    );
    assert_eq!(
        store
            .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
            .await
            .unwrap()
            .len(),
        3
    );

    // Unknown refs say so.
    let missing = update_action_status(
        store,
        &board,
        &r("ACT-999"),
        ActionStatus::Done,
        Some(&note),
        None,
        &author,
    )
    .await;
    assert!(matches!(missing, Err(ServiceError::NotFound { .. })));
}

async fn due_date_changes_are_recorded_with_their_reason(db: TestDb) {
    let store = &db.store;
    load(store, "dsvb").await;
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    let reason = Text::line("Awaiting CPS data-sharing agreement", 1000).unwrap();
    let author = Author {
        by: "officer",
        at: at(2010, 8, 20, 10),
    };
    let new_due = NaiveDate::from_ymd_opt(2010, 11, 30).unwrap();
    change_due_date(store, &board, &r("ACT-003"), new_due, &reason, &author)
        .await
        .unwrap();
    assert_eq!(
        store
            .action(board.id, &r("ACT-003"))
            .await
            .unwrap()
            .unwrap()
            .due,
        new_due
    );
    let slips = store
        .history_between(
            board.id,
            at(2010, 7, 1, 0),
            at(2010, 10, 1, 0),
            &[ChangeKind::Due],
        )
        .await
        .unwrap();
    assert_eq!(slips.len(), 1);
    assert_eq!(slips[0].old_value.as_deref(), Some("2010-10-15"));
    assert_eq!(slips[0].new_value.as_deref(), Some("2010-11-30"));
    assert_eq!(
        slips[0].note.as_deref(),
        Some("Awaiting CPS data-sharing agreement")
    );
    // Outside the window, nothing.
    assert!(store
        .history_between(
            board.id,
            at(2010, 10, 1, 0),
            at(2011, 1, 1, 0),
            &[ChangeKind::Due]
        )
        .await
        .unwrap()
        .is_empty());
    // A closed action's due date cannot move.
    let done = change_due_date(store, &board, &r("ACT-002"), new_due, &reason, &author).await;
    assert!(matches!(done, Err(ServiceError::Rejected(_))));
}

async fn officers_and_recommendation_decisions_are_recorded(db: TestDb) {
    let store = &db.store;
    load(store, "dsvb").await;
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    let author = Author {
        by: "secretariat",
        at: at(2010, 9, 2, 10),
    };
    let officer = OfficerId::new(200000000000000002);
    assign_officer(store, &board, &r("ACT-003"), Some(officer), &author)
        .await
        .unwrap();
    assert_eq!(
        store
            .action(board.id, &r("ACT-003"))
            .await
            .unwrap()
            .unwrap()
            .officer,
        Some(officer)
    );

    set_recommendation_response(
        store,
        &board,
        &r("DSVB-2010-02"),
        Response::PartiallyAccepted,
        None,
        &author,
    )
    .await
    .unwrap();
    let closing = set_recommendation_status(
        store,
        &board,
        &r("DSVB-2010-02"),
        RecommendationStatus::Implemented,
        None,
        None,
        &author,
    )
    .await;
    assert!(
        matches!(closing, Err(ServiceError::Rejected(_))),
        "closing needs a note"
    );
    let note = Text::line("Feedback tool live in all boroughs", 1000).unwrap();
    set_recommendation_status(
        store,
        &board,
        &r("DSVB-2010-02"),
        RecommendationStatus::Implemented,
        Some(&note),
        None,
        &author,
    )
    .await
    .unwrap();
    let rec = store
        .recommendation(board.id, &r("dsvb-2010-02"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (rec.response, rec.status),
        (
            Response::PartiallyAccepted,
            RecommendationStatus::Implemented
        )
    );
    // The source survives a status change.
    assert_eq!(rec.source.unwrap().title, "DSVB Annual Report 2009/10");
    let kinds: Vec<ChangeKind> = store
        .history_of(board.id, SubjectKind::Recommendation, &r("DSVB-2010-02"))
        .await
        .unwrap()
        .iter()
        .map(|u| u.change)
        .collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::Created,
            ChangeKind::Response,
            ChangeKind::Status
        ]
    );
}

async fn history_cannot_be_rewritten(db: TestDb) {
    load(&db.store, "dsvb").await;
    let pool = db.raw_pool().await;
    let update = sqlx::query("UPDATE status_updates SET note = 'rewritten'")
        .execute(&pool)
        .await;
    let err = update
        .expect_err("the database must refuse to edit history")
        .to_string();
    assert!(err.contains("append-only"), "{err}");
    let delete = sqlx::query("DELETE FROM status_updates")
        .execute(&pool)
        .await;
    assert!(delete
        .expect_err("the database must refuse to delete history")
        .to_string()
        .contains("append-only"));
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM status_updates")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 5);
    pool.close().await;
}

async fn export_round_trips_to_the_same_state(db: TestDb) {
    let store = &db.store;
    load(store, "dsvb").await;
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    let mut recs = Vec::new();
    export_csv(
        store,
        &board,
        ExportKind::Recommendations,
        Cells::SpreadsheetSafe,
        &mut recs,
    )
    .await
    .unwrap();
    let mut actions = Vec::new();
    export_csv(
        store,
        &board,
        ExportKind::Actions,
        Cells::SpreadsheetSafe,
        &mut actions,
    )
    .await
    .unwrap();

    let copy = slug("copy");
    let now = at(2011, 1, 1, 9);
    import_csv(
        store,
        Some(&copy),
        RecordKind::Recommendations,
        "r.csv",
        &recs,
        &options(now),
    )
    .await
    .unwrap();
    import_csv(
        store,
        Some(&copy),
        RecordKind::Actions,
        "a.csv",
        &actions,
        &options(now),
    )
    .await
    .unwrap();
    let copy_board = store.board(&copy).await.unwrap().unwrap();
    assert_eq!(
        store.recommendations(copy_board.id).await.unwrap(),
        store.recommendations(board.id).await.unwrap()
    );
    assert_eq!(
        store.actions(copy_board.id).await.unwrap(),
        store.actions(board.id).await.unwrap()
    );
    let mut again = Vec::new();
    export_csv(
        store,
        &copy_board,
        ExportKind::Actions,
        Cells::SpreadsheetSafe,
        &mut again,
    )
    .await
    .unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(actions).unwrap()
    );

    // Re-importing the export with --update changes nothing.
    let mut recs_again = Vec::new();
    export_csv(
        store,
        &copy_board,
        ExportKind::Recommendations,
        Cells::SpreadsheetSafe,
        &mut recs_again,
    )
    .await
    .unwrap();
    let summary = import_csv(
        store,
        Some(&copy),
        RecordKind::Recommendations,
        "r.csv",
        &recs_again,
        &ImportOptions {
            update: true,
            ..options(now)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.created, summary.updated, summary.unchanged),
        (0, 0, 2)
    );
}

async fn update_import_records_each_change(db: TestDb) {
    let store = &db.store;
    load(store, "dsvb").await;
    let board = store.board(&slug("dsvb")).await.unwrap().unwrap();
    let changed = ACTIONS
        .replace("2010-10-15,at_risk", "2010-12-15,off_track")
        .replace("Pilot a feedback tool", "Pilot the CPS feedback tool");
    let now = at(2010, 9, 15, 9);
    let plain = import_csv(
        store,
        None,
        RecordKind::Actions,
        "actions.csv",
        changed.as_bytes(),
        &options(now),
    )
    .await;
    assert!(
        plain.is_err(),
        "an existing ref without --update is an error"
    );
    let summary = import_csv(
        store,
        None,
        RecordKind::Actions,
        "actions.csv",
        changed.as_bytes(),
        &ImportOptions {
            update: true,
            ..options(now)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.created, summary.updated, summary.unchanged),
        (0, 2, 1)
    );
    let history = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-003"))
        .await
        .unwrap();
    let kinds: Vec<ChangeKind> = history.iter().map(|u| u.change).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Created, ChangeKind::Status, ChangeKind::Due]
    );
    assert_eq!(history[2].new_value.as_deref(), Some("2010-12-15"));
    let details = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-002"))
        .await
        .unwrap();
    assert_eq!(details.last().unwrap().new_value.as_deref(), Some("title"));
}

async fn migrations_are_idempotent(db: TestDb) {
    let before = db.store.applied_migrations().await.unwrap();
    assert!(!before.is_empty());
    let again = Store::connect(&DatabaseUrl::new(&db.url)).await.unwrap();
    assert_eq!(again.applied_migrations().await.unwrap(), before);
    again.close().await;
}

/// Refs, owners and areas compare and sort the same way on both backends, whatever collation
/// the PostgreSQL database has (the tests make theirs with ICU English): refs by their
/// upper-cased bytes, and owner and borough filters folding only ASCII letters.
async fn refs_owners_and_areas_sort_and_match_the_same_way(db: TestDb) {
    let store = &db.store;
    let refs = [
        "ACT_1", "act-10", "ACT.1", "ACT1", "ACTZ", "ACT-9", "ACT/1", "Act-1",
    ];
    let owners = [
        "Éaling Safety",
        "ealing police",
        "EALING Council",
        "Østfold",
    ];
    let mut csv = String::from("ref,title,owner,borough,due,status\n");
    for (n, r) in refs.iter().enumerate() {
        let owner = owners[n % owners.len()];
        csv.push_str(&format!(
            "{r},Title {n},{owner},{},2011-01-31,on_track\n",
            ["Ealing", "ÉALING", "Ōtautahi", "ealing"][n % 4]
        ));
    }
    import_csv(
        store,
        Some(&slug("order")),
        RecordKind::Actions,
        "order.csv",
        csv.as_bytes(),
        &options(at(2010, 2, 1, 9)),
    )
    .await
    .unwrap();
    let board = store.board(&slug("order")).await.unwrap().unwrap();
    let mut expected: Vec<&str> = refs.to_vec();
    expected.sort_by_key(|r| r.to_uppercase());
    let listed: Vec<String> = store
        .find_actions(board.id, &Default::default())
        .await
        .unwrap()
        .iter()
        .map(|a| a.reference.to_string())
        .collect();
    assert_eq!(listed, expected, "a list in due date, then ref order");
    let all: Vec<String> = store
        .actions(board.id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.reference.to_string())
        .collect();
    assert_eq!(all, expected);
    let found: Vec<String> = store
        .search_actions(board.id, "act", 25)
        .await
        .unwrap()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(found, expected, "autocomplete in the same order");

    // The distinct owners or boroughs of the actions a filter finds.
    let matched = |filter: ActionFilter, by_owner: bool| async move {
        let mut found: Vec<String> = store
            .find_actions(board.id, &filter)
            .await
            .unwrap()
            .iter()
            .filter_map(|a| match by_owner {
                true => Some(a.owner.clone()),
                false => a.borough.clone(),
            })
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let owned_by = |owner: &str| {
        let filter = ActionFilter {
            owner: Some(owner.into()),
            ..Default::default()
        };
        matched(filter, true)
    };
    let in_borough = |borough: &str| {
        let filter = ActionFilter {
            borough: Some(borough.into()),
            ..Default::default()
        };
        matched(filter, false)
    };
    assert_eq!(
        owned_by("EALING").await,
        ["EALING Council", "ealing police"]
    );
    assert_eq!(owned_by("Éaling").await, ["Éaling Safety"]);
    assert_eq!(in_borough("ealing").await, ["Ealing", "ealing"]);
    assert_eq!(in_borough("ÉALING").await, ["ÉALING"]);
}

/// Dates and times are kept in one form the database itself enforces: real date and
/// timestamptz columns on PostgreSQL, ISO text checked by the schema on SQLite. A malformed
/// value written past the bot is refused, and nothing changes.
async fn the_schema_refuses_malformed_dates_and_times(db: TestDb) {
    load(&db.store, "dsvb").await;
    let raw = db.raw_pool().await;
    let mut refused = vec![
        "UPDATE actions SET due = 'next week'",
        "UPDATE actions SET completed_on = '31/31/2010'",
        "UPDATE boards SET created_at = 'not a time'",
        "UPDATE actions SET updated_at = '2010-02-30T09:00:00.000000Z'",
    ];
    if db.url.starts_with("sqlite") {
        // Text order must stay time order: only the one canonical form is stored.
        refused.extend([
            "UPDATE actions SET due = '2010-9-1'",
            "UPDATE boards SET created_at = '2010-02-01 09:00:00'",
        ]);
    }
    // The monitoring figures and their history too (CHECK constraints on SQLite).
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    for sql in [
        "INSERT INTO indicators (board_id, key, name, unit, better, created_at, updated_at) \
         VALUES ($1, 'reports', 'Reports', 'count', 'none', '2010-10-02T09:00:00.000000Z', \
         '2010-10-02T09:00:00.000000Z')",
        "INSERT INTO indicator_figures (board_id, indicator_id, area, area_key, period, value, \
         updated_at) SELECT $1, id, 'Brent', 'brent', '2010-07-01', 3, \
         '2010-10-02T09:00:00.000000Z' FROM indicators WHERE board_id = $1",
        "INSERT INTO indicator_history (board_id, subject, key, area, period, recorded_at, \
         recorded_by, change, new_value) VALUES ($1, 'figure', 'reports', 'Brent', \
         '2010-07-01', '2010-10-02T09:00:00.000000Z', 'test', 'created', '3')",
    ] {
        sqlx::query(sql)
            .bind(board.id)
            .execute(&raw)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    refused.extend([
        "UPDATE indicator_figures SET period = '2010-02-30'",
        "UPDATE indicator_figures SET updated_at = 'not a time'",
        "INSERT INTO indicator_history (board_id, subject, key, period, recorded_at, \
         recorded_by, change) SELECT id, 'figure', 'reports', '2010-13-01', \
         '2010-10-02T09:00:00.000000Z', 'test', 'created' FROM boards",
    ]);
    if db.url.starts_with("sqlite") {
        refused.extend([
            "UPDATE indicator_figures SET period = '2010-7-1'",
            "UPDATE indicator_figures SET updated_at = '2010-10-02T09:00:00Z'",
            "INSERT INTO indicator_history (board_id, subject, key, recorded_at, recorded_by, \
             change) SELECT id, 'figure', 'reports', '2010-10-02 09:00:00', 'test', 'created' \
             FROM boards",
            "INSERT INTO indicator_history (board_id, subject, key, period, recorded_at, \
             recorded_by, change) SELECT id, 'figure', 'reports', '2010-07-01 ', \
             '2010-10-02T09:00:00.000000Z', 'test', 'created' FROM boards",
            "UPDATE indicator_history SET note = 'rewritten'",
            "DELETE FROM indicator_history",
        ]);
    }
    for sql in refused {
        assert!(
            sqlx::query(sql).execute(&raw).await.is_err(),
            "{sql} was allowed"
        );
    }
    let figures = db.store.figures(board.id, None, None).await.unwrap();
    assert_eq!(
        figures.iter().map(|f| f.period).collect::<Vec<_>>(),
        [NaiveDate::from_ymd_opt(2010, 7, 1).unwrap()]
    );
    assert_eq!(db.store.indicator_history(board.id).await.unwrap().len(), 1);
    let actions = db.store.actions(board.id).await.unwrap();
    assert_eq!(actions[0].due, NaiveDate::from_ymd_opt(2010, 9, 1).unwrap());
    if db.url.starts_with("postgres") {
        let types: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = 'actions' AND column_name IN ('due', 'completed_on', 'created_at') \
             ORDER BY column_name",
        )
        .fetch_all(&raw)
        .await
        .unwrap();
        assert_eq!(
            types,
            [
                ("completed_on".to_string(), "date".to_string()),
                (
                    "created_at".to_string(),
                    "timestamp with time zone".to_string()
                ),
                ("due".to_string(), "date".to_string()),
            ]
        );
    }
}

on_both_backends!(
    the_schema_refuses_malformed_dates_and_times,
    refs_owners_and_areas_sort_and_match_the_same_way,
    boards_are_created_listed_and_configured,
    imported_records_read_back_exactly,
    boards_do_not_see_each_others_records,
    status_updates_append_history_and_track_completion,
    due_date_changes_are_recorded_with_their_reason,
    officers_and_recommendation_decisions_are_recorded,
    history_cannot_be_rewritten,
    export_round_trips_to_the_same_state,
    update_import_records_each_change,
    migrations_are_idempotent,
);

#[tokio::test]
async fn the_meeting_brief_covers_the_presenting_boroughs() {
    use briefing_bot::digest::meeting_brief;
    use briefing_bot::digest::render::markdown::brief_markdown;
    use briefing_bot::domain::Meeting;
    let db = crate::support::db::sqlite().await;
    load(&db.store, "dsvb").await;
    let board = db.store.board(&slug("dsvb")).await.unwrap().unwrap();
    let earlier = Meeting {
        held_on: NaiveDate::from_ymd_opt(2010, 7, 13).unwrap(),
        title: "July meeting".into(),
        boroughs: vec!["Merton".into()],
    };
    let meeting = Meeting {
        held_on: NaiveDate::from_ymd_opt(2010, 10, 12).unwrap(),
        title: "October meeting".into(),
        boroughs: vec!["Bexley".into(), "Lambeth".into()],
    };
    for m in [&earlier, &meeting] {
        db.store
            .add_meeting(board.id, m, at(2010, 6, 1, 0))
            .await
            .unwrap();
    }
    assert!(
        !db.store
            .add_meeting(board.id, &meeting, at(2010, 6, 1, 0))
            .await
            .unwrap(),
        "one meeting a day"
    );
    let brief = meeting_brief(
        &db.store,
        &board,
        &meeting,
        NaiveDate::from_ymd_opt(2010, 10, 5).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(brief.since, earlier.held_on);
    let bexley = &brief.boroughs[0];
    assert_eq!(bexley.borough, "Bexley");
    // ACT-001 (Bexley, due 1 Sep 2010, on track) is overdue on 5 October.
    assert_eq!(
        bexley
            .overdue
            .iter()
            .map(|a| a.reference.as_str())
            .collect::<Vec<_>>(),
        ["ACT-001"]
    );
    assert_eq!(bexley.open.len(), 1);
    let lambeth = &brief.boroughs[1];
    assert_eq!((lambeth.open.len(), lambeth.overdue.len()), (1, 0));
    let markdown = brief_markdown(&brief);
    assert!(
        markdown.contains("## October meeting — 12 October 2010"),
        "{markdown}"
    );
    assert!(markdown.contains("**Overdue** ACT-001"), "{markdown}");
}
