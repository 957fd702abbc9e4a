//! The record as it stood at an instant, rebuilt from the append-only history.
//!
//! Every history entry keeps the whole record as its change left it (the `record` column,
//! written by the database in the entry's own INSERT: see `Transaction::append_update`). So a
//! record as it stood at `t` is the `record` of its latest entry recorded before `t` (the
//! latest by time, then by id), and a record with no entry before `t` did not exist yet. Two
//! queries, one per kind, each reading one JSON array.
//!
//! Entries made before release 0.2 keep no record. A record whose latest entry before `t` is
//! one of those is rebuilt backwards instead: from its current state, each later change is
//! undone by the old value its entry names (status, due date, officer, response).
//! Those entries never named the old title, owner or borough, so for dates before the upgrade
//! those fields are shown as they are now; the operations guide says so.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::records::{
    action_from_columns, recommendation_from_columns, ActionColumns, ActionRow,
    RecommendationColumns, RecommendationRow, ACTION_SELECT, RECOMMENDATION_SELECT,
};
use super::values::Instant;
use super::{Backend, Store, StoreError};
use crate::domain::{
    Action, ActionStatus, ChangeKind, OfficerId, Recommendation, RecommendationStatus, Response,
    SubjectKind, TimeZone,
};

/// A board's recommendations and actions as they stood at an instant, each sorted by ref as
/// [`Store::recommendations`] and [`Store::actions`] sort them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordAsItStood {
    pub recommendations: Vec<Recommendation>,
    pub actions: Vec<Action>,
}

/// One history entry as the backwards rebuild needs it.
#[derive(sqlx::FromRow)]
struct ChangeRow {
    subject_id: i64,
    recorded_at: Instant,
    change_kind: String,
    old_value: Option<String>,
    new_value: Option<String>,
}

impl Store {
    /// The record as it stood just before `before`: what was recorded then, and no record
    /// created later.
    pub async fn record_as_it_stood(
        &self,
        board_id: i64,
        before: DateTime<Utc>,
        tz: &TimeZone,
    ) -> Result<RecordAsItStood, StoreError> {
        let (actions, recommendations) = tokio::try_join!(
            self.latest_records::<ActionColumns>(board_id, SubjectKind::Action, before),
            self.latest_records::<RecommendationColumns>(
                board_id,
                SubjectKind::Recommendation,
                before
            ),
        )?;
        let mut rebuilt_actions = HashMap::new();
        let mut old_style = HashSet::new();
        for (id, record) in actions {
            match record {
                Some(columns) => {
                    rebuilt_actions.insert(id, action_from_columns(columns)?);
                }
                None => {
                    old_style.insert(id);
                }
            }
        }
        if !old_style.is_empty() {
            rebuilt_actions.extend(
                self.actions_backwards(board_id, &old_style, before, tz)
                    .await?,
            );
        }
        let mut rebuilt_recs = HashMap::new();
        let mut old_style = HashSet::new();
        for (id, record) in recommendations {
            match record {
                Some(columns) => {
                    rebuilt_recs.insert(id, recommendation_from_columns(columns)?);
                }
                None => {
                    old_style.insert(id);
                }
            }
        }
        if !old_style.is_empty() {
            rebuilt_recs.extend(
                self.recommendations_backwards(board_id, &old_style, before)
                    .await?,
            );
        }
        let mut actions: Vec<Action> = rebuilt_actions.into_values().collect();
        actions.sort_by_cached_key(|a| super::records::ref_key(&a.reference));
        let mut recommendations: Vec<Recommendation> = rebuilt_recs.into_values().collect();
        recommendations.sort_by_cached_key(|r| super::records::ref_key(&r.reference));
        Ok(RecordAsItStood {
            recommendations,
            actions,
        })
    }

