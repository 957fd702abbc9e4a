//! Many people at the same moment: officers updating actions together, several imports at
//! once (in one process and from several processes), the bot and a CLI import on one SQLite
//! file. Nothing is lost, nobody sees a driver message, and the history stays true: each
//! entry's old value is the value it replaced, and the last entry's new value is the current
//! value.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::json;

use briefing_bot::domain::{
    Action, ActionStatus, Board, BoardSlug, ChangeKind, Ref, StatusUpdate, SubjectKind, Text,
};
use briefing_bot::services::actions::{add_action, change_due_date, update_action_status, Author};
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::ServiceError;
use briefing_bot::store::Store;

use crate::on_both_backends;
use crate::support::bot::{TestBot, OFFICER};
use crate::support::db::TestDb;

const STATUSES: [&str; 4] = ["not_started", "on_track", "at_risk", "off_track"];

/// An actions CSV of `n` actions GEN-001…, with `status(i)` and `due(i)` for action i.
fn actions_csv(
    n: usize,
    status: impl Fn(usize) -> &'static str,
    due: impl Fn(usize) -> String,
) -> String {
    let mut csv =
        String::from("ref,recommendation,title,owner,borough,officer,due,status,completed_on\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "GEN-{i:03},,Generated action {i},Owner {},Camden,,{},{},\n",
            i % 5,
            due(i),
            status(i)
        ));
    }
    csv
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2010, 9, 20, 10, 0, 0).unwrap()
}

/// A board `conc` with `n` actions, all on track and due 1 December 2010.
async fn board_with_actions(store: &Store, n: usize) -> Board {
    let slug = BoardSlug::parse("conc").unwrap();
    import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "plan.csv",
        actions_csv(n, |_| "on_track", |_| "2010-12-01".into()).as_bytes(),
        &ImportOptions {
            by: "secretariat",
            now: at(),
            ..Default::default()
        },
    )
    .await
    .expect("the plan imports");
    store.board(&slug).await.unwrap().unwrap()
}

fn r(i: usize) -> Ref {
    Ref::parse(&format!("GEN-{i:03}")).unwrap()
}

/// Walk one action's history in order: for each kind of change, every entry's old value is the
/// previous entry's new value, and the last new value is `current`.
fn assert_history_chains(
    history: &[StatusUpdate],
    change: ChangeKind,
    first: &str,
    current: &str,
) -> usize {
    let entries: Vec<&StatusUpdate> = history.iter().filter(|u| u.change == change).collect();
    let mut value = first.to_string();
    for (n, entry) in entries.iter().enumerate() {
        assert_eq!(
            entry.old_value.as_deref(),
            Some(value.as_str()),
            "{} entry {n} of {} says it replaced {:?}, but the value then was {value:?}",
            change.as_str(),
            entries.len(),
            entry.old_value
        );
        value = entry.new_value.clone().unwrap();
    }
    assert_eq!(
        value,
        current,
        "the last {} entry does not match the record",
        change.as_str()
    );
    entries.len()
}

async fn current(store: &Store, board: &Board, i: usize) -> Action {
    store.action(board.id, &r(i)).await.unwrap().unwrap()
}

