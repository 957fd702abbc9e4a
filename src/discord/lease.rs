//! One process per gateway shard. Before connecting, a process takes a lease on its shards in
//! the database; while another live process holds one of them, it waits as a standby (and
//! takes over when that process stops or its lease runs out). While connected it renews the
//! lease, and it stops acting on commands (disconnects its shards) *before* the lease can run
//! out whenever it cannot show that the lease is still its own.
//!
//! # What makes it a fence
//!
//! - **The database's clock decides expiry.** Taking, renewing and judging a lease use the
//!   database's current time (see [`crate::store::Store::claim_shards`]), so a process with a
//!   wrong clock can neither take a live lease early nor think its own lasts longer.
//! - **The holder gives up first.** A renewal that the database accepted moved the expiry to
//!   the database's time *at that statement* plus the term, which is no earlier than the moment
//!   this process sent it. So the lease runs at least a full term from the start of the last
//!   renewal that succeeded, measured on this process's monotonic clock (immune to wall-clock
//!   steps). The holder renews every sixth of the term and, if none has succeeded for half the
//!   term (the *renewal deadline*), it disconnects its shards; a standby cannot take over until
//!   the other half has passed too. The margin covers closing the gateway (serenity looks at a
//!   shutdown request at least every half second) and a modest drift between the two clocks.
//! - **Only what the database confirmed counts.** A renewal that timed out or failed might
//!   still have reached the database; that can only make the lease last longer than the holder
//!   believes, never shorter.
//!
//! After fencing, the process goes back to waiting as a standby, taking its shards again when
//! the database answers (at once if its own lease had not yet been taken over).
//!
//! # Why not a PostgreSQL advisory lock
//!
//! A session advisory lock (`pg_try_advisory_lock`) on a dedicated connection is freed by the
//! server as soon as it sees that connection close. That is the unsafe direction for a fence:
//! when the holder's connection is cut but the process lives on (a network partition, a
//! proxy or load balancer dropping the connection, a server restart), the lock is free for a
//! standby at once, while the holder learns of it only when it next uses the connection, so
//! for that interval both are connected to Discord. And when the server does *not* see the
//! cut (packets silently dropped), it keeps the lock until TCP keepalives give up, by default
//! about two hours, so the standby waits that long. Either way the holder still needs a
//! deadline of its own, which is what the row lease gives on both backends; a lock in addition
//! would add a connection per process and break behind a transaction-mode pooler (PgBouncer),
//! and no safety. The row lease alone it is.
//!
//! # Limits
//!
//! A process frozen for longer than the term (a debugger, `SIGSTOP`, a paused VM) may, on
//! waking, hand a few events already buffered on its socket to the commands before its timer
//! fires. A forward step of the database's clock shortens a lease by the size of the step.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::ShardRange;
use crate::store::{ShardHolder, Store, StoreError};

/// The lease term when none is configured (`discord.lease_seconds`).
pub const DEFAULT_TERM: Duration = Duration::from_secs(60);

/// A clock difference worth telling the operator about: well above what time synchronisation
/// leaves and the round trip to the database adds.
const NOTABLE_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// A process's hold on its gateway shards.
pub struct GatewayLease {
    store: Store,
    /// This process's wall clock. Never used to judge the lease; only compared with the
    /// database's, because the scheduler's claims and the history go by it.
    clock: Arc<dyn Clock>,
    shards: ShardRange,
    /// Names this process in the lease, so an operator can tell which one holds a shard.
    holder: String,
    /// How long a lease lasts unrenewed: how soon a standby takes over after a crash.
    term: Duration,
    /// How often a waiting process looks again: a clean stop releases the lease at once, so a
    /// standby should notice within seconds rather than at the end of the lease.
    poll: Duration,
    /// Whether a clock difference has been reported: once is enough, a standby looks every
    /// few seconds.
    skew_reported: AtomicBool,
}

/// The lease is this process's: since when it is sure of that.
#[derive(Debug, Clone, Copy)]
pub struct Held {
    /// When the claim or renewal the database last accepted was sent, on this process's
    /// monotonic clock. The lease runs at least a term from here.
    renewed: Instant,
}

/// Why a process stopped acting on its shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fenced {
    /// The lease ran out and another process took it.
    Lost,
    /// No renewal succeeded within the renewal deadline, so the lease may soon run out.
    Unrenewed {
        /// Time since the last renewal that succeeded was sent.
        since: Duration,
        /// The last renewal's error, if it failed rather than timed out.
        error: Option<String>,
    },
}

impl GatewayLease {
    /// A lease of [`DEFAULT_TERM`] on `shards` for `holder`.
    pub fn new(store: Store, clock: Arc<dyn Clock>, shards: ShardRange, holder: String) -> Self {
        Self {
            store,
            clock,
            shards,
            holder,
            term: DEFAULT_TERM,
            poll: Duration::from_secs(2),
            skew_reported: AtomicBool::new(false),
        }
    }

    /// The same lease with another term (the configuration checks it is at least 3 s).
    pub fn with_term(self, term: Duration) -> Self {
        Self { term, ..self }
    }

    /// How long a lease lasts unrenewed.
    pub fn term(&self) -> Duration {
        self.term
    }

    /// How long the holder goes without a successful renewal before it stops acting on
    /// commands: half the term, so it has stopped well before a standby may take over.
    pub fn renewal_deadline(&self) -> Duration {
        self.term / 2
    }

