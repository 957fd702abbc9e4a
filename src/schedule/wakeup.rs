//! Waking the scheduler when something changes when or where a post goes.
//!
//! A `watch` channel rather than a `Notify`: a change made while the scheduler is busy (not
//! waiting) is still seen when it next waits, because a receiver remembers which version it
//! saw last. With `Notify::notify_waiters` such a change was lost, and the scheduler slept on
//! through it until its longest sleep ran out.

use tokio::sync::watch;

/// The sending side, held by whoever changes settings (the bot's `/setup` commands).
#[derive(Debug, Clone)]
pub struct Wakeup(std::sync::Arc<watch::Sender<u64>>);

impl Default for Wakeup {
    fn default() -> Self {
        Self::new()
    }
}

impl Wakeup {
    pub fn new() -> Self {
        Self(std::sync::Arc::new(watch::Sender::new(0)))
    }

    /// Tell the scheduler a board's schedule, time zone, channels, webhooks or meetings
    /// changed, so it recomputes its next wake-up now.
    pub fn wake(&self) {
        self.0
            .send_modify(|changes| *changes = changes.wrapping_add(1));
    }

    /// How many changes have been signalled (for tests and logs).
    pub fn changes(&self) -> u64 {
        *self.0.borrow()
    }

    /// A receiver that has seen every change so far.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}
