//! Loading recommendations and actions from CSV: all or nothing.
//!
//! A file is read whole, every row is checked, and every problem is reported with its line and
//! column before anything is written; then all rows are written in one transaction. A file that
//! has any problem changes nothing.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use super::actions::Author;
use super::ServiceError;
use crate::domain::{
    parse_date, Action, ActionStatus, Board, BoardSettings, BoardSlug, ChangeKind, OfficerId,
    Priority, Recommendation, RecommendationStatus, Ref, Response, Source, StatusUpdate,
    SubjectKind, Text,
};
use crate::store::{retry_conflicts, Retryable, Store, StoreError, Transaction};

/// Which kind of record a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Recommendations,
    Actions,
}

impl RecordKind {
    /// Every column, in the contract's order; the required ones are flagged.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            RecordKind::Recommendations => &[
                ("ref", true),
                ("title", true),
                ("text", false),
                ("source", false),
                ("source_date", false),
                ("theme", false),
                ("owner", false),
                ("priority", false),
                ("response", false),
                ("status", false),
                ("response_due", false),
            ],
            RecordKind::Actions => &[
                ("ref", true),
                ("recommendation", false),
                ("title", true),
                ("owner", true),
                ("borough", false),
                ("officer", false),
                ("due", true),
                ("status", false),
                ("completed_on", false),
            ],
        }
    }

    fn noun(self) -> &'static str {
        match self {
            RecordKind::Recommendations => "recommendation",
            RecordKind::Actions => "action",
        }
    }
}

/// Files bigger than this are refused before parsing: no board's record is that large, and
/// reading one whole would only exhaust memory.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// One thing wrong with a file, where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {}: {}", self.line, column, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file} was rejected and nothing was imported. Fix {} and import again:\n{}",
        if .problems.len() == 1 { "this problem".to_string() } else { format!("these {} problems", .problems.len()) },
        .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ImportError {
    fn from(err: StoreError) -> Self {
        ImportError::Service(ServiceError::Store(err))
    }
}

impl Retryable for ImportError {
    fn is_conflict(&self) -> bool {
        matches!(self, ImportError::Service(e) if e.is_conflict())
    }
}

/// How to import.
#[derive(Default)]
pub struct ImportOptions<'a> {
    /// Change records whose ref already exists (otherwise an existing ref is an error).
    pub update: bool,
    /// Check everything and report what would change, but write nothing.
    pub dry_run: bool,
    /// Who the history entries name (e.g. `import`, `discord:1234`).
    pub by: &'a str,
    /// Called with (rows written, rows in file) as the import proceeds.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// When the import happens; history entries carry this instant.
    pub now: DateTime<Utc>,
    /// Settings for a board the import creates.
    pub new_board_settings: BoardSettings,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub board: String,
    pub board_created: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
    /// Things worth knowing that did not stop the import (e.g. ignored columns).
    pub warnings: Vec<String>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            return write!(
                f,
                "dry run for board {}{}: would create {}, update {}, leave {} unchanged; nothing was written",
                self.board,
                if self.board_created { " (a new board)" } else { "" },
                self.created,
                self.updated,
                self.unchanged
            );
        }
        write!(
            f,
            "board {}: created {}, updated {}, unchanged {}",
            self.board, self.created, self.updated, self.unchanged
        )?;
        if self.board_created {
            write!(f, " (new board created)")?;
        }
        Ok(())
    }
}

/// A CSV file read into named cells, with the line each row started on.
pub(super) struct Table {
    pub(super) columns: HashMap<String, usize>,
    pub(super) rows: Vec<(u64, Vec<String>)>,
    pub(super) warnings: Vec<String>,
}

impl Table {
    pub(super) fn cell<'r>(&self, row: &'r [String], column: &str) -> Option<&'r str> {
        self.columns
            .get(column)
            .and_then(|&i| row.get(i))
            .map(|s| crate::domain::spreadsheet::read(s.trim()))
            .filter(|s| !s.is_empty())
    }
}

