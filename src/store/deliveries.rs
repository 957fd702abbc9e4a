//! Claims and the delivery log behind "each scheduled post happens exactly once".
//!
//! A post is identified by (board, job, destination, scheduled instant). Claiming inserts that
//! row; the unique key makes the insert succeed for exactly one process, on SQLite and
//! PostgreSQL alike. A claim holds a lease: if its holder dies before finishing, another
//! process may take it over once the lease has run out (the Discord poster sends a nonce, so
//! a message the dead process did manage to send is not sent twice).

use chrono::{DateTime, Duration, Utc};

use super::values::Instant;
use super::{Store, StoreError};

/// One scheduled post's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostKey {
    pub board_id: i64,
    /// `digest`, `reminder`, `meeting_brief` …
    pub job: String,
    /// `discord:<channel id>` or `webhook:<name>`.
    pub destination: String,
    pub due_at: DateTime<Utc>,
}

/// A claim this process holds on a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub post_id: i64,
    /// Attempts already made by earlier holders (non-zero after a takeover).
    pub earlier_attempts: i64,
}

/// How a post ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    Sent,
    NothingToPost,
    Failed,
}

impl PostOutcome {
    /// The outcome as the delivery log and the metrics name it.
    pub fn as_str(self) -> &'static str {
        match self {
            PostOutcome::Sent => "sent",
            PostOutcome::NothingToPost => "nothing_to_post",
            PostOutcome::Failed => "failed",
        }
    }
}

/// One delivery attempt as the log records it.
#[derive(Debug, Clone, Copy)]
pub struct AttemptRecord<'a> {
    /// `sent`, `retry` or `failed`.
    pub outcome: &'a str,
    pub http_status: Option<u16>,
    pub detail: Option<&'a str>,
}

/// How a post ended, recorded with its last attempt.
#[derive(Debug, Clone, Copy)]
pub struct Finish<'a> {
    pub outcome: PostOutcome,
    pub message_id: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// One row of the delivery log, for `briefing-bot deliveries` and for telling admins.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRecord {
    pub post_id: i64,
    pub board: String,
    pub job: String,
    pub destination: String,
    pub due_at: DateTime<Utc>,
    pub state: String,
    pub attempts: i64,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A scheduled post as its columns are read.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    slug: String,
    job: String,
    destination: String,
    due_at: Instant,
    state: String,
    attempts: i64,
    finished_at: Option<Instant>,
    last_error: Option<String>,
}

