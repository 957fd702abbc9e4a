//! Reminder controls through the fake Discord: the real bot serving a board of 10,000 actions
//! on SQLite, its reminder posted by the real poster, answers picks from the reminder's menu
//! (a private panel), presses of Update (a form) and submitted forms (a real status change, then
//! the reminder message read back and edited in place). The floor, in the same run, is a bare
//! poise bot that answers every component click at once. Latency is from the fake sending
//! INTERACTION_CREATE to receiving the callback; the edit is timed from the form's dispatch to
//! Discord accepting the edit. Run with `cargo bench --bench reminder_controls`.

#[path = "../tests/it/support/schema.rs"]
#[allow(dead_code)]
mod schema;

#[path = "../tests/it/support/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use poise::serenity_prelude as serenity;
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::discord::client::{build_client, http_client, Connection};
use briefing_bot::discord::Data;
use briefing_bot::domain::{BoardSlug, ChatSettings};
use briefing_bot::schedule::poster::BoardPoster;
use briefing_bot::schedule::{Runner, RunnerSettings};
use briefing_bot::services::actions::Author;
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::settings::change_board;
use briefing_bot::store::{DatabaseUrl, Store};
use fake_discord::{Channel, FakeDiscord, Guild, Member, Role, TOKEN};

const GUILD: u64 = 700_000_000_000_000_001;
const CHANNEL: u64 = 700_000_000_000_000_021;
const OFFICER_ROLE: u64 = 700_000_000_000_000_011;
const OFFICER: u64 = 200_000_000_000_000_001;

fn guild() -> Guild {
    Guild {
        id: GUILD,
        name: "Board".into(),
        roles: vec![Role {
            id: OFFICER_ROLE,
            name: "Officers".into(),
            permissions: 0,
        }],
        channels: vec![Channel {
            id: CHANNEL,
            name: "reminders".into(),
            deny_bot: 0,
        }],
        members: vec![Member {
            id: OFFICER,
            name: "officer".into(),
            roles: vec![OFFICER_ROLE],
        }],
    }
}

fn report(label: &str, mut times: Vec<Duration>, ok: usize) {
    times.sort();
    let at =
        |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "{label:<58} n={:<5} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   answered as expected {ok}",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

/// One component click as Discord sends it, on `message`; the time to its callback and the
/// callback (kind and data).
async fn click(fake: &FakeDiscord, message: &Value, data: Value) -> (Duration, u64, Value) {
    let (_, token, mut payload) = fake.interaction_json(GUILD, CHANNEL, OFFICER, 3, data);
    payload["message"] = message.clone();
    let time = fake.time_interaction(payload, &token).await;
    let reply = fake.reply_for(&token);
    (time, reply.kind, reply.data)
}

/// The floor: a poise bot that answers every component click privately, at once.
async fn bare_bot(fake: &FakeDiscord) -> Arc<serenity::ShardManager> {
    #[poise::command(slash_command)]
    async fn ping(ctx: poise::Context<'_, (), serenity::Error>) -> Result<(), serenity::Error> {
        ctx.say("pong").await?;
        Ok(())
    }
    let http = serenity::HttpBuilder::new(TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping()],
            event_handler: |framework, event| {
                Box::pin(async move {
                    if let serenity::FullEvent::InteractionCreate {
                        interaction: serenity::Interaction::Component(press),
                    } = event
                    {
                        let answer = serenity::CreateInteractionResponseMessage::new()
                            .content("ok")
                            .ephemeral(true)
                            .allowed_mentions(serenity::CreateAllowedMentions::new());
                        press
                            .create_response(
                                &framework.serenity_context.http,
                                serenity::CreateInteractionResponse::Message(answer),
                            )
                            .await?;
                    }
                    Ok(())
                })
            },
            ..Default::default()
        })
        .initialize_owners(false)
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                Ok(())
            })
        })
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .unwrap();
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        let _ = client.start().await;
    });
    fake.wait_ready().await;
    shards
}

