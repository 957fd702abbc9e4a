//! Loading the board's monitoring figures from CSV: indicator definitions and figures, all or
//! nothing, by the same rules as recommendations and actions (see [`super::import`]). Every
//! revision — a definition created or changed, a figure recorded or corrected — is appended
//! to the indicator history with who, when and old → new.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::actions::Author;
use super::import::{
    read_table, too_large, ImportError, ImportOptions, ImportSummary, Problem, RowCheck, Table,
};
use super::ServiceError;
use crate::domain::indicators::{
    area_key, check_quarter_start, likely_same_area, Better, Figure, Indicator, IndicatorKey,
    Revision, RevisionSubject, Unit,
};
use crate::domain::{parse_date, Board, BoardSlug, Text};
use crate::store::{retry_conflicts, Store, Transaction};

/// Which file of the monitoring figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorFile {
    /// Definitions: key, name, unit, better, theme, description.
    Indicators,
    /// Figures: indicator, area, period, value, denominator, note.
    Figures,
}

impl IndicatorFile {
    /// Every column, in the contract's order; the required ones are flagged.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            IndicatorFile::Indicators => &[
                ("key", true),
                ("name", true),
                ("unit", false),
                ("better", false),
                ("theme", false),
                ("description", false),
            ],
            IndicatorFile::Figures => &[
                ("indicator", true),
                ("area", true),
                ("period", true),
                ("value", true),
                ("denominator", false),
                ("note", false),
            ],
        }
    }
}

/// The most rows one import takes: 32 areas × 40 indicators × 40 quarters is 51,200, so a file
/// ten times that is a mistake (or an export of something else), refused before it is parsed.
pub const MAX_ROWS: usize = 500_000;

fn too_many_rows(bytes: &[u8]) -> Option<Problem> {
    // Counting line ends over-counts only when cells hold line breaks, and a file that close to
    // the limit should be split anyway.
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    (lines > MAX_ROWS + 1).then(|| Problem {
        line: 1,
        column: None,
        message: format!(
            "the file has {lines} lines; one import takes at most {MAX_ROWS} rows. Split it \
             (by year, say) and import the parts one after another"
        ),
    })
}

/// A whole number of zero or more, or what is wrong with the cell and how to fix it.
fn whole_number(text: &str, what: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    match t.parse::<f64>() {
        Ok(n) if n < 0.0 => Err(format!(
            "{t} is negative; a {what} is a whole number of zero or more"
        )),
        Ok(n) if n.fract() != 0.0 => Err(format!(
            "{t} is not a whole number; a {what} counts cases (for a percentage, give the \
             numerator in value and what it is out of in denominator)"
        )),
        Ok(_) => Err(format!(
            "{t} is too large or not written as digits; write the {what} as plain digits, e.g. 42"
        )),
        Err(_) => Err(format!(
            "{t:?} is not a number; write the {what} as plain digits with no commas, spaces or \
             % sign, e.g. 42"
        )),
    }
}

/// Parse the definitions file.
fn parse_indicators(table: &Table, problems: &mut Vec<Problem>) -> Vec<(u64, Indicator)> {
    let mut parsed = Vec::with_capacity(table.rows.len());
    let mut first_seen: HashMap<IndicatorKey, u64> = HashMap::new();
    for (line, row) in &table.rows {
        let mut c = RowCheck {
            line: *line,
            problems,
            ok: true,
        };
        let key = c.check(
            "key",
            IndicatorKey::parse(table.cell(row, "key").unwrap_or("")),
        );
        if let Some(key) = &key {
            if let Some(first) = first_seen.get(key) {
                c.fail(
                    "key",
                    format!("{key} appears twice in this file (first on line {first}); each key must be unique"),
                );
            } else {
                first_seen.insert(key.clone(), *line);
            }
        }
        let name = c.check(
            "name",
            Text::line(table.cell(row, "name").unwrap_or(""), Text::TITLE_MAX),
        );
        let unit = match table.cell(row, "unit") {
            Some(u) => c.check("unit", Unit::parse(u)),
            None => Some(Unit::Count),
        };
        let better = match table.cell(row, "better") {
            Some(b) => c.check("better", Better::parse(b)),
            None => Some(Better::None),
        };
        let theme = c.text("theme", table.cell(row, "theme"), Text::NAME_MAX);
        let description = match table.cell(row, "description") {
            Some(d) => c
                .check("description", Text::multiline(d, Text::BODY_MAX))
                .map(|t| t.as_str().to_string()),
            None => None,
        };
        if let (true, Some(key), Some(name), Some(unit), Some(better)) =
            (c.ok, key, name, unit, better)
        {
            parsed.push((
                *line,
                Indicator {
                    key,
                    name: name.as_str().to_string(),
                    unit,
                    better,
                    theme,
                    description,
                },
            ));
        }
    }
    parsed
}

