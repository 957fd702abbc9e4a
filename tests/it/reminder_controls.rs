//! Reminders you can act on: the scheduled reminder, posted by the real poster to the fake
//! Discord, carries a menu of its actions; picking one opens a private panel (Update, Done,
//! New date), each a form. The clicks arrive as Discord sends them (MESSAGE_COMPONENT, type 3,
//! with the message they are on; MODAL_SUBMIT, type 5) and every answer is checked against
//! Discord's schemas by the fake. Who clicks decides what they see; a click after a restart
//! works; a click on an action that has changed since gets a clear private note; an update
//! edits the reminder's line in place and posts nothing new.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::discord::client::{http_client, Connection};
use briefing_bot::domain::{Action, ActionStatus, ChangeKind, OfficerId, Ref, SubjectKind, Text};
use briefing_bot::schedule::poster::BoardPoster;
use briefing_bot::schedule::{Runner, RunnerSettings};
use briefing_bot::services::actions::{
    add_action, assign_officer, change_due_date, update_action_status, Author,
};

use crate::on_both_backends;
use crate::support::bot::link_board;
use crate::support::bot::{
    TestBot, ADMIN, DIGEST_CHANNEL, GUILD, MANAGER, MEMBER, OFFICER, OTHER_OFFICER,
    REMINDER_CHANNEL,
};
use crate::support::db::TestDb;
use crate::support::fake_discord::{Reply, TOKEN};

/// Monday 20 September 2010, 09:00 in London: the test board's reminder is due, listing
/// ACT-001 (due 1 September, assigned to [`OFFICER`]) as overdue.
pub(crate) fn reminder_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2010, 9, 20, 8, 0, 0).unwrap()
}

/// The bot serving the test board on `db`, with two more overdue actions assigned to
/// [`OFFICER`] (ACT-004, ACT-005, due 10 September) so a reminder lists three.
pub(crate) async fn start(db: TestDb) -> TestBot {
    let board = link_board(&db).await;
    let author = Author {
        by: "discord:secretary",
        at: Utc.with_ymd_and_hms(2010, 9, 1, 9, 0, 0).unwrap(),
    };
    for reference in ["ACT-004", "ACT-005"] {
        let action = Action {
            reference: Ref::parse(reference).unwrap(),
            recommendation: None,
            title: format!("Follow-up {reference}"),
            owner: "Bexley Community Safety".into(),
            borough: Some("Bexley".into()),
            officer: Some(OfficerId::new(OFFICER)),
            due: NaiveDate::from_ymd_opt(2010, 9, 10).unwrap(),
            status: ActionStatus::OnTrack,
            completed_on: None,
            awaiting_sign_off: false,
        };
        add_action(&db.store, &board, &action, &author)
            .await
            .unwrap();
    }
    TestBot::start_on(db, board, |_| {}).await
}

/// Run the scheduler at `at` (posting whatever is due) and return the ids of the messages in
/// the reminder channel.
pub(crate) async fn run_scheduler(bot: &TestBot, at: chrono::DateTime<Utc>) -> Vec<u64> {
    let connection = Connection::new(TOKEN.to_string().into(), Some(bot.fake.api_url()));
    let clock = Arc::new(FixedClock::new(at));
    let poster = Arc::new(
        BoardPoster::new(bot.db.store.clone(), Arc::new(http_client(&connection)))
            .with_clock(clock.clone()),
    );
    let runner = Runner::new(
        bot.db.store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster,
        RunnerSettings {
            worker: "test".into(),
            ..Default::default()
        },
    );
    runner.run_due(clock.now()).await.unwrap();
    bot.fake.channel_message_ids(REMINDER_CHANNEL)
}

/// Post the board's reminder as the scheduler does, and return its message's id.
async fn post_reminder(bot: &TestBot) -> u64 {
    let connection = Connection::new(TOKEN.to_string().into(), Some(bot.fake.api_url()));
    let poster = Arc::new(BoardPoster::new(
        bot.db.store.clone(),
        Arc::new(http_client(&connection)),
    ));
    let clock = Arc::new(FixedClock::new(reminder_time()));
    let runner = Runner::new(
        bot.db.store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster,
        RunnerSettings {
            worker: "test".into(),
            ..Default::default()
        },
    );
    runner.run_due(clock.now()).await.unwrap();
    let ids = bot.fake.channel_message_ids(REMINDER_CHANNEL);
    assert_eq!(ids.len(), 1, "the reminder is one message");
    ids[0]
}

