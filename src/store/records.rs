//! Reading recommendations, actions and history. Row types stay here; callers get domain types.

use chrono::{DateTime, NaiveDate, Utc};

use super::values::{Day, Instant};
use super::{Backend, Store, StoreError};
use crate::domain::{
    Action, ActionStatus, ChangeKind, OfficerId, Priority, Recommendation, RecommendationStatus,
    Ref, Response, Source, StatusUpdate, SubjectKind,
};

pub(super) const RECOMMENDATION_SELECT: &str = "SELECT r.id, r.reference, r.title, r.body, \
    r.theme, r.owner, r.priority, r.response, r.status, s.title AS source_title, \
    s.published_on AS source_date, r.response_due FROM recommendations r \
    LEFT JOIN sources s ON s.id = r.source_id";

pub(super) const ACTION_SELECT: &str = "SELECT a.id, a.reference, a.recommendation_id, \
    r.reference AS recommendation_ref, a.title, a.owner, a.borough, a.officer_id, a.due, a.status, \
    a.completed_on, a.awaiting_sign_off FROM actions a \
    LEFT JOIN recommendations r ON r.id = a.recommendation_id";

/// An action's columns in [`ActionColumns`] order, for a JSON array built by the database: the
/// bulk read of [`Store::actions`] and the record each history entry keeps.
pub(super) const ACTION_JSON_COLUMNS: &str = "a.reference, r.reference, a.title, a.owner, \
    a.borough, a.officer_id, a.due, a.status, a.completed_on, a.awaiting_sign_off";
pub(super) const ACTION_JSON_FROM: &str =
    "FROM actions a LEFT JOIN recommendations r ON r.id = a.recommendation_id";

/// A recommendation's columns in [`RecommendationColumns`] order, for the record each history
/// entry keeps.
pub(super) const RECOMMENDATION_JSON_COLUMNS: &str = "r.reference, r.title, r.body, r.theme, \
    r.owner, r.priority, r.response, r.status, s.title, s.published_on, r.response_due";
pub(super) const RECOMMENDATION_JSON_FROM: &str =
    "FROM recommendations r LEFT JOIN sources s ON s.id = r.source_id";

/// [`HISTORY_SELECT`] with each entry's id first, for reads that order entries themselves.
const HISTORY_SELECT_WITH_ID: &str = "SELECT u.id, u.subject_kind, u.recorded_at, u.actor, \
    u.change_kind, u.old_value, u.new_value, u.note, u.evidence, \
    COALESCE(a.reference, r.reference) AS subject_ref \
    FROM status_updates u \
    LEFT JOIN actions a ON u.subject_kind = 'action' AND a.id = u.subject_id \
    LEFT JOIN recommendations r ON u.subject_kind = 'recommendation' AND r.id = u.subject_id";

const HISTORY_SELECT: &str = "SELECT u.subject_kind, u.recorded_at, u.actor, u.change_kind, \
    u.old_value, u.new_value, u.note, u.evidence, \
    COALESCE(a.reference, r.reference) AS subject_ref \
    FROM status_updates u \
    LEFT JOIN actions a ON u.subject_kind = 'action' AND a.id = u.subject_id \
    LEFT JOIN recommendations r ON u.subject_kind = 'recommendation' AND r.id = u.subject_id";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A recommendation as its columns are read (one decode path for both backends).
#[derive(sqlx::FromRow)]
pub(super) struct RecommendationRow {
    id: i64,
    reference: String,
    title: String,
    body: Option<String>,
    theme: Option<String>,
    owner: Option<String>,
    priority: i64,
    response: String,
    status: String,
    source_title: Option<String>,
    source_date: Option<Day>,
    response_due: Option<Day>,
}

impl RecommendationRow {
    pub(super) fn into_record(self) -> Result<(i64, Recommendation), StoreError> {
        let rec = recommendation_from_columns(RecommendationColumns(
            self.reference,
            self.title,
            self.body,
            self.theme,
            self.owner,
            self.priority,
            self.response,
            self.status,
            self.source_title,
            self.source_date,
            self.response_due,
        ))?;
        Ok((self.id, rec))
    }
}

