//! The board's monitoring figures: indicators (what is counted, in what unit, and which way is
//! better), figures (one per indicator, area and reporting quarter), and the pure rules that
//! turn them into a board-wide figure, a direction of travel and the small-number rule.
//!
//! Percentages are kept as numerator and denominator and only divided when shown, in integers,
//! so rounding half up to one decimal place never depends on floating-point luck, and a
//! board-wide percentage is Σ numerators / Σ denominators (not an average of percentages).

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use super::period::Period;
use super::status::StatusError;

/// An indicator's key: letters, digits and `_`, starting with a letter, at most 40 characters.
/// Kept lower-case, so `Withdrawals` and `withdrawals` are one indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IndicatorKey(String);

/// Why a key was refused, with how to write one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not an indicator key: {why}. Use letters, digits and _, starting with a letter, at most 40 characters (e.g. sso_withdrawals)")]
pub struct KeyError {
    pub value: String,
    pub why: &'static str,
}

impl IndicatorKey {
    pub const MAX: usize = 40;

    pub fn parse(input: &str) -> Result<Self, KeyError> {
        let value = input.trim();
        let err = |why| KeyError {
            value: value.chars().take(60).collect(),
            why,
        };
        if value.is_empty() {
            return Err(err("it is empty"));
        }
        if value.chars().count() > Self::MAX {
            return Err(err("it is longer than 40 characters"));
        }
        if !value.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(err("it does not start with a letter"));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(err("it holds a character other than a letter, digit or _"));
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IndicatorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a figure counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// A whole number of things (reports, referrals).
    #[default]
    Count,
    /// A share: numerator out of a denominator, shown as a percentage.
    Percent,
}

impl Unit {
    pub fn parse(input: &str) -> Result<Self, StatusError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "count" => Ok(Unit::Count),
            "percent" | "percentage" | "%" => Ok(Unit::Percent),
            _ => Err(StatusError {
                what: "unit",
                value: input.trim().to_string(),
                allowed: vec!["count", "percent"],
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
        }
    }
}

/// Which way an indicator should move. `None` is for volume indicators: a rise in reports can
/// mean more confidence to report as much as more offending, so they are not rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
    #[default]
    None,
}

impl Better {
    pub fn parse(input: &str) -> Result<Self, StatusError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "higher" => Ok(Better::Higher),
            "lower" => Ok(Better::Lower),
            "none" | "" => Ok(Better::None),
            _ => Err(StatusError {
                what: "better",
                value: input.trim().to_string(),
                allowed: vec!["higher", "lower", "none"],
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
            Better::None => "none",
        }
    }
}

/// An indicator the board monitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub key: IndicatorKey,
    pub name: String,
    pub unit: Unit,
    pub better: Better,
    pub theme: Option<String>,
    /// What it counts and where it comes from.
    pub description: Option<String>,
}

/// One area's figure for one indicator and quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub indicator: IndicatorKey,
    pub area: String,
    /// The first day of one of the board's reporting quarters.
    pub period: NaiveDate,
    /// The count, or for a percentage its numerator.
    pub value: u64,
    /// For a percentage: what the numerator is out of (> 0, ≥ value).
    pub denominator: Option<u64>,
    pub note: Option<String>,
}

impl Figure {
    /// The figure as people read it: "12" or "12/40".
    pub fn written(&self) -> String {
        match self.denominator {
            Some(d) => format!("{}/{d}", self.value),
            None => self.value.to_string(),
        }
    }
}

/// What a revision was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionSubject {
    /// An indicator's definition.
    Indicator,
    /// One area's figure for one quarter.
    Figure,
}

impl RevisionSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionSubject::Indicator => "indicator",
            RevisionSubject::Figure => "figure",
        }
    }
}

/// One entry of the indicator history: a definition created or changed, a figure recorded or
/// corrected — who, when, old → new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub subject: RevisionSubject,
    pub key: IndicatorKey,
    /// For a figure: its area and quarter.
    pub area: Option<String>,
    pub period: Option<NaiveDate>,
    pub at: chrono::DateTime<chrono::Utc>,
    pub by: String,
    /// "created", "value", or for a definition the fields that changed ("name, unit").
    pub change: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub note: Option<String>,
}

/// An area name folded for comparison: trimmed, inner spaces collapsed, lower-case. Two rows
/// whose areas fold the same are the same area.
pub fn area_key(area: &str) -> String {
    let mut folded = String::with_capacity(area.len());
    for word in area.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    // One allocation for the usual ASCII name (an import folds every row's area); full Unicode
    // lower-casing otherwise, which treats a word-final sigma as Greek does.
    if folded.is_ascii() {
        folded.make_ascii_lowercase();
        folded
    } else {
        folded.to_lowercase()
    }
}

