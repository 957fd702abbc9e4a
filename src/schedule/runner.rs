//! The scheduler's loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{watch, Notify};

use crate::clock::Clock;
use crate::delivery::DeliveryError;
use crate::digest::brief_due_at;
use crate::domain::{Board, Meeting, Schedule};
use crate::monitoring::Metrics;
use crate::services::ServiceError;
use crate::store::{AttemptRecord, Claim, Finish, PostKey, PostOutcome, Store, StoreError};

/// What is posted on a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// The quarterly briefing digest.
    Digest,
    /// Overdue and due-soon reminders.
    Reminder,
    /// The brief of the presenting boroughs' action plans, some days before a meeting.
    MeetingBrief,
}

/// Every job, in the order a pass handles them.
pub const JOBS: [Job; 3] = [Job::Digest, Job::Reminder, Job::MeetingBrief];

impl Job {
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Digest => "digest",
            Job::Reminder => "reminder",
            Job::MeetingBrief => "meeting_brief",
        }
    }

    fn schedule(self, board: &Board) -> Option<&Schedule> {
        match self {
            Job::Digest => Some(&board.settings.digest_schedule),
            Job::Reminder => Some(&board.settings.reminder_schedule),
            Job::MeetingBrief => None,
        }
    }

    /// The brief times of the board's meetings.
    fn brief_times<'a>(
        board: &'a Board,
        meetings: &'a [Meeting],
    ) -> impl Iterator<Item = DateTime<Utc>> + 'a {
        meetings.iter().filter_map(|m| {
            brief_due_at(
                &board.settings.time_zone,
                m,
                board.settings.meeting_brief_days,
            )
        })
    }

    /// The latest time this job was due at or before `now`, not before `not_before`.
    pub fn latest_due(
        self,
        board: &Board,
        meetings: &[Meeting],
        now: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self.schedule(board) {
            Some(schedule) => {
                schedule.latest_at_or_before(&board.settings.time_zone, now, not_before)
            }
            None => Self::brief_times(board, meetings)
                .filter(|t| *t <= now && *t >= not_before)
                .max(),
        }
    }

    /// The next time this job is due after `now`.
    pub fn next_due(
        self,
        board: &Board,
        meetings: &[Meeting],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self.schedule(board) {
            Some(schedule) => schedule.next_after(&board.settings.time_zone, now),
            None => Self::brief_times(board, meetings)
                .filter(|t| *t > now)
                .min(),
        }
    }
}

/// A boxed future, so posters can be trait objects.
pub type PosterFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Builds and sends scheduled posts. The runner decides when and guarantees once; the poster
/// decides what and where.
pub trait Poster: Send + Sync {
    /// What to post, built from the board's record at the post's due time.
    type Post: Send + Sync;

    /// Where this job goes for this board (e.g. `discord:<channel>`, `webhook:<name>`); empty
    /// when the board has not set a destination.
    fn destinations<'a>(&'a self, board: &'a Board, job: Job) -> PosterFuture<'a, Vec<String>>;

    /// Build the post, or `None` when there is nothing to say (a reminder with nothing due).
    fn prepare<'a>(
        &'a self,
        board: &'a Board,
        job: Job,
        due_at: DateTime<Utc>,
    ) -> PosterFuture<'a, anyhow::Result<Option<Self::Post>>>;

    /// Send it once. `nonce` is the same on every attempt at one post, so a destination that
    /// de-duplicates by nonce (Discord does) never shows it twice. Returns the message id.
    fn deliver<'a>(
        &'a self,
        board: &'a Board,
        destination: &'a str,
        post: &'a Self::Post,
        nonce: &'a str,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>>;
}

/// How the runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Names this process in claims and the delivery log.
    pub worker: String,
    /// How long a claim is held before another process may take it over.
    pub lease: Duration,
    /// Attempts per post before giving up on temporary failures.
    pub max_attempts: u32,
    /// First wait between attempts (doubles each time, unless the destination says how long).
    pub first_backoff: Duration,
    /// The longest the runner sleeps without re-reading the boards.
    pub max_sleep: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            worker: format!("worker-{}", std::process::id()),
            lease: Duration::minutes(5),
            max_attempts: 5,
            first_backoff: Duration::seconds(1),
            max_sleep: Duration::hours(1),
        }
    }
}

/// What happened to one scheduled post in one pass of the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostReport {
    pub board: String,
    pub job: Job,
    pub destination: String,
    pub due_at: DateTime<Utc>,
    pub outcome: PostOutcome,
}