/// Parse the figures file against the board's indicators and reporting quarters.
fn parse_figures(
    table: &Table,
    indicators: &HashMap<IndicatorKey, (i64, Indicator)>,
    year_start_month: u32,
    problems: &mut Vec<Problem>,
) -> Vec<(u64, i64, Figure)> {
    let mut parsed = Vec::with_capacity(table.rows.len());
    let mut first_seen: HashMap<(IndicatorKey, String, NaiveDate), u64> = HashMap::new();
    let defined = || {
        let mut keys: Vec<&str> = indicators.keys().map(IndicatorKey::as_str).collect();
        keys.sort_unstable();
        if keys.is_empty() {
            "the board has no indicators yet: import them first with `import indicators`".into()
        } else {
            let more = keys.len().saturating_sub(12);
            keys.truncate(12);
            format!(
                "the board's indicators are {}{}",
                keys.join(", "),
                if more > 0 {
                    format!(" and {more} more (`export indicators` lists them)")
                } else {
                    String::new()
                }
            )
        }
    };
    for (line, row) in &table.rows {
        let mut c = RowCheck {
            line: *line,
            problems,
            ok: true,
        };
        let key = c.check(
            "indicator",
            IndicatorKey::parse(table.cell(row, "indicator").unwrap_or("")),
        );
        let indicator = key.as_ref().and_then(|key| match indicators.get(key) {
            Some(found) => Some(found),
            None => {
                c.fail(
                    "indicator",
                    format!(
                        "there is no indicator {key} on this board; {}, or fix the key",
                        defined()
                    ),
                );
                None
            }
        });
        let area = c.check(
            "area",
            Text::line(table.cell(row, "area").unwrap_or(""), Text::NAME_MAX),
        );
        let period = match table.cell(row, "period") {
            Some(p) => c
                .check("period", parse_date(p))
                .and_then(|d| c.check("period", check_quarter_start(d, year_start_month)))
                .map(|p| p.start),
            None => {
                c.fail(
                    "period",
                    "is empty; give the first day of the reporting quarter (YYYY-MM-DD)".into(),
                );
                None
            }
        };
        let value = match table.cell(row, "value") {
            Some(v) => c.check("value", whole_number(v, "value")),
            None => {
                c.fail("value", "is empty; every figure needs a value".into());
                None
            }
        };
        let denominator = match table.cell(row, "denominator") {
            Some(d) => c
                .check("denominator", whole_number(d, "denominator"))
                .map(Some),
            None => Some(None),
        };
        let note = match table.cell(row, "note") {
            Some(n) => c
                .check("note", Text::multiline(n, Text::NOTE_MAX))
                .map(|t| t.as_str().to_string()),
            None => None,
        };
        if let (Some((_, indicator)), Some(value), Some(denominator)) =
            (indicator, value, denominator)
        {
            match (indicator.unit, denominator) {
                (Unit::Percent, None) => c.fail(
                    "denominator",
                    format!(
                        "is empty; {} is a percentage, so give what the value is out of \
                         (e.g. value 12, denominator 40 for 30%)",
                        indicator.key
                    ),
                ),
                (Unit::Percent, Some(0)) => c.fail(
                    "denominator",
                    "is 0; a percentage needs a denominator of 1 or more (if there were no \
                     cases, leave the row out: the area made no return)"
                        .into(),
                ),
                (Unit::Percent, Some(d)) if value > d => c.fail(
                    "value",
                    format!(
                        "{value} is more than the denominator {d}; a numerator cannot exceed \
                         what it is out of — check the two columns are not swapped"
                    ),
                ),
                (Unit::Count, Some(_)) => c.fail(
                    "denominator",
                    format!(
                        "{} is a count, which has no denominator; clear the cell, or define the \
                         indicator with unit percent",
                        indicator.key
                    ),
                ),
                _ => {}
            }
        }
        if let (Some(key), Some(area), Some(period)) = (&key, &area, period) {
            let slot = (key.clone(), area_key(area.as_str()), period);
            if let Some(first) = first_seen.get(&slot) {
                c.fail(
                    "area",
                    format!(
                        "{key} for {area} in the quarter starting {period} appears twice in \
                         this file (first on line {first}); keep one row"
                    ),
                );
            } else {
                first_seen.insert(slot, *line);
            }
        }
        if let (true, Some(key), Some((id, _)), Some(area), Some(period), Some(value), Some(d)) =
            (c.ok, key, indicator, area, period, value, denominator)
        {
            parsed.push((
                *line,
                *id,
                Figure {
                    indicator: key,
                    area: area.as_str().to_string(),
                    period,
                    value,
                    denominator: d,
                    note,
                },
            ));
        }
    }
    parsed
}

