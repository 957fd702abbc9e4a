//! The everyday changes: an officer updates an action's status, extends its due date or is
//! assigned to it; the secretariat records a recommendation's response or closes it. Each
//! change writes the new state and appends one history entry in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};

use super::ServiceError;
use crate::domain::{
    Action, ActionStatus, Board, ChangeKind, OfficerId, Recommendation, RecommendationStatus, Ref,
    Response, StatusUpdate, SubjectKind, Text,
};
use crate::store::{retry_conflicts, Store, StoredAction, Transaction};

/// An action before and after a change, so the reply can say "on track → done".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionChange {
    pub before: Action,
    pub after: Action,
}

/// A recommendation before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendationChange {
    pub before: Recommendation,
    pub after: Recommendation,
}

/// Who made a change and when; every history entry carries both.
#[derive(Debug, Clone)]
pub struct Author<'a> {
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

fn not_found(what: &'static str, reference: &Ref, list_command: &str) -> ServiceError {
    ServiceError::NotFound {
        what,
        reference: reference.to_string(),
        hint: format!("Check the ref; {list_command} shows them all."),
    }
}

async fn load_action(
    tx: &mut Transaction,
    board: &Board,
    reference: &Ref,
) -> Result<StoredAction, ServiceError> {
    tx.action(board.id, reference)
        .await?
        .ok_or_else(|| not_found("action", reference, "/action list"))
}

/// One history entry: `values` is (old, new), `notes` is (note, evidence).
fn entry(
    author: &Author<'_>,
    subject: SubjectKind,
    reference: &Ref,
    change: ChangeKind,
    values: (Option<String>, Option<String>),
    notes: (Option<&Text>, Option<&Text>),
) -> StatusUpdate {
    StatusUpdate {
        subject,
        reference: reference.clone(),
        at: author.at,
        by: author.by.to_string(),
        change,
        old_value: values.0,
        new_value: values.1,
        note: notes.0.map(|n| n.as_str().to_string()),
        evidence: notes.1.map(|e| e.as_str().to_string()),
    }
}

/// Move an action to `status`, as an officer does: on a board that requires sign-off, `done`
/// waits for the secretariat (see [`record_action_status`]).
pub async fn update_action_status(
    store: &Store,
    board: &Board,
    reference: &Ref,
    status: ActionStatus,
    note: Option<&Text>,
    evidence: Option<&Text>,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    let change = StatusChange {
        status,
        note,
        evidence,
        by_secretariat: false,
    };
    record_action_status(store, board, reference, &change, author).await
}

/// A status change and who is making it.
#[derive(Debug, Clone, Copy)]
pub struct StatusChange<'a> {
    pub status: ActionStatus,
    pub note: Option<&'a Text>,
    pub evidence: Option<&'a Text>,
    /// The secretariat's own `done` needs no sign-off (they are the ones who give it), and
    /// only the secretariat may move a signed-off action away from done.
    pub by_secretariat: bool,
}

/// What a change to an action makes of it, and what its history entry says.
struct ActionEdit {
    after: Action,
    change: ChangeKind,
    values: (Option<String>, Option<String>),
}

/// Load an action, let `edit` decide its new state (or refuse), and write the new state and
/// its history entry in one transaction: the twin of [`change_recommendation`].
async fn change_action(
    store: &Store,
    board: &Board,
    reference: &Ref,
    author: &Author<'_>,
    notes: (Option<&Text>, Option<&Text>),
    edit: impl Fn(&Action) -> Result<ActionEdit, ServiceError>,
) -> Result<ActionChange, ServiceError> {
    let edit = &edit;
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let stored = load_action(&mut tx, board, reference).await?;
        let before = stored.action.clone();
        let ActionEdit {
            after,
            change,
            values,
        } = edit(&before)?;
        tx.update_action(stored.id, &after, stored.recommendation_id, author.at)
            .await?;
        let e = entry(
            author,
            SubjectKind::Action,
            &after.reference,
            change,
            values,
            notes,
        );
        tx.append_update(board.id, stored.id, &e).await?;
        tx.commit().await?;
        Ok(ActionChange { before, after })
    })
    .await
}

