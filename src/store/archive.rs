//! The digest archive: every digest posted, kept exactly as it was sent, append-only (the
//! schema refuses UPDATE and DELETE), with the destinations it reached and when.
//!
//! A scheduled digest is archived once per occasion: [`Store::archive_digest`] inserts it, or —
//! when another build of the same occasion got there first (a retry, a rebuild after a crash, a
//! second destination, another process) — returns the one already stored, so every
//! destination is sent the same bytes.

use chrono::{DateTime, NaiveDate, Utc};

use super::values::{Day, Instant};
use super::{Store, StoreError};

/// How a digest came to be posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostedBy {
    /// By the schedule, for this occasion of the scheduled post (`period:2010-07-01`).
    Schedule { occasion: String },
    /// With `/digest post`, by this Discord user (their id).
    Command { user: String },
}

impl PostedBy {
    fn kind(&self) -> &'static str {
        match self {
            PostedBy::Schedule { .. } => "schedule",
            PostedBy::Command { .. } => "command",
        }
    }
}

/// A digest to archive: its renderings as sent, and what it covers.
#[derive(Debug, Clone)]
pub struct NewArchivedDigest<'a> {
    pub board_id: i64,
    pub posted_by: &'a PostedBy,
    pub period_label: &'a str,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub as_of: NaiveDate,
    pub posted_at: DateTime<Utc>,
    /// The title webhooks are sent with.
    pub title: &'a str,
    /// What `digest --format json` prints.
    pub json: &'a str,
    /// What `digest --format markdown` prints and webhooks are sent.
    pub markdown: &'a str,
    /// The board paper.
    pub html: &'a str,
    /// The Discord messages, serialised (files included).
    pub discord: &'a str,
}

/// One destination an archived digest reached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchivedDestination {
    /// `discord:<channel id>` or `webhook:<name>`.
    pub destination: String,
    pub delivered_at: DateTime<Utc>,
}

/// An archived digest as listed: what it covers, when and how it was posted, where it went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveEntry {
    pub id: i64,
    pub board: String,
    pub period_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub as_of: NaiveDate,
    pub posted_at: DateTime<Utc>,
    /// `schedule` or `command`.
    pub posted_by: String,
    /// The scheduled post's occasion, for a scheduled digest.
    pub occasion: Option<String>,
    /// Who ran `/digest post` (a Discord user id), for a digest posted by command.
    pub requested_by: Option<String>,
    /// Where it was delivered, in the order it got there; empty if it reached nowhere.
    pub destinations: Vec<ArchivedDestination>,
}

/// An archived digest with every rendering as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedDigest {
    pub entry: ArchiveEntry,
    pub title: String,
    pub json: String,
    pub markdown: String,
    pub html: String,
    pub discord: String,
}

/// The latest delivered digest before a moment: what "since the last digest" compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierDigest {
    pub id: i64,
    pub posted_at: DateTime<Utc>,
    pub json: String,
}

/// The columns of a listing, in [`ENTRY_COLUMNS`]' order.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    slug: String,
    period_label: String,
    period_start: Day,
    period_end: Day,
    as_of: Day,
    posted_at: Instant,
    posted_by: String,
    occasion: Option<String>,
    requested_by: Option<String>,
}

impl EntryRow {
    fn into_entry(self, destinations: Vec<ArchivedDestination>) -> ArchiveEntry {
        ArchiveEntry {
            id: self.id,
            board: self.slug,
            period_label: self.period_label,
            period_start: self.period_start.0,
            period_end: self.period_end.0,
            as_of: self.as_of.0,
            posted_at: self.posted_at.0,
            posted_by: self.posted_by,
            occasion: self.occasion,
            requested_by: self.requested_by,
            destinations,
        }
    }
}

/// A whole archived digest: the listing's columns and the renderings.
#[derive(sqlx::FromRow)]
struct DigestRow {
    #[sqlx(flatten)]
    entry: EntryRow,
    title: String,
    json: String,
    markdown: String,
    html: String,
    discord: String,
}

const ENTRY_COLUMNS: &str = "a.id, b.slug, a.period_label, a.period_start, a.period_end, \
                             a.as_of, a.posted_at, a.posted_by, a.occasion, a.requested_by";