/// Forty officers each update a different action at the same moment (as after Monday's
/// reminder): every update is saved.
async fn many_officers_update_different_actions_at_once(db: TestDb) {
    let store = db.store.clone();
    let board = Arc::new(board_with_actions(&store, 40).await);
    let note = Text::line("progress noted at the meeting", 1000).unwrap();
    let mut tasks = Vec::new();
    for i in 1..=40 {
        let (store, board, note) = (store.clone(), board.clone(), note.clone());
        tasks.push(tokio::spawn(async move {
            let by = format!("officer {i}");
            let author = Author { by: &by, at: at() };
            update_action_status(
                &store,
                &board,
                &r(i),
                ActionStatus::AtRisk,
                Some(&note),
                None,
                &author,
            )
            .await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let result = task.await.unwrap();
        assert!(
            result.is_ok(),
            "update {} failed: {:?}",
            i + 1,
            result.err()
        );
    }
    for i in 1..=40 {
        assert_eq!(
            current(&store, &board, i).await.status,
            ActionStatus::AtRisk
        );
        let history = store
            .history_of(board.id, SubjectKind::Action, &r(i))
            .await
            .unwrap();
        assert_eq!(
            assert_history_chains(&history, ChangeKind::Status, "on_track", "at_risk"),
            1
        );
    }
}

/// Forty changes to one action at once — statuses and due dates from many officers: each is
/// applied in turn, and the history reads as one true sequence.
async fn many_changes_to_one_action_keep_a_true_history(db: TestDb) {
    let store = db.store.clone();
    let board = Arc::new(board_with_actions(&store, 3).await);
    let mut tasks = Vec::new();
    for n in 0..40usize {
        let (store, board) = (store.clone(), board.clone());
        tasks.push(tokio::spawn(async move {
            let by = format!("officer {n}");
            let author = Author { by: &by, at: at() };
            if n % 4 == 3 {
                let due =
                    NaiveDate::from_ymd_opt(2011, 1, 1).unwrap() + chrono::Days::new(n as u64);
                let reason = Text::line("waiting for the partner's data", 1000).unwrap();
                change_due_date(&store, &board, &r(2), due, &reason, &author)
                    .await
                    .map(|_| ())
            } else {
                let status = [
                    ActionStatus::OnTrack,
                    ActionStatus::AtRisk,
                    ActionStatus::OffTrack,
                ][n % 3];
                let note = Text::line(&format!("update {n}"), 1000).unwrap();
                update_action_status(&store, &board, &r(2), status, Some(&note), None, &author)
                    .await
                    .map(|_| ())
            }
        }));
    }
    for task in tasks {
        let result = task.await.unwrap();
        assert!(result.is_ok(), "a change failed: {:?}", result.err());
    }
    let action = current(&store, &board, 2).await;
    let history = store
        .history_of(board.id, SubjectKind::Action, &r(2))
        .await
        .unwrap();
    assert_eq!(
        assert_history_chains(
            &history,
            ChangeKind::Status,
            "on_track",
            action.status.as_str()
        ),
        30
    );
    assert_eq!(
        assert_history_chains(
            &history,
            ChangeKind::Due,
            "2010-12-01",
            &action.due.to_string()
        ),
        10
    );
}

/// Ten officers add the same new ref at the same moment: one is saved, and the others are told
/// in words that it exists (not a driver message about a unique constraint).
async fn the_same_new_ref_added_at_once_is_refused_in_words(db: TestDb) {
    let store = db.store.clone();
    let board = Arc::new(board_with_actions(&store, 1).await);
    let mut tasks = Vec::new();
    for n in 0..10 {
        let (store, board) = (store.clone(), board.clone());
        tasks.push(tokio::spawn(async move {
            let action = Action {
                reference: Ref::parse("NEW-1").unwrap(),
                recommendation: None,
                title: format!("Added by officer {n}"),
                owner: "MPS".into(),
                borough: None,
                officer: None,
                due: NaiveDate::from_ymd_opt(2011, 3, 31).unwrap(),
                status: ActionStatus::NotStarted,
                completed_on: None,
                awaiting_sign_off: false,
            };
            let by = format!("officer {n}");
            add_action(&store, &board, &action, &Author { by: &by, at: at() }).await
        }));
    }
    let mut saved = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => saved += 1,
            Err(ServiceError::Rejected(message)) => {
                assert!(message.contains("already an action NEW-1"), "{message}")
            }
            Err(other) => panic!("expected a refusal in words, got {other:?}"),
        }
    }
    assert_eq!(saved, 1);
    let history = store
        .history_of(board.id, SubjectKind::Action, &Ref::parse("NEW-1").unwrap())
        .await
        .unwrap();
    assert_eq!(history.len(), 1, "one creation, recorded once");
}

/// Ten imports from tasks of one process at once, each of 300 actions and each moving its own
/// thirty off track (and the rest back on track), so every import rewrites rows the others
/// rewrite too: all land, and every action's history is one true sequence.
async fn imports_in_one_process_at_once_all_land(db: TestDb) {
    let store = db.store.clone();
    let board = board_with_actions(&store, 300).await;
    let mut tasks = Vec::new();
    for k in 0..10usize {
        let store = store.clone();
        let slug = board.slug.clone();
        tasks.push(tokio::spawn(async move {
            let csv = actions_csv(
                300,
                move |i| {
                    if (i - 1) / 30 == k {
                        "off_track"
                    } else {
                        "on_track"
                    }
                },
                |_| "2010-12-01".into(),
            );
            import_csv(
                &store,
                Some(&slug),
                RecordKind::Actions,
                &format!("update-{k}.csv"),
                csv.as_bytes(),
                &ImportOptions {
                    by: "secretariat",
                    now: at(),
                    update: true,
                    ..Default::default()
                },
            )
            .await
        }));
    }
    for task in tasks {
        let summary = task.await.unwrap().expect("every import lands");
        assert_eq!(summary.updated + summary.unchanged, 300, "{summary:?}");
    }
    for i in 1..=300 {
        let history = store
            .history_of(board.id, SubjectKind::Action, &r(i))
            .await
            .unwrap();
        let action = current(&store, &board, i).await;
        assert_history_chains(
            &history,
            ChangeKind::Status,
            "on_track",
            action.status.as_str(),
        );
    }
}

on_both_backends!(
    many_officers_update_different_actions_at_once,
    many_changes_to_one_action_keep_a_true_history,
    the_same_new_ref_added_at_once_is_refused_in_words,
    imports_in_one_process_at_once_all_land,
);

/// Start `briefing-bot import actions FILE --board BOARD` (with `--update` when asked) as its
/// own process.
fn spawn_import(
    dir: &Path,
    url: &str,
    file: &str,
    board: &str,
    update: bool,
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
        .args([
            "--database-url",
            url,
            "import",
            "actions",
            file,
            "--board",
            board,
        ])
        .args(update.then_some("--update"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("BRIEFING_CONFIG")
        .env_remove("BRIEFING_ENV")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start briefing-bot")
}

/// Wait for every import process (off the test's runtime) and check that each succeeded.
async fn all_succeed(children: Vec<std::process::Child>) {
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    })
    .await
    .unwrap();
    for (n, out) in outputs.iter().enumerate() {
        assert!(
            out.status.success(),
            "import {n} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Ten `import actions --update` processes started at once, each changing a different set of
/// actions: all succeed and every change is there.
async fn ten_cli_imports_at_once_all_succeed(db: TestDb) {
    let board = board_with_actions(&db.store, 50).await;
    let dir = tempfile::tempdir().unwrap();
    let mut children = Vec::new();
    for k in 0..10usize {
        let file = format!("part-{k}.csv");
        let csv = actions_csv(
            50,
            |_| "on_track",
            move |i| {
                if (i - 1) / 5 == k {
                    format!("2011-0{}-15", 1 + k % 9)
                } else {
                    "2010-12-01".into()
                }
            },
        );
        std::fs::write(dir.path().join(&file), csv).unwrap();
        children.push(spawn_import(dir.path(), &db.url, &file, "conc", true));
    }
    all_succeed(children).await;
    for i in 1..=50 {
        let k = (i - 1) / 5;
        let action = current(&db.store, &board, i).await;
        // Later files put the other actions back to 1 December, so each action ends on the
        // date of whichever file ran last; the history says which, in order.
        let history = db
            .store
            .history_of(board.id, SubjectKind::Action, &r(i))
            .await
            .unwrap();
        let moves = assert_history_chains(
            &history,
            ChangeKind::Due,
            "2010-12-01",
            &action.due.to_string(),
        );
        assert!(moves >= 1, "action {i} (file {k}) was never moved");
    }
}

/// Eight processes import the same 300 actions at once, each with different statuses: all
/// succeed, and each action's history is one true sequence ending at its current status.
async fn overlapping_cli_imports_keep_a_true_history(db: TestDb) {
    let board = board_with_actions(&db.store, 300).await;
    let dir = tempfile::tempdir().unwrap();
    // On PostgreSQL, hold back every writer until all eight have read the board, so their
    // transactions truly overlap (process start-up would otherwise stagger them).
    let gate = match db.url.starts_with("postgres") {
        true => Some(WriterGate::close(&db.url).await),
        false => None,
    };
    let mut children = Vec::new();
    for k in 0..8usize {
        let file = format!("overlap-{k}.csv");
        let csv = actions_csv(300, move |i| STATUSES[(i + k) % 4], |_| "2010-12-01".into());
        std::fs::write(dir.path().join(&file), csv).unwrap();
        children.push(spawn_import(dir.path(), &db.url, &file, "conc", true));
    }
    if let Some(gate) = gate {
        gate.open_when_waiting(8).await;
    }
    all_succeed(children).await;
    for i in 1..=300 {
        let action = current(&db.store, &board, i).await;
        let history = db
            .store
            .history_of(board.id, SubjectKind::Action, &r(i))
            .await
            .unwrap();
        assert_history_chains(
            &history,
            ChangeKind::Status,
            "on_track",
            action.status.as_str(),
        );
    }
}

/// A PostgreSQL session holding a lock that stops every change of actions (plain reads and
/// row locks still go through) until enough other sessions are waiting behind it.
struct WriterGate {
    conn: sqlx::AnyConnection,
}

impl WriterGate {
    async fn close(url: &str) -> Self {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::raw_sql("BEGIN; LOCK TABLE actions IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut conn)
            .await
            .unwrap();
        Self { conn }
    }

    /// Wait (up to a minute) until `sessions` others are waiting on a lock, then let them go.
    async fn open_when_waiting(mut self, sessions: i64) {
        for _ in 0..600 {
            // Inside a transaction PostgreSQL shows one snapshot of pg_stat_activity; clear it
            // to see the sessions as they are now.
            sqlx::query("SELECT pg_stat_clear_snapshot()")
                .execute(&mut self.conn)
                .await
                .unwrap();
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut self.conn)
            .await
            .unwrap();
            if waiting >= sessions {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        sqlx::raw_sql("COMMIT")
            .execute(&mut self.conn)
            .await
            .unwrap();
    }
}

mod processes {
    use super::*;

    on_both_backends!(
        ten_cli_imports_at_once_all_succeed,
        overlapping_cli_imports_keep_a_true_history,
    );
}

/// The bot and a CLI import on one SQLite file at the same time: twenty officers update
/// actions by slash command while the secretariat imports a plan of 2,000 actions. Every
/// officer is told their update was saved, the import lands whole, and every change is there.
#[tokio::test]
async fn the_bot_and_a_cli_import_share_one_sqlite_file() {
    let bot = TestBot::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plan: String = actions_csv(2000, |i| STATUSES[i % 4], |_| "2011-03-31".into());
    std::fs::write(dir.path().join("plan.csv"), plan).unwrap();
    let import = spawn_import(dir.path(), &bot.db.url, "plan.csv", "dsvb", false);
    let updates = (0..20).map(|n| {
        // The status choices are numbered: 2 is at risk, 3 off track.
        let status = 2 + (n % 2) as u64;
        bot.run(
            OFFICER,
            "update",
            json!([
                {"name": "action", "type": 3, "value": "ACT-001"},
                {"name": "status", "type": 4, "value": status},
                {"name": "note", "type": 3, "value": format!("update {n}")}
            ]),
        )
    });
    let replies = futures_util::future::join_all(updates).await;
    all_succeed(vec![import]).await;
    for reply in &replies {
        let text = reply.text();
        assert!(
            text.contains("ACT-001 — Audit diversity recording"),
            "not a success reply: {text}"
        );
        assert!(!text.contains("Sorry"), "{text}");
    }
    let board = &bot.board;
    let history = bot
        .db
        .store
        .history_of(
            board.id,
            SubjectKind::Action,
            &Ref::parse("ACT-001").unwrap(),
        )
        .await
        .unwrap();
    let action = bot
        .db
        .store
        .action(board.id, &Ref::parse("ACT-001").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        assert_history_chains(
            &history,
            ChangeKind::Status,
            "on_track",
            action.status.as_str()
        ),
        20
    );
    assert_eq!(bot.db.store.actions(board.id).await.unwrap().len(), 2003);
    bot.stop().await;
}