/// Move an action to a status. Closing it (done or dropped) needs a note saying what shows it;
/// the same status again is accepted only with a note (a progress update). On a board that
/// requires sign-off, an officer's `done` is done — awaiting sign-off.
pub async fn record_action_status(
    store: &Store,
    board: &Board,
    reference: &Ref,
    change: &StatusChange<'_>,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    let StatusChange {
        status,
        note,
        evidence,
        by_secretariat,
    } = *change;
    change_action(
        store,
        board,
        reference,
        author,
        (note, evidence),
        |before| {
            if status.is_closed() && note.is_none() {
                return Err(ServiceError::rejected(format!(
                "marking {} {} needs a note saying what shows it (e.g. the report or decision that \
                 evidences it); add one and try again",
                before.reference,
                status.label()
            )));
            }
            if status == before.status && note.is_none() && evidence.is_none() {
                return Err(ServiceError::rejected(format!(
                    "{} is already {}; add a note to record progress without changing the status",
                    before.reference,
                    status.label()
                )));
            }
            let signed_off = before.status == ActionStatus::Done && !before.awaiting_sign_off;
            if signed_off && status != ActionStatus::Done && !by_secretariat {
                return Err(ServiceError::rejected(format!(
                "{} is done and signed off; only the secretariat can reopen it (/action reopen), \
                 so ask them, saying why",
                before.reference
            )));
            }
            let mut after = before.clone();
            after.status = status;
            after.completed_on = match status {
                ActionStatus::Done if before.status == ActionStatus::Done => before.completed_on,
                ActionStatus::Done => Some(board.settings.time_zone.today(author.at)),
                _ => None,
            };
            after.awaiting_sign_off = match status {
                ActionStatus::Done if before.status == ActionStatus::Done => {
                    before.awaiting_sign_off
                }
                ActionStatus::Done => board.settings.sign_off_required && !by_secretariat,
                _ => false,
            };
            Ok(ActionEdit {
                after,
                change: ChangeKind::Status,
                values: (Some(before.status.to_string()), Some(status.to_string())),
            })
        },
    )
    .await
}

/// The secretariat accepts the evidence that a done action is done. Refused for an action
/// that is not done, or that is not waiting for sign-off.
pub async fn sign_off_action(
    store: &Store,
    board: &Board,
    reference: &Ref,
    note: &Text,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    change_action(
        store,
        board,
        reference,
        author,
        (Some(note), None),
        |before| {
            if before.status != ActionStatus::Done {
                return Err(ServiceError::rejected(format!(
                "{} is {}, not done, so there is nothing to sign off; the officer marks it done \
                 first (/update status:done)",
                before.reference,
                before.status.label()
            )));
            }
            if !before.awaiting_sign_off {
                return Err(ServiceError::rejected(format!(
                    "{} is already signed off; nothing changed",
                    before.reference
                )));
            }
            Ok(ActionEdit {
                after: Action {
                    awaiting_sign_off: false,
                    ..before.clone()
                },
                change: ChangeKind::SignedOff,
                values: (
                    Some("awaiting sign-off".to_string()),
                    Some("signed off".to_string()),
                ),
            })
        },
    )
    .await
}

/// The secretariat reopens a done action (signed off or not): it returns to `status` (an open
/// one) and its completion date is cleared. The reason is kept in the history.
pub async fn reopen_action(
    store: &Store,
    board: &Board,
    reference: &Ref,
    status: ActionStatus,
    reason: &Text,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    if status.is_closed() {
        return Err(ServiceError::rejected(format!(
            "reopening returns an action to an open status, not {}; choose not started, on \
             track, at risk or off track",
            status.label()
        )));
    }
    change_action(
        store,
        board,
        reference,
        author,
        (Some(reason), None),
        |before| {
            if before.status != ActionStatus::Done {
                return Err(ServiceError::rejected(format!(
                    "{} is {}, not done, so there is nothing to reopen; nothing changed",
                    before.reference,
                    before.status.label()
                )));
            }
            Ok(ActionEdit {
                after: Action {
                    status,
                    completed_on: None,
                    awaiting_sign_off: false,
                    ..before.clone()
                },
                change: ChangeKind::Reopened,
                values: (Some(before.status.to_string()), Some(status.to_string())),
            })
        },
    )
    .await
}

