//! The gateway lease as a fence: leases judged by the database's clock, on both backends, with
//! processes whose clocks are far off; and two `briefing-bot run` processes on one PostgreSQL
//! database where the holder is cut off from the database for longer than the term, while
//! slash commands keep arriving: never are two processes connected as the same shard, and
//! every command delivered is answered exactly once.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use briefing_bot::clock::{Clock, FixedClock, SystemClock};
use briefing_bot::config::ShardRange;
use briefing_bot::discord::lease::GatewayLease;
use briefing_bot::monitoring::logging::{subscriber, LogFormat};
use briefing_bot::store::Backend;

use crate::on_both_backends;
use crate::operations::RunningBot;
use crate::support::bot::{guild, link_board, DIGEST_CHANNEL, GUILD, MEMBER};
use crate::support::db::TestDb;
use crate::support::fake_discord::FakeDiscord;

const MINUTE: Duration = Duration::from_secs(60);

/// Whether `at` is `expected`, give or take a second (the round trip, SQLite's milliseconds).
fn about(at: chrono::DateTime<Utc>, expected: chrono::DateTime<Utc>) -> bool {
    (at - expected).abs() <= TimeDelta::seconds(1)
}

async fn a_lease_runs_by_the_database_clock(db: TestDb) {
    let store = &db.store;
    // A runs shards 0-1 of 2, for a minute from the database's now (the same host's clock as
    // this test's, so the two can be compared).
    let until = store
        .claim_shards(0..=1, 2, "a", MINUTE)
        .await
        .unwrap()
        .expect("a free shard is taken");
    assert!(about(until, Utc::now() + TimeDelta::seconds(60)), "{until}");
    // B may not run shard 1 of 2, nor anything under another total, while A's lease runs.
    let holder = store
        .claim_shards(1..=1, 2, "b", MINUTE)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (holder.shard, holder.total_shards, holder.holder.as_str()),
        (1, 2, "a")
    );
    assert!(about(holder.database_now, Utc::now()), "{holder:?}");
    let left = holder.expires_at - holder.database_now;
    assert!(
        left > TimeDelta::seconds(58) && left <= TimeDelta::seconds(60),
        "{holder:?}"
    );
    let other_total = store
        .claim_shards(2..=2, 3, "b", MINUTE)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!((other_total.shard, other_total.holder.as_str()), (0, "a"));
    // A renews for two minutes from the database's now; its holder may claim again (a
    // restart under the same name).
    assert!(store.renew_shards(0..=1, "a", MINUTE * 2).await.unwrap());
    let renewed = store
        .claim_shards(1..=1, 2, "b", MINUTE)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        about(renewed.expires_at, Utc::now() + TimeDelta::seconds(120)),
        "{renewed:?}"
    );
    assert!(store
        .claim_shards(0..=1, 2, "a", MINUTE)
        .await
        .unwrap()
        .is_ok());
    // A renewal with no term left runs out at once by the database's clock: B takes shard 1,
    // and A learns it lost it.
    assert!(store
        .renew_shards(0..=1, "a", Duration::ZERO)
        .await
        .unwrap());
    assert!(store
        .claim_shards(1..=1, 2, "b", MINUTE)
        .await
        .unwrap()
        .is_ok());
    assert!(!store.renew_shards(0..=1, "a", MINUTE).await.unwrap());
    // A's release leaves B's lease alone; B's release frees the shard at once.
    store.release_shards("a").await.unwrap();
    assert_eq!(
        store
            .claim_shards(1..=1, 2, "c", MINUTE)
            .await
            .unwrap()
            .unwrap_err()
            .holder,
        "b"
    );
    store.release_shards("b").await.unwrap();
    assert!(store
        .claim_shards(1..=1, 2, "c", MINUTE)
        .await
        .unwrap()
        .is_ok());
    store.release_shards("c").await.unwrap();
    // Two processes racing for a free shard: exactly one gets it.
    let (x, y) = tokio::join!(
        store.claim_shards(5..=6, 8, "x", MINUTE),
        store.claim_shards(6..=7, 8, "y", MINUTE),
    );
    let won = [x.unwrap().is_ok(), y.unwrap().is_ok()];
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
}

/// Collects what a test's own subscriber logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn lines(&self) -> Vec<Value> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// The JSON lines that report a clock difference.
fn skew_lines(captured: &Captured) -> Vec<Value> {
    captured
        .lines()
        .into_iter()
        .filter(|l| l["skew_secs"].is_number())
        .collect()
}

