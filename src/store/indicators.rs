//! The board's indicators, their figures and the append-only history of every revision.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::transaction::JsonColumn;
use super::values::{Day, Instant};
use super::{DriverTx, Store, StoreError, Transaction};
use crate::domain::dates::timestamp_to_text;
use crate::domain::indicators::{
    area_key, Better, Figure, Indicator, IndicatorKey, Revision, RevisionSubject, Unit,
};

/// An indicator as its columns are read.
#[derive(sqlx::FromRow)]
struct IndicatorRow {
    id: i64,
    key: String,
    name: String,
    unit: String,
    better: String,
    theme: Option<String>,
    description: Option<String>,
}

impl IndicatorRow {
    fn into_record(self) -> Result<(i64, Indicator), StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("indicator {}: {what}", self.key));
        Ok((
            self.id,
            Indicator {
                key: IndicatorKey::parse(&self.key).map_err(|e| corrupt(e.to_string()))?,
                unit: Unit::parse(&self.unit).map_err(|e| corrupt(e.to_string()))?,
                better: Better::parse(&self.better).map_err(|e| corrupt(e.to_string()))?,
                name: self.name,
                theme: self.theme,
                description: self.description,
            },
        ))
    }
}

const INDICATOR_SELECT: &str =
    "SELECT id, key, name, unit, better, theme, description FROM indicators";

/// A figure as its columns are read, with its indicator's key.
#[derive(sqlx::FromRow)]
struct FigureRow {
    id: i64,
    indicator_id: i64,
    key: String,
    area: String,
    period: Day,
    value: i64,
    denominator: Option<i64>,
    note: Option<String>,
}

impl FigureRow {
    fn into_stored(self) -> Result<StoredFigure, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("figure {}: {what}", self.id));
        Ok(StoredFigure {
            id: self.id,
            indicator_id: self.indicator_id,
            figure: Figure {
                indicator: IndicatorKey::parse(&self.key).map_err(|e| corrupt(&e.to_string()))?,
                area: self.area,
                period: self.period.0,
                value: u64::try_from(self.value).map_err(|_| corrupt("negative value"))?,
                denominator: self
                    .denominator
                    .map(u64::try_from)
                    .transpose()
                    .map_err(|_| corrupt("negative denominator"))?,
                note: self.note,
            },
        })
    }
}

const FIGURE_SELECT: &str = "SELECT f.id, f.indicator_id, i.key, f.area, f.period, f.value, \
    f.denominator, f.note FROM indicator_figures f JOIN indicators i ON i.id = f.indicator_id";

/// A figure with the ids it is stored under.
#[derive(Debug, Clone)]
pub(crate) struct StoredFigure {
    pub id: i64,
    pub indicator_id: i64,
    pub figure: Figure,
}

/// Where a figure is filed: its indicator, its area (folded) and its quarter.
pub(crate) type FigureSlot = (i64, String, NaiveDate);

#[derive(sqlx::FromRow)]
struct RevisionRow {
    subject: String,
    key: String,
    area: Option<String>,
    period: Option<Day>,
    recorded_at: Instant,
    recorded_by: String,
    change: String,
    old_value: Option<String>,
    new_value: Option<String>,
    note: Option<String>,
}

/// How many new figures make PostgreSQL's statistics worth refreshing in the import.
const ANALYZE_AFTER: usize = 1_000;

/// How many rows go to one statement when they are written as one JSON array: large enough
/// that a big import is a few statements, small enough that one stays a few megabytes.
const JSON_BATCH: usize = 10_000;