/// Move an action's due date. A reason is required; a later date shows as slipped in the next
/// digest. Closed actions cannot be extended.
pub async fn change_due_date(
    store: &Store,
    board: &Board,
    reference: &Ref,
    new_due: NaiveDate,
    reason: &Text,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    change_action(
        store,
        board,
        reference,
        author,
        (Some(reason), None),
        |before| {
            if before.status.is_closed() {
                return Err(ServiceError::rejected(format!(
                "{} is {}, so its due date no longer matters; reopen it with /update first if the \
                 work is not finished",
                before.reference,
                before.status.label()
            )));
            }
            if before.due == new_due {
                return Err(ServiceError::rejected(format!(
                    "{} is already due on {new_due}; give a different date",
                    before.reference
                )));
            }
            Ok(ActionEdit {
                after: Action {
                    due: new_due,
                    ..before.clone()
                },
                change: ChangeKind::Due,
                values: (Some(before.due.to_string()), Some(new_due.to_string())),
            })
        },
    )
    .await
}

/// Assign an action to an officer, or unassign it with `None`.
pub async fn assign_officer(
    store: &Store,
    board: &Board,
    reference: &Ref,
    officer: Option<OfficerId>,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    change_action(store, board, reference, author, (None, None), |before| {
        if before.officer == officer {
            return Err(ServiceError::rejected(format!(
                "{} is already {}",
                before.reference,
                match officer {
                    Some(_) => "assigned to that officer",
                    None => "unassigned",
                }
            )));
        }
        Ok(ActionEdit {
            after: Action {
                officer,
                ..before.clone()
            },
            change: ChangeKind::Officer,
            values: (
                before.officer.map(|o| o.to_string()),
                officer.map(|o| o.to_string()),
            ),
        })
    })
    .await
}

/// What a change to a recommendation makes of it, and what its history entry says.
struct RecommendationEdit {
    after: Recommendation,
    change: ChangeKind,
    values: (Option<String>, Option<String>),
}

/// Load a recommendation, let `edit` decide its new state (or refuse), and write the new state
/// and its history entry in one transaction.
async fn change_recommendation(
    store: &Store,
    board: &Board,
    reference: &Ref,
    author: &Author<'_>,
    notes: (Option<&Text>, Option<&Text>),
    edit: impl Fn(&Recommendation) -> Result<RecommendationEdit, ServiceError>,
) -> Result<RecommendationChange, ServiceError> {
    let edit = &edit;
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let stored = tx
            .recommendation(board.id, reference)
            .await?
            .ok_or_else(|| not_found("recommendation", reference, "/rec list"))?;
        let before = stored.recommendation.clone();
        let RecommendationEdit {
            after,
            change,
            values,
        } = edit(&before)?;
        let source_id = tx.recommendation_source_id(stored.id).await?;
        tx.update_recommendation(stored.id, &after, source_id, author.at)
            .await?;
        let e = entry(
            author,
            SubjectKind::Recommendation,
            &after.reference,
            change,
            values,
            notes,
        );
        tx.append_update(board.id, stored.id, &e).await?;
        tx.commit().await?;
        Ok(RecommendationChange { before, after })
    })
    .await
}

/// Record a recommendation's new status. Anything but `open` closes it and needs a note saying
/// what evidence shows it.
pub async fn set_recommendation_status(
    store: &Store,
    board: &Board,
    reference: &Ref,
    status: RecommendationStatus,
    note: Option<&Text>,
    evidence: Option<&Text>,
    author: &Author<'_>,
) -> Result<RecommendationChange, ServiceError> {
    change_recommendation(store, board, reference, author, (note, evidence), |before| {
        if status.is_closed() && note.is_none() {
            return Err(ServiceError::rejected(format!(
                "closing {} as {} needs a note saying what evidence shows it; add one and try again",
                before.reference,
                status.label()
            )));
        }
        if before.status == status {
            return Err(ServiceError::rejected(format!("{} is already {}", before.reference, status.label())));
        }
        Ok(RecommendationEdit {
            after: Recommendation { status, ..before.clone() },
            change: ChangeKind::Status,
            values: (Some(before.status.to_string()), Some(status.to_string())),
        })
    })
    .await
}

