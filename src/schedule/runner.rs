//! The scheduler's loop.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::FutureExt as _;
use tokio::sync::watch;

use super::sending::Sending;
use super::wakeup::Wakeup;
use crate::clock::Clock;
use crate::delivery::DeliveryError;
use crate::digest::brief_due_at;
use crate::domain::{Board, Meeting, Period, Schedule};
use crate::monitoring::{Heartbeat, Metrics};
use crate::services::ServiceError;
use crate::store::{
    AttemptRecord, Claim, Finish, PostKey, PostOutcome, SentReminder, Store, StoreError,
};

/// What is posted on a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// The quarterly briefing digest.
    Digest,
    /// Overdue and due-soon reminders.
    Reminder,
    /// The brief of the presenting boroughs' action plans, some days before a meeting.
    MeetingBrief,
    /// The follow-up some days after a reminder, to the officers who have not answered it.
    Nudge,
}

/// Every job, in the order a pass handles them.
pub const JOBS: [Job; 4] = [Job::Digest, Job::Reminder, Job::MeetingBrief, Job::Nudge];

/// What the jobs that are not on a cron schedule fall due by: the board's meetings (a brief
/// some days before each) and the reminders that went out (a nudge some days after each).
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub meetings: Vec<Meeting>,
    pub reminders_sent: Vec<SentReminder>,
}

/// One occasion a job posts for, and when the schedule made it due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    /// What the post is, independent of when or where it goes: `period:<first day>` for the
    /// digest of a reporting period, `day:<board-local date>` for a reminder,
    /// `meeting:<date> <title>` for a pre-meeting brief, `after:<reminder's occasion>` for a
    /// nudge; followed by the board-local time it fires at when its schedule fires more than
    /// once for one period or day.
    pub occasion: String,
}