async fn the_callers_clock_does_not_decide_who_holds_a_shard(db: TestDb) {
    // The test runs on one thread (`on_both_backends!`), so this subscriber sees every line.
    let captured = Captured::default();
    let _log = tracing::subscriber::set_default(subscriber(LogFormat::Json, captured.clone()));
    // Shards 1-2 of 3, so that a lease taken on the wrong shards shows.
    let shards = ShardRange::parse("1-2", 3).unwrap();
    let lease = |holder: &str, clock: Arc<dyn Clock>| {
        GatewayLease::new(db.store.clone(), clock, shards, holder.into())
    };
    let a = lease("a", Arc::new(SystemClock));
    assert!(a.try_acquire().await.unwrap().is_ok());
    // A's clock is the database host's own: nothing to report.
    assert_eq!(skew_lines(&captured), Vec::<Value>::new());
    for shard in [1, 2] {
        let other = db
            .store
            .claim_shards(shard..=shard, 3, "z", MINUTE)
            .await
            .unwrap();
        assert_eq!(other.unwrap_err().holder, "a", "shard {shard}");
    }

    // B's clock says 2100: by it A's lease ran out long ago; by the database's it runs on.
    let ahead = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let b = lease("b", Arc::new(FixedClock::new(ahead)));
    let refused = b.try_acquire().await.unwrap().unwrap_err();
    assert_eq!(
        (refused.shard, refused.total_shards, refused.holder.as_str()),
        (1, 3, "a")
    );
    assert!(about(refused.database_now, Utc::now()), "{refused:?}");
    // The operator hears of the difference at B's first look, and only once however often B
    // looks.
    assert_eq!(skew_lines(&captured).len(), 1);
    assert!(b.try_acquire().await.unwrap().is_err());
    let skew = skew_lines(&captured);
    assert_eq!(skew.len(), 1, "{skew:?}");
    assert!(skew[0]["skew_secs"].as_f64().unwrap() > 365.0 * 86_400.0);
    let said = skew[0]["message"].as_str().unwrap();
    assert!(said.contains("ahead of the database's"), "{said}");
    assert!(!said.contains("is -"), "{said}");

    // C's clock says 1990: by it A's lease (cut to two seconds from the database's now) has
    // decades to run; C takes over once those two seconds have passed, and not before.
    let behind = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap();
    let c = lease("c", Arc::new(FixedClock::new(behind)));
    let cut_short = Instant::now();
    assert!(db
        .store
        .renew_shards(1..=2, "a", Duration::from_secs(2))
        .await
        .unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match c.try_acquire().await.unwrap() {
            Ok(_) => break,
            Err(holder) => assert_eq!(holder.holder, "a"),
        }
        assert!(Instant::now() < deadline, "C never took the expired lease");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        cut_short.elapsed() >= Duration::from_millis(1_900),
        "taken over after {:?}, before A's lease ran out",
        cut_short.elapsed()
    );
    let skew = skew_lines(&captured);
    let said = skew.last().unwrap()["message"].as_str().unwrap();
    assert!(said.contains("behind the database's"), "{said}");
    assert!(!said.contains("is -"), "{said}");

    // C's clean stop frees both shards at once.
    c.release().await;
    assert!(db
        .store
        .claim_shards(1..=2, 3, "z", MINUTE)
        .await
        .unwrap()
        .is_ok());
}

async fn a_standby_takes_over_as_soon_as_the_lease_runs_out(db: TestDb) {
    let lease = |holder: &str| {
        GatewayLease::new(
            db.store.clone(),
            Arc::new(SystemClock),
            ShardRange::ALL_OF_ONE,
            holder.into(),
        )
    };
    assert!(lease("a").try_acquire().await.unwrap().is_ok());
    // A stops renewing 0.7 s before its lease runs out. A standby looks again every 2 s, but
    // wakes for the moment the lease runs out when that comes sooner.
    assert!(db
        .store
        .renew_shards(0..=0, "a", Duration::from_millis(700))
        .await
        .unwrap());
    let started = Instant::now();
    tokio::time::timeout(Duration::from_millis(1_600), lease("b").acquire())
        .await
        .expect("the standby takes over when the lease runs out, not at its next look");
    assert!(started.elapsed() >= Duration::from_millis(600));
}

