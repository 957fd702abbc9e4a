//! # briefing-bot
//!
//! Keeps an oversight board's recommendations and actions honest: stores them, posts the
//! quarterly briefing digest and overdue reminders, and lets officers update status.
//!
//! ## Layout (read this first)
//! Data flows one way: CLI arguments / slash commands / schedule ticks are parsed into domain
//! types, a service function does the work against the store, and the result is rendered.
//!
//! - [`domain`]: the board's vocabulary as types — refs, statuses, dates, quarters, records,
//!   indicators and their figures (with the small-number rule and directions of travel),
//!   webhook destinations (their URLs kept secret), and the spreadsheet-safe CSV cell rule.
//!   No I/O; knows nothing of Discord, the CLI or the database.
//! - [`clock`]: where "now" comes from; injected wherever time matters.
//! - [`config`]: layered settings (built-in defaults, file, environment); secrets wrapped,
//!   unknown keys refused with the nearest known one.
//! - [`digest`]: the quarterly briefing, the reminder post and the pre-meeting brief, built once
//!   and rendered as JSON, Markdown, Discord messages, a chart and the HTML board paper, with
//!   the monitoring section of the board's figures (`digest::monitoring`, worded once in
//!   `render::figures`) and its trend chart; a posted digest archived and sent from the
//!   archive, and what changed since the last one.
//!   `digest::render::discord` is the Discord message model (`message`: content, embeds,
//!   files, whom it may ping, Discord's limits) with its primitives (`escape`, `lines`,
//!   `attachments` for the CSV files) and one file per message kind (`digest`, `reminder`,
//!   `brief`, and the digest's `monitoring` section).
//! - [`store`]: the database — one implementation over typed SQLite and PostgreSQL pools,
//!   migrations, append-only history whose every entry keeps the record as its change left it
//!   (so the record as it stood at any instant can be read back), the digest archive, and the
//!   indicators, their figures and every revision of them;
//!   writes wait their turn and never fail on a lock upgrade.
//! - [`services`]: what people do — import, export (the record, and the indicators and figures),
//!   update an action, sign it off or reopen it,
//!   close a recommendation, configure a board (each settings change recorded in the settings
//!   history).
//! - [`delivery`]: the senders — messages to a Discord channel (with nonces), the digest to Slack
//!   and Teams webhooks — and the error saying whether to try again.
//! - [`schedule`]: scheduled posts — cron in board time, exactly once across processes.
//! - [`sample`]: the sample board shipped with the bot, from the seed documents.
//! - [`demo`]: `briefing-bot demo`, the main job on a laptop.
//! - [`discord`]: the Discord bot — slash commands as a thin adapter over the services, and
//!   `discord::components`: clicks on the controls the bot puts on its messages (a reminder's
//!   menu, its Update / Done / New date forms, "Preview my actions" on the digest), every
//!   click's state read from its custom id so controls survive restarts.
//! - [`cli`]: the command line, a thin adapter over the services.
//! - [`check`]: `briefing-bot check`, an operator's checklist with fixes; `run` starts with it.
//! - [`monitoring`]: metrics and the opt-in `/healthz` and `/metrics` endpoint.

pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod digest;
pub mod discord;
pub mod domain;
pub mod monitoring;
pub mod sample;
pub mod schedule;
pub mod services;
pub mod store;
