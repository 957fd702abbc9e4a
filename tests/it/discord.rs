//! The Discord bot end to end: the real serenity/poise client against the fake Discord, every
//! command's happy path, bad input and permission matrix, checking what the user sees and what
//! the database holds afterwards.

use serde_json::{json, Value};

use briefing_bot::domain::{ActionStatus, BoardSlug, ChangeKind, Ref, SubjectKind};

use crate::support::bot::*;
use crate::support::fake_discord::{payloads, Reply};

fn s(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

fn choice(name: &str, index: u64) -> Value {
    json!({"name": name, "type": 4, "value": index})
}

/// Index of an action status among /update's choices.
const DONE: u64 = 4;
const AT_RISK: u64 = 2;

fn r(s: &str) -> Ref {
    Ref::parse(s).unwrap()
}

async fn status_of(bot: &TestBot, reference: &str) -> ActionStatus {
    bot.db
        .store
        .action(bot.board.id, &r(reference))
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test]
async fn the_bot_connects_and_registers_every_command() {
    let bot = TestBot::start().await;
    let names: Vec<String> = bot
        .fake
        .registered_commands()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "action", "update", "overdue", "mine", "history", "rec", "digest", "import", "export",
        "setup", "board", "meeting", "redact", "help",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "/{expected} is not registered: {names:?}"
        );
    }
    let setup = bot
        .fake
        .registered_commands()
        .into_iter()
        .find(|c| c["name"] == "setup")
        .unwrap();
    assert_eq!(
        setup["default_member_permissions"], "32",
        "/setup is offered to Manage Server by default"
    );
    bot.stop().await;
}

#[tokio::test]
async fn members_read_the_record_privately() {
    let bot = TestBot::start().await;
    let overdue = bot.run(MEMBER, "overdue", json!([])).await;
    assert!(overdue.ephemeral());
    assert!(overdue.text().contains("ACT-001"), "{}", overdue.text());
    assert!(
        overdue.text().contains("19 days overdue"),
        "{}",
        overdue.text()
    );

    let show = bot
        .run(MEMBER, "action show", json!([s("action", "act-001")]))
        .await;
    assert!(
        show.text().contains("ACT-001 — Audit diversity recording"),
        "{}",
        show.text()
    );
    let missing = bot
        .run(MEMBER, "action show", json!([s("action", "ACT-999")]))
        .await;
    assert!(missing.ephemeral());
    assert!(
        missing.text().contains("There is no action ACT-999"),
        "{}",
        missing.text()
    );

    let listed = bot
        .run(MEMBER, "action list", json!([s("borough", "lambeth")]))
        .await;
    assert!(
        listed.text().contains("ACT-003") && !listed.text().contains("ACT-001"),
        "{}",
        listed.text()
    );
    let rec = bot
        .run(MEMBER, "rec show", json!([s("ref", "DSVB-2010-01")]))
        .await;
    assert!(
        rec.text().contains("Record diversity data consistently"),
        "{}",
        rec.text()
    );
    let history = bot
        .run(MEMBER, "history", json!([s("ref", "ACT-001")]))
        .await;
    assert!(history.text().contains("created"), "{}", history.text());
    let mine = bot.run(OFFICER, "mine", json!([])).await;
    assert!(mine.text().contains("ACT-001"), "{}", mine.text());
    // "Today" is the board's: a week after ACT-003's due date it is overdue too.
    bot.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2010, 10, 22, 10, 0, 0).unwrap());
    let later = bot.run(MEMBER, "overdue", json!([])).await;
    assert!(
        later.text().contains("ACT-003") && later.text().contains("2 overdue actions"),
        "{}",
        later.text()
    );
    let help = bot.run(MEMBER, "help", json!([])).await;
    assert!(
        help.text().contains("/overdue") && !help.text().contains("Secretariat"),
        "{}",
        help.text()
    );
    bot.stop().await;
}

/// One step of a scenario: who runs which command with which options, words their reply must
/// contain, and an action's status afterwards (if the step checks one).
type Step<'a> = (
    u64,
    &'a str,
    Value,
    Vec<&'a str>,
    Option<(&'a str, ActionStatus)>,
);

