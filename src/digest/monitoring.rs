//! The monitoring section of the digest: each indicator board-wide and by area for the quarter
//! reviewed, the quarter before and the same quarter a year earlier; the areas that moved the
//! wrong way by more than the board's threshold (exceptions); the areas that reported last
//! quarter but not this one (missing returns); and the last eight quarters for the trend chart.
//!
//! Pure, like [`super::build::build_digest`]: the renderers only format what is here. Values are
//! exact; hiding small numbers is the renderers' job (the JSON for the secretariat keeps them),
//! following [`Monitoring::hide_small_numbers`].

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::indicators::{area_key, Amount, Better, Direction, Figure, Indicator, Unit};
use crate::domain::{MonitoringSettings, Period};

/// How many quarters the trend chart shows, the reviewed one last.
pub const TREND_QUARTERS: usize = 8;

/// A quarter as dates and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarter {
    /// "Q2 2010/11".
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Quarter {
    fn of(p: &Period) -> Self {
        Self {
            label: p.label(),
            start: p.start,
            end: p.end,
        }
    }
}

/// One indicator's figures for the three quarters compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub value: Option<Amount>,
    pub previous: Option<Amount>,
    pub year_ago: Option<Amount>,
    /// `value` against `year_ago` (seasonality): `None` when either is missing.
    pub direction: Option<Direction>,
}

impl Figures {
    fn new(
        value: Option<Amount>,
        previous: Option<Amount>,
        year_ago: Option<Amount>,
        i: &Indicator,
    ) -> Self {
        let direction = Direction::of(
            value.and_then(|a| a.tenths(i.unit)),
            year_ago.and_then(|a| a.tenths(i.unit)),
            i.better,
        );
        Self {
            value,
            previous,
            year_ago,
            direction,
        }
    }
}

/// One area's figures for an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaFigures {
    pub area: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One indicator, board-wide and by area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorLine {
    pub key: String,
    pub name: String,
    pub unit: Unit,
    pub better: Better,
    pub theme: Option<String>,
    /// What it counts and where it comes from (shown as a footnote).
    pub description: Option<String>,
    /// All areas together: for a count the sum, for a percentage Σ value / Σ denominator over
    /// the areas that reported.
    pub board: Figures,
    /// Every area with a figure in any of the three quarters, by name.
    pub areas: Vec<AreaFigures>,
}

/// An area whose figure moved the wrong way, against the same quarter a year earlier, by more
/// than the board's threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    pub key: String,
    pub name: String,
    pub unit: Unit,
    pub area: String,
    pub value: Amount,
    pub year_ago: Amount,
    /// The change as a share of the year-ago figure, in tenths of a percent (125 = 12.5%);
    /// `None` when the year-ago figure was zero.
    pub change_tenths_of_percent: Option<u64>,
}

/// An area that reported an indicator last quarter but not this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingReturn {
    pub key: String,
    pub name: String,
    pub area: String,
}

/// One quarter of the trend: the board-wide figure, `None` when no area reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    pub label: String,
    pub start: NaiveDate,
    pub amount: Option<Amount>,
}

/// An indicator's board-wide figure over the last [`TREND_QUARTERS`] quarters, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trend {
    pub key: String,
    pub name: String,
    pub unit: Unit,
    pub better: Better,
    pub points: Vec<TrendPoint>,
    /// The indicator's description says its figures are illustrative (as the sample board's
    /// do): the chart says so too.
    pub illustrative: bool,
}

/// The monitoring section. Empty (no indicators) for a board that monitors no figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Monitoring {
    pub reviewed: Option<Quarter>,
    pub previous: Option<Quarter>,
    pub year_ago: Option<Quarter>,
    /// One per defined indicator, by key.
    pub indicators: Vec<IndicatorLine>,
    /// By indicator key, then area.
    pub exceptions: Vec<Exception>,
    /// By indicator key, then area.
    pub missing_returns: Vec<MissingReturn>,
    pub trend: Vec<Trend>,
    /// Whether what people see hides small numbers (the board's setting).
    pub hide_small_numbers: bool,
    pub exception_percent: u32,
    pub exception_min_count: u32,
}

