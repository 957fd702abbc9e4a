//! Punctuality of scheduled posts through the real binary: 1,000 boards on one PostgreSQL
//! database whose digests all fall due in the same second, served by `briefing-bot run`
//! processes against the fake Discord (each board in its own server and channel). Measures,
//! per board, when its digest's first message reached the fake minus when it was due: p50,
//! p90 and max, and checks that every board got its digest and none got it twice. The
//! baseline, in the same run, is one process; then two processes share the boards' posts (and
//! the gateway shards, one each). Needs `TEST_POSTGRES_URL` and a release build of the binary
//! (`cargo bench` builds it). Run with `cargo bench --bench punctuality`.

#[path = "../tests/it/support/schema.rs"]
#[allow(dead_code)]
mod schema;

#[path = "../tests/it/support/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};

use briefing_bot::domain::{BoardSettings, BoardSlug, ChatSettings, Schedule, TimeZone};
use briefing_bot::services::actions::Author;
use briefing_bot::services::settings::{change_board, create_board};
use briefing_bot::store::{DatabaseUrl, Store};
use fake_discord::{Channel, FakeDiscord, Guild, TOKEN};

const BOARDS: u64 = 1000;
const GUILD: u64 = 800_000_000_000_000_000;

fn guild(i: u64) -> Guild {
    Guild {
        id: GUILD + (i << 22),
        name: format!("Board {i}"),
        roles: Vec::new(),
        channels: vec![Channel {
            id: channel(i),
            name: "briefings".into(),
            deny_bot: 0,
        }],
        members: Vec::new(),
    }
}

fn channel(i: u64) -> u64 {
    900_000_000_000_000_000 + i
}

/// 1,000 boards, each in its own server, whose digest falls due at `due` (UTC).
async fn boards(store: &Store, due: DateTime<Utc>) {
    let schedule = Schedule::parse(&format!(
        "{} {} {} * * *",
        due.second(),
        due.minute(),
        due.hour()
    ))
    .unwrap();
    // No catch-up: the schedule fires daily, and yesterday's post would otherwise go out as
    // soon as each process starts.
    let settings = BoardSettings {
        time_zone: TimeZone::parse("UTC").unwrap(),
        digest_schedule: schedule,
        catch_up_days: 0,
        ..Default::default()
    };
    let author = Author {
        by: "bench",
        at: Utc::now(),
    };
    for i in 0..BOARDS {
        let slug = BoardSlug::parse(&format!("board-{i:04}")).unwrap();
        let board = create_board(store, &slug, "Board", &settings, &author)
            .await
            .unwrap();
        let chat = ChatSettings {
            server_id: Some(guild(i).id),
            digest_channel: Some(channel(i)),
            ..Default::default()
        };
        change_board(store, board.id, &author, |b| {
            b.chat = chat.clone();
            Ok(())
        })
        .await
        .unwrap();
    }
}

fn start(
    binary: &std::path::Path,
    url: &str,
    fake: &FakeDiscord,
    shards: &str,
    total: u32,
) -> Child {
    Command::new(binary)
        .args(["--database-url", url, "run"])
        .env("DISCORD_TOKEN", TOKEN)
        .env("BRIEFING__DISCORD__API_URL", fake.api_url())
        .env("BRIEFING__DISCORD__TOTAL_SHARDS", total.to_string())
        .env("BRIEFING__DISCORD__SHARDS", shards)
        .env("RUST_LOG", "error")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// One round: a fresh database and fake, `processes` bot processes, the digests due `lead`
/// after they start.
async fn round(admin: &str, binary: &std::path::Path, processes: u32) {
    let pool = sqlx::PgPool::connect(admin).await.unwrap();
    let name = format!("briefing_bench_punct_{}_{processes}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(&format!("/{name}"));
    let url = url.to_string();
    let store = Store::connect(&DatabaseUrl::new(&url)).await.unwrap();
    // Far enough ahead for the processes to connect and read 1,000 servers first.
    let due = (Utc::now() + chrono::Duration::seconds(60))
        .with_nanosecond(0)
        .unwrap();
    boards(&store, due).await;
    let fake = FakeDiscord::start((0..BOARDS).map(guild).collect()).await;
    let mut children: Vec<Child> = (0..processes)
        .map(|p| start(binary, &url, &fake, &p.to_string(), processes))
        .collect();
    let until_due = (due - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(until_due.saturating_sub(Duration::from_millis(200))).await;
    // Watch the channels; note when each first shows a message.
    let started = Instant::now();
    let due_at = started + (due - Utc::now()).to_std().unwrap_or_default();
    let mut first_seen: HashMap<u64, Instant> = HashMap::new();
    while first_seen.len() < BOARDS as usize && started.elapsed() < Duration::from_secs(30) {
        for i in 0..BOARDS {
            if !first_seen.contains_key(&i) && !fake.channel_messages(channel(i)).is_empty() {
                first_seen.insert(i, Instant::now());
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Let any repeat arrive before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut lateness: Vec<f64> = first_seen
        .values()
        .map(|seen| seen.saturating_duration_since(due_at).as_secs_f64())
        .collect();
    lateness.sort_by(f64::total_cmp);
    let mut twice = 0;
    for i in 0..BOARDS {
        let first_parts = fake
            .channel_messages(channel(i))
            .iter()
            .filter(|m| m["nonce"].as_str().is_some_and(|n| n.ends_with("-0")))
            .count();
        if first_parts > 1 {
            twice += 1;
        }
    }
    let deliveries = store.deliveries(None, 5000).await.unwrap();
    let sent = deliveries.iter().filter(|d| d.state == "sent").count();
    println!(
        "{processes} process{}: {} of {BOARDS} digests posted ({sent} recorded sent), missed {}, \
         twice {twice}; lateness p50 {:.3} s, p90 {:.3} s, max {:.3} s",
        if processes == 1 { "" } else { "es" },
        first_seen.len(),
        BOARDS as usize - first_seen.len(),
        percentile(&lateness, 50.0),
        percentile(&lateness, 90.0),
        lateness.last().copied().unwrap_or(f64::NAN),
    );
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    store.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await;
    assert_eq!(
        first_seen.len(),
        BOARDS as usize,
        "every board's digest was posted"
    );
    assert_eq!(twice, 0, "no digest was posted twice");
}

#[tokio::main]
async fn main() {
    let Ok(admin) = std::env::var("TEST_POSTGRES_URL") else {
        println!("punctuality: skipped (TEST_POSTGRES_URL is not set)");
        return;
    };
    let binary = std::env::var("CARGO_BIN_EXE_briefing-bot")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/briefing-bot")
        });
    if !binary.exists() {
        println!(
            "punctuality: skipped ({} not built; run `cargo build --release` first)",
            binary.display()
        );
        return;
    }
    println!(
        "punctuality: {BOARDS} boards' digests due in the same second, PostgreSQL, real binary \
         against the fake Discord"
    );
    round(&admin, &binary, 1).await;
    round(&admin, &binary, 2).await;
}