impl Job {
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Digest => "digest",
            Job::Reminder => "reminder",
            Job::MeetingBrief => "meeting_brief",
            Job::Nudge => "nudge",
        }
    }

    /// The job the delivery log names so.
    pub fn from_name(name: &str) -> Option<Self> {
        JOBS.into_iter().find(|job| job.as_str() == name)
    }

    /// What a digest or reminder due at `at` is about: the period the digest reviews, the
    /// board-local day of the reminder.
    fn subject_at(self, board: &Board, at: DateTime<Utc>) -> String {
        let day = board.settings.time_zone.today(at);
        match self {
            Job::Digest => {
                let period = Period::reviewed_on(day, board.settings.year_start_month.get());
                format!("period:{}", period.start)
            }
            Job::Reminder | Job::MeetingBrief | Job::Nudge => format!("day:{day}"),
        }
    }

    /// The occasion a digest or reminder due at `at` is for: its subject (see
    /// [`Job::subject_at`]), so moving the schedule or the time zone moves the instant but not
    /// the occasion, and an occasion already posted is not posted again. A schedule that
    /// fires more than once for one subject (reminders twice a day, a monthly digest, a
    /// demonstration every 5 seconds) means each of those posts: the occasion then also
    /// names the board-local time it fires at, which a time-zone change does not move.
    fn occasion_at(self, board: &Board, schedule: &Schedule, at: DateTime<Utc>) -> String {
        let subject = self.subject_at(board, at);
        let tz = &board.settings.time_zone;
        // A quarter is the longest subject: look no further back than that.
        let before =
            schedule.latest_at_or_before(tz, at - Duration::seconds(1), at - Duration::days(93));
        let after = schedule.next_after(tz, at);
        let shared = [before, after]
            .into_iter()
            .flatten()
            .any(|t| self.subject_at(board, t) == subject);
        if shared {
            // The day's own subject already names the date.
            let format = match self {
                Job::Digest => "%Y-%m-%d %H:%M:%S",
                Job::Reminder | Job::MeetingBrief | Job::Nudge => "%H:%M:%S",
            };
            format!("{subject} {}", at.with_timezone(&tz.0).format(format))
        } else {
            subject
        }
    }

    fn meeting_occasion(meeting: &Meeting) -> String {
        format!("meeting:{} {}", meeting.held_on, meeting.title)
    }

    fn schedule(self, board: &Board) -> Option<&Schedule> {
        match self {
            Job::Digest => Some(&board.settings.digest_schedule),
            Job::Reminder => Some(&board.settings.reminder_schedule),
            Job::MeetingBrief | Job::Nudge => None,
        }
    }

    /// The brief times of the board's meetings, with the occasion of each.
    fn briefs<'a>(board: &'a Board, meetings: &'a [Meeting]) -> impl Iterator<Item = Due> + 'a {
        meetings.iter().filter_map(|m| {
            brief_due_at(
                &board.settings.time_zone,
                m,
                board.settings.meeting_brief_days,
            )
            .map(|at| Due {
                at,
                occasion: Self::meeting_occasion(m),
            })
        })
    }

    /// The nudge after each reminder sent, at the same board-local time `nudge_after_days`
    /// later; none for a reminder overtaken by the next one (a reminder due after it and by
    /// the nudge's time lists again what is still outstanding), and none when nudges are off.
    fn nudges<'a>(board: &'a Board, sent: &'a [SentReminder]) -> impl Iterator<Item = Due> + 'a {
        let settings = &board.settings;
        let tz = &settings.time_zone;
        sent.iter().filter_map(move |r| {
            let after = settings.nudge_after_days?;
            let at = r
                .due_at
                .with_timezone(&tz.0)
                .checked_add_days(chrono::Days::new(u64::from(after)))?
                .with_timezone(&Utc);
            let overtaken = settings
                .reminder_schedule
                .latest_at_or_before(tz, at, r.due_at + Duration::seconds(1))
                .is_some();
            (!overtaken).then(|| Due {
                at,
                occasion: format!("after:{}", r.occasion),
            })
        })
    }

    /// The occasions of a job that falls due by the calendar, not by a cron schedule.
    fn listed<'a>(self, board: &'a Board, calendar: &'a Calendar) -> Vec<Due> {
        match self {
            Job::MeetingBrief => Self::briefs(board, &calendar.meetings).collect(),
            Job::Nudge => Self::nudges(board, &calendar.reminders_sent).collect(),
            Job::Digest | Job::Reminder => Vec::new(),
        }
    }

    /// The latest occasion this job was due at or before `now`, not before `not_before`.
    pub fn latest_due(
        self,
        board: &Board,
        calendar: &Calendar,
        now: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Option<Due> {
        match self.schedule(board) {
            Some(schedule) => schedule
                .latest_at_or_before(&board.settings.time_zone, now, not_before)
                .map(|at| Due {
                    at,
                    occasion: self.occasion_at(board, schedule, at),
                }),
            None => self
                .listed(board, calendar)
                .into_iter()
                .filter(|due| due.at <= now && due.at >= not_before)
                .max_by_key(|due| due.at),
        }
    }

    /// The next time this job is due after `now`.
    pub fn next_due(
        self,
        board: &Board,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self.schedule(board) {
            Some(schedule) => schedule.next_after(&board.settings.time_zone, now),
            None => self
                .listed(board, calendar)
                .into_iter()
                .map(|due| due.at)
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
    /// `occasion` is what the post is (see [`Due::occasion`]), the same for every destination
    /// and every attempt: a poster that keeps what it sent (the digest archive) keys it so.
    fn prepare<'a>(
        &'a self,
        board: &'a Board,
        job: Job,
        occasion: &'a str,
        due_at: DateTime<Utc>,
    ) -> PosterFuture<'a, anyhow::Result<Option<Self::Post>>>;

    /// Send it, message by message, through `sending`: skip the messages it says are
    /// confirmed, look for one it says may already have arrived, call `start` before and
    /// `confirm` after each. Returns the first message's id.
    fn deliver<'a>(
        &'a self,
        board: &'a Board,
        destination: &'a str,
        post: &'a Self::Post,
        sending: &'a mut Sending,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>>;

    /// Whether `post` has anything for `destination`: a reminder or nudge with nothing for
    /// an officer who gets theirs by DM is "nothing to post" there, not a post sent empty.
    fn has_anything_for(&self, _post: &Self::Post, _destination: &str) -> bool {
        true
    }
}

/// How the runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Names this process in claims and the delivery log.
    pub worker: String,
    /// How long a claim is held before another process may take it over.
    pub lease: Duration,
    /// Attempts per post before giving up, on temporary failures to send or to build.
    pub max_attempts: u32,
    /// First wait between attempts to send (doubles each time, unless the destination says
    /// how long).
    pub first_backoff: Duration,
    /// First wait before building a post again after it could not be built (doubles each
    /// time): slow enough that a broken record is not rebuilt in a tight loop.
    pub rebuild_after: Duration,
    /// The longest the runner sleeps without re-reading the boards (settings changed by
    /// another process, such as the command line, apply within this).
    pub max_sleep: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            worker: format!("worker-{}", std::process::id()),
            lease: Duration::minutes(5),
            max_attempts: 5,
            first_backoff: Duration::seconds(1),
            rebuild_after: Duration::minutes(1),
            max_sleep: Duration::minutes(5),
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
    pub occasion: String,
    pub outcome: PostOutcome,
}