/// Longest cell read at all; anything longer is refused before it is copied around. The per
/// column limits (title, text …) are stricter and give the precise message.
const MAX_CELL_CHARS: usize = 20_000;

/// Read a CSV file whose header must name the required ones of `columns` (`(name, required)`
/// in the contract's order).
pub(super) fn read_table(
    bytes: &[u8],
    columns: &[(&str, bool)],
    problems: &mut Vec<Problem>,
) -> Option<Table> {
    let contract = columns;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.push(Problem {
            line: 1,
            column: None,
            message: format!(
                "the file is empty; the first line must be a header row such as: {}",
                contract
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        });
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => {
            problems.push(Problem {
                line: 1,
                column: None,
                message: format!("the header row cannot be read as CSV ({e})"),
            });
            return None;
        }
        None => return None,
    };
    let mut columns = HashMap::new();
    let mut warnings = Vec::new();
    let known: Vec<&str> = contract.iter().map(|(c, _)| *c).collect();
    for (i, raw) in header.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(raw) else {
            problems.push(Problem {
                line: 1,
                column: None,
                message: "the header row is not valid UTF-8; save the file as \"CSV UTF-8\"".into(),
            });
            return None;
        };
        let name = name.trim().to_lowercase().replace(' ', "_");
        if name.is_empty() {
            continue;
        }
        if columns.insert(name.clone(), i).is_some() {
            problems.push(Problem {
                line: 1,
                column: Some(name.clone()),
                message: "this column appears twice in the header; keep one".into(),
            });
        } else if !known.contains(&name.as_str()) {
            warnings.push(format!("ignored unknown column {name:?}"));
        }
    }
    let missing: Vec<&str> = contract
        .iter()
        .filter(|(c, required)| *required && !columns.contains_key(*c))
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        let header_text = String::from_utf8_lossy(header.as_slice());
        let hint = if columns.len() <= 1
            && (header_text.contains(';') || header_text.contains('\t'))
        {
            " The header looks separated by semicolons or tabs: save the file as comma-separated CSV."
        } else {
            ""
        };
        problems.push(Problem {
            line: 1,
            column: None,
            message: format!(
                "missing required column{} {}; the header must name {}.{hint}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                contract
                    .iter()
                    .map(|(c, required)| if *required {
                        format!("{c} (required)")
                    } else {
                        c.to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        return None;
    }
    let width = header.len();
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(Problem {
                    line,
                    column: None,
                    message: format!("this row cannot be read as CSV ({e}); check its quotes"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record
            .iter()
            .all(|cell| cell.iter().all(|b| b.is_ascii_whitespace()))
        {
            continue; // Spreadsheets export trailing blank rows; they mean nothing.
        }
        if record.len() != width {
            problems.push(Problem {
                line,
                column: None,
                message: format!(
                    "this row has {} cells but the header has {width}; check for a missing or \
                     extra comma, or a value with a comma that needs quotes",
                    record.len()
                ),
            });
            continue;
        }
        let mut cells = Vec::with_capacity(width);
        let mut row_ok = true;
        for (i, raw) in record.iter().enumerate() {
            let column = header
                .get(i)
                .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
                .unwrap_or_default();
            match std::str::from_utf8(raw) {
                Ok(text) if text.chars().count() > MAX_CELL_CHARS => {
                    problems.push(Problem {
                        line,
                        column: Some(column),
                        message: format!(
                            "this cell holds {} characters; no field takes more than {MAX_CELL_CHARS}",
                            text.chars().count()
                        ),
                    });
                    row_ok = false;
                }
                Ok(text) => cells.push(text.to_string()),
                Err(_) => {
                    problems.push(Problem {
                        line,
                        column: Some(column),
                        message:
                            "this cell is not valid UTF-8 text; save the file as \"CSV UTF-8\""
                                .into(),
                    });
                    row_ok = false;
                }
            }
        }
        if row_ok {
            rows.push((line, cells));
        }
    }
    if rows.is_empty() && problems.is_empty() {
        warnings.push("the file has a header but no rows".into());
    }
    Some(Table {
        columns,
        rows,
        warnings,
    })
}

/// Collects the problems of one row, each tagged with its line and column.
pub(super) struct RowCheck<'a> {
    pub(super) line: u64,
    pub(super) problems: &'a mut Vec<Problem>,
    pub(super) ok: bool,
}

impl RowCheck<'_> {
    pub(super) fn check<T, E: fmt::Display>(
        &mut self,
        column: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.fail(column, e.to_string());
                None
            }
        }
    }

    pub(super) fn fail(&mut self, column: &str, message: String) {
        self.ok = false;
        self.problems.push(Problem {
            line: self.line,
            column: Some(column.to_string()),
            message,
        });
    }

    pub(super) fn text(&mut self, column: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value?;
        self.check(column, Text::line(value, max))
            .map(|t| t.as_str().to_string())
    }
}

/// A parsed row and the line it came from.
struct Parsed<T> {
    line: u64,
    record: T,
}

fn parse_recommendations(
    table: &Table,
    problems: &mut Vec<Problem>,
) -> Vec<Parsed<Recommendation>> {
    let mut parsed = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        let mut c = RowCheck {
            line: *line,
            problems,
            ok: true,
        };
        let reference = c.check("ref", Ref::parse(table.cell(row, "ref").unwrap_or("")));
        let title = c.check(
            "title",
            Text::line(table.cell(row, "title").unwrap_or(""), Text::TITLE_MAX),
        );
        let text = match table.cell(row, "text") {
            Some(t) => c
                .check("text", Text::multiline(t, Text::BODY_MAX))
                .map(|t| t.as_str().to_string()),
            None => None,
        };
        let source_title = c.text("source", table.cell(row, "source"), Text::TITLE_MAX);
        let source_date = match table.cell(row, "source_date") {
            Some(d) => c.check("source_date", parse_date(d)),
            None => None,
        };
        if source_date.is_some() && table.cell(row, "source").is_none() {
            c.fail(
                "source_date",
                "a source date needs a source; fill in the source column".into(),
            );
        }
        let theme = c.text("theme", table.cell(row, "theme"), Text::NAME_MAX);
        let owner = c.text("owner", table.cell(row, "owner"), Text::NAME_MAX);
        let priority = c.check(
            "priority",
            Priority::parse(table.cell(row, "priority").unwrap_or("")),
        );
        let response = match table.cell(row, "response") {
            Some(r) => c.check("response", Response::parse(r)),
            None => Some(Response::Pending),
        };
        let status = match table.cell(row, "status") {
            Some(s) => c.check("status", RecommendationStatus::parse(s)),
            None => Some(RecommendationStatus::Open),
        };
        let response_due = match table.cell(row, "response_due") {
            Some(d) => c.check("response_due", parse_date(d)),
            None => None,
        };
        if let (Some(due), Some(published)) = (response_due, source_date) {
            if due < published {
                c.fail(
                    "response_due",
                    format!(
                        "{due} is before the source was published ({published}); a response \
                         cannot be due before the report that asks for it — check both dates"
                    ),
                );
            }
        }
        if let (true, Some(reference), Some(title), Some(priority), Some(response), Some(status)) =
            (c.ok, reference, title, priority, response, status)
        {
            parsed.push(Parsed {
                line: *line,
                record: Recommendation {
                    reference,
                    title: title.as_str().to_string(),
                    text,
                    source: source_title.map(|title| Source {
                        title,
                        published_on: source_date,
                    }),
                    theme,
                    owner,
                    priority,
                    response,
                    status,
                    response_due,
                },
            });
        }
    }
    parsed
}

