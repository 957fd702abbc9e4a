//! Redaction in the store: the one way text in the append-only history and the digest archive
//! is ever rewritten.
//!
//! A redaction runs in one [`Transaction`]: [`Transaction::open_redaction`] writes the row that
//! the schema's guards look for, the texts are read and written back with `[redacted]` in
//! place of what was removed, the history entry saying so is appended, and
//! [`Transaction::close_redaction`] closes the row (the schema refuses to close it before that
//! entry exists). While it is open the guards let an UPDATE through only when text gains
//! `[redacted]`; ids, authors, times, kinds, statuses and dates never change. The removed text
//! is never written anywhere.
//!
//! Afterwards [`Store::scrub_freed_text`] makes sure the old text does not linger in the
//! database's files: SQLite zeroes freed space (`secure_delete`, set on every connection) and
//! the write-ahead log is checkpointed and truncated; PostgreSQL's touched tables are vacuumed.

use chrono::{DateTime, Utc};

use super::values::Instant;
use super::{Backend, DriverTx, Store, StoreError, Transaction};
use crate::domain::SubjectKind;

/// The texts of one history entry a redaction may rewrite.
#[derive(Clone, PartialEq, Eq)]
pub struct EntryTexts {
    pub id: i64,
    /// When the entry was recorded (never changed).
    pub recorded_at: DateTime<Utc>,
    pub change_kind: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub note: Option<String>,
    pub evidence: Option<String>,
    /// The record the entry keeps, as JSON (none for entries from before release 0.2).
    pub record: Option<String>,
}

/// The texts of one archived digest a redaction may rewrite.
#[derive(Clone, PartialEq, Eq)]
pub struct ArchivedTexts {
    pub id: i64,
    pub posted_at: DateTime<Utc>,
    pub json: String,
    pub markdown: String,
    pub html: String,
    pub discord: String,
}

// The texts may hold exactly what is being removed: never printed.
impl std::fmt::Debug for EntryTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntryTexts {{ id: {}, .. }}", self.id)
    }
}
impl std::fmt::Debug for ArchivedTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ArchivedTexts {{ id: {}, .. }}", self.id)
    }
}

/// A redaction that was applied: when, by whom and why (never what).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RedactionRecord {
    pub id: i64,
    pub redacted_at: DateTime<Utc>,
    pub actor: String,
    pub reason: String,
}

/// A message the bot posted in Discord, which a redaction may have to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedDiscordMessage {
    /// The channel's id, or `dm:<officer id>` for a reminder sent by direct message.
    pub channel_id: String,
    pub message_id: String,
    pub posted_at: DateTime<Utc>,
    /// `digest`, `reminder` or `brief`: which job posted it.
    pub job: String,
}

/// What happened to one posted message during a redaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageEditOutcome {
    /// The text was there and the message now reads `[redacted]` instead.
    Edited,
    /// The text was not in the message.
    Unchanged,
    /// The message no longer exists (deleted in Discord).
    Gone,
    /// Discord refused the edit (the bot lost access, or the message is not the bot's).
    Refused,
    /// The edit failed for another reason (Discord down, no token).
    Failed,
}

impl MessageEditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageEditOutcome::Edited => "edited",
            MessageEditOutcome::Unchanged => "unchanged",
            MessageEditOutcome::Gone => "gone",
            MessageEditOutcome::Refused => "refused",
            MessageEditOutcome::Failed => "failed",
        }
    }
}

/// One posted message checked by a redaction, with what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEdit {
    pub channel_id: String,
    pub message_id: String,
    pub outcome: MessageEditOutcome,
    /// Why it could not be edited, in words (never the removed text).
    pub detail: Option<String>,
}

