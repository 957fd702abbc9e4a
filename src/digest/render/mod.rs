//! Renderers: each a function of a [`super::Digest`], [`super::Reminder`] or
//! [`super::MeetingBrief`] value.

pub mod chart;
pub mod discord;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

/// Counts by name in words, leaving out the zeros: "3 implemented, 16 open".
pub(crate) fn counts_in_words(counts: &std::collections::BTreeMap<&'static str, usize>) -> String {
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect::<Vec<_>>()
        .join(", ")
}