impl Store {
    /// Archive a posted digest and return it as stored. A scheduled digest whose occasion is
    /// already archived is not archived again: the stored one is returned, to be sent as it is.
    pub async fn archive_digest(
        &self,
        new: &NewArchivedDigest<'_>,
    ) -> Result<ArchivedDigest, StoreError> {
        let (occasion, requested_by) = match new.posted_by {
            PostedBy::Schedule { occasion } => (Some(occasion.as_str()), None),
            PostedBy::Command { user } => (None, Some(user.as_str())),
        };
        // No conflict target: only the occasion's unique key can conflict (NULL occasions,
        // digests posted by command, never do).
        let inserted: Option<i64> = on_pool!(self.pool(), |p| sqlx::query_scalar(
            "INSERT INTO archived_digests (board_id, occasion, period_label, period_start, \
             period_end, as_of, posted_at, posted_by, requested_by, title, json, markdown, html, \
             discord) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(new.board_id)
        .bind(occasion)
        .bind(new.period_label)
        .bind(Day(new.period_start))
        .bind(Day(new.period_end))
        .bind(Day(new.as_of))
        .bind(Instant(new.posted_at))
        .bind(new.posted_by.kind())
        .bind(requested_by)
        .bind(new.title)
        .bind(new.json)
        .bind(new.markdown)
        .bind(new.html)
        .bind(new.discord)
        .fetch_optional(p)
        .await)
        .map_err(|e| StoreError::classify(e, self.url()))?;
        let stored = match (inserted, occasion) {
            (Some(id), _) => self.archived_digest(Some(new.board_id), id).await?,
            (None, Some(occasion)) => {
                self.archived_digest_for_occasion(new.board_id, occasion)
                    .await?
            }
            (None, None) => None,
        };
        stored.ok_or_else(|| {
            StoreError::Corrupt("an archived digest could not be read back once written".into())
        })
    }

    /// The scheduled digest archived for this occasion, if it was built already.
    pub async fn archived_digest_for_occasion(
        &self,
        board_id: i64,
        occasion: &str,
    ) -> Result<Option<ArchivedDigest>, StoreError> {
        let id: Option<i64> = on_pool!(self.pool(), |p| sqlx::query_scalar(
            "SELECT id FROM archived_digests WHERE board_id = $1 AND occasion = $2"
        )
        .bind(board_id)
        .bind(occasion)
        .fetch_optional(p)
        .await)?;
        match id {
            Some(id) => self.archived_digest(Some(board_id), id).await,
            None => Ok(None),
        }
    }

    /// One archived digest by id, with every rendering; only if it is the board's when a
    /// board is given (a Discord server sees its own board's archive only).
    pub async fn archived_digest(
        &self,
        board_id: Option<i64>,
        id: i64,
    ) -> Result<Option<ArchivedDigest>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, a.title, a.json, a.markdown, a.html, a.discord \
             FROM archived_digests a JOIN boards b ON b.id = a.board_id \
             WHERE a.id = $1 AND ($2 < 0 OR a.board_id = $2)"
        );
        let row: Option<DigestRow> = on_pool!(self.pool(), |p| sqlx::query_as(&sql)
            .bind(id)
            .bind(board_id.unwrap_or(-1))
            .fetch_optional(p)
            .await)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let destinations = self.destinations_of(&[row.entry.id]).await?;
        Ok(Some(ArchivedDigest {
            entry: row
                .entry
                .into_entry(destinations.into_iter().map(|(_, d)| d).collect()),
            title: row.title,
            json: row.json,
            markdown: row.markdown,
            html: row.html,
            discord: row.discord,
        }))
    }

    /// The archive, newest first, optionally of one board.
    pub async fn archived_digests(
        &self,
        board_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ArchiveEntry>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM archived_digests a JOIN boards b ON b.id = a.board_id \
             WHERE ($1 < 0 OR a.board_id = $1) ORDER BY a.posted_at DESC, a.id DESC LIMIT $2"
        );
        let rows: Vec<EntryRow> = on_pool!(self.pool(), |p| sqlx::query_as(&sql)
            .bind(board_id.unwrap_or(-1))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut destinations = self.destinations_of(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mine = destinations
                    .iter()
                    .filter(|(id, _)| *id == row.id)
                    .map(|(_, d)| d.clone())
                    .collect();
                destinations.retain(|(id, _)| *id != row.id);
                row.into_entry(mine)
            })
            .collect())
    }

    /// The destinations of these archived digests, in the order they were reached.
    async fn destinations_of(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, ArchivedDestination)>, StoreError> {
        let mut out = Vec::new();
        // One query per digest: a listing is a page of a few dozen, and this stays the same
        // SQL on both backends (no array binds).
        for id in ids {
            let rows: Vec<(String, Instant)> = on_pool!(self.pool(), |p| sqlx::query_as(
                "SELECT destination, delivered_at FROM archived_digest_destinations \
                 WHERE digest_id = $1 ORDER BY delivered_at, destination"
            )
            .bind(id)
            .fetch_all(p)
            .await)?;
            out.extend(rows.into_iter().map(|(destination, at)| {
                (
                    *id,
                    ArchivedDestination {
                        destination,
                        delivered_at: at.0,
                    },
                )
            }));
        }
        Ok(out)
    }

    /// Record that an archived digest reached `destination`. The first delivery is the one
    /// kept: a retry or a re-send after a crash does not add another.
    pub async fn record_digest_delivery(
        &self,
        digest_id: i64,
        destination: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self.pool(), |p| sqlx::query(
            "INSERT INTO archived_digest_destinations (digest_id, destination, delivered_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(digest_id)
        .bind(destination)
        .bind(Instant(at))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(())
    }

    /// The latest archived digest of a board posted before `before` that reached at least one
    /// destination (one that went nowhere was never seen, so nothing is "since" it).
    pub async fn latest_archived_digest(
        &self,
        board_id: i64,
        before: DateTime<Utc>,
    ) -> Result<Option<EarlierDigest>, StoreError> {
        let row: Option<(i64, Instant, String)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT a.id, a.posted_at, a.json FROM archived_digests a \
             WHERE a.board_id = $1 AND a.posted_at < $2 AND EXISTS ( \
             SELECT 1 FROM archived_digest_destinations d WHERE d.digest_id = a.id) \
             ORDER BY a.posted_at DESC, a.id DESC LIMIT 1"
        )
        .bind(board_id)
        .bind(Instant(before))
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(id, posted_at, json)| EarlierDigest {
            id,
            posted_at: posted_at.0,
            json,
        }))
    }
}