/// Warnings for areas spelt differently from one already reported (or from another in the
/// same file): imported as written, but probably meant to be the same place.
fn near_miss_areas(figures: &[(u64, i64, Figure)], known: &[String]) -> Vec<String> {
    let known_keys: HashSet<String> = known.iter().map(|a| area_key(a)).collect();
    let mut warnings = Vec::new();
    let mut new_areas: Vec<(u64, &str)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (line, _, figure) in figures {
        let key = area_key(&figure.area);
        if !known_keys.contains(&key) && seen.insert(key) {
            new_areas.push((*line, &figure.area));
        }
    }
    // Thousands of new areas is not a spelling problem; comparing them all would be slow.
    if new_areas.len() > 1000 {
        return warnings;
    }
    for (i, (line, area)) in new_areas.iter().enumerate() {
        let earlier_in_file = new_areas[..i].iter().map(|(_, a)| *a);
        if let Some(likely) = likely_same_area(area, known.iter().map(String::as_str)) {
            warnings.push(format!(
                "line {line}: area {area:?} is new to this board; did you mean {likely:?}, \
                 which it reported before? It was read as a different area"
            ));
        } else if let Some(likely) = likely_same_area(area, earlier_in_file) {
            warnings.push(format!(
                "line {line}: area {area:?} looks like {likely:?}, spelt differently earlier in \
                 the file; they were read as two different areas"
            ));
        }
    }
    warnings
}