/// A recommendation's stored columns, however they were read: a row, or the JSON array a
/// history entry keeps. Fields added by later releases are `#[serde(default)]`, so a record
/// kept before them still reads.
#[derive(serde::Deserialize)]
pub(super) struct RecommendationColumns(
    String,                        // reference
    String,                        // title
    Option<String>,                // body
    Option<String>,                // theme
    Option<String>,                // owner
    i64,                           // priority
    String,                        // response
    String,                        // status
    Option<String>,                // source title
    Option<Day>,                   // source published on
    #[serde(default)] Option<Day>, // response due
);

pub(super) fn recommendation_from_columns(
    c: RecommendationColumns,
) -> Result<Recommendation, StoreError> {
    let RecommendationColumns(
        reference,
        title,
        body,
        theme,
        owner,
        priority,
        response,
        status,
        source_title,
        source_date,
        response_due,
    ) = c;
    Ok(Recommendation {
        reference: Ref::parse(&reference).map_err(|e| corrupt(format!("ref {reference}: {e}")))?,
        title,
        text: body,
        source: source_title.map(|title| Source {
            title,
            published_on: source_date.map(|d| d.0),
        }),
        theme,
        owner,
        priority: Priority(priority != 0),
        response: Response::parse(&response).map_err(corrupt)?,
        status: RecommendationStatus::parse(&status).map_err(corrupt)?,
        response_due: response_due.map(|d| d.0),
    })
}

/// An action with the database ids the write path needs.
pub(crate) struct StoredAction {
    pub id: i64,
    pub recommendation_id: Option<i64>,
    pub action: Action,
}

/// An action's stored columns, however they were read: a row, one element of the aggregated
/// JSON array [`Store::actions`] reads, or the record a history entry keeps. Fields added by
/// later releases are `#[serde(default)]`, so a record kept before them still reads.
#[derive(serde::Deserialize)]
pub(super) struct ActionColumns(
    String,                // reference
    Option<String>,        // recommendation ref
    String,                // title
    String,                // owner
    Option<String>,        // borough
    Option<String>,        // officer id
    Day,                   // due
    String,                // status
    Option<Day>,           // completed_on
    #[serde(default)] i64, // awaiting sign-off (0 or 1)
);

pub(super) fn action_from_columns(c: ActionColumns) -> Result<Action, StoreError> {
    let ActionColumns(
        reference,
        rec_ref,
        title,
        owner,
        borough,
        officer,
        due,
        status,
        completed,
        awaiting_sign_off,
    ) = c;
    Ok(Action {
        awaiting_sign_off: awaiting_sign_off != 0,
        recommendation: rec_ref
            .map(|r| Ref::parse(&r).map_err(|e| corrupt(format!("ref {r}: {e}"))))
            .transpose()?,
        title,
        owner,
        borough,
        officer: officer
            .map(|o| OfficerId::parse(&o).map_err(corrupt))
            .transpose()?,
        due: due.0,
        status: ActionStatus::parse(&status).map_err(corrupt)?,
        completed_on: completed.map(|d| d.0),
        reference: Ref::parse(&reference).map_err(|e| corrupt(format!("ref {reference}: {e}")))?,
    })
}

/// An action as its columns are read, with the ids the write path needs.
#[derive(sqlx::FromRow)]
pub(super) struct ActionRow {
    id: i64,
    reference: String,
    recommendation_id: Option<i64>,
    recommendation_ref: Option<String>,
    title: String,
    owner: String,
    borough: Option<String>,
    officer_id: Option<String>,
    due: Day,
    status: String,
    completed_on: Option<Day>,
    awaiting_sign_off: i64,
}

impl ActionRow {
    pub(super) fn into_stored(self) -> Result<StoredAction, StoreError> {
        let action = action_from_columns(ActionColumns(
            self.reference,
            self.recommendation_ref,
            self.title,
            self.owner,
            self.borough,
            self.officer_id,
            self.due,
            self.status,
            self.completed_on,
            self.awaiting_sign_off,
        ))?;
        Ok(StoredAction {
            id: self.id,
            recommendation_id: self.recommendation_id,
            action,
        })
    }
}

