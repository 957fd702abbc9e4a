//! The reminder post: overdue actions and those due soon, grouped by owner, each with its
//! assigned officer; long-overdue actions escalate to the board's admins.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::{Action, ActionStatus, Board, DueMoves, Recommendation};
use crate::store::{ActionFilter, Store, StoreError};

/// Why an action is in the reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    Overdue,
    DueSoon,
}

/// One action in the reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderItem {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: String,
    /// The assigned officer's Discord id: the only person this item may ping.
    pub officer: Option<String>,
    pub due: NaiveDate,
    pub days_overdue: i64,
    pub kind: ReminderKind,
    /// Overdue by more than the board's escalation threshold: the admins are told.
    pub escalate: bool,
    /// Its due date has moved more than the board's `flag_after_moves` times (the slip rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<DueMoves>,
}

/// One owner's part of the reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerGroup {
    pub owner: String,
    pub items: Vec<ReminderItem>,
}

/// The reminder for one board on one day. Only built when there is something to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub board: String,
    pub as_of: NaiveDate,
    pub remind_before_days: u32,
    pub escalate_after_days: u32,
    /// Most overdue first, then by ref.
    pub overdue: Vec<ReminderItem>,
    /// Due from the as-of date through as-of + `remind_before_days`, soonest first.
    pub due_soon: Vec<ReminderItem>,
    /// The same items by owner (owners with the most overdue first).
    pub by_owner: Vec<OwnerGroup>,
    /// What the secretariat has to do: sign-offs and late responses.
    pub for_secretariat: ForSecretariat,
    /// A nudge: the follow-up to the reminder of this day, listing only what nobody has
    /// answered since (see [`super::nudge`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<NaiveDate>,
}

/// The reminder's line for the board's admins: done actions waiting for their sign-off and
/// responses to recommendations past their due date, each by ref.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ForSecretariat {
    pub awaiting_sign_off: Vec<String>,
    pub responses_overdue: Vec<String>,
}

impl ForSecretariat {
    pub fn is_empty(&self) -> bool {
        self.awaiting_sign_off.is_empty() && self.responses_overdue.is_empty()
    }

    /// Sign-offs waiting and responses late as of `as_of`, from the board's record.
    pub fn from_record(
        board: &Board,
        actions: &[Action],
        recommendations: &[Recommendation],
        as_of: NaiveDate,
    ) -> Self {
        let mut awaiting_sign_off: Vec<String> = actions
            .iter()
            .filter(|a| a.status == ActionStatus::Done && a.awaiting_sign_off)
            .map(|a| a.reference.to_string())
            .collect();
        awaiting_sign_off.sort();
        let mut responses_overdue: Vec<String> = recommendations
            .iter()
            .filter(|r| {
                r.response_days_overdue(board.settings.response_days, as_of)
                    .is_some()
            })
            .map(|r| r.reference.to_string())
            .collect();
        responses_overdue.sort();
        Self {
            awaiting_sign_off,
            responses_overdue,
        }
    }
}

impl Reminder {
    /// Items escalated to the admins.
    pub fn escalations(&self) -> impl Iterator<Item = &ReminderItem> {
        self.overdue.iter().filter(|i| i.escalate)
    }