/// An area name folded harder, to spot the same place spelt differently: "&" as "and",
/// punctuation and spaces gone ("Hammersmith & Fulham" and "Hammersmith and Fulham" match).
pub fn area_likeness(area: &str) -> String {
    area.to_lowercase()
        .replace('&', " and ")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The area among `known` that `area` is most likely a different spelling of, if any.
pub fn likely_same_area<'a>(
    area: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let folded = area_likeness(area);
    let key = area_key(area);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in known {
        // "Ward 1" and "Ward 2" are two places, however alike they look.
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if area_key(candidate) == key || digits(candidate) != digits(area) {
            continue;
        }
        let other = area_likeness(candidate);
        let distance = if other == folded {
            0
        } else {
            strsim::levenshtein(&folded, &other)
        };
        // A couple of letters on a name of any length, a little more on a long one.
        let allowed = if folded.chars().count() >= 12 { 3 } else { 2 };
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Why a period cell was refused: not a quarter's first day (naming the quarter it is in).
pub fn check_quarter_start(date: NaiveDate, year_start_month: u32) -> Result<Period, String> {
    let period = Period::containing(date, year_start_month);
    if period.start == date {
        Ok(period)
    } else {
        Err(format!(
            "{date} is not the first day of a reporting quarter: it falls in {} ({} to {}); use {}",
            period.label(),
            period.start,
            period.end,
            period.start
        ))
    }
}

/// The figures of one indicator for one quarter added up over the areas that reported: for a
/// count the total, for a percentage Σ numerators and Σ denominators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub value: u64,
    /// Σ denominators for a percentage; `None` for a count.
    pub denominator: Option<u64>,
}

impl Amount {
    pub fn of(figure: &Figure) -> Self {
        Self {
            value: figure.value,
            denominator: figure.denominator,
        }
    }

    /// The figure in tenths: a count × 10, a percentage 1000 × value / denominator rounded
    /// half up (so 1/3 is 333, i.e. 33.3%). `None` for a percentage with no denominator.
    pub fn tenths(self, unit: Unit) -> Option<u64> {
        match unit {
            Unit::Count => Some(self.value.saturating_mul(10)),
            Unit::Percent => {
                let d = u128::from(self.denominator.filter(|d| *d > 0)?);
                let v = u128::from(self.value);
                u64::try_from((2000 * v + d) / (2 * d)).ok()
            }
        }
    }

    /// Whether the small-number rule hides it from people: a count from 1 to 4, or a
    /// percentage out of fewer than 5.
    pub fn is_small(self, unit: Unit) -> bool {
        match unit {
            Unit::Count => (1..5).contains(&self.value),
            Unit::Percent => self.denominator.is_some_and(|d| d < 5),
        }
    }
}

/// Adding two areas' figures: counts add up, and so do percentages' numerators and denominators.
impl std::ops::Add for Amount {
    type Output = Amount;

    fn add(self, other: Amount) -> Self {
        Self {
            value: self.value.saturating_add(other.value),
            denominator: match (self.denominator, other.denominator) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
            },
        }
    }
}

/// How a figure compares with an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Better,
    Worse,
    Same,
    /// A volume indicator: neither better nor worse.
    Unrated,
}

