//! Renderers: each a function of a [`super::Digest`] or [`super::Reminder`] value.

pub mod chart;
pub mod discord;
pub mod json;
pub mod markdown;
