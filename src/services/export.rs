//! Writing the record out as CSV that imports back to the same state (the round trip), and the
//! history as an audit trail for board papers.

use std::io::Write;

use super::import::RecordKind;
use super::ServiceError;
use crate::domain::Board;
use crate::store::Store;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Recommendations,
    Actions,
    History,
}

fn csv_error(err: csv::Error) -> ServiceError {
    ServiceError::rejected(format!("could not write the CSV: {err}"))
}

fn header(kind: RecordKind) -> Vec<&'static str> {
    kind.columns().iter().map(|(c, _)| *c).collect()
}

/// Write one kind of record as CSV to `out`; returns the number of rows written.
pub async fn export_csv<W: Write>(
    store: &Store,
    board: &Board,
    kind: ExportKind,
    out: W,
) -> Result<usize, ServiceError> {
    let mut writer = csv::Writer::from_writer(out);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let rows = match kind {
        ExportKind::Recommendations => {
            writer
                .write_record(header(RecordKind::Recommendations))
                .map_err(csv_error)?;
            let recs = store.recommendations(board.id).await?;
            for r in &recs {
                writer
                    .write_record([
                        r.reference.to_string(),
                        r.title.clone(),
                        opt(&r.text),
                        r.source
                            .as_ref()
                            .map(|s| s.title.clone())
                            .unwrap_or_default(),
                        r.source
                            .as_ref()
                            .and_then(|s| s.published_on)
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        opt(&r.theme),
                        opt(&r.owner),
                        r.priority.as_str().to_string(),
                        r.response.to_string(),
                        r.status.to_string(),
                    ])
                    .map_err(csv_error)?;
            }
            recs.len()
        }
        ExportKind::Actions => {
            writer
                .write_record(header(RecordKind::Actions))
                .map_err(csv_error)?;
            let actions = store.actions(board.id).await?;
            for a in &actions {
                writer
                    .write_record([
                        a.reference.to_string(),
                        a.recommendation
                            .as_ref()
                            .map(|r| r.to_string())
                            .unwrap_or_default(),
                        a.title.clone(),
                        a.owner.clone(),
                        opt(&a.borough),
                        a.officer.map(|o| o.to_string()).unwrap_or_default(),
                        a.due.to_string(),
                        a.status.to_string(),
                        a.completed_on.map(|d| d.to_string()).unwrap_or_default(),
                    ])
                    .map_err(csv_error)?;
            }
            actions.len()
        }
        ExportKind::History => {
            writer
                .write_record([
                    "subject", "ref", "at", "by", "change", "old", "new", "note", "evidence",
                ])
                .map_err(csv_error)?;
            let history = store.history(board.id).await?;
            for u in &history {
                writer
                    .write_record([
                        u.subject.as_str().to_string(),
                        u.reference.to_string(),
                        u.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        u.by.clone(),
                        u.change.as_str().to_string(),
                        opt(&u.old_value),
                        opt(&u.new_value),
                        opt(&u.note),
                        opt(&u.evidence),
                    ])
                    .map_err(csv_error)?;
            }
            history.len()
        }
    };
    writer
        .flush()
        .map_err(|e| ServiceError::rejected(format!("could not write the CSV: {e}")))?;
    Ok(rows)
}
