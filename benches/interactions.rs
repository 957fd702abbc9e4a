//! Interaction latency through the fake Discord: the real bot (release build) serving a board
//! of 10,000 actions on SQLite answers 1,000 `/update` and 1,000 `/overdue`, one at a time and
//! in bursts of 50; the baseline, in the same run, is a bare poise bot answering `/ping` at
//! once. Figures are from the fake sending INTERACTION_CREATE to receiving the callback.
//! Then the `briefing-bot` binary itself is started against a fake with 100 servers and its
//! idle resident memory is read from /proc. Run with `cargo bench --bench interactions`.

#[path = "../tests/it/support/schema.rs"]
#[allow(dead_code)]
mod schema;

#[path = "../tests/it/support/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use poise::serenity_prelude as serenity;
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::discord::client::{build_client, Connection};
use briefing_bot::discord::Data;
use briefing_bot::domain::{BoardSlug, ChatSettings};
use briefing_bot::services::actions::Author;
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::services::settings::change_board;
use briefing_bot::store::{DatabaseUrl, Store};
use fake_discord::{Channel, FakeDiscord, Guild, Member, Role, TOKEN};

const GUILD: u64 = 700_000_000_000_000_001;
const CHANNEL: u64 = 700_000_000_000_000_020;
const OFFICER_ROLE: u64 = 700_000_000_000_000_011;
const OFFICER: u64 = 200_000_000_000_000_001;

fn guild(id: u64) -> Guild {
    Guild {
        id,
        name: format!("Board {id}"),
        roles: vec![Role {
            id: OFFICER_ROLE,
            name: "Officers".into(),
            permissions: 0,
        }],
        channels: vec![Channel {
            id: CHANNEL + (id - GUILD) * 10,
            name: "briefings".into(),
            deny_bot: 0,
        }],
        members: vec![Member {
            id: OFFICER,
            name: "officer".into(),
            roles: vec![OFFICER_ROLE],
        }],
    }
}

/// How a reply reads to the person: what they asked was done, they were told in words to try
/// again, or something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    Retry,
    Failed,
}