/// The reminder message as Discord holds it now.
pub(crate) fn reminder(bot: &TestBot, id: u64) -> Value {
    bot.fake
        .message(REMINDER_CHANNEL, id)
        .expect("the reminder")
}

/// Pick `reference` from the reminder's menu, as `who`.
pub(crate) async fn pick(bot: &TestBot, who: u64, message: u64, reference: &str) -> Reply {
    let posted = reminder(bot, message);
    let menu = posted["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| &row["components"][0])
        .find(|menu| {
            menu["options"].as_array().into_iter().flatten().any(|o| {
                o["value"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(":{reference}"))
            })
        })
        .unwrap_or_else(|| panic!("no menu offers {reference}: {posted}"))
        .clone();
    let value = menu["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["value"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{reference}"))
        })
        .unwrap()["value"]
        .clone();
    let data = json!({"custom_id": menu["custom_id"], "component_type": 3, "values": [value]});
    let (_, token, mut payload) = bot
        .fake
        .interaction_json(GUILD, REMINDER_CHANNEL, who, 3, data);
    // Discord sends the message the menu is on with the click.
    payload["message"] = posted;
    bot.fake.send_interaction(payload, &token).await
}

/// Submit the form `modal` (a kind-9 reply) with `values`, one per text box in order, and
/// return the bot's answer to the submission.
pub(crate) async fn submit(bot: &TestBot, who: u64, modal: &Reply, values: &[&str]) -> Reply {
    assert_eq!(modal.kind, 9, "a form: {:?}", modal.data);
    let inputs: Vec<Value> = modal.data["components"]
        .as_array()
        .unwrap()
        .iter()
        .zip(values)
        .map(|(row, value)| {
            let input = &row["components"][0];
            json!({"type": 1, "components": [{"type": 4, "custom_id": input["custom_id"], "value": value}]})
        })
        .collect();
    let data = json!({"custom_id": modal.data["custom_id"], "components": inputs});
    let (_, token, payload) = bot
        .fake
        .interaction_json(GUILD, REMINDER_CHANNEL, who, 5, data);
    bot.fake.send_interaction(payload, &token).await
}

pub(crate) fn ephemeral(reply: &Reply) -> bool {
    reply.data["flags"].as_u64().unwrap_or(0) & 64 != 0
}

fn labels(reply: &Reply) -> Vec<String> {
    reply.data["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|c| c["label"].as_str().unwrap_or("").to_string())
        .collect()
}

fn act001() -> Ref {
    Ref::parse("ACT-001").unwrap()
}

/// Who clicks decides what they see: the assigned officer and the secretariat (the admin
/// role, or Manage Server) get the panel; another officer and a member a private refusal
/// naming the rule. Nobody's click changes anything by itself, and the channel hears nothing.
async fn only_the_assigned_officer_or_the_secretariat_may_act_from_a_reminder(db: TestDb) {
    let bot = start(db).await;
    let message = post_reminder(&bot).await;
    let posted = reminder(&bot, message);
    assert_eq!(posted["components"].as_array().unwrap().len(), 1);
    let menu = &posted["components"][0]["components"][0];
    assert_eq!(menu["type"], 3);
    let options = menu["options"].as_array().unwrap();
    assert_eq!(
        options.len(),
        3,
        "every action the message lists, most overdue first"
    );
    assert_eq!(options[0]["label"], "ACT-001 — Audit diversity recording");
    assert_eq!(
        options[0]["description"],
        "Bexley Community Safety · 19 days overdue"
    );
    assert_eq!(options[1]["label"], "ACT-004 — Follow-up ACT-004");
    let rule = format!(
        "Only the officer assigned to it (<@{OFFICER}>) or the secretariat can act on ACT-001 \
         from a reminder."
    );
    for (who, may) in [
        (OFFICER, true),
        (OTHER_OFFICER, false),
        (MEMBER, false),
        (ADMIN, true),
        (MANAGER, true),
    ] {
        let reply = pick(&bot, who, message, "ACT-001").await;
        assert_eq!(reply.kind, 4, "{who}");
        assert!(ephemeral(&reply), "{who}: answered privately");
        if may {
            assert_eq!(labels(&reply), ["Update", "Done", "New date"], "{who}");
            assert_eq!(
                reply.data["embeds"][0]["title"],
                "ACT-001 — Audit diversity recording"
            );
        } else {
            assert_eq!(reply.text().trim_end(), rule, "{who}");
            assert!(labels(&reply).is_empty(), "{who}: no form for them");
        }
    }
    let action = bot
        .db
        .store
        .action(bot.board.id, &act001())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        action.status,
        ActionStatus::OnTrack,
        "looking changes nothing"
    );
    assert_eq!(bot.fake.channel_message_ids(REMINDER_CHANNEL).len(), 1);
    assert!(bot.fake.edits().is_empty());
    bot.stop().await;
}