type EntryRow = (
    i64,
    Instant,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Transaction {
    fn is_postgres(&mut self) -> bool {
        matches!(self.driver(), DriverTx::Postgres(_))
    }

    /// Open a redaction of one record: from now until [`Transaction::close_redaction`], this
    /// transaction may put `[redacted]` into that record's history and the board's archive.
    pub(crate) async fn open_redaction(
        &mut self,
        board_id: i64,
        subject: SubjectKind,
        subject_id: i64,
        at: DateTime<Utc>,
        actor: &str,
        reason: &str,
    ) -> Result<i64, StoreError> {
        let id: i64 = on_tx!(self.driver(), |c| sqlx::query_scalar(
            "INSERT INTO redactions (board_id, subject_kind, subject_id, redacted_at, actor, \
             reason) VALUES ($1, $2, $3, $4, $5, $6) RETURNING CAST(id AS BIGINT)",
        )
        .bind(board_id)
        .bind(subject.as_str())
        .bind(subject_id)
        .bind(Instant(at))
        .bind(actor)
        .bind(reason)
        .fetch_one(c)
        .await)
        .map_err(|e| self.classify(e))?;
        Ok(id)
    }

    /// Every history entry about one record, oldest first, with the texts a redaction reads.
    pub(crate) async fn entry_texts(
        &mut self,
        board_id: i64,
        subject: SubjectKind,
        subject_id: i64,
    ) -> Result<Vec<EntryTexts>, StoreError> {
        let rows: Vec<EntryRow> = on_tx!(self.driver(), |c| sqlx::query_as(
            "SELECT CAST(id AS BIGINT), recorded_at, change_kind, old_value, new_value, note, evidence, \
             record FROM status_updates WHERE board_id = $1 AND subject_kind = $2 AND \
             subject_id = $3 ORDER BY id",
        )
        .bind(board_id)
        .bind(subject.as_str())
        .bind(subject_id)
        .fetch_all(c)
        .await)
        .map_err(|e| self.classify(e))?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, change_kind, old_value, new_value, note, evidence, record)| EntryTexts {
                    id,
                    recorded_at: at.0,
                    change_kind,
                    old_value,
                    new_value,
                    note,
                    evidence,
                    record,
                },
            )
            .collect())
    }

    /// Write an entry's texts back (the schema lets only a redaction's `[redacted]` through).
    pub(crate) async fn rewrite_entry(&mut self, entry: &EntryTexts) -> Result<(), StoreError> {
        on_tx!(self.driver(), |c| sqlx::query(
            "UPDATE status_updates SET old_value = $1, new_value = $2, note = $3, evidence = $4, \
             record = $5 WHERE id = $6",
        )
        .bind(entry.old_value.as_deref())
        .bind(entry.new_value.as_deref())
        .bind(entry.note.as_deref())
        .bind(entry.evidence.as_deref())
        .bind(entry.record.as_deref())
        .bind(entry.id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The board's archived digests in which any of `forms` appears (case-sensitive), oldest
    /// first. Searched by the database, so a board with years of digests is not read whole.
    pub(crate) async fn archived_texts_containing(
        &mut self,
        board_id: i64,
        forms: &[String],
    ) -> Result<Vec<ArchivedTexts>, StoreError> {
        if forms.is_empty() {
            return Ok(Vec::new());
        }
        let find = if self.is_postgres() {
            "strpos"
        } else {
            "instr"
        };
        let mut sql = String::from(
            "SELECT CAST(id AS BIGINT), posted_at, json, markdown, html, discord \
             FROM archived_digests WHERE board_id = $1 AND (",
        );
        let mut n = 1;
        for _ in forms {
            for column in ["json", "markdown", "html", "discord"] {
                if n > 1 {
                    sql.push_str(" OR ");
                }
                n += 1;
                sql.push_str(&format!("{find}({column}, ${n}) > 0"));
            }
        }
        sql.push_str(") ORDER BY id");
        type Row = (i64, Instant, String, String, String, String);
        let rows: Vec<Row> = on_tx!(self.driver(), |c| {
            let mut q = sqlx::query_as(&sql).bind(board_id);
            for form in forms {
                for _ in 0..4 {
                    q = q.bind(form.as_str());
                }
            }
            q.fetch_all(c).await
        })
        .map_err(|e| self.classify(e))?;
        Ok(rows
            .into_iter()
            .map(
                |(id, posted_at, json, markdown, html, discord)| ArchivedTexts {
                    id,
                    posted_at: posted_at.0,
                    json,
                    markdown,
                    html,
                    discord,
                },
            )
            .collect())
    }

    /// Write an archived digest's texts back and note that this redaction rewrote it.
    pub(crate) async fn rewrite_archived(
        &mut self,
        redaction_id: i64,
        archived: &ArchivedTexts,
    ) -> Result<(), StoreError> {
        on_tx!(self.driver(), |c| sqlx::query(
            "UPDATE archived_digests SET json = $1, markdown = $2, html = $3, discord = $4 \
             WHERE id = $5",
        )
        .bind(&archived.json)
        .bind(&archived.markdown)
        .bind(&archived.html)
        .bind(&archived.discord)
        .bind(archived.id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        on_tx!(self.driver(), |c| sqlx::query(
            "INSERT INTO archived_digest_redactions (digest_id, redaction_id) VALUES ($1, $2)",
        )
        .bind(archived.id)
        .bind(redaction_id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Close the redaction, saying what it touched. The schema refuses unless its history
    /// entry (change `redacted`, same author and time) has been written.
    pub(crate) async fn close_redaction(
        &mut self,
        redaction_id: i64,
        fields: usize,
        entries: &[i64],
        digests: &[i64],
    ) -> Result<(), StoreError> {
        let list = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let closed = if self.is_postgres() { "FALSE" } else { "0" };
        on_tx!(self.driver(), |c| sqlx::query(&format!(
            "UPDATE redactions SET open = {closed}, fields = $1, entries = $2, digests = $3 \
             WHERE id = $4"
        ))
        .bind(fields as i64)
        .bind(list(entries))
        .bind(list(digests))
        .bind(redaction_id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(())
    }
}

impl Store {
    /// After a redaction has committed: make sure the removed text does not linger in the
    /// database's files. Returns what was done, in words, for the reply.
    pub async fn scrub_freed_text(&self) -> Result<String, StoreError> {
        match self.backend() {
            Backend::Sqlite => {
                // Every connection zeroes what it frees (`secure_delete`), so the old text is
                // gone from the pages; the old pages themselves wait in the write-ahead log
                // until a checkpoint copies the new ones over them, and TRUNCATE then empties
                // the log. A reader still holding an old snapshot makes the checkpoint stop
                // short: then say so (the next checkpoint finishes the job).
                let (busy, _, _): (i64, i64, i64) = on_pool!(self.pool(), |p| sqlx::query_as(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                )
                .fetch_one(p)
                .await)
                .map_err(|e| StoreError::classify(e, self.url()))?;
                Ok(if busy == 0 {
                    "The database file's freed space was zeroed and its write-ahead log \
                     checkpointed and emptied."
                        .to_string()
                } else {
                    "The database file's freed space was zeroed; its write-ahead log could not \
                     be emptied yet because a reader was busy, and will be at the next \
                     checkpoint (stop the bot and run `briefing-bot check` to force one)."
                        .to_string()
                })
            }
            Backend::Postgres => {
                // VACUUM marks the old row versions' space as reusable; it does not overwrite
                // them at once, and the server's write-ahead log keeps its segments until they
                // are recycled. VACUUM FULL rewrites the tables (and locks them while it runs):
                // the operations guide says when to run it.
                for table in [
                    "status_updates",
                    "actions",
                    "recommendations",
                    "archived_digests",
                ] {
                    on_pool!(self.pool(), |p| sqlx::query(&format!("VACUUM {table}"))
                        .execute(p)
                        .await
                        .map(|done| done.rows_affected()))
                    .map_err(|e| StoreError::classify(e, self.url()))?;
                }
                Ok(
                    "The touched tables were vacuumed: PostgreSQL will reuse the space of the old \
                    row versions, but does not overwrite it at once; run VACUUM FULL in a quiet \
                    hour to rewrite the tables (see the operations guide)."
                        .to_string(),
                )
            }
        }
    }

    /// The redactions applied to an archived digest, oldest first.
    pub async fn redactions_of_archived(
        &self,
        digest_id: i64,
    ) -> Result<Vec<RedactionRecord>, StoreError> {
        type Row = (i64, Instant, String, String);
        let rows: Vec<Row> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT CAST(d.id AS BIGINT), d.redacted_at, d.actor, d.reason FROM redactions d \
             JOIN archived_digest_redactions a ON a.redaction_id = d.id WHERE a.digest_id = $1 \
             ORDER BY d.id",
        )
        .bind(digest_id)
        .fetch_all(p)
        .await)
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(rows
            .into_iter()
            .map(|(id, at, actor, reason)| RedactionRecord {
                id,
                redacted_at: at.0,
                actor,
                reason,
            })
            .collect())
    }

    /// The messages the board's scheduled posts put in Discord since `since`, oldest first:
    /// in its channels and in officers' direct messages.
    pub async fn posted_discord_messages(
        &self,
        board_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<PostedDiscordMessage>, StoreError> {
        type Row = (String, String, Instant, String);
        let rows: Vec<Row> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT s.destination, m.message_id, m.started_at, s.job FROM posted_messages m \
             JOIN scheduled_posts s ON s.id = m.post_id WHERE s.board_id = $1 \
             AND (s.route = 'discord' OR s.destination LIKE 'dm:%') \
             AND m.message_id IS NOT NULL AND m.started_at >= $2 \
             UNION ALL SELECT 'discord:' || m.channel_id, m.message_id, m.posted_at, 'digest' \
             FROM archived_digest_messages m JOIN archived_digests a ON a.id = m.digest_id \
             WHERE a.board_id = $1 AND m.posted_at >= $2 ORDER BY 3, 2",
        )
        .bind(board_id)
        .bind(Instant(since))
        .fetch_all(p)
        .await)
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(rows
            .into_iter()
            .filter_map(|(destination, message_id, at, job)| {
                // A DM is kept as `dm:<officer>`: its channel is opened when it is edited.
                let channel_id = match destination.strip_prefix("discord:") {
                    Some(channel) => channel.to_string(),
                    None => destination.starts_with("dm:").then_some(destination)?,
                };
                Some(PostedDiscordMessage {
                    channel_id,
                    message_id,
                    posted_at: at.0,
                    job,
                })
            })
            .collect())
    }

    /// Record the Discord message a digest posted with `/digest post` became.
    pub async fn record_digest_message(
        &self,
        digest_id: i64,
        channel_id: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self.pool(), |p| sqlx::query(
            "INSERT INTO archived_digest_messages (digest_id, channel_id, message_id, posted_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(digest_id)
        .bind(channel_id)
        .bind(message_id)
        .bind(Instant(at))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(())
    }

    /// Record what a redaction did to each message the bot had posted.
    pub async fn record_message_edits(
        &self,
        redaction_id: i64,
        edits: &[MessageEdit],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for edit in edits {
            on_pool!(self.pool(), |p| sqlx::query(
                "INSERT INTO redaction_message_edits (redaction_id, channel_id, message_id, \
                 outcome, detail, checked_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(redaction_id)
            .bind(&edit.channel_id)
            .bind(&edit.message_id)
            .bind(edit.outcome.as_str())
            .bind(edit.detail.as_deref())
            .bind(Instant(at))
            .execute(p)
            .await
            .map(|done| done.rows_affected()))
            .map_err(|e| StoreError::classify(e, self.url()))?;
        }
        Ok(())
    }
}
