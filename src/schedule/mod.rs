//! Scheduled posts: the quarterly digest and the reminders, each exactly once per due time.
//!
//! - [`runner`]: sleeps until the earliest next fire time across boards (no polling), wakes
//!   early when a schedule changes, claims each due post in the database before posting,
//!   retries what Discord asks to be retried, and logs every attempt.
//!
//! - [`poster`]: the production poster — builds digests, reminders and meeting briefs and
//!   sends them through [`crate::delivery`] to Discord and to Slack / Teams webhooks.
//!
//! What a post says and where it goes are behind the [`runner::Poster`] trait, so the runner is
//! tested on its own with a recording poster and a test clock.

pub mod poster;
pub mod runner;

pub use runner::{Job, Poster, Runner, RunnerSettings};