fn json_text(rows: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(rows).map_err(|e| StoreError::Corrupt(format!("rows as JSON: {e}")))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// The board's indicators, by key.
    pub async fn indicators(&self, board_id: i64) -> Result<Vec<Indicator>, StoreError> {
        let sql = format!("{INDICATOR_SELECT} WHERE board_id = $1 ORDER BY key");
        let rows: Vec<IndicatorRow> = on_pool!(self.pool(), |p| sqlx::query_as(&sql)
            .bind(board_id)
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|r| r.into_record().map(|(_, i)| i))
            .collect()
    }

    /// The board's figures for quarters starting from `from` to `to` (both included), by
    /// indicator, quarter and area; every figure when both are `None`. Read as one JSON array,
    /// as [`Store::actions`] is: decoding thousands of rows one by one through the driver cost
    /// the digest more than everything else it does with them.
    pub async fn figures(
        &self,
        board_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Figure>, StoreError> {
        let (aggregate, array) = self.json_functions();
        let sql = format!(
            "SELECT COALESCE(CAST({aggregate}({array}(i.key, f.area, f.period, f.value, \
             f.denominator, f.note)) AS TEXT), '[]') FROM indicator_figures f \
             JOIN indicators i ON i.id = f.indicator_id \
             WHERE f.board_id = $1 AND f.period >= $2 AND f.period <= $3"
        );
        let from = Day(from.unwrap_or(crate::domain::EARLIEST_DATE));
        let to = Day(to.unwrap_or(crate::domain::LATEST_DATE));
        let json: String = on_pool!(self.pool(), |p| sqlx::query_scalar(&sql)
            .bind(board_id)
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await)?;
        type Columns = (String, String, Day, i64, Option<i64>, Option<String>);
        let rows: Vec<Columns> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("figures of board {board_id}: {e}")))?;
        let mut figures = rows
            .into_iter()
            .map(|(key, area, period, value, denominator, note)| {
                let corrupt =
                    |what: &str| StoreError::Corrupt(format!("figure {key} {area}: {what}"));
                Ok(Figure {
                    indicator: IndicatorKey::parse(&key).map_err(|e| corrupt(&e.to_string()))?,
                    period: period.0,
                    value: u64::try_from(value).map_err(|_| corrupt("negative value"))?,
                    denominator: denominator
                        .map(u64::try_from)
                        .transpose()
                        .map_err(|_| corrupt("negative denominator"))?,
                    area,
                    note,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        figures.sort_by_cached_key(|f| (f.indicator.clone(), f.period, area_key(&f.area)));
        Ok(figures)
    }

    /// Every area the board has a figure for, as last written, by name.
    pub async fn figure_areas(&self, board_id: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT area_key, MAX(area) FROM indicator_figures WHERE board_id = $1 \
             GROUP BY area_key ORDER BY area_key"
        )
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|(_, area)| area).collect())
    }

    /// The indicator history, oldest first.
    pub async fn indicator_history(&self, board_id: i64) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<RevisionRow> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT subject, key, area, period, recorded_at, recorded_by, change, old_value, \
             new_value, note FROM indicator_history WHERE board_id = $1 ORDER BY recorded_at, id"
        )
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(Revision {
                    subject: match r.subject.as_str() {
                        "indicator" => RevisionSubject::Indicator,
                        _ => RevisionSubject::Figure,
                    },
                    key: IndicatorKey::parse(&r.key)
                        .map_err(|e| StoreError::Corrupt(format!("indicator history: {e}")))?,
                    area: r.area,
                    period: r.period.map(|d| d.0),
                    at: r.recorded_at.0,
                    by: r.recorded_by,
                    change: r.change,
                    old_value: r.old_value,
                    new_value: r.new_value,
                    note: r.note,
                })
            })
            .collect()
    }
}

impl Transaction {
    /// The board's indicators keyed by key, with their ids, read inside the transaction.
    pub(crate) async fn indicator_index(
        &mut self,
        board_id: i64,
    ) -> Result<HashMap<IndicatorKey, (i64, Indicator)>, StoreError> {
        let sql = format!(
            "{INDICATOR_SELECT} WHERE board_id = $1 ORDER BY id{}",
            self.lock_clause()
        );
        let rows: Vec<IndicatorRow> = on_tx!(self.driver(), |c| sqlx::query_as(&sql)
            .bind(board_id)
            .fetch_all(c)
            .await)?;
        rows.into_iter()
            .map(|r| r.into_record().map(|(id, i)| (i.key.clone(), (id, i))))
            .collect()
    }

    /// The ids of the board's indicators that have at least one figure.
    pub(crate) async fn indicators_with_figures(
        &mut self,
        board_id: i64,
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        let ids: Vec<i64> = on_tx!(self.driver(), |c| sqlx::query_scalar(
            "SELECT DISTINCT indicator_id FROM indicator_figures WHERE board_id = $1"
        )
        .bind(board_id)
        .fetch_all(c)
        .await)?;
        Ok(ids.into_iter().collect())
    }

