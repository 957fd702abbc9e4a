//! Building the digest. [`build_digest`] is pure: it takes the record as loaded and an as-of
//! date, so property tests can run it on generated boards without a database.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde::Serialize;

use crate::digest::monitoring::{self, Monitoring};
use crate::domain::{
    Action, ActionStatus, Board, ChangeKind, Period, Rag, Recommendation, RecommendationStatus,
    Response, StatusUpdate, SubjectKind, TimeZone,
};
use crate::store::{Store, StoreError};

/// What the digest is built from.
#[derive(Debug, Clone)]
pub struct DigestInput<'a> {
    pub board: &'a Board,
    pub recommendations: &'a [Recommendation],
    pub actions: &'a [Action],
    /// History recorded in the period's window (due-date and status changes and record
    /// creation); other entries are ignored.
    pub history: &'a [StatusUpdate],
}

/// An action as a line of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionLine {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: String,
    pub borough: Option<String>,
    pub officer: Option<String>,
    pub due: NaiveDate,
    pub status: ActionStatus,
    /// 0 unless overdue.
    pub days_overdue: i64,
    pub completed_on: Option<NaiveDate>,
    /// Its due date has moved more than the board's `flag_after_moves` times (the slip rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<crate::domain::DueMoves>,
}

impl ActionLine {
    fn of(action: &Action, as_of: NaiveDate) -> Self {
        Self {
            reference: action.reference.to_string(),
            title: action.title.clone(),
            owner: action.owner.clone(),
            borough: action.borough.clone(),
            officer: action.officer.map(|o| o.to_string()),
            due: action.due,
            status: action.status,
            days_overdue: action.days_overdue(as_of),
            completed_on: action.completed_on,
            moved: None,
        }
    }
}

/// The slip rule in the digest: mark each overdue or next-quarter action whose due date has
/// moved more than the board allows (`moves` holds exactly those).
pub fn flag_moves(
    digest: &mut Digest,
    moves: &std::collections::HashMap<String, crate::domain::DueMoves>,
) {
    for line in digest
        .overdue
        .iter_mut()
        .chain(digest.due_next_period.iter_mut())
    {
        line.moved = moves.get(&line.reference).copied();
    }
}

/// One bar of the chart: a borough's (or owner's) actions split so every action is in exactly
/// one segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChartRow {
    pub name: String,
    pub overdue: usize,
    pub off_track: usize,
    pub at_risk: usize,
    pub on_track: usize,
    pub not_started: usize,
    pub done: usize,
}

impl ChartRow {
    pub fn total(&self) -> usize {
        self.overdue + self.off_track + self.at_risk + self.on_track + self.not_started + self.done
    }
}

/// Chart rows by borough when the board works by borough (three or more), else by owner.
/// Dropped actions are left out: they are neither work to do nor work done.
fn chart_rows(actions: &[Action], as_of: NaiveDate) -> (String, Vec<ChartRow>) {
    let boroughs: HashSet<&str> = actions
        .iter()
        .filter_map(|a| a.borough.as_deref())
        .collect();
    let by_borough = boroughs.len() >= 3;
    let mut rows: BTreeMap<String, ChartRow> = BTreeMap::new();
    for a in actions.iter().filter(|a| a.status != ActionStatus::Dropped) {
        let name = if by_borough {
            a.borough
                .clone()
                .unwrap_or_else(|| "Pan-London".to_string())
        } else {
            a.owner.clone()
        };
        let row = rows.entry(name.clone()).or_insert_with(|| ChartRow {
            name,
            ..Default::default()
        });
        match a.status {
            _ if a.is_overdue(as_of) => row.overdue += 1,
            ActionStatus::Done => row.done += 1,
            ActionStatus::OffTrack => row.off_track += 1,
            ActionStatus::AtRisk => row.at_risk += 1,
            ActionStatus::OnTrack => row.on_track += 1,
            ActionStatus::NotStarted => row.not_started += 1,
            ActionStatus::Dropped => {}
        }
    }
    let mut rows: Vec<ChartRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.total().cmp(&a.total()))
            .then(a.name.cmp(&b.name))
    });
    (
        if by_borough { "borough" } else { "owner" }.to_string(),
        rows,
    )
}

/// A due date moved later during the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slip {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: Option<String>,
    /// The day the change was recorded, in the board's time zone.
    pub on: NaiveDate,
}

/// A recommendation as a line of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecommendationLine {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: Option<String>,
    pub status: RecommendationStatus,
    pub response: Response,
}

