//! Board meetings.

use chrono::{DateTime, NaiveDate, Utc};

use super::values::{Day, Instant};
use super::{Store, StoreError};
use crate::domain::Meeting;

fn meeting_from(held_on: String, title: String, boroughs: String) -> Result<Meeting, StoreError> {
    Ok(Meeting {
        held_on: NaiveDate::parse_from_str(&held_on, "%Y-%m-%d")
            .map_err(|_| StoreError::Corrupt(format!("meeting date {held_on:?}")))?,
        title,
        boroughs: boroughs
            .lines()
            .map(str::to_string)
            .filter(|b| !b.is_empty())
            .collect(),
    })
}

impl Store {
    /// A board's meetings, in date order.
    pub async fn meetings(&self, board_id: i64) -> Result<Vec<Meeting>, StoreError> {
        let rows: Vec<(String, String, String)> = on_pool!(self.pool(), |p| {
            sqlx::query_as(
            "SELECT held_on, title, boroughs FROM meetings WHERE board_id = $1 ORDER BY held_on",
        )
        .bind(board_id)
        .fetch_all(p)
        .await
        })?;
        rows.into_iter()
            .map(|(d, t, b)| meeting_from(d, t, b))
            .collect()
    }

    /// Add a meeting; false if the board already has one that day.
    pub async fn add_meeting(
        &self,
        board_id: i64,
        meeting: &Meeting,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = on_pool!(self.pool(), |p| sqlx::query(
            "INSERT INTO meetings (board_id, held_on, title, boroughs, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (board_id, held_on) DO NOTHING",
        )
        .bind(board_id)
        .bind(Day(meeting.held_on))
        .bind(&meeting.title)
        .bind(meeting.boroughs.join("\n"))
        .bind(Instant(at))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))
        .map_err(|e| StoreError::classify(e, self.url()))?;
        Ok(added == 1)
    }
}
