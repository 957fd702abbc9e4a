//! One process per gateway shard. Before connecting, a process takes a lease on its shards in
//! the database; while another live process holds one of them, it waits as a standby (and
//! takes over when that process stops or its lease runs out). While connected it renews the
//! lease, and if it ever finds the lease gone it disconnects rather than risk two processes
//! both acting on the same slash commands.

use std::sync::Arc;

use chrono::Duration;

use crate::clock::Clock;
use crate::config::ShardRange;
use crate::store::Store;

/// A process's hold on its gateway shards.
pub struct GatewayLease {
    store: Store,
    clock: Arc<dyn Clock>,
    shards: ShardRange,
    /// Names this process in the lease, so an operator can tell which one holds a shard.
    holder: String,
    /// How long a lease lasts unrenewed: how soon a standby takes over after a crash.
    lease: Duration,
    /// How often a waiting process looks again: a clean stop releases the lease at once, so a
    /// standby should notice within seconds rather than at the end of the lease.
    poll: Duration,
}

impl GatewayLease {
    pub fn new(store: Store, clock: Arc<dyn Clock>, shards: ShardRange, holder: String) -> Self {
        Self {
            store,
            clock,
            shards,
            holder,
            lease: Duration::seconds(60),
            poll: Duration::seconds(2),
        }
    }

    fn range(&self) -> std::ops::RangeInclusive<u32> {
        self.shards.first..=self.shards.last
    }

    /// Wait until this process holds its shards. Says who holds them meanwhile, once per
    /// holder rather than at every look.
    pub async fn acquire(&self) -> anyhow::Result<()> {
        let mut last_seen = None;
        loop {
            let now = self.clock.now();
            let claim = self
                .store
                .claim_shards(
                    self.range(),
                    self.shards.total,
                    &self.holder,
                    now,
                    now + self.lease,
                )
                .await?;
            match claim {
                Ok(()) => {
                    tracing::info!(shards = %self.shards, holder = %self.holder, "gateway lease taken");
                    return Ok(());
                }
                Err(other) => {
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
                    // runs out if that is sooner.
                    let next = (now + self.poll)
                        .min(other.expires_at)
                        .max(now + Duration::milliseconds(100));
                    self.clock.sleep_until(next).await;
                }
            }
        }
    }

    /// Renew the lease until it is found lost, then return. A database that does not answer
    /// is retried: while it is down no other process can take the lease either.
    pub async fn keep(&self) {
        loop {
            let now = self.clock.now();
            self.clock.sleep_until(now + self.lease / 3).await;
            let now = self.clock.now();
            match self
                .store
                .renew_shards(self.range(), &self.holder, now + self.lease)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::error!(shards = %self.shards, holder = %self.holder, "the gateway lease was lost to another process");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not renew the gateway lease; trying again")
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
}