async fn a_holder_renews_every_sixth_of_the_term_while_the_database_answers(db: TestDb) {
    // Count the renewals as the database sees them.
    let count = match db.store.backend() {
        Backend::Sqlite => {
            "CREATE TABLE lease_renewals (n INTEGER);
             CREATE TRIGGER lease_renewed AFTER UPDATE ON gateway_leases
             BEGIN INSERT INTO lease_renewals VALUES (1); END;"
        }
        Backend::Postgres => {
            "CREATE TABLE lease_renewals (n INTEGER);
             CREATE FUNCTION count_lease_renewal() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN INSERT INTO lease_renewals VALUES (1); RETURN NULL; END $$;
             CREATE TRIGGER lease_renewed AFTER UPDATE ON gateway_leases
             FOR EACH ROW EXECUTE FUNCTION count_lease_renewal();"
        }
    };
    let raw = db.raw_pool().await;
    sqlx::raw_sql(count).execute(&raw).await.unwrap();
    let a = GatewayLease::new(
        db.store.clone(),
        Arc::new(SystemClock),
        ShardRange::ALL_OF_ONE,
        "a".into(),
    )
    .with_term(Duration::from_millis(1_200));
    let held = a.try_acquire().await.unwrap().expect("a free shard");
    // While the database answers, the holder keeps its lease: `keep` returns only to fence.
    let kept = tokio::time::timeout(Duration::from_secs(2), a.keep(held)).await;
    assert!(
        kept.is_err(),
        "fenced while the database answered: {kept:?}"
    );
    let (renewals,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM lease_renewals")
        .fetch_one(&raw)
        .await
        .unwrap();
    // Every 200 ms for 2 s: about ten, neither none nor hundreds.
    assert!((6..=14).contains(&renewals), "{renewals} renewals");
    raw.close().await;
}

on_both_backends!(
    a_lease_runs_by_the_database_clock,
    the_callers_clock_does_not_decide_who_holds_a_shard,
    a_standby_takes_over_as_soon_as_the_lease_runs_out,
    a_holder_renews_every_sixth_of_the_term_while_the_database_answers,
);

#[test]
fn a_lease_term_too_short_to_fence_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for (seconds, ok) in [("2", false), ("86401", false), ("3", true)] {
        let out = Command::new(env!("CARGO_BIN_EXE_briefing-bot"))
            .args(["--database-url", "sqlite://lease.db", "migrate"])
            .current_dir(dir.path())
            .env("BRIEFING__DISCORD__LEASE_SECONDS", seconds)
            .env_remove("DATABASE_URL")
            .env_remove("BRIEFING_CONFIG")
            .env_remove("BRIEFING_ENV")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), ok, "{seconds}: {stderr}");
        if !ok {
            assert!(
                stderr.contains(&format!(
                    "discord.lease_seconds is {seconds}; use 3 to 86400"
                )),
                "{stderr}"
            );
        }
    }
}

/// Wait (up to 20 s) for `bot`'s first log line whose message starts with `message_starts`.
async fn logged(bot: &RunningBot, message_starts: &str) -> Value {
    bot.wait_for_line(message_starts, |l| {
        l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(message_starts))
    })
    .await
}

/// A TCP relay between one process and PostgreSQL that the test can cut, as a network
/// partition would: the live connections drop, and new ones are accepted but never answered.
struct Relay {
    address: SocketAddr,
    cut: Arc<watch::Sender<bool>>,
}