fn actions_csv(n: usize) -> String {
    let statuses = ["not_started", "on_track", "at_risk", "off_track", "done"];
    let mut csv = String::from("ref,title,owner,borough,officer,due,status\n");
    for i in 0..n {
        csv.push_str(&format!(
            "ACT-{i:05},Action {i},Owner {},Borough {},{OFFICER},2026-{:02}-{:02},{}\n",
            i % 40,
            i % 13,
            i % 12 + 1,
            i % 28 + 1,
            statuses[i % statuses.len()]
        ));
    }
    csv
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    println!("reminder controls through the fake Discord (fake sends INTERACTION_CREATE → receives the callback)");

    // The floor: a bare poise bot answering a button click at once.
    let fake = FakeDiscord::start(vec![guild()]).await;
    let shards = bare_bot(&fake).await;
    let message = json!({
        "id": "1", "channel_id": CHANNEL.to_string(), "author": {"id": fake_discord::APP_ID.to_string(), "username": "bot", "discriminator": "0000", "bot": true, "avatar": null, "global_name": null},
        "content": "x", "timestamp": "2026-07-01T09:00:00.000000+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
    });
    let mut floor = Vec::new();
    for _ in 0..1050 {
        let (t, _, _) = click(
            &fake,
            &message,
            json!({"custom_id": "b", "component_type": 2}),
        )
        .await;
        floor.push(t);
    }
    floor.drain(..50); // warm-up
    let n = floor.len();
    report("floor: bare poise, a button answered at once", floor, n);
    shards.shutdown_all().await;

    // The real bot on a 10,000-action board, its reminder posted by the real poster.
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&DatabaseUrl::new(&url)).await.unwrap();
    let slug = BoardSlug::parse("bench").unwrap();
    let options = ImportOptions {
        by: "bench",
        now: Utc::now(),
        ..Default::default()
    };
    import_csv(
        &store,
        Some(&slug),
        RecordKind::Actions,
        "a.csv",
        actions_csv(10_000).as_bytes(),
        &options,
    )
    .await
    .unwrap();
    let board = store.board(&slug).await.unwrap().unwrap();
    let chat = ChatSettings {
        server_id: Some(GUILD),
        reminder_channel: Some(CHANNEL),
        officer_role: Some(OFFICER_ROLE),
        ..Default::default()
    };
    let author = Author {
        by: "bench",
        at: Utc::now(),
    };
    change_board(&store, board.id, &author, |b| {
        b.chat = chat.clone();
        Ok(())
    })
    .await
    .unwrap();
    let fake = FakeDiscord::start(vec![guild()]).await;
    let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
    // Monday 6 July 2026, 09:00 in London: the weekly reminder is due.
    let now = Utc.with_ymd_and_hms(2026, 7, 6, 8, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(now));
    let runner = Runner::new(
        store.clone(),
        clock.clone() as Arc<dyn Clock>,
        Arc::new(BoardPoster::new(
            store.clone(),
            Arc::new(http_client(&connection)),
        )),
        RunnerSettings {
            worker: "bench".into(),
            ..Default::default()
        },
    );
    runner.run_due(now).await.unwrap();
    let ids = fake.channel_message_ids(CHANNEL);
    println!(
        "the reminder: {} messages, the first offering {} actions in its menus",
        ids.len(),
        fake.message(CHANNEL, ids[0]).unwrap()["components"]
            .as_array()
            .map_or(0, |rows| rows
                .iter()
                .map(|r| r["components"][0]["options"].as_array().map_or(0, Vec::len))
                .sum::<usize>())
    );
    let data = Data::new(store.clone(), clock as Arc<dyn Clock>, Default::default());
    let mut client = build_client(&connection, data, None).await.unwrap();
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        let _ = client.start().await;
    });
    fake.wait_ready().await;

    // The options of the first message's first menu, picked in turn.
    let first = fake.message(CHANNEL, ids[0]).unwrap();
    let menu = first["components"][0]["components"][0].clone();
    let values: Vec<Value> = menu["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].clone())
        .collect();
    let pick = |i: usize| json!({"custom_id": menu["custom_id"], "component_type": 3, "values": [values[i % values.len()]]});
    for i in 0..50 {
        click(&fake, &first, pick(i)).await; // warm-up
    }
    let mut times = Vec::new();
    let mut ok = 0;
    let mut panels = Vec::new();
    for i in 0..1000 {
        let (t, kind, data) = click(&fake, &first, pick(i)).await;
        times.push(t);
        if kind == 4
            && data["components"][0]["components"]
                .as_array()
                .map_or(0, Vec::len)
                == 3
        {
            ok += 1;
            if panels.len() < values.len() {
                panels.push(data);
            }
        }
    }
    report(
        "briefing-bot: pick an action from the reminder → panel",
        times,
        ok,
    );

    let mut times = Vec::new();
    let mut ok = 0;
    for i in 0..1000 {
        let panel = &panels[i % panels.len()];
        let button = &panel["components"][0]["components"][0];
        let (t, kind, _) = click(
            &fake,
            &first,
            json!({"custom_id": button["custom_id"], "component_type": 2}),
        )
        .await;
        times.push(t);
        ok += usize::from(kind == 9);
    }
    report("briefing-bot: press Update → the form", times, ok);

    // Submit forms: each a real status change, then the reminder edited in place.
    let update_id = panels[0]["components"][0]["components"][0]["custom_id"].clone();
    let (_, token, payload) = fake.interaction_json(
        GUILD,
        CHANNEL,
        OFFICER,
        3,
        json!({"custom_id": update_id, "component_type": 2}),
    );
    let mut payload = payload;
    payload["message"] = first.clone();
    fake.time_interaction(payload, &token).await;
    let form_id = fake.reply_for(&token).data["custom_id"].clone();
    let mut times = Vec::new();
    let mut edits = Vec::new();
    let mut ok = 0;
    for i in 0..200 {
        let status = if i % 2 == 0 { "at risk" } else { "off track" };
        let data = json!({"custom_id": form_id, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "status", "value": status}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "note", "value": format!("bench {i}")}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "evidence", "value": ""}]}
        ]});
        let before = fake.edits().len();
        let (_, token, payload) = fake.interaction_json(GUILD, CHANNEL, OFFICER, 5, data);
        let sent = Instant::now();
        let t = fake.time_interaction(payload, &token).await;
        times.push(t);
        if fake.reply_for(&token).text().contains(" → ")
            || fake.reply_for(&token).text().contains("Noted")
        {
            ok += 1;
        }
        fake.wait_for_edits(before + 1).await;
        edits.push(sent.elapsed());
    }
    let edited = fake.edits().len();
    report(
        "briefing-bot: submit Update (status change) → answer",
        times,
        ok,
    );
    report(
        "briefing-bot: submit Update → reminder edited in place",
        edits,
        edited,
    );
    shards.shutdown_all().await;
    let violations = fake.violations();
    if !violations.is_empty() {
        println!(
            "the fake refused or flagged {} requests; first: {}",
            violations.len(),
            violations[0]
        );
    }
}