impl Store {
    /// Claim a post for `worker`. `None` means another process has it or it is finished.
    pub async fn claim_post(
        &self,
        key: &PostKey,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<Claim>, StoreError> {
        let due = Instant(key.due_at);
        let lease_until = Instant(now + lease);
        let inserted: Option<i64> = on_pool!(self.pool(), |p| {
            sqlx::query_scalar(
            "INSERT INTO scheduled_posts (board_id, job, destination, due_at, state, claimed_by, \
             lease_until) VALUES ($1, $2, $3, $4, 'claimed', $5, $6) \
             ON CONFLICT (board_id, job, destination, due_at) DO NOTHING RETURNING id",
        )
        .bind(key.board_id)
        .bind(&key.job)
        .bind(&key.destination)
        .bind(due)
        .bind(worker)
        .bind(lease_until)
        .fetch_optional(p)
        .await
        })
        .map_err(|e| StoreError::classify(e, self.url()))?;
        if let Some(post_id) = inserted {
            return Ok(Some(Claim {
                post_id,
                earlier_attempts: 0,
            }));
        }
        // Take over a claim whose holder stopped before finishing and whose lease ran out.
        // The conditional update succeeds for one process only.
        let taken: Option<(i64, i64)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "UPDATE scheduled_posts SET claimed_by = $1, lease_until = $2 \
             WHERE board_id = $3 AND job = $4 AND destination = $5 AND due_at = $6 \
             AND state = 'claimed' AND lease_until < $7 RETURNING id, attempts",
        )
        .bind(worker)
        .bind(lease_until)
        .bind(key.board_id)
        .bind(&key.job)
        .bind(&key.destination)
        .bind(due)
        .bind(Instant(now))
        .fetch_optional(p)
        .await)
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(taken.map(|(post_id, attempts)| Claim {
            post_id,
            earlier_attempts: attempts,
        }))
    }

    /// Hold a claim longer (before a long wait between attempts). False if it was lost.
    pub async fn extend_lease(
        &self,
        post_id: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self.pool(), |p| sqlx::query(
            "UPDATE scheduled_posts SET lease_until = $1 WHERE id = $2 AND claimed_by = $3 \
             AND state = 'claimed'",
        )
        .bind(Instant(until))
        .bind(post_id)
        .bind(worker)
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(done == 1)
    }

    /// Log one delivery attempt and, when it ends the post, how it ended — in one
    /// transaction, so a busy scheduler pays one durable commit per attempt. Returns false if
    /// the post was to be finished but this worker no longer held the claim.
    pub async fn record_attempt(
        &self,
        post_id: i64,
        worker: &str,
        at: DateTime<Utc>,
        attempt: AttemptRecord<'_>,
        finish: Option<Finish<'_>>,
    ) -> Result<bool, StoreError> {
        let classify = |e| StoreError::classify(e, self.url());
        let (mut tx, _turn) = self.begin_raw().await.map_err(classify)?;
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO delivery_attempts (post_id, attempted_at, worker, outcome, http_status, \
             detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(post_id)
        .bind(Instant(at))
        .bind(worker)
        .bind(attempt.outcome)
        .bind(attempt.http_status.map(i64::from))
        .bind(attempt.detail)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(classify)?;
        let mut finished = true;
        match finish {
            None => {
                on_tx!(&mut tx, |c| sqlx::query(
                    "UPDATE scheduled_posts SET attempts = attempts + 1 WHERE id = $1"
                )
                .bind(post_id)
                .execute(c)
                .await
                .map(|done| done.rows_affected()))
                .map_err(classify)?;
            }
            Some(f) => {
                let done = on_tx!(&mut tx, |c| sqlx::query(
                    "UPDATE scheduled_posts SET attempts = attempts + 1, state = $1, \
                     finished_at = $2, message_id = $3, last_error = $4 \
                     WHERE id = $5 AND claimed_by = $6 AND state = 'claimed'",
                )
                .bind(f.outcome.as_str())
                .bind(Instant(at))
                .bind(f.message_id)
                .bind(f.error)
                .bind(post_id)
                .bind(worker)
                .execute(c)
                .await
                .map(|done| done.rows_affected()))
                .map_err(classify)?;
                finished = done == 1;
            }
        }
        tx.commit().await.map_err(classify)?;
        Ok(finished)
    }

    /// Record how a claimed post ended. Only the current holder's claim is finished.
    pub async fn finish_post(
        &self,
        post_id: i64,
        worker: &str,
        outcome: PostOutcome,
        at: DateTime<Utc>,
        message_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self.pool(), |p| sqlx::query(
            "UPDATE scheduled_posts SET state = $1, finished_at = $2, message_id = $3, \
             last_error = $4 WHERE id = $5 AND claimed_by = $6 AND state = 'claimed'",
        )
        .bind(outcome.as_str())
        .bind(Instant(at))
        .bind(message_id)
        .bind(error)
        .bind(post_id)
        .bind(worker)
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(done == 1)
    }

    /// The most recent scheduled posts, newest first, optionally of one board.
    pub async fn deliveries(
        &self,
        board_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows: Vec<DeliveryRow> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT p.id, b.slug, p.job, p.destination, p.due_at, p.state, p.attempts, \
             p.finished_at, p.last_error FROM scheduled_posts p JOIN boards b ON b.id = p.board_id \
             WHERE ($1 < 0 OR p.board_id = $1) ORDER BY p.due_at DESC, p.id DESC LIMIT $2",
        )
        .bind(board_id.unwrap_or(-1))
        .bind(limit as i64)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|row| {
                Ok(DeliveryRecord {
                    post_id: row.id,
                    board: row.slug,
                    job: row.job,
                    destination: row.destination,
                    due_at: row.due_at.0,
                    state: row.state,
                    attempts: row.attempts,
                    finished_at: row.finished_at.map(|t| t.0),
                    last_error: row.last_error,
                })
            })
            .collect()
    }

    /// Failed posts of a board that its admins have not been told about yet, oldest first.
    pub async fn unreported_failures(
        &self,
        board_id: i64,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let all = self.deliveries(Some(board_id), 200).await?;
        let reported: Vec<(i64,)> = on_pool!(self.pool(), |p| {
            sqlx::query_as(
            "SELECT id FROM scheduled_posts WHERE board_id = $1 AND state = 'failed' AND reported = 0",
        )
        .bind(board_id)
        .fetch_all(p)
        .await
        })?;
        let ids: Vec<i64> = reported.into_iter().map(|(id,)| id).collect();
        let mut failures: Vec<DeliveryRecord> = all
            .into_iter()
            .filter(|d| ids.contains(&d.post_id))
            .collect();
        failures.reverse();
        Ok(failures)
    }

    /// Mark failures as reported to the board's admins.
    pub async fn mark_failures_reported(&self, post_ids: &[i64]) -> Result<(), StoreError> {
        for id in post_ids {
            on_pool!(self.pool(), |p| sqlx::query(
                "UPDATE scheduled_posts SET reported = 1 WHERE id = $1"
            )
            .bind(id)
            .execute(p)
            .await
            .map(|done| done.rows_affected()))
            .map_err(|e| StoreError::classify(e, self.url()))?;
        }
        Ok(())
    }

    /// Attempts logged for one post, oldest first: (at, outcome, http status, detail).
    pub async fn attempts_of(
        &self,
        post_id: i64,
    ) -> Result<Vec<(DateTime<Utc>, String, Option<i64>, Option<String>)>, StoreError> {
        let rows: Vec<(Instant, String, Option<i64>, Option<String>)> =
            on_pool!(self.pool(), |p| sqlx::query_as(
                "SELECT attempted_at, outcome, http_status, detail FROM delivery_attempts \
             WHERE post_id = $1 ORDER BY id",
            )
            .bind(post_id)
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(at, outcome, status, detail)| (at.0, outcome, status, detail))
            .collect())
    }
}
