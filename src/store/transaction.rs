//! Writes, always inside a transaction so a multi-record change lands whole or not at all.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::records::{
    ref_key, ActionRow, RecommendationRow, StoredAction, ACTION_JSON_COLUMNS, ACTION_JSON_FROM,
    ACTION_SELECT, RECOMMENDATION_JSON_COLUMNS, RECOMMENDATION_JSON_FROM, RECOMMENDATION_SELECT,
};
use super::values::{Day, Instant};
use super::{DatabaseUrl, DriverTx, StoreError, WriteTurn};
use crate::domain::{Action, Recommendation, Source, StatusUpdate, SubjectKind};

/// An open transaction. Dropping it without [`Transaction::commit`] rolls everything back.
pub struct Transaction {
    // Dropped before the turn, so the next writer starts after this one has ended.
    tx: DriverTx,
    _turn: WriteTurn,
    url: DatabaseUrl,
}

/// What a column of a [`Transaction::json_rows`] row holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum JsonColumn {
    Text,
    Integer,
    Date,
    Instant,
}

/// A recommendation with its database id.
pub(crate) struct StoredRecommendation {
    pub id: i64,
    pub recommendation: Recommendation,
}

impl Transaction {
    pub(super) fn new(tx: DriverTx, turn: WriteTurn, url: DatabaseUrl) -> Self {
        Self {
            tx,
            _turn: turn,
            url,
        }
    }

