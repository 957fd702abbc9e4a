//! Renderers: each a function of a [`super::Digest`], [`super::Reminder`] or
//! [`super::MeetingBrief`] value.

pub mod chart;
pub mod discord;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;
