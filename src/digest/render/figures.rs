//! The monitoring section in words, the same for every display renderer (Markdown, the board
//! paper, Discord): figures with the small-number rule applied, changes in words and signs
//! ("▲ up 10 (+50.0%)"), ratings in words ("worse", "not rated"), exceptions and missing
//! returns as sentences. Renderers escape and lay these out; none of them decides what a
//! figure reads as.

use crate::digest::monitoring::{Figures, Monitoring};
use crate::domain::indicators::{tenths_text, Amount, Better, Direction, Unit};

/// What a hidden count reads as.
pub const FEWER_THAN_5: &str = "fewer than 5";
/// What a hidden percentage reads as.
pub const NOT_SHOWN: &str = "not shown (fewer than 5 cases)";
/// The rule, said once under the section.
pub const SMALL_NUMBERS_NOTE: &str = "Counts from 1 to 4, and percentages of fewer than 5 \
cases, are not shown, so that no one can be identified from them.";

/// Whether the small-number rule hides this figure.
fn hidden(amount: Amount, unit: Unit, hide: bool) -> bool {
    hide && amount.is_small(unit)
}

/// A figure as people see it: "42", "33.3%", "fewer than 5", "not shown (fewer than 5
/// cases)", or "no return".
pub fn figure_text(amount: Option<Amount>, unit: Unit, hide: bool) -> String {
    let Some(amount) = amount else {
        return "no return".into();
    };
    if hidden(amount, unit, hide) {
        return match unit {
            Unit::Count => FEWER_THAN_5.into(),
            Unit::Percent => NOT_SHOWN.into(),
        };
    }
    amount
        .tenths(unit)
        .map(|t| tenths_text(t, unit))
        .unwrap_or_else(|| "no return".into())
}

/// How `now` moved from `then`, in words and signs: "▲ up 10 (+50.0%)", "▼ down 2.1
/// points", "= no change"; "no figure to compare" when either is missing, and "change not
/// shown" when either is hidden by the small-number rule (the difference would give it away).
pub fn change_text(now: Option<Amount>, then: Option<Amount>, unit: Unit, hide: bool) -> String {
    let (Some(now), Some(then)) = (now, then) else {
        return "no figure to compare".into();
    };
    if hidden(now, unit, hide) || hidden(then, unit, hide) {
        return "change not shown (fewer than 5 cases)".into();
    }
    let (Some(n), Some(t)) = (now.tenths(unit), then.tenths(unit)) else {
        return "no figure to compare".into();
    };
    if n == t {
        return "= no change".into();
    }
    let (arrow, word, sign) = if n > t {
        ("▲", "up", '+')
    } else {
        ("▼", "down", '−')
    };
    let moved = n.abs_diff(t);
    match unit {
        Unit::Count => {
            let share = if t == 0 {
                "from none".to_string()
            } else {
                let tenths = (u128::from(moved) * 2000 + u128::from(t)) / (2 * u128::from(t));
                format!("{sign}{}.{}%", tenths / 10, tenths % 10)
            };
            format!("{arrow} {word} {} ({share})", moved / 10)
        }
        Unit::Percent => {
            let points = if moved == 10 { "point" } else { "points" };
            format!("{arrow} {word} {}.{} {points}", moved / 10, moved % 10)
        }
    }
}

/// A rating in words: "better", "worse", "no change", "not rated"; "—" with nothing to compare.
pub fn rating_text(direction: Option<Direction>, better: Better) -> &'static str {
    match (direction, better) {
        (_, Better::None) => "not rated",
        (Some(Direction::Better), _) => "better",
        (Some(Direction::Worse), _) => "worse",
        (Some(Direction::Same), _) => "no change",
        (Some(Direction::Unrated), _) => "not rated",
        (None, _) => "—",
    }
}

/// One indicator as a row of the section's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowText {
    /// The indicator's name (typed text: escape it).
    pub name: String,
    /// The footnote carrying its description, if it has one.
    pub note: Option<usize>,
    pub value: String,
    pub vs_previous: String,
    pub vs_year_ago: String,
    pub rating: &'static str,
}

/// The monitoring section in words, ready to lay out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionText {
    /// "Monitoring figures: Q2 2010/11".
    pub heading: String,
    /// Indicator, the reviewed quarter, against last quarter, against a year ago, rating.
    pub columns: [String; 5],
    pub rows: Vec<RowText>,
    /// What counts as an exception, in one sentence.
    pub exceptions_rule: String,
    /// One sentence per exception.
    pub exceptions: Vec<String>,
    /// One sentence per indicator with missing returns.
    pub missing_returns: Vec<String>,
    /// The small-number rule, when the board applies it.
    pub small_numbers: Option<&'static str>,
    /// Footnotes: (number, description).
    pub notes: Vec<(usize, String)>,
}

fn row(
    name: &str,
    note: Option<usize>,
    f: &Figures,
    unit: Unit,
    better: Better,
    hide: bool,
) -> RowText {
    RowText {
        name: name.to_string(),
        note,
        value: figure_text(f.value, unit, hide),
        vs_previous: change_text(f.value, f.previous, unit, hide),
        vs_year_ago: change_text(f.value, f.year_ago, unit, hide),
        rating: rating_text(f.direction, better),
    }
}