    /// The clause that locks the board row an import or a settings change reads, so a
    /// concurrent change waits until this one commits and then reads what it wrote.
    /// PostgreSQL only: SQLite's `BEGIN IMMEDIATE` already holds the whole database.
    pub(super) fn lock_clause(&self) -> &'static str {
        match self.tx {
            DriverTx::Sqlite(_) => "",
            DriverTx::Postgres(_) => " FOR UPDATE",
        }
    }

    /// The same for the rows a change of actions or recommendations reads (`table` is the
    /// alias in the query), locked in id order so two bulk changes cannot deadlock each other.
    fn locking(&self, table: &str) -> String {
        format!(
            " ORDER BY {table}.id{}",
            match self.tx {
                DriverTx::Sqlite(_) => String::new(),
                DriverTx::Postgres(_) => format!(" FOR UPDATE OF {table}"),
            }
        )
    }

    /// The rows of a JSON array of arrays bound as parameter `param`, for `INSERT … SELECT`:
    /// `FROM {this}` names each row `j.value` (column N is `j.value ->> N`) and `ORDER BY j.key`
    /// keeps the array's order. One text parameter however many rows: the database parses it,
    /// where binding every value costs the driver more than the database's work.
    pub(super) fn json_rows(&self, param: usize) -> String {
        match self.tx {
            DriverTx::Sqlite(_) => format!("json_each(${param}) AS j"),
            DriverTx::Postgres(_) => format!(
                "json_array_elements(CAST(${param} AS JSON)) WITH ORDINALITY AS j(value, key)"
            ),
        }
    }

    /// The columns of a [`Transaction::json_rows`] row, in order, for a `SELECT` list: each as
    /// text, a whole number, a date written YYYY-MM-DD or an instant in the stored form
    /// (SQLite keeps both as that text).
    pub(super) fn json_columns(&self, kinds: &[JsonColumn]) -> String {
        kinds
            .iter()
            .enumerate()
            .map(|(n, kind)| self.json_column(n, *kind))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn json_column(&self, n: usize, kind: JsonColumn) -> String {
        match (&self.tx, kind) {
            (_, JsonColumn::Text) | (DriverTx::Sqlite(_), _) => format!("j.value ->> {n}"),
            (DriverTx::Postgres(_), JsonColumn::Integer) => {
                format!("CAST(j.value ->> {n} AS BIGINT)")
            }
            (DriverTx::Postgres(_), JsonColumn::Date) => format!("CAST(j.value ->> {n} AS DATE)"),
            (DriverTx::Postgres(_), JsonColumn::Instant) => {
                format!("CAST(j.value ->> {n} AS TIMESTAMPTZ)")
            }
        }
    }

    /// The driver transaction, for [`on_tx!`].
    pub(super) fn driver(&mut self) -> &mut DriverTx {
        &mut self.tx
    }

    pub(super) fn classify(&self, err: sqlx::Error) -> StoreError {
        StoreError::classify(err, &self.url)
    }

    /// Make every write of this transaction permanent.
    pub async fn commit(self) -> Result<(), StoreError> {
        let url = self.url.clone();
        self.tx
            .commit()
            .await
            .map_err(|e| StoreError::classify(e, &url))
    }

    /// The board's recommendations keyed by upper-cased ref, read inside the transaction.
    pub(crate) async fn recommendation_index(
        &mut self,
        board_id: i64,
    ) -> Result<HashMap<String, StoredRecommendation>, StoreError> {
        let sql = format!(
            "{RECOMMENDATION_SELECT} WHERE r.board_id = $1{}",
            self.locking("r")
        );
        let rows: Vec<RecommendationRow> = on_tx!(&mut self.tx, |c| sqlx::query_as(&sql)
            .bind(board_id)
            .fetch_all(c)
            .await)?;
        rows.into_iter()
            .map(|row| {
                let (id, recommendation) = row.into_record()?;
                Ok((
                    ref_key(&recommendation.reference),
                    StoredRecommendation { id, recommendation },
                ))
            })
            .collect()
    }

    /// The board's actions keyed by upper-cased ref, read inside the transaction.
    pub(crate) async fn action_index(
        &mut self,
        board_id: i64,
    ) -> Result<HashMap<String, StoredAction>, StoreError> {
        let sql = format!("{ACTION_SELECT} WHERE a.board_id = $1{}", self.locking("a"));
        let rows: Vec<ActionRow> = on_tx!(&mut self.tx, |c| sqlx::query_as(&sql)
            .bind(board_id)
            .fetch_all(c)
            .await)?;
        rows.into_iter()
            .map(|row| {
                let stored = row.into_stored()?;
                Ok((ref_key(&stored.action.reference), stored))
            })
            .collect()
    }

    /// The id of a source, adding it (or its newly known publication date) if needed.
    pub(crate) async fn source_id(
        &mut self,
        board_id: i64,
        source: &Source,
    ) -> Result<i64, StoreError> {
        let existing: Option<(i64, Option<Day>)> = on_tx!(&mut self.tx, |c| sqlx::query_as(
            "SELECT id, published_on FROM sources WHERE board_id = $1 AND title = $2",
        )
        .bind(board_id)
        .bind(&source.title)
        .fetch_optional(c)
        .await)?;
        let published = source.published_on.map(Day);
        match existing {
            Some((id, stored)) => {
                if published.is_some() && stored != published {
                    on_tx!(&mut self.tx, |c| sqlx::query(
                        "UPDATE sources SET published_on = $1 WHERE id = $2"
                    )
                    .bind(published)
                    .bind(id)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected()))
                    .map_err(|e| self.classify(e))?;
                }
                Ok(id)
            }
            None => on_tx!(&mut self.tx, |c| sqlx::query_scalar(
                "INSERT INTO sources (board_id, title, published_on) VALUES ($1, $2, $3) \
                 RETURNING id",
            )
            .bind(board_id)
            .bind(&source.title)
            .bind(published)
            .fetch_one(c)
            .await)
            .map_err(|e| self.classify(e)),
        }
    }

    /// Add a recommendation; returns its id.
    pub(crate) async fn insert_recommendation(
        &mut self,
        board_id: i64,
        rec: &Recommendation,
        source_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let at = Instant(at);
        on_tx!(&mut self.tx, |c| sqlx::query_scalar(
            "INSERT INTO recommendations (board_id, reference, ref_key, title, body, source_id, \
             theme, owner, priority, response, status, created_at, updated_at, response_due) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
        )
        .bind(board_id)
        .bind(rec.reference.as_str())
        .bind(ref_key(&rec.reference))
        .bind(&rec.title)
        .bind(rec.text.as_deref())
        .bind(source_id)
        .bind(rec.theme.as_deref())
        .bind(rec.owner.as_deref())
        .bind(rec.priority.0 as i64)
        .bind(rec.response.as_str())
        .bind(rec.status.as_str())
        .bind(at)
        .bind(rec.response_due.map(Day))
        .fetch_one(c)
        .await)
        .map_err(|e| self.classify(e))
    }

    /// Overwrite a recommendation's current state (its history is appended separately).
    pub(crate) async fn update_recommendation(
        &mut self,
        id: i64,
        rec: &Recommendation,
        source_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_tx!(&mut self.tx, |c| sqlx::query(
            "UPDATE recommendations SET reference = $1, title = $2, body = $3, source_id = $4, \
             theme = $5, owner = $6, priority = $7, response = $8, status = $9, updated_at = $10, \
             response_due = $11 WHERE id = $12",
        )
        .bind(rec.reference.as_str())
        .bind(&rec.title)
        .bind(rec.text.as_deref())
        .bind(source_id)
        .bind(rec.theme.as_deref())
        .bind(rec.owner.as_deref())
        .bind(rec.priority.0 as i64)
        .bind(rec.response.as_str())
        .bind(rec.status.as_str())
        .bind(Instant(at))
        .bind(rec.response_due.map(Day))
        .bind(id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Overwrite an action's current state (its history is appended separately).
    pub(crate) async fn update_action(
        &mut self,
        id: i64,
        action: &Action,
        recommendation_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_tx!(&mut self.tx, |c| sqlx::query(
            "UPDATE actions SET reference = $1, recommendation_id = $2, title = $3, owner = $4, \
             borough = $5, officer_id = $6, due = $7, status = $8, completed_on = $9, \
             updated_at = $10, awaiting_sign_off = $11 WHERE id = $12",
        )
        .bind(action.reference.as_str())
        .bind(recommendation_id)
        .bind(&action.title)
        .bind(&action.owner)
        .bind(action.borough.as_deref())
        .bind(action.officer.map(|o| o.to_string()))
        .bind(Day(action.due))
        .bind(action.status.as_str())
        .bind(action.completed_on.map(Day))
        .bind(Instant(at))
        .bind(action.awaiting_sign_off as i64)
        .bind(id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The SQL for the record as it stands now, as the JSON array a history entry keeps:
    /// written by the database in the entry's own INSERT, so it is exactly the state the
    /// change left, whichever path made it. `subject` is the placeholder of the record's id.
    fn record_now(&self, kind: SubjectKind, subject: &str) -> String {
        let array = match self.tx {
            DriverTx::Sqlite(_) => "json_array",
            DriverTx::Postgres(_) => "json_build_array",
        };
        match kind {
            SubjectKind::Action => format!(
                "(SELECT CAST({array}({ACTION_JSON_COLUMNS}) AS TEXT) {ACTION_JSON_FROM} \
                 WHERE a.id = {subject})"
            ),
            SubjectKind::Recommendation => format!(
                "(SELECT CAST({array}({RECOMMENDATION_JSON_COLUMNS}) AS TEXT) \
                 {RECOMMENDATION_JSON_FROM} WHERE r.id = {subject})"
            ),
        }
    }

    /// Append one entry to the history, with the record as the change left it. There is
    /// deliberately no way to change or remove one.
    pub(crate) async fn append_update(
        &mut self,
        board_id: i64,
        subject_id: i64,
        update: &StatusUpdate,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO status_updates (board_id, subject_kind, subject_id, recorded_at, actor, \
             change_kind, old_value, new_value, note, evidence, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, {})",
            self.record_now(update.subject, "$3")
        );
        on_tx!(&mut self.tx, |c| sqlx::query(&sql)
            .bind(board_id)
            .bind(update.subject.as_str())
            .bind(subject_id)
            .bind(Instant(update.at))
            .bind(&update.by)
            .bind(update.change.as_str())
            .bind(update.old_value.as_deref())
            .bind(update.new_value.as_deref())
            .bind(update.note.as_deref())
            .bind(update.evidence.as_deref())
            .execute(c)
            .await
            .map(|done| done.rows_affected()))
        .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// One action by ref (any case), read inside the transaction so a change is based on the
    /// state it replaces.
    pub(crate) async fn action(
        &mut self,
        board_id: i64,
        reference: &crate::domain::Ref,
    ) -> Result<Option<StoredAction>, StoreError> {
        let sql = format!(
            "{ACTION_SELECT} WHERE a.board_id = $1 AND a.ref_key = $2{}",
            self.locking("a")
        );
        let row: Option<ActionRow> = on_tx!(&mut self.tx, |c| sqlx::query_as(&sql)
            .bind(board_id)
            .bind(ref_key(reference))
            .fetch_optional(c)
            .await)?;
        row.map(ActionRow::into_stored).transpose()
    }

    /// One recommendation by ref (any case), read inside the transaction.
    pub(crate) async fn recommendation(
        &mut self,
        board_id: i64,
        reference: &crate::domain::Ref,
    ) -> Result<Option<StoredRecommendation>, StoreError> {
        let sql = format!(
            "{RECOMMENDATION_SELECT} WHERE r.board_id = $1 AND r.ref_key = $2{}",
            self.locking("r")
        );
        let row: Option<RecommendationRow> = on_tx!(&mut self.tx, |c| sqlx::query_as(&sql)
            .bind(board_id)
            .bind(ref_key(reference))
            .fetch_optional(c)
            .await)?;
        row.map(|row| {
            row.into_record()
                .map(|(id, recommendation)| StoredRecommendation { id, recommendation })
        })
        .transpose()
    }

    /// The id of the source a recommendation cites, if any.
    pub(crate) async fn recommendation_source_id(
        &mut self,
        id: i64,
    ) -> Result<Option<i64>, StoreError> {
        let source: Option<i64> = on_tx!(&mut self.tx, |c| sqlx::query_scalar(
            "SELECT source_id FROM recommendations WHERE id = $1"
        )
        .bind(id)
        .fetch_one(c)
        .await)?;
        Ok(source)
    }

    /// Add many new actions at once and return their ids keyed by upper-cased ref. Multi-row
    /// inserts: a bulk import would otherwise pay one database round trip per row.
    pub(crate) async fn insert_actions(
        &mut self,
        board_id: i64,
        actions: &[(&Action, Option<i64>)],
        at: DateTime<Utc>,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let at = Instant(at);
        const COLUMNS: usize = 14;
        for chunk in actions.chunks(INSERT_BATCH) {
            let sql = format!(
                "INSERT INTO actions (board_id, reference, ref_key, recommendation_id, title, \
                 owner, borough, officer_id, due, status, completed_on, created_at, updated_at, \
                 awaiting_sign_off) VALUES {}",
                placeholders(chunk.len(), COLUMNS)
            );
            on_tx!(&mut self.tx, |c| {
                let mut query = sqlx::query(&sql);
                for (action, recommendation_id) in chunk {
                    query = query
                        .bind(board_id)
                        .bind(action.reference.as_str())
                        .bind(ref_key(&action.reference))
                        .bind(*recommendation_id)
                        .bind(action.title.as_str())
                        .bind(action.owner.as_str())
                        .bind(action.borough.as_deref())
                        .bind(action.officer.map(|o| o.to_string()))
                        .bind(Day(action.due))
                        .bind(action.status.as_str())
                        .bind(action.completed_on.map(Day))
                        .bind(at)
                        .bind(at)
                        .bind(action.awaiting_sign_off as i64);
                }
                query.execute(c).await.map(|_| ())
            })
            .map_err(|e| self.classify(e))?;
        }
        let rows: Vec<(i64, String)> = on_tx!(&mut self.tx, |c| sqlx::query_as(
            "SELECT id, ref_key FROM actions WHERE board_id = $1"
        )
        .bind(board_id)
        .fetch_all(c)
        .await)?;
        Ok(rows.into_iter().map(|(id, key)| (key, id)).collect())
    }

    /// Append many history entries at once: `(subject id, entry)` pairs.
    pub(crate) async fn append_updates(
        &mut self,
        board_id: i64,
        updates: &[(i64, StatusUpdate)],
    ) -> Result<(), StoreError> {
        const COLUMNS: usize = 10;
        for chunk in updates.chunks(INSERT_BATCH) {
            // Each row's placeholders, then the record of the subject its third value names.
            let rows: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(row, (_, update))| {
                    let first = row * COLUMNS + 1;
                    let values: Vec<String> =
                        (first..first + COLUMNS).map(|n| format!("${n}")).collect();
                    let record = self.record_now(update.subject, &format!("${}", first + 2));
                    format!("({}, {record})", values.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO status_updates (board_id, subject_kind, subject_id, recorded_at, \
                 actor, change_kind, old_value, new_value, note, evidence, record) VALUES {}",
                rows.join(", ")
            );
            on_tx!(&mut self.tx, |c| {
                let mut query = sqlx::query(&sql);
                for (subject_id, update) in chunk {
                    query = query
                        .bind(board_id)
                        .bind(update.subject.as_str())
                        .bind(*subject_id)
                        .bind(Instant(update.at))
                        .bind(update.by.as_str())
                        .bind(update.change.as_str())
                        .bind(update.old_value.as_deref())
                        .bind(update.new_value.as_deref())
                        .bind(update.note.as_deref())
                        .bind(update.evidence.as_deref());
                }
                query.execute(c).await.map(|_| ())
            })
            .map_err(|e| self.classify(e))?;
        }
        Ok(())
    }
}

/// Rows per multi-row INSERT. Measured (benches/import.rs): sqlx binds parameters in time that
/// grows faster than linearly with their number per statement, so 500-row batches were three
/// times slower than single-row inserts while 50-row batches are the fastest tried (1,000-row
/// batches made importing 100,000 figures take 50 s on SQLite).
pub(super) const INSERT_BATCH: usize = 50;

/// `($1, $2, …), ($n+1, …)` for `rows` rows of `columns` values.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}