#[tokio::test]
async fn updating_an_action_follows_the_permission_matrix() {
    let bot = TestBot::start().await;
    let update = |reference: &str, status: u64, note: &str| {
        json!([
            s("action", reference),
            choice("status", status),
            s("note", note)
        ])
    };
    let update_any = json!([{"name": "update_any", "type": 5, "value": true}]);
    let officer_role = format!("<@&{OFFICER_ROLE}>");
    let assigned = format!("assigned to <@{OFFICER}>");
    // Who runs what, what they are told (every reply private), and the action's status after:
    // refusals change nothing; admins may update any action; other officers only when the
    // board allows it.
    let steps: [Step; 7] = [
        (
            MEMBER,
            "update",
            update("ACT-001", AT_RISK, "Data late"),
            vec!["for officers", officer_role.as_str()],
            Some(("ACT-001", ActionStatus::OnTrack)),
        ),
        (
            OTHER_OFFICER,
            "update",
            update("ACT-001", AT_RISK, "Data late"),
            vec![assigned.as_str()],
            Some(("ACT-001", ActionStatus::OnTrack)),
        ),
        (
            OFFICER,
            "update",
            update("ACT-001", AT_RISK, "Data late"),
            vec!["on track → at risk"],
            Some(("ACT-001", ActionStatus::AtRisk)),
        ),
        (
            ADMIN,
            "update",
            update("ACT-003", 3, "Chased"),
            vec!["Updated ACT-003"],
            None,
        ),
        (
            OTHER_OFFICER,
            "update",
            update("ACT-003", 1, "x"),
            vec!["no assigned officer"],
            None,
        ),
        (
            ADMIN,
            "setup officers",
            update_any,
            vec!["any action"],
            None,
        ),
        (
            OTHER_OFFICER,
            "update",
            update("ACT-003", 1, "Back on track"),
            vec!["off track → on track"],
            Some(("ACT-003", ActionStatus::OnTrack)),
        ),
    ];
    for (who, command, options, says, after) in steps {
        let reply = bot.run(who, command, options).await;
        assert!(reply.ephemeral(), "{who} /{command}");
        for words in says {
            assert!(
                reply.text().contains(words),
                "{who} /{command}: expected {words:?} in {}",
                reply.text()
            );
        }
        if let Some((reference, status)) = after {
            assert_eq!(status_of(&bot, reference).await, status, "{who} /{command}");
        }
    }
    let history = bot
        .db
        .store
        .history_of(bot.board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.change, last.by.as_str(), last.note.as_deref()),
        (
            ChangeKind::Status,
            format!("discord:{OFFICER}").as_str(),
            Some("Data late")
        )
    );
    bot.stop().await;
}

#[tokio::test]
async fn history_is_shown_in_the_boards_time_zone() {
    let bot = TestBot::start().await;
    // The clock reads 10:00 UTC on 20 September 2010: 11:00 summer time in London.
    let update = bot
        .run(
            OFFICER,
            "update",
            json!([
                s("action", "ACT-001"),
                choice("status", AT_RISK),
                s("note", "Data late")
            ]),
        )
        .await;
    assert!(
        update.text().contains("Updated ACT-001"),
        "{}",
        update.text()
    );
    let london = bot
        .run(MEMBER, "history", json!([s("ref", "ACT-001")]))
        .await;
    let text = london.text();
    assert!(text.contains("times in Europe/London"), "{text}");
    // Imported at 09:00 UTC on 1 February (winter: GMT), updated in summer (BST).
    assert!(text.contains("1 Feb 2010 09:00 GMT ·"), "{text}");
    assert!(text.contains("20 Sep 2010 11:00 BST ·"), "{text}");
    assert!(!text.contains("10:00"), "no UTC times: {text}");

    let moved = bot
        .run(
            ADMIN,
            "setup timezone",
            json!([s("zone", "America/New_York")]),
        )
        .await;
    assert!(moved.text().contains("Time zone saved"), "{}", moved.text());
    let new_york = bot
        .run(MEMBER, "history", json!([s("ref", "ACT-001")]))
        .await;
    let text = new_york.text();
    assert!(text.contains("times in America/New_York"), "{text}");
    assert!(text.contains("1 Feb 2010 04:00 EST ·"), "{text}");
    assert!(text.contains("20 Sep 2010 06:00 EDT ·"), "{text}");
    bot.stop().await;
}