/// A history entry's stored columns, led by its id (which orders the history): a row, or one
/// element of the aggregated JSON array [`Store::digest_history_between`] reads.
#[derive(serde::Deserialize)]
struct UpdateColumns(
    i64,            // id
    String,         // subject_kind
    Instant,        // recorded_at
    String,         // actor
    String,         // change_kind
    Option<String>, // old_value
    Option<String>, // new_value
    Option<String>, // note
    Option<String>, // evidence
    Option<String>, // subject ref
);

fn update_from_columns(c: UpdateColumns) -> Result<StatusUpdate, StoreError> {
    let UpdateColumns(_, kind, at, by, change, old_value, new_value, note, evidence, subject_ref) =
        c;
    let subject_ref = subject_ref.ok_or_else(|| corrupt("history entry for a missing record"))?;
    Ok(StatusUpdate {
        subject: SubjectKind::parse(&kind).ok_or_else(|| corrupt(format!("subject {kind}")))?,
        reference: Ref::parse(&subject_ref).map_err(corrupt)?,
        at: at.0,
        by,
        change: ChangeKind::parse(&change).ok_or_else(|| corrupt(format!("change {change}")))?,
        old_value,
        new_value,
        note,
        evidence,
    })
}

/// A history entry as its columns are read.
#[derive(sqlx::FromRow)]
struct UpdateRow {
    subject_kind: String,
    recorded_at: Instant,
    actor: String,
    change_kind: String,
    old_value: Option<String>,
    new_value: Option<String>,
    note: Option<String>,
    evidence: Option<String>,
    subject_ref: Option<String>,
}

impl UpdateRow {
    fn into_update(self) -> Result<StatusUpdate, StoreError> {
        update_from_columns(UpdateColumns(
            0,
            self.subject_kind,
            self.recorded_at,
            self.actor,
            self.change_kind,
            self.old_value,
            self.new_value,
            self.note,
            self.evidence,
            self.subject_ref,
        ))
    }
}

/// Which actions a list shows. Empty fields match everything; text matches ignore case and
/// may be part of the name ("bexley" finds "Bexley Community Safety").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub owner: Option<String>,
    pub borough: Option<String>,
    pub status: Option<ActionStatus>,
    pub officer: Option<OfficerId>,
    /// Only actions overdue on this date (open and due before it).
    pub overdue_on: Option<NaiveDate>,
    /// Only open actions.
    pub open_only: bool,
    /// Only done actions waiting for the secretariat's sign-off.
    pub awaiting_sign_off: bool,
    /// At most this many (the most urgent); `None` for all.
    pub limit: Option<u32>,
}

