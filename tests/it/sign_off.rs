//! Sign-off and response deadlines: an officer's "done" waits for the secretariat, who can
//! sign it off or reopen it; recommendations' responses fall due and are reported late. The
//! store-level cases run on SQLite and PostgreSQL; the Discord cases through the real client
//! and the fake Discord, with the permission matrix.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use briefing_bot::digest::render::json::digest_view;
use briefing_bot::digest::{load_digest, load_reminder};
use briefing_bot::domain::{
    ActionStatus, Board, BoardSlug, ChangeKind, RecommendationStatus, Ref, SubjectKind, Text,
};
use briefing_bot::services::actions::{
    record_action_status, reopen_action, reopen_recommendation, set_recommendation_status,
    sign_off_action, update_action_status, Author, StatusChange,
};
use briefing_bot::services::import::{import_csv, ImportError, ImportOptions, RecordKind};
use briefing_bot::services::ServiceError;
use briefing_bot::store::Store;

use crate::on_both_backends;
use crate::support::bot::*;
use crate::support::db::TestDb;

fn r(s: &str) -> Ref {
    Ref::parse(s).unwrap()
}

fn text(s: &str) -> Text {
    Text::line(s, Text::NOTE_MAX).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn officer() -> Author<'static> {
    Author {
        by: "discord:200000000000000001",
        at: Utc.with_ymd_and_hms(2010, 9, 10, 9, 0, 0).unwrap(),
    }
}

fn secretary() -> Author<'static> {
    Author {
        by: "discord:200000000000000100",
        at: Utc.with_ymd_and_hms(2010, 9, 14, 9, 0, 0).unwrap(),
    }
}

