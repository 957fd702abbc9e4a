//! Shared fixtures for the integration tests.

pub mod bot;
pub mod db;
pub mod fake_discord;
pub mod schema;