impl Direction {
    /// `now` against `then` (both in tenths) for an indicator where `better` is better; `None`
    /// when either is missing.
    pub fn of(now: Option<u64>, then: Option<u64>, better: Better) -> Option<Self> {
        let (now, then) = (now?, then?);
        Some(match better {
            Better::None => Direction::Unrated,
            _ if now == then => Direction::Same,
            Better::Higher if now > then => Direction::Better,
            Better::Lower if now < then => Direction::Better,
            _ => Direction::Worse,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Better => "better",
            Direction::Worse => "worse",
            Direction::Same => "same",
            Direction::Unrated => "unrated",
        }
    }
}

/// Tenths as people read them: "33.3" (a percentage), "12" (a count).
pub fn tenths_text(tenths: u64, unit: Unit) -> String {
    match unit {
        Unit::Count => (tenths / 10).to_string(),
        Unit::Percent => format!("{}.{}%", tenths / 10, tenths % 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn an_area_folds_to_one_spacing_and_lower_case() {
        assert_eq!(
            area_key("  Hammersmith   and\tFulham "),
            "hammersmith and fulham"
        );
        assert_eq!(area_key("Area 07"), "area 07");
        assert_eq!(area_key(" ÉCOLE  Ville "), "école ville");
        // A capital sigma ending a word becomes the final form.
        assert_eq!(area_key("ΟΔΟΣ  ΑΘΗΝΑ"), "οδο\u{3c2} αθηνα");
        assert_eq!(area_key("   "), "");
    }

    #[test]
    fn keys_follow_the_rule_and_fold_case() {
        assert_eq!(
            IndicatorKey::parse(" SSO_rate1 ").unwrap().as_str(),
            "sso_rate1"
        );
        for bad in ["", "1abc", "_x", "a-b", "a b", "é", &"a".repeat(41)] {
            assert!(IndicatorKey::parse(bad).is_err(), "{bad}");
        }
        assert!(IndicatorKey::parse(&"a".repeat(40)).is_ok());
    }

    #[test]
    fn percentages_round_half_up_to_one_decimal() {
        let a = |value, d| Amount {
            value,
            denominator: Some(d),
        };
        assert_eq!(a(1, 3).tenths(Unit::Percent), Some(333));
        assert_eq!(a(2, 3).tenths(Unit::Percent), Some(667));
        // 1/16 = 6.25% → 6.3 (half up), 1/80 = 1.25% → 1.3
        assert_eq!(a(1, 16).tenths(Unit::Percent), Some(63));
        assert_eq!(a(1, 80).tenths(Unit::Percent), Some(13));
        assert_eq!(a(0, 7).tenths(Unit::Percent), Some(0));
        assert_eq!(a(7, 7).tenths(Unit::Percent), Some(1000));
        assert_eq!(
            Amount {
                value: 4,
                denominator: None
            }
            .tenths(Unit::Count),
            Some(40)
        );
        assert_eq!(a(3, 8) + a(1, 2), a(4, 10));
    }

    #[test]
    fn directions_compare_with_what_is_better() {
        assert_eq!(
            Direction::of(Some(5), Some(4), Better::Higher),
            Some(Direction::Better)
        );
        assert_eq!(
            Direction::of(Some(5), Some(4), Better::Lower),
            Some(Direction::Worse)
        );
        assert_eq!(
            Direction::of(Some(3), Some(4), Better::Lower),
            Some(Direction::Better)
        );
        assert_eq!(
            Direction::of(Some(3), Some(4), Better::Higher),
            Some(Direction::Worse)
        );
        assert_eq!(
            Direction::of(Some(4), Some(4), Better::Higher),
            Some(Direction::Same)
        );
        assert_eq!(
            Direction::of(Some(4), Some(4), Better::None),
            Some(Direction::Unrated)
        );
        assert_eq!(Direction::of(None, Some(4), Better::Higher), None);
        assert_eq!(Direction::of(Some(4), None, Better::None), None);
    }

    #[test]
    fn small_numbers_are_counts_of_one_to_four_or_shares_of_fewer_than_five() {
        let count = |value| Amount {
            value,
            denominator: None,
        };
        assert!(!count(0).is_small(Unit::Count));
        assert!(count(1).is_small(Unit::Count));
        assert!(count(4).is_small(Unit::Count));
        assert!(!count(5).is_small(Unit::Count));
        let share = |value, d| Amount {
            value,
            denominator: Some(d),
        };
        assert!(share(0, 4).is_small(Unit::Percent));
        assert!(!share(0, 5).is_small(Unit::Percent));
    }

    #[test]
    fn quarters_step_back_across_the_year_boundary() {
        // A financial year: Q1 2010/11 (April) steps back to Q4 2009/10 and a year to Q1 2009/10.
        let q1 = Period::containing(d(2010, 4, 1), 4);
        assert_eq!(q1.previous().start, d(2010, 1, 1));
        assert_eq!(q1.previous().label(), "Q4 2009/10");
        assert_eq!(q1.year_earlier().start, d(2009, 4, 1));
        assert_eq!(q1.year_earlier().label(), "Q1 2009/10");
        // A calendar year: Q1 2011 steps back to Q4 2010.
        let jan = Period::containing(d(2011, 1, 1), 1);
        assert_eq!(jan.previous().label(), "Q4 2010");
        assert_eq!(jan.year_earlier().label(), "Q1 2010");
        assert!(check_quarter_start(d(2010, 7, 1), 4).is_ok());
        let err = check_quarter_start(d(2010, 8, 15), 4).unwrap_err();
        assert!(
            err.contains("Q2 2010/11") && err.contains("use 2010-07-01"),
            "{err}"
        );
        assert!(check_quarter_start(d(2010, 4, 1), 1).is_ok());
        assert!(check_quarter_start(d(2010, 4, 1), 2).is_err());
    }

    #[test]
    fn near_miss_area_spellings_are_found() {
        let known = ["Hammersmith and Fulham", "Barking and Dagenham", "Brent"];
        assert_eq!(
            likely_same_area("Hammersmith & Fulham", known),
            Some("Hammersmith and Fulham")
        );
        assert_eq!(likely_same_area("Hammersmith and Fulham", known), None);
        assert_eq!(likely_same_area("  hammersmith AND fulham ", known), None);
        assert_eq!(
            likely_same_area("Barking & Dagenam", known),
            Some("Barking and Dagenham")
        );
        assert_eq!(likely_same_area("Bexley", known), None);
        assert_eq!(likely_same_area("Area 01", ["Area 00", "Area 10"]), None);
        assert_eq!(
            likely_same_area("Ward 1 North", ["Ward 1 Nroth"]),
            Some("Ward 1 Nroth")
        );
        assert_eq!(
            area_key("  Hammersmith   and Fulham"),
            "hammersmith and fulham"
        );
    }
}