async fn board(store: &Store) -> Board {
    crate::store_contract::load(store, "dsvb").await;
    store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn digest_json(store: &Store, board: &Board, day: NaiveDate) -> Value {
    let digest = load_digest(store, board, day).await.unwrap();
    serde_json::to_value(digest_view(&digest)).unwrap()
}

fn refused(result: Result<impl std::fmt::Debug, ServiceError>, words: &str) {
    match result {
        Err(ServiceError::Rejected(message)) => {
            assert!(message.contains(words), "{message:?} should say {words:?}")
        }
        other => panic!("expected a refusal saying {words:?}, got {other:?}"),
    }
}

async fn an_officers_done_waits_for_sign_off_and_can_be_reopened(db: TestDb) {
    let store = &db.store;
    let board = board(store).await;
    let history_len = || async {
        store
            .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
            .await
            .unwrap()
            .len()
    };
    let note = text("Audit report received");
    let done = update_action_status(
        store,
        &board,
        &r("ACT-001"),
        ActionStatus::Done,
        Some(&note),
        None,
        &officer(),
    )
    .await
    .unwrap();
    assert!(done.after.awaiting_sign_off);
    assert_eq!(done.after.status_label(), "done — awaiting sign-off");

    // The digest counts it as done and lists it as waiting; the import's done (ACT-002) was
    // the secretariat's own file and counts as signed off.
    let v = digest_json(store, &board, d(2010, 9, 20)).await;
    assert_eq!(v["totals"]["by_status"]["done"], 2);
    assert_eq!(v["totals"]["awaiting_sign_off"], 1);
    assert_eq!(
        v["awaiting_sign_off"],
        json!([{"ref": "ACT-001", "title": "Audit diversity recording",
                "owner": "Bexley Community Safety", "done_on": "2010-09-10"}])
    );
    // It no longer appears in the officer's reminder; the secretariat's line lists it.
    let reminder = load_reminder(store, &board, d(2010, 9, 20))
        .await
        .unwrap()
        .unwrap();
    assert!(reminder
        .overdue
        .iter()
        .chain(&reminder.due_soon)
        .all(|i| i.reference != "ACT-001"));
    assert_eq!(reminder.for_secretariat.awaiting_sign_off, ["ACT-001"]);
    // From the whole record too: a done action that was signed off (ACT-002) is not listed.
    let all = store.actions(board.id).await.unwrap();
    let recs = store.recommendations(board.id).await.unwrap();
    let from_all = briefing_bot::digest::reminder::ForSecretariat::from_record(
        &board,
        &all,
        &recs,
        d(2010, 9, 20),
    );
    assert_eq!(from_all.awaiting_sign_off, ["ACT-001"]);

    // While it waits the officer may still correct it; once signed off only the secretariat
    // can move it.
    let before = history_len().await;
    refused(
        sign_off_action(store, &board, &r("ACT-003"), &text("x"), &secretary()).await,
        "not done",
    );
    refused(
        sign_off_action(store, &board, &r("ACT-002"), &text("x"), &secretary()).await,
        "already signed off",
    );
    refused(
        reopen_action(
            store,
            &board,
            &r("ACT-003"),
            ActionStatus::OnTrack,
            &text("x"),
            &secretary(),
        )
        .await,
        "not done",
    );
    refused(
        reopen_action(
            store,
            &board,
            &r("ACT-001"),
            ActionStatus::Dropped,
            &text("x"),
            &secretary(),
        )
        .await,
        "open status",
    );
    assert_eq!(history_len().await, before, "refusals record nothing");

    let signed = sign_off_action(
        store,
        &board,
        &r("ACT-001"),
        &text("Checked the audit report"),
        &secretary(),
    )
    .await
    .unwrap();
    assert!(!signed.after.awaiting_sign_off);
    assert_eq!(signed.after.status, ActionStatus::Done);
    assert_eq!(signed.after.completed_on, Some(d(2010, 9, 10)));
    refused(
        update_action_status(
            store,
            &board,
            &r("ACT-001"),
            ActionStatus::OnTrack,
            Some(&note),
            None,
            &officer(),
        )
        .await,
        "only the secretariat can reopen it",
    );
    let v = digest_json(store, &board, d(2010, 9, 20)).await;
    assert_eq!(v["totals"]["awaiting_sign_off"], 0);
    assert_eq!(v["awaiting_sign_off"], json!([]));

    let reopened = reopen_action(
        store,
        &board,
        &r("ACT-001"),
        ActionStatus::AtRisk,
        &text("The audit covered two boroughs, not all"),
        &secretary(),
    )
    .await
    .unwrap();
    assert_eq!(
        (reopened.after.status, reopened.after.completed_on),
        (ActionStatus::AtRisk, None)
    );
    let history = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap();
    let last_two: Vec<_> = history[history.len() - 2..]
        .iter()
        .map(|u| (u.change, u.by.as_str(), u.note.as_deref()))
        .collect();
    assert_eq!(
        last_two,
        [
            (
                ChangeKind::SignedOff,
                "discord:200000000000000100",
                Some("Checked the audit report")
            ),
            (
                ChangeKind::Reopened,
                "discord:200000000000000100",
                Some("The audit covered two boroughs, not all")
            ),
        ]
    );

    // The secretariat's own done needs no sign-off; neither does anyone's on a board that
    // does not require it.
    let by_secretariat = StatusChange {
        status: ActionStatus::Done,
        note: Some(&note),
        evidence: None,
        by_secretariat: true,
    };
    let own = record_action_status(store, &board, &r("ACT-003"), &by_secretariat, &secretary())
        .await
        .unwrap();
    assert!(!own.after.awaiting_sign_off);
    let noted = update_action_status(
        store,
        &board,
        &r("ACT-003"),
        ActionStatus::Done,
        Some(&text("Final report filed")),
        None,
        &officer(),
    )
    .await
    .unwrap();
    assert!(
        !noted.after.awaiting_sign_off,
        "a progress note on a signed-off action leaves it signed off"
    );
    assert_eq!(
        noted.after.completed_on, own.after.completed_on,
        "and keeps the day it was done"
    );
    let mut relaxed = board.clone();
    relaxed.settings.sign_off_required = false;
    let plain = update_action_status(
        store,
        &relaxed,
        &r("ACT-001"),
        ActionStatus::Done,
        Some(&note),
        None,
        &officer(),
    )
    .await
    .unwrap();
    assert!(!plain.after.awaiting_sign_off);
}

async fn recommendations_reopen_with_a_reason(db: TestDb) {
    let store = &db.store;
    let board = board(store).await;
    refused(
        reopen_recommendation(store, &board, &r("DSVB-2010-01"), &text("x"), &secretary()).await,
        "is open",
    );
    set_recommendation_status(
        store,
        &board,
        &r("DSVB-2010-01"),
        RecommendationStatus::Implemented,
        Some(&text("Standard published")),
        None,
        &secretary(),
    )
    .await
    .unwrap();
    let v = digest_json(store, &board, d(2010, 9, 20)).await;
    assert_eq!(v["recommendations"]["implemented"], 1);
    assert_eq!(v["recommendations"]["implementation_rate"], 50);
    let change = reopen_recommendation(
        store,
        &board,
        &r("DSVB-2010-01"),
        &text("Two boroughs still do not use it"),
        &secretary(),
    )
    .await
    .unwrap();
    assert_eq!(change.after.status, RecommendationStatus::Open);
    let history = store
        .history_of(board.id, SubjectKind::Recommendation, &r("DSVB-2010-01"))
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (
            last.change,
            last.old_value.as_deref(),
            last.new_value.as_deref()
        ),
        (ChangeKind::Reopened, Some("implemented"), Some("open"))
    );
    let v = digest_json(store, &board, d(2010, 9, 20)).await;
    assert_eq!(v["recommendations"]["implementation_rate"], 0);
}

