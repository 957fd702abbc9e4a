//! Scheduled posts: the quarterly digest, the reminders and the pre-meeting briefs, each
//! exactly once per occasion (a period, a board-local day, a meeting).
//!
//! - [`runner`]: sleeps until the earliest next fire time across boards (no polling), wakes
//!   early when a schedule changes, claims each due occasion in the database before posting,
//!   retries what Discord asks to be retried, logs every attempt, and is restarted by its
//!   supervisor if it ever dies of a bug.
//! - [`sending`]: the per-message record of a post being sent, so a retry or a takeover
//!   resumes after the messages already confirmed.
//! - [`wakeup`]: the handle settings changes signal, which cannot lose a wake-up.
//!
//! - [`poster`]: the production poster — builds digests, reminders and meeting briefs and
//!   sends them through [`crate::delivery`] to Discord and to Slack / Teams webhooks.
//!
//! What a post says and where it goes are behind the [`runner::Poster`] trait, so the runner is
//! tested on its own with a recording poster and a test clock.

pub mod poster;
pub mod runner;
pub mod sending;
pub mod wakeup;

pub use runner::{Due, Job, Poster, Runner, RunnerSettings};
pub use sending::Sending;
pub use wakeup::Wakeup;