/// The scheduler: one per process; any number may share a database.
pub struct Runner<P: Poster> {
    store: Store,
    clock: Arc<dyn Clock>,
    poster: Arc<P>,
    settings: RunnerSettings,
    /// Notified when a board's schedule or destinations change, so the runner recomputes its
    /// next wake-up instead of sleeping through the change.
    changed: Arc<Notify>,
    /// Scheduled posts by outcome and database errors, for `/metrics`.
    metrics: Metrics,
}

impl<P: Poster> Runner<P> {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        poster: Arc<P>,
        settings: RunnerSettings,
    ) -> Self {
        Self {
            store,
            clock,
            poster,
            settings,
            changed: Arc::new(Notify::new()),
            metrics: Metrics::new(),
        }
    }

    /// Count posts and database errors in these metrics (the bot's, served on `/metrics`).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Count a database error if `error` is one (directly, or inside a service's error).
    fn count_database_error(&self, error: &anyhow::Error) {
        let from_database = error.chain().any(|cause| {
            cause.is::<StoreError>()
                || matches!(
                    cause.downcast_ref::<ServiceError>(),
                    Some(ServiceError::Store(_))
                )
        });
        if from_database {
            self.metrics.database_error("scheduler");
        }
    }

    /// Share a wake-up handle with whoever changes schedules (the bot's `/setup` commands).
    pub fn with_change_notifier(mut self, changed: Arc<Notify>) -> Self {
        self.changed = changed;
        self
    }

    /// A handle to wake the runner when schedules change.
    pub fn change_notifier(&self) -> Arc<Notify> {
        self.changed.clone()
    }

    /// Run until `shutdown` turns true.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = self.clock.now();
            if let Err(e) = self.run_due(now).await {
                self.count_database_error(&e);
                tracing::error!(error = %e, "scheduler pass failed; will retry at the next wake-up");
            }
            let next = match self.next_wake(now).await {
                Ok(next) => next,
                Err(e) => {
                    self.count_database_error(&e);
                    tracing::error!(error = %e, "could not read schedules");
                    now + Duration::minutes(1)
                }
            };
            tokio::select! {
                _ = self.clock.sleep_until(next) => {}
                _ = self.changed.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// The earliest next fire time across every board and job, capped at `max_sleep`.
    pub async fn next_wake(&self, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
        let mut next = now + self.settings.max_sleep;
        for board in self.store.boards().await? {
            let meetings = self.meetings_if_needed(&board).await?;
            for job in JOBS {
                if self.poster.destinations(&board, job).await.is_empty() {
                    continue;
                }
                if let Some(t) = job.next_due(&board, &meetings, now) {
                    next = next.min(t);
                }
            }
        }
        Ok(next)
    }

    /// The board's meetings, read only when meeting briefs have somewhere to go.
    async fn meetings_if_needed(&self, board: &Board) -> anyhow::Result<Vec<Meeting>> {
        if self
            .poster
            .destinations(board, Job::MeetingBrief)
            .await
            .is_empty()
        {
            Ok(Vec::new())
        } else {
            Ok(self.store.meetings(board.id).await?)
        }
    }

    /// Post everything that is due at `now` and not yet posted: for each board and job, the
    /// latest scheduled time within the board's catch-up window. Older missed times are never
    /// replayed, so downtime produces at most one catch-up post per job.
    pub async fn run_due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<PostReport>> {
        let mut reports = Vec::new();
        for board in self.store.boards().await? {
            let meetings = self.meetings_if_needed(&board).await?;
            for job in JOBS {
                let destinations = self.poster.destinations(&board, job).await;
                if destinations.is_empty() {
                    continue;
                }
                let window = Duration::days(i64::from(board.settings.catch_up_days));
                let Some(due_at) = job.latest_due(&board, &meetings, now, now - window) else {
                    continue;
                };
                for destination in destinations {
                    let key = PostKey {
                        board_id: board.id,
                        job: job.as_str().to_string(),
                        destination: destination.clone(),
                        due_at,
                    };
                    let Some(claim) = self
                        .store
                        .claim_post(&key, &self.settings.worker, now, self.settings.lease)
                        .await?
                    else {
                        continue;
                    };
                    let outcome = match self.deliver(&board, job, &destination, due_at, claim).await
                    {
                        Ok(outcome) => outcome,
                        Err(e) => {
                            // One board's trouble must not hold up the others' posts. The
                            // claim lapses, so a later pass (or another process) tries again.
                            self.count_database_error(&e);
                            self.metrics.scheduled_post(job.as_str(), "error");
                            tracing::error!(board = %board.slug, job = job.as_str(), destination, outcome = "error", error = format!("{e:#}"), "scheduled post not sent; it will be tried again once its claim lapses");
                            continue;
                        }
                    };
                    self.metrics.scheduled_post(job.as_str(), outcome.as_str());
                    reports.push(PostReport {
                        board: board.slug.to_string(),
                        job,
                        destination,
                        due_at,
                        outcome,
                    });
                }
            }
        }
        Ok(reports)
    }

    /// Build and send one claimed post, retrying temporary failures with backoff.
    async fn deliver(
        &self,
        board: &Board,
        job: Job,
        destination: &str,
        due_at: DateTime<Utc>,
        claim: Claim,
    ) -> anyhow::Result<PostOutcome> {
        let worker = &self.settings.worker;
        let post = match self.poster.prepare(board, job, due_at).await {
            Ok(Some(post)) => post,
            Ok(None) => {
                self.store
                    .finish_post(
                        claim.post_id,
                        worker,
                        PostOutcome::NothingToPost,
                        self.clock.now(),
                        None,
                        None,
                    )
                    .await?;
                tracing::info!(board = %board.slug, job = job.as_str(), outcome = "nothing_to_post", "scheduled post");
                return Ok(PostOutcome::NothingToPost);
            }
            Err(e) => {
                // Leave the claim to expire so a later pass (or another process) retries.
                return Err(e.context("could not build the post"));
            }
        };
        let nonce = format!("bb{}", claim.post_id);
        let mut backoff = self.settings.first_backoff;
        let mut attempt = claim.earlier_attempts as u32;
        loop {
            attempt += 1;
            let result = self.poster.deliver(board, destination, &post, &nonce).await;
            let now = self.clock.now();
            match result {
                Ok(message_id) => {
                    let attempt_record = AttemptRecord {
                        outcome: "sent",
                        http_status: Some(200),
                        detail: None,
                    };
                    let finish = Finish {
                        outcome: PostOutcome::Sent,
                        message_id: message_id.as_deref(),
                        error: None,
                    };
                    self.store
                        .record_attempt(claim.post_id, worker, now, attempt_record, Some(finish))
                        .await?;
                    tracing::info!(board = %board.slug, job = job.as_str(), destination, attempt, outcome = "sent", "scheduled post");
                    return Ok(PostOutcome::Sent);
                }
                Err(DeliveryError::Retry {
                    status,
                    retry_after,
                    detail,
                }) if attempt < self.settings.max_attempts => {
                    let attempt_record = AttemptRecord {
                        outcome: "retry",
                        http_status: status,
                        detail: Some(&detail),
                    };
                    self.store
                        .record_attempt(claim.post_id, worker, now, attempt_record, None)
                        .await?;
                    let wait = retry_after
                        .and_then(|r| Duration::from_std(r.wait_from(now)).ok())
                        .map(|d| d.max(Duration::milliseconds(1)))
                        .unwrap_or(backoff);
                    tracing::warn!(board = %board.slug, job = job.as_str(), destination, attempt, status, wait_ms = wait.num_milliseconds(), "scheduled post will be retried");
                    // Keep the claim through the wait, or another process could take it over.
                    let until = now + wait + self.settings.lease;
                    if !self
                        .store
                        .extend_lease(claim.post_id, worker, until)
                        .await?
                    {
                        tracing::warn!(board = %board.slug, job = job.as_str(), destination, attempt, outcome = "failed", "scheduled post: lost the claim to another process; leaving the post to it");
                        return Ok(PostOutcome::Failed);
                    }
                    self.clock.sleep_until(now + wait).await;
                    backoff = backoff * 2;
                }
                Err(error) => {
                    let status = match &error {
                        DeliveryError::Retry { status, .. }
                        | DeliveryError::Permanent { status, .. } => *status,
                    };
                    let detail = error.to_string();
                    let attempt_record = AttemptRecord {
                        outcome: "failed",
                        http_status: status,
                        detail: Some(&detail),
                    };
                    let finish = Finish {
                        outcome: PostOutcome::Failed,
                        message_id: None,
                        error: Some(&detail),
                    };
                    self.store
                        .record_attempt(claim.post_id, worker, now, attempt_record, Some(finish))
                        .await?;
                    tracing::error!(board = %board.slug, job = job.as_str(), destination, attempt, error = %detail, outcome = "failed", "scheduled post failed");
                    return Ok(PostOutcome::Failed);
                }
            }
        }
    }
}
