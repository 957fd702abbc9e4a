//! JSON: the `digest` and `remind` CLI contracts (stable keys, ISO-8601 dates).

use serde::Serialize;
use serde_json::{json, Value};

use crate::digest::build::{
    ActionLine, Changes, ChartRow, GroupRow, PeriodDates, RecommendationTotals, ResponseOverdue,
    SignOffLine, Totals,
};
use crate::digest::monitoring::{IndicatorLine, Monitoring, Quarter};
use crate::digest::since_last::SinceLastDigest;
use crate::digest::{Digest, Reminder};
use crate::domain::indicators::{Amount, Better, Direction, Unit};

/// A table row keyed by what the table groups by, as the contract names it ("owner" …).
macro_rules! keyed_row {
    ($name:ident, $key:ident) => {
        #[derive(Serialize)]
        struct $name<'a> {
            $key: &'a str,
            open: usize,
            overdue: usize,
            done: usize,
        }

        impl<'a> From<&'a GroupRow> for $name<'a> {
            fn from(r: &'a GroupRow) -> Self {
                Self {
                    $key: &r.name,
                    open: r.open,
                    overdue: r.overdue,
                    done: r.done,
                }
            }
        }
    };
}

keyed_row!(OwnerRow, owner);
keyed_row!(BoroughRow, borough);
keyed_row!(ThemeRow, theme);

/// The digest as the contract lays it out, borrowing from the [`Digest`]; serialized directly,
/// without building an intermediate JSON tree.
#[derive(Serialize)]
pub struct DigestJson<'a> {
    board: &'a str,
    board_name: &'a str,
    as_of: chrono::NaiveDate,
    period: &'a PeriodDates,
    next_period: &'a PeriodDates,
    totals: &'a Totals,
    recommendations: &'a RecommendationTotals,
    changes: &'a Changes,
    completed_date_not_recorded: &'a [ActionLine],
    overdue: &'a [ActionLine],
    due_next_period: &'a [ActionLine],
    awaiting_sign_off: &'a [SignOffLine],
    responses_overdue: &'a [ResponseOverdue],
    by_owner: Vec<OwnerRow<'a>>,
    by_borough: Vec<BoroughRow<'a>>,
    by_theme: Vec<ThemeRow<'a>>,
    chart_grouping: &'a str,
    chart: &'a [ChartRow],
    /// Left out when the archive holds no earlier digest to compare with.
    #[serde(skip_serializing_if = "Option::is_none")]
    since_last_digest: Option<&'a SinceLastDigest>,
    /// One entry per defined indicator, by key (empty for a board with none).
    indicators: Vec<IndicatorJson<'a>>,
    /// Exceptions and missing returns; left out for a board with no indicators.
    #[serde(skip_serializing_if = "Option::is_none")]
    monitoring: Option<MonitoringJson<'a>>,
}

/// A figure as the contract gives it: a count as a whole number, a percentage to one decimal
/// place (rounded half up), exactly as computed — the JSON hides no small numbers.
#[derive(Serialize)]
#[serde(untagged)]
enum Number {
    Whole(u64),
    Decimal(f64),
}

fn number(amount: Option<Amount>, unit: Unit) -> Option<Number> {
    let tenths = amount?.tenths(unit)?;
    Some(match unit {
        Unit::Count => Number::Whole(tenths / 10),
        Unit::Percent => Number::Decimal(tenths as f64 / 10.0),
    })
}

#[derive(Serialize)]
struct AreaJson<'a> {
    area: &'a str,
    value: Option<Number>,
    previous: Option<Number>,
    year_ago: Option<Number>,
    direction: Option<Direction>,
}

#[derive(Serialize)]
struct IndicatorJson<'a> {
    key: &'a str,
    name: &'a str,
    unit: Unit,
    better: Better,
    value: Option<Number>,
    previous: Option<Number>,
    year_ago: Option<Number>,
    direction: Option<Direction>,
    areas: Vec<AreaJson<'a>>,
}

