//! The quarterly VAW briefing digest, the reminder post and the pre-meeting brief: built once as values, then
//! rendered for each place they go.
//!
//! - [`build`]: the [`Digest`] — a pure function of the board's record and an as-of date, plus
//!   a loader that reads the store.
//! - [`reminder`]: the [`Reminder`] — overdue and due-soon actions grouped by owner, with
//!   escalations; `None` when there is nothing to say.
//! - [`nudge`]: the follow-up some days after a reminder — only what nobody has answered
//!   since, only to the officers concerned.
//! - [`brief`]: the [`MeetingBrief`] — the presenting boroughs' action plans before a
//!   meeting, and when it is due.
//! - [`monitoring`]: the monitoring section — the board's indicators board-wide and by area,
//!   quarter on quarter and year on year, exceptions, missing returns and the trend.
//! - [`since_last`]: "what changed since the last digest", against the latest archived one.
//! - [`archive`]: a digest as posted — rendered once, archived, sent and replayed from the
//!   archive.
//! - [`render`]: JSON (the CLI contract), Markdown, Discord messages (plain data within
//!   Discord's limits) and a PNG chart.

pub mod archive;
pub mod brief;
pub mod build;
pub mod monitoring;
pub mod nudge;
pub mod reminder;
pub mod render;
pub mod since_last;

pub use brief::{brief_due_at, meeting_brief, BoroughBrief, MeetingBrief};
pub use build::{build_digest, load_digest, load_digest_as_it_stood, Digest, DigestInput};
pub use reminder::{build_reminder, load_reminder, Reminder};
