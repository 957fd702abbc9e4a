//! The Discord bot: a thin adapter from slash commands to the services.
//!
//! - [`client`]: builds the serenity client (optionally against another API base URL), runs it
//!   until shutdown, registers commands with retries.
//! - [`access`]: who is a member, an officer or the secretariat on a board, and what the bot
//!   itself may do in a channel.
//! - [`lease`]: one process per gateway shard; a second process with the same shards waits
//!   as a standby, and a holder that cannot renew its lease disconnects before it can run out.
//! - [`format`]: how records look in Discord — escaping user text, embeds, lists that respect
//!   Discord's limits.
//! - [`error`]: errors users can fix (shown to them privately) versus unexpected ones (logged
//!   with a reference id; the user sees a short apology with the reference).
//! - [`post`]: the renderers' plain messages as private replies (previews), pinging nobody.
//! - [`telemetry`]: one log line and the metrics for every command.
//! - [`commands`]: the slash commands, one file per feature.
//! - [`components`]: clicks on the controls the bot puts on its messages (reminder actions,
//!   "Preview my actions") and the forms they open; all state is in the custom ids.

pub mod access;
pub mod client;
pub mod commands;
pub mod components;
pub mod error;
pub mod format;
pub mod lease;
pub mod post;
pub mod telemetry;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::ScheduleSettings;
use crate::domain::{Board, BoardSettings};
use crate::monitoring::Metrics;
use crate::store::Store;

pub use error::BotError;

/// What every command can reach.
pub struct Data {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Settings a board starts with when `/setup board` creates it.
    pub new_board_settings: BoardSettings,
    /// Which posting schedules may be saved (`schedule.allow_frequent`).
    pub schedule: ScheduleSettings,
    /// Wakes the scheduler when a board's schedules or destinations change.
    pub schedule_changed: crate::schedule::Wakeup,
    /// Commands handled, their latency and outcomes; shared with the scheduler and `/metrics`.
    pub metrics: Metrics,
    /// How long this deployment keeps backups (`backups.keep_days`), which a redaction's reply
    /// names: backups taken before it still hold the text.
    pub backup_keep_days: u32,
}

impl Data {
    /// What the commands need, with a fresh scheduler wake-up handle and fresh metrics.
    pub fn new(store: Store, clock: Arc<dyn Clock>, new_board_settings: BoardSettings) -> Self {
        Self {
            store,
            clock,
            new_board_settings,
            schedule: ScheduleSettings::default(),
            schedule_changed: crate::schedule::Wakeup::new(),
            metrics: Metrics::new(),
            backup_keep_days: 35,
        }
    }
}

impl Data {
    /// The same, with the deployment's schedule settings instead of the defaults.
    pub fn with_schedule_settings(mut self, schedule: ScheduleSettings) -> Self {
        self.schedule = schedule;
        self
    }

    /// The same, with the deployment's backup retention (`backups.keep_days`).
    pub fn with_backup_keep_days(mut self, days: u32) -> Self {
        self.backup_keep_days = days;
        self
    }
}

/// The poise context every command receives.
pub type Context<'a> = poise::Context<'a, Data, BotError>;

/// The board bound to the server the command came from.
pub async fn current_board(ctx: Context<'_>) -> Result<Board, BotError> {
    let Some(guild) = ctx.guild_id() else {
        return Err(BotError::user(
            "Use this command in the board's Discord server, not in a direct message.",
        ));
    };
    let board = ctx
        .data()
        .store
        .board_for_server(guild.get())
        .await?
        .ok_or_else(|| {
            BotError::user(
                "This server is not linked to a board yet. Someone with Manage Server should run \
                 `/setup board` with the board's short name (e.g. `dsvb`).",
            )
        })?;
    telemetry::note_board(ctx, board.slug.as_str()).await;
    Ok(board)
}