/// The officer's Update: the status and note go through the same service as /update (history
/// by them), the answer is private, and the reminder's line is edited in place to say what
/// changed, who did it and when; nothing new is posted.
async fn an_update_from_the_reminder_is_recorded_and_its_line_edited_in_place(db: TestDb) {
    let bot = start(db).await;
    let message = post_reminder(&bot).await;
    let panel = pick(&bot, OFFICER, message, "ACT-001").await;
    let form = bot.press(OFFICER, &panel, "Update").await;
    assert_eq!(form.data["title"], "Update ACT-001");
    assert_eq!(
        form.data["components"][0]["components"][0]["value"], "on track",
        "the status box starts at the current status"
    );
    let answer = submit(
        &bot,
        OFFICER,
        &form,
        &["at risk", "Waiting for the audit data", ""],
    )
    .await;
    assert!(ephemeral(&answer));
    assert_eq!(
        answer.text().lines().next().unwrap(),
        "Updated ACT-001: on track → at risk."
    );
    let action = bot
        .db
        .store
        .action(bot.board.id, &act001())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(action.status, ActionStatus::AtRisk);
    let history = bot
        .db
        .store
        .history_of(bot.board.id, SubjectKind::Action, &act001())
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.by, format!("discord:{OFFICER}"));
    assert_eq!(last.note.as_deref(), Some("Waiting for the audit data"));

    let edits = bot.fake.wait_for_edits(1).await;
    assert_eq!(edits.len(), 1, "one edit of the reminder");
    assert_eq!(edits[0].1, message);
    let now = reminder(&bot, message);
    let line = now["embeds"][0]["description"]
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(
        line.ends_with(&format!(
            " · ✎ now at risk, updated by <@{OFFICER}> at 20 Sep 2010 11:00 BST"
        )),
        "{line}"
    );
    assert!(
        line.starts_with("`ACT-001` Audit diversity recording — **19 days overdue**"),
        "{line}"
    );
    assert_eq!(
        now["content"],
        bot.fake.channel_messages(REMINDER_CHANNEL)[0]["content"],
        "the rest of the message stays as posted"
    );
    assert_eq!(
        bot.fake.channel_message_ids(REMINDER_CHANNEL).len(),
        1,
        "no extra noise"
    );
    bot.stop().await;
}

/// Done from the reminder: the officer's goes to the secretariat's sign-off (the board
/// requires it), the secretariat's is signed off at once; a New date needs a reason and is a
/// slip that keeps the original date in the history, and the menu then offers the action at
/// its new version, so the next click is current.
async fn done_goes_to_sign_off_and_a_new_date_is_a_slip_with_its_reason(db: TestDb) {
    let bot = start(db).await;
    let message = post_reminder(&bot).await;

    let panel = pick(&bot, OFFICER, message, "ACT-001").await;
    let form = bot.press(OFFICER, &panel, "New date").await;
    assert_eq!(form.data["title"], "New date for ACT-001");
    let refused = submit(&bot, OFFICER, &form, &["31 Dec 2010", "   "]).await;
    assert_eq!(
        refused.text().trim_end(),
        "Give the reason the due date moved."
    );
    let bad_date = submit(&bot, OFFICER, &form, &["next spring", "Data late"]).await;
    assert!(
        bad_date.text().starts_with("new due date: "),
        "{}",
        bad_date.text()
    );
    let moved = submit(
        &bot,
        OFFICER,
        &form,
        &["31 Dec 2010", "The audit data arrives in December"],
    )
    .await;
    assert!(
        moved.text().starts_with("ACT-001 moved later (recorded as a slip, with your reason): due 1 Sep 2010 → 31 Dec 2010."),
        "{}",
        moved.text()
    );
    let history = bot
        .db
        .store
        .history_of(bot.board.id, SubjectKind::Action, &act001())
        .await
        .unwrap();
    let slip = history.last().unwrap();
    assert_eq!(slip.change, ChangeKind::Due);
    assert_eq!(
        (slip.old_value.as_deref(), slip.new_value.as_deref()),
        (Some("2010-09-01"), Some("2010-12-31")),
        "the original date is kept"
    );
    assert_eq!(
        slip.note.as_deref(),
        Some("The audit data arrives in December")
    );
    bot.fake.wait_for_edits(1).await;
    let line = reminder(&bot, message)["embeds"][0]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        line.contains("✎ due 31 Dec 2010 (was 1 Sep 2010), updated by"),
        "{line}"
    );

    // The edited menu carries the new version: picking again is current, not stale.
    let again = pick(&bot, OFFICER, message, "ACT-001").await;
    assert_eq!(
        labels(&again),
        ["Update", "Done", "New date"],
        "{}",
        again.text()
    );
    let done = bot.press(OFFICER, &again, "Done").await;
    assert_eq!(done.data["title"], "Mark ACT-001 done");
    let answer = submit(
        &bot,
        OFFICER,
        &done,
        &["Audit report to the board, 1 Oct", ""],
    )
    .await;
    assert!(
        answer.text().contains("awaits the secretariat's sign-off"),
        "{}",
        answer.text()
    );
    let action = bot
        .db
        .store
        .action(bot.board.id, &act001())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (action.status, action.awaiting_sign_off),
        (ActionStatus::Done, true)
    );
    bot.fake.wait_for_edits(2).await;
    let line = reminder(&bot, message)["embeds"][0]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        line.contains("✎ now done — awaiting sign-off, updated by") && !line.contains("was 1 Sep"),
        "the latest note replaces the earlier one: {line}"
    );
    // Done now: a click on it says so.
    let closed = pick(&bot, ADMIN, message, "ACT-001").await;
    assert!(
        closed.text().starts_with(
            "ACT-001 has changed since this reminder: it is now done — awaiting sign-off."
        ),
        "{}",
        closed.text()
    );
    bot.stop().await;
}

