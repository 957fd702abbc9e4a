//! Nudges that stop: some days after a reminder (the board's `nudge_after_days`, off by
//! default), a follow-up goes only to the officers who have not updated the actions it listed
//! for them, by DM for those who chose DMs, listing only what is still outstanding, with the
//! same controls. Run by the real scheduler and poster against the fake Discord, which checks
//! every message against Discord's schemas.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use briefing_bot::domain::{Action, ActionStatus, OfficerId, Ref, Text};
use briefing_bot::services::actions::{add_action, update_action_status, Author};
use briefing_bot::services::settings::change_board;

use crate::on_both_backends;
use crate::reminder_controls::{
    click_in_dm, ephemeral, pick, reminder_time, run_scheduler, start, submit,
};
use crate::support::bot::{TestBot, ADMIN, OFFICER, OTHER_OFFICER, REMINDER_CHANNEL};
use crate::support::db::TestDb;

/// 09:00 in London (08:00 UTC) on a day of September 2010.
fn september(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2010, 9, day, 8, 0, 0).unwrap()
}

/// `/setup reminders nudge_after_days:…` as the secretariat; its reply.
async fn nudge_after(bot: &TestBot, days: i64) -> String {
    let reply = bot
        .run(
            ADMIN,
            "setup reminders",
            json!([{"name": "nudge_after_days", "type": 4, "value": days}]),
        )
        .await;
    assert!(reply.ephemeral());
    reply.text()
}

/// An update by `who` (a Discord user) at `at`, as `/update` records it.
async fn answer(bot: &TestBot, who: u64, reference: &str, at: chrono::DateTime<Utc>) {
    let note = Text::multiline("Progress report filed", 1000).unwrap();
    let by = format!("discord:{who}");
    update_action_status(
        &bot.db.store,
        &bot.board,
        &Ref::parse(reference).unwrap(),
        ActionStatus::AtRisk,
        Some(&note),
        None,
        &Author { by: &by, at },
    )
    .await
    .unwrap();
}

/// The refs a posted reminder or nudge lists, in order.
fn listed(message: &Value) -> Vec<String> {
    message["embeds"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["description"].as_str().unwrap_or("").lines())
        .filter_map(|line| line.strip_prefix('`')?.split('`').next())
        .map(str::to_string)
        .collect()
}

/// What the delivery log holds for the board's nudges: (destination, state), by destination.
async fn nudges_logged(bot: &TestBot) -> Vec<(String, String)> {
    let mut logged: Vec<(String, String)> = bot
        .db
        .store
        .deliveries(Some(bot.board.id), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.job == "nudge")
        .map(|d| {
            assert_eq!(d.occasion, "after:day:2010-09-20", "follows that reminder");
            (d.destination, d.state)
        })
        .collect();
    logged.sort();
    logged
}