fn parse_actions(table: &Table, problems: &mut Vec<Problem>) -> Vec<Parsed<Action>> {
    let mut parsed = Vec::with_capacity(table.rows.len());
    for (line, row) in &table.rows {
        let mut c = RowCheck {
            line: *line,
            problems,
            ok: true,
        };
        let reference = c.check("ref", Ref::parse(table.cell(row, "ref").unwrap_or("")));
        let recommendation = match table.cell(row, "recommendation") {
            Some(r) => c.check("recommendation", Ref::parse(r)).map(Some),
            None => Some(None),
        };
        let title = c.check(
            "title",
            Text::line(table.cell(row, "title").unwrap_or(""), Text::TITLE_MAX),
        );
        let owner = c.check(
            "owner",
            Text::line(table.cell(row, "owner").unwrap_or(""), Text::NAME_MAX),
        );
        let borough = c.text("borough", table.cell(row, "borough"), Text::NAME_MAX);
        let officer = match table.cell(row, "officer") {
            Some(o) => c.check("officer", OfficerId::parse(o)).map(Some),
            None => Some(None),
        };
        let due = match table.cell(row, "due") {
            Some(d) => c.check("due", parse_date(d)),
            None => {
                c.fail(
                    "due",
                    "is empty; every action needs a due date (YYYY-MM-DD)".into(),
                );
                None
            }
        };
        let status = match table.cell(row, "status") {
            Some(s) => c.check("status", ActionStatus::parse(s)),
            None => Some(ActionStatus::NotStarted),
        };
        let completed_on = match table.cell(row, "completed_on") {
            Some(d) => c.check("completed_on", parse_date(d)).map(Some),
            None => Some(None),
        };
        if let (Some(Some(_)), Some(status)) = (completed_on, status) {
            if status != ActionStatus::Done {
                c.fail(
                    "completed_on",
                    format!("is only for done actions, but the status is {status}; clear it or set the status to done"),
                );
            }
        }
        if let (
            true,
            Some(reference),
            Some(recommendation),
            Some(title),
            Some(owner),
            Some(officer),
            Some(due),
            Some(status),
            Some(completed_on),
        ) = (
            c.ok,
            reference,
            recommendation,
            title,
            owner,
            officer,
            due,
            status,
            completed_on,
        ) {
            parsed.push(Parsed {
                line: *line,
                record: Action {
                    reference,
                    recommendation,
                    title: title.as_str().to_string(),
                    owner: owner.as_str().to_string(),
                    borough,
                    officer,
                    due,
                    status,
                    completed_on,
                    // The secretariat's own file: a done action in it is signed off.
                    awaiting_sign_off: false,
                },
            });
        }
    }
    parsed
}