/// The secretariat's own Done needs no sign-off (they are the ones who give it).
async fn the_secretariats_done_from_a_reminder_is_signed_off(db: TestDb) {
    let bot = start(db).await;
    let message = post_reminder(&bot).await;
    let panel = pick(&bot, ADMIN, message, "ACT-001").await;
    let form = bot.press(ADMIN, &panel, "Done").await;
    let answer = submit(
        &bot,
        ADMIN,
        &form,
        &["Checked the audit report", "https://example.org/audit"],
    )
    .await;
    assert_eq!(
        answer.text().lines().next().unwrap(),
        "Updated ACT-001: on track → done."
    );
    let action = bot
        .db
        .store
        .action(bot.board.id, &act001())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (action.status, action.awaiting_sign_off),
        (ActionStatus::Done, false)
    );
    bot.stop().await;
}

/// The controls keep working after the bot restarts (a redeploy): everything the click needs
/// is in the custom ids and the delivery log, nothing in the old process's memory.
async fn a_click_after_a_restart_opens_the_form_and_the_update_edits_the_reminder(db: TestDb) {
    let bot = start(db).await;
    let message = post_reminder(&bot).await;
    let panel = pick(&bot, OFFICER, message, "ACT-001").await;
    let bot = bot.restart().await;
    // A button on a panel opened before the restart, and a fresh pick after it.
    let form = bot.press(OFFICER, &panel, "Update").await;
    assert_eq!(form.kind, 9, "{:?}", form.data);
    let answer = submit(&bot, OFFICER, &form, &["off track", "Staff shortage", ""]).await;
    assert_eq!(
        answer.text().lines().next().unwrap(),
        "Updated ACT-001: on track → off track."
    );
    bot.fake.wait_for_edits(1).await;
    let fresh = pick(&bot, OFFICER, message, "ACT-001").await;
    assert_eq!(labels(&fresh), ["Update", "Done", "New date"]);
    bot.stop().await;
}