/// Import a CSV file of indicator definitions or figures into a board. Definitions may name a
/// board that does not exist yet (it is created in the same transaction); figures need a
/// board with indicators.
pub async fn import_indicator_csv(
    store: &Store,
    board: Option<&BoardSlug>,
    file: IndicatorFile,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions<'_>,
) -> Result<ImportSummary, ImportError> {
    let invalid = |problems: Vec<Problem>| ImportError::Invalid {
        file: file_name.to_string(),
        problems,
    };
    if let Some(problem) = too_large(bytes).or_else(|| too_many_rows(bytes)) {
        return Err(invalid(vec![problem]));
    }
    let mut problems = Vec::new();
    let Some(table) = read_table(bytes, file.columns(), &mut problems) else {
        return Err(invalid(problems));
    };
    let only = match board {
        Some(_) => None,
        None => Some(super::boards::resolve_board(store, None).await?),
    };
    let (problems, table, only) = (&problems, &table, &only);
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let (board, board_created) = match (board, only) {
            (_, Some(only)) => (only.clone(), false),
            (Some(slug), None) => match tx.board(slug).await? {
                Some(found) => (found, false),
                None if file == IndicatorFile::Figures => {
                    return Err(ImportError::Service(ServiceError::rejected(format!(
                        "there is no board {slug}; figures go to a board that has indicators: \
                         import the indicators first (`briefing-bot import indicators FILE \
                         --board {slug}`), or check the spelling"
                    ))))
                }
                None if options.dry_run => (
                    Board {
                        id: -1,
                        slug: slug.clone(),
                        name: super::boards::default_name(slug),
                        settings: options.new_board_settings.clone(),
                        chat: Default::default(),
                    },
                    true,
                ),
                None => (
                    super::settings::create_board_in(
                        &mut tx,
                        slug,
                        &super::boards::default_name(slug),
                        &options.new_board_settings,
                        &Author {
                            by: by(options),
                            at: options.now,
                        },
                    )
                    .await?,
                    true,
                ),
            },
            (None, None) => unreachable!("the only board is found when none is named"),
        };
        let mut summary = ImportSummary {
            board: board.slug.to_string(),
            board_created,
            dry_run: options.dry_run,
            warnings: table.warnings.clone(),
            ..Default::default()
        };
        let mut problems = problems.clone();
        let note = format!("imported from {file_name}");
        match file {
            IndicatorFile::Indicators => {
                let rows = parse_indicators(table, &mut problems);
                let existing = if board.id >= 0 {
                    tx.indicator_index(board.id).await?
                } else {
                    HashMap::new()
                };
                let with_figures = if board.id >= 0 {
                    tx.indicators_with_figures(board.id).await?
                } else {
                    HashSet::new()
                };
                for (line, indicator) in &rows {
                    let Some((id, old)) = existing.get(&indicator.key) else {
                        continue;
                    };
                    if !options.update {
                        problems.push(Problem {
                            line: *line,
                            column: Some("key".into()),
                            message: format!(
                                "indicator {} is already on this board; import with --update to change existing definitions",
                                indicator.key
                            ),
                        });
                    } else if old.unit != indicator.unit && with_figures.contains(id) {
                        problems.push(Problem {
                            line: *line,
                            column: Some("unit".into()),
                            message: format!(
                                "indicator {} has figures recorded as {}s, so its unit cannot become {}; keep the unit, or define a new indicator with another key",
                                indicator.key,
                                old.unit.as_str(),
                                indicator.unit.as_str()
                            ),
                        });
                    }
                }
                if !problems.is_empty() {
                    problems.sort_by_key(|p| p.line);
                    return Err(ImportError::Invalid {
                        file: file_name.to_string(),
                        problems,
                    });
                }
                write_indicators(&mut tx, &board, &rows, &existing, options, &note, &mut summary)
                    .await?;
            }
            IndicatorFile::Figures => {
                let indicators = tx.indicator_index(board.id).await?;
                let rows = parse_figures(
                    table,
                    &indicators,
                    board.settings.year_start_month.get(),
                    &mut problems,
                );
                let existing = tx.figure_index(board.id).await?;
                if !options.update {
                    for (line, indicator_id, figure) in &rows {
                        let slot = (*indicator_id, area_key(&figure.area), figure.period);
                        if let Some(stored) = existing.get(&slot) {
                            problems.push(Problem {
                                line: *line,
                                column: Some("value".into()),
                                message: format!(
                                    "{} for {} in the quarter starting {} is already recorded ({}); import with --update to replace it",
                                    figure.indicator,
                                    stored.figure.area,
                                    figure.period,
                                    stored.figure.written()
                                ),
                            });
                        }
                    }
                }
                if !problems.is_empty() {
                    problems.sort_by_key(|p| p.line);
                    return Err(ImportError::Invalid {
                        file: file_name.to_string(),
                        problems,
                    });
                }
                let mut known: HashMap<String, String> = HashMap::new();
                for stored in existing.values() {
                    known
                        .entry(area_key(&stored.figure.area))
                        .or_insert_with(|| stored.figure.area.clone());
                }
                let mut known: Vec<String> = known.into_values().collect();
                known.sort();
                summary.warnings.extend(near_miss_areas(&rows, &known));
                write_figures(&mut tx, &board, &rows, &existing, options, &note, &mut summary)
                    .await?;
            }
        }
        if options.dry_run {
            drop(tx);
        } else {
            tx.commit().await?;
        }
        Ok(summary)
    })
    .await
}

fn by<'a>(options: &ImportOptions<'a>) -> &'a str {
    if options.by.is_empty() {
        "import"
    } else {
        options.by
    }
}

/// How a definition reads in the history: "Withdrawals (percent, higher is better)".
fn definition_text(i: &Indicator) -> String {
    format!(
        "{} ({}, better {})",
        i.name,
        i.unit.as_str(),
        i.better.as_str()
    )
}

async fn write_indicators(
    tx: &mut Transaction,
    board: &Board,
    rows: &[(u64, Indicator)],
    existing: &HashMap<IndicatorKey, (i64, Indicator)>,
    options: &ImportOptions<'_>,
    note: &str,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let mut revisions = Vec::new();
    let revision =
        |key: &IndicatorKey, change: String, old: Option<String>, new: String| Revision {
            subject: RevisionSubject::Indicator,
            key: key.clone(),
            area: None,
            period: None,
            at: options.now,
            by: by(options).to_string(),
            change,
            old_value: old,
            new_value: Some(new),
            note: Some(note.to_string()),
        };
    for (i, (_, indicator)) in rows.iter().enumerate() {
        match existing.get(&indicator.key) {
            Some((_, old)) if old == indicator => summary.unchanged += 1,
            Some((id, old)) => {
                summary.updated += 1;
                let mut changed = Vec::new();
                for (field, differs) in [
                    ("name", old.name != indicator.name),
                    ("unit", old.unit != indicator.unit),
                    ("better", old.better != indicator.better),
                    ("theme", old.theme != indicator.theme),
                    ("description", old.description != indicator.description),
                ] {
                    if differs {
                        changed.push(field);
                    }
                }
                if board.id >= 0 {
                    tx.update_indicator(*id, indicator, options.now).await?;
                }
                revisions.push(revision(
                    &indicator.key,
                    changed.join(", "),
                    Some(definition_text(old)),
                    definition_text(indicator),
                ));
            }
            None => {
                summary.created += 1;
                if board.id >= 0 {
                    tx.insert_indicator(board.id, indicator, options.now)
                        .await?;
                }
                revisions.push(revision(
                    &indicator.key,
                    "created".into(),
                    None,
                    definition_text(indicator),
                ));
            }
        }
        progress(options, i + 1, rows.len());
    }
    if board.id >= 0 {
        tx.append_revisions(board.id, &revisions).await?;
    }
    Ok(())
}

