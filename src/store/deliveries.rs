//! Claims and the delivery log behind "each scheduled post happens exactly once".
//!
//! A post is identified by what it is: (board, job, route, occasion) — the digest for a
//! reporting period, the reminder for a board-local day, the brief for a meeting — so moving a
//! board's time zone, schedule or channel never makes an occasion due a second time. Claiming
//! inserts that row; the unique key makes the insert succeed for exactly one process, on SQLite
//! and PostgreSQL alike. A claim holds a lease: if its holder dies before finishing, another
//! process may take it over once the lease has run out.
//!
//! Each message of a post is recorded twice: when its sending starts (which also renews the
//! claim and proves the sender still holds it) and when Discord confirms it. A takeover skips
//! the confirmed messages and, for one started but never confirmed, looks for it before
//! sending again.

use chrono::{DateTime, Duration, Utc};

use super::values::Instant;
use super::{Store, StoreError};

/// Hold a claim until `$1`, if post `$2` is still claimed by `$3`.
const RENEW_CLAIM: &str = "UPDATE scheduled_posts SET lease_until = $1 WHERE id = $2 \
                           AND claimed_by = $3 AND state = 'claimed'";

/// One scheduled post's identity, and where and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostKey {
    pub board_id: i64,
    /// `digest`, `reminder`, `meeting_brief` …
    pub job: String,
    /// What the post is: `period:2026-07-01`, `day:2026-12-02`, `meeting:2027-01-14 …`.
    pub occasion: String,
    /// `discord:<channel id>` or `webhook:<name>`. Part of the identity only through its
    /// route (`discord` or `webhook:<name>`), so a new channel does not make a new post.
    pub destination: String,
    /// When the schedule made it due (what the post is built as of).
    pub due_at: DateTime<Utc>,
}

impl PostKey {
    /// The destination without the channel: the board's Discord channel for the job is one
    /// route whichever channel that is.
    pub fn route(&self) -> &str {
        route_of(&self.destination)
    }
}

/// `discord` for any Discord channel, the destination itself otherwise.
fn route_of(destination: &str) -> &str {
    if destination.starts_with("discord:") {
        "discord"
    } else {
        destination
    }
}

/// A claim this process holds on a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub post_id: i64,
    /// Attempts already made by earlier holders (non-zero after a takeover).
    pub earlier_attempts: i64,
    /// Where and as of when the first holder claimed it: a takeover finishes that post, in
    /// that channel, even if the board's settings have moved since.
    pub destination: String,
    pub due_at: DateTime<Utc>,
}

/// A claim whose holder stopped without finishing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LapsedPost {
    pub post_id: i64,
    pub key: PostKey,
}

/// What is recorded of one message of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    pub part: u32,
    /// When its sending last started.
    pub started_at: DateTime<Utc>,
    /// Discord's id for it, once Discord confirmed it.
    pub message_id: Option<String>,
}

/// One message of a post, as the delivery log has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedMessage {
    pub board_id: i64,
    pub job: String,
    /// `discord:<channel id>` (or `webhook:<name>`).
    pub destination: String,
    /// Discord's id for the message, once it confirmed it.
    pub message_id: Option<String>,
}