impl Monitoring {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}

/// The first day of the earliest quarter the section reads, for `period` reviewed: the trend's
/// first quarter (which also covers the year-ago one).
pub fn first_quarter_read(period: &Period) -> NaiveDate {
    let mut p = *period;
    for _ in 1..TREND_QUARTERS {
        p = p.previous();
    }
    p.start
}

/// Sums of one indicator's figures by quarter start, and by (area key, quarter start).
#[derive(Default)]
struct Sums<'a> {
    board: HashMap<NaiveDate, Amount>,
    areas: HashMap<(String, NaiveDate), Amount>,
    /// An area's name as written in its latest figure.
    names: BTreeMap<String, (NaiveDate, &'a str)>,
}

/// Whether `now` moved the wrong way from `then` by more than the board allows.
fn exception(
    i: &Indicator,
    now: Amount,
    then: Amount,
    settings: &MonitoringSettings,
) -> Option<Option<u64>> {
    let (n, t) = (now.tenths(i.unit)?, then.tenths(i.unit)?);
    if Direction::of(Some(n), Some(t), i.better) != Some(Direction::Worse) {
        return None;
    }
    let moved = n.abs_diff(t);
    if i.unit == Unit::Count
        && now.value.abs_diff(then.value) < u64::from(settings.exception_min_count)
    {
        return None;
    }
    if t == 0 {
        return Some(None);
    }
    // More than the threshold, in integers: moved / t > percent / 100.
    if u128::from(moved) * 100 <= u128::from(settings.exception_percent) * u128::from(t) {
        return None;
    }
    let tenths = (u128::from(moved) * 2000 + u128::from(t)) / (2 * u128::from(t));
    Some(Some(u64::try_from(tenths).unwrap_or(u64::MAX)))
}

