//! Boards and their settings.

use chrono::{DateTime, Utc};

use super::values::Instant;
use super::{Store, StoreError, Transaction};
use crate::domain::{
    Board, BoardSettings, BoardSlug, ChatSettings, MonitoringSettings, Schedule, TimeZone,
    YearStartMonth,
};

const BOARD_COLUMNS: &str = "id, slug, name, time_zone, year_start_month, remind_before_days, \
    escalate_after_days, guild_id, digest_channel_id, reminder_channel_id, officer_role_id, \
    admin_role_id, officers_update_any, digest_schedule, reminder_schedule, catch_up_days, \
    meeting_brief_days, sign_off_required, response_days, flag_after_moves, exception_percent, \
    exception_min_count, hide_small_numbers, trend_indicators, nudge_after_days";

/// A board as its columns are read (one decode path for both backends).
#[derive(sqlx::FromRow)]
struct BoardRow {
    id: i64,
    slug: String,
    name: String,
    time_zone: String,
    year_start_month: i64,
    remind_before_days: i64,
    escalate_after_days: i64,
    guild_id: Option<String>,
    digest_channel_id: Option<String>,
    reminder_channel_id: Option<String>,
    officer_role_id: Option<String>,
    admin_role_id: Option<String>,
    officers_update_any: i64,
    digest_schedule: String,
    reminder_schedule: String,
    catch_up_days: i64,
    meeting_brief_days: i64,
    sign_off_required: i64,
    response_days: i64,
    flag_after_moves: i64,
    exception_percent: i64,
    exception_min_count: i64,
    hide_small_numbers: i64,
    trend_indicators: String,
    nudge_after_days: i64,
}

impl BoardRow {
    fn into_board(self) -> Result<Board, StoreError> {
        let slug = self.slug;
        let corrupt = |what: &str| StoreError::Corrupt(format!("board {slug}: {what}"));
        // A snowflake id stored as text.
        let id = |column: &str, text: Option<String>| {
            text.map(|t| {
                t.parse()
                    .map_err(|_| corrupt(&format!("{column} {t:?} is not an id")))
            })
            .transpose()
        };
        let days = |n: i64| n.max(0) as u32;
        Ok(Board {
            id: self.id,
            name: self.name,
            settings: BoardSettings {
                time_zone: TimeZone::parse(&self.time_zone).map_err(|e| corrupt(&e.to_string()))?,
                year_start_month: YearStartMonth::new(days(self.year_start_month))
                    .map_err(|e| corrupt(&e.to_string()))?,
                remind_before_days: days(self.remind_before_days),
                escalate_after_days: days(self.escalate_after_days),
                digest_schedule: Schedule::parse(&self.digest_schedule)
                    .map_err(|e| corrupt(&e.to_string()))?,
                reminder_schedule: Schedule::parse(&self.reminder_schedule)
                    .map_err(|e| corrupt(&e.to_string()))?,
                catch_up_days: days(self.catch_up_days),
                meeting_brief_days: days(self.meeting_brief_days),
                sign_off_required: self.sign_off_required != 0,
                response_days: days(self.response_days),
                flag_after_moves: days(self.flag_after_moves),
                nudge_after_days: match days(self.nudge_after_days) {
                    0 => None,
                    n => Some(n),
                },
                monitoring: MonitoringSettings {
                    exception_percent: days(self.exception_percent),
                    exception_min_count: days(self.exception_min_count),
                    hide_small_numbers: self.hide_small_numbers != 0,
                    trend_indicators: self
                        .trend_indicators
                        .split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_string)
                        .collect(),
                },
            },
            chat: ChatSettings {
                server_id: id("guild_id", self.guild_id)?,
                digest_channel: id("digest_channel_id", self.digest_channel_id)?,
                reminder_channel: id("reminder_channel_id", self.reminder_channel_id)?,
                officer_role: id("officer_role_id", self.officer_role_id)?,
                admin_role: id("admin_role_id", self.admin_role_id)?,
                officers_update_any: self.officers_update_any != 0,
            },
            slug: BoardSlug::parse(&slug).map_err(|e| corrupt(&e.to_string()))?,
        })
    }
}

