//! The integration tests, as one binary (linking one is much faster than many on a small
//! machine). Each module covers one area; `support` holds the shared test fixtures.

mod archive;
mod board_paper;
mod cli;
mod concurrency;
mod crash_safety;
mod delivery;
mod digest;
mod discord;
mod exactly_once;
mod fake_discord;
mod fuzz_regressions;
mod hostile_text;
mod import;
mod indicators;
mod layering;
mod lease;
mod nudges;
mod operations;
mod point_in_time;
mod redaction;
mod reminder_controls;
mod schedule;
mod schedules_meant;
mod secrets;
mod settings_history;
mod sign_off;
mod spreadsheet_safety;
mod store_contract;
mod support;
mod upgrade;