/// The reminder lists ACT-001, ACT-004 and ACT-005 for [`OFFICER`] and ACT-006 for
/// [`OTHER_OFFICER`]. The officer answers ACT-001 from the reminder and the other officer
/// answers ACT-006: three days later only the officer is nudged, about ACT-004 and ACT-005,
/// once, in the channel, with a menu of those two that works like the reminder's.
async fn a_nudge_goes_only_to_the_silent_and_lists_what_is_still_outstanding(db: TestDb) {
    let bot = start(db).await;
    let other = Action {
        reference: Ref::parse("ACT-006").unwrap(),
        recommendation: None,
        title: "Havens referral audit".into(),
        owner: "Greenwich Community Safety".into(),
        borough: Some("Greenwich".into()),
        officer: Some(OfficerId::new(OTHER_OFFICER)),
        due: NaiveDate::from_ymd_opt(2010, 9, 5).unwrap(),
        status: ActionStatus::OnTrack,
        completed_on: None,
        awaiting_sign_off: false,
    };
    let secretary = Author {
        by: "discord:secretary",
        at: Utc.with_ymd_and_hms(2010, 9, 1, 9, 0, 0).unwrap(),
    };
    add_action(&bot.db.store, &bot.board, &other, &secretary)
        .await
        .unwrap();
    let saved = nudge_after(&bot, 3).await;
    assert!(
        saved.contains("nudges: 3 days after a reminder, to officers who have not updated"),
        "{saved}"
    );
    // Only the secretariat sets it.
    let refused = bot
        .run(
            OFFICER,
            "setup reminders",
            json!([{"name": "nudge_after_days", "type": 4, "value": 0}]),
        )
        .await;
    assert!(!refused.text().contains("saved"), "{}", refused.text());

    let ids = run_scheduler(&bot, reminder_time()).await;
    assert_eq!(ids.len(), 1);
    let posted = bot.fake.message(REMINDER_CHANNEL, ids[0]).unwrap();
    assert_eq!(
        listed(&posted),
        ["ACT-001", "ACT-004", "ACT-005", "ACT-006"]
    );

    // The next day: the officer answers ACT-001 from the reminder, the other officer ACT-006.
    bot.clock.set(september(21));
    let panel = pick(&bot, OFFICER, ids[0], "ACT-001").await;
    let form = bot.press(OFFICER, &panel, "Update").await;
    let done = submit(&bot, OFFICER, &form, &["at risk", "Audit data late", ""]).await;
    assert!(ephemeral(&done) && done.text().starts_with("Updated ACT-001"));
    answer(&bot, OTHER_OFFICER, "ACT-006", september(21)).await;

    assert_eq!(
        run_scheduler(&bot, september(22)).await.len(),
        1,
        "not due yet"
    );
    let ids = run_scheduler(&bot, september(23)).await;
    assert_eq!(ids.len(), 2, "one nudge");
    let nudge = bot.fake.message(REMINDER_CHANNEL, ids[1]).unwrap();
    let content = nudge["content"].as_str().unwrap();
    assert!(
        content.starts_with(
            "**Still outstanding — follow-up to the reminder of 20 Sep 2010**: 2 actions with \
             no update since."
        ),
        "{content}"
    );
    assert_eq!(listed(&nudge), ["ACT-004", "ACT-005"]);
    let sent = &bot.fake.channel_messages(REMINDER_CHANNEL)[1];
    assert_eq!(
        sent["allowed_mentions"]["users"],
        json!([OFFICER.to_string()]),
        "pings the silent officer only"
    );
    assert_eq!(sent["allowed_mentions"]["parse"], json!([]));
    assert!(sent["allowed_mentions"]["roles"]
        .as_array()
        .is_none_or(|r| r.is_empty()));
    assert!(content.contains(&format!("<@{OFFICER}>")));
    assert!(!content.contains(&format!("<@{OTHER_OFFICER}>")));
    let options = nudge["components"][0]["components"][0]["options"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(options, 2, "a menu of what is left");
    assert_eq!(
        nudges_logged(&bot).await,
        [(format!("discord:{REMINDER_CHANNEL}"), "sent".to_string())]
    );

    // Exactly once: the same day again, and later that day, post nothing more.
    assert_eq!(run_scheduler(&bot, september(23)).await.len(), 2);
    let evening = Utc.with_ymd_and_hms(2010, 9, 23, 18, 0, 0).unwrap();
    assert_eq!(run_scheduler(&bot, evening).await.len(), 2);

    // Its menu works as the reminder's does.
    let panel = pick(&bot, OFFICER, ids[1], "ACT-004").await;
    assert!(ephemeral(&panel));
    let form = bot.press(OFFICER, &panel, "Update").await;
    assert_eq!(form.data["title"], "Update ACT-004");
    bot.stop().await;
}

/// Off by default: nothing follows a reminder. Turned on, a nudge whose officers have all
/// answered sends nothing, and the delivery log says there was nothing to post.
async fn nudges_are_off_by_default_and_stop_once_everyone_has_answered(db: TestDb) {
    let bot = start(db).await;
    assert_eq!(bot.board.settings.nudge_after_days, None);
    assert_eq!(run_scheduler(&bot, reminder_time()).await.len(), 1);
    assert_eq!(run_scheduler(&bot, september(23)).await.len(), 1);
    assert_eq!(nudges_logged(&bot).await, []);

    for reference in ["ACT-001", "ACT-004", "ACT-005"] {
        answer(&bot, OFFICER, reference, september(22)).await;
    }
    nudge_after(&bot, 3).await;
    let later = Utc.with_ymd_and_hms(2010, 9, 23, 9, 0, 0).unwrap();
    assert_eq!(
        run_scheduler(&bot, later).await.len(),
        1,
        "everyone answered"
    );
    assert_eq!(
        nudges_logged(&bot).await,
        [(
            format!("discord:{REMINDER_CHANNEL}"),
            "nothing_to_post".to_string()
        )]
    );
    bot.stop().await;
}

/// An officer who chose DMs is nudged by DM (with the same controls) and the channel hears
/// nothing; an officer who chose DMs but had nothing in the reminder gets no DM at all, and
/// the log says there was nothing for them rather than a DM "sent" empty.
async fn an_officer_who_chose_dms_is_nudged_by_dm_and_the_channel_hears_nothing(db: TestDb) {
    let bot = start(db).await;
    for officer in [OFFICER, OTHER_OFFICER] {
        bot.run(
            officer,
            "notify dm",
            json!([{"name": "setting", "type": 4, "value": 0}]),
        )
        .await;
    }
    nudge_after(&bot, 2).await;
    assert_eq!(run_scheduler(&bot, reminder_time()).await.len(), 1);
    let dm = bot.fake.dm_channel_of(OFFICER).expect("the officer's DM");
    assert_eq!(bot.fake.channel_message_ids(dm).len(), 1);
    assert_eq!(
        bot.fake.dm_channel_of(OTHER_OFFICER),
        None,
        "nothing of theirs: no DM"
    );
    let logged = bot
        .db
        .store
        .deliveries(Some(bot.board.id), 50)
        .await
        .unwrap();
    let theirs = logged
        .iter()
        .find(|d| d.job == "reminder" && d.destination == format!("dm:{OTHER_OFFICER}"))
        .unwrap();
    assert_eq!(theirs.state, "nothing_to_post");

    answer(&bot, OFFICER, "ACT-005", september(21)).await;
    assert_eq!(
        run_scheduler(&bot, september(22)).await.len(),
        1,
        "the channel hears nothing"
    );
    let dms = bot.fake.channel_message_ids(dm);
    assert_eq!(dms.len(), 2, "the nudge came by DM");
    let nudge = bot.fake.message(dm, dms[1]).unwrap();
    assert!(nudge["content"]
        .as_str()
        .unwrap()
        .starts_with("**Still outstanding — follow-up to the reminder of 20 Sep 2010**"));
    assert_eq!(listed(&nudge), ["ACT-001", "ACT-004"]);
    let menu = &nudge["components"][0]["components"][0];
    let value = menu["options"][0]["value"].clone();
    let panel = click_in_dm(
        &bot,
        dm,
        &nudge,
        json!({"custom_id": menu["custom_id"], "component_type": 3, "values": [value]}),
    )
    .await;
    assert!(ephemeral(&panel), "{}", panel.text());
    assert!(panel.text().contains("ACT-001"), "{}", panel.text());
    assert_eq!(
        nudges_logged(&bot).await,
        [
            (
                format!("discord:{REMINDER_CHANNEL}"),
                "nothing_to_post".to_string()
            ),
            (format!("dm:{OFFICER}"), "sent".to_string()),
            (format!("dm:{OTHER_OFFICER}"), "nothing_to_post".to_string()),
        ]
    );
    bot.stop().await;
}

/// Add an action assigned to [`OTHER_OFFICER`], due on a day of September 2010.
async fn other_officers_action(bot: &TestBot, reference: &str, due: u32) {
    let action = Action {
        reference: Ref::parse(reference).unwrap(),
        recommendation: None,
        title: format!("Greenwich follow-up {reference}"),
        owner: "Greenwich Community Safety".into(),
        borough: Some("Greenwich".into()),
        officer: Some(OfficerId::new(OTHER_OFFICER)),
        due: NaiveDate::from_ymd_opt(2010, 9, due).unwrap(),
        status: ActionStatus::OnTrack,
        completed_on: None,
        awaiting_sign_off: false,
    };
    let secretary = Author {
        by: "discord:secretary",
        at: Utc.with_ymd_and_hms(2010, 9, 1, 9, 0, 0).unwrap(),
    };
    add_action(&bot.db.store, &bot.board, &action, &secretary)
        .await
        .unwrap();
}

/// Each officer is nudged their own way, with only their own lines: the officer who chose DMs
/// by DM (their three actions, and none of the secretariat's business), the other officer in
/// the channel (their overdue and due-soon actions, pinging only them).
async fn each_officer_is_nudged_their_own_way_with_only_their_own_actions(db: TestDb) {
    let bot = start(db).await;
    other_officers_action(&bot, "ACT-006", 5).await;
    other_officers_action(&bot, "ACT-007", 6).await;
    other_officers_action(&bot, "ACT-008", 25).await;
    // ACT-007 is done and waits for the secretariat's sign-off: the reminder says so.
    let done = Text::multiline("Audit report filed", 1000).unwrap();
    let by = format!("discord:{OTHER_OFFICER}");
    update_action_status(
        &bot.db.store,
        &bot.board,
        &Ref::parse("ACT-007").unwrap(),
        ActionStatus::Done,
        Some(&done),
        None,
        &Author {
            by: &by,
            at: september(15),
        },
    )
    .await
    .unwrap();
    bot.run(
        OFFICER,
        "notify dm",
        json!([{"name": "setting", "type": 4, "value": 0}]),
    )
    .await;
    nudge_after(&bot, 3).await;

    let ids = run_scheduler(&bot, reminder_time()).await;
    assert_eq!(ids.len(), 1);
    let channel = bot.fake.message(REMINDER_CHANNEL, ids[0]).unwrap();
    assert!(
        channel["content"].as_str().unwrap().contains("ACT-007"),
        "the channel's reminder has the secretariat's line: {}",
        channel["content"]
    );
    let dm = bot.fake.dm_channel_of(OFFICER).unwrap();
    let theirs = bot
        .fake
        .message(dm, bot.fake.channel_message_ids(dm)[0])
        .unwrap();
    assert_eq!(
        theirs["content"].as_str().unwrap(),
        format!(
            "**Reminder — 20 Sep 2010**: 3 overdue, 0 due in the next 14 days.\n\
             Officers: <@{OFFICER}>"
        ),
        "their own counts, and not the secretariat's line"
    );

    let ids = run_scheduler(&bot, september(23)).await;
    assert_eq!(ids.len(), 2);
    let nudge = bot.fake.message(REMINDER_CHANNEL, ids[1]).unwrap();
    assert_eq!(listed(&nudge), ["ACT-006", "ACT-008"]);
    let content = nudge["content"].as_str().unwrap();
    assert!(
        content.contains("**: 2 actions with no update since."),
        "{content}"
    );
    let sent = &bot.fake.channel_messages(REMINDER_CHANNEL)[1];
    assert_eq!(
        sent["allowed_mentions"]["users"],
        json!([OTHER_OFFICER.to_string()])
    );
    let dms = bot.fake.channel_message_ids(dm);
    assert_eq!(dms.len(), 2);
    let by_dm = bot.fake.message(dm, dms[1]).unwrap();
    assert_eq!(listed(&by_dm), ["ACT-001", "ACT-004", "ACT-005"]);
    assert!(by_dm["content"]
        .as_str()
        .unwrap()
        .contains("**: 3 actions with no update since."));
    bot.stop().await;
}

/// A nudge keeps the reminder's board-local time across the clocks going back: the reminder of
/// Monday 25 October 2010 at 09:00 BST is nudged six days later at 09:00 GMT, six days and an
/// hour on, even on a board that catches nothing up (`catch_up_days = 0`).
async fn a_nudge_across_the_clocks_going_back_keeps_its_local_time(db: TestDb) {
    let bot = start(db).await;
    let secretary = Author {
        by: "discord:secretary",
        at: september(1),
    };
    change_board(&bot.db.store, bot.board.id, &secretary, |b| {
        b.settings.catch_up_days = 0;
        b.settings.nudge_after_days = Some(6);
        Ok(())
    })
    .await
    .unwrap();
    let monday = Utc.with_ymd_and_hms(2010, 10, 25, 8, 0, 0).unwrap();
    assert_eq!(run_scheduler(&bot, monday).await.len(), 1);
    let sunday_gmt = Utc.with_ymd_and_hms(2010, 10, 31, 9, 0, 0).unwrap();
    assert_eq!(
        run_scheduler(&bot, sunday_gmt - chrono::Duration::hours(1))
            .await
            .len(),
        1,
        "not at 09:00 BST's instant"
    );
    let ids = run_scheduler(&bot, sunday_gmt).await;
    assert_eq!(ids.len(), 2, "the nudge at 09:00 GMT");
    let logged = bot
        .db
        .store
        .deliveries(Some(bot.board.id), 10)
        .await
        .unwrap();
    let nudge = logged.iter().find(|d| d.job == "nudge").unwrap();
    assert_eq!(
        (nudge.occasion.as_str(), nudge.due_at),
        ("after:day:2010-10-25", sunday_gmt)
    );
    bot.stop().await;
}

/// A nudge due when (or after) the next reminder has gone out is not sent: the reminder
/// already lists again what is outstanding. `/setup` warns when that would always happen.
async fn a_nudge_overtaken_by_the_next_reminder_is_not_sent(db: TestDb) {
    let bot = start(db).await;
    let saved = nudge_after(&bot, 7).await;
    assert!(saved.contains("no nudge would ever be sent"), "{saved}");
    let fine = nudge_after(&bot, 3).await;
    assert!(!fine.contains("no nudge would ever be sent"), "{fine}");
    nudge_after(&bot, 7).await;
    assert_eq!(run_scheduler(&bot, reminder_time()).await.len(), 1);
    let ids = run_scheduler(&bot, september(27)).await;
    assert_eq!(ids.len(), 2, "the next reminder, and no nudge");
    let next = bot.fake.message(REMINDER_CHANNEL, ids[1]).unwrap();
    assert!(next["content"]
        .as_str()
        .unwrap()
        .starts_with("**Reminder — 27 Sep"));
    assert_eq!(nudges_logged(&bot).await, []);
    bot.stop().await;
}

on_both_backends!(
    a_nudge_goes_only_to_the_silent_and_lists_what_is_still_outstanding,
    nudges_are_off_by_default_and_stop_once_everyone_has_answered,
    an_officer_who_chose_dms_is_nudged_by_dm_and_the_channel_hears_nothing,
    a_nudge_overtaken_by_the_next_reminder_is_not_sent,
    each_officer_is_nudged_their_own_way_with_only_their_own_actions,
    a_nudge_across_the_clocks_going_back_keeps_its_local_time,
);