impl Relay {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let cut = Arc::new(watch::channel(false).0);
        let cuts = cut.clone();
        tokio::spawn(async move {
            // Held open, unanswered, for as long as the test runs.
            let mut unanswered = Vec::new();
            while let Ok((mut client, _)) = listener.accept().await {
                if *cuts.borrow() {
                    unanswered.push(client);
                    continue;
                }
                let mut cut = cuts.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { address, cut }
    }

    fn cut(&self) {
        self.cut.send_replace(true);
    }

    fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// One `/overdue` sent while the test runs.
struct Sent {
    token: String,
    at: Instant,
    /// How many gateway sessions it went to.
    delivered: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_cut_off_from_the_database_stops_answering_before_a_standby_takes_over() {
    let Some(db) = crate::support::db::postgres().await else {
        return;
    };
    link_board(&db).await;
    let direct = url::Url::parse(&db.url).unwrap();
    let relay = Relay::start(format!(
        "{}:{}",
        direct.host_str().unwrap(),
        direct.port().unwrap_or(5432)
    ))
    .await;
    let mut relayed = direct.clone();
    relayed.set_host(Some("127.0.0.1")).unwrap();
    relayed.set_port(Some(relay.address.port())).unwrap();
    let term = [("BRIEFING__DISCORD__LEASE_SECONDS", "3")];

    let fake = FakeDiscord::start(vec![guild()]).await;
    let mut first = RunningBot::start(&fake, relayed.as_str(), &[], &term);
    logged(&first, "gateway lease taken").await;
    fake.wait_ready().await;
    let mut second = RunningBot::start(&fake, direct.as_str(), &[], &term);
    logged(&second, "waiting as a standby").await;

    // People keep running /overdue, ten times a second, throughout.
    let command = fake
        .registered_commands()
        .iter()
        .find(|c| c["name"] == "overdue")
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .expect("/overdue is registered");
    let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let sending = {
        let (fake, sent) = (fake.clone(), sent.clone());
        tokio::spawn(async move {
            loop {
                let data = json!({"id": command, "name": "overdue", "type": 1, "options": [],
                                  "resolved": {}, "guild_id": GUILD.to_string()});
                let (_, token, payload) =
                    fake.interaction_json(GUILD, DIGEST_CHANNEL, MEMBER, 2, data);
                let delivered = fake.deliver_interaction(payload);
                sent.lock().unwrap().push(Sent {
                    token,
                    at: Instant::now(),
                    delivered,
                });
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The holder loses the database for longer than the term.
    let cut = Instant::now();
    relay.cut();
    let fenced = logged(&first, "stopped answering commands").await;
    let said = fenced["message"].as_str().unwrap();
    assert!(said.contains("could not be renewed"), "{fenced}");
    assert!(said.contains("half its 3 s term"), "{fenced}");
    logged(&second, "gateway lease taken").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.session_windows().len() < 2 {
        assert!(Instant::now() < deadline, "the standby never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The database comes back: the first process, alive, waits as a standby behind the second.
    relay.restore();
    logged(&first, "waiting as a standby").await;
    assert!(first.child.try_wait().unwrap().is_none(), "it did not exit");
    sending.abort();
    let _ = sending.await;

    let sent = std::mem::take(&mut *sent.lock().unwrap());
    // Each command that reached a process is answered once; one that came while no process
    // was connected reached none (Discord would tell the person the bot did not respond).
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent
        .iter()
        .any(|s| s.delivered > 0 && fake.callbacks_for(&s.token) == 0)
    {
        assert!(Instant::now() < deadline, "a command was never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for s in &sent {
        assert!(s.delivered <= 1, "{} reached two processes", s.token);
        assert_eq!(
            fake.callbacks_for(&s.token),
            s.delivered,
            "{} answered {} times",
            s.token,
            fake.callbacks_for(&s.token)
        );
    }

    // The shard's sessions, in order: the first's closed before the second's opened.
    let windows = fake.session_windows();
    assert_eq!(windows.len(), 2, "{windows:?}");
    let (old, new) = (&windows[0], &windows[1]);
    assert_eq!(
        ([old.shard, old.total], [new.shard, new.total]),
        ([0, 1], [0, 1])
    );
    let closed = old.closed.expect("the holder closed its session");
    assert!(closed <= new.opened, "{windows:?}");
    assert!(new.closed.is_none());
    // It stopped before its lease could run out: within the term of losing the database.
    assert!(
        closed - cut < Duration::from_secs(3),
        "closed {:?} after the cut",
        closed - cut
    );
    let after_takeover: Vec<&Sent> = sent.iter().filter(|s| s.at > new.opened).collect();
    assert!(after_takeover.iter().all(|s| s.delivered == 1));
    let answered = fake.reply_for(&after_takeover.last().expect("commands after").token);
    assert!(answered.text().contains("ACT-001"), "{}", answered.text());
    eprintln!(
        "holder fenced {:.2} s after losing the database; standby connected {:.2} s after; \
         {} of {} commands reached no process meanwhile",
        (closed - cut).as_secs_f64(),
        (new.opened - cut).as_secs_f64(),
        sent.iter().filter(|s| s.delivered == 0).count(),
        sent.len()
    );

    // Their clocks are this host's, as the database's is: neither reports a difference.
    for bot in [&first, &second] {
        assert!(!bot.json_lines().iter().any(|l| l["skew_secs"].is_number()));
    }

    assert!(second.terminate().await);
    assert!(first.terminate().await);
}
