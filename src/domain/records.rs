//! The records a board keeps: boards, sources, recommendations, actions and their history.

use chrono::{DateTime, NaiveDate, Utc};

use super::board::{BoardSettings, ChatSettings};
use super::refs::{BoardSlug, OfficerId, Ref};
use super::status::{ActionStatus, Priority, RecommendationStatus, Response};

/// One oversight board: its own data, settings and (once bound) Discord server.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub id: i64,
    pub slug: BoardSlug,
    pub name: String,
    pub settings: BoardSettings,
    pub chat: ChatSettings,
}

/// A document that makes recommendations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    pub title: String,
    pub published_on: Option<NaiveDate>,
}

/// Something the board asked an accountable body to do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recommendation {
    #[serde(rename = "ref")]
    pub reference: Ref,
    pub title: String,
    pub text: Option<String>,
    pub source: Option<Source>,
    pub theme: Option<String>,
    pub owner: Option<String>,
    pub priority: Priority,
    pub response: Response,
    pub status: RecommendationStatus,
    /// When the accountable body's response is due, when the board set a date; otherwise
    /// [`Recommendation::response_due_on`] derives it from the source's publication date.
    pub response_due: Option<NaiveDate>,
}

impl Recommendation {
    /// When the response is due: the date the board set, else `response_days` after the source
    /// was published; `None` when neither is known.
    pub fn response_due_on(&self, response_days: u32) -> Option<NaiveDate> {
        self.response_due.or_else(|| {
            self.source
                .as_ref()
                .and_then(|s| s.published_on)
                .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(response_days))))
        })
    }

    /// A response still pending after its due date, as of `today` (the due day itself is not
    /// late): the whole days it is late.
    pub fn response_days_overdue(&self, response_days: u32, today: NaiveDate) -> Option<i64> {
        let due = self.response_due_on(response_days)?;
        (self.response == Response::Pending && due < today).then(|| (today - due).num_days())
    }
}

/// A concrete step toward a recommendation, or an item of a borough action plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    #[serde(rename = "ref")]
    pub reference: Ref,
    pub recommendation: Option<Ref>,
    pub title: String,
    pub owner: String,
    pub borough: Option<String>,
    pub officer: Option<OfficerId>,
    pub due: NaiveDate,
    pub status: ActionStatus,
    pub completed_on: Option<NaiveDate>,
    /// Done by an officer and waiting for the secretariat to sign it off. Still counted as
    /// done; only `done` actions can be waiting.
    pub awaiting_sign_off: bool,
}

/// How often an action's due date has moved, and the date it was first due: what the slip rule
/// flags once it has moved more than the board's `flag_after_moves` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DueMoves {
    pub times: u32,
    pub first_due: NaiveDate,
}

impl DueMoves {
    /// "moved 3 times (first due 1 Sep 2010)".
    pub fn phrase(&self) -> String {
        format!(
            "moved {} times (first due {})",
            self.times,
            self.first_due.format("%-d %b %Y")
        )
    }
}

impl Action {
    /// Overdue is derived, never stored: open and due before `today` (due today is not overdue).
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.status.is_closed() && self.due < today
    }

    /// The status as people read it: "done — awaiting sign-off" while the secretariat has yet
    /// to sign it off.
    pub fn status_label(&self) -> String {
        if self.awaiting_sign_off {
            format!("{} — awaiting sign-off", self.status.label())
        } else {
            self.status.label()
        }
    }

    /// Whole days past due as of `today`; 0 when not overdue.
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        if self.is_overdue(today) {
            (today - self.due).num_days()
        } else {
            0
        }
    }
}

/// What a status update is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Action,
    Recommendation,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Action => "action",
            SubjectKind::Recommendation => "recommendation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "action" => Some(SubjectKind::Action),
            "recommendation" => Some(SubjectKind::Recommendation),
            _ => None,
        }
    }
}

/// Which part of a record a status update changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The record was first entered.
    Created,
    /// Status moved (action or recommendation).
    Status,
    /// Due date moved; a later date is a slip.
    Due,
    /// A recommendation's response changed.
    Response,
    /// The assigned officer changed.
    Officer,
    /// Descriptive fields (title, owner, borough, text …) were edited.
    Details,
    /// The secretariat accepted the evidence that a done action is done.
    SignedOff,
    /// The secretariat reopened a closed action or recommendation, saying why.
    Reopened,
    /// The secretariat removed text typed by mistake from the record and its history (the
    /// entry says why and which entries, never what).
    Redacted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Status => "status",
            ChangeKind::Due => "due",
            ChangeKind::Response => "response",
            ChangeKind::Officer => "officer",
            ChangeKind::Details => "details",
            ChangeKind::SignedOff => "signed_off",
            ChangeKind::Reopened => "reopened",
            ChangeKind::Redacted => "redacted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ChangeKind::Created,
            ChangeKind::Status,
            ChangeKind::Due,
            ChangeKind::Response,
            ChangeKind::Officer,
            ChangeKind::Details,
            ChangeKind::SignedOff,
            ChangeKind::Reopened,
            ChangeKind::Redacted,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of the append-only history: who changed what, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusUpdate {
    pub subject: SubjectKind,
    #[serde(rename = "ref")]
    pub reference: Ref,
    pub at: DateTime<Utc>,
    /// Who made the change: a Discord user (`discord:<id>`), `cli`, `import`, or a name.
    pub by: String,
    pub change: ChangeKind,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub note: Option<String>,
    pub evidence: Option<String>,
}

/// A board meeting and the boroughs presenting their action plans at it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Meeting {
    pub held_on: NaiveDate,
    pub title: String,
    pub boroughs: Vec<String>,
}
