//! The pre-meeting brief: what the presenting boroughs' action plans look like — open,
//! overdue, and done since the last meeting — built from the record as of a date.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};

use crate::domain::{Action, Board, Meeting, TimeZone};
use crate::store::{Store, StoreError};

/// One presenting borough's action plan at a glance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BoroughBrief {
    pub borough: String,
    pub open: Vec<Action>,
    pub overdue: Vec<Action>,
    pub done_since_last_meeting: Vec<Action>,
}

/// The brief posted before a meeting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MeetingBrief {
    pub meeting: Meeting,
    pub as_of: NaiveDate,
    /// The previous meeting's date; "done since" counts from it (or 90 days back if none).
    pub since: NaiveDate,
    pub boroughs: Vec<BoroughBrief>,
}

/// When the brief for `meeting` is due: 09:00 board time, `days_before` days ahead of it.
pub fn brief_due_at(tz: &TimeZone, meeting: &Meeting, days_before: u32) -> Option<DateTime<Utc>> {
    let day = meeting.held_on - Duration::days(i64::from(days_before));
    let nine = NaiveTime::from_hms_opt(9, 0, 0)?;
    tz.0.from_local_datetime(&day.and_time(nine))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Build the brief for a meeting as of a date.
pub async fn meeting_brief(
    store: &Store,
    board: &Board,
    meeting: &Meeting,
    as_of: NaiveDate,
) -> Result<MeetingBrief, StoreError> {
    let meetings = store.meetings(board.id).await?;
    let since = meetings
        .iter()
        .filter(|m| m.held_on < meeting.held_on)
        .map(|m| m.held_on)
        .max()
        .unwrap_or(meeting.held_on - Duration::days(90));
    let actions = store.actions(board.id).await?;
    let boroughs = meeting
        .boroughs
        .iter()
        .map(|borough| {
            let theirs: Vec<&Action> = actions
                .iter()
                .filter(|a| {
                    a.borough
                        .as_deref()
                        .is_some_and(|b| b.eq_ignore_ascii_case(borough))
                })
                .collect();
            let mut overdue: Vec<Action> = theirs
                .iter()
                .filter(|a| a.is_overdue(as_of))
                .map(|a| (*a).clone())
                .collect();
            overdue.sort_by(|a, b| {
                b.days_overdue(as_of)
                    .cmp(&a.days_overdue(as_of))
                    .then(a.reference.cmp(&b.reference))
            });
            BoroughBrief {
                borough: borough.clone(),
                open: theirs
                    .iter()
                    .filter(|a| !a.status.is_closed())
                    .map(|a| (*a).clone())
                    .collect(),
                overdue,
                done_since_last_meeting: theirs
                    .iter()
                    .filter(|a| a.completed_on.is_some_and(|d| d > since && d <= as_of))
                    .map(|a| (*a).clone())
                    .collect(),
            }
        })
        .collect();
    Ok(MeetingBrief {
        meeting: meeting.clone(),
        as_of,
        since,
        boroughs,
    })
}