const DUE_RECS: &str = "\
ref,title,text,source,source_date,theme,owner,priority,response,status,response_due
R-01,Own date,,HMICFRS report,2010-06-01,,MPS,no,pending,open,2010-09-30
R-02,Derived date,,HMICFRS report,2010-06-01,,MPS,no,pending,open,
R-03,Answered,,HMICFRS report,2010-06-01,,MPS,no,accepted,open,
R-04,No source date,,,,,MPS,no,pending,open,
";

async fn responses_fall_due_and_are_reported_late(db: TestDb) {
    let store = &db.store;
    let options = ImportOptions {
        by: "test",
        now: Utc.with_ymd_and_hms(2010, 6, 2, 9, 0, 0).unwrap(),
        ..Default::default()
    };
    let slug = BoardSlug::parse("dsvb").unwrap();
    // A response due before its source was published is refused with line and column.
    let bad = "ref,title,source,source_date,response_due\nR-09,Early,HMICFRS report,2010-06-01,2010-05-31\n";
    match import_csv(
        store,
        Some(&slug),
        RecordKind::Recommendations,
        "bad.csv",
        bad.as_bytes(),
        &options,
    )
    .await
    {
        Err(ImportError::Invalid { problems, .. }) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            let p = &problems[0];
            assert_eq!((p.line, p.column.as_deref()), (2, Some("response_due")));
            assert!(
                p.message.contains("before the source was published"),
                "{}",
                p.message
            );
        }
        other => panic!("expected the file to be refused, got {other:?}"),
    }
    import_csv(
        store,
        Some(&slug),
        RecordKind::Recommendations,
        "recs.csv",
        DUE_RECS.as_bytes(),
        &options,
    )
    .await
    .unwrap();
    let board = store.board(&slug).await.unwrap().unwrap();
    // A board with recommendations and no actions yet has records: its digest does not say
    // it has none.
    let digest = load_digest(store, &board, d(2010, 7, 27)).await.unwrap();
    assert!(
        !briefing_bot::digest::render::markdown::digest_markdown(&digest)
            .contains("no recommendations or actions recorded yet")
    );
    // 27 July 2010 is 56 days after 1 June: R-02 falls due that day, not before.
    let v = digest_json(store, &board, d(2010, 7, 27)).await;
    assert_eq!(v["responses_overdue"], json!([]));
    let v = digest_json(store, &board, d(2010, 7, 28)).await;
    assert_eq!(
        v["responses_overdue"],
        json!([{"ref": "R-02", "title": "Derived date", "owner": "MPS",
                "response_due": "2010-07-27", "days_overdue": 1}])
    );
    let v = digest_json(store, &board, d(2010, 10, 2)).await;
    let late: Vec<(&str, i64)> = v["responses_overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ref"].as_str().unwrap(),
                r["days_overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(late, [("R-02", 67), ("R-01", 2)], "most overdue first");
    let reminder = load_reminder(store, &board, d(2010, 10, 2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reminder.for_secretariat.responses_overdue, ["R-01", "R-02"]);
    // The board's own number of days moves the derived dates only: 90 days after 1 June is
    // 30 August.
    let mut longer = board.clone();
    longer.settings.response_days = 90;
    let v = digest_json(store, &longer, d(2010, 8, 30)).await;
    assert_eq!(v["responses_overdue"], json!([]));
    // The explicit date is exported, and the file imports back to the same state.
    let mut out = Vec::new();
    briefing_bot::services::export::export_csv(
        store,
        &board,
        briefing_bot::services::export::ExportKind::Recommendations,
        briefing_bot::domain::spreadsheet::Cells::SpreadsheetSafe,
        &mut out,
    )
    .await
    .unwrap();
    let exported = String::from_utf8(out).unwrap();
    assert!(exported.lines().next().unwrap().ends_with(",response_due"));
    assert!(exported
        .contains("R-01,Own date,,HMICFRS report,2010-06-01,,MPS,no,pending,open,2010-09-30"));
    assert!(
        exported.contains("R-02,Derived date,,HMICFRS report,2010-06-01,,MPS,no,pending,open,\n")
    );
}

/// The secretariat's CSV saying done signs off what waited, and the history says so.
async fn an_imported_done_signs_off_what_waited(db: TestDb) {
    let store = &db.store;
    let board = board(store).await;
    update_action_status(
        store,
        &board,
        &r("ACT-001"),
        ActionStatus::Done,
        Some(&text("Audit report received")),
        None,
        &officer(),
    )
    .await
    .unwrap();
    let csv = "ref,recommendation,title,owner,borough,officer,due,status,completed_on\n\
               ACT-001,DSVB-2010-01,Audit diversity recording,Bexley Community Safety,Bexley,\
               200000000000000001,2010-09-01,done,2010-09-10\n";
    let options = ImportOptions {
        by: "import",
        now: Utc.with_ymd_and_hms(2010, 9, 15, 9, 0, 0).unwrap(),
        update: true,
        ..Default::default()
    };
    import_csv(
        store,
        Some(&board.slug),
        RecordKind::Actions,
        "plan.csv",
        csv.as_bytes(),
        &options,
    )
    .await
    .unwrap();
    let action = store
        .action(board.id, &r("ACT-001"))
        .await
        .unwrap()
        .unwrap();
    assert!(!action.awaiting_sign_off);
    let history = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.change, last.by.as_str(), last.new_value.as_deref()),
        (ChangeKind::SignedOff, "import", Some("signed off"))
    );
}

