//! The quarterly VAW briefing digest and the reminder post: built once as values, then
//! rendered for each place they go.
//!
//! - [`build`]: the [`Digest`] — a pure function of the board's record and an as-of date, plus
//!   a loader that reads the store.
//! - [`reminder`]: the [`Reminder`] — overdue and due-soon actions grouped by owner, with
//!   escalations; `None` when there is nothing to say.
//! - [`render`]: JSON (the CLI contract), Markdown, Discord messages (plain data within
//!   Discord's limits) and a PNG chart.

pub mod build;
pub mod reminder;
pub mod render;

pub use build::{build_digest, load_digest, Digest, DigestInput};
pub use reminder::{build_reminder, load_reminder, Reminder};
