//! The append-only history of board settings.

use super::values::Instant;
use super::{Store, StoreError, Transaction};
use crate::domain::SettingChange;

impl Transaction {
    /// Append entries to a board's settings history. There is no way to change or remove one.
    pub(crate) async fn append_setting_changes(
        &mut self,
        board_id: i64,
        changes: &[SettingChange],
    ) -> Result<(), StoreError> {
        for change in changes {
            on_tx!(self.driver(), |c| sqlx::query(
                "INSERT INTO settings_changes (board_id, recorded_at, actor, setting, old_value, \
                 new_value) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(board_id)
            .bind(Instant(change.at))
            .bind(&change.by)
            .bind(&change.setting)
            .bind(change.old_value.as_deref())
            .bind(change.new_value.as_deref())
            .execute(c)
            .await
            .map(|done| done.rows_affected()))
            .map_err(|e| self.classify(e))?;
        }
        Ok(())
    }
}

impl Store {
    /// A board's settings history, oldest first.
    pub async fn settings_history(&self, board_id: i64) -> Result<Vec<SettingChange>, StoreError> {
        type Row = (Instant, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = on_pool!(self.pool(), |p| sqlx::query_as(
            "SELECT recorded_at, actor, setting, old_value, new_value FROM settings_changes \
             WHERE board_id = $1 ORDER BY id",
        )
        .bind(board_id)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|(at, by, setting, old_value, new_value)| {
                Ok(SettingChange {
                    at: at.0,
                    by,
                    setting,
                    old_value,
                    new_value,
                })
            })
            .collect()
    }
}