    /// For each record of `kind` with an entry before `before`: its id and the record its
    /// latest such entry keeps (`None` for an entry from before records were kept).
    async fn latest_records<T: serde::de::DeserializeOwned>(
        &self,
        board_id: i64,
        kind: SubjectKind,
        before: DateTime<Utc>,
    ) -> Result<Vec<(i64, Option<T>)>, StoreError> {
        // The kept records are JSON already: joined as text rather than parsed and built
        // again by the database's JSON functions, which took most of the time.
        let aggregate = match self.backend() {
            Backend::Sqlite => "group_concat",
            Backend::Postgres => "string_agg",
        };
        let table = match kind {
            SubjectKind::Action => "actions",
            SubjectKind::Recommendation => "recommendations",
        };
        // For each record, its latest entry before the instant, found by one seek of
        // `status_updates_latest_by_subject` (board, kind, subject, time, id) rather than a
        // scan of the whole history. No entry yet: the record did not exist (left out); an
        // entry without a record: written before records were kept ('null'). The aggregate
        // skips the NULL rows itself; a WHERE on the subquery would run it twice.
        let json: String = on_pool!(self.pool(), |p| sqlx::query_scalar(&format!(
            "SELECT '[' || COALESCE({aggregate}('[' || CAST(t.id AS TEXT) || ',' || t.record \
             || ']', ','), '') || ']' FROM (SELECT s.id, (SELECT COALESCE(u.record, 'null') \
             FROM status_updates u WHERE u.board_id = $1 AND u.subject_kind = $2 \
             AND u.subject_id = s.id AND u.recorded_at < $3 \
             ORDER BY u.recorded_at DESC, u.id DESC LIMIT 1) AS record \
             FROM {table} s WHERE s.board_id = $1) t"
        ))
        .bind(board_id)
        .bind(kind.as_str())
        .bind(Instant(before))
        .fetch_one(p)
        .await)?;
        serde_json::from_str(&json).map_err(|e| {
            StoreError::Corrupt(format!(
                "the {} records kept in the history of board {board_id}: {e}",
                kind.as_str()
            ))
        })
    }

    /// The changes to records of `kind` in `ids`, oldest first.
    async fn changes_of(
        &self,
        board_id: i64,
        kind: SubjectKind,
        ids: &HashSet<i64>,
    ) -> Result<HashMap<i64, Vec<ChangeRow>>, StoreError> {
        let rows: Vec<ChangeRow> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT subject_id, recorded_at, change_kind, old_value, new_value \
             FROM status_updates WHERE board_id = $1 AND subject_kind = $2 ORDER BY id"
        )
        .bind(board_id)
        .bind(kind.as_str())
        .fetch_all(p)
        .await)?;
        let mut by_subject: HashMap<i64, Vec<ChangeRow>> = HashMap::new();
        for row in rows.into_iter().filter(|r| ids.contains(&r.subject_id)) {
            by_subject.entry(row.subject_id).or_default().push(row);
        }
        Ok(by_subject)
    }

    async fn actions_backwards(
        &self,
        board_id: i64,
        ids: &HashSet<i64>,
        before: DateTime<Utc>,
        tz: &TimeZone,
    ) -> Result<Vec<(i64, Action)>, StoreError> {
        let rows: Vec<ActionRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{ACTION_SELECT} WHERE a.board_id = $1"
        ))
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        let changes = self.changes_of(board_id, SubjectKind::Action, ids).await?;
        let mut rebuilt = Vec::with_capacity(ids.len());
        for row in rows {
            let stored = row.into_stored()?;
            if !ids.contains(&stored.id) {
                continue;
            }
            let history = changes.get(&stored.id).map(Vec::as_slice).unwrap_or(&[]);
            rebuilt.push((stored.id, undo_action(stored.action, history, before, tz)));
        }
        Ok(rebuilt)
    }

    async fn recommendations_backwards(
        &self,
        board_id: i64,
        ids: &HashSet<i64>,
        before: DateTime<Utc>,
    ) -> Result<Vec<(i64, Recommendation)>, StoreError> {
        let rows: Vec<RecommendationRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "{RECOMMENDATION_SELECT} WHERE r.board_id = $1"
        ))
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        let changes = self
            .changes_of(board_id, SubjectKind::Recommendation, ids)
            .await?;
        let mut rebuilt = Vec::with_capacity(ids.len());
        for row in rows {
            let (id, rec) = row.into_record()?;
            if !ids.contains(&id) {
                continue;
            }
            let history = changes.get(&id).map(Vec::as_slice).unwrap_or(&[]);
            rebuilt.push((id, undo_recommendation(rec, history, before)));
        }
        Ok(rebuilt)
    }
}

