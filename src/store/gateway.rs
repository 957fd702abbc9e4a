//! Leases on gateway shards, so two bot processes never run the same shard at once.
//!
//! Taking a lease is a conditional upsert: it succeeds for a shard that is free, whose lease
//! has run out, or that this holder already has. On PostgreSQL the upsert locks the row, so of
//! two processes racing for a shard exactly one gets it; SQLite serialises writers anyway.
//!
//! Every time here is the database's own, never the caller's: a lease is taken and renewed
//! until the database's current time plus the term, and judged run out against the database's
//! current time. Two processes whose clocks disagree, or one whose clock jumps, therefore still
//! agree on who holds a shard; only the database's clock has to be right. On PostgreSQL that is
//! `clock_timestamp()` (the time of the statement itself, not of its transaction's start). On
//! SQLite it is `strftime(…, 'now')`, the clock of the host the file is on (processes sharing a
//! SQLite file share its host), written in the stored instant format with its milliseconds
//! padded to microseconds, so that text order stays time order beside instants written by Rust.

use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::values::Instant;
use super::{Backend, Store, StoreError};

/// Another process's lease that stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardHolder {
    pub shard: u32,
    pub total_shards: u32,
    pub holder: String,
    /// When the lease runs out unless renewed, by the database's clock.
    pub expires_at: DateTime<Utc>,
    /// The database's time when it found this lease in the way: `expires_at - database_now`
    /// is how long the lease still runs, whatever the caller's clock says.
    pub database_now: DateTime<Utc>,
}

/// The database's current time, as a value comparable with (and storable in) an instant
/// column.
fn database_now(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "(strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')",
        Backend::Postgres => "clock_timestamp()",
    }
}

/// The database's current time plus the milliseconds bound as `param`.
fn database_now_plus(backend: Backend, param: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "(strftime('%Y-%m-%dT%H:%M:%f', 'now', '+' || ({param} / 1000.0) || ' seconds') || '000Z')"
        ),
        Backend::Postgres => format!("(clock_timestamp() + {param} * interval '1 millisecond')"),
    }
}

/// A term in whole milliseconds, as the queries bind it. A term too long for that (about 292
/// million years) is as good as forever.
fn millis(term: Duration) -> i64 {
    i64::try_from(term.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Lease `shards` of `total` to `holder` for `term` from the database's current time, all
    /// or none, and return when the lease runs out (by the database's clock; the earliest of
    /// the shards'). Refused with the lease in the way when another holder's lease, still
    /// running by the database's clock, covers one of them, or was taken with a different
    /// total (the two processes would split the servers differently, so some would be served
    /// twice).
    pub async fn claim_shards(
        &self,
        shards: RangeInclusive<u32>,
        total: u32,
        holder: &str,
        term: Duration,
    ) -> Result<Result<DateTime<Utc>, ShardHolder>, StoreError> {
        let classify = |e| StoreError::classify(e, self.url());
        let backend = self.backend();
        let now = database_now(backend);
        let take = format!(
            "INSERT INTO gateway_leases (shard, total_shards, holder, expires_at) \
             VALUES ($1, $2, $3, {until}) ON CONFLICT (shard) DO UPDATE SET \
             total_shards = excluded.total_shards, holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE gateway_leases.holder = excluded.holder OR gateway_leases.expires_at <= {now} \
             RETURNING expires_at",
            until = database_now_plus(backend, "$4"),
        );
        let in_the_way = format!(
            "SELECT CAST(shard AS BIGINT), CAST(total_shards AS BIGINT), holder, expires_at, {now} \
             FROM gateway_leases WHERE shard = $1"
        );
        let other_total = format!(
            "SELECT CAST(shard AS BIGINT), CAST(total_shards AS BIGINT), holder, expires_at, {now} \
             FROM gateway_leases WHERE holder <> $1 AND expires_at > {now} AND total_shards <> $2 \
             ORDER BY shard LIMIT 1"
        );
        // Write first: on SQLite a transaction that only read would have to upgrade its lock
        // to write, and two doing so at once fail instead of waiting their turn.
        let (mut tx, _turn) = self.begin_raw().await.map_err(classify)?;
        let mut runs_until: Option<DateTime<Utc>> = None;
        for shard in shards.clone() {
            let taken: Option<(Instant,)> = on_tx!(&mut tx, |c| sqlx::query_as(&take)
                .bind(i64::from(shard))
                .bind(i64::from(total))
                .bind(holder)
                .bind(millis(term))
                .fetch_optional(c)
                .await)
            .map_err(classify)?;
            match taken {
                Some((Instant(until),)) => {
                    runs_until = Some(runs_until.map_or(until, |earliest| earliest.min(until)));
                }
                None => {
                    let row: LeaseRow = on_tx!(&mut tx, |c| sqlx::query_as(&in_the_way)
                        .bind(i64::from(shard))
                        .fetch_one(c)
                        .await)
                    .map_err(classify)?;
                    return Ok(Err(holder_from_row(row)?));
                }
            }
        }
        // A live lease under another total splits the servers differently: some would be
        // served by two processes.
        let other: Option<LeaseRow> = on_tx!(&mut tx, |c| sqlx::query_as(&other_total)
            .bind(holder)
            .bind(i64::from(total))
            .fetch_optional(c)
            .await)
        .map_err(classify)?;
        if let Some(row) = other {
            return Ok(Err(holder_from_row(row)?));
        }
        tx.commit().await.map_err(classify)?;
        runs_until
            .map(Ok)
            .ok_or_else(|| StoreError::Corrupt("a claim of no gateway shards".into()))
    }

    /// Extend `holder`'s leases on `shards` to `term` from the database's current time. False
    /// if any of them is no longer `holder`'s (it ran out and another process took it).
    pub async fn renew_shards(
        &self,
        shards: RangeInclusive<u32>,
        holder: &str,
        term: Duration,
    ) -> Result<bool, StoreError> {
        let count = u64::from(shards.end() - shards.start() + 1);
        let renew = format!(
            "UPDATE gateway_leases SET expires_at = {until} \
             WHERE holder = $2 AND shard BETWEEN $3 AND $4",
            until = database_now_plus(self.backend(), "$1"),
        );
        let done = on_pool!(self.pool(), |p| sqlx::query(&renew)
            .bind(millis(term))
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

/// A lease as read: shard, total, holder, expiry, and the database's time of reading.
type LeaseRow = (i64, i64, String, Instant, Instant);

fn holder_from_row(
    (shard, total, holder, expires_at, database_now): LeaseRow,
) -> Result<ShardHolder, StoreError> {
    let number = |n: i64| u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("shard {n}")));
    Ok(ShardHolder {
        shard: number(shard)?,
        total_shards: number(total)?,
        holder,
        expires_at: expires_at.0,
        database_now: database_now.0,
    })
}
