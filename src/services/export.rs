//! Writing the record out as CSV that imports back to the same state (the round trip), and the
//! history as an audit trail for board papers.

use std::io::Write;

use super::import::RecordKind;
use super::ServiceError;
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

fn header(kind: RecordKind) -> Vec<&'static str> {
    kind.columns().iter().map(|(c, _)| *c).collect()
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Recommendations as CSV in the import format.
pub fn write_recommendations_csv<W: Write>(
    recs: &[Recommendation],
    out: W,
) -> Result<(), ServiceError> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(header(RecordKind::Recommendations))
        .map_err(csv_error)?;
    for r in recs {
        let source_date = r
            .source
            .as_ref()
            .and_then(|s| s.published_on)
            .map(|d| d.to_string())
            .unwrap_or_default();
        writer
            .write_record([
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
            ])
            .map_err(csv_error)?;
    }
    writer
        .flush()
        .map_err(|e| ServiceError::rejected(format!("could not write the CSV: {e}")))
}

/// Actions as CSV in the import format.
pub fn write_actions_csv<W: Write>(actions: &[Action], out: W) -> Result<(), ServiceError> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(header(RecordKind::Actions))
        .map_err(csv_error)?;
    for a in actions {
        writer
            .write_record([
                a.reference.as_str(),
                a.recommendation.as_ref().map(|r| r.as_str()).unwrap_or(""),
                &a.title,
                &a.owner,
                opt(&a.borough),
                &a.officer.map(|o| o.to_string()).unwrap_or_default(),
                &a.due.to_string(),
                a.status.as_str(),
                &a.completed_on.map(|d| d.to_string()).unwrap_or_default(),
            ])
            .map_err(csv_error)?;
    }
    writer
        .flush()
        .map_err(|e| ServiceError::rejected(format!("could not write the CSV: {e}")))
}

/// The status history as CSV, oldest first.
pub fn write_history_csv<W: Write>(history: &[StatusUpdate], out: W) -> Result<(), ServiceError> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record([
            "subject", "ref", "at", "by", "change", "old", "new", "note", "evidence",
        ])
        .map_err(csv_error)?;
    for u in history {
        writer
            .write_record([
                u.subject.as_str(),
                u.reference.as_str(),
                &u.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                &u.by,
                u.change.as_str(),
                opt(&u.old_value),
                opt(&u.new_value),
                opt(&u.note),
                opt(&u.evidence),
            ])
            .map_err(csv_error)?;
    }
    writer
        .flush()
        .map_err(|e| ServiceError::rejected(format!("could not write the CSV: {e}")))
}

/// The settings history as CSV, oldest first. Webhook URLs are already redacted when recorded.
pub fn write_settings_history_csv<W: Write>(
    history: &[SettingChange],
    out: W,
) -> Result<(), ServiceError> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(["at", "by", "setting", "old", "new"])
        .map_err(csv_error)?;
    for c in history {
        writer
            .write_record([
                &c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                &c.by,
                &c.setting,
                opt(&c.old_value),
                opt(&c.new_value),
            ])
            .map_err(csv_error)?;
    }
    writer
        .flush()
        .map_err(|e| ServiceError::rejected(format!("could not write the CSV: {e}")))
}

/// Write one kind of record of a board as CSV to `out`; returns the number of rows written.
pub async fn export_csv<W: Write>(
    store: &Store,
    board: &Board,
    kind: ExportKind,
    out: W,
) -> Result<usize, ServiceError> {
    match kind {
        ExportKind::Recommendations => {
            let recs = store.recommendations(board.id).await?;
            write_recommendations_csv(&recs, out)?;
            Ok(recs.len())
        }
        ExportKind::Actions => {
            let actions = store.actions(board.id).await?;
            write_actions_csv(&actions, out)?;
            Ok(actions.len())
        }
        ExportKind::History => {
            let history = store.history(board.id).await?;
            write_history_csv(&history, out)?;
            Ok(history.len())
        }
        ExportKind::SettingsHistory => {
            let history = store.settings_history(board.id).await?;
            write_settings_history_csv(&history, out)?;
            Ok(history.len())
        }
    }
}