/// Build the monitoring section for `period` from the board's indicators and the figures of
/// (at least) the quarters from [`first_quarter_read`] to `period`.
pub fn build_monitoring(
    indicators: &[Indicator],
    figures: &[Figure],
    period: &Period,
    settings: &MonitoringSettings,
) -> Monitoring {
    if indicators.is_empty() {
        return Monitoring::default();
    }
    let previous = period.previous();
    let year_ago = period.year_earlier();
    let mut quarters = vec![*period];
    while quarters.len() < TREND_QUARTERS {
        let before = quarters[quarters.len() - 1].previous();
        quarters.push(before);
    }
    quarters.reverse();
    let first = quarters[0].start;

    let mut sums: HashMap<&str, Sums> = HashMap::new();
    for f in figures
        .iter()
        .filter(|f| f.period >= first && f.period <= period.start)
    {
        let s = sums.entry(f.indicator.as_str()).or_default();
        let amount = Amount::of(f);
        let board = s.board.entry(f.period).or_default();
        *board = *board + amount;
        let key = area_key(&f.area);
        let area = s.areas.entry((key.clone(), f.period)).or_default();
        *area = *area + amount;
        let name = s.names.entry(key).or_insert((f.period, &f.area));
        if f.period >= name.0 {
            *name = (f.period, &f.area);
        }
    }

    let empty = Sums::default();
    let mut lines = Vec::with_capacity(indicators.len());
    let mut exceptions = Vec::new();
    let mut missing_returns = Vec::new();
    let mut sorted: Vec<&Indicator> = indicators.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for i in &sorted {
        let s = sums.get(i.key.as_str()).unwrap_or(&empty);
        let board = |q: &Period| s.board.get(&q.start).copied();
        let mut areas: Vec<AreaFigures> = Vec::new();
        for (key, (_, name)) in &s.names {
            let at = |q: &Period| s.areas.get(&(key.clone(), q.start)).copied();
            let (now, before, then) = (at(period), at(&previous), at(&year_ago));
            if now.is_none() && before.is_none() && then.is_none() {
                continue; // reported only in older quarters of the trend
            }
            if let (Some(now), Some(then)) = (now, then) {
                if let Some(change) = exception(i, now, then, settings) {
                    exceptions.push(Exception {
                        key: i.key.to_string(),
                        name: i.name.clone(),
                        unit: i.unit,
                        area: name.to_string(),
                        value: now,
                        year_ago: then,
                        change_tenths_of_percent: change,
                    });
                }
            }
            if before.is_some() && now.is_none() {
                missing_returns.push(MissingReturn {
                    key: i.key.to_string(),
                    name: i.name.clone(),
                    area: name.to_string(),
                });
            }
            areas.push(AreaFigures {
                area: name.to_string(),
                figures: Figures::new(now, before, then, i),
            });
        }
        areas.sort_by(|a, b| {
            a.area
                .to_lowercase()
                .cmp(&b.area.to_lowercase())
                .then_with(|| a.area.cmp(&b.area))
        });
        lines.push(IndicatorLine {
            key: i.key.to_string(),
            name: i.name.clone(),
            unit: i.unit,
            better: i.better,
            theme: i.theme.clone(),
            description: i.description.clone(),
            board: Figures::new(board(period), board(&previous), board(&year_ago), i),
            areas,
        });
    }
    let by_key_area = |a: (&str, &str), b: (&str, &str)| {
        a.0.cmp(b.0)
            .then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase()))
    };
    exceptions.sort_by(|a, b| by_key_area((&a.key, &a.area), (&b.key, &b.area)));
    missing_returns.sort_by(|a, b| by_key_area((&a.key, &a.area), (&b.key, &b.area)));

    let chosen: Vec<&Indicator> = if settings.trend_indicators.is_empty() {
        sorted.clone()
    } else {
        settings
            .trend_indicators
            .iter()
            .filter_map(|k| {
                sorted
                    .iter()
                    .copied()
                    .find(|i| i.key.as_str() == k.to_lowercase())
            })
            .collect()
    };
    let trend = chosen
        .iter()
        .map(|i| {
            let s = sums.get(i.key.as_str()).unwrap_or(&empty);
            Trend {
                key: i.key.to_string(),
                name: i.name.clone(),
                unit: i.unit,
                better: i.better,
                points: quarters
                    .iter()
                    .map(|q| TrendPoint {
                        label: q.label(),
                        start: q.start,
                        amount: s.board.get(&q.start).copied(),
                    })
                    .collect(),
                illustrative: i
                    .description
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains("illustrative")),
            }
        })
        .collect();

    Monitoring {
        reviewed: Some(Quarter::of(period)),
        previous: Some(Quarter::of(&previous)),
        year_ago: Some(Quarter::of(&year_ago)),
        indicators: lines,
        exceptions,
        missing_returns,
        trend,
        hide_small_numbers: settings.hide_small_numbers,
        exception_percent: settings.exception_percent,
        exception_min_count: settings.exception_min_count,
    }
}