#[tokio::test]
async fn bad_input_is_explained_and_changes_nothing() {
    let bot = TestBot::start().await;
    let long_note = "x".repeat(1001);
    // What the officer typed, and the words of the explanation they get.
    for (command, options, says) in [
        (
            "update",
            json!([s("action", "ACT-999"), choice("status", AT_RISK)]),
            "There is no action ACT-999",
        ),
        (
            "update",
            json!([s("action", "ACT 001"), choice("status", AT_RISK)]),
            "use letters, digits",
        ),
        (
            "update",
            json!([s("action", "ACT-001"), choice("status", 1)]),
            "already on track",
        ),
        (
            "update",
            json!([
                s("action", "ACT-001"),
                choice("status", AT_RISK),
                s("note", &long_note)
            ]),
            "at most 1000",
        ),
        (
            "action extend",
            json!([
                s("action", "ACT-001"),
                s("new_due", "31 Feb 2011"),
                s("reason", "x")
            ]),
            "not a day on the calendar",
        ),
    ] {
        let reply = bot.run(OFFICER, command, options).await;
        assert!(reply.text().contains(says), "/{command}: {}", reply.text());
    }
    assert_eq!(status_of(&bot, "ACT-001").await, ActionStatus::OnTrack);
    assert_eq!(
        bot.db.store.history(bot.board.id).await.unwrap().len(),
        5,
        "no history was written"
    );

    // A note that tries to ping everyone is stored as typed, shown inert, and pings nobody.
    let ping = bot
        .run(
            OFFICER,
            "update",
            json!([
                s("action", "ACT-001"),
                choice("status", AT_RISK),
                s("note", "@everyone see <@&1> **now**")
            ]),
        )
        .await;
    assert!(ping.text().contains("Updated ACT-001"), "{}", ping.text());
    for m in ping.messages() {
        let parse = m["allowed_mentions"]["parse"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(parse.is_empty(), "{m}");
    }
    let history = bot
        .db
        .store
        .history_of(bot.board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap();
    assert_eq!(
        history.last().unwrap().note.as_deref(),
        Some("@everyone see <@&1> **now**")
    );
    let shown = bot
        .run(MEMBER, "history", json!([s("ref", "ACT-001")]))
        .await;
    assert!(
        !shown.text().contains("@everyone") && !shown.text().contains("<@&1>"),
        "{}",
        shown.text()
    );
    bot.stop().await;
}

#[tokio::test]
async fn closing_an_action_asks_for_a_note_in_a_modal() {
    let bot = TestBot::start().await;
    let (modal, token) = bot
        .run_with_token(
            OFFICER,
            "update",
            json!([s("action", "ACT-001"), choice("status", DONE)]),
        )
        .await;
    assert_eq!(
        modal.kind, 9,
        "a modal opens when closing without a note: {:?}",
        modal.data
    );
    assert_eq!(
        status_of(&bot, "ACT-001").await,
        ActionStatus::OnTrack,
        "nothing changes until the note is given"
    );
    let after = bot
        .submit_modal(
            OFFICER,
            &modal,
            &token,
            &["Audit report published on the intranet"],
        )
        .await;
    assert!(after.text().contains("on track → done"), "{}", after.text());
    assert_eq!(status_of(&bot, "ACT-001").await, ActionStatus::Done);
    let last = bot
        .db
        .store
        .history_of(bot.board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        last.note.as_deref(),
        Some("Audit report published on the intranet")
    );
    bot.stop().await;
}

#[tokio::test]
async fn extending_a_due_date_records_the_slip() {
    let bot = TestBot::start().await;
    let member = bot
        .run(
            MEMBER,
            "action extend",
            json!([
                s("action", "ACT-001"),
                s("new_due", "2010-12-01"),
                s("reason", "x")
            ]),
        )
        .await;
    assert!(member.text().contains("for officers"), "{}", member.text());
    let ok = bot
        .run(
            OFFICER,
            "action extend",
            json!([
                s("action", "ACT-001"),
                s("new_due", "1 Dec 2010"),
                s("reason", "Waiting for data")
            ]),
        )
        .await;
    assert!(ok.text().contains("moved later (slipped)"), "{}", ok.text());
    let action = bot
        .db
        .store
        .action(bot.board.id, &r("ACT-001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action.due.to_string(), "2010-12-01");
    let last = bot
        .db
        .store
        .history_of(bot.board.id, SubjectKind::Action, &r("ACT-001"))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.change, last.note.as_deref()),
        (ChangeKind::Due, Some("Waiting for data"))
    );
    bot.stop().await;
}

/// Admin commands refused to members and officers, with what each would have changed.
#[tokio::test]
async fn secretariat_commands_are_refused_to_members_and_officers() {
    let bot = TestBot::start().await;
    let attempts: Vec<(&str, Value)> = vec![
        ("rec add", json!([s("ref", "NEW-1"), s("title", "New")])),
        (
            "rec respond",
            json!([s("ref", "DSVB-2010-02"), choice("response", 1)]),
        ),
        (
            "rec close",
            json!([
                s("ref", "DSVB-2010-02"),
                choice("status", 1),
                s("note", "done")
            ]),
        ),
        (
            "action add",
            json!([
                s("ref", "NEW-A"),
                s("title", "T"),
                s("owner", "O"),
                s("due", "2011-01-01")
            ]),
        ),
        (
            "action edit",
            json!([s("action", "ACT-001"), s("title", "Renamed")]),
        ),
        ("action assign", json!([s("action", "ACT-003")])),
        ("export", json!([choice("kind", 1)])),
        ("board", json!([])),
        ("setup roles", json!([])),
        ("digest post", json!([])),
        ("redact", json!([s("reference", "ACT-001")])),
        (
            "meeting add",
            json!([s("date", "2010-10-12"), s("boroughs", "Bexley")]),
        ),
    ];
    for who in [MEMBER, OFFICER] {
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
    let store = &bot.db.store;
    assert!(store
        .recommendation(bot.board.id, &r("NEW-1"))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .action(bot.board.id, &r("NEW-A"))
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.history(bot.board.id).await.unwrap().len(), 5);
    assert!(bot.fake.channel_messages(DIGEST_CHANNEL).is_empty());
    bot.stop().await;
}

#[tokio::test]
async fn the_secretariat_manages_the_record() {
    let bot = TestBot::start().await;
    let added = bot.run(ADMIN, "rec add", json!([s("ref", "DSVB-2011-01"), s("title", "Publish quarterly VAW data"), {"name": "priority", "type": 5, "value": true}])).await;
    assert!(
        added.text().contains("Added DSVB-2011-01"),
        "{}",
        added.text()
    );
    let action = bot
        .run(
            ADMIN,
            "action add",
            json!([
                s("ref", "NEW-01"),
                s("title", "Draft the data release"),
                s("owner", "MPA Oversight"),
                s("due", "31 Mar 2011"),
                s("recommendation", "DSVB-2011-01")
            ]),
        )
        .await;
    assert!(action.text().contains("Added NEW-01"), "{}", action.text());
    let stored = bot
        .db
        .store
        .action(bot.board.id, &r("NEW-01"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            stored.due.to_string(),
            stored.recommendation.unwrap().to_string()
        ),
        ("2011-03-31".to_string(), "DSVB-2011-01".to_string())
    );
    let duplicate = bot
        .run(
            ADMIN,
            "action add",
            json!([
                s("ref", "NEW-01"),
                s("title", "Again"),
                s("owner", "X"),
                s("due", "2011-01-01")
            ]),
        )
        .await;
    assert!(
        duplicate.text().contains("already an action NEW-01"),
        "{}",
        duplicate.text()
    );
    let closing = bot
        .run(
            ADMIN,
            "rec close",
            json!([
                s("ref", "DSVB-2010-02"),
                choice("status", 1),
                s("note", "Feedback tool live")
            ]),
        )
        .await;
    assert!(
        closing.text().contains("open → implemented"),
        "{}",
        closing.text()
    );
    // Manage Server counts as the secretariat too.
    let board = bot.run(MANAGER, "board", json!([])).await;
    assert!(board.text().contains("Board dsvb"), "{}", board.text());
    assert!(
        board.text().contains("Reminder schedule"),
        "{}",
        board.text()
    );
    // Export as an attached CSV.
    let export = bot.run(ADMIN, "export", json!([choice("kind", 1)])).await;
    assert!(
        export
            .file_names()
            .contains(&"dsvb-actions.csv".to_string()),
        "{:?}",
        export.file_names()
    );
    bot.stop().await;
}

#[tokio::test]
async fn setup_checks_what_the_bot_may_do_in_a_channel() {
    let bot = TestBot::start().await;
    let resolved = json!({"channels": {
        LOCKED_CHANNEL.to_string(): {"id": LOCKED_CHANNEL.to_string(), "type": 0, "name": "locked", "permissions": "0"},
        REMINDER_CHANNEL.to_string(): {"id": REMINDER_CHANNEL.to_string(), "type": 0, "name": "reminders", "permissions": "0"}
    }});
    let locked = bot
        .run_in(
            ADMIN,
            DIGEST_CHANNEL,
            "setup channels",
            json!([{"name": "digest", "type": 7, "value": LOCKED_CHANNEL.to_string()}]),
            resolved.clone(),
        )
        .await;
    assert!(
        locked.text().contains("missing Send Messages, Embed Links"),
        "{}",
        locked.text()
    );
    let board = bot
        .db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        board.chat.digest_channel,
        Some(DIGEST_CHANNEL),
        "a refused channel is not saved"
    );
    let fine = bot
        .run_in(
            ADMIN,
            DIGEST_CHANNEL,
            "setup channels",
            json!([{"name": "reminders", "type": 7, "value": REMINDER_CHANNEL.to_string()}]),
            resolved,
        )
        .await;
    assert!(fine.text().contains("Channels saved"), "{}", fine.text());
    bot.stop().await;
}

#[tokio::test]
async fn the_digest_is_previewed_privately_and_posted_on_demand() {
    let bot = TestBot::start().await;
    let preview = bot
        .run(MEMBER, "digest preview", json!([s("as_of", "2010-10-01")]))
        .await;
    assert!(
        preview.text().contains("VAW briefing Q2 2010/11"),
        "{}",
        preview.text()
    );
    assert!(
        preview
            .followups
            .iter()
            .all(|m| m["flags"].as_u64().unwrap_or(0) & 64 != 0),
        "previews are private"
    );
    assert!(bot.fake.channel_messages(DIGEST_CHANNEL).is_empty());
    let posted = bot
        .run(ADMIN, "digest post", json!([s("as_of", "2010-10-01")]))
        .await;
    assert!(
        posted.text().contains("Posted the digest"),
        "{}",
        posted.text()
    );
    let messages = bot.fake.wait_for_messages(DIGEST_CHANNEL, 1).await;
    assert!(!messages.is_empty());
    let first = &messages[0];
    assert!(
        first["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "actions-chart.png"),
        "{first}"
    );
    assert_eq!(
        first["allowed_mentions"]["users"]
            .as_array()
            .map_or(0, Vec::len),
        0,
        "a digest pings nobody"
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_member_gets_the_board_paper_privately_as_one_html_file() {
    let bot = TestBot::start().await;
    let reply = bot
        .run(MEMBER, "digest paper", json!([s("as_of", "2010-10-01")]))
        .await;
    assert!(
        reply.text().contains("board paper for Q2 2010/11"),
        "{}",
        reply.text()
    );
    assert!(
        reply
            .followups
            .iter()
            .all(|m| m["flags"].as_u64().unwrap_or(0) & 64 != 0),
        "the paper is private"
    );
    let (name, bytes) = reply
        .files
        .iter()
        .chain(reply.followup_files.iter())
        .find(|(n, _)| n.ends_with(".html"))
        .unwrap_or_else(|| panic!("no paper in {:?}", reply.file_names()));
    assert_eq!(name, "dsvb-briefing-2010-10-01.html");
    let paper = String::from_utf8(bytes.clone()).unwrap();
    assert!(paper.starts_with("<!DOCTYPE html>"));
    assert!(paper.contains("As at: <strong>1 October 2010</strong>"));
    assert!(
        paper.contains("data:image/png;base64,"),
        "the chart is in the file"
    );
    assert!(
        bot.fake.channel_messages(DIGEST_CHANNEL).is_empty(),
        "nothing posted"
    );
    bot.stop().await;
}

#[tokio::test]
async fn autocomplete_finds_refs_by_ref_or_title_words() {
    let bot = TestBot::start().await;
    let by_title = bot
        .autocomplete(
            OFFICER,
            "update",
            json!([{"name": "action", "type": 3, "value": "front", "focused": true}]),
        )
        .await;
    assert_eq!(by_title.kind, 8);
    let choices = by_title.choices();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert_eq!(choices[0].1, "ACT-003");
    assert!(choices[0].0.contains("Train front desk staff"));
    let by_ref = bot
        .autocomplete(
            OFFICER,
            "update",
            json!([{"name": "action", "type": 3, "value": "act-00", "focused": true}]),
        )
        .await;
    assert_eq!(by_ref.choices().len(), 3);
    bot.stop().await;
}

#[tokio::test]
async fn importing_a_csv_attachment_is_all_or_nothing() {
    let bot = TestBot::start().await;
    let bad = "ref,title,owner,due\nNEW-1,Title,Owner,2011-02-30\nNEW-2,Title,Owner,2011-01-01\n";
    let (id, url) = bot.fake.add_attachment(bad.as_bytes().to_vec());
    let resolved = json!({"attachments": {id.to_string(): {"id": id.to_string(), "filename": "plan.csv", "size": bad.len(), "url": url, "proxy_url": url, "content_type": "text/csv"}}});
    let options = json!([choice("kind", 1), {"name": "file", "type": 11, "value": id.to_string()}]);
    let rejected = bot
        .run_in(ADMIN, DIGEST_CHANNEL, "import", options.clone(), resolved)
        .await;
    assert!(
        rejected.text().contains("nothing was imported"),
        "{}",
        rejected.text()
    );
    assert!(
        rejected.text().contains("line 2, column due"),
        "{}",
        rejected.text()
    );
    assert!(bot
        .db
        .store
        .action(bot.board.id, &r("NEW-2"))
        .await
        .unwrap()
        .is_none());
    let good = bad.replace("2011-02-30", "2011-02-28");
    let (id, url) = bot.fake.add_attachment(good.as_bytes().to_vec());
    let resolved = json!({"attachments": {id.to_string(): {"id": id.to_string(), "filename": "plan.csv", "size": good.len(), "url": url, "proxy_url": url, "content_type": "text/csv"}}});
    let options = json!([choice("kind", 1), {"name": "file", "type": 11, "value": id.to_string()}]);
    let imported = bot
        .run_in(ADMIN, DIGEST_CHANNEL, "import", options, resolved)
        .await;
    assert!(imported.text().contains("created 2"), "{}", imported.text());
    bot.stop().await;
}

/// The fake's payloads deserialize with serenity's own types, and removing any key serenity
/// needs makes that fail — so a payload the bot would silently drop fails a test instead.
#[test]
fn the_fakes_payloads_match_serenitys_types() {
    use poise::serenity_prelude as serenity;
    let g = guild();
    let ready = payloads::ready(std::slice::from_ref(&g));
    serde_json::from_value::<serenity::Ready>(ready.clone()).expect("READY deserializes");
    let create = payloads::guild_create(&g);
    serde_json::from_value::<serenity::Guild>(create.clone()).expect("GUILD_CREATE deserializes");
    let member = payloads::member(&g, &g.members[1]);
    serde_json::from_value::<serenity::Member>(member.clone()).expect("members deserialize");
    let removable = |v: &Value, keys: &[&str]| -> Vec<String> {
        keys.iter()
            .filter(|k| {
                let mut copy = v.clone();
                copy.as_object_mut().unwrap().remove(**k);
                serde_json::from_value::<serenity::Guild>(copy).is_ok()
            })
            .map(|k| k.to_string())
            .collect()
    };
    let required = [
        "id",
        "name",
        "roles",
        "channels",
        "members",
        "joined_at",
        "verification_level",
        "premium_tier",
    ];
    assert!(
        removable(&create, &required).is_empty(),
        "these keys were not needed after all: {:?}",
        removable(&create, &required)
    );
    for key in ["user", "session_id", "application", "guilds"] {
        let mut copy = ready.clone();
        copy.as_object_mut().unwrap().remove(key);
        assert!(
            serde_json::from_value::<serenity::Ready>(copy).is_err(),
            "READY without {key} still deserialized"
        );
    }
    let _ = Reply::default();
}

#[tokio::test]
async fn long_lists_say_how_many_more_and_attach_them_on_request() {
    use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
    let bot = TestBot::start().await;
    let mut csv = String::from("ref,title,owner,due\n");
    for i in 0..150 {
        csv.push_str(&format!(
            "BULK-{i:03},Bulk action {i},Owner {},2010-08-{:02}\n",
            i % 7,
            i % 28 + 1
        ));
    }
    let options = ImportOptions {
        by: "test",
        now: chrono::Utc::now(),
        ..Default::default()
    };
    import_csv(
        &bot.db.store,
        Some(&BoardSlug::parse("dsvb").unwrap()),
        RecordKind::Actions,
        "bulk.csv",
        csv.as_bytes(),
        &options,
    )
    .await
    .unwrap();
    let short = bot.run(MEMBER, "overdue", json!([])).await;
    let text = short.text();
    assert!(text.contains("151 overdue actions"), "{text}");
    let shown = text.lines().filter(|l| l.starts_with('`')).count();
    assert!(
        text.contains(&format!("…and {} more", 151 - shown)),
        "{text}"
    );
    assert!(
        text.contains("/overdue full:True attaches them all"),
        "{text}"
    );
    assert!(short.file_names().is_empty());
    let full = bot
        .run(
            MEMBER,
            "overdue",
            json!([{"name": "full", "type": 5, "value": true}]),
        )
        .await;
    let file = full
        .files
        .iter()
        .chain(full.followup_files.iter())
        .find(|(n, _)| n.ends_with(".csv"))
        .expect("the full list is attached");
    assert_eq!(
        String::from_utf8_lossy(&file.1).lines().count(),
        152,
        "header and every overdue action"
    );
    bot.stop().await;
}

#[tokio::test]
async fn setup_meetings_and_edits_through_the_secretariat() {
    let bot = TestBot::start().await;
    // Settings: bad input is explained and not saved; good input is saved.
    let zone = bot
        .run(ADMIN, "setup timezone", json!([s("zone", "London")]))
        .await;
    assert!(zone.text().contains("Europe/London"), "{}", zone.text());
    let cron = bot
        .run(
            ADMIN,
            "setup schedule",
            json!([s("reminders", "every monday")]),
        )
        .await;
    assert!(cron.text().contains("cron"), "{}", cron.text());
    let preview = bot
        .run(
            ADMIN,
            "setup schedule",
            json!([s("reminders", "0 30 8 * * Tue")]),
        )
        .await;
    let schedule = bot.press(ADMIN, &preview, "Save").await;
    assert!(
        schedule.text().contains("Schedules saved") && schedule.text().contains("Tue"),
        "{}",
        schedule.text()
    );
    let board = bot
        .db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        board.settings.reminder_schedule.to_string(),
        "0 30 8 * * Tue"
    );
    assert_eq!(board.settings.time_zone.name(), "Europe/London");
    let reminders = bot
        .run(
            ADMIN,
            "setup reminders",
            json!([{"name": "due_within_days", "type": 4, "value": 21}]),
        )
        .await;
    assert!(
        reminders.text().contains("due within 21 days"),
        "{}",
        reminders.text()
    );
    let roles = bot
        .run_in(ADMIN, DIGEST_CHANNEL, "setup roles", json!([{"name": "officer", "type": 8, "value": OFFICER_ROLE.to_string()}]),
            json!({"roles": {OFFICER_ROLE.to_string(): {"id": OFFICER_ROLE.to_string(), "name": "Officers", "color": 0, "colors": {"primary_color": 0}, "hoist": false, "managed": false, "mentionable": false, "permissions": "0", "position": 1, "flags": 0}}}))
        .await;
    assert!(roles.text().contains("Roles saved"), "{}", roles.text());
    let hook = bot
        .run(
            ADMIN,
            "setup webhook add",
            json!([
                s("name", "members-slack"),
                choice("kind", 0),
                s("url", "http://example.org/hook")
            ]),
        )
        .await;
    assert!(
        hook.text().contains("https://"),
        "plain http is refused: {}",
        hook.text()
    );
    let hook = bot
        .run(
            ADMIN,
            "setup webhook add",
            json!([
                s("name", "members-slack"),
                choice("kind", 0),
                s("url", "https://hooks.slack.com/services/T1/B1/secretvalue")
            ]),
        )
        .await;
    assert!(
        hook.text().contains("Added slack webhook") && !hook.text().contains("secretvalue"),
        "{}",
        hook.text()
    );
    let listed = bot.run(ADMIN, "setup webhook list", json!([])).await;
    assert!(
        listed.text().contains("members-slack") && !listed.text().contains("secretvalue"),
        "{}",
        listed.text()
    );

    // Meetings.
    let bad = bot
        .run(
            ADMIN,
            "meeting add",
            json!([s("date", "2010-02-30"), s("boroughs", "Bexley")]),
        )
        .await;
    assert!(
        bad.text().contains("not a day on the calendar"),
        "{}",
        bad.text()
    );
    let added = bot
        .run(
            ADMIN,
            "meeting add",
            json!([s("date", "12 Oct 2010"), s("boroughs", "Bexley, Lambeth")]),
        )
        .await;
    assert!(
        added.text().contains("Bexley and Lambeth"),
        "{}",
        added.text()
    );
    let brief = bot.run(MEMBER, "meeting brief", json!([])).await;
    assert!(
        brief.text().contains("Bexley — 1 open, 1 overdue"),
        "{}",
        brief.text()
    );
    let list = bot.run(MEMBER, "meeting list", json!([])).await;
    assert!(list.text().contains("12 Oct 2010"), "{}", list.text());

    // Edits and assignment.
    let edit = bot
        .run(
            ADMIN,
            "action edit",
            json!([s("action", "ACT-003"), s("borough", "none")]),
        )
        .await;
    assert!(edit.text().contains("Edited ACT-003"), "{}", edit.text());
    let nothing = bot
        .run(ADMIN, "action edit", json!([s("action", "ACT-003")]))
        .await;
    assert!(
        nothing.text().contains("Nothing to change"),
        "{}",
        nothing.text()
    );
    let assign = bot
        .run_in(ADMIN, DIGEST_CHANNEL, "action assign", json!([s("action", "ACT-003"), {"name": "officer", "type": 6, "value": OTHER_OFFICER.to_string()}]),
            json!({"users": {OTHER_OFFICER.to_string(): {"id": OTHER_OFFICER.to_string(), "username": "other-officer", "discriminator": "0000", "global_name": null, "avatar": null}}}))
        .await;
    assert!(
        assign
            .text()
            .contains(&format!("assigned to <@{OTHER_OFFICER}>")),
        "{}",
        assign.text()
    );
    let stored = bot
        .db
        .store
        .action(bot.board.id, &r("ACT-003"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.borough, stored.officer.map(|o| o.get())),
        (None, Some(OTHER_OFFICER))
    );
    let rec_edit = bot
        .run(
            ADMIN,
            "rec edit",
            json!([s("ref", "DSVB-2010-02"), s("theme", "victim voice")]),
        )
        .await;
    assert!(
        rec_edit.text().contains("Edited DSVB-2010-02"),
        "{}",
        rec_edit.text()
    );
    let respond = bot
        .run(
            ADMIN,
            "rec respond",
            json!([s("ref", "NOPE-1"), choice("response", 1)]),
        )
        .await;
    assert!(
        respond.text().contains("There is no recommendation NOPE-1"),
        "{}",
        respond.text()
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_failed_command_registration_is_retried_and_the_bot_still_answers() {
    let bot = TestBot::start_with(|fake| {
        fake.queue(
            "PUT /api/v10/applications",
            500,
            json!({"message": "Internal Server Error", "code": 0}),
        );
    })
    .await;
    // start_with waited until the commands were registered: the first attempt got the 500,
    // the retry succeeded.
    let puts = bot
        .fake
        .requests()
        .iter()
        .filter(|r| r.starts_with("PUT /api/v10/applications"))
        .count();
    assert_eq!(puts, 2, "{:?}", bot.fake.requests());
    assert!(!bot.fake.registered_commands().is_empty());
    let reply = bot.run(MEMBER, "overdue", json!([])).await;
    assert!(reply.text().contains("ACT-001"), "{}", reply.text());
    bot.stop().await;
}
