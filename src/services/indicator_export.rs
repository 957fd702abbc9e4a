//! Writing the board's indicators and figures as CSV in the import format (so an export
//! imports back to the same state), and the indicator history as an audit trail. Cells a
//! spreadsheet would run as formulas are guarded unless the export is raw.

use std::io::Write;

use super::indicators::IndicatorFile;
use super::ServiceError;
use crate::domain::indicators::{Figure, Indicator, Revision};
use crate::domain::spreadsheet::Cells;
use crate::domain::Board;
use crate::store::Store;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorExport {
    Indicators,
    Figures,
    /// Every revision of a definition or a figure: who, when, old → new.
    History,
}

fn csv_error(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::rejected(format!("could not write the CSV: {err}"))
}

fn write_rows<W: Write, const N: usize>(
    out: W,
    cells: Cells,
    header: &[&str],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<(), ServiceError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(header).map_err(csv_error)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|c| cells.write(c).into_owned()))
            .map_err(csv_error)?;
    }
    writer.flush().map_err(csv_error)
}

fn header(file: IndicatorFile) -> Vec<&'static str> {
    file.columns().iter().map(|(c, _)| *c).collect()
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// Indicator definitions as CSV in the import format.
pub fn write_indicators_csv<W: Write>(
    indicators: &[Indicator],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    write_rows(
        out,
        cells,
        &header(IndicatorFile::Indicators),
        indicators.iter().map(|i| {
            [
                i.key.to_string(),
                i.name.clone(),
                i.unit.as_str().to_string(),
                i.better.as_str().to_string(),
                opt(&i.theme),
                opt(&i.description),
            ]
        }),
    )
}

/// Figures as CSV in the import format.
pub fn write_figures_csv<W: Write>(
    figures: &[Figure],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    write_rows(
        out,
        cells,
        &header(IndicatorFile::Figures),
        figures.iter().map(|f| {
            [
                f.indicator.to_string(),
                f.area.clone(),
                f.period.to_string(),
                f.value.to_string(),
                f.denominator.map(|d| d.to_string()).unwrap_or_default(),
                opt(&f.note),
            ]
        }),
    )
}

/// The indicator history as CSV, oldest first.
pub fn write_indicator_history_csv<W: Write>(
    history: &[Revision],
    cells: Cells,
    out: W,
) -> Result<(), ServiceError> {
    write_rows(
        out,
        cells,
        &[
            "at",
            "by",
            "subject",
            "indicator",
            "area",
            "period",
            "change",
            "old",
            "new",
            "note",
        ],
        history.iter().map(|r| {
            [
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                r.by.clone(),
                r.subject.as_str().to_string(),
                r.key.to_string(),
                opt(&r.area),
                r.period.map(|d| d.to_string()).unwrap_or_default(),
                r.change.clone(),
                opt(&r.old_value),
                opt(&r.new_value),
                opt(&r.note),
            ]
        }),
    )
}

/// Write a board's indicators, figures or indicator history as CSV to `out`; the number of
/// rows written.
pub async fn export_indicators_csv<W: Write>(
    store: &Store,
    board: &Board,
    what: IndicatorExport,
    cells: Cells,
    out: W,
) -> Result<usize, ServiceError> {
    match what {
        IndicatorExport::Indicators => {
            let indicators = store.indicators(board.id).await?;
            write_indicators_csv(&indicators, cells, out)?;
            Ok(indicators.len())
        }
        IndicatorExport::Figures => {
            let figures = store.figures(board.id, None, None).await?;
            write_figures_csv(&figures, cells, out)?;
            Ok(figures.len())
        }
        IndicatorExport::History => {
            let history = store.indicator_history(board.id).await?;
            write_indicator_history_csv(&history, cells, out)?;
            Ok(history.len())
        }
    }
}