/// Latency percentiles and how many replies were successes, so a fast failure never passes
/// for a fast answer.
fn percentiles(label: &str, results: Vec<(Duration, String)>, outcome: impl Fn(&str) -> Outcome) {
    let mut times: Vec<Duration> = results.iter().map(|(t, _)| *t).collect();
    times.sort();
    let at =
        |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    let count = |o: Outcome| {
        results
            .iter()
            .filter(|(_, text)| outcome(text) == o)
            .count()
    };
    let (done, retry, failed) = (
        count(Outcome::Done),
        count(Outcome::Retry),
        count(Outcome::Failed),
    );
    println!(
        "{label:<50} n={:<5} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms   done {done}, told to retry {retry}, failed {failed}",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
    if let Some((_, text)) = results
        .iter()
        .find(|(_, text)| outcome(text) == Outcome::Failed)
    {
        println!(
            "    first failed reply: {}",
            text.lines().next().unwrap_or("")
        );
    }
}

fn pong(text: &str) -> Outcome {
    if text.trim() == "pong" {
        Outcome::Done
    } else {
        Outcome::Failed
    }
}

/// `/update` succeeded when the reply shows the change ("on track → at risk") or the noted
/// progress; a busy database or a collision is told as "try again".
fn updated(text: &str) -> Outcome {
    if text.contains("Sorry") {
        Outcome::Failed
    } else if text.contains(" → ") || text.contains("Noted progress") {
        Outcome::Done
    } else if text.contains("try again") {
        Outcome::Retry
    } else {
        Outcome::Failed
    }
}

/// `/overdue` succeeded when it lists the overdue actions.
fn listed(text: &str) -> Outcome {
    if text.contains("overdue actions as of") && !text.contains("Sorry") {
        Outcome::Done
    } else {
        Outcome::Failed
    }
}

fn command_id(fake: &FakeDiscord, name: &str) -> String {
    fake.registered_commands()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .unwrap()
}

async fn measure(
    fake: &FakeDiscord,
    name: &str,
    options: impl Fn(usize) -> Value,
    count: usize,
    burst: usize,
) -> Vec<(Duration, String)> {
    let id = command_id(fake, name);
    let mut times = Vec::with_capacity(count);
    let mut i = 0;
    while i < count {
        let batch: Vec<(Value, String)> = (i..(i + burst).min(count))
            .map(|n| {
                let data = json!({"id": id, "name": name, "type": 1, "options": options(n)});
                let (_, token, payload) = fake.interaction_json(GUILD, CHANNEL, OFFICER, 2, data);
                (payload, token)
            })
            .collect();
        i += batch.len();
        let waits = batch.into_iter().map(|(payload, token)| {
            let fake = fake.clone();
            async move {
                let time = fake.time_interaction(payload, &token).await;
                (time, fake.reply_for(&token).text())
            }
        });
        times.extend(futures_util::future::join_all(waits).await);
    }
    times
}

/// The baseline: a poise bot whose only command answers at once.
#[poise::command(slash_command)]
async fn ping(ctx: poise::Context<'_, (), serenity::Error>) -> Result<(), serenity::Error> {
    ctx.say("pong").await?;
    Ok(())
}

async fn bare_bot(fake: &FakeDiscord) -> Arc<serenity::ShardManager> {
    let http = serenity::HttpBuilder::new(TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping()],
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

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    println!("interaction latency through the fake Discord (fake sends INTERACTION_CREATE → receives the callback)");

    // Baseline: bare poise /ping.
    let fake = FakeDiscord::start(vec![guild(GUILD)]).await;
    let shards = bare_bot(&fake).await;
    let _ = measure(&fake, "ping", |_| json!([]), 50, 1).await; // warm up
    percentiles(
        "baseline bare poise /ping, sequential",
        measure(&fake, "ping", |_| json!([]), 1000, 1).await,
        pong,
    );
    percentiles(
        "baseline bare poise /ping, bursts of 50",
        measure(&fake, "ping", |_| json!([]), 1000, 50).await,
        pong,
    );
    shards.shutdown_all().await;

    // The real bot on a 10,000-action board.
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
    let mut board = store.board(&slug).await.unwrap().unwrap();
    board.chat = ChatSettings {
        server_id: Some(GUILD),
        officer_role: Some(OFFICER_ROLE),
        ..Default::default()
    };
    let author = Author {
        by: "bench",
        at: Utc::now(),
    };
    change_board(&store, board.id, &author, |b| {
        b.chat = board.chat.clone();
        Ok(())
    })
    .await
    .unwrap();
    let fake = FakeDiscord::start(vec![guild(GUILD)]).await;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
    ));
    let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
    let data = Data::new(store.clone(), clock as Arc<dyn Clock>, Default::default());
    let mut client = build_client(&connection, data, None).await.unwrap();
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        let _ = client.start().await;
    });
    fake.wait_ready().await;
    // Alternate two statuses so every /update really changes the action and writes history.
    let update = |n: usize| {
        json!([
            {"name": "action", "type": 3, "value": format!("ACT-{:05}", (n * 7919) % 10_000 / 5 * 5 + 1)},
            {"name": "status", "type": 4, "value": if (n / 2000) % 2 == 0 { 2 } else { 3 }},
            {"name": "note", "type": 3, "value": "benchmark"}
        ])
    };
    let _ = measure(&fake, "overdue", |_| json!([]), 20, 1).await; // warm up
    percentiles(
        "briefing-bot /update, sequential",
        measure(&fake, "update", update, 1000, 1).await,
        updated,
    );
    percentiles(
        "briefing-bot /update, bursts of 50 different actions",
        measure(&fake, "update", |n| update(n + 1000), 1000, 50).await,
        updated,
    );
    // Fifty officers update the same action at the same moment, each with its own note: every
    // one is applied in turn (or told in words to try again).
    let same = |n: usize| {
        json!([
            {"name": "action", "type": 3, "value": "ACT-00001"},
            {"name": "status", "type": 4, "value": 2 + (n % 2)},
            {"name": "note", "type": 3, "value": format!("officer {n}")}
        ])
    };
    percentiles(
        "briefing-bot /update, bursts of 50 on one action",
        measure(&fake, "update", same, 1000, 50).await,
        updated,
    );
    percentiles(
        "briefing-bot /overdue, sequential",
        measure(&fake, "overdue", |_| json!([]), 1000, 1).await,
        listed,
    );
    percentiles(
        "briefing-bot /overdue, bursts of 50",
        measure(&fake, "overdue", |_| json!([]), 1000, 50).await,
        listed,
    );
    let violations = fake.violations();
    println!("requests Discord would refuse: {}", violations.len());
    shards.shutdown_all().await;
    store.close().await;

    // Idle memory of the real binary serving 100 servers.
    let guilds: Vec<Guild> = (0..100).map(|i| guild(GUILD + i)).collect();
    let fake = FakeDiscord::start(guilds).await;
    let binary = std::env::var("CARGO_BIN_EXE_briefing-bot")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/briefing-bot")
        });
    if !binary.exists() {
        println!(
            "idle memory: skipped ({} not built; run `cargo build --release` first)",
            binary.display()
        );
        return;
    }
    // A free port for the ops endpoint (taken back by the bot a moment later).
    let ops = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = std::process::Command::new(&binary)
        .args(["run", "--ops-listen", &ops.to_string()])
        .current_dir(dir.path())
        .env("DISCORD_TOKEN", TOKEN)
        .env("BRIEFING__DISCORD__API_URL", fake.api_url())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("idle.db").display()),
        )
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    fake.wait_ready().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = rss_kb(child.id());
    println!(
        "idle resident memory of `briefing-bot run` serving 100 servers: {} MB",
        rss.map(|kb| format!("{:.1}", kb as f64 / 1024.0))
            .unwrap_or_else(|| "unknown".into())
    );

    // The ops endpoint as a monitor scrapes it: /healthz (shard states plus a database round
    // trip) and /metrics (every counter encoded), one request after another on one connection.
    let web = reqwest::Client::new();
    for path in ["/healthz", "/metrics"] {
        let url = format!("http://{ops}{path}");
        let mut times = Vec::with_capacity(1000);
        for _ in 0..1000 {
            let started = std::time::Instant::now();
            let response = web.get(&url).send().await.unwrap();
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            response.bytes().await.unwrap();
            times.push((started.elapsed(), "200".to_string()));
        }
        percentiles(&format!("GET {path} on the running bot"), times, |status| {
            if status == "200" {
                Outcome::Done
            } else {
                Outcome::Failed
            }
        });
    }
    let _ = child.kill();
    let _ = child.wait();
}