async fn write_figures(
    tx: &mut Transaction,
    board: &Board,
    rows: &[(u64, i64, Figure)],
    existing: &HashMap<crate::store::FigureSlot, crate::store::StoredFigure>,
    options: &ImportOptions<'_>,
    note: &str,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let mut created: Vec<(i64, &Figure)> = Vec::new();
    let mut revisions = Vec::new();
    let revision = |f: &Figure, change: String, old: Option<String>| Revision {
        subject: RevisionSubject::Figure,
        key: f.indicator.clone(),
        area: Some(f.area.clone()),
        period: Some(f.period),
        at: options.now,
        by: by(options).to_string(),
        change,
        old_value: old,
        new_value: Some(f.written()),
        note: Some(match &f.note {
            Some(n) => format!("{note}: {n}"),
            None => note.to_string(),
        }),
    };
    for (i, (_, indicator_id, figure)) in rows.iter().enumerate() {
        let slot = (*indicator_id, area_key(&figure.area), figure.period);
        match existing.get(&slot) {
            Some(stored) if &stored.figure == figure => summary.unchanged += 1,
            Some(stored) => {
                summary.updated += 1;
                let old = &stored.figure;
                let mut changed = Vec::new();
                if old.value != figure.value || old.denominator != figure.denominator {
                    changed.push("value");
                }
                if old.note != figure.note {
                    changed.push("note");
                }
                if old.area != figure.area {
                    changed.push("area spelling");
                }
                tx.update_figure(stored.id, figure, options.now).await?;
                revisions.push(revision(figure, changed.join(", "), Some(old.written())));
            }
            None => {
                summary.created += 1;
                created.push((*indicator_id, figure));
            }
        }
        progress(options, i + 1, rows.len());
    }
    if board.id >= 0 {
        // Corrections first, then the new figures, each in the file's order.
        tx.append_revisions(board.id, &revisions).await?;
        tx.insert_figures(board.id, &created, options.now, by(options), note)
            .await?;
    }
    Ok(())
}

fn progress(options: &ImportOptions<'_>, done: usize, total: usize) {
    if let Some(progress) = options.progress {
        if done % 1000 == 0 || done == total {
            progress(done, total);
        }
    }
}

/// Check a file's bytes as [`import_indicator_csv`] does before it looks at the store (size,
/// CSV, every cell of a definitions file); for a figures file only the CSV and the cells that
/// need no board. `Ok` holds the number of rows.
pub fn check_indicator_file(bytes: &[u8], file: IndicatorFile) -> Result<usize, Vec<Problem>> {
    if let Some(problem) = too_large(bytes).or_else(|| too_many_rows(bytes)) {
        return Err(vec![problem]);
    }
    let mut problems = Vec::new();
    let Some(table) = read_table(bytes, file.columns(), &mut problems) else {
        return Err(problems);
    };
    let rows = match file {
        IndicatorFile::Indicators => parse_indicators(&table, &mut problems).len(),
        IndicatorFile::Figures => table.rows.len(),
    };
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_say_what_is_wrong() {
        assert_eq!(whole_number(" 42 ", "value"), Ok(42));
        assert!(whole_number("-3", "value")
            .unwrap_err()
            .contains("negative"));
        assert!(whole_number("2.5", "value")
            .unwrap_err()
            .contains("not a whole number"));
        assert!(whole_number("twelve", "value")
            .unwrap_err()
            .contains("not a number"));
        assert!(whole_number("1,200", "value")
            .unwrap_err()
            .contains("no commas"));
    }
}