/// The section in words; `None` for a board with no indicators.
pub fn section_text(m: &Monitoring) -> Option<SectionText> {
    if m.is_empty() {
        return None;
    }
    let hide = m.hide_small_numbers;
    let label = |q: &Option<crate::digest::monitoring::Quarter>| {
        q.as_ref().map(|q| q.label.clone()).unwrap_or_default()
    };
    let (reviewed, previous, year_ago) =
        (label(&m.reviewed), label(&m.previous), label(&m.year_ago));
    let mut notes = Vec::new();
    let rows = m
        .indicators
        .iter()
        .map(|i| {
            let note = i.description.as_ref().map(|d| {
                notes.push((notes.len() + 1, d.clone()));
                notes.len()
            });
            row(&i.name, note, &i.board, i.unit, i.better, hide)
        })
        .collect();
    let exceptions = m
        .exceptions
        .iter()
        .map(|e| {
            let mut change = change_text(Some(e.value), Some(e.year_ago), e.unit, hide);
            // A percentage moves in points; the threshold is a share of the year-ago figure,
            // so say that too.
            if let (Unit::Percent, Some(t), true) =
                (e.unit, e.change_tenths_of_percent, change.contains("point"))
            {
                let sign = if change.starts_with('▲') {
                    '+'
                } else {
                    '−'
                };
                change.push_str(&format!(" ({sign}{}.{}%)", t / 10, t % 10));
            }
            format!(
                "{} — {}: {}, {} on {year_ago} (worse)",
                e.name,
                e.area,
                figure_text(Some(e.value), e.unit, hide),
                change
            )
        })
        .collect();
    let mut missing_returns: Vec<String> = Vec::new();
    let mut i = 0;
    while i < m.missing_returns.len() {
        let key = &m.missing_returns[i].key;
        let areas: Vec<&str> = m.missing_returns[i..]
            .iter()
            .take_while(|r| &r.key == key)
            .map(|r| r.area.as_str())
            .collect();
        missing_returns.push(format!(
            "{}: {} (reported for {previous}, not for {reviewed})",
            m.missing_returns[i].name,
            areas.join(", ")
        ));
        i += areas.len();
    }
    Some(SectionText {
        heading: format!("Monitoring figures: {reviewed}"),
        columns: [
            "Indicator".into(),
            reviewed.clone(),
            format!("Against {previous}"),
            format!("Against {year_ago} (a year ago)"),
            "Rating".into(),
        ],
        rows,
        exceptions_rule: format!(
            "Areas whose figure moved the wrong way against {year_ago} by more than {}% (and, \
             for counts, by at least {}). Volume indicators are not rated, so they have no \
             exceptions.",
            m.exception_percent, m.exception_min_count
        ),
        exceptions,
        missing_returns,
        small_numbers: hide.then_some(SMALL_NUMBERS_NOTE),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(value: u64) -> Option<Amount> {
        Some(Amount {
            value,
            denominator: None,
        })
    }

    fn share(value: u64, d: u64) -> Option<Amount> {
        Some(Amount {
            value,
            denominator: Some(d),
        })
    }

    #[test]
    fn figures_and_changes_read_in_words_and_signs_with_small_numbers_hidden() {
        assert_eq!(figure_text(count(42), Unit::Count, true), "42");
        assert_eq!(figure_text(count(3), Unit::Count, true), "fewer than 5");
        assert_eq!(figure_text(count(3), Unit::Count, false), "3");
        assert_eq!(figure_text(count(0), Unit::Count, true), "0");
        assert_eq!(figure_text(share(1, 3), Unit::Percent, false), "33.3%");
        assert_eq!(
            figure_text(share(1, 3), Unit::Percent, true),
            "not shown (fewer than 5 cases)"
        );
        assert_eq!(figure_text(None, Unit::Count, true), "no return");
        assert_eq!(
            change_text(count(30), count(20), Unit::Count, true),
            "▲ up 10 (+50.0%)"
        );
        assert_eq!(
            change_text(count(15), count(20), Unit::Count, true),
            "▼ down 5 (−25.0%)"
        );
        assert_eq!(
            change_text(count(7), count(0), Unit::Count, true),
            "▲ up 7 (from none)"
        );
        assert_eq!(
            change_text(count(7), count(7), Unit::Count, true),
            "= no change"
        );
        assert_eq!(
            change_text(count(7), count(3), Unit::Count, true),
            "change not shown (fewer than 5 cases)"
        );
        assert_eq!(
            change_text(count(7), count(3), Unit::Count, false),
            "▲ up 4 (+133.3%)"
        );
        assert_eq!(
            change_text(share(30, 100), share(20, 100), Unit::Percent, true),
            "▲ up 10.0 points"
        );
        assert_eq!(
            change_text(count(7), None, Unit::Count, true),
            "no figure to compare"
        );
        assert_eq!(rating_text(Some(Direction::Worse), Better::Lower), "worse");
        assert_eq!(
            rating_text(Some(Direction::Unrated), Better::None),
            "not rated"
        );
        assert_eq!(rating_text(None, Better::None), "not rated");
        assert_eq!(rating_text(None, Better::Higher), "—");
    }
}
