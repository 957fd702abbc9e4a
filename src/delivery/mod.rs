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
pub mod redaction;
pub mod webhook;

/// Why a delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again (rate limited, server error, network trouble), after `retry_after`
    /// if the destination said how long to wait.
    #[error("temporary failure{}: {detail}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Retry {
        status: Option<u16>,
        retry_after: Option<RetryAfter>,
        detail: String,
    },
    /// Will not work until someone changes something (channel gone, permission removed).
    #[error("permanent failure{}: {detail}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Permanent { status: Option<u16>, detail: String },
}

impl DeliveryError {
    /// The HTTP status the destination answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            DeliveryError::Retry { status, .. } | DeliveryError::Permanent { status, .. } => {
                *status
            }
        }
    }
}

/// The longest wait a server's `Retry-After` can impose; a longer one is cut to this, so a
/// misconfigured server cannot silence a board's posts for days.
pub const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// How long a server asked us to wait before trying again: its `Retry-After`, checked before
/// any arithmetic, so nothing a server sends can panic the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// A number of seconds, already clamped to 0 ..= [`MAX_RETRY_AFTER`].
    Wait(std::time::Duration),
    /// An HTTP date; the wait is measured from the scheduler's clock when it retries.
    Until(chrono::DateTime<chrono::Utc>),
}

impl RetryAfter {
    /// Read a `Retry-After` value: delay-seconds (a whole or decimal number; a negative one
    /// means "now") or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`). Anything else, and a
    /// number that is not finite, is ignored: the scheduler's own backoff applies.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<f64>() {
            if !seconds.is_finite() {
                return None;
            }
            let clamped = seconds.clamp(0.0, MAX_RETRY_AFTER.as_secs_f64());
            return Some(RetryAfter::Wait(std::time::Duration::from_secs_f64(
                clamped,
            )));
        }
        chrono::DateTime::parse_from_rfc2822(value)
            .ok()
            .map(|at| RetryAfter::Until(at.with_timezone(&chrono::Utc)))
    }

    /// How long to wait from `now`: never negative, never more than [`MAX_RETRY_AFTER`].
    pub fn wait_from(self, now: chrono::DateTime<chrono::Utc>) -> std::time::Duration {
        match self {
            RetryAfter::Wait(wait) => wait.min(MAX_RETRY_AFTER),
            RetryAfter::Until(at) => (at - now).to_std().unwrap_or_default().min(MAX_RETRY_AFTER),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2015, 10, 21, 7, 0, 0).unwrap()
    }

    #[test]
    fn seconds_are_clamped_to_zero_and_an_hour() {
        let wait = |v: &str| RetryAfter::parse(v).map(|r| r.wait_from(now()));
        assert_eq!(wait("120"), Some(Duration::from_secs(120)));
        assert_eq!(wait(" 0.25 "), Some(Duration::from_millis(250)));
        assert_eq!(wait("-1"), Some(Duration::ZERO));
        assert_eq!(wait("99999999999999999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(wait("3601"), Some(MAX_RETRY_AFTER));
        assert_eq!(wait("3600"), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn what_is_not_a_number_or_a_date_is_ignored() {
        for value in ["NaN", "inf", "-inf", "1e400", "", "soon", "12 seconds"] {
            assert_eq!(RetryAfter::parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn an_http_date_is_a_wait_from_now_within_bounds() {
        let wait = |v: &str| RetryAfter::parse(v).map(|r| r.wait_from(now()));
        assert_eq!(
            wait("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::from_secs(28 * 60))
        );
        assert_eq!(wait("Wed, 21 Oct 2015 06:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(wait("Thu, 22 Oct 2015 07:00:00 GMT"), Some(MAX_RETRY_AFTER));
    }
}
