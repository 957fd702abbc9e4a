//! Board settings have an audit trail: every change — creating the board, channels, roles,
//! time zone, schedules, reminder days, webhooks — is recorded append-only with who, when,
//! which setting and old → new, never with a webhook's secret URL.

use std::process::Command;

use chrono::{TimeZone, Utc};
use serde_json::json;

use briefing_bot::domain::spreadsheet::Cells;
use briefing_bot::domain::{BoardSettings, BoardSlug, SettingChange};
use briefing_bot::domain::{Webhook, WebhookKind, WebhookUrl};
use briefing_bot::services::actions::Author;
use briefing_bot::services::export::{export_csv, ExportKind};
use briefing_bot::services::settings::{add_webhook, change_board, create_board, remove_webhook};
use briefing_bot::services::ServiceError;

use crate::on_both_backends;
use crate::support::bot::{TestBot, ADMIN, MEMBER};
use crate::support::db::TestDb;

const SECRET_URL: &str = "https://hooks.slack.com/services/T1/B1/verysecretvalue";

fn author(by: &str) -> Author<'_> {
    Author {
        by,
        at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap(),
    }
}

fn entries(history: &[SettingChange]) -> Vec<(String, Option<String>, Option<String>)> {
    history
        .iter()
        .map(|c| (c.setting.clone(), c.old_value.clone(), c.new_value.clone()))
        .collect()
}

