//! Shared fixtures for the integration tests.

pub mod db;