/// The index of the first change to undo: the one after the last entry (in id order, the
/// order of `history`) recorded before `before`. With the clock moving forward this is the
/// entry [`Store::latest_records`] picks.
fn undone_from(history: &[ChangeRow], before: DateTime<Utc>) -> usize {
    history
        .iter()
        .rposition(|c| c.recorded_at.0 < before)
        .map_or(0, |i| i + 1)
}

fn kind_of(row: &ChangeRow) -> Option<ChangeKind> {
    ChangeKind::parse(&row.change_kind)
}

/// An action's current state with every change recorded at or after `before` undone, newest
/// first. A value that no longer parses leaves the field as it is.
fn undo_action(
    mut action: Action,
    history: &[ChangeRow],
    before: DateTime<Utc>,
    tz: &TimeZone,
) -> Action {
    for (i, change) in history
        .iter()
        .enumerate()
        .skip(undone_from(history, before))
        .rev()
    {
        let old = change.old_value.as_deref();
        match kind_of(change) {
            Some(ChangeKind::Status | ChangeKind::Reopened) => {
                let Some(status) = old.and_then(|s| ActionStatus::parse(s).ok()) else {
                    continue;
                };
                if status == ActionStatus::Done {
                    // Back to done: it was completed the day an earlier entry marked it done.
                    action.completed_on = action.completed_on.or_else(|| {
                        history[..i]
                            .iter()
                            .rev()
                            .find(|c| c.new_value.as_deref() == Some("done"))
                            .map(|c| tz.today(c.recorded_at.0))
                    });
                } else {
                    action.completed_on = None;
                    action.awaiting_sign_off = false;
                }
                action.status = status;
            }
            Some(ChangeKind::Due) => {
                if let Some(due) = old.and_then(super::values::stored_date) {
                    action.due = due;
                }
            }
            Some(ChangeKind::Officer) => {
                action.officer = old.and_then(|o| OfficerId::parse(o).ok());
            }
            // A sign-off needs no undoing here: the wait for it began after the upgrade with
            // an entry marking the action done, and undoing that entry clears the wait.
            _ => {}
        }
    }
    action
}

/// A recommendation's current state with every change recorded at or after `before` undone.
fn undo_recommendation(
    mut rec: Recommendation,
    history: &[ChangeRow],
    before: DateTime<Utc>,
) -> Recommendation {
    for change in history.iter().skip(undone_from(history, before)).rev() {
        let old = change.old_value.as_deref();
        match kind_of(change) {
            Some(ChangeKind::Status | ChangeKind::Reopened) => {
                if let Some(status) = old.and_then(|s| RecommendationStatus::parse(s).ok()) {
                    rec.status = status;
                }
            }
            Some(ChangeKind::Response) => {
                if let Some(response) = old.and_then(|s| Response::parse(s).ok()) {
                    rec.response = response;
                }
            }
            _ => {}
        }
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn change(at: DateTime<Utc>) -> ChangeRow {
        ChangeRow {
            subject_id: 1,
            recorded_at: Instant(at),
            change_kind: "status".into(),
            old_value: None,
            new_value: None,
        }
    }

    #[test]
    fn an_entry_recorded_at_the_instant_itself_is_undone() {
        let midnight = Utc.with_ymd_and_hms(2010, 10, 1, 0, 0, 0).unwrap();
        let second = chrono::Duration::seconds(1);
        let history = [
            change(midnight - second),
            change(midnight),
            change(midnight + second),
        ];
        assert_eq!(undone_from(&history, midnight), 1);
        assert_eq!(undone_from(&history, midnight + second), 2);
        assert_eq!(undone_from(&history, midnight - second), 0);
        assert_eq!(undone_from(&[], midnight), 0);
    }
}
