//! Discord messages as plain data: content, embeds, attached files and exactly who may be
//! pinged. The Discord adapter turns these into API requests; keeping them plain lets tests
//! check every limit without a client.
//!
//! Every message stays within Discord's documented limits. Lists too long to show end with
//! "…and N more" and the full list is attached as a file, so nothing is silently dropped.
//!
//! - [`message`]: the message model (content, embeds, files, whom it may ping), Discord's
//!   limits, and packing embeds into as few messages as those allow.
//! - [`escape`]: user text made inert (no pings, no formatting, no link previews).
//! - [`lines`]: lists with "…and N more", dates as the board reads them, one line per action.
//! - [`attachments`]: the full lists as CSV files, cells guarded as the exports are.
//! - [`controls`]: select menus and buttons as plain data, and the custom ids that carry
//!   everything a click needs (board, post, action ref, version), so they survive restarts.
//! - One file per message kind: [`digest`], [`reminder`], [`brief`]; the digest's
//!   [`monitoring`] section in its own.

pub mod attachments;
pub mod brief;
pub mod controls;
pub mod digest;
pub mod escape;
pub mod lines;
pub mod message;
pub mod monitoring;
pub mod reminder;

pub use brief::brief_message;
pub use digest::{digest_messages, with_preview_button};
pub use escape::escape;
pub use lines::{
    action_status_line, due_phrase, fit, join_counted, join_within, short_date, short_local_time,
};
pub use message::{limits, pack, Embed, File, Message};
pub use reminder::{mark_updated, reminder_messages, reminder_messages_with_controls};
