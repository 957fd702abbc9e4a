//! Boards and their settings.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Store, StoreError, Transaction};
use crate::domain::dates::timestamp_to_text;
use crate::domain::{
    Board, BoardSettings, BoardSlug, ChatSettings, Schedule, TimeZone, YearStartMonth,
};

const BOARD_COLUMNS: &str = "id, slug, name, time_zone, year_start_month, remind_before_days, \
    escalate_after_days, guild_id, digest_channel_id, reminder_channel_id, officer_role_id, \
    admin_role_id, officers_update_any, digest_schedule, reminder_schedule, catch_up_days, \
    meeting_brief_days";

/// A snowflake id stored as text.
fn id_column(row: &AnyRow, column: &str) -> Result<Option<u64>, StoreError> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| {
        t.parse()
            .map_err(|_| StoreError::Corrupt(format!("{column} {t:?} is not an id")))
    })
    .transpose()
}

fn board_from_row(row: &AnyRow) -> Result<Board, StoreError> {
    let slug: String = row.try_get("slug")?;
    let tz: String = row.try_get("time_zone")?;
    let month: i64 = row.try_get("year_start_month")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("board {slug}: {what}"));
    Ok(Board {
        id: row.try_get("id")?,
        slug: BoardSlug::parse(&slug).map_err(|e| corrupt(&e.to_string()))?,
        name: row.try_get("name")?,
        settings: BoardSettings {
            time_zone: TimeZone::parse(&tz).map_err(|e| corrupt(&e.to_string()))?,
            year_start_month: YearStartMonth::new(month as u32)
                .map_err(|e| corrupt(&e.to_string()))?,
            remind_before_days: row.try_get::<i64, _>("remind_before_days")?.max(0) as u32,
            escalate_after_days: row.try_get::<i64, _>("escalate_after_days")?.max(0) as u32,
            digest_schedule: Schedule::parse(&row.try_get::<String, _>("digest_schedule")?)
                .map_err(|e| corrupt(&e.to_string()))?,
            reminder_schedule: Schedule::parse(&row.try_get::<String, _>("reminder_schedule")?)
                .map_err(|e| corrupt(&e.to_string()))?,
            catch_up_days: row.try_get::<i64, _>("catch_up_days")?.max(0) as u32,
            meeting_brief_days: row.try_get::<i64, _>("meeting_brief_days")?.max(0) as u32,
        },
        chat: ChatSettings {
            server_id: id_column(row, "guild_id")?,
            digest_channel: id_column(row, "digest_channel_id")?,
            reminder_channel: id_column(row, "reminder_channel_id")?,
            officer_role: id_column(row, "officer_role_id")?,
            admin_role: id_column(row, "admin_role_id")?,
            officers_update_any: row.try_get::<i64, _>("officers_update_any")? != 0,
        },
    })
}

impl Store {
    /// Every board in the database, by slug.
    pub async fn boards(&self) -> Result<Vec<Board>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {BOARD_COLUMNS} FROM boards ORDER BY slug"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(board_from_row).collect()
    }

    /// The board with this slug, if there is one.
    pub async fn board(&self, slug: &BoardSlug) -> Result<Option<Board>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE slug = $1"
        ))
        .bind(slug.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(board_from_row).transpose()
    }

    /// The board bound to a Discord server, if any.
    pub async fn board_for_server(&self, server_id: u64) -> Result<Option<Board>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE guild_id = $1"
        ))
        .bind(server_id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(board_from_row).transpose()
    }
}

impl Transaction {
    /// The board with this slug, read inside the transaction (and, on PostgreSQL, locked, so a
    /// settings change is based on the settings it replaces).
    pub async fn board(&mut self, slug: &BoardSlug) -> Result<Option<Board>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE slug = $1{}",
            self.lock_clause()
        ))
        .bind(slug.as_str())
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(board_from_row).transpose()
    }

    /// A board by id, read inside the transaction (and locked on PostgreSQL), so a settings
    /// change is based on the settings it replaces.
    pub(crate) async fn board_by_id(&mut self, id: i64) -> Result<Option<Board>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE id = $1{}",
            self.lock_clause()
        ))
        .bind(id)
        .fetch_optional(self.connection())
        .await?;
        row.as_ref().map(board_from_row).transpose()
    }

    /// Overwrite a board's name, settings and chat settings (its settings history is appended
    /// separately). Fails if another board is bound to the same server.
    pub(crate) async fn update_board(&mut self, board: &Board) -> Result<(), StoreError> {
        let id = |v: Option<u64>| v.map(|v| v.to_string());
        let (settings, chat) = (&board.settings, &board.chat);
        sqlx::query(
            "UPDATE boards SET name = $1, time_zone = $2, year_start_month = $3, \
             remind_before_days = $4, escalate_after_days = $5, digest_schedule = $6, \
             reminder_schedule = $7, catch_up_days = $8, meeting_brief_days = $9, \
             guild_id = $10, digest_channel_id = $11, reminder_channel_id = $12, \
             officer_role_id = $13, admin_role_id = $14, officers_update_any = $15 WHERE id = $16",
        )
        .bind(&board.name)
        .bind(settings.time_zone.name())
        .bind(settings.year_start_month.get() as i64)
        .bind(settings.remind_before_days as i64)
        .bind(settings.escalate_after_days as i64)
        .bind(settings.digest_schedule.to_string())
        .bind(settings.reminder_schedule.to_string())
        .bind(settings.catch_up_days as i64)
        .bind(settings.meeting_brief_days as i64)
        .bind(id(chat.server_id))
        .bind(id(chat.digest_channel))
        .bind(id(chat.reminder_channel))
        .bind(id(chat.officer_role))
        .bind(id(chat.admin_role))
        .bind(chat.officers_update_any as i64)
        .bind(board.id)
        .execute(self.connection())
        .await
        .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Create a board inside this transaction, so it exists only if the rest commits too.
    pub async fn create_board(
        &mut self,
        slug: &BoardSlug,
        name: &str,
        settings: &BoardSettings,
        at: DateTime<Utc>,
    ) -> Result<Board, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO boards (slug, name, time_zone, year_start_month, remind_before_days, \
             escalate_after_days, digest_schedule, reminder_schedule, catch_up_days, \
             meeting_brief_days, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(slug.as_str())
        .bind(name)
        .bind(settings.time_zone.name())
        .bind(settings.year_start_month.get() as i64)
        .bind(settings.remind_before_days as i64)
        .bind(settings.escalate_after_days as i64)
        .bind(settings.digest_schedule.to_string())
        .bind(settings.reminder_schedule.to_string())
        .bind(settings.catch_up_days as i64)
        .bind(settings.meeting_brief_days as i64)
        .bind(timestamp_to_text(at))
        .fetch_one(self.connection())
        .await
        .map_err(|e| self.classify(e))?;
        Ok(Board {
            id,
            slug: slug.clone(),
            name: name.to_string(),
            settings: settings.clone(),
            chat: ChatSettings::default(),
        })
    }
}