/// The refs in a column of every row, whether or not the rest of the row is valid, so
/// cross-row problems (duplicates, unknown recommendations) are reported in the same pass.
fn refs_in_column(table: &Table, column: &str) -> Vec<(u64, Ref)> {
    table
        .rows
        .iter()
        .filter_map(|(line, row)| {
            let reference = Ref::parse(table.cell(row, column)?).ok()?;
            Some((*line, reference))
        })
        .collect()
}

/// Refuse a ref that appears twice in one file (case does not make a different ref).
fn check_duplicates(table: &Table, problems: &mut Vec<Problem>) {
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    for (line, reference) in refs_in_column(table, "ref") {
        let key = reference.as_str().to_uppercase();
        if let Some(first) = first_seen.get(&key) {
            problems.push(Problem {
                line,
                column: Some("ref".into()),
                message: format!(
                    "{reference} appears twice in this file (first on line {first}); each ref must be unique"
                ),
            });
        } else {
            first_seen.insert(key, line);
        }
    }
}

/// A file over [`MAX_FILE_BYTES`], refused before it is parsed.
pub(super) fn too_large(bytes: &[u8]) -> Option<Problem> {
    (bytes.len() > MAX_FILE_BYTES).then(|| Problem {
        line: 1,
        column: None,
        message: format!(
            "the file is {} MB; the largest accepted is {} MB. Split it into several files",
            bytes.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    })
}

/// Import a CSV file's bytes into a board. `board` may name a board that does not exist yet;
/// it is created in the same transaction, so a rejected file does not leave an empty board.
pub async fn import_csv(
    store: &Store,
    board: Option<&BoardSlug>,
    kind: RecordKind,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions<'_>,
) -> Result<ImportSummary, ImportError> {
    let invalid = |problems: Vec<Problem>| ImportError::Invalid {
        file: file_name.to_string(),
        problems,
    };
    if let Some(problem) = too_large(bytes) {
        return Err(invalid(vec![problem]));
    }
    let mut problems = Vec::new();
    let table = read_table(bytes, kind.columns(), &mut problems);
    let Some(table) = table else {
        return Err(invalid(problems));
    };
    // The single board, when none is named, is found before the transaction: it exists
    // already, and a write transaction should not wait on a second connection.
    let target = match board {
        Some(slug) => Target::Named(slug),
        None => Target::Only(Box::new(super::boards::resolve_board(store, None).await?)),
    };
    let (problems, table, target) = (&problems, &table, &target);
    // A collision with a concurrent import (a new board or ref created at the same moment)
    // runs the whole import again, checks included, against what the other one saved.
    retry_conflicts(move || async move {
        write_table(
            store,
            target,
            kind,
            file_name,
            table,
            problems.clone(),
            options,
        )
        .await
    })
    .await
}

/// The board an import goes to.
enum Target<'a> {
    /// Named on the command line; created if it does not exist.
    Named(&'a BoardSlug),
    /// The database's only board.
    Only(Box<Board>),
}

/// Check a parsed file against the board and write it, in one transaction.
async fn write_table(
    store: &Store,
    target: &Target<'_>,
    kind: RecordKind,
    file_name: &str,
    table: &Table,
    mut problems: Vec<Problem>,
    options: &ImportOptions<'_>,
) -> Result<ImportSummary, ImportError> {
    let now = options.now;
    let defaults = &options.new_board_settings;
    let invalid = |problems: Vec<Problem>| ImportError::Invalid {
        file: file_name.to_string(),
        problems,
    };
    let by = if options.by.is_empty() {
        "import"
    } else {
        options.by
    };
    let mut tx = store.begin().await?;
    let (board, board_created) = match target {
        Target::Named(slug) => match tx.board(slug).await? {
            Some(board) => (board, false),
            None if options.dry_run => (
                Board {
                    id: -1,
                    slug: (*slug).clone(),
                    name: slug.as_str().to_uppercase(),
                    settings: defaults.clone(),
                    chat: Default::default(),
                },
                true,
            ),
            None => (
                super::settings::create_board_in(
                    &mut tx,
                    slug,
                    &super::boards::default_name(slug),
                    defaults,
                    &Author { by, at: now },
                )
                .await?,
                true,
            ),
        },
        Target::Only(board) => ((**board).clone(), false),
    };
    let note = format!("imported from {file_name}");
    let today = board.settings.time_zone.today(now);
    let mut summary = ImportSummary {
        board: board.slug.to_string(),
        board_created,
        dry_run: options.dry_run,
        warnings: table.warnings.clone(),
        ..Default::default()
    };
    let ctx = WriteContext {
        board_id: board.id,
        by,
        note: &note,
        now,
        today,
        options,
    };

    match kind {
        RecordKind::Recommendations => {
            let rows = parse_recommendations(table, &mut problems);
            check_duplicates(table, &mut problems);
            let existing = tx.recommendation_index(board.id).await?;
            check_existing(
                &rows,
                |r| &r.reference,
                |key| existing.contains_key(key),
                kind,
                options.update,
                &mut problems,
            );
            if !problems.is_empty() {
                problems.sort_by_key(|p| p.line);
                return Err(invalid(problems));
            }
            write_recommendations(&mut tx, &ctx, &rows, &existing, &mut summary).await?;
        }
        RecordKind::Actions => {
            let rows = parse_actions(table, &mut problems);
            check_duplicates(table, &mut problems);
            let recommendations = tx.recommendation_index(board.id).await?;
            for (line, rec) in refs_in_column(table, "recommendation") {
                {
                    if !recommendations.contains_key(&rec.as_str().to_uppercase()) {
                        problems.push(Problem {
                            line,
                            column: Some("recommendation".into()),
                            message: format!(
                                "there is no recommendation {rec} on board {}; import the recommendations first, or fix the ref",
                                board.slug
                            ),
                        });
                    }
                }
            }
            let existing = tx.action_index(board.id).await?;
            check_existing(
                &rows,
                |a| &a.reference,
                |key| existing.contains_key(key),
                kind,
                options.update,
                &mut problems,
            );
            if !problems.is_empty() {
                problems.sort_by_key(|p| p.line);
                return Err(invalid(problems));
            }
            let rec_ids: HashMap<String, i64> = recommendations
                .iter()
                .map(|(key, stored)| (key.clone(), stored.id))
                .collect();
            write_actions(&mut tx, &ctx, &rows, &existing, &rec_ids, &mut summary).await?;
        }
    }
    if options.dry_run {
        drop(tx); // rolls back
    } else {
        tx.commit().await?;
    }
    Ok(summary)
}

fn check_existing<T>(
    rows: &[Parsed<T>],
    reference: impl Fn(&T) -> &Ref,
    exists: impl Fn(&str) -> bool,
    kind: RecordKind,
    update: bool,
    problems: &mut Vec<Problem>,
) {
    if update {
        return;
    }
    for row in rows {
        let r = reference(&row.record);
        if exists(&r.as_str().to_uppercase()) {
            problems.push(Problem {
                line: row.line,
                column: Some("ref".into()),
                message: format!(
                    "{} {r} is already on this board; import with --update to change existing records",
                    kind.noun()
                ),
            });
        }
    }
}

struct WriteContext<'a> {
    board_id: i64,
    by: &'a str,
    note: &'a str,
    now: DateTime<Utc>,
    today: NaiveDate,
    options: &'a ImportOptions<'a>,
}