/// An action that changed since the reminder — reassigned, given another date, closed — gets
/// a private note saying what it is now, not a form built on what no longer holds; and a form
/// opened before the change is refused when submitted.
async fn a_click_on_an_action_changed_since_the_reminder_says_what_changed(db: TestDb) {
    let day = |m, d| NaiveDate::from_ymd_opt(2010, m, d).unwrap();
    let secretary = Author {
        by: "discord:secretary",
        at: Utc.with_ymd_and_hms(2010, 9, 20, 9, 0, 0).unwrap(),
    };
    let bot = start(db).await;
    let message = post_reminder(&bot).await;
    let store = &bot.db.store;
    // One action of the reminder per change; who picks it afterwards; what they are told.
    for (reference, change, who, expected) in [
        (
            "ACT-001",
            "reassigned",
            ADMIN,
            format!("ACT-001 has changed since this reminder (it is now assigned to <@{OTHER_OFFICER}>, due 1 Sep 2010)"),
        ),
        (
            "ACT-004",
            "moved",
            OFFICER,
            format!("ACT-004 has changed since this reminder (it is now assigned to <@{OFFICER}>, due 1 Nov 2010)"),
        ),
        (
            "ACT-005",
            "closed",
            OFFICER,
            "ACT-005 has changed since this reminder: it is now done — awaiting sign-off.".to_string(),
        ),
    ] {
        let r = Ref::parse(reference).unwrap();
        let panel = pick(&bot, OFFICER, message, reference).await;
        let form = bot.press(OFFICER, &panel, "Update").await;
        match change {
            "reassigned" => {
                assign_officer(store, &bot.board, &r, Some(OfficerId::new(OTHER_OFFICER)), &secretary)
                    .await
                    .unwrap();
            }
            "moved" => {
                let reason = Text::multiline("Agreed at the meeting", 1000).unwrap();
                change_due_date(store, &bot.board, &r, day(11, 1), &reason, &secretary)
                    .await
                    .unwrap();
            }
            _ => {
                let note = Text::multiline("Report filed", 1000).unwrap();
                let officer = Author { by: "discord:officer", at: secretary.at };
                update_action_status(store, &bot.board, &r, ActionStatus::Done, Some(&note), None, &officer)
                    .await
                    .unwrap();
            }
        }
        let before = store.history_of(bot.board.id, SubjectKind::Action, &r).await.unwrap().len();
        let reply = pick(&bot, who, message, reference).await;
        assert!(ephemeral(&reply), "{change}");
        assert!(reply.text().starts_with(&expected), "{change}: {}", reply.text());
        assert!(labels(&reply).is_empty(), "{change}: no stale form");
        // The form opened before the change is refused on submission, and changes nothing.
        let late = submit(&bot, OFFICER, &form, &["at risk", "late", ""]).await;
        assert!(
            late.text().starts_with(&format!("{reference} has changed since this reminder")),
            "{change}: {}",
            late.text()
        );
        let after = store.history_of(bot.board.id, SubjectKind::Action, &r).await.unwrap().len();
        assert_eq!(before, after, "{change}");
    }
    assert!(bot.fake.edits().is_empty());
    bot.stop().await;
}