impl RecommendationLine {
    fn of(rec: &Recommendation) -> Self {
        Self {
            reference: rec.reference.to_string(),
            title: rec.title.clone(),
            owner: rec.owner.clone(),
            status: rec.status,
            response: rec.response,
        }
    }
}

/// Open / overdue / done counts for one owner, borough or theme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub open: usize,
    pub overdue: usize,
    pub done: usize,
}

/// Counts by RAG colour of open actions (`not_started` has none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RagCounts {
    pub green: usize,
    pub amber: usize,
    pub red: usize,
    pub not_rated: usize,
}

/// The headline figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub actions: usize,
    pub open: usize,
    /// Every status is a key, even when its count is 0.
    pub by_status: BTreeMap<&'static str, usize>,
    pub by_rag: RagCounts,
    pub overdue: usize,
    pub completed_in_period: usize,
    pub slipped_in_period: usize,
    /// Done actions with no completion date: no period can count them as completed.
    pub completed_date_not_recorded: usize,
    /// Done actions waiting for the secretariat's sign-off (also counted in `by_status.done`).
    pub awaiting_sign_off: usize,
}

/// The recommendations at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecommendationTotals {
    pub total: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    pub by_response: BTreeMap<&'static str, usize>,
    pub priority_open: Vec<RecommendationLine>,
    /// Recommendations implemented, and that as a whole percentage of all of them (rounded
    /// half up; null when there are none): "7 of 19 recommendations implemented, 37%".
    pub implemented: usize,
    pub implementation_rate: Option<u32>,
}

/// A done action waiting for the secretariat's sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOffLine {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: String,
    pub done_on: Option<NaiveDate>,
}

/// A recommendation whose response is still pending after it was due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseOverdue {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: Option<String>,
    pub response_due: NaiveDate,
    pub days_overdue: i64,
}

/// What changed in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    pub completed: Vec<ActionLine>,
    pub newly_overdue: Vec<ActionLine>,
    pub slipped: Vec<Slip>,
    pub recommendations_opened: Vec<RecommendationLine>,
    pub recommendations_closed: Vec<RecommendationLine>,
}

/// A reporting period as dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodDates {
    /// "Q2 2010/11".
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The quarterly briefing for one board as of one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub board: String,
    pub board_name: String,
    pub as_of: NaiveDate,
    pub period: PeriodDates,
    pub next_period: PeriodDates,
    pub totals: Totals,
    pub recommendations: RecommendationTotals,
    pub changes: Changes,
    /// Done actions with no completion date recorded, by ref: counted as done, but in no
    /// period's completions, so they are listed rather than left out.
    pub completed_date_not_recorded: Vec<ActionLine>,
    /// Open actions past due, most overdue first, then by ref.
    pub overdue: Vec<ActionLine>,
    /// Open actions due in the next period, by due date then ref.
    pub due_next_period: Vec<ActionLine>,
    /// Done actions waiting for sign-off, longest waiting first, then by ref.
    pub awaiting_sign_off: Vec<SignOffLine>,
    /// Responses pending past their due date, most overdue first, then by ref.
    pub responses_overdue: Vec<ResponseOverdue>,
    pub by_owner: Vec<GroupRow>,
    pub by_borough: Vec<GroupRow>,
    pub by_theme: Vec<GroupRow>,
    /// What the chart groups by: "borough" or "owner".
    pub chart_grouping: String,
    pub chart: Vec<ChartRow>,
    /// What changed since the latest archived digest: filled by [`load_digest`], `None` from
    /// [`build_digest`] (which has no archive) and when the archive holds no earlier digest.
    pub since_last_digest: Option<crate::digest::since_last::SinceLastDigest>,
    /// The board's monitoring figures: filled by [`load_digest`] (see
    /// [`crate::digest::monitoring`]); empty from [`build_digest`] and for a board with no
    /// indicators.
    pub monitoring: Monitoring,
}

