//! The nudge: a follow-up some days after a reminder (the board's `nudge_after_days`), only to
//! the officers who have not touched the actions it listed for them since, saying what is still
//! outstanding. A nudge stops by itself: an action someone has updated, given a new date,
//! reassigned or closed since the reminder is not in it, and an officer with nothing left gets
//! nothing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::reminder::{build_reminder, Reminder};
use crate::domain::{Action, Board, ChangeKind, SubjectKind};
use crate::store::{Store, StoreError};

/// The history entries that answer a reminder: someone acted on the action. A correction of
/// its wording (`details`) or a redaction is the secretariat's housekeeping, not an answer.
pub const ANSWERS: [ChangeKind; 5] = [
    ChangeKind::Status,
    ChangeKind::Due,
    ChangeKind::Officer,
    ChangeKind::SignedOff,
    ChangeKind::Reopened,
];

/// What a nudge says, as a reminder of `as_of` marked as the follow-up of the one `listed`
/// (sent on `reminded_on`): the actions `listed` named with an officer that are still open,
/// still that officer's, and not among the `answered` refs (see [`ANSWERS`]). `None` when
/// nothing is left, so nobody is nudged.
pub fn outstanding(
    board: &Board,
    listed: &Reminder,
    actions_now: &[Action],
    answered: &HashSet<String>,
    as_of: NaiveDate,
) -> Option<Reminder> {
    // Only an officer can be nudged: an action listed without one has nobody to ask.
    let officer_of: HashMap<&str, &str> = listed
        .overdue
        .iter()
        .chain(&listed.due_soon)
        .filter_map(|i| Some((i.reference.as_str(), i.officer.as_deref()?)))
        .collect();
    let still: Vec<Action> = actions_now
        .iter()
        .filter(|a| {
            let reference = a.reference.as_str();
            let same_officer = a.officer.map(|o| o.to_string());
            officer_of
                .get(reference)
                .is_some_and(|o| Some(*o) == same_officer.as_deref())
                && !answered.contains(reference)
                && !a.status.is_closed()
        })
        .cloned()
        .collect();
    let mut nudge = build_reminder(board, &still, as_of)?;
    nudge.follow_up_of = Some(listed.as_of);
    Some(nudge)
}

/// The nudge following the reminder that fell due at `reminded_at`, as of `now`: what that
/// reminder listed (the record as it stood then), less what has been answered since.
pub async fn load_nudge(
    store: &Store,
    board: &Board,
    reminded_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Reminder>, StoreError> {
    let tz = &board.settings.time_zone;
    let (stood, actions_now, since) = tokio::try_join!(
        store.record_as_it_stood(board.id, reminded_at, tz),
        store.actions(board.id),
        store.history_between(board.id, reminded_at, now, &ANSWERS),
    )?;
    let Some(listed) = build_reminder(board, &stood.actions, tz.today(reminded_at)) else {
        return Ok(None);
    };
    let answered: HashSet<String> = since
        .into_iter()
        .filter(|u| u.subject == SubjectKind::Action)
        .map(|u| u.reference.to_string())
        .collect();
    Ok(outstanding(
        board,
        &listed,
        &actions_now,
        &answered,
        tz.today(now),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ActionStatus, BoardSettings, BoardSlug, ChatSettings, OfficerId, Ref};

    fn board() -> Board {
        Board {
            id: 1,
            slug: BoardSlug::parse("dsvb").unwrap(),
            name: "DSVB".into(),
            settings: BoardSettings::default(),
            chat: ChatSettings::default(),
        }
    }

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn action(reference: &str, officer: Option<u64>, due: &str) -> Action {
        Action {
            reference: Ref::parse(reference).unwrap(),
            recommendation: None,
            title: format!("Action {reference}"),
            owner: "Owner".into(),
            borough: None,
            officer: officer.map(OfficerId::new),
            due: day(due),
            status: ActionStatus::OnTrack,
            completed_on: None,
            awaiting_sign_off: false,
        }
    }

    fn refs(r: &Option<Reminder>) -> Vec<String> {
        r.iter()
            .flat_map(|r| r.overdue.iter().chain(&r.due_soon))
            .map(|i| i.reference.clone())
            .collect()
    }

    #[test]
    fn only_what_nobody_answered_is_left_and_said_to_follow_the_reminder() {
        let board = board();
        let then = [
            action("A1", Some(11), "2026-11-01"),
            action("A2", Some(11), "2026-11-02"),
            action("A3", Some(22), "2026-11-03"),
            action("A4", None, "2026-11-04"),
            action("A5", Some(33), "2026-12-05"),
        ];
        let listed = build_reminder(&board, &then, day("2026-12-01")).unwrap();
        let mut now = then.to_vec();
        // A2 was answered; A3 was reassigned; A5 was closed.
        now[2].officer = Some(OfficerId::new(44));
        now[4].status = ActionStatus::Done;
        let answered: HashSet<String> = ["A2".to_string()].into();
        let nudge = outstanding(&board, &listed, &now, &answered, day("2026-12-04"));
        assert_eq!(refs(&nudge), ["A1"], "A4 has no officer to ask");
        let nudge = nudge.unwrap();
        assert_eq!(nudge.follow_up_of, Some(day("2026-12-01")));
        assert_eq!(nudge.as_of, day("2026-12-04"));
        assert_eq!(
            nudge.overdue[0].days_overdue, 33,
            "counted to the nudge's day"
        );
    }

    #[test]
    fn everyone_answered_means_no_nudge() {
        let board = board();
        let then = [action("A1", Some(11), "2026-11-01")];
        let listed = build_reminder(&board, &then, day("2026-12-01")).unwrap();
        let answered: HashSet<String> = ["A1".to_string()].into();
        assert_eq!(
            outstanding(&board, &listed, &then, &answered, day("2026-12-04")),
            None
        );
        // An action that was not in the reminder is not nudged about, even if overdue now.
        let later = [action("A9", Some(11), "2026-11-01")];
        assert_eq!(
            outstanding(&board, &listed, &later, &HashSet::new(), day("2026-12-04")),
            None
        );
    }
}