/// One indicator for `/indicator show`: its section (every trend quarter, whatever the board
/// chose for the digest's chart) and, when `area` is given, that area's figures as a second
/// trend named "AREA: indicator".
pub fn one_indicator(
    indicator: &Indicator,
    figures: &[Figure],
    period: &Period,
    settings: &MonitoringSettings,
    area: Option<&str>,
) -> Monitoring {
    let mine: Vec<Figure> = figures
        .iter()
        .filter(|f| f.indicator == indicator.key)
        .cloned()
        .collect();
    let mut settings = settings.clone();
    settings.trend_indicators.clear();
    let mut m = build_monitoring(std::slice::from_ref(indicator), &mine, period, &settings);
    if let (Some(area), Some(board)) = (area, m.trend.first().cloned()) {
        let key = area_key(area);
        let points = board
            .points
            .iter()
            .map(|p| TrendPoint {
                amount: mine
                    .iter()
                    .filter(|f| f.period == p.start && area_key(&f.area) == key)
                    .map(Amount::of)
                    .reduce(|a, b| a + b),
                ..p.clone()
            })
            .collect();
        m.trend.push(Trend {
            name: format!("{area}: {}", indicator.name),
            points,
            ..board
        });
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::IndicatorKey;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn indicator(key: &str, unit: Unit, better: Better) -> Indicator {
        Indicator {
            key: IndicatorKey::parse(key).unwrap(),
            name: key.to_uppercase(),
            unit,
            better,
            theme: None,
            description: None,
        }
    }

    fn fig(key: &str, area: &str, period: NaiveDate, value: u64, d: Option<u64>) -> Figure {
        Figure {
            indicator: IndicatorKey::parse(key).unwrap(),
            area: area.into(),
            period,
            value,
            denominator: d,
            note: None,
        }
    }

    #[test]
    fn exceptions_need_the_wrong_way_more_than_the_threshold_and_five_for_counts() {
        let settings = MonitoringSettings::default();
        let rate = indicator("rate", Unit::Percent, Better::Higher);
        let a = |v, d| Amount {
            value: v,
            denominator: Some(d),
        };
        // 50% → 44% is a 12% fall: an exception; 50% → 46% (8%) is not; a rise never is.
        assert_eq!(
            exception(&rate, a(44, 100), a(50, 100), &settings),
            Some(Some(120))
        );
        assert_eq!(exception(&rate, a(46, 100), a(50, 100), &settings), None);
        assert_eq!(exception(&rate, a(60, 100), a(50, 100), &settings), None);
        // Exactly 10% is not more than 10%.
        assert_eq!(exception(&rate, a(45, 100), a(50, 100), &settings), None);
        let repeat = indicator("repeat", Unit::Count, Better::Lower);
        let c = |v| Amount {
            value: v,
            denominator: None,
        };
        // 2 → 4 doubles, but by fewer than 5: not an exception; 20 → 25 is.
        assert_eq!(exception(&repeat, c(4), c(2), &settings), None);
        assert_eq!(exception(&repeat, c(25), c(20), &settings), Some(Some(250)));
        assert_eq!(exception(&repeat, c(7), c(0), &settings), Some(None));
        let volume = indicator("reports", Unit::Count, Better::None);
        assert_eq!(exception(&volume, c(100), c(10), &settings), None);
    }

    #[test]
    fn board_wide_percentages_pool_numerators_and_denominators() {
        let rate = indicator("rate", Unit::Percent, Better::Higher);
        let q = Period::containing(d(2010, 7, 1), 4);
        let figures = [
            fig("rate", "Brent", d(2010, 7, 1), 1, Some(3)),
            fig("rate", "Bexley", d(2010, 7, 1), 9, Some(10)),
            fig("rate", "Brent", d(2010, 4, 1), 2, Some(3)),
            fig("rate", "Brent", d(2009, 7, 1), 1, Some(2)),
        ];
        let m = build_monitoring(&[rate], &figures, &q, &MonitoringSettings::default());
        let line = &m.indicators[0];
        assert_eq!(line.board.value.unwrap().tenths(Unit::Percent), Some(769)); // 10/13
        assert_eq!(
            line.board.previous.unwrap().tenths(Unit::Percent),
            Some(667)
        );
        assert_eq!(line.board.direction, Some(Direction::Better)); // 76.9 > 50.0
        assert_eq!(
            line.areas
                .iter()
                .map(|a| a.area.as_str())
                .collect::<Vec<_>>(),
            ["Bexley", "Brent"]
        );
        assert_eq!(m.trend[0].points.len(), TREND_QUARTERS);
        assert_eq!(m.trend[0].points[7].label, "Q2 2010/11");
        assert_eq!(m.trend[0].points[0].label, "Q3 2008/09");
    }
}
