//! Writing the record out as CSV that imports back to the same state (the round trip), and the
//! history as an audit trail for board papers. Cells a spreadsheet would run as formulas are
//! guarded unless the export is raw (see [`crate::domain::spreadsheet`]).

use std::io::Write;

use super::import::RecordKind;
use super::ServiceError;
use crate::domain::spreadsheet::Cells;
use crate::domain::{Action, Board, Recommendation, SettingChange, StatusUpdate};
use crate::store::Store;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Recommendations,
    Actions,
    History,
    /// The board's settings history: who changed which setting, when, old → new.
    SettingsHistory,
}

fn csv_error(err: csv::Error) -> ServiceError {
    ServiceError::rejected(format!("could not write the CSV: {err}"))
}

/// A CSV writer that writes every data cell in one [`Cells`] style (headers are ours and
/// always plain).
struct CsvOut<W: Write> {
    writer: csv::Writer<W>,
    cells: Cells,
}

impl<W: Write> CsvOut<W> {
    fn new(out: W, cells: Cells, header: &[&str]) -> Result<Self, ServiceError> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(header).map_err(csv_error)?;
        Ok(Self { writer, cells })
    }

    fn row<const N: usize>(&mut self, cells: [&str; N]) -> Result<(), ServiceError> {
        let style = self.cells;
        self.writer
            .write_record(cells.map(|c| style.write(c)).iter().map(|c| c.as_bytes()))
            .map_err(csv_error)
    }

    fn finish(mut self) -> Result<(), ServiceError> {
        self.writer
            .flush()
            .map_err(|e| ServiceError::rejected(format!("could not write the CSV: {e}")))
    }
}

fn header(kind: RecordKind) -> Vec<&'static str> {
    kind.columns().iter().map(|(c, _)| *c).collect()
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Recommendations as CSV in the import format.
pub fn write_recommendations_csv<W: Write>(
    recs: &[Recommendation],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    // The response_due column is written only when some recommendation has a date of its
    // own: a board that never set one exports exactly what earlier releases exported.
    let with_due = recs.iter().any(|r| r.response_due.is_some());
    let mut columns = header(RecordKind::Recommendations);
    if !with_due {
        columns.retain(|c| *c != "response_due");
    }
    let mut csv = CsvOut::new(out, cells, &columns)?;
    for r in recs {
        let source_date = r
            .source
            .as_ref()
            .and_then(|s| s.published_on)
            .map(|d| d.to_string())
            .unwrap_or_default();
        let cells = [
            r.reference.as_str(),
            &r.title,
            opt(&r.text),
            r.source.as_ref().map(|s| s.title.as_str()).unwrap_or(""),
            &source_date,
            opt(&r.theme),
            opt(&r.owner),
            r.priority.as_str(),
            r.response.as_str(),
            r.status.as_str(),
        ];
        if with_due {
            let due = r.response_due.map(|d| d.to_string()).unwrap_or_default();
            let [a, b, c, d, e, f, g, h, i, j] = cells;
            csv.row([a, b, c, d, e, f, g, h, i, j, &due])?;
        } else {
            csv.row(cells)?;
        }
    }
    csv.finish()
}

/// Actions as CSV in the import format.
pub fn write_actions_csv<W: Write>(
    actions: &[Action],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    let mut csv = CsvOut::new(out, cells, &header(RecordKind::Actions))?;
    for a in actions {
        csv.row([
            a.reference.as_str(),
            a.recommendation.as_ref().map(|r| r.as_str()).unwrap_or(""),
            &a.title,
            &a.owner,
            opt(&a.borough),
            &a.officer.map(|o| o.to_string()).unwrap_or_default(),
            &a.due.to_string(),
            a.status.as_str(),
            &a.completed_on.map(|d| d.to_string()).unwrap_or_default(),
        ])?;
    }
    csv.finish()
}

/// The status history as CSV, oldest first.
pub fn write_history_csv<W: Write>(
    history: &[StatusUpdate],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    let mut csv = CsvOut::new(
        out,
        cells,
        &[
            "subject", "ref", "at", "by", "change", "old", "new", "note", "evidence",
        ],
    )?;
    for u in history {
        csv.row([
            u.subject.as_str(),
            u.reference.as_str(),
            &u.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            &u.by,
            u.change.as_str(),
            opt(&u.old_value),
            opt(&u.new_value),
            opt(&u.note),
            opt(&u.evidence),
        ])?;
    }
    csv.finish()
}

/// The settings history as CSV, oldest first. Webhook URLs are already redacted when recorded.
pub fn write_settings_history_csv<W: Write>(
    history: &[SettingChange],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    let mut csv = CsvOut::new(out, cells, &["at", "by", "setting", "old", "new"])?;
    for c in history {
        csv.row([
            &c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            &c.by,
            &c.setting,
            opt(&c.old_value),
            opt(&c.new_value),
        ])?;
    }
    csv.finish()
}

/// Write one kind of record of a board as CSV to `out`; returns the number of rows written.
pub async fn export_csv<W: Write>(
    store: &Store,
    board: &Board,
    kind: ExportKind,
    cells: Cells,
    out: W,
) -> Result<usize, ServiceError> {
    match kind {
        ExportKind::Recommendations => {
            let recs = store.recommendations(board.id).await?;
            write_recommendations_csv(&recs, cells, out)?;
            Ok(recs.len())
        }
        ExportKind::Actions => {
            let actions = store.actions(board.id).await?;
            write_actions_csv(&actions, cells, out)?;
            Ok(actions.len())
        }
        ExportKind::History => {
            let history = store.history(board.id).await?;
            write_history_csv(&history, cells, out)?;
            Ok(history.len())
        }
        ExportKind::SettingsHistory => {
            let history = store.settings_history(board.id).await?;
            write_settings_history_csv(&history, cells, out)?;
            Ok(history.len())
        }
    }
}