    /// The officers this reminder may ping: exactly those assigned to a listed action.
    pub fn officers(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .overdue
            .iter()
            .chain(self.due_soon.iter())
            .filter_map(|i| i.officer.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

fn item(
    action: &Action,
    as_of: NaiveDate,
    kind: ReminderKind,
    escalate_after: u32,
) -> ReminderItem {
    let days_overdue = action.days_overdue(as_of);
    ReminderItem {
        reference: action.reference.to_string(),
        title: action.title.clone(),
        owner: action.owner.clone(),
        officer: action.officer.map(|o| o.to_string()),
        due: action.due,
        days_overdue,
        kind,
        escalate: days_overdue > i64::from(escalate_after),
        moved: None,
    }
}

/// Build the reminder from a board's actions. `None` means there is nothing to post.
pub fn build_reminder(board: &Board, actions: &[Action], as_of: NaiveDate) -> Option<Reminder> {
    let settings = &board.settings;
    let horizon = as_of
        .checked_add_days(Days::new(u64::from(settings.remind_before_days)))
        .unwrap_or(as_of);
    let mut overdue = Vec::new();
    let mut due_soon = Vec::new();
    for action in actions.iter().filter(|a| !a.status.is_closed()) {
        if action.is_overdue(as_of) {
            overdue.push(item(
                action,
                as_of,
                ReminderKind::Overdue,
                settings.escalate_after_days,
            ));
        } else if action.due >= as_of && action.due <= horizon {
            due_soon.push(item(
                action,
                as_of,
                ReminderKind::DueSoon,
                settings.escalate_after_days,
            ));
        }
    }
    if overdue.is_empty() && due_soon.is_empty() {
        return None;
    }
    overdue.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    due_soon.sort_by(|a, b| {
        a.due
            .cmp(&b.due)
            .then_with(|| a.reference.cmp(&b.reference))
    });
    let mut groups: BTreeMap<String, Vec<ReminderItem>> = BTreeMap::new();
    for i in overdue.iter().chain(due_soon.iter()) {
        groups.entry(i.owner.clone()).or_default().push(i.clone());
    }
    let mut by_owner: Vec<OwnerGroup> = groups
        .into_iter()
        .map(|(owner, items)| OwnerGroup { owner, items })
        .collect();
    let overdue_count = |g: &OwnerGroup| {
        g.items
            .iter()
            .filter(|i| i.kind == ReminderKind::Overdue)
            .count()
    };
    by_owner.sort_by(|a, b| {
        overdue_count(b)
            .cmp(&overdue_count(a))
            .then_with(|| a.owner.cmp(&b.owner))
    });
    Some(Reminder {
        board: board.slug.to_string(),
        as_of,
        remind_before_days: settings.remind_before_days,
        escalate_after_days: settings.escalate_after_days,
        overdue,
        due_soon,
        by_owner,
        for_secretariat: ForSecretariat::default(),
        follow_up_of: None,
    })
}

/// Add the secretariat's line to a reminder, building one for it alone when no action is
/// overdue or due soon.
pub fn with_secretariat(
    reminder: Option<Reminder>,
    board: &Board,
    as_of: NaiveDate,
    for_secretariat: ForSecretariat,
) -> Option<Reminder> {
    if for_secretariat.is_empty() {
        return reminder;
    }
    let mut reminder = reminder.unwrap_or_else(|| Reminder {
        board: board.slug.to_string(),
        as_of,
        remind_before_days: board.settings.remind_before_days,
        escalate_after_days: board.settings.escalate_after_days,
        overdue: Vec::new(),
        due_soon: Vec::new(),
        by_owner: Vec::new(),
        for_secretariat: ForSecretariat::default(),
        follow_up_of: None,
    });
    reminder.for_secretariat = for_secretariat;
    Some(reminder)
}

/// Load a board's open actions and build its reminder for a day.
pub async fn load_reminder(
    store: &Store,
    board: &Board,
    as_of: NaiveDate,
) -> Result<Option<Reminder>, StoreError> {
    let open_only = ActionFilter {
        open_only: true,
        ..Default::default()
    };
    let awaiting_only = ActionFilter {
        awaiting_sign_off: true,
        ..Default::default()
    };
    let (open, awaiting, recommendations, moves) = tokio::try_join!(
        store.find_actions(board.id, &open_only),
        store.find_actions(board.id, &awaiting_only),
        store.recommendations(board.id),
        store.due_moves(board.id, None, board.settings.flag_after_moves),
    )?;
    let for_secretariat = ForSecretariat::from_record(board, &awaiting, &recommendations, as_of);
    let mut reminder = with_secretariat(
        build_reminder(board, &open, as_of),
        board,
        as_of,
        for_secretariat,
    );
    if let Some(r) = &mut reminder {
        flag_moves(r, &moves);
    }
    Ok(reminder)
}

/// The slip rule: mark each listed action whose due date has moved more than the board allows
/// (`moves` holds exactly those, see [`Store::due_moves`]).
pub fn flag_moves(r: &mut Reminder, moves: &std::collections::HashMap<String, DueMoves>) {
    let flag = |i: &mut ReminderItem| i.moved = moves.get(&i.reference).copied();
    r.overdue.iter_mut().for_each(flag);
    r.due_soon.iter_mut().for_each(flag);
    for g in &mut r.by_owner {
        g.items.iter_mut().for_each(flag);
    }
}

impl Reminder {
    /// The part of the reminder for one officer (their own actions, for a direct message), or
    /// `None` if none of its actions is theirs. The secretariat's line is not theirs.
    pub fn for_officer(&self, officer: u64) -> Option<Reminder> {
        let id = officer.to_string();
        self.keeping(|i| i.officer.as_deref() == Some(id.as_str()))
    }

    /// The reminder without the lines of the officers in `officers` (who get theirs by DM),
    /// or `None` if nothing is left. The secretariat's line is dropped too: a nudge has none.
    pub fn without_officers(&self, officers: &[u64]) -> Option<Reminder> {
        let ids: Vec<String> = officers.iter().map(u64::to_string).collect();
        self.keeping(|i| !i.officer.as_ref().is_some_and(|o| ids.contains(o)))
    }

    /// The reminder with only the items `keep` accepts, or `None` if there are none.
    fn keeping(&self, keep: impl Fn(&ReminderItem) -> bool) -> Option<Reminder> {
        let theirs = |items: &[ReminderItem]| -> Vec<ReminderItem> {
            items.iter().filter(|i| keep(i)).cloned().collect()
        };
        let overdue = theirs(&self.overdue);
        let due_soon = theirs(&self.due_soon);
        if overdue.is_empty() && due_soon.is_empty() {
            return None;
        }
        let by_owner = self
            .by_owner
            .iter()
            .map(|g| OwnerGroup {
                owner: g.owner.clone(),
                items: theirs(&g.items),
            })
            .filter(|g| !g.items.is_empty())
            .collect();
        Some(Reminder {
            overdue,
            due_soon,
            by_owner,
            for_secretariat: ForSecretariat::default(),
            ..self.clone()
        })
    }
}
