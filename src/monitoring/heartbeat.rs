//! The scheduler's heartbeat: when it last completed a pass, so `/healthz` can tell a
//! scheduler that stopped (a panic, a hung database call) from one that is sleeping.
//!
//! The scheduler sleeps at most its longest sleep between passes, so a healthy one completes
//! a pass at least that often; twice that with no pass means it is not running.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;

/// Shared between the scheduler (which beats) and the health check (which looks).
#[derive(Clone)]
pub struct Heartbeat(Arc<Inner>);

struct Inner {
    clock: Arc<dyn Clock>,
    started: DateTime<Utc>,
    longest_sleep: Duration,
    last_pass: Mutex<Option<DateTime<Utc>>>,
}

impl std::fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heartbeat")
            .field("last_pass", &self.last_pass())
            .finish()
    }
}

impl Heartbeat {
    /// A heartbeat for a scheduler that sleeps at most `longest_sleep` between passes.
    pub fn new(clock: Arc<dyn Clock>, longest_sleep: Duration) -> Self {
        let started = clock.now();
        Self(Arc::new(Inner {
            clock,
            started,
            longest_sleep,
            last_pass: Mutex::new(None),
        }))
    }

    /// A pass over every board finished (whatever it posted or failed to post).
    pub fn pass_completed(&self) {
        let now = self.0.clock.now();
        *self.0.last_pass.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    /// When the last pass finished, if any has.
    pub fn last_pass(&self) -> Option<DateTime<Utc>> {
        *self.0.last_pass.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long without a completed pass before the scheduler counts as stopped.
    pub fn allowed_gap(&self) -> Duration {
        self.0.longest_sleep * 2
    }

    /// Why the scheduler counts as stopped, or None while it keeps completing passes. Before
    /// its first pass, the gap is counted from when the process started.
    pub fn problem(&self) -> Option<String> {
        let now = self.0.clock.now();
        let since = self.last_pass().unwrap_or(self.0.started);
        let gap = now - since;
        (gap > self.allowed_gap()).then(|| match self.last_pass() {
            Some(at) => format!(
                "no pass completed since {} ({} s ago; allowed {} s)",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                gap.num_seconds(),
                self.allowed_gap().num_seconds()
            ),
            None => format!(
                "no pass completed in the {} s since it started (allowed {} s)",
                gap.num_seconds(),
                self.allowed_gap().num_seconds()
            ),
        })
    }
}