/// The scheduler: one per process; any number may share a database.
pub struct Runner<P: Poster> {
    store: Store,
    clock: Arc<dyn Clock>,
    poster: Arc<P>,
    settings: RunnerSettings,
    /// Changed when a board's schedule or destinations change, so the runner recomputes its
    /// next wake-up instead of sleeping through the change.
    wakeup: Wakeup,
    /// Scheduled posts by outcome, database errors and restarts, for `/metrics`.
    metrics: Metrics,
    /// When the last pass completed, for `/healthz`.
    heartbeat: Heartbeat,
}

/// The least a post can be late and still go out: the runner wakes a moment after a post
/// falls due, so even a board that catches nothing up (`catch_up_days = 0`) needs this much.
const ON_TIME_GRACE: Duration = Duration::minutes(10);

/// How long after falling due a post still goes out: the board's catch-up window, and never
/// less than [`ON_TIME_GRACE`].
fn catch_up_window(board: &Board) -> Duration {
    Duration::days(i64::from(board.settings.catch_up_days)).max(ON_TIME_GRACE)
}

/// What a panic said, for the log.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

impl<P: Poster> Runner<P> {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        poster: Arc<P>,
        settings: RunnerSettings,
    ) -> Self {
        let heartbeat = Heartbeat::new(clock.clone(), settings.max_sleep);
        Self {
            store,
            clock,
            poster,
            settings,
            wakeup: Wakeup::new(),
            metrics: Metrics::new(),
            heartbeat,
        }
    }

    /// Count posts and database errors in these metrics (the bot's, served on `/metrics`).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Wake on this handle's changes (the one the bot's `/setup` commands signal).
    pub fn with_wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    /// The handle that wakes this runner.
    pub fn wakeup(&self) -> Wakeup {
        self.wakeup.clone()
    }

    /// When this runner last completed a pass, for `/healthz`.
    pub fn heartbeat(&self) -> Heartbeat {
        self.heartbeat.clone()
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

    /// Run until `shutdown` turns true.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let mut changes = self.wakeup.subscribe();
        loop {
            if *shutdown.borrow() {
                return;
            }
            // Mark every change so far as seen before reading the boards: a change made
            // during the pass then ends the wait below at once.
            changes.borrow_and_update();
            let now = self.clock.now();
            if let Err(e) = self.run_due(now).await {
                self.count_database_error(&e);
                tracing::error!(
                    error = format!("{e:#}"),
                    "scheduler pass failed; will retry at the next wake-up"
                );
            }
            let next = match self.next_wake(now).await {
                Ok(next) => next,
                Err(e) => {
                    self.count_database_error(&e);
                    tracing::error!(error = format!("{e:#}"), "could not read schedules");
                    now + Duration::minutes(1)
                }
            };
            self.heartbeat.pass_completed();
            tokio::select! {
                _ = self.clock.sleep_until(next) => {}
                _ = changes.changed() => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// The earliest next fire time across every board and job, or the moment a claim that
    /// could not be finished lapses, capped at `max_sleep`.
    pub async fn next_wake(&self, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
        let mut next = now + self.settings.max_sleep;
        if let Some(lapse) = self.store.next_lapse().await? {
            if lapse > now {
                next = next.min(lapse);
            }
        }
        for board in self.store.boards().await? {
            let calendar = self.calendar(&board, now).await?;
            for job in JOBS {
                if self.poster.destinations(&board, job).await.is_empty() {
                    continue;
                }
                if let Some(t) = job.next_due(&board, &calendar, now) {
                    next = next.min(t);
                }
            }
        }
        Ok(next)
    }

    /// What the board's briefs and nudges fall due by, each read only when that job has
    /// somewhere to go: its meetings, and the reminders sent recently enough for a nudge to
    /// be due after them or within the catch-up window.
    async fn calendar(&self, board: &Board, now: DateTime<Utc>) -> anyhow::Result<Calendar> {
        let mut calendar = Calendar::default();
        if !self
            .poster
            .destinations(board, Job::MeetingBrief)
            .await
            .is_empty()
        {
            calendar.meetings = self.store.meetings(board.id).await?;
        }
        if let Some(after) = board.settings.nudge_after_days {
            if !self.poster.destinations(board, Job::Nudge).await.is_empty() {
                // A day more than the nudge's days: local days can be 25 hours long.
                let since = now - catch_up_window(board) - Duration::days(i64::from(after) + 1);
                calendar.reminders_sent = self.store.reminders_sent(board.id, since).await?;
            }
        }
        Ok(calendar)
    }

    /// Post everything that is due at `now` and not yet posted: for each board and job, the
    /// latest occasion within the board's catch-up window. Older missed occasions are never
    /// replayed, so downtime produces at most one catch-up post per job. Then finish or give
    /// up the claims that lapsed for any other occasion. One board's trouble — an error or a
    /// panic — is logged and counted, and never holds up the other boards.
    pub async fn run_due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<PostReport>> {
        let mut reports = Vec::new();
        let boards = self.store.boards().await?;
        for board in &boards {
            let pass = AssertUnwindSafe(self.board_due(board, now, &mut reports))
                .catch_unwind()
                .await;
            match pass {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    self.count_database_error(&e);
                    self.metrics.scheduled_post("any", "error");
                    tracing::error!(board = %board.slug, error = format!("{e:#}"), "could not work out this board's scheduled posts; the others go on");
                }
                Err(panic) => {
                    self.metrics.scheduled_post("any", "error");
                    tracing::error!(board = %board.slug, error = panic_message(panic.as_ref()), "the scheduler hit a bug on this board's posts; the others go on");
                }
            }
        }
        self.lapsed_due(&boards, now, &mut reports).await?;
        Ok(reports)
    }

    /// One board's due posts.
    async fn board_due(
        &self,
        board: &Board,
        now: DateTime<Utc>,
        reports: &mut Vec<PostReport>,
    ) -> anyhow::Result<()> {
        let calendar = self.calendar(board, now).await?;
        for job in JOBS {
            let destinations = self.poster.destinations(board, job).await;
            if destinations.is_empty() {
                continue;
            }
            let window = catch_up_window(board);
            let Some(due) = job.latest_due(board, &calendar, now, now - window) else {
                continue;
            };
            for destination in destinations {
                let key = PostKey {
                    board_id: board.id,
                    job: job.as_str().to_string(),
                    occasion: due.occasion.clone(),
                    destination,
                    due_at: due.at,
                };
                self.claim_and_deliver(board, job, &key, now, reports)
                    .await?;
            }
        }
        Ok(())
    }

    /// Claims that lapsed for occasions this pass did not reach (an older occasion, a
    /// destination since removed): taken over and finished while the occasion is within the
    /// catch-up window, given up as failed (and so reported to the admins) after it.
    async fn lapsed_due(
        &self,
        boards: &[Board],
        now: DateTime<Utc>,
        reports: &mut Vec<PostReport>,
    ) -> anyhow::Result<()> {
        for lapsed in self.store.lapsed_posts(now).await? {
            let board = boards.iter().find(|b| b.id == lapsed.key.board_id);
            let job = Job::from_name(&lapsed.key.job);
            let (Some(board), Some(job)) = (board, job) else {
                continue;
            };
            let window = catch_up_window(board);
            if lapsed.key.due_at < now - window {
                let reason = format!(
                    "not posted: it could not be finished within the {}-day catch-up window",
                    board.settings.catch_up_days
                );
                if self
                    .store
                    .abandon_post(lapsed.post_id, now, &reason)
                    .await?
                {
                    tracing::error!(board = %board.slug, job = job.as_str(), occasion = lapsed.key.occasion, outcome = "failed", "{reason}");
                }
                continue;
            }
            let pass =
                AssertUnwindSafe(self.claim_and_deliver(board, job, &lapsed.key, now, reports))
                    .catch_unwind()
                    .await;
            match pass {
                Ok(result) => result?,
                Err(panic) => {
                    tracing::error!(board = %board.slug, error = panic_message(panic.as_ref()), "the scheduler hit a bug on a post taken over");
                }
            }
        }
        Ok(())
    }

    /// Claim one post and, if this process got it, deliver it.
    async fn claim_and_deliver(
        &self,
        board: &Board,
        job: Job,
        key: &PostKey,
        now: DateTime<Utc>,
        reports: &mut Vec<PostReport>,
    ) -> anyhow::Result<()> {
        let Some(claim) = self
            .store
            .claim_post(key, &self.settings.worker, now, self.settings.lease)
            .await?
        else {
            return Ok(());
        };
        let destination = claim.destination.clone();
        let due_at = claim.due_at;
        let outcome = match self.deliver(board, job, &key.occasion, claim).await {
            Ok(outcome) => outcome,
            Err(e) => {
                // The claim lapses (at a bounded rate of retries), so a later pass or another
                // process tries again.
                self.count_database_error(&e);
                self.metrics.scheduled_post(job.as_str(), "error");
                tracing::error!(board = %board.slug, job = job.as_str(), destination, occasion = key.occasion, outcome = "error", error = format!("{e:#}"), "scheduled post not sent; it will be tried again once its claim lapses");
                return Ok(());
            }
        };
        self.metrics.scheduled_post(job.as_str(), outcome.as_str());
        reports.push(PostReport {
            board: board.slug.to_string(),
            job,
            destination,
            due_at,
            occasion: key.occasion.clone(),
            outcome,
        });
        Ok(())
    }

    /// Build the post; a failure (or a panic) is recorded as an attempt and retried later at
    /// a doubling interval, and after `max_attempts` the post is given up as failed, so the
    /// admins are told and it is never left claimed for ever.
    async fn build(
        &self,
        board: &Board,
        job: Job,
        occasion: &str,
        claim: &Claim,
    ) -> anyhow::Result<Result<Option<P::Post>, PostOutcome>> {
        let built = AssertUnwindSafe(self.poster.prepare(board, job, occasion, claim.due_at))
            .catch_unwind()
            .await;
        let error = match built {
            Ok(Ok(post)) => return Ok(Ok(post)),
            Ok(Err(e)) => format!("could not build the post: {e:#}"),
            Err(panic) => format!(
                "could not build the post (a bug: {})",
                panic_message(panic.as_ref())
            ),
        };
        let worker = &self.settings.worker;
        let now = self.clock.now();
        let attempt = u32::try_from(claim.earlier_attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let record = AttemptRecord {
            outcome: if attempt < self.settings.max_attempts {
                "retry"
            } else {
                "failed"
            },
            http_status: None,
            detail: Some(&error),
        };
        if attempt >= self.settings.max_attempts {
            let finish = Finish {
                outcome: PostOutcome::Failed,
                message_id: None,
                error: Some(&error),
            };
            self.store
                .record_attempt(claim.post_id, worker, now, record, Some(finish))
                .await?;
            tracing::error!(board = %board.slug, job = job.as_str(), attempt, outcome = "failed", error, "scheduled post given up");
            return Ok(Err(PostOutcome::Failed));
        }
        self.store
            .record_attempt(claim.post_id, worker, now, record, None)
            .await?;
        let wait = self.settings.rebuild_after * 2_i32.saturating_pow(attempt - 1).min(64);
        self.store
            .extend_lease(claim.post_id, worker, now + wait)
            .await?;
        anyhow::bail!("{error}; building it again in {} s", wait.num_seconds())
    }

    /// Build and send one claimed post, retrying temporary failures with backoff, and
    /// resuming after the messages already confirmed.
    async fn deliver(
        &self,
        board: &Board,
        job: Job,
        occasion: &str,
        claim: Claim,
    ) -> anyhow::Result<PostOutcome> {
        let worker = &self.settings.worker;
        let post = match self.build(board, job, occasion, &claim).await? {
            Ok(Some(post)) if self.poster.has_anything_for(&post, &claim.destination) => post,
            Ok(_) => {
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
            Err(outcome) => return Ok(outcome),
        };
        let destination = claim.destination.as_str();
        let parts = self.store.post_parts(claim.post_id).await?;
        let mut sending = Sending::new(
            self.store.clone(),
            self.clock.clone(),
            claim.post_id,
            worker.clone(),
            self.settings.lease,
            parts,
        );
        let mut backoff = self.settings.first_backoff;
        let mut attempt = u32::try_from(claim.earlier_attempts).unwrap_or(u32::MAX);
        loop {
            attempt = attempt.saturating_add(1);
            let result =
                AssertUnwindSafe(self.poster.deliver(board, destination, &post, &mut sending))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| {
                        Err(DeliveryError::Permanent {
                            status: None,
                            detail: format!(
                                "the scheduler hit a bug while sending: {}",
                                panic_message(panic.as_ref())
                            ),
                        })
                    });
            let now = self.clock.now();
            if sending.lost_claim() {
                tracing::warn!(board = %board.slug, job = job.as_str(), destination, attempt, outcome = "failed", "scheduled post: lost the claim to another process; leaving the post to it");
                return Ok(PostOutcome::Failed);
            }
            match result {
                Ok(message_id) => {
                    let message_id = message_id.or_else(|| sending.first_message_id());
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
                    let status = error.status();
                    let detail = error.to_string();
                    let first_message = sending.first_message_id();
                    let attempt_record = AttemptRecord {
                        outcome: "failed",
                        http_status: status,
                        detail: Some(&detail),
                    };
                    let finish = Finish {
                        outcome: PostOutcome::Failed,
                        message_id: first_message.as_deref(),
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

impl<P: Poster + 'static> Runner<P> {
    /// Run until `shutdown` turns true, starting the runner again whenever it dies of a
    /// panic (counted in `/metrics`), so one bug never stops every board's posts for good.
    pub async fn supervise(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        loop {
            let runner = self.clone();
            let stopped = shutdown.clone();
            let ended = tokio::spawn(async move { runner.run(stopped).await }).await;
            match ended {
                Ok(()) => return,
                Err(e) if e.is_panic() => {
                    self.metrics.scheduler_restarted();
                    tracing::error!(
                        error = panic_message(e.into_panic().as_ref()),
                        "the scheduler stopped on a bug; starting it again"
                    );
                    if *shutdown.borrow() {
                        return;
                    }
                    // A pause, so a bug that strikes at once does not spin a core.
                    let mut shutdown = shutdown.clone();
                    tokio::select! {
                        _ = self.clock.sleep_until(self.clock.now() + Duration::seconds(1)) => {}
                        _ = shutdown.changed() => return,
                    }
                }
                Err(_) => return,
            }
        }
    }
}
