//! Redaction: a name typed by mistake goes from the record, its history, every export, the
//! digests built afterwards (today's and point-in-time), the digest archive and the database
//! file, while the redaction itself is recorded and statuses, dates and authors stay exactly
//! as they were. The database refuses every other rewrite of the history. Both backends.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use briefing_bot::digest::archive::{archive_posted, html_with_notice, redaction_notice};
use briefing_bot::digest::render::json::digest_json_text;
use briefing_bot::digest::render::markdown::digest_markdown;
use briefing_bot::digest::{load_digest, load_digest_as_it_stood};
use briefing_bot::domain::spreadsheet::Cells;
use briefing_bot::domain::{
    ActionStatus, Board, BoardSlug, ChangeKind, Ref, StatusUpdate, SubjectKind, Text,
};
use briefing_bot::services::actions::{update_action_status, Author};
use briefing_bot::services::export::{export_csv, ExportKind};
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::redact::{redact, RedactionRequest, TextToRemove};
use briefing_bot::services::ServiceError;
use briefing_bot::store::{PostedBy, Store};

use crate::on_both_backends;
use crate::support::db::TestDb;

const NAME: &str = "Jane Roe";

fn r(s: &str) -> Ref {
    Ref::parse(s).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The small board, plus an action whose title names a victim and an update whose note names
/// her and her address — and a digest that showed both, archived as posted.
async fn board_with_a_name(store: &Store) -> Board {
    crate::store_contract::load(store, "dsvb").await;
    let slug = BoardSlug::parse("dsvb").unwrap();
    import_csv(
        store,
        Some(&slug),
        RecordKind::Actions,
        "more.csv",
        format!(
            "ref,recommendation,title,owner,borough,officer,due,status,completed_on\n\
             ACT-009,DSVB-2010-01,Safety plan for {NAME} (\"J.R.\"),Bexley CSU,Bexley,\
             200000000000000001,2010-09-01,on_track,\n"
        )
        .as_bytes(),
        &ImportOptions {
            by: "import",
            now: at(2010, 3, 1, 9),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let board = store.board(&slug).await.unwrap().unwrap();
    update_action_status(
        store,
        &board,
        &r("ACT-009"),
        ActionStatus::AtRisk,
        Some(&Text::multiline(&format!("{NAME} moved to 4 Elm Road; plan on hold"), 1000).unwrap()),
        None,
        &Author {
            by: "discord:200000000000000001",
            at: at(2010, 8, 20, 9),
        },
    )
    .await
    .unwrap();
    let digest = load_digest(store, &board, day(2010, 10, 1)).await.unwrap();
    let posted_by = PostedBy::Command {
        user: "discord:200000000000000100".to_string(),
    };
    archive_posted(store, &board, &digest, &posted_by, at(2010, 10, 1, 9))
        .await
        .unwrap();
    board
}

async fn exports(store: &Store, board: &Board) -> String {
    let mut all = String::new();
    for kind in [
        ExportKind::Recommendations,
        ExportKind::Actions,
        ExportKind::History,
    ] {
        let mut out = Vec::new();
        export_csv(store, board, kind, Cells::Raw, &mut out)
            .await
            .unwrap();
        all.push_str(&String::from_utf8(out).unwrap());
    }
    all
}

/// Everything a person could read of the board, in every form.
async fn everything_shown(store: &Store, board: &Board) -> String {
    let mut all = exports(store, board).await;
    let today = load_digest(store, board, day(2010, 10, 1)).await.unwrap();
    all.push_str(&digest_json_text(&today));
    all.push_str(&digest_markdown(&today));
    let then = load_digest_as_it_stood(store, board, day(2010, 8, 25))
        .await
        .unwrap();
    all.push_str(&digest_json_text(&then));
    for entry in store.archived_digests(Some(board.id), 10).await.unwrap() {
        let a = store
            .archived_digest(Some(board.id), entry.id)
            .await
            .unwrap()
            .unwrap();
        for text in [&a.json, &a.markdown, &a.html, &a.discord] {
            all.push_str(text);
        }
    }
    all
}

fn request<'a>(
    text: &'a TextToRemove,
    reason: &'a str,
    when: DateTime<Utc>,
) -> RedactionRequest<'a> {
    RedactionRequest {
        reference: Box::leak(Box::new(r("ACT-009"))),
        text,
        reason,
        by: "discord:200000000000000100",
        at: when,
    }
}

/// The secretariat's redaction of the victim's name, on 5 Oct 2010.
async fn redact_the_name(
    store: &Store,
    board: &Board,
    text: &TextToRemove,
) -> briefing_bot::services::redact::RedactionReport {
    redact(
        store,
        board,
        &request(text, "a victim's name typed by mistake", at(2010, 10, 5, 9)),
    )
    .await
    .unwrap()
}

/// The history as it reads with every `forms` of the name turned into the mark.
fn without(entries: &[StatusUpdate], text: &str) -> Vec<StatusUpdate> {
    entries
        .iter()
        .cloned()
        .map(|mut e| {
            for v in [
                &mut e.note,
                &mut e.evidence,
                &mut e.old_value,
                &mut e.new_value,
            ] {
                *v = v.as_ref().map(|s| s.replace(text, "[redacted]"));
            }
            e
        })
        .collect()
}

async fn a_name_goes_from_everything_shown_and_the_redaction_is_recorded(db: TestDb) {
    let store = &db.store;
    let board = board_with_a_name(store).await;
    let before = everything_shown(store, &board).await;
    // The name really was shown everywhere this test looks.
    assert!(before.matches(NAME).count() >= 6, "{before}");
    let history_before = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-009"))
        .await
        .unwrap();
    let others_before = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap();

    let text = TextToRemove::new(NAME).unwrap();
    let report = redact_the_name(store, &board, &text).await;
    assert_eq!(report.record_fields, vec!["title"]);
    assert_eq!(report.entries.len(), 2, "{report:?}");
    assert_eq!(report.digests.len(), 1, "{report:?}");
    // The title; the kept record of the created entry; the note and the kept record of the
    // update; the archived digest's JSON, Markdown, paper and Discord messages.
    assert_eq!(report.fields, 1 + 1 + 2 + 4, "{report:?}");

    let after = everything_shown(store, &board).await;
    assert!(!after.contains(NAME), "{after}");
    assert!(!after.contains("Jane"), "{after}");
    assert!(
        after.contains("Safety plan for [redacted] (\"J.R.\")"),
        "{after}"
    );
    // What is not the name stays.
    assert!(after.contains("moved to 4 Elm Road"));

    // The history: one entry more, saying who, when and why, never what; every earlier entry
    // is as it was but for the mark — statuses, dates, authors, times.
    let history = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-009"))
        .await
        .unwrap();
    assert_eq!(history.len(), history_before.len() + 1);
    assert_eq!(
        history[..history_before.len()],
        without(&history_before, NAME)[..]
    );
    let entry = history.last().unwrap();
    assert_eq!(entry.change, ChangeKind::Redacted);
    assert_eq!(entry.by, "discord:200000000000000100");
    assert_eq!(entry.at, at(2010, 10, 5, 9));
    assert_eq!(
        entry.note.as_deref(),
        Some("a victim's name typed by mistake")
    );
    assert!(entry
        .new_value
        .as_deref()
        .unwrap()
        .contains("record: title"));
    // Other records are untouched.
    assert_eq!(
        store
            .history_of(board.id, SubjectKind::Action, &r("ACT-001"))
            .await
            .unwrap(),
        others_before
    );
    let action = store
        .action(board.id, &r("ACT-009"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action.status, ActionStatus::AtRisk);
    assert_eq!(action.due, day(2010, 9, 1));

    // The archived digest says it was redacted, when and why.
    let redactions = store
        .redactions_of_archived(report.digests[0].id)
        .await
        .unwrap();
    assert_eq!(redactions.len(), 1);
    let notice = redaction_notice(&redactions, &board).unwrap();
    assert!(notice.contains("5 Oct 2010"), "{notice}");
    assert!(
        notice.contains("a victim's name typed by mistake"),
        "{notice}"
    );
    let paper = store
        .archived_digest(Some(board.id), report.digests[0].id)
        .await
        .unwrap()
        .unwrap()
        .html;
    assert!(html_with_notice(&paper, Some(&notice)).contains("redaction-notice"));

    // The same text again: nothing is there, so nothing changes and the reply says so.
    let again = redact(store, &board, &request(&text, "again", at(2010, 10, 6, 9))).await;
    match again {
        Err(ServiceError::Rejected(m)) => assert!(m.contains("does not appear"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        store
            .history_of(board.id, SubjectKind::Action, &r("ACT-009"))
            .await
            .unwrap()
            .len(),
        history.len()
    );

    // A second redaction (the address) keeps the first one's marks whole.
    let address = TextToRemove::new("4 Elm Road").unwrap();
    let second = redact(
        store,
        &board,
        &request(&address, "an address", at(2010, 10, 7, 9)),
    )
    .await
    .unwrap();
    // Only the entry that held it, not the others (nor the first redaction's own entry).
    assert_eq!(second.entries, vec![report.entries[1]], "{second:?}");
    assert!(second.record_fields.is_empty());
    let after = everything_shown(store, &board).await;
    assert!(!after.contains("Elm Road"));
    assert!(
        after.contains("[redacted] moved to [redacted]; plan on hold"),
        "{after}"
    );
}

async fn a_reason_that_repeats_the_text_or_an_unknown_ref_changes_nothing(db: TestDb) {
    let store = &db.store;
    let board = board_with_a_name(store).await;
    let before = everything_shown(store, &board).await;
    let text = TextToRemove::new(NAME).unwrap();
    for (req, words) in [
        (
            request(&text, "removing Jane Roe", at(2010, 10, 5, 9)),
            "repeats",
        ),
        (request(&text, "  ", at(2010, 10, 5, 9)), "Say why"),
        (
            RedactionRequest {
                reference: &r("NOPE-1"),
                ..request(&text, "why", at(2010, 10, 5, 9))
            },
            "no action or recommendation NOPE-1",
        ),
    ] {
        let err = redact(store, &board, &req).await.unwrap_err();
        assert!(err.to_string().contains(words), "{err}");
    }
    assert_eq!(everything_shown(store, &board).await, before);
}

/// The database lets text gain `[redacted]` only inside a redaction, and never lets the
/// history's statuses, dates, authors or times change, nor a redaction close without its entry.
async fn the_database_refuses_every_other_rewrite_of_the_history(db: TestDb) {
    let store = &db.store;
    let board = board_with_a_name(store).await;
    let pool = db.raw_pool().await;
    let postgres = db.url.starts_with("postgres");
    let subject: i64 =
        sqlx::query_scalar("SELECT CAST(id AS BIGINT) FROM actions WHERE reference = 'ACT-009'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let note_entry: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(id AS BIGINT) FROM status_updates WHERE subject_id = {subject} \
         AND note LIKE '%Elm Road%'"
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    // No redaction open: nothing may be rewritten, not even with the mark.
    for sql in [
        format!("UPDATE status_updates SET note = '[redacted]' WHERE id = {note_entry}"),
        "UPDATE archived_digests SET markdown = markdown || '[redacted]'".to_string(),
        "DELETE FROM status_updates".to_string(),
    ] {
        assert!(
            sqlx::query(&sql).execute(&pool).await.is_err(),
            "{sql} was allowed"
        );
    }
    let open = format!(
        "INSERT INTO redactions (board_id, subject_kind, subject_id, redacted_at, actor, reason) \
         VALUES ({}, 'action', {subject}, '2010-10-05T09:00:00.000000Z', 'tester', 'test')",
        board.id
    );
    let refused_inside = [
        // Who, when and what kind: never.
        format!("UPDATE status_updates SET actor = 'someone else' WHERE id = {note_entry}"),
        format!("UPDATE status_updates SET change_kind = 'details' WHERE id = {note_entry}"),
        // A status is not text to redact.
        format!("UPDATE status_updates SET new_value = '[redacted]' WHERE id = {note_entry}"),
        // Text may only gain the mark.
        format!("UPDATE status_updates SET note = 'rewritten' WHERE id = {note_entry}"),
        format!("UPDATE status_updates SET note = NULL WHERE id = {note_entry}"),
        // The record's status and dates, inside the JSON it keeps.
        format!(
            "UPDATE status_updates SET record = replace(record, 'at_risk', 'done') || '' \
             WHERE id = {note_entry}"
        ),
        // Another record's history is not this redaction's.
        "UPDATE status_updates SET note = note || ' [redacted]' WHERE subject_id <> \
         (SELECT subject_id FROM redactions) AND note IS NOT NULL"
            .to_string(),
        // Closing before the redaction's own entry exists.
        format!(
            "UPDATE redactions SET open = {}, fields = 1",
            if postgres { "FALSE" } else { "0" }
        ),
        "DELETE FROM status_updates".to_string(),
        "DELETE FROM redactions".to_string(),
    ];
    for sql in &refused_inside {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(&open).execute(&mut *tx).await.unwrap();
        // Refused by the guards themselves, not by a mistake in the SQL.
        let refused = sqlx::query(sql).execute(&mut *tx).await;
        match refused {
            Err(e) => assert!(
                ["append-only", "redaction", "never deleted"]
                    .iter()
                    .any(|w| e.to_string().contains(w)),
                "{sql}: {e}"
            ),
            Ok(done) => panic!(
                "{sql} was allowed during a redaction ({} rows)",
                done.rows_affected()
            ),
        }
        tx.rollback().await.unwrap();
    }
    // What a redaction does is let through: the mark where the text was, in the note and in
    // the record's title, then its entry, then the close.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(&open).execute(&mut *tx).await.unwrap();
    sqlx::query(&format!(
        "UPDATE status_updates SET note = replace(note, '4 Elm Road', '[redacted]'), \
         record = replace(record, 'Jane Roe', '[redacted]') WHERE id = {note_entry}"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO status_updates (board_id, subject_kind, subject_id, recorded_at, actor, \
         change_kind, note) VALUES ({}, 'action', {subject}, '2010-10-05T09:00:00.000000Z', \
         'tester', 'redacted', 'test')",
        board.id
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(&format!(
        "UPDATE redactions SET open = {}, fields = 2, entries = '1'",
        if postgres { "FALSE" } else { "0" }
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Closed, the redaction lets nothing more through, and it is never reopened or removed.
    for sql in [
        format!("UPDATE status_updates SET note = note || ' [redacted]' WHERE id = {note_entry}"),
        format!(
            "UPDATE redactions SET open = {}",
            if postgres { "TRUE" } else { "1" }
        ),
        "DELETE FROM redactions".to_string(),
    ] {
        assert!(
            sqlx::query(&sql).execute(&pool).await.is_err(),
            "{sql} was allowed"
        );
    }
}

/// Officers keep updating the same action while the secretariat redacts it: every change
/// lands, and the redaction took everything written before it — what an officer types after it
/// is theirs, and stays.
async fn updates_at_the_same_moment_as_a_redaction_are_all_kept(db: TestDb) {
    let store = &db.store;
    let board = board_with_a_name(store).await;
    let text = TextToRemove::new(NAME).unwrap();
    let updates = (0..12).map(|k| {
        let board = board.clone();
        async move {
            let note = Text::multiline(&format!("{NAME} update {k}"), 1000).unwrap();
            update_action_status(
                store,
                &board,
                &r("ACT-009"),
                ActionStatus::AtRisk,
                Some(&note),
                None,
                &Author {
                    by: "discord:200000000000000001",
                    at: at(2010, 10, 5, 9),
                },
            )
            .await
        }
    });
    let (updated, _) = tokio::join!(
        futures_util::future::join_all(updates),
        redact_the_name(store, &board, &text)
    );
    assert!(updated.iter().all(|u| u.is_ok()), "{updated:?}");
    let history = store
        .history_of(board.id, SubjectKind::Action, &r("ACT-009"))
        .await
        .unwrap();
    let at_redaction = history
        .iter()
        .position(|e| e.change == ChangeKind::Redacted)
        .unwrap();
    assert_eq!(history.len(), 2 + 12 + 1);
    for (i, e) in history.iter().enumerate() {
        let holds = e.note.as_deref().unwrap_or("").contains(NAME);
        assert_eq!(holds, i > at_redaction, "entry {i}: {e:?}");
    }
}

on_both_backends!(
    updates_at_the_same_moment_as_a_redaction_are_all_kept,
    a_name_goes_from_everything_shown_and_the_redaction_is_recorded,
    a_reason_that_repeats_the_text_or_an_unknown_ref_changes_nothing,
    the_database_refuses_every_other_rewrite_of_the_history,
);

/// On SQLite the name is gone from the file's bytes too: not in free pages, not in the
/// write-ahead log.
#[tokio::test]
async fn the_sqlite_files_hold_no_trace_of_the_text() {
    let db = crate::support::db::sqlite().await;
    let store = &db.store;
    let board = board_with_a_name(store).await;
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let files_hold = |text: &str| {
        [
            path.clone(),
            format!("{path}-wal"),
            format!("{path}-journal"),
        ]
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .any(|bytes| bytes.windows(text.len()).any(|w| w == text.as_bytes()))
    };
    assert!(files_hold(NAME), "the test's name never reached the files");
    let text = TextToRemove::new(NAME).unwrap();
    let report = redact_the_name(store, &board, &text).await;
    let words = store.scrub_freed_text().await.unwrap();
    assert!(words.contains("checkpointed"), "{words}");
    assert!(report.fields > 0);
    assert!(!files_hold(NAME), "the name is still in the database files");
}

/// `/redact` in Discord: the secretariat types the text in a modal (never in the channel),
/// the reply is private and never repeats it, and the digest the bot posted is edited —
/// except a message someone deleted, which the reply names.
#[tokio::test]
async fn redact_in_discord_edits_what_the_bot_posted_and_is_for_the_secretariat_only() {
    use crate::support::bot::*;
    use serde_json::json;
    let s = |name: &str, value: &str| json!({"name": name, "type": 3, "value": value});
    let bot = TestBot::start().await;
    for _ in 0..2 {
        let posted = bot
            .run(ADMIN, "digest post", json!([s("as_of", "2010-10-01")]))
            .await;
        assert!(
            posted.text().contains("Posted the digest"),
            "{}",
            posted.text()
        );
    }
    let ids = bot.fake.channel_message_ids(DIGEST_CHANNEL);
    let shown = |bot: &TestBot| {
        ids.iter()
            .filter_map(|id| bot.fake.message(DIGEST_CHANNEL, *id))
            .map(|m| m.to_string())
            .collect::<String>()
    };
    assert!(shown(&bot).contains("front desk"), "{}", shown(&bot));
    // Someone deletes the first digest's first message in the Discord app.
    bot.fake.delete_message(DIGEST_CHANNEL, ids[0]);

    for who in [MEMBER, OFFICER] {
        let refused = bot
            .run(who, "redact", json!([s("reference", "ACT-003")]))
            .await;
        assert_ne!(refused.kind, 9, "no modal opens for {who}");
        assert!(refused.ephemeral());
        assert!(refused.text().contains("secretariat"), "{}", refused.text());
    }
    let (modal, token) = bot
        .run_with_token(ADMIN, "redact", json!([s("reference", "ACT-003")]))
        .await;
    assert_eq!(
        modal.kind, 9,
        "the text is asked for in a modal: {:?}",
        modal.data
    );
    let reply = bot
        .submit_modal(
            ADMIN,
            &modal,
            &token,
            &["front desk", "a detail that identifies a victim"],
        )
        .await;
    let text = reply.text();
    assert!(reply.ephemeral(), "the reply is private");
    assert!(text.contains("Redacted ACT-003"), "{text}");
    assert!(
        !text.contains("front desk"),
        "the reply repeats the text: {text}"
    );
    assert!(text.contains("edited"), "{text}");
    assert!(
        text.contains(&format!("Could not edit message {}", ids[0])) && text.contains("deleted"),
        "the deleted message is named: {text}"
    );
    assert!(text.contains("Backups taken before now"), "{text}");
    // What the bot posted now reads [redacted]; nothing was pinged by the edits.
    let after = shown(&bot);
    assert!(!after.contains("front desk"), "{after}");
    assert!(after.contains("[redacted]"), "{after}");
    for (_, _, body) in bot.fake.edits() {
        assert_eq!(body["allowed_mentions"]["parse"], json!([]), "{body}");
    }
    // The store says which messages were edited and which could not be.
    let pool = bot.db.raw_pool().await;
    let outcomes: Vec<(String, String)> = sqlx::query_as(
        "SELECT message_id, outcome FROM redaction_message_edits ORDER BY message_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        outcomes.contains(&(ids[0].to_string(), "gone".to_string())),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().any(|(_, o)| o == "edited"), "{outcomes:?}");
    assert!(
        bot.fake.violations().is_empty(),
        "{:?}",
        bot.fake.violations()
    );
    bot.stop().await;
}
