//! The gateway lease as a fence: leases judged by the database's clock, on both backends, with
//! processes whose clocks are far off, and the term's bounds.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::Value;

use briefing_bot::clock::{Clock, FixedClock, SystemClock};
use briefing_bot::config::ShardRange;
use briefing_bot::discord::lease::GatewayLease;
use briefing_bot::monitoring::logging::{subscriber, LogFormat};

use crate::on_both_backends;
use crate::support::db::TestDb;

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

async fn the_callers_clock_does_not_decide_who_holds_a_shard(db: TestDb) {
    // The test runs on one thread (`on_both_backends!`), so this subscriber sees every line.
    let captured = Captured::default();
    let _log = tracing::subscriber::set_default(subscriber(LogFormat::Json, captured.clone()));
    let lease = |holder: &str, clock: Arc<dyn Clock>| {
        GatewayLease::new(
            db.store.clone(),
            clock,
            ShardRange::ALL_OF_ONE,
            holder.into(),
        )
    };
    let taken = Instant::now();
    let a = lease("a", Arc::new(SystemClock)).with_term(Duration::from_secs(2));
    assert!(a.try_acquire().await.unwrap().is_ok());

    // B's clock says 2100: by it A's lease ran out long ago; by the database's it runs on.
    let ahead = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let b = lease("b", Arc::new(FixedClock::new(ahead)));
    let refused = b.try_acquire().await.unwrap().unwrap_err();
    assert_eq!(refused.holder, "a");
    assert!(about(refused.database_now, Utc::now()), "{refused:?}");
    // The operator hears of the difference, once however often B looks.
    assert!(b.try_acquire().await.unwrap().is_err());
    let skew: Vec<Value> = captured
        .lines()
        .into_iter()
        .filter(|l| l["skew_secs"].is_number())
        .collect();
    assert_eq!(skew.len(), 1, "{skew:?}");
    assert!(skew[0]["skew_secs"].as_f64().unwrap() > 365.0 * 86_400.0);
    assert!(
        skew[0]["message"]
            .as_str()
            .unwrap()
            .contains("ahead of the database's"),
        "{skew:?}"
    );

    // C's clock says 1990: by it A's lease has decades to run; by the database's it runs out
    // two seconds after A took it, and C takes over then, not before.
    let behind = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap();
    let c = lease("c", Arc::new(FixedClock::new(behind)));
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
        taken.elapsed() >= Duration::from_millis(1_900),
        "taken over after {:?}, before A's two-second lease ran out",
        taken.elapsed()
    );
    assert!(captured.lines().iter().any(|l| l["message"]
        .as_str()
        .is_some_and(|m| m.contains("behind the database's"))));
}

on_both_backends!(
    a_lease_runs_by_the_database_clock,
    the_callers_clock_does_not_decide_who_holds_a_shard,
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