impl WriteContext<'_> {
    fn update(
        &self,
        subject: SubjectKind,
        reference: &Ref,
        change: ChangeKind,
        old: Option<String>,
        new: Option<String>,
    ) -> StatusUpdate {
        StatusUpdate {
            subject,
            reference: reference.clone(),
            at: self.now,
            by: self.by.to_string(),
            change,
            old_value: old,
            new_value: new,
            note: Some(self.note.to_string()),
            evidence: None,
        }
    }

    fn progress(&self, done: usize, total: usize) {
        if let Some(progress) = self.options.progress {
            if done % 250 == 0 || done == total {
                progress(done, total);
            }
        }
    }
}

async fn write_recommendations(
    tx: &mut Transaction,
    ctx: &WriteContext<'_>,
    rows: &[Parsed<Recommendation>],
    existing: &HashMap<String, crate::store::StoredRecommendation>,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let mut source_ids: HashMap<String, i64> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let rec = &row.record;
        let key = rec.reference.as_str().to_uppercase();
        let previous = existing.get(&key);
        if previous.is_some_and(|p| &p.recommendation == rec) {
            summary.unchanged += 1;
            ctx.progress(i + 1, rows.len());
            continue;
        }
        let source_id = match &rec.source {
            Some(source) if ctx.board_id >= 0 => {
                let id = match source_ids.get(&source.title) {
                    Some(id) if source.published_on.is_none() => *id,
                    _ => tx.source_id(ctx.board_id, source).await?,
                };
                source_ids.insert(source.title.clone(), id);
                Some(id)
            }
            _ => None,
        };
        let subject = SubjectKind::Recommendation;
        match previous {
            None => {
                summary.created += 1;
                if ctx.board_id >= 0 {
                    let id = tx
                        .insert_recommendation(ctx.board_id, rec, source_id, ctx.now)
                        .await?;
                    let entry = ctx.update(
                        subject,
                        &rec.reference,
                        ChangeKind::Created,
                        None,
                        Some(rec.status.to_string()),
                    );
                    tx.append_update(ctx.board_id, id, &entry).await?;
                }
            }
            Some(stored) => {
                summary.updated += 1;
                let old = &stored.recommendation;
                tx.update_recommendation(stored.id, rec, source_id, ctx.now)
                    .await?;
                if old.status != rec.status {
                    let entry = ctx.update(
                        subject,
                        &rec.reference,
                        ChangeKind::Status,
                        Some(old.status.to_string()),
                        Some(rec.status.to_string()),
                    );
                    tx.append_update(ctx.board_id, stored.id, &entry).await?;
                }
                if old.response != rec.response {
                    let entry = ctx.update(
                        subject,
                        &rec.reference,
                        ChangeKind::Response,
                        Some(old.response.to_string()),
                        Some(rec.response.to_string()),
                    );
                    tx.append_update(ctx.board_id, stored.id, &entry).await?;
                }
                let mut changed = Vec::new();
                if old.title != rec.title {
                    changed.push("title");
                }
                if old.text != rec.text {
                    changed.push("text");
                }
                if old.source != rec.source {
                    changed.push("source");
                }
                if old.theme != rec.theme {
                    changed.push("theme");
                }
                if old.owner != rec.owner {
                    changed.push("owner");
                }
                if old.priority != rec.priority {
                    changed.push("priority");
                }
                if old.response_due != rec.response_due {
                    changed.push("response due");
                }
                if old.reference.as_str() != rec.reference.as_str() {
                    changed.push("ref");
                }
                if !changed.is_empty() {
                    let entry = ctx.update(
                        subject,
                        &rec.reference,
                        ChangeKind::Details,
                        None,
                        Some(changed.join(", ")),
                    );
                    tx.append_update(ctx.board_id, stored.id, &entry).await?;
                }
            }
        }
        ctx.progress(i + 1, rows.len());
    }
    Ok(())
}