impl<'a> IndicatorJson<'a> {
    fn of(i: &'a IndicatorLine) -> Self {
        let unit = i.unit;
        Self {
            key: &i.key,
            name: &i.name,
            unit,
            better: i.better,
            value: number(i.board.value, unit),
            previous: number(i.board.previous, unit),
            year_ago: number(i.board.year_ago, unit),
            direction: i.board.direction,
            areas: i
                .areas
                .iter()
                .map(|a| AreaJson {
                    area: &a.area,
                    value: number(a.figures.value, unit),
                    previous: number(a.figures.previous, unit),
                    year_ago: number(a.figures.year_ago, unit),
                    direction: a.figures.direction,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct ExceptionJson<'a> {
    indicator: &'a str,
    area: &'a str,
    value: Option<Number>,
    year_ago: Option<Number>,
    /// The change as a share of the year-ago figure, percent to one decimal; null from zero.
    change_percent: Option<f64>,
}

#[derive(Serialize)]
struct MissingReturnJson<'a> {
    indicator: &'a str,
    area: &'a str,
}

#[derive(Serialize)]
struct MonitoringJson<'a> {
    reviewed: Option<&'a Quarter>,
    previous: Option<&'a Quarter>,
    year_ago: Option<&'a Quarter>,
    exception_percent: u32,
    exception_min_count: u32,
    hide_small_numbers: bool,
    exceptions: Vec<ExceptionJson<'a>>,
    missing_returns: Vec<MissingReturnJson<'a>>,
}

fn monitoring_view(m: &Monitoring) -> Option<MonitoringJson<'_>> {
    if m.is_empty() {
        return None;
    }
    Some(MonitoringJson {
        reviewed: m.reviewed.as_ref(),
        previous: m.previous.as_ref(),
        year_ago: m.year_ago.as_ref(),
        exception_percent: m.exception_percent,
        exception_min_count: m.exception_min_count,
        hide_small_numbers: m.hide_small_numbers,
        exceptions: m
            .exceptions
            .iter()
            .map(|e| ExceptionJson {
                indicator: &e.key,
                area: &e.area,
                value: number(Some(e.value), e.unit),
                year_ago: number(Some(e.year_ago), e.unit),
                change_percent: e.change_tenths_of_percent.map(|t| t as f64 / 10.0),
            })
            .collect(),
        missing_returns: m
            .missing_returns
            .iter()
            .map(|r| MissingReturnJson {
                indicator: &r.key,
                area: &r.area,
            })
            .collect(),
    })
}

/// The digest in the contract's shape, ready to serialize.
pub fn digest_view(d: &Digest) -> DigestJson<'_> {
    DigestJson {
        board: &d.board,
        board_name: &d.board_name,
        as_of: d.as_of,
        period: &d.period,
        next_period: &d.next_period,
        totals: &d.totals,
        recommendations: &d.recommendations,
        changes: &d.changes,
        completed_date_not_recorded: &d.completed_date_not_recorded,
        overdue: &d.overdue,
        due_next_period: &d.due_next_period,
        awaiting_sign_off: &d.awaiting_sign_off,
        responses_overdue: &d.responses_overdue,
        by_owner: d.by_owner.iter().map(OwnerRow::from).collect(),
        by_borough: d.by_borough.iter().map(BoroughRow::from).collect(),
        by_theme: d.by_theme.iter().map(ThemeRow::from).collect(),
        chart_grouping: &d.chart_grouping,
        chart: &d.chart,
        since_last_digest: d.since_last_digest.as_ref(),
        indicators: d
            .monitoring
            .indicators
            .iter()
            .map(IndicatorJson::of)
            .collect(),
        monitoring: monitoring_view(&d.monitoring),
    }
}

/// The digest as `digest --format json` prints it (and the archive keeps it): pretty, with a
/// final newline.
pub fn digest_json_text(digest: &Digest) -> String {
    let mut json =
        serde_json::to_string_pretty(&digest_view(digest)).unwrap_or_else(|_| "null".to_string());
    json.push('\n');
    json
}

/// The digest as the contract's JSON value.
pub fn digest_json(digest: &Digest) -> Value {
    serde_json::to_value(digest_view(digest)).unwrap_or(Value::Null)
}

/// The reminder as the contract's JSON; `None` gives empty lists and `nothing_to_post`.
pub fn reminder_json(reminder: Option<&Reminder>, board: &str, as_of: chrono::NaiveDate) -> Value {
    match reminder {
        Some(r) => {
            let mut value = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("nothing_to_post".into(), Value::Bool(false));
            }
            value
        }
        None => json!({
            "board": board,
            "as_of": as_of,
            "nothing_to_post": true,
            "overdue": [],
            "due_soon": [],
            "by_owner": [],
            "for_secretariat": {"awaiting_sign_off": [], "responses_overdue": []},
        }),
    }
}
