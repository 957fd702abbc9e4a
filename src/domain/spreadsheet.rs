//! Spreadsheet-safe CSV cells. Exports are opened in Excel, LibreOffice and Google Sheets,
//! which evaluate a cell that starts with `=`, `+`, `-` or `@` (and some read a leading tab or
//! carriage return the same way) as a formula — so an action titled
//! `=HYPERLINK("http://…","x")` would run in the secretary's spreadsheet. Such a cell is written
//! with one apostrophe in front, which every spreadsheet shows as text, and import removes
//! exactly that apostrophe, so export → import gives back what was stored.
//!
//! The rule, for cells of any kind: look past the cell's leading apostrophes; if what follows
//! starts with a formula character, one apostrophe is added on export and one removed on
//! import. Counting the apostrophes already there keeps the round trip exact for text that
//! itself starts with `'=`, and leaves an ordinary leading apostrophe (`'Tis`) alone.
//! `export --raw` skips this and writes the text as stored, for tools that are not
//! spreadsheets.

use std::borrow::Cow;

/// The one character put in front of a cell a spreadsheet would evaluate.
pub const PREFIX: char = '\'';

/// First characters a spreadsheet treats as the start of a formula: ASCII and the full-width
/// forms some spreadsheets fold into them.
const FORMULA_STARTS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// Whether the cell (after any leading apostrophes) starts like a formula.
fn starts_like_formula(cell: &str) -> bool {
    cell.trim_start_matches(PREFIX)
        .starts_with(|c| FORMULA_STARTS.contains(&c))
}

/// How an export writes its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cells {
    /// Cells a spreadsheet would evaluate get [`PREFIX`] in front (the default).
    #[default]
    SpreadsheetSafe,
    /// Every cell exactly as stored.
    Raw,
}

impl Cells {
    /// The cell as it is written in an export of this style.
    pub fn write<'a>(self, cell: &'a str) -> Cow<'a, str> {
        match self {
            Cells::SpreadsheetSafe if starts_like_formula(cell) => {
                Cow::Owned(format!("{PREFIX}{cell}"))
            }
            _ => Cow::Borrowed(cell),
        }
    }
}

/// The cell as stored, from a cell an export wrote (or a person typed in a spreadsheet the same
/// way): one [`PREFIX`] is removed when it guards a formula character.
pub fn read(cell: &str) -> &str {
    match cell.strip_prefix(PREFIX) {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_start_is_guarded_and_comes_back_unchanged() {
        for start in FORMULA_STARTS {
            let stored = format!("{start}HYPERLINK(\"http://example.invalid\",\"x\")");
            let written = Cells::SpreadsheetSafe.write(&stored);
            assert_eq!(written, format!("'{stored}"), "{start:?}");
            assert_eq!(read(&written), stored, "{start:?}");
            assert_eq!(Cells::Raw.write(&stored), stored, "{start:?}");
        }
    }

    #[test]
    fn ordinary_text_and_ordinary_apostrophes_are_left_alone() {
        for stored in [
            "Audit recording",
            "'Tis the season",
            "'",
            "",
            "a=b",
            "x-1",
            "''",
        ] {
            assert_eq!(Cells::SpreadsheetSafe.write(stored), stored);
            assert_eq!(read(stored), stored);
        }
    }

    #[test]
    fn text_that_already_starts_with_a_guarded_formula_survives_the_round_trip() {
        for stored in ["'=1+1", "''@here", "'''-5"] {
            let written = Cells::SpreadsheetSafe.write(stored);
            assert_eq!(written, format!("'{stored}"));
            assert_eq!(read(&written), stored);
        }
    }

    #[test]
    fn a_spreadsheet_users_own_guard_is_removed_on_import() {
        assert_eq!(read("'=SUM(A1:A2)"), "=SUM(A1:A2)");
        assert_eq!(read("'Tis"), "'Tis");
    }
}