impl Store {
    /// Every board in the database, by slug.
    pub async fn boards(&self) -> Result<Vec<Board>, StoreError> {
        let rows: Vec<BoardRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards ORDER BY slug"
        ))
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(BoardRow::into_board).collect()
    }

    /// The board with this slug, if there is one.
    pub async fn board(&self, slug: &BoardSlug) -> Result<Option<Board>, StoreError> {
        let row: Option<BoardRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE slug = $1"
        ))
        .bind(slug.as_str())
        .fetch_optional(p)
        .await)?;
        row.map(BoardRow::into_board).transpose()
    }

    /// The board with this id, if it is still there (what a control on a message names).
    pub async fn board_by_id(&self, id: i64) -> Result<Option<Board>, StoreError> {
        let row: Option<BoardRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(p)
        .await)?;
        row.map(BoardRow::into_board).transpose()
    }

    /// The board bound to a Discord server, if any.
    pub async fn board_for_server(&self, server_id: u64) -> Result<Option<Board>, StoreError> {
        let row: Option<BoardRow> = on_pool!(self.pool(), |p| sqlx::query_as(&format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE guild_id = $1"
        ))
        .bind(server_id.to_string())
        .fetch_optional(p)
        .await)?;
        row.map(BoardRow::into_board).transpose()
    }
}

impl Transaction {
    /// The board with this slug, read inside the transaction (and, on PostgreSQL, locked, so a
    /// settings change is based on the settings it replaces).
    pub async fn board(&mut self, slug: &BoardSlug) -> Result<Option<Board>, StoreError> {
        let sql = format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE slug = $1{}",
            self.lock_clause()
        );
        let row: Option<BoardRow> = on_tx!(self.driver(), |c| sqlx::query_as(&sql)
            .bind(slug.as_str())
            .fetch_optional(c)
            .await)?;
        row.map(BoardRow::into_board).transpose()
    }

    /// A board by id, read inside the transaction (and locked on PostgreSQL), so a settings
    /// change is based on the settings it replaces.
    pub(crate) async fn board_by_id(&mut self, id: i64) -> Result<Option<Board>, StoreError> {
        let sql = format!(
            "SELECT {BOARD_COLUMNS} FROM boards WHERE id = $1{}",
            self.lock_clause()
        );
        let row: Option<BoardRow> = on_tx!(self.driver(), |c| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(c)
            .await)?;
        row.map(BoardRow::into_board).transpose()
    }

    /// Overwrite a board's name, settings and chat settings (its settings history is appended
    /// separately). Fails if another board is bound to the same server.
    pub(crate) async fn update_board(&mut self, board: &Board) -> Result<(), StoreError> {
        let id = |v: Option<u64>| v.map(|v| v.to_string());
        let (settings, chat) = (&board.settings, &board.chat);
        on_tx!(self.driver(), |c| sqlx::query(
            "UPDATE boards SET name = $1, time_zone = $2, year_start_month = $3, \
             remind_before_days = $4, escalate_after_days = $5, digest_schedule = $6, \
             reminder_schedule = $7, catch_up_days = $8, meeting_brief_days = $9, \
             guild_id = $10, digest_channel_id = $11, reminder_channel_id = $12, \
             officer_role_id = $13, admin_role_id = $14, officers_update_any = $15, \
             sign_off_required = $16, response_days = $17, flag_after_moves = $18, \
             exception_percent = $19, exception_min_count = $20, hide_small_numbers = $21, \
             trend_indicators = $22, nudge_after_days = $23 WHERE id = $24",
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
        .bind(settings.sign_off_required as i64)
        .bind(settings.response_days as i64)
        .bind(settings.flag_after_moves as i64)
        .bind(settings.monitoring.exception_percent as i64)
        .bind(settings.monitoring.exception_min_count as i64)
        .bind(settings.monitoring.hide_small_numbers as i64)
        .bind(settings.monitoring.trend_indicators.join(","))
        .bind(settings.nudge_after_days.unwrap_or(0) as i64)
        .bind(board.id)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
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
        let id: i64 = on_tx!(self.driver(), |c| sqlx::query_scalar(
            "INSERT INTO boards (slug, name, time_zone, year_start_month, remind_before_days, \
             escalate_after_days, digest_schedule, reminder_schedule, catch_up_days, \
             meeting_brief_days, created_at, sign_off_required, response_days, \
             flag_after_moves, exception_percent, exception_min_count, hide_small_numbers, \
             trend_indicators, nudge_after_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
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
        .bind(Instant(at))
        .bind(settings.sign_off_required as i64)
        .bind(settings.response_days as i64)
        .bind(settings.flag_after_moves as i64)
        .bind(settings.monitoring.exception_percent as i64)
        .bind(settings.monitoring.exception_min_count as i64)
        .bind(settings.monitoring.hide_small_numbers as i64)
        .bind(settings.monitoring.trend_indicators.join(","))
        .bind(settings.nudge_after_days.unwrap_or(0) as i64)
        .fetch_one(c)
        .await)
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
