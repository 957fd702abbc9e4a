//! Sending posts: the senders for Discord channels and for Slack / Teams webhooks, and the one
//! error type they share, which tells the scheduler whether an attempt is worth repeating.
//!
//! - [`discord`]: the renderers' plain messages as Discord requests (pinging exactly whom they
//!   may), posted to a channel with nonces Discord de-duplicates by.
//! - [`webhook`]: the same post as a Slack or Teams webhook body.
//!
//! Nothing here knows about slash commands or schedules; the scheduler and the slash commands
//! both send through these.

pub mod discord;
pub mod webhook;

/// Why a delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again (rate limited, server error, network trouble), after `retry_after`
    /// if the destination said how long to wait.
    #[error("temporary failure{}: {detail}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Retry {
        status: Option<u16>,
        retry_after: Option<std::time::Duration>,
        detail: String,
    },
    /// Will not work until someone changes something (channel gone, permission removed).
    #[error("permanent failure{}: {detail}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Permanent { status: Option<u16>, detail: String },
}