impl ActionFilter {
    /// The WHERE clause (after the board) and its values, numbered from `$2`: the text values,
    /// then the overdue date if any (bound last, as a date).
    fn conditions(&self) -> (String, Vec<String>, Option<Day>) {
        let mut sql = String::new();
        let mut binds: Vec<String> = Vec::new();
        let next = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len() + 1)
        };
        if let Some(owner) = &self.owner {
            let p = next(like_pattern(owner), &mut binds);
            sql.push_str(&format!(" AND LOWER(a.owner) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(borough) = &self.borough {
            let p = next(like_pattern(borough), &mut binds);
            sql.push_str(&format!(" AND LOWER(a.borough) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(status) = self.status {
            let p = next(status.as_str().to_string(), &mut binds);
            sql.push_str(&format!(" AND a.status = {p}"));
        }
        if let Some(officer) = self.officer {
            let p = next(officer.to_string(), &mut binds);
            sql.push_str(&format!(" AND a.officer_id = {p}"));
        }
        if self.overdue_on.is_some() {
            sql.push_str(&format!(" AND a.due < ${}", binds.len() + 2));
        }
        if self.awaiting_sign_off {
            sql.push_str(" AND a.status = 'done' AND a.awaiting_sign_off = 1");
        }
        if self.open_only || self.overdue_on.is_some() {
            sql.push_str(" AND a.status NOT IN ('done', 'dropped')");
        }
        (sql, binds, self.overdue_on.map(Day))
    }
}

/// `%text%` for a case-insensitive LIKE, with LIKE's own wildcards taken literally. Only ASCII
/// letters are folded, as SQL's `LOWER()` does on both backends (PostgreSQL's text columns use
/// the "C" collation), so a search finds the same records on either.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_ascii_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The key refs are unique by: case does not make a different ref.
pub(crate) fn ref_key(reference: &Ref) -> String {
    reference.as_str().to_uppercase()
}

impl Store {
    /// A board's recommendations, by ref.
    pub async fn recommendations(&self, board_id: i64) -> Result<Vec<Recommendation>, StoreError> {
        let rows: Vec<RecommendationRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{RECOMMENDATION_SELECT} WHERE r.board_id = $1 ORDER BY r.ref_key"
        ))
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|row| row.into_record().map(|(_, rec)| rec))
            .collect()
    }

    /// One recommendation by ref (any case).
    pub async fn recommendation(
        &self,
        board_id: i64,
        reference: &Ref,
    ) -> Result<Option<Recommendation>, StoreError> {
        let row: Option<RecommendationRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{RECOMMENDATION_SELECT} WHERE r.board_id = $1 AND r.ref_key = $2"
        ))
        .bind(board_id)
        .bind(ref_key(reference))
        .fetch_optional(p)
        .await)?;
        row.map(|row| row.into_record().map(|(_, rec)| rec))
            .transpose()
    }

    /// A board's actions, by ref.
    ///
    /// Read as one JSON array built by the database rather than row by row: the SQLite driver
    /// hands each row across threads, which dominated the digest of a board with thousands of
    /// actions. Measured with typed pools (benches/digest.rs, 10,000 actions): rows 65.8 ms,
    /// one JSON array 13.1 ms on SQLite; on PostgreSQL the two are within noise (32 / 40 ms),
    /// so both backends keep the one query, which differs only in the JSON functions' names.
    pub async fn actions(&self, board_id: i64) -> Result<Vec<Action>, StoreError> {
        let (aggregate, array) = self.json_functions();
        let json: String = on_pool!(self.pool(), |p| sqlx::query_scalar(&format!(
            "SELECT COALESCE(CAST({aggregate}({array}({ACTION_JSON_COLUMNS})) AS TEXT), '[]') \
             {ACTION_JSON_FROM} WHERE a.board_id = $1"
        ))
        .bind(board_id)
        .fetch_one(p)
        .await)?;
        let columns: Vec<ActionColumns> = serde_json::from_str(&json)
            .map_err(|e| corrupt(format!("actions of board {board_id}: {e}")))?;
        let mut actions = columns
            .into_iter()
            .map(action_from_columns)
            .collect::<Result<Vec<_>, _>>()?;
        // The order `ORDER BY ref_key` gives: refs compared regardless of case.
        actions.sort_by_cached_key(|a| ref_key(&a.reference));
        Ok(actions)
    }

    /// The JSON functions that fold rows into one array: (aggregate, row constructor).
    pub(super) fn json_functions(&self) -> (&'static str, &'static str) {
        match self.backend() {
            Backend::Sqlite => ("json_group_array", "json_array"),
            Backend::Postgres => ("json_agg", "json_build_array"),
        }
    }

    /// One action by ref (any case).
    pub async fn action(
        &self,
        board_id: i64,
        reference: &Ref,
    ) -> Result<Option<Action>, StoreError> {
        let row: Option<ActionRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{ACTION_SELECT} WHERE a.board_id = $1 AND a.ref_key = $2"
        ))
        .bind(board_id)
        .bind(ref_key(reference))
        .fetch_optional(p)
        .await)?;
        row.map(|row| row.into_stored().map(|stored| stored.action))
            .transpose()
    }

    /// The history of one record, oldest first.
    pub async fn history_of(
        &self,
        board_id: i64,
        subject: SubjectKind,
        reference: &Ref,
    ) -> Result<Vec<StatusUpdate>, StoreError> {
        let table = match subject {
            SubjectKind::Action => "actions",
            SubjectKind::Recommendation => "recommendations",
        };
        let rows: Vec<UpdateRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{HISTORY_SELECT} WHERE u.board_id = $1 AND u.subject_kind = $2 AND u.subject_id = \
             (SELECT id FROM {table} WHERE board_id = $1 AND ref_key = $3) ORDER BY u.id"
        ))
        .bind(board_id)
        .bind(subject.as_str())
        .bind(ref_key(reference))
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(UpdateRow::into_update).collect()
    }

    /// A board's whole history, oldest first.
    pub async fn history(&self, board_id: i64) -> Result<Vec<StatusUpdate>, StoreError> {
        let rows: Vec<UpdateRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{HISTORY_SELECT} WHERE u.board_id = $1 ORDER BY u.id"
        ))
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(UpdateRow::into_update).collect()
    }

    /// The actions whose due date had moved more than `more_than` times (before `before`, if
    /// given: the record as it stood then), by ref: how often, and the date each was first due (the first move's old date). For the
    /// slip rule; only the flagged few come back, however long the history.
    pub async fn due_moves(
        &self,
        board_id: i64,
        before: Option<DateTime<Utc>>,
        more_than: u32,
    ) -> Result<std::collections::HashMap<String, crate::domain::DueMoves>, StoreError> {
        let rows: Vec<(String, i64, Option<String>)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT a.reference, COUNT(*), (SELECT f.old_value FROM status_updates f \
             WHERE f.subject_kind = 'action' AND f.subject_id = u.subject_id \
             AND f.change_kind = 'due' AND ($2 IS NULL OR f.recorded_at < $2) \
             ORDER BY f.id LIMIT 1) \
             FROM status_updates u JOIN actions a ON a.id = u.subject_id \
             WHERE u.board_id = $1 AND u.subject_kind = 'action' AND u.change_kind = 'due' \
             AND ($2 IS NULL OR u.recorded_at < $2) \
             GROUP BY u.subject_id, a.reference HAVING COUNT(*) > $3",
        )
        .bind(board_id)
        .bind(before.map(Instant))
        .bind(i64::from(more_than))
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(reference, times, first)| {
                let first_due = first?.parse().ok()?;
                Some((
                    reference,
                    crate::domain::DueMoves {
                        times: u32::try_from(times).unwrap_or(u32::MAX),
                        first_due,
                    },
                ))
            })
            .collect())
    }

    /// The history a digest needs from `[from, to)`, oldest first: due-date changes of actions,
    /// and recommendations created or changing status. Filtered in SQL, since a busy board
    /// records far more status updates than these.
    pub async fn digest_history_between(
        &self,
        board_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatusUpdate>, StoreError> {
        // One aggregated JSON array, as in `actions`: a quarter of a busy board's history is
        // thousands of entries.
        let (aggregate, array) = self.json_functions();
        let json: String = on_pool!(self.pool(), |p| sqlx::query_scalar(&format!(
            "SELECT COALESCE(CAST({aggregate}({array}(h.id, h.subject_kind, h.recorded_at, \
             h.actor, h.change_kind, h.old_value, h.new_value, h.note, h.evidence, \
             h.subject_ref)) AS TEXT), '[]') FROM ({HISTORY_SELECT_WITH_ID} WHERE \
             u.board_id = $1 AND u.recorded_at >= $2 AND u.recorded_at < $3 AND \
             ((u.subject_kind = 'action' AND u.change_kind = 'due') OR \
             (u.subject_kind = 'recommendation' AND u.change_kind IN ('created', 'status')))) h"
        ))
        .bind(board_id)
        .bind(Instant(from))
        .bind(Instant(to))
        .fetch_one(p)
        .await)?;
        let mut entries: Vec<UpdateColumns> = serde_json::from_str(&json)
            .map_err(|e| corrupt(format!("history of board {board_id}: {e}")))?;
        // Oldest first, the order entries were appended in.
        entries.sort_by_key(|e| e.0);
        entries.into_iter().map(update_from_columns).collect()
    }

    /// History entries of the given kinds recorded in `[from, to)`, oldest first.
    pub async fn history_between(
        &self,
        board_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kinds: &[ChangeKind],
    ) -> Result<Vec<StatusUpdate>, StoreError> {
        let kinds_sql = kinds
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let kind_filter = if kinds.is_empty() {
            String::new()
        } else {
            format!(" AND u.change_kind IN ({kinds_sql})")
        };
        let rows: Vec<UpdateRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{HISTORY_SELECT} WHERE u.board_id = $1 AND u.recorded_at >= $2 AND \
             u.recorded_at < $3{kind_filter} ORDER BY u.id"
        ))
        .bind(board_id)
        .bind(Instant(from))
        .bind(Instant(to))
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(UpdateRow::into_update).collect()
    }

    /// Actions matching a filter, most urgent first (due date, then ref).
    pub async fn find_actions(
        &self,
        board_id: i64,
        filter: &ActionFilter,
    ) -> Result<Vec<Action>, StoreError> {
        let (conditions, binds, overdue_on) = filter.conditions();
        let limit = filter
            .limit
            .map(|n| format!(" LIMIT {n}"))
            .unwrap_or_default();
        let sql = format!(
            "{ACTION_SELECT} WHERE a.board_id = $1{conditions} ORDER BY a.due, a.ref_key{limit}"
        );
        let rows: Vec<ActionRow> = on_pool!(self.pool(), |p| {
            let mut query = sqlx::query_as(&sql).bind(board_id);
            for value in &binds {
                query = query.bind(value);
            }
            if let Some(day) = overdue_on {
                query = query.bind(day);
            }
            query.fetch_all(p).await
        })?;
        rows.into_iter()
            .map(|row| row.into_stored().map(|stored| stored.action))
            .collect()
    }

    /// How many actions match a filter (its limit ignored).
    pub async fn count_actions(
        &self,
        board_id: i64,
        filter: &ActionFilter,
    ) -> Result<usize, StoreError> {
        let (conditions, binds, overdue_on) = filter.conditions();
        let sql = format!("SELECT COUNT(*) FROM actions a WHERE a.board_id = $1{conditions}");
        let count: i64 = on_pool!(self.pool(), |p| {
            let mut query = sqlx::query_scalar(&sql).bind(board_id);
            for value in &binds {
                query = query.bind(value);
            }
            if let Some(day) = overdue_on {
                query = query.bind(day);
            }
            query.fetch_one(p).await
        })?;
        Ok(count.max(0) as usize)
    }

    /// Up to `limit` (ref, title) pairs of actions whose ref or title contains `text`, for
    /// autocomplete. Refs that start with the text come first.
    pub async fn search_actions(
        &self,
        board_id: i64,
        text: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.search("actions", board_id, text, limit).await
    }

    /// Up to `limit` (ref, title) pairs of recommendations matching `text`, for autocomplete.
    pub async fn search_recommendations(
        &self,
        board_id: i64,
        text: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.search("recommendations", board_id, text, limit).await
    }

    async fn search(
        &self,
        table: &str,
        board_id: i64,
        text: &str,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let pattern = like_pattern(text);
        let prefix = format!(
            "{}%",
            text.trim().to_ascii_uppercase().replace(['%', '_'], "")
        );
        let rows: Vec<(String, String)> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "SELECT reference, title FROM {table} WHERE board_id = $1 AND \
             (LOWER(ref_key) LIKE $2 ESCAPE '\\' OR LOWER(title) LIKE $2 ESCAPE '\\') \
             ORDER BY CASE WHEN ref_key LIKE $3 THEN 0 ELSE 1 END, ref_key LIMIT $4"
        ))
        .bind(board_id)
        .bind(pattern)
        .bind(prefix)
        .bind(limit as i64)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