/// Record the accountable body's response to a recommendation.
pub async fn set_recommendation_response(
    store: &Store,
    board: &Board,
    reference: &Ref,
    response: Response,
    note: Option<&Text>,
    author: &Author<'_>,
) -> Result<RecommendationChange, ServiceError> {
    change_recommendation(store, board, reference, author, (note, None), |before| {
        if before.response == response {
            return Err(ServiceError::rejected(format!(
                "{}'s response is already {}",
                before.reference,
                response.label()
            )));
        }
        Ok(RecommendationEdit {
            after: Recommendation {
                response,
                ..before.clone()
            },
            change: ChangeKind::Response,
            values: (
                Some(before.response.to_string()),
                Some(response.to_string()),
            ),
        })
    })
    .await
}

/// The secretariat reopens a closed recommendation (implemented, not implemented or
/// superseded): it is open again, and the reason is kept in the history.
pub async fn reopen_recommendation(
    store: &Store,
    board: &Board,
    reference: &Ref,
    reason: &Text,
    author: &Author<'_>,
) -> Result<RecommendationChange, ServiceError> {
    change_recommendation(
        store,
        board,
        reference,
        author,
        (Some(reason), None),
        |before| {
            if !before.status.is_closed() {
                return Err(ServiceError::rejected(format!(
                    "{} is open, so there is nothing to reopen; nothing changed",
                    before.reference
                )));
            }
            Ok(RecommendationEdit {
                after: Recommendation {
                    status: RecommendationStatus::Open,
                    ..before.clone()
                },
                change: ChangeKind::Reopened,
                values: (
                    Some(before.status.to_string()),
                    Some(RecommendationStatus::Open.to_string()),
                ),
            })
        },
    )
    .await
}

/// Changes to an action's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ActionEdits {
    pub title: Option<Text>,
    pub owner: Option<Text>,
    /// `Some(None)` clears the borough.
    pub borough: Option<Option<Text>>,
    /// `Some(None)` unlinks the action from its recommendation.
    pub recommendation: Option<Option<Ref>>,
}

/// Add one action. The ref must be new on the board and the recommendation, if any, must exist.
pub async fn add_action(
    store: &Store,
    board: &Board,
    action: &Action,
    author: &Author<'_>,
) -> Result<Action, ServiceError> {
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        if tx.action(board.id, &action.reference).await?.is_some() {
            return Err(ServiceError::rejected(format!(
                "there is already an action {}; pick another ref, or use /action edit to change it",
                action.reference
            )));
        }
        let rec_id = match &action.recommendation {
            Some(reference) => Some(
                tx.recommendation(board.id, reference)
                    .await?
                    .ok_or_else(|| not_found("recommendation", reference, "/rec list"))?
                    .id,
            ),
            None => None,
        };
        let ids = tx
            .insert_actions(board.id, &[(action, rec_id)], author.at)
            .await?;
        let id = ids
            .get(&action.reference.as_str().to_uppercase())
            .copied()
            .ok_or_else(|| ServiceError::rejected("the new action could not be read back"))?;
        let e = entry(
            author,
            SubjectKind::Action,
            &action.reference,
            ChangeKind::Created,
            (None, Some(action.status.to_string())),
            (None, None),
        );
        tx.append_update(board.id, id, &e).await?;
        tx.commit().await?;
        Ok(action.clone())
    })
    .await
}