fn e(
    setting: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> (String, Option<String>, Option<String>) {
    (setting.into(), old.map(Into::into), new.map(Into::into))
}

async fn every_change_is_recorded_with_who_when_and_old_and_new(db: TestDb) {
    let store = &db.store;
    let slug = BoardSlug::parse("north").unwrap();
    let board = create_board(
        store,
        &slug,
        "North Board",
        &BoardSettings::default(),
        &author("cli"),
    )
    .await
    .unwrap();
    let changed = change_board(store, board.id, &author("discord:42"), |b| {
        b.chat.digest_channel = Some(555);
        b.settings.remind_before_days = 21;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(changed.recorded.len(), 2);
    // Setting a value to what it already is records nothing.
    let same = change_board(store, board.id, &author("discord:42"), |b| {
        b.settings.remind_before_days = 21;
        Ok(())
    })
    .await
    .unwrap();
    assert!(same.recorded.is_empty());
    let hook = Webhook {
        name: "members-slack".into(),
        kind: WebhookKind::Slack,
        url: WebhookUrl::parse(SECRET_URL).unwrap(),
    };
    add_webhook(store, &board, &hook, &author("discord:42"))
        .await
        .unwrap();
    let twice = add_webhook(store, &board, &hook, &author("discord:42")).await;
    assert!(matches!(twice, Err(ServiceError::Rejected(m)) if m.contains("already a webhook")));
    remove_webhook(store, &board, "members-slack", &author("discord:43"))
        .await
        .unwrap();
    let missing = remove_webhook(store, &board, "members-slack", &author("discord:43")).await;
    assert!(matches!(missing, Err(ServiceError::Rejected(m)) if m.contains("no webhook called")));

    let history = store.settings_history(board.id).await.unwrap();
    let redacted = "slack https://hooks.slack.com/…alue";
    assert_eq!(
        entries(&history),
        [
            e("board created", None, Some("north (North Board)")),
            e("remind before days", Some("14"), Some("21")),
            e("digest channel", None, Some("555")),
            e("webhook members-slack", None, Some(redacted)),
            e("webhook members-slack", Some(redacted), None),
        ]
    );
    assert_eq!(history[0].by, "cli");
    assert_eq!(history[4].by, "discord:43");
    assert_eq!(history[1].at, author("x").at);

    let mut csv = Vec::new();
    export_csv(
        store,
        &board,
        ExportKind::SettingsHistory,
        Cells::SpreadsheetSafe,
        &mut csv,
    )
    .await
    .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(!csv.contains("verysecretvalue"), "{csv}");
    assert_eq!(
        csv.lines().take(3).collect::<Vec<_>>(),
        [
            "at,by,setting,old,new",
            "2026-03-02T09:30:00Z,cli,board created,,north (North Board)",
            "2026-03-02T09:30:00Z,discord:42,remind before days,14,21",
        ]
    );
}

/// Two secretaries changing different settings at the same moment both keep their change, and
/// each setting's entries chain (every old value is the previous new value).
async fn concurrent_settings_changes_are_all_kept_and_chain(db: TestDb) {
    let store = db.store.clone();
    let slug = BoardSlug::parse("north").unwrap();
    let board = create_board(
        &store,
        &slug,
        "North",
        &BoardSettings::default(),
        &author("cli"),
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for n in 0..20u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let by = format!("discord:{n}");
            change_board(&store, board.id, &author(&by), move |b| {
                if n % 2 == 0 {
                    b.chat.digest_channel = Some(1000 + n);
                } else {
                    b.settings.escalate_after_days = 30 + n as u32;
                }
                Ok(())
            })
            .await
            .map(|_| ())
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("every change is saved");
    }
    let now = store.board(&slug).await.unwrap().unwrap();
    let history = store.settings_history(board.id).await.unwrap();
    for (setting, first, current) in [
        (
            "digest channel",
            None,
            now.chat.digest_channel.map(|c| c.to_string()),
        ),
        (
            "escalate after days",
            Some("28".to_string()),
            Some(now.settings.escalate_after_days.to_string()),
        ),
    ] {
        let chain: Vec<&SettingChange> = history.iter().filter(|c| c.setting == setting).collect();
        assert_eq!(chain.len(), 10, "{setting}");
        let mut value = first;
        for entry in chain {
            assert_eq!(
                entry.old_value, value,
                "{setting} entry replaced the wrong value"
            );
            value = entry.new_value.clone();
        }
        assert_eq!(
            value, current,
            "{setting}: the last entry is the current value"
        );
    }
}

/// The database itself refuses to rewrite or delete the settings history.
async fn the_settings_history_cannot_be_rewritten(db: TestDb) {
    let slug = BoardSlug::parse("north").unwrap();
    create_board(
        &db.store,
        &slug,
        "North",
        &BoardSettings::default(),
        &author("cli"),
    )
    .await
    .unwrap();
    let raw = db.raw_pool().await;
    for sql in [
        "UPDATE settings_changes SET actor = 'someone else'",
        "DELETE FROM settings_changes",
    ] {
        let refused = sqlx::query(sql).execute(&raw).await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("append-only")),
            "{sql} was allowed"
        );
    }
}

on_both_backends!(
    every_change_is_recorded_with_who_when_and_old_and_new,
    concurrent_settings_changes_are_all_kept_and_chain,
    the_settings_history_cannot_be_rewritten,
);

/// `/setup history` shows the secretariat what changed, newest first, in the board's time, with
/// channels as channel links and no webhook secret; members may not see it.
#[tokio::test]
async fn setup_history_lists_the_changes_for_the_secretariat() {
    let bot = TestBot::start().await;
    let zone = bot
        .run(
            ADMIN,
            "setup timezone",
            json!([{"name": "zone", "type": 3, "value": "Europe/Dublin"}]),
        )
        .await;
    assert!(zone.text().contains("Time zone saved"), "{}", zone.text());
    let hook = bot
        .run(
            ADMIN,
            "setup webhook add",
            json!([
                {"name": "name", "type": 3, "value": "members-slack"},
                {"name": "kind", "type": 4, "value": 0},
                {"name": "url", "type": 3, "value": SECRET_URL}
            ]),
        )
        .await;
    assert!(
        hook.text().contains("Added slack webhook"),
        "{}",
        hook.text()
    );

    let member = bot.run(MEMBER, "setup history", json!([])).await;
    assert!(member.ephemeral());
    assert!(
        member.text().contains("for the board's secretariat")
            && !member.text().contains("time zone"),
        "{}",
        member.text()
    );

    let shown = bot.run(ADMIN, "setup history", json!([])).await;
    let text = shown.text();
    assert!(shown.ephemeral());
    let newest = text
        .find("webhook members-slack")
        .expect("webhook entry shown");
    let older = text
        .find("time zone Europe/London → Europe/Dublin")
        .expect(&text);
    assert!(newest < older, "newest first: {text}");
    // The bot's clock says 10:00 UTC on 20 September 2010: 11:00 Irish Standard Time.
    assert!(text.contains("20 Sep 2010 11:00 IST"), "{text}");
    assert!(text.contains(&format!("<@{ADMIN}>")), "{text}");
    assert!(!text.contains("verysecretvalue"), "{text}");
    bot.stop().await;
}

/// `boards create` on the command line is recorded, and `export settings-history` writes it.
#[test]
fn the_command_line_records_and_exports_the_settings_history() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("BRIEFING_CONFIG")
            .env_remove("BRIEFING_ENV")
            .output()
            .unwrap()
    };
    let created = run(&["boards", "create", "north", "--time-zone", "Europe/Dublin"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let export = run(&["export", "settings-history", "--board", "north"]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let csv = String::from_utf8_lossy(&export.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert_eq!(lines[0], "at,by,setting,old,new");
    assert!(
        lines[1].ends_with(",command line,board created,,north (NORTH)"),
        "{csv}"
    );
}

/// A board created by its first import is recorded too, in the same transaction.
#[tokio::test]
async fn a_board_created_by_an_import_is_recorded() {
    let db = crate::support::db::sqlite().await;
    crate::store_contract::load(&db.store, "fresh").await;
    let board = db
        .store
        .board(&BoardSlug::parse("fresh").unwrap())
        .await
        .unwrap()
        .unwrap();
    let history = db.store.settings_history(board.id).await.unwrap();
    assert_eq!(
        entries(&history),
        [e("board created", None, Some("fresh (FRESH)"))]
    );
    assert_eq!(history[0].by, "test");
}