on_both_backends!(
    an_imported_done_signs_off_what_waited,
    an_officers_done_waits_for_sign_off_and_can_be_reopened,
    recommendations_reopen_with_a_reason,
    responses_fall_due_and_are_reported_late,
    sign_off_and_reopen_through_discord_follow_the_permission_matrix,
);

fn s(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

/// Index of "done" among /update's status choices.
const DONE: u64 = 4;

async fn sign_off_and_reopen_through_discord_follow_the_permission_matrix(db: TestDb) {
    let board = link_board(&db).await;
    let bot = TestBot::start_on(db, board, |_| {}).await;
    let store = &bot.db.store;
    let done = bot
        .run(
            OFFICER,
            "update",
            json!([
                s("action", "ACT-001"),
                {"name": "status", "type": 4, "value": DONE},
                s("note", "Audit report sent")
            ]),
        )
        .await;
    assert!(
        done.text().contains("awaits the secretariat's sign-off"),
        "{}",
        done.text()
    );
    let listed = bot
        .run(
            ADMIN,
            "action list",
            json!([{"name": "awaiting_sign_off", "type": 5, "value": true}]),
        )
        .await;
    assert!(
        listed.text().contains("ACT-001") && listed.text().contains("awaiting sign-off"),
        "{}",
        listed.text()
    );
    assert!(!listed.text().contains("ACT-002"), "{}", listed.text());

    let attempts = [
        (
            "action sign-off",
            json!([s("action", "ACT-001"), s("note", "Seen")]),
        ),
        (
            "action reopen",
            json!([s("action", "ACT-001"), s("reason", "No")]),
        ),
        (
            "rec reopen",
            json!([s("ref", "DSVB-2010-01"), s("reason", "No")]),
        ),
    ];
    let history = store.history(bot.board.id).await.unwrap().len();
    for who in [MEMBER, OFFICER, OTHER_OFFICER] {
        for (command, options) in &attempts {
            let reply = bot.run(who, command, options.clone()).await;
            assert!(reply.ephemeral(), "/{command}");
            assert!(
                reply.text().contains("secretariat"),
                "/{command} as {who}: {}",
                reply.text()
            );
        }
    }
    assert_eq!(
        store.history(bot.board.id).await.unwrap().len(),
        history,
        "refusals change nothing"
    );
    let signed = bot
        .run(
            ADMIN,
            "action sign-off",
            json!([s("action", "ACT-001"), s("note", "Checked the report")]),
        )
        .await;
    assert!(
        signed.text().contains("Signed off ACT-001"),
        "{}",
        signed.text()
    );
    let again = bot
        .run(
            ADMIN,
            "action sign-off",
            json!([s("action", "ACT-001"), s("note", "Again")]),
        )
        .await;
    assert!(
        again.text().contains("already signed off"),
        "{}",
        again.text()
    );
    let officer_undo = bot
        .run(
            OFFICER,
            "update",
            json!([s("action", "ACT-001"), {"name": "status", "type": 4, "value": 1}, s("note", "Oops")]),
        )
        .await;
    assert!(
        officer_undo.text().contains("/action reopen"),
        "{}",
        officer_undo.text()
    );
    let reopened = bot
        .run(
            MANAGER,
            "action reopen",
            json!([s("action", "ACT-001"), s("reason", "Two boroughs missing")]),
        )
        .await;
    assert!(
        reopened
            .text()
            .contains("Reopened ACT-001: done → on track"),
        "{}",
        reopened.text()
    );
    let action = store
        .action(bot.board.id, &r("ACT-001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (action.status, action.completed_on),
        (ActionStatus::OnTrack, None)
    );
    let not_done = bot
        .run(
            ADMIN,
            "action sign-off",
            json!([s("action", "ACT-001"), s("note", "x")]),
        )
        .await;
    assert!(not_done.text().contains("not done"), "{}", not_done.text());
    assert!(
        bot.fake.violations().is_empty(),
        "{:?}",
        bot.fake.violations()
    );
    bot.stop().await;
}