    /// Add an indicator; its id.
    pub(crate) async fn insert_indicator(
        &mut self,
        board_id: i64,
        indicator: &Indicator,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let id: i64 = on_tx!(self.driver(), |c| sqlx::query_scalar(
            "INSERT INTO indicators (board_id, key, name, unit, better, theme, description, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id"
        )
        .bind(board_id)
        .bind(indicator.key.as_str())
        .bind(&indicator.name)
        .bind(indicator.unit.as_str())
        .bind(indicator.better.as_str())
        .bind(indicator.theme.as_deref())
        .bind(indicator.description.as_deref())
        .bind(Instant(at))
        .fetch_one(c)
        .await)
        .map_err(|e| self.classify(e))?;
        Ok(id)
    }

    /// Overwrite an indicator's definition.
    pub(crate) async fn update_indicator(
        &mut self,
        id: i64,
        indicator: &Indicator,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_tx!(self.driver(), |c| sqlx::query(
            "UPDATE indicators SET name = $1, unit = $2, better = $3, theme = $4, \
             description = $5, updated_at = $6 WHERE id = $7"
        )
        .bind(&indicator.name)
        .bind(indicator.unit.as_str())
        .bind(indicator.better.as_str())
        .bind(indicator.theme.as_deref())
        .bind(indicator.description.as_deref())
        .bind(Instant(at))
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
        .map_err(|e| self.classify(e))
    }

    /// The board's figures keyed by where they are filed, read inside the transaction.
    pub(crate) async fn figure_index(
        &mut self,
        board_id: i64,
    ) -> Result<HashMap<FigureSlot, StoredFigure>, StoreError> {
        let sql = format!(
            "{FIGURE_SELECT} WHERE f.board_id = $1 ORDER BY f.id{}",
            match self.lock_clause() {
                "" => "",
                _ => " FOR UPDATE OF f",
            }
        );
        let rows: Vec<FigureRow> = on_tx!(self.driver(), |c| sqlx::query_as(&sql)
            .bind(board_id)
            .fetch_all(c)
            .await)?;
        rows.into_iter()
            .map(|r| {
                let stored = r.into_stored()?;
                Ok((
                    (
                        stored.indicator_id,
                        area_key(&stored.figure.area),
                        stored.figure.period,
                    ),
                    stored,
                ))
            })
            .collect()
    }

    /// Add figures, `(indicator id, figure)` pairs, [`JSON_BATCH`] to a statement, each with
    /// its "created" entry in the indicator history: recorded at `at` by `by`, the note
    /// `note` (followed by the figure's own note, "imported from f.csv: provisional"), the
    /// value as [`Figure::written`] writes it. The entries are copied from the rows just
    /// written, in the same order, rather than sent a second time: for a large import that
    /// is a third less to write.
    pub(crate) async fn insert_figures(
        &mut self,
        board_id: i64,
        figures: &[(i64, &Figure)],
        at: DateTime<Utc>,
        by: &str,
        note: &str,
    ) -> Result<(), StoreError> {
        if figures.is_empty() {
            return Ok(());
        }
        // New rows get ids above every id there is (a sequence or SQLite's next rowid), so
        // these are this board's figures written below; another board's, written meanwhile
        // on PostgreSQL, are told apart by the board.
        let before: i64 = on_tx!(self.driver(), |c| sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0) FROM indicator_figures"
        )
        .fetch_one(c)
        .await)
        .map_err(|e| self.classify(e))?;
        self.write_figure_rows(board_id, figures, at).await?;
        // The value reads as Figure::written writes it: "12", or "12/40" with a denominator.
        on_tx!(self.driver(), |c| sqlx::query(
            "INSERT INTO indicator_history (board_id, subject, key, area, period, recorded_at, \
             recorded_by, change, old_value, new_value, note) \
             SELECT f.board_id, 'figure', i.key, f.area, f.period, $2, $3, 'created', NULL, \
             CASE WHEN f.denominator IS NULL THEN CAST(f.value AS TEXT) \
             ELSE CAST(f.value AS TEXT) || '/' || CAST(f.denominator AS TEXT) END, \
             CASE WHEN f.note IS NULL THEN $4 ELSE $4 || ': ' || f.note END \
             FROM indicator_figures f JOIN indicators i ON i.id = f.indicator_id \
             WHERE f.board_id = $1 AND f.id > $5 ORDER BY f.id"
        )
        .bind(board_id)
        .bind(Instant(at))
        .bind(by)
        .bind(note)
        .bind(before)
        .execute(c)
        .await
        .map(|_| ()))
        .map_err(|e| self.classify(e))?;
        // PostgreSQL plans the digest's read of figures from its statistics, which lag behind
        // a large import until autovacuum gets to the table: a plan made for an empty table
        // reads thousands of figures by a nested loop, doubling the digest's time.
        if figures.len() >= ANALYZE_AFTER {
            if let DriverTx::Postgres(tx) = self.driver() {
                sqlx::query("ANALYZE indicator_figures")
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| self.classify(e))?;
            }
        }
        Ok(())
    }

    async fn write_figure_rows(
        &mut self,
        board_id: i64,
        figures: &[(i64, &Figure)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        use JsonColumn::{Date, Integer, Text};
        let sql = format!(
            "INSERT INTO indicator_figures (board_id, updated_at, indicator_id, area, area_key, \
             period, value, denominator, note) SELECT $1, $2, {} FROM {} ORDER BY j.key",
            self.json_columns(&[Integer, Text, Text, Date, Integer, Integer, Text]),
            self.json_rows(3)
        );
        for chunk in figures.chunks(JSON_BATCH) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(indicator_id, f)| {
                    (
                        indicator_id,
                        &f.area,
                        area_key(&f.area),
                        f.period,
                        to_i64(f.value),
                        f.denominator.map(to_i64),
                        &f.note,
                    )
                })
                .collect();
            let rows = json_text(&rows)?;
            on_tx!(self.driver(), |c| sqlx::query(&sql)
                .bind(board_id)
                .bind(Instant(at))
                .bind(&rows)
                .execute(c)
                .await
                .map(|_| ()))
            .map_err(|e| self.classify(e))?;
        }
        Ok(())
    }

    /// Overwrite one figure (its area's spelling, value, denominator and note).
    pub(crate) async fn update_figure(
        &mut self,
        id: i64,
        figure: &Figure,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_tx!(self.driver(), |c| sqlx::query(
            "UPDATE indicator_figures SET area = $1, value = $2, denominator = $3, note = $4, \
             updated_at = $5 WHERE id = $6"
        )
        .bind(figure.area.as_str())
        .bind(to_i64(figure.value))
        .bind(figure.denominator.map(to_i64))
        .bind(figure.note.as_deref())
        .bind(Instant(at))
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))
        .map_err(|e| self.classify(e))
    }

    /// Append entries to the indicator history, [`JSON_BATCH`] to a statement.
    pub(crate) async fn append_revisions(
        &mut self,
        board_id: i64,
        revisions: &[Revision],
    ) -> Result<(), StoreError> {
        use JsonColumn::{Date, Instant as At, Text};
        let sql = format!(
            "INSERT INTO indicator_history (board_id, recorded_at, recorded_by, subject, key, \
             area, period, change, old_value, new_value, note) \
             SELECT $1, {} FROM {} ORDER BY j.key",
            self.json_columns(&[At, Text, Text, Text, Text, Date, Text, Text, Text, Text]),
            self.json_rows(2)
        );
        for chunk in revisions.chunks(JSON_BATCH) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|r| {
                    (
                        timestamp_to_text(r.at),
                        &r.by,
                        r.subject.as_str(),
                        r.key.as_str(),
                        &r.area,
                        r.period,
                        &r.change,
                        &r.old_value,
                        &r.new_value,
                        &r.note,
                    )
                })
                .collect();
            let rows = json_text(&rows)?;
            on_tx!(self.driver(), |c| sqlx::query(&sql)
                .bind(board_id)
                .bind(&rows)
                .execute(c)
                .await
                .map(|_| ()))
            .map_err(|e| self.classify(e))?;
        }
        Ok(())
    }
}