async fn write_actions(
    tx: &mut Transaction,
    ctx: &WriteContext<'_>,
    rows: &[Parsed<Action>],
    existing: &HashMap<String, crate::store::StoredAction>,
    rec_ids: &HashMap<String, i64>,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    // New actions are written together at the end (multi-row inserts); changed ones as found.
    let mut created: Vec<(Action, Option<i64>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut action = row.record.clone();
        let key = action.reference.as_str().to_uppercase();
        let rec_id = action
            .recommendation
            .as_ref()
            .and_then(|r| rec_ids.get(&r.as_str().to_uppercase()).copied());
        let previous = existing.get(&key);
        if let Some(stored) = previous {
            // A file that marks an action done without a date keeps what is already known of
            // it: the recorded date, or none when it was already done without one (as an
            // export of it says). Only an action the file newly marks done takes today: it was
            // finished by the time the file was written.
            if action.status == ActionStatus::Done && action.completed_on.is_none() {
                action.completed_on = if stored.action.status == ActionStatus::Done {
                    stored.action.completed_on
                } else {
                    Some(ctx.today)
                };
            }
            if stored.action == action && stored.recommendation_id == rec_id {
                summary.unchanged += 1;
                ctx.progress(i + 1, rows.len());
                continue;
            }
        }
        let subject = SubjectKind::Action;
        match previous {
            None => {
                summary.created += 1;
                created.push((action, rec_id));
            }
            Some(stored) => {
                summary.updated += 1;
                let old = &stored.action;
                tx.update_action(stored.id, &action, rec_id, ctx.now)
                    .await?;
                let mut entries = Vec::new();
                if old.status != action.status {
                    entries.push(ctx.update(
                        subject,
                        &action.reference,
                        ChangeKind::Status,
                        Some(old.status.to_string()),
                        Some(action.status.to_string()),
                    ));
                }
                // The secretariat's file says done: what waited for its sign-off has it now,
                // and the history says so.
                if old.awaiting_sign_off && action.status == ActionStatus::Done {
                    entries.push(ctx.update(
                        subject,
                        &action.reference,
                        ChangeKind::SignedOff,
                        Some("awaiting sign-off".to_string()),
                        Some("signed off".to_string()),
                    ));
                }
                if old.due != action.due {
                    entries.push(ctx.update(
                        subject,
                        &action.reference,
                        ChangeKind::Due,
                        Some(old.due.to_string()),
                        Some(action.due.to_string()),
                    ));
                }
                if old.officer != action.officer {
                    entries.push(ctx.update(
                        subject,
                        &action.reference,
                        ChangeKind::Officer,
                        old.officer.map(|o| o.to_string()),
                        action.officer.map(|o| o.to_string()),
                    ));
                }
                let mut changed = Vec::new();
                if old.title != action.title {
                    changed.push("title");
                }
                if old.owner != action.owner {
                    changed.push("owner");
                }
                if old.borough != action.borough {
                    changed.push("borough");
                }
                if old.recommendation != action.recommendation {
                    changed.push("recommendation");
                }
                if old.completed_on != action.completed_on && old.status == action.status {
                    changed.push("completed_on");
                }
                if old.reference.as_str() != action.reference.as_str() {
                    changed.push("ref");
                }
                if !changed.is_empty() {
                    entries.push(ctx.update(
                        subject,
                        &action.reference,
                        ChangeKind::Details,
                        None,
                        Some(changed.join(", ")),
                    ));
                }
                for entry in &entries {
                    tx.append_update(ctx.board_id, stored.id, entry).await?;
                }
            }
        }
        ctx.progress(i + 1, rows.len());
    }
    if ctx.board_id >= 0 && !created.is_empty() {
        let batch: Vec<(&Action, Option<i64>)> = created.iter().map(|(a, r)| (a, *r)).collect();
        let ids = tx.insert_actions(ctx.board_id, &batch, ctx.now).await?;
        let entries: Vec<(i64, StatusUpdate)> = created
            .iter()
            .filter_map(|(action, _)| {
                let id = *ids.get(&action.reference.as_str().to_uppercase())?;
                let entry = ctx.update(
                    SubjectKind::Action,
                    &action.reference,
                    ChangeKind::Created,
                    None,
                    Some(action.status.to_string()),
                );
                Some((id, entry))
            })
            .collect();
        tx.append_updates(ctx.board_id, &entries).await?;
        ctx.progress(rows.len(), rows.len());
    }
    Ok(())
}

/// Check a file's bytes as [`import_csv`] does before it looks at the store: its size, its
/// CSV, every cell and duplicate refs. `Ok` holds the number of records it would write;
/// `Err` every problem, in line order. Refs to recommendations are not looked up, so a file
/// this accepts can still be refused by a board that lacks them. Touches nothing (the fuzz
/// targets and tooling that only validates use it).
pub fn check_file(bytes: &[u8], kind: RecordKind) -> Result<usize, Vec<Problem>> {
    if let Some(problem) = too_large(bytes) {
        return Err(vec![problem]);
    }
    let mut problems = Vec::new();
    let Some(table) = read_table(bytes, kind.columns(), &mut problems) else {
        return Err(problems);
    };
    let rows = match kind {
        RecordKind::Recommendations => parse_recommendations(&table, &mut problems).len(),
        RecordKind::Actions => parse_actions(&table, &mut problems).len(),
    };
    check_duplicates(&table, &mut problems);
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}