/// Midnight at the start of `day` in the board's time zone, as an instant.
pub fn start_of_day(tz: &TimeZone, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    tz.0.from_local_datetime(&midnight)
        .earliest()
        // A zone whose clocks jump at midnight: the day starts an hour later.
        .or_else(|| {
            tz.0.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

/// The instants `[from, to)` of history that counts for a digest: the period, cut at the end of
/// the as-of day for a digest taken part way through.
pub fn history_window(board: &Board, as_of: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let period = Period::reviewed_on(as_of, board.settings.year_start_month.get());
    let tz = &board.settings.time_zone;
    let last_day = period.end.min(as_of);
    let end = last_day.checked_add_days(Days::new(1)).unwrap_or(last_day);
    (start_of_day(tz, period.start), start_of_day(tz, end))
}

fn status_keys<T: Copy>(
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> BTreeMap<&'static str, usize> {
    all.iter().map(|s| (name(*s), 0)).collect()
}

fn group_rows<'a>(
    actions: impl Iterator<Item = (String, &'a Action)>,
    as_of: NaiveDate,
) -> Vec<GroupRow> {
    let mut rows: HashMap<String, GroupRow> = HashMap::new();
    for (name, action) in actions {
        let row = rows.entry(name.clone()).or_insert(GroupRow {
            name,
            open: 0,
            overdue: 0,
            done: 0,
        });
        if !action.status.is_closed() {
            row.open += 1;
        }
        if action.is_overdue(as_of) {
            row.overdue += 1;
        }
        if action.status == ActionStatus::Done {
            row.done += 1;
        }
    }
    let mut rows: Vec<GroupRow> = rows.into_values().collect();
    // Most overdue first: the rows a board member should ask about.
    rows.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.open.cmp(&a.open))
            .then(a.name.cmp(&b.name))
    });
    rows
}

fn by_overdue_then_ref(a: &ActionLine, b: &ActionLine) -> std::cmp::Ordering {
    b.days_overdue
        .cmp(&a.days_overdue)
        .then_with(|| a.reference.cmp(&b.reference))
}