    /// How often the holder renews: three tries inside the renewal deadline.
    fn renew_every(&self) -> Duration {
        self.term / 6
    }

    fn range(&self) -> std::ops::RangeInclusive<u32> {
        self.shards.first..=self.shards.last
    }

    /// One attempt to take the shards. `Ok(Err(holder))` names the live lease in the way.
    pub async fn try_acquire(&self) -> Result<Result<Held, ShardHolder>, StoreError> {
        let sent = Instant::now();
        let claim = self
            .store
            .claim_shards(self.range(), self.shards.total, &self.holder, self.term)
            .await?;
        Ok(match claim {
            Ok(expires_at) => {
                let taken_at = expires_at - chrono_of(self.term);
                self.report_skew(taken_at);
                Ok(Held { renewed: sent })
            }
            Err(other) => {
                self.report_skew(other.database_now);
                Err(other)
            }
        })
    }

    /// Wait until this process holds its shards. Says who holds them meanwhile, once per
    /// holder rather than at every look; a database that does not answer is tried again,
    /// because a standby (or a holder that fenced itself) should take over once it is back.
    pub async fn acquire(&self) -> Held {
        let mut last_seen = None;
        let mut unreachable = false;
        loop {
            let wait = match self.try_acquire().await {
                Ok(Ok(held)) => {
                    tracing::info!(
                        shards = %self.shards,
                        holder = %self.holder,
                        term_secs = self.term.as_secs_f64(),
                        "gateway lease taken"
                    );
                    return held;
                }
                Ok(Err(other)) => {
                    unreachable = false;
                    if last_seen.as_ref() != Some(&other.holder) {
                        tracing::warn!(
                            shards = %self.shards,
                            held_by = %other.holder,
                            shard = other.shard,
                            total_shards = other.total_shards,
                            until = %other.expires_at.to_rfc3339(),
                            "waiting as a standby: another process runs shard {} of {}; this one \
                             takes over when it stops. If both should run, give each its own \
                             discord.shards",
                            other.shard,
                            other.total_shards
                        );
                        last_seen = Some(other.holder.clone());
                    }
                    // Look again soon (a clean stop frees the shard at once), or when the lease
                    // runs out by the database's clock if that is sooner.
                    let remaining = (other.expires_at - other.database_now)
                        .to_std()
                        .unwrap_or_default();
                    remaining.clamp(Duration::from_millis(100), self.poll)
                }
                Err(e) => {
                    if !unreachable {
                        tracing::warn!(
                            shards = %self.shards,
                            error = %e,
                            "could not take the gateway lease: the database did not answer; \
                             trying again every {} s",
                            self.poll.as_secs()
                        );
                        unreachable = true;
                    }
                    self.poll
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Renew the lease until this process must stop acting on its shards, and say why. Each
    /// renewal is given only until the renewal deadline, so a database that hangs is noticed
    /// as surely as one that refuses.
    pub async fn keep(&self, held: Held) -> Fenced {
        let mut renewed = held.renewed;
        let mut last_error = None;
        let mut next = renewed + self.renew_every();
        loop {
            let deadline = renewed + self.renewal_deadline();
            tokio::time::sleep_until(next.min(deadline)).await;
            let sent = Instant::now();
            if sent >= deadline {
                return Fenced::Unrenewed {
                    since: sent - renewed,
                    error: last_error,
                };
            }
            next = sent + self.renew_every();
            let renewal = self
                .store
                .renew_shards(self.range(), &self.holder, self.term);
            match tokio::time::timeout_at(deadline, renewal).await {
                Ok(Ok(true)) => {
                    if last_error.take().is_some() {
                        tracing::info!(shards = %self.shards, "the gateway lease is renewed again");
                    }
                    renewed = sent;
                }
                Ok(Ok(false)) => return Fenced::Lost,
                Ok(Err(e)) => {
                    tracing::warn!(
                        shards = %self.shards,
                        error = %e,
                        "could not renew the gateway lease; trying again"
                    );
                    last_error = Some(e.to_string());
                }
                Err(_) => {
                    return Fenced::Unrenewed {
                        since: Instant::now() - renewed,
                        error: last_error,
                    }
                }
            }
        }
    }

    /// Give the shards up, so a standby takes over at once.
    pub async fn release(&self) {
        if let Err(e) = self.store.release_shards(&self.holder).await {
            tracing::warn!(error = %e, "could not release the gateway lease; a standby takes over when it runs out");
        }
    }

    /// Warn when this process's clock and the database's disagree by more than a little: the
    /// lease is safe either way, but the scheduler's claims and the history use this clock.
    fn report_skew(&self, database_now: DateTime<Utc>) {
        let skew = self.clock.now() - database_now;
        if skew.abs() > NOTABLE_SKEW && !self.skew_reported.swap(true, Ordering::Relaxed) {
            let (amount, direction) = if skew > chrono::TimeDelta::zero() {
                (skew, "ahead of")
            } else {
                (-skew, "behind")
            };
            tracing::warn!(
                skew_secs = skew.num_milliseconds() as f64 / 1000.0,
                "this process's clock is {} s {direction} the database's. The gateway lease goes \
                 by the database's clock, but scheduled posts and the history use this one: \
                 check time synchronisation (NTP) on this host and the database's",
                amount.num_seconds()
            );
        }
    }
}

/// A term as chrono counts time (saturating: a term that large is as good as forever).
fn chrono_of(term: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(term).unwrap_or(chrono::TimeDelta::MAX)
}
