//! Many people writing at once: how the store makes writers wait their turn, and what it does
//! when two changes still collide.
//!
//! On SQLite every write transaction begins `IMMEDIATE`, taking the write lock before it reads,
//! so a second writer waits (up to [`SQLITE_BUSY_TIMEOUT`]) instead of failing when it tries
//! to upgrade a read lock that another writer has overtaken. On PostgreSQL a change locks the
//! rows it read (`FOR UPDATE`), so the state it changes is the state it read. What can still
//! collide — two new records with one ref, a deadlock, a serialization failure — is retried a
//! few times, the whole change from the start; a change that still cannot go through is
//! reported in words, and nothing of it is saved.

use std::future::Future;
use std::time::Duration;

use super::StoreError;

/// How long a SQLite writer waits for another process or task to finish writing before giving
/// up. Imports of 10,000 actions take about half a second, so ten queued at once fit.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a change that collided with another is tried in all.
const ATTEMPTS: u32 = 6;

/// Errors that say whether the change is worth trying again from the start.
pub trait Retryable {
    fn is_conflict(&self) -> bool;
}

impl Retryable for StoreError {
    fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}

/// What a driver error means for the person: the database stayed busy, two changes collided,
/// or something else.
pub(super) fn contention(err: &sqlx::Error) -> Option<StoreError> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    let code = db.code().unwrap_or_default();
    match code.as_ref() {
        // SQLITE_BUSY and its extended codes (recovery, snapshot, timeout): the busy timeout
        // ran out while another writer held the database.
        "5" | "261" | "517" | "773" => Some(StoreError::Busy {
            waited_secs: SQLITE_BUSY_TIMEOUT.as_secs(),
        }),
        // PostgreSQL's serialization_failure, deadlock_detected, lock_not_available,
        // unique_violation: a concurrent change got there first; the whole change is tried
        // again. (On SQLite writers never overlap, so a unique violation there is not a race.)
        "40001" | "40P01" | "55P03" | "23505" => Some(StoreError::Conflict(db.message().into())),
        _ => None,
    }
}

/// Run `change` (which opens and commits its own transaction) and, if it collided with another
/// change, run it again from the start after a short, growing pause. The last error is returned
/// when every attempt collided.
pub async fn retry_conflicts<T, E, F, Fut>(mut change: F) -> Result<T, E>
where
    E: Retryable,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match change().await {
            Err(e) if e.is_conflict() && attempt < ATTEMPTS => {
                tokio::time::sleep(pause(attempt)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// 5, 10, 20, 40, 80 ms, each with up to as much again of jitter so colliding writers spread out.
fn pause(attempt: u32) -> Duration {
    let base = 5u64 << (attempt - 1).min(6);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    ) % base;
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_conflict_is_tried_again_until_it_goes_through() {
        let calls = AtomicU32::new(0);
        let result: Result<u32, StoreError> = retry_conflicts(|| async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n < 3 {
                Err(StoreError::Conflict("collided".into()))
            } else {
                Ok(n)
            }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn other_errors_and_endless_conflicts_are_returned() {
        let calls = AtomicU32::new(0);
        let result: Result<(), StoreError> = retry_conflicts(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Corrupt("bad".into()))
        })
        .await;
        assert!(matches!(result, Err(StoreError::Corrupt(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        calls.store(0, Ordering::SeqCst);
        let result: Result<(), StoreError> = retry_conflicts(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Conflict("collided".into()))
        })
        .await;
        assert!(matches!(result, Err(StoreError::Conflict(_))));
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
    }

    /// A real SQLite error for a write refused because another connection holds the lock.
    #[tokio::test]
    async fn a_locked_sqlite_database_is_busy_not_a_driver_message() {
        use sqlx::{ConnectOptions, Connection};
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("busy.db"))
            .create_if_missing(true)
            .busy_timeout(Duration::ZERO);
        let mut holder = options.connect().await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
            .execute(&mut holder)
            .await
            .unwrap();
        let mut other = options.connect().await.unwrap();
        let refused = sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .unwrap_err();
        assert!(matches!(
            StoreError::from(refused),
            StoreError::Busy { waited_secs: 10 }
        ));
        let _ = other.close().await;
        let _ = holder.close().await;
    }

    /// A real PostgreSQL unique violation (two new records with one key at the same moment) is
    /// a conflict to retry; other errors are not. Needs `TEST_POSTGRES_URL`.
    #[tokio::test]
    async fn a_postgres_unique_violation_is_a_conflict() {
        use sqlx::Connection;
        let Some(url) = std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            eprintln!("TEST_POSTGRES_URL is not set: skipping");
            return;
        };
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let duplicate = sqlx::raw_sql(
            "CREATE TEMPORARY TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (1)",
        )
        .execute(&mut conn)
        .await
        .unwrap_err();
        assert!(StoreError::from(duplicate).is_conflict());
        let syntax = sqlx::raw_sql("SELEKT 1")
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(matches!(StoreError::from(syntax), StoreError::Database(_)));
        let _ = conn.close().await;
    }

    #[test]
    fn pauses_grow_and_stay_short() {
        for attempt in 1..ATTEMPTS {
            let base = 5u64 << (attempt - 1);
            let p = pause(attempt).as_millis() as u64;
            assert!((base..2 * base).contains(&p), "attempt {attempt}: {p} ms");
        }
    }
}
