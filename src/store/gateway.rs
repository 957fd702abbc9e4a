//! Leases on gateway shards, so two bot processes never run the same shard at once.
//!
//! Taking a lease is a conditional upsert: it succeeds for a shard that is free, whose lease
//! has run out, or that this holder already has. On PostgreSQL the upsert locks the row, so of
//! two processes racing for a shard exactly one gets it; SQLite serialises writers anyway.

use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

use super::values::Instant;
use super::{Store, StoreError};

/// Another process's lease that stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardHolder {
    pub shard: u32,
    pub total_shards: u32,
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Lease `shards` of `total` to `holder` until `until`, all or none. Refused with the
    /// lease in the way when another holder's lease, still running at `now`, covers one of
    /// them, or was taken with a different total (the two processes would split the servers
    /// differently, so some would be served twice).
    pub async fn claim_shards(
        &self,
        shards: RangeInclusive<u32>,
        total: u32,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Result<(), ShardHolder>, StoreError> {
        let classify = |e| StoreError::classify(e, self.url());
        let now = Instant(now);
        // Write first: on SQLite a transaction that only read would have to upgrade its lock
        // to write, and two doing so at once fail instead of waiting their turn.
        let (mut tx, _turn) = self.begin_raw().await.map_err(classify)?;
        for shard in shards.clone() {
            let taken = on_tx!(&mut tx, |c| sqlx::query(
                "INSERT INTO gateway_leases (shard, total_shards, holder, expires_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (shard) DO UPDATE SET \
                 total_shards = excluded.total_shards, holder = excluded.holder, \
                 expires_at = excluded.expires_at \
                 WHERE gateway_leases.holder = excluded.holder OR gateway_leases.expires_at <= $5",
            )
            .bind(i64::from(shard))
            .bind(i64::from(total))
            .bind(holder)
            .bind(Instant(until))
            .bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))
            .map_err(classify)?;
            if taken != 1 {
                let row: (i64, i64, String, Instant) = on_tx!(&mut tx, |c| sqlx::query_as(
                    "SELECT CAST(shard AS BIGINT), CAST(total_shards AS BIGINT), holder, expires_at FROM gateway_leases \
                     WHERE shard = $1",
                )
                .bind(i64::from(shard))
                .fetch_one(c)
                .await)
                .map_err(classify)?;
                return Ok(Err(holder_from_row(row)?));
            }
        }
        // A live lease under another total splits the servers differently: some would be
        // served by two processes.
        let other_total: Option<(i64, i64, String, Instant)> = on_tx!(&mut tx, |c| sqlx::query_as(
            "SELECT CAST(shard AS BIGINT), CAST(total_shards AS BIGINT), holder, expires_at FROM gateway_leases \
             WHERE holder <> $1 AND expires_at > $2 AND total_shards <> $3 \
             ORDER BY shard LIMIT 1",
        )
        .bind(holder)
        .bind(now)
        .bind(i64::from(total))
        .fetch_optional(c)
        .await)
        .map_err(classify)?;
        if let Some(row) = other_total {
            return Ok(Err(holder_from_row(row)?));
        }
        tx.commit().await.map_err(classify)?;
        Ok(Ok(()))
    }

    /// Extend `holder`'s leases on `shards` until `until`. False if any of them is no longer
    /// `holder`'s (it ran out and another process took it).
    pub async fn renew_shards(
        &self,
        shards: RangeInclusive<u32>,
        holder: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let count = u64::from(shards.end() - shards.start() + 1);
        let done = on_pool!(self.pool(), |p| sqlx::query(
            "UPDATE gateway_leases SET expires_at = $1 \
             WHERE holder = $2 AND shard BETWEEN $3 AND $4",
        )
        .bind(Instant(until))
        .bind(holder)
        .bind(i64::from(*shards.start()))
        .bind(i64::from(*shards.end()))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(done == count)
    }

    /// Give up every lease `holder` has, so a waiting process can take over at once.
    pub async fn release_shards(&self, holder: &str) -> Result<(), StoreError> {
        on_pool!(self.pool(), |p| sqlx::query(
            "DELETE FROM gateway_leases WHERE holder = $1"
        )
        .bind(holder)
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(())
    }
}

fn holder_from_row(
    (shard, total, holder, expires_at): (i64, i64, String, Instant),
) -> Result<ShardHolder, StoreError> {
    let number = |n: i64| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("shard {n}")));
    Ok(ShardHolder {
        shard: number(shard)?,
        total_shards: number(total)?,
        holder,
        expires_at: expires_at.0,
    })
}
