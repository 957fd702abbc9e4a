//! Shared fixtures for the integration tests.

pub mod boards;
pub mod bot;
pub mod db;
pub mod fake_discord;
pub mod schema;

/// The value of one series in a `/metrics` page, by its name and labels as printed.
pub fn series(page: &str, name_and_labels: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
}