/// Change an action's title, owner, borough or recommendation; the history names the fields.
pub async fn edit_action(
    store: &Store,
    board: &Board,
    reference: &Ref,
    edits: &ActionEdits,
    author: &Author<'_>,
) -> Result<ActionChange, ServiceError> {
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        let stored = load_action(&mut tx, board, reference).await?;
        let before = stored.action.clone();
        let mut after = before.clone();
        let mut rec_id = stored.recommendation_id;
        let mut changed = Vec::new();
        if let Some(title) = &edits.title {
            after.title = title.as_str().to_string();
        }
        if let Some(owner) = &edits.owner {
            after.owner = owner.as_str().to_string();
        }
        if let Some(borough) = &edits.borough {
            after.borough = borough.as_ref().map(|b| b.as_str().to_string());
        }
        if let Some(recommendation) = &edits.recommendation {
            rec_id = match recommendation {
                Some(r) => Some(
                    tx.recommendation(board.id, r)
                        .await?
                        .ok_or_else(|| not_found("recommendation", r, "/rec list"))?
                        .id,
                ),
                None => None,
            };
            after.recommendation = recommendation.clone();
        }
        for (field, differs) in [
            ("title", before.title != after.title),
            ("owner", before.owner != after.owner),
            ("borough", before.borough != after.borough),
            (
                "recommendation",
                before.recommendation != after.recommendation,
            ),
        ] {
            if differs {
                changed.push(field);
            }
        }
        if changed.is_empty() {
            return Err(ServiceError::rejected(format!(
                "nothing to change: give {} a new title, owner, borough or recommendation",
                before.reference
            )));
        }
        tx.update_action(stored.id, &after, rec_id, author.at)
            .await?;
        let e = entry(
            author,
            SubjectKind::Action,
            &after.reference,
            ChangeKind::Details,
            (None, Some(changed.join(", "))),
            (None, None),
        );
        tx.append_update(board.id, stored.id, &e).await?;
        tx.commit().await?;
        Ok(ActionChange { before, after })
    })
    .await
}

/// Changes to a recommendation's descriptive fields; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RecommendationEdits {
    pub title: Option<Text>,
    pub text: Option<Text>,
    pub theme: Option<Text>,
    pub owner: Option<Text>,
    pub priority: Option<bool>,
}

/// Add one recommendation; the ref must be new on the board.
pub async fn add_recommendation(
    store: &Store,
    board: &Board,
    rec: &Recommendation,
    author: &Author<'_>,
) -> Result<Recommendation, ServiceError> {
    retry_conflicts(move || async move {
        let mut tx = store.begin().await?;
        if tx.recommendation(board.id, &rec.reference).await?.is_some() {
            return Err(ServiceError::rejected(format!(
                "there is already a recommendation {}; pick another ref, or use /rec edit",
                rec.reference
            )));
        }
        let source_id = match &rec.source {
            Some(source) => Some(tx.source_id(board.id, source).await?),
            None => None,
        };
        let id = tx
            .insert_recommendation(board.id, rec, source_id, author.at)
            .await?;
        let e = entry(
            author,
            SubjectKind::Recommendation,
            &rec.reference,
            ChangeKind::Created,
            (None, Some(rec.status.to_string())),
            (None, None),
        );
        tx.append_update(board.id, id, &e).await?;
        tx.commit().await?;
        Ok(rec.clone())
    })
    .await
}

/// Change a recommendation's title, text, theme, owner or priority.
pub async fn edit_recommendation(
    store: &Store,
    board: &Board,
    reference: &Ref,
    edits: &RecommendationEdits,
    author: &Author<'_>,
) -> Result<RecommendationChange, ServiceError> {
    change_recommendation(store, board, reference, author, (None, None), |before| {
        let mut after = before.clone();
        if let Some(title) = &edits.title {
            after.title = title.as_str().to_string();
        }
        if let Some(text) = &edits.text {
            after.text = Some(text.as_str().to_string());
        }
        if let Some(theme) = &edits.theme {
            after.theme = Some(theme.as_str().to_string());
        }
        if let Some(owner) = &edits.owner {
            after.owner = Some(owner.as_str().to_string());
        }
        if let Some(priority) = edits.priority {
            after.priority = crate::domain::Priority(priority);
        }
        let changed: Vec<&str> = [
            ("title", before.title != after.title),
            ("text", before.text != after.text),
            ("theme", before.theme != after.theme),
            ("owner", before.owner != after.owner),
            ("priority", before.priority != after.priority),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(field, _)| field)
        .collect();
        if changed.is_empty() {
            return Err(ServiceError::rejected(format!(
                "nothing to change: give {} a new title, text, theme, owner or priority",
                before.reference
            )));
        }
        Ok(RecommendationEdit {
            after,
            change: ChangeKind::Details,
            values: (None, Some(changed.join(", "))),
        })
    })
    .await
}
