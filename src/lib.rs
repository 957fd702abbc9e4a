//! # briefing-bot
//!
//! Keeps an oversight board's recommendations and actions honest.
//!
//! ## Layout (read this first)
//! - [`domain`]: the board's vocabulary as types — refs, statuses, dates, quarters, records.
//! - [`clock`]: where "now" comes from; injected everywhere time matters.

pub mod clock;
pub mod domain;