/// Build the digest. Pure: the same input gives the same digest.
pub fn build_digest(input: &DigestInput<'_>, as_of: NaiveDate) -> Digest {
    let board = input.board;
    let tz = &board.settings.time_zone;
    let period = Period::reviewed_on(as_of, board.settings.year_start_month.get());
    let next = period.next();
    let (window_start, window_end) = history_window(board, as_of);
    let counted_until = period.end.min(as_of);

    let mut by_status = status_keys(ActionStatus::ALL, ActionStatus::as_str);
    let mut by_rag = RagCounts::default();
    let mut overdue = Vec::new();
    let mut due_next_period = Vec::new();
    let mut completed = Vec::new();
    let mut completed_undated = Vec::new();
    let mut newly_overdue = Vec::new();
    for action in input.actions {
        *by_status.entry(action.status.as_str()).or_default() += 1;
        if !action.status.is_closed() {
            match action.status.rag() {
                Some(Rag::Green) => by_rag.green += 1,
                Some(Rag::Amber) => by_rag.amber += 1,
                Some(Rag::Red) => by_rag.red += 1,
                None => by_rag.not_rated += 1,
            }
        }
        if action.is_overdue(as_of) {
            let line = ActionLine::of(action, as_of);
            // It became overdue the day after it was due; did that day fall in the period?
            let became = action.due.succ_opt().unwrap_or(action.due);
            if became >= period.start && became <= counted_until {
                newly_overdue.push(line.clone());
            }
            overdue.push(line);
        }
        if !action.status.is_closed() && next.contains(action.due) {
            due_next_period.push(ActionLine::of(action, as_of));
        }
        if action.status == ActionStatus::Done
            && action
                .completed_on
                .is_some_and(|d| period.contains(d) && d <= as_of)
        {
            completed.push(ActionLine::of(action, as_of));
        }
        if action.status == ActionStatus::Done && action.completed_on.is_none() {
            completed_undated.push(ActionLine::of(action, as_of));
        }
    }
    overdue.sort_by(by_overdue_then_ref);
    newly_overdue.sort_by(by_overdue_then_ref);
    due_next_period.sort_by(|a, b| {
        a.due
            .cmp(&b.due)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    completed.sort_by(|a, b| a.reference.cmp(&b.reference));
    completed_undated.sort_by(|a, b| a.reference.cmp(&b.reference));

    // History in the window: slips, recommendations opened and closed.
    let actions_by_ref: HashMap<&str, &Action> = input
        .actions
        .iter()
        .map(|a| (a.reference.as_str(), a))
        .collect();
    let recs_by_ref: HashMap<&str, &Recommendation> = input
        .recommendations
        .iter()
        .map(|r| (r.reference.as_str(), r))
        .collect();
    let mut slipped = Vec::new();
    let mut slipped_refs = HashSet::new();
    let mut opened = Vec::new();
    let mut closed = Vec::new();
    for update in input
        .history
        .iter()
        .filter(|u| u.at >= window_start && u.at < window_end)
    {
        match (update.subject, update.change) {
            (SubjectKind::Action, ChangeKind::Due) => {
                let parse = |v: &Option<String>| {
                    v.as_deref()
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                };
                let (Some(from), Some(to)) = (parse(&update.old_value), parse(&update.new_value))
                else {
                    continue;
                };
                if to <= from {
                    continue; // brought forward: not a slip
                }
                let Some(action) = actions_by_ref.get(update.reference.as_str()) else {
                    continue;
                };
                slipped_refs.insert(update.reference.as_str());
                slipped.push(Slip {
                    reference: update.reference.to_string(),
                    title: action.title.clone(),
                    owner: action.owner.clone(),
                    from,
                    to,
                    reason: update.note.clone(),
                    on: tz.today(update.at),
                });
            }
            (SubjectKind::Recommendation, ChangeKind::Created) => {
                if let Some(rec) = recs_by_ref.get(update.reference.as_str()) {
                    opened.push(RecommendationLine::of(rec));
                }
            }
            (SubjectKind::Recommendation, ChangeKind::Status) => {
                let closing = update
                    .new_value
                    .as_deref()
                    .and_then(|s| RecommendationStatus::parse(s).ok())
                    .is_some_and(|s| s.is_closed());
                if let (true, Some(rec)) = (closing, recs_by_ref.get(update.reference.as_str())) {
                    closed.push(RecommendationLine::of(rec));
                }
            }
            _ => {}
        }
    }

    let mut rec_status = status_keys(RecommendationStatus::ALL, RecommendationStatus::as_str);
    let mut rec_response = status_keys(Response::ALL, Response::as_str);
    for rec in input.recommendations {
        *rec_status.entry(rec.status.as_str()).or_default() += 1;
        *rec_response.entry(rec.response.as_str()).or_default() += 1;
    }
    let mut priority_open: Vec<RecommendationLine> = input
        .recommendations
        .iter()
        .filter(|r| r.priority.0 && !r.status.is_closed())
        .map(RecommendationLine::of)
        .collect();
    priority_open.sort_by(|a, b| a.reference.cmp(&b.reference));
    let implemented = rec_status
        .get(RecommendationStatus::Implemented.as_str())
        .copied()
        .unwrap_or(0);
    let total_recs = input.recommendations.len();
    // Whole-number percentage rounded half up, in integers so 0.5 never rounds by float luck.
    let implementation_rate = (total_recs > 0)
        .then(|| u32::try_from((implemented * 200 + total_recs) / (2 * total_recs)).unwrap_or(100));
    let response_days = board.settings.response_days;
    let mut responses_overdue: Vec<ResponseOverdue> = input
        .recommendations
        .iter()
        .filter_map(|r| {
            let days_overdue = r.response_days_overdue(response_days, as_of)?;
            Some(ResponseOverdue {
                reference: r.reference.to_string(),
                title: r.title.clone(),
                owner: r.owner.clone(),
                response_due: r.response_due_on(response_days)?,
                days_overdue,
            })
        })
        .collect();
    responses_overdue.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    let mut awaiting_sign_off: Vec<SignOffLine> = input
        .actions
        .iter()
        .filter(|a| a.status == ActionStatus::Done && a.awaiting_sign_off)
        .map(|a| SignOffLine {
            reference: a.reference.to_string(),
            title: a.title.clone(),
            owner: a.owner.clone(),
            done_on: a.completed_on,
        })
        .collect();
    awaiting_sign_off.sort_by(|a, b| {
        a.done_on
            .cmp(&b.done_on)
            .then_with(|| a.reference.cmp(&b.reference))
    });

    let theme_of: HashMap<&str, &str> = input
        .recommendations
        .iter()
        .filter_map(|r| r.theme.as_deref().map(|t| (r.reference.as_str(), t)))
        .collect();
    let by_owner = group_rows(input.actions.iter().map(|a| (a.owner.clone(), a)), as_of);
    let by_borough = group_rows(
        input
            .actions
            .iter()
            .filter_map(|a| a.borough.clone().map(|b| (b, a))),
        as_of,
    );
    let by_theme = group_rows(
        input.actions.iter().map(|a| {
            let theme = a
                .recommendation
                .as_ref()
                .and_then(|r| theme_of.get(r.as_str()).copied())
                .unwrap_or("(no theme)");
            (theme.to_string(), a)
        }),
        as_of,
    );

    let (chart_grouping, chart) = chart_rows(input.actions, as_of);
    let dates = |p: &Period| PeriodDates {
        label: p.label(),
        start: p.start,
        end: p.end,
    };
    Digest {
        board: board.slug.to_string(),
        board_name: board.name.clone(),
        as_of,
        period: dates(&period),
        next_period: dates(&next),
        totals: Totals {
            actions: input.actions.len(),
            open: input
                .actions
                .iter()
                .filter(|a| !a.status.is_closed())
                .count(),
            by_status,
            by_rag,
            overdue: overdue.len(),
            completed_in_period: completed.len(),
            slipped_in_period: slipped_refs.len(),
            completed_date_not_recorded: completed_undated.len(),
            awaiting_sign_off: awaiting_sign_off.len(),
        },
        recommendations: RecommendationTotals {
            total: input.recommendations.len(),
            by_status: rec_status,
            by_response: rec_response,
            priority_open,
            implemented,
            implementation_rate,
        },
        changes: Changes {
            completed,
            newly_overdue,
            slipped,
            recommendations_opened: opened,
            recommendations_closed: closed,
        },
        completed_date_not_recorded: completed_undated,
        overdue,
        due_next_period,
        awaiting_sign_off,
        responses_overdue,
        by_owner,
        by_borough,
        by_theme,
        chart_grouping,
        chart,
        since_last_digest: None,
        monitoring: Monitoring::default(),
    }
}

/// The monitoring section for the quarter a digest as of `as_of` reviews, from the store.
async fn load_monitoring(
    store: &Store,
    board: &Board,
    as_of: NaiveDate,
) -> Result<Monitoring, StoreError> {
    let period = Period::reviewed_on(as_of, board.settings.year_start_month.get());
    let from = monitoring::first_quarter_read(&period);
    let (indicators, figures) = tokio::try_join!(
        store.indicators(board.id),
        store.figures(board.id, Some(from), Some(period.start)),
    )?;
    Ok(monitoring::build_monitoring(
        &indicators,
        &figures,
        &period,
        &board.settings.monitoring,
    ))
}

/// Load a board's record and build its digest as of a date.
pub async fn load_digest(
    store: &Store,
    board: &Board,
    as_of: NaiveDate,
) -> Result<Digest, StoreError> {
    let (from, to) = history_window(board, as_of);
    // Independent reads on pooled connections: they overlap instead of queueing.
    let (recommendations, actions, history, moves, monitoring) = tokio::try_join!(
        store.recommendations(board.id),
        store.actions(board.id),
        store.digest_history_between(board.id, from, to),
        store.due_moves(board.id, None, board.settings.flag_after_moves),
        load_monitoring(store, board, as_of),
    )?;
    let mut digest = build_digest(
        &DigestInput {
            board,
            recommendations: &recommendations,
            actions: &actions,
            history: &history,
        },
        as_of,
    );
    flag_moves(&mut digest, &moves);
    digest.monitoring = monitoring;
    digest.since_last_digest = crate::digest::since_last::load(store, board, &digest).await?;
    Ok(digest)
}

/// The digest as of `as_of` from the record as it stood before that day began in the board's
/// time zone: statuses, dates, owners and sign-offs as recorded then, no record created later,
/// and only the history recorded by then; what changed is compared with the last digest
/// delivered before that day. A day before the board had any records gives an empty digest.
pub async fn load_digest_as_it_stood(
    store: &Store,
    board: &Board,
    as_of: NaiveDate,
) -> Result<Digest, StoreError> {
    let tz = &board.settings.time_zone;
    let before = start_of_day(tz, as_of);
    let (from, _) = history_window(board, as_of);
    // The figures are the board's figures as they are now: a corrected figure is the figure.
    let (record, history, moves, monitoring) = tokio::try_join!(
        store.record_as_it_stood(board.id, before, tz),
        store.digest_history_between(board.id, from, before.max(from)),
        store.due_moves(board.id, Some(before), board.settings.flag_after_moves),
        load_monitoring(store, board, as_of),
    )?;
    let mut digest = build_digest(
        &DigestInput {
            board,
            recommendations: &record.recommendations,
            actions: &record.actions,
            history: &history,
        },
        as_of,
    );
    flag_moves(&mut digest, &moves);
    digest.monitoring = monitoring;
    digest.since_last_digest =
        crate::digest::since_last::load_before(store, board, &digest, before).await?;
    Ok(digest)
}