/// The slip rule: an action whose due date has moved more than the board's
/// `flag_after_moves` times (default 2) is flagged in the reminder and the digest as "moved N
/// times (first due …)"; moved only that often, it is not.
async fn an_action_moved_more_than_the_board_allows_is_flagged_with_its_first_date(db: TestDb) {
    use briefing_bot::digest::render::discord::{digest_messages, reminder_messages};
    use briefing_bot::digest::{load_digest, load_reminder};
    let board = link_board(&db).await;
    assert_eq!(board.settings.flag_after_moves, 2, "the default");
    let store = &db.store;
    let day = |m, d| NaiveDate::from_ymd_opt(2010, m, d).unwrap();
    let reason = Text::multiline("Data late", 1000).unwrap();
    let text_of = |messages: &[briefing_bot::digest::render::discord::Message]| {
        messages
            .iter()
            .flat_map(|m| m.embeds.iter().map(|e| e.description.clone()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let flag = "moved 3 times (first due 1 Sep 2010)";
    for (n, to) in [(1, day(9, 5)), (2, day(9, 8)), (3, day(9, 10))] {
        let author = Author {
            by: "discord:officer",
            at: Utc.with_ymd_and_hms(2010, 9, n, 9, 0, 0).unwrap(),
        };
        change_due_date(store, &board, &act001(), to, &reason, &author)
            .await
            .unwrap();
        let reminder = load_reminder(store, &board, day(9, 20))
            .await
            .unwrap()
            .unwrap();
        let shown = text_of(&reminder_messages(&reminder, None));
        let digest = load_digest(store, &board, day(10, 1)).await.unwrap();
        let in_digest = text_of(&digest_messages(&digest, None));
        if n <= 2 {
            assert!(
                !shown.contains("moved "),
                "moved {n} times: not flagged\n{shown}"
            );
            assert!(!in_digest.contains("moved "), "{in_digest}");
        } else {
            assert!(
                shown.contains(&format!(
                    "`ACT-001` Audit diversity recording — **10 days overdue** · {flag}"
                )),
                "{shown}"
            );
            assert!(in_digest.contains(flag), "{in_digest}");
            assert_eq!(
                reminder.overdue[0].moved.map(|m| (m.times, m.first_due)),
                Some((3, day(9, 1)))
            );
        }
    }
}

/// The digest posted to its channel carries **Preview my actions**: whoever clicks it sees
/// their own open actions, privately — the /mine view.
async fn the_digest_post_shows_each_officer_their_own_actions_privately(db: TestDb) {
    let bot = start(db).await;
    let posted = bot.run(ADMIN, "digest post", json!([])).await;
    assert!(
        posted.text().contains("Posted the digest"),
        "{}",
        posted.text()
    );
    let first = bot.fake.channel_message_ids(DIGEST_CHANNEL)[0];
    let digest = bot.fake.message(DIGEST_CHANNEL, first).unwrap();
    let button = &digest["components"][0]["components"][0];
    assert_eq!(button["label"], "Preview my actions");
    for (who, sees) in [
        (OFFICER, "ACT-001"),
        (MEMBER, "You have no open actions assigned to you."),
    ] {
        let data = json!({"custom_id": button["custom_id"], "component_type": 2});
        let (_, token, mut payload) =
            bot.fake
                .interaction_json(GUILD, DIGEST_CHANNEL, who, 3, data);
        payload["message"] = digest.clone();
        let reply = bot.fake.send_interaction(payload, &token).await;
        assert!(ephemeral(&reply), "{who}");
        assert!(reply.text().contains(sees), "{who}: {}", reply.text());
    }
    assert_eq!(
        bot.fake.channel_message_ids(DIGEST_CHANNEL).len(),
        bot.fake.channel_messages(DIGEST_CHANNEL).len(),
        "clicks post nothing"
    );
    bot.stop().await;
}

/// A component click in the officer's DM channel with the bot, on `message` there.
pub(crate) async fn click_in_dm(
    bot: &TestBot,
    channel: u64,
    message: &Value,
    data: Value,
) -> Reply {
    let (token, mut payload) = bot.fake.dm_interaction_json(channel, OFFICER, 3, data);
    payload["message"] = message.clone();
    bot.fake.send_interaction(payload, &token).await
}

/// `/notify dm on`: the officer's own reminder comes by DM with the same controls, they are
/// not pinged in the channel (their lines still show there), the DM is sent exactly once, and
/// acting on it from the DM edits the DM in place. Only officers may opt in.
async fn an_officer_who_opts_in_gets_their_reminder_by_dm_with_the_same_controls(db: TestDb) {
    let bot = start(db).await;
    let shown = bot.run(OFFICER, "notify show", json!([])).await;
    assert!(
        shown.text().contains("come in the reminder channel"),
        "{}",
        shown.text()
    );
    let member = bot
        .run(
            MEMBER,
            "notify dm",
            json!([{"name": "setting", "type": 4, "value": 0}]),
        )
        .await;
    assert!(member.text().contains("for officers"), "{}", member.text());
    let on = bot
        .run(
            OFFICER,
            "notify dm",
            json!([{"name": "setting", "type": 4, "value": 0}]),
        )
        .await;
    assert!(on.ephemeral());
    assert!(on.text().contains("by direct message"), "{}", on.text());
    let shown = bot.run(OFFICER, "notify show", json!([])).await;
    assert!(
        shown
            .text()
            .starts_with("Your reminders come by direct message"),
        "{}",
        shown.text()
    );

    let message = post_reminder(&bot).await;
    let channel_post = &bot.fake.channel_messages(REMINDER_CHANNEL)[0];
    assert_eq!(
        channel_post["allowed_mentions"]["users"],
        json!([]),
        "the officer is not pinged in the channel"
    );
    assert!(!channel_post["content"]
        .as_str()
        .unwrap()
        .contains(&format!("<@{OFFICER}>")));
    assert!(
        reminder(&bot, message)["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("`ACT-001`"),
        "their lines still show there"
    );
    let dm = bot
        .fake
        .dm_channel_of(OFFICER)
        .expect("a DM channel was opened");
    let dms = bot.fake.channel_message_ids(dm);
    assert_eq!(dms.len(), 1, "one DM");
    let in_dm = bot.fake.message(dm, dms[0]).unwrap();
    let options = in_dm["components"][0]["components"][0]["options"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(options, 3, "the same controls, for their actions");
    let log = bot
        .db
        .store
        .deliveries(Some(bot.board.id), 10)
        .await
        .unwrap();
    let entry = log
        .iter()
        .find(|d| d.destination == format!("dm:{OFFICER}"))
        .expect("the DM is in the delivery log");
    assert_eq!(
        (entry.state.as_str(), entry.messages_confirmed),
        ("sent", 1)
    );
    // The same occasion again sends nothing more: exactly once.
    run_scheduler(&bot, reminder_time()).await;
    assert_eq!(bot.fake.channel_message_ids(dm).len(), 1);

    // Acting from the DM: the panel, the form, and the DM edited in place.
    let menu = &in_dm["components"][0]["components"][0];
    let value = menu["options"][0]["value"].clone();
    let panel = click_in_dm(
        &bot,
        dm,
        &in_dm,
        json!({"custom_id": menu["custom_id"], "component_type": 3, "values": [value]}),
    )
    .await;
    assert_eq!(
        labels(&panel),
        ["Update", "Done", "New date"],
        "{}",
        panel.text()
    );
    let update = &panel.data["components"][0]["components"][0];
    let form = click_in_dm(
        &bot,
        dm,
        &in_dm,
        json!({"custom_id": update["custom_id"], "component_type": 2}),
    )
    .await;
    assert_eq!(form.kind, 9);
    let inputs = json!([
        {"type": 1, "components": [{"type": 4, "custom_id": "status", "value": "at risk"}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "note", "value": "From my DM"}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "evidence", "value": ""}]}
    ]);
    let (token, payload) = bot.fake.dm_interaction_json(
        dm,
        OFFICER,
        5,
        json!({"custom_id": form.data["custom_id"], "components": inputs}),
    );
    let answer = bot.fake.send_interaction(payload, &token).await;
    assert_eq!(
        answer.text().lines().next().unwrap(),
        "Updated ACT-001: on track → at risk."
    );
    let edits = bot.fake.wait_for_edits(1).await;
    assert_eq!(
        (edits[0].0, edits[0].1),
        (dm, dms[0]),
        "the DM is edited, not the channel post"
    );
    bot.stop().await;
}

/// Discord refuses the DM (code 50007): the officer's reminder goes to the channel, pinging
/// them; the delivery log says so; they are told why once, and the next week's fallback does
/// not repeat it.
async fn a_refused_dm_falls_back_to_the_channel_and_the_officer_is_told_once(db: TestDb) {
    let bot = start(db).await;
    bot.fake.refuse_dms(OFFICER);
    bot.run(
        OFFICER,
        "notify dm",
        json!([{"name": "setting", "type": 4, "value": 0}]),
    )
    .await;
    let ids = run_scheduler(&bot, reminder_time()).await;
    assert_eq!(
        ids.len(),
        2,
        "the channel's post and the officer's fallback"
    );
    let posted = bot.fake.channel_messages(REMINDER_CHANNEL);
    let fallback = posted
        .iter()
        .find(|m| {
            m["content"]
                .as_str()
                .unwrap()
                .starts_with(&format!("<@{OFFICER}>: Discord would not deliver"))
        })
        .expect("the fallback says why");
    assert_eq!(
        fallback["allowed_mentions"]["users"],
        json!([OFFICER.to_string()])
    );
    let dm = bot.fake.dm_channel_of(OFFICER).unwrap();
    assert!(bot.fake.channel_messages(dm).is_empty());
    let log = bot
        .db
        .store
        .deliveries(Some(bot.board.id), 10)
        .await
        .unwrap();
    let entry = log
        .iter()
        .find(|d| d.destination == format!("dm:{OFFICER}"))
        .unwrap();
    assert_eq!(entry.state, "sent");
    let attempts = bot.db.store.attempts_of(entry.post_id).await.unwrap();
    let noted = attempts
        .iter()
        .find(|a| a.1 == "fallback")
        .expect("the log says it fell back");
    assert_eq!(noted.2, Some(403));
    assert!(
        noted.3.as_deref().unwrap().contains("code 50007"),
        "{:?}",
        noted.3
    );
    let shown = bot.run(OFFICER, "notify show", json!([])).await;
    assert!(
        shown.text().contains("Discord refused a DM to you on"),
        "{}",
        shown.text()
    );

    // The next Monday: a fallback again, without the explanation.
    let next = Utc.with_ymd_and_hms(2010, 9, 27, 8, 0, 0).unwrap();
    let ids = run_scheduler(&bot, next).await;
    assert_eq!(ids.len(), 4);
    let posted = bot.fake.channel_messages(REMINDER_CHANNEL);
    let explained = posted
        .iter()
        .filter(|m| {
            m["content"]
                .as_str()
                .unwrap()
                .contains("Discord would not deliver")
        })
        .count();
    assert_eq!(explained, 1, "told once");
    assert!(
        posted[3]["content"].as_str().unwrap().starts_with(&format!(
            "<@{OFFICER}>: your reminder, here because Discord refused the DM."
        )),
        "{}",
        posted[3]["content"]
    );
    bot.stop().await;
}

/// A DM that fails for another reason than the officer's privacy settings (here Discord says
/// the bot lacks a permission, code 50013) is not moved to the channel: it is a failure of that
/// DM, recorded as such, and the channel gets only its own post.
async fn a_dm_that_fails_otherwise_is_not_sent_to_the_channel(db: TestDb) {
    let bot = start(db).await;
    bot.run(
        OFFICER,
        "notify dm",
        json!([{"name": "setting", "type": 4, "value": 0}]),
    )
    .await;
    assert_eq!(run_scheduler(&bot, reminder_time()).await.len(), 1);
    let dm = bot.fake.dm_channel_of(OFFICER).unwrap();
    bot.fake.queue(
        &format!("POST /api/v10/channels/{dm}/messages"),
        403,
        json!({"code": 50013, "message": "Missing Permissions"}),
    );
    let next = Utc.with_ymd_and_hms(2010, 9, 27, 8, 0, 0).unwrap();
    let ids = run_scheduler(&bot, next).await;
    assert_eq!(ids.len(), 2, "the two channel posts and no fallback");
    assert_eq!(bot.fake.channel_message_ids(dm).len(), 1);
    let log = bot
        .db
        .store
        .deliveries(Some(bot.board.id), 10)
        .await
        .unwrap();
    let failed = log
        .iter()
        .find(|d| d.destination == format!("dm:{OFFICER}") && d.occasion == "day:2010-09-27")
        .unwrap();
    assert_eq!(failed.state, "failed");
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap()
            .contains("(code 50013): Missing Permissions"),
        "{:?}",
        failed.last_error
    );
    bot.stop().await;
}

/// A redaction reaches the reminder the officer got by direct message, and the channel post.
async fn a_redaction_edits_the_reminder_in_the_officers_dm_and_in_the_channel(db: TestDb) {
    let bot = start(db).await;
    bot.run(
        OFFICER,
        "notify dm",
        json!([{"name": "setting", "type": 4, "value": 0}]),
    )
    .await;
    let message = post_reminder(&bot).await;
    let dm = bot.fake.dm_channel_of(OFFICER).expect("a DM channel");
    let in_dm = bot.fake.channel_message_ids(dm)[0];
    let shows = |channel: u64, id: u64| bot.fake.message(channel, id).unwrap().to_string();
    assert!(
        shows(dm, in_dm).contains("Follow-up ACT-004"),
        "{}",
        shows(dm, in_dm)
    );
    assert!(shows(REMINDER_CHANNEL, message).contains("Follow-up ACT-004"));
    let (modal, token) = bot
        .run_with_token(
            ADMIN,
            "redact",
            json!([{"name": "reference", "type": 3, "value": "ACT-004"}]),
        )
        .await;
    let reply = bot
        .submit_modal(ADMIN, &modal, &token, &["Follow-up ACT-004", "a test"])
        .await;
    assert!(reply.text().contains("2 edited"), "{}", reply.text());
    for (channel, id) in [(dm, in_dm), (REMINDER_CHANNEL, message)] {
        let now = shows(channel, id);
        assert!(!now.contains("Follow-up ACT-004"), "{now}");
        assert!(now.contains("[redacted]"), "{now}");
    }
    // The menus were sent back as Discord takes them.
    assert!(
        bot.fake.violations().is_empty(),
        "{:?}",
        bot.fake.violations()
    );
}

on_both_backends!(
    a_dm_that_fails_otherwise_is_not_sent_to_the_channel,
    a_redaction_edits_the_reminder_in_the_officers_dm_and_in_the_channel,
    only_the_assigned_officer_or_the_secretariat_may_act_from_a_reminder,
    an_update_from_the_reminder_is_recorded_and_its_line_edited_in_place,
    done_goes_to_sign_off_and_a_new_date_is_a_slip_with_its_reason,
    the_secretariats_done_from_a_reminder_is_signed_off,
    a_click_after_a_restart_opens_the_form_and_the_update_edits_the_reminder,
    a_click_on_an_action_changed_since_the_reminder_says_what_changed,
    an_action_moved_more_than_the_board_allows_is_flagged_with_its_first_date,
    the_digest_post_shows_each_officer_their_own_actions_privately,
    an_officer_who_opts_in_gets_their_reminder_by_dm_with_the_same_controls,
    a_refused_dm_falls_back_to_the_channel_and_the_officer_is_told_once,
);
