//! What a message attaches when its list is too long to show: the full list as a CSV file,
//! every cell guarded as the exports are.

use crate::digest::build::{ActionLine, GroupRow, Slip};
use crate::digest::reminder::ReminderKind;
use crate::digest::Reminder;
use crate::domain::spreadsheet::Cells;

use super::lines::join_counted;
use super::message::File;

/// A list field or description: as many lines as fit, "…and N more", and the full list
/// attached when anything was left out.
pub(super) struct ListPart {
    pub(super) text: String,
    pub(super) attachment: Option<File>,
}

pub(super) fn list_part(
    lines: &[String],
    max: usize,
    file_name: &str,
    full: impl FnOnce() -> Vec<u8>,
) -> ListPart {
    let (text, shown) = join_counted(lines, max);
    let attachment = (shown < lines.len()).then(|| File {
        name: file_name.to_string(),
        bytes: full(),
    });
    ListPart { text, attachment }
}

/// Write a data row of an attached CSV, guarded as every export is: a cell a spreadsheet would
/// run as a formula gets an apostrophe in front (see [`crate::domain::spreadsheet`]).
pub(super) fn csv_row<S: AsRef<str>>(
    w: &mut csv::Writer<Vec<u8>>,
    cells: impl IntoIterator<Item = S>,
) {
    let _ = w.write_record(
        cells
            .into_iter()
            .map(|c| Cells::SpreadsheetSafe.write(c.as_ref()).into_owned()),
    );
}

pub(super) fn csv_of(lines: &[ActionLine]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "ref",
        "title",
        "owner",
        "borough",
        "officer",
        "due",
        "status",
        "days_overdue",
    ]);
    for a in lines {
        csv_row(
            &mut w,
            [
                a.reference.as_str(),
                &a.title,
                &a.owner,
                a.borough.as_deref().unwrap_or(""),
                a.officer.as_deref().unwrap_or(""),
                &a.due.to_string(),
                a.status.as_str(),
                &a.days_overdue.to_string(),
            ],
        );
    }
    w.into_inner().unwrap_or_default()
}

pub(super) fn table_csv(rows: &[GroupRow], heading: &str) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([heading, "open", "overdue", "done"]);
    for r in rows {
        csv_row(
            &mut w,
            [
                r.name.clone(),
                r.open.to_string(),
                r.overdue.to_string(),
                r.done.to_string(),
            ],
        );
    }
    w.into_inner().unwrap_or_default()
}

pub(super) fn reminder_csv(r: &Reminder) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "ref",
        "title",
        "owner",
        "officer",
        "due",
        "days_overdue",
        "kind",
        "escalated",
    ]);
    for i in r.overdue.iter().chain(r.due_soon.iter()) {
        let kind = match i.kind {
            ReminderKind::Overdue => "overdue",
            ReminderKind::DueSoon => "due_soon",
        };
        csv_row(
            &mut w,
            [
                i.reference.as_str(),
                &i.title,
                &i.owner,
                i.officer.as_deref().unwrap_or(""),
                &i.due.to_string(),
                &i.days_overdue.to_string(),
                kind,
                if i.escalate { "yes" } else { "no" },
            ],
        );
    }
    w.into_inner().unwrap_or_default()
}

/// The slipped actions of a digest, with the reason and the day each slip was recorded.
pub(super) fn slips_csv(slips: &[Slip]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "ref",
        "title",
        "owner",
        "from",
        "to",
        "reason",
        "recorded_on",
    ]);
    for s in slips {
        csv_row(
            &mut w,
            [
                s.reference.as_str(),
                &s.title,
                &s.owner,
                &s.from.to_string(),
                &s.to.to_string(),
                s.reason.as_deref().unwrap_or(""),
                &s.on.to_string(),
            ],
        );
    }
    w.into_inner().unwrap_or_default()
}