/// A reminder that went out: what a nudge follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReminder {
    /// `day:2026-12-07` (with the time when reminders go out more than once a day).
    pub occasion: String,
    pub due_at: DateTime<Utc>,
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
    /// What the post is (`period:…`, `day:…`, `meeting:…`; `at:…` for posts claimed before
    /// occasions were recorded).
    pub occasion: String,
    pub destination: String,
    pub due_at: DateTime<Utc>,
    pub state: String,
    pub attempts: i64,
    /// Messages Discord has confirmed (a digest may take several).
    pub messages_confirmed: i64,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A scheduled post as its columns are read.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    slug: String,
    job: String,
    occasion: String,
    destination: String,
    due_at: Instant,
    state: String,
    attempts: i64,
    messages_confirmed: i64,
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
        let lease_until = Instant(now + lease);
        // No conflict target: the occasion's key decides, and so does the earlier release's
        // key on the instant, which keeps a post claimed before an upgrade from going twice.
        //
        // Nor is an occasion claimed that is older than one already claimed for the same job
        // and route (`day:2026-11-23` after `day:2026-11-30`): a time zone moved west can make
        // last week's reminder the latest due, and it was never meant to be posted late.
        let kind = format!(
            "{}%",
            key.occasion
                .split_inclusive(':')
                .next()
                .unwrap_or(&key.occasion)
        );
        let inserted: Option<i64> = on_pool!(self.pool(), |p| {
            sqlx::query_scalar(
                "INSERT INTO scheduled_posts (board_id, job, route, occasion, destination, due_at, \
                 state, claimed_by, lease_until) \
                 SELECT $1, $2, $3, $4, $5, $6, 'claimed', $7, $8 WHERE NOT EXISTS ( \
                 SELECT 1 FROM scheduled_posts WHERE board_id = $1 AND job = $2 AND route = $3 \
                 AND occasion LIKE $9 AND occasion > $4) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(key.board_id)
            .bind(&key.job)
            .bind(key.route())
            .bind(&key.occasion)
            .bind(&key.destination)
            .bind(Instant(key.due_at))
            .bind(worker)
            .bind(lease_until)
            .bind(&kind)
            .fetch_optional(p)
            .await
        })
        .map_err(|e| StoreError::classify(e, self.url()))?;
        if let Some(post_id) = inserted {
            return Ok(Some(Claim {
                post_id,
                earlier_attempts: 0,
                destination: key.destination.clone(),
                due_at: key.due_at,
            }));
        }
        // Take over a claim whose holder stopped before finishing and whose lease ran out.
        // The conditional update succeeds for one process only.
        let taken: Option<(i64, i64, String, Instant)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "UPDATE scheduled_posts SET claimed_by = $1, lease_until = $2 \
             WHERE board_id = $3 AND job = $4 AND route = $5 AND occasion = $6 \
             AND state = 'claimed' AND lease_until <= $7 \
             RETURNING id, attempts, destination, due_at",
        )
        .bind(worker)
        .bind(lease_until)
        .bind(key.board_id)
        .bind(&key.job)
        .bind(key.route())
        .bind(&key.occasion)
        .bind(Instant(now))
        .fetch_optional(p)
        .await)
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(taken.map(|(post_id, attempts, destination, due_at)| Claim {
            post_id,
            earlier_attempts: attempts,
            destination,
            due_at: due_at.0,
        }))
    }

    /// The board's reminders that went out (to the channel or to anyone by DM) due at or after
    /// `since`, oldest first, each once: its occasion and when it fell due. What nudges follow.
    pub async fn reminders_sent(
        &self,
        board_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<SentReminder>, StoreError> {
        let rows: Vec<(String, Instant)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT occasion, MIN(due_at) FROM scheduled_posts WHERE board_id = $1 \
             AND job = 'reminder' AND state = 'sent' AND occasion IS NOT NULL AND due_at >= $2 \
             GROUP BY occasion ORDER BY MIN(due_at), occasion",
        )
        .bind(board_id)
        .bind(Instant(since))
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(occasion, due_at)| SentReminder {
                occasion,
                due_at: due_at.0,
            })
            .collect())
    }

    /// When the reminder for `occasion` fell due, if it went out.
    pub async fn reminder_sent(
        &self,
        board_id: i64,
        occasion: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<Instant> = on_pool!(self.pool(), |p| sqlx::query_scalar(
            "SELECT MIN(due_at) FROM scheduled_posts WHERE board_id = $1 \
             AND job = 'reminder' AND state = 'sent' AND occasion = $2",
        )
        .bind(board_id)
        .bind(occasion)
        .fetch_one(p)
        .await)?;
        Ok(at.map(|t| t.0))
    }

    /// Where message `part` of post `post_id` went: the post's board, job and destination and
    /// the id Discord gave the message, once confirmed. What a control on a posted message
    /// names, so a click finds its message after a restart or on another process.
    pub async fn posted_message(
        &self,
        post_id: i64,
        part: u32,
    ) -> Result<Option<PostedMessage>, StoreError> {
        let row: Option<(i64, String, String, Option<String>)> =
            on_pool!(self.pool(), |p| sqlx::query_as(
                "SELECT s.board_id, s.job, s.destination, m.message_id FROM scheduled_posts s \
                 JOIN posted_messages m ON m.post_id = s.id WHERE s.id = $1 AND m.part = $2",
            )
            .bind(post_id)
            .bind(i64::from(part))
            .fetch_optional(p)
            .await)?;
        Ok(
            row.map(|(board_id, job, destination, message_id)| PostedMessage {
                board_id,
                job,
                destination,
                message_id,
            }),
        )
    }

    /// Note in a post's delivery log that it went somewhere else than its destination (a DM
    /// Discord refused, sent to the channel instead): an attempt entry with its own outcome,
    /// beside the attempt that finishes the post.
    pub async fn note_delivery(
        &self,
        post_id: i64,
        worker: &str,
        at: DateTime<Utc>,
        outcome: &str,
        http_status: Option<u16>,
        detail: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self.pool(), |p| sqlx::query(
            "INSERT INTO delivery_attempts (post_id, attempted_at, worker, outcome, http_status, \
             detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(post_id)
        .bind(Instant(at))
        .bind(worker)
        .bind(outcome)
        .bind(http_status.map(i64::from))
        .bind(detail)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The recorded messages of a post, in order.
    pub async fn post_parts(&self, post_id: i64) -> Result<Vec<PartRecord>, StoreError> {
        let rows: Vec<(i64, Instant, Option<String>)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT CAST(part AS BIGINT), started_at, message_id FROM posted_messages \
             WHERE post_id = $1 ORDER BY part",
        )
        .bind(post_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|(part, started_at, message_id)| {
                Ok(PartRecord {
                    part: u32::try_from(part)
                        .map_err(|_| StoreError::Corrupt(format!("message part {part}")))?,
                    started_at: started_at.0,
                    message_id,
                })
            })
            .collect()
    }

    /// Record that `worker` starts sending message `part` of a post, and renew its claim until
    /// `lease_until`, in one transaction. False when the claim is no longer `worker`'s (it ran
    /// out and another process took it over): the caller must not send.
    pub async fn start_part(
        &self,
        post_id: i64,
        part: u32,
        worker: &str,
        at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let classify = |e| StoreError::classify(e, self.url());
        let (mut tx, _turn) = self.begin_raw().await.map_err(classify)?;
        let held = on_tx!(&mut tx, |c| sqlx::query(RENEW_CLAIM)
            .bind(Instant(lease_until))
            .bind(post_id)
            .bind(worker)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))
        .map_err(classify)?;
        if held != 1 {
            return Ok(false);
        }
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO posted_messages (post_id, part, started_at) VALUES ($1, $2, $3) \
             ON CONFLICT (post_id, part) DO UPDATE SET started_at = excluded.started_at",
        )
        .bind(post_id)
        .bind(i64::from(part))
        .bind(Instant(at))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        Ok(true)
    }

    /// Record Discord's id for message `part` of a post, now that Discord has confirmed it.
    pub async fn confirm_part(
        &self,
        post_id: i64,
        part: u32,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self.pool(), |p| sqlx::query(
            "UPDATE posted_messages SET message_id = $1, confirmed_at = $2 \
             WHERE post_id = $3 AND part = $4",
        )
        .bind(message_id)
        .bind(Instant(at))
        .bind(post_id)
        .bind(i64::from(part))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(())
    }

    /// Claimed posts whose holder did not finish them and whose lease has run out at `now`,
    /// oldest first: a scheduler takes them over or gives them up.
    pub async fn lapsed_posts(&self, now: DateTime<Utc>) -> Result<Vec<LapsedPost>, StoreError> {
        let rows: Vec<(i64, i64, String, String, String, Instant)> =
            on_pool!(self.pool(), |p| sqlx::query_as(
                "SELECT id, board_id, job, COALESCE(occasion, ''), destination, due_at \
                 FROM scheduled_posts WHERE state = 'claimed' AND lease_until <= $1 \
                 ORDER BY due_at, id",
            )
            .bind(Instant(now))
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(post_id, board_id, job, occasion, destination, due_at)| LapsedPost {
                    post_id,
                    key: PostKey {
                        board_id,
                        job,
                        occasion,
                        destination,
                        due_at: due_at.0,
                    },
                },
            )
            .collect())
    }

    /// Give up a lapsed claim as failed, saying why (its admins are told, like any failed
    /// post). False if it is no longer lapsed (another process took it over meanwhile).
    pub async fn abandon_post(
        &self,
        post_id: i64,
        now: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self.pool(), |p| sqlx::query(
            "UPDATE scheduled_posts SET state = 'failed', finished_at = $1, last_error = $2 \
             WHERE id = $3 AND state = 'claimed' AND lease_until <= $1",
        )
        .bind(Instant(now))
        .bind(reason)
        .bind(post_id)
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(done == 1)
    }

    /// The earliest time a claimed, unfinished post may be taken over (its lease runs out):
    /// when the scheduler should look again at a post that could not be built or sent.
    pub async fn next_lapse(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<Instant> = on_pool!(self.pool(), |p| sqlx::query_scalar(
            "SELECT MIN(lease_until) FROM scheduled_posts WHERE state = 'claimed'"
        )
        .fetch_one(p)
        .await)?;
        Ok(at.map(|t| t.0))
    }

    /// Hold a claim longer (before a long wait between attempts). False if it was lost.
    pub async fn extend_lease(
        &self,
        post_id: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self.pool(), |p| sqlx::query(RENEW_CLAIM)
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
        let rows: Vec<DeliveryRow> = on_pool!(self.pool(), |p| {
            sqlx::query_as(
            "SELECT p.id, b.slug, p.job, COALESCE(p.occasion, '') AS occasion, p.destination, p.due_at, p.state, \
             p.attempts, (SELECT COUNT(*) FROM posted_messages m WHERE m.post_id = p.id \
             AND m.message_id IS NOT NULL) AS messages_confirmed, \
             p.finished_at, p.last_error FROM scheduled_posts p JOIN boards b ON b.id = p.board_id \
             WHERE ($1 < 0 OR p.board_id = $1) ORDER BY p.due_at DESC, p.id DESC LIMIT $2",
        )
        .bind(board_id.unwrap_or(-1))
        .bind(limit as i64)
        .fetch_all(p)
        .await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(DeliveryRecord {
                    post_id: row.id,
                    board: row.slug,
                    job: row.job,
                    occasion: row.occasion,
                    destination: row.destination,
                    due_at: row.due_at.0,
                    state: row.state,
                    attempts: row.attempts,
                    messages_confirmed: row.messages_confirmed,
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
