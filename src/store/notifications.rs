//! How each officer wants their reminders: by direct message or in the channel, and whether
//! they have been told that Discord refused their DM.

use chrono::{DateTime, Utc};

use super::values::Instant;
use super::{Store, StoreError};

/// One officer's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifyChoice {
    /// Reminders by direct message, not pinged in the channel.
    pub dm: bool,
    /// When they were told, once, that their DM was refused and the reminder went to the
    /// channel instead.
    pub fallback_told_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Set whether `officer` gets the board's reminders by direct message.
    pub async fn set_dm(
        &self,
        board_id: i64,
        officer: u64,
        dm: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self.pool(), |p| sqlx::query(
            "INSERT INTO officer_notifications (board_id, officer_id, dm, changed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (board_id, officer_id) \
             DO UPDATE SET dm = $3, changed_at = $4",
        )
        .bind(board_id)
        .bind(officer.to_string())
        .bind(i64::from(dm))
        .bind(Instant(at))
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// One officer's choice (the default, in the channel, if they never made one).
    pub async fn notify_choice(
        &self,
        board_id: i64,
        officer: u64,
    ) -> Result<NotifyChoice, StoreError> {
        let row: Option<(i64, Option<Instant>)> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT dm, fallback_told_at FROM officer_notifications \
             WHERE board_id = $1 AND officer_id = $2",
        )
        .bind(board_id)
        .bind(officer.to_string())
        .fetch_optional(p)
        .await)?;
        Ok(
            row.map_or_else(NotifyChoice::default, |(dm, told)| NotifyChoice {
                dm: dm != 0,
                fallback_told_at: told.map(|t| t.0),
            }),
        )
    }

    /// The officers of a board who get their reminders by direct message, in id order.
    pub async fn dm_officers(&self, board_id: i64) -> Result<Vec<u64>, StoreError> {
        let rows: Vec<String> = on_pool!(self.pool(), |p| sqlx::query_scalar(
            "SELECT officer_id FROM officer_notifications WHERE board_id = $1 AND dm = 1",
        )
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        let mut ids: Vec<u64> = rows.iter().filter_map(|r| r.parse().ok()).collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Note that `officer` has been told their DM was refused. True the first time only, so
    /// they are told once.
    pub async fn mark_fallback_told(
        &self,
        board_id: i64,
        officer: u64,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = on_pool!(self.pool(), |p| sqlx::query(
            "UPDATE officer_notifications SET fallback_told_at = $3 \
             WHERE board_id = $1 AND officer_id = $2 AND fallback_told_at IS NULL",
        )
        .bind(board_id)
        .bind(officer.to_string())
        .bind(Instant(at))
        .execute(p)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(changed > 0)
    }
}
