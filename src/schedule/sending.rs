//! The bookkeeping of one post's messages while they are sent: which are confirmed, which
//! may have arrived without a confirmation (the sender died or lost its connection between
//! sending and recording), and the nonce each carries.
//!
//! A poster sends message by message through this: `start` before each (it renews the claim
//! and refuses if another process has taken the post over), `confirm` once the destination
//! has it. A retry or a takeover then continues from the first unconfirmed message.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::delivery::DeliveryError;
use crate::store::{PartRecord, Store};

/// One post being sent by this process.
pub struct Sending {
    store: Store,
    clock: Arc<dyn Clock>,
    post_id: i64,
    worker: String,
    lease: Duration,
    parts: Vec<PartRecord>,
    lost: bool,
}

impl Sending {
    /// The post `post_id`, claimed by `worker`, with the messages recorded so far.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        post_id: i64,
        worker: String,
        lease: Duration,
        parts: Vec<PartRecord>,
    ) -> Self {
        Self {
            store,
            clock,
            post_id,
            worker,
            lease,
            parts,
            lost: false,
        }
    }

    /// The nonce of message `part`: the same on every attempt and after a takeover, so a
    /// destination that de-duplicates by nonce (Discord, for a few minutes) shows it once.
    pub fn nonce(&self, part: u32) -> String {
        format!("bb{}-{part}", self.post_id)
    }

    fn record(&self, part: u32) -> Option<&PartRecord> {
        self.parts.iter().find(|p| p.part == part)
    }

    /// This process's copy of the record of `part`, made (as started at `now`) if missing.
    fn record_mut(&mut self, part: u32, now: DateTime<Utc>) -> &mut PartRecord {
        let index = match self.parts.iter().position(|p| p.part == part) {
            Some(index) => index,
            None => {
                self.parts.push(PartRecord {
                    part,
                    started_at: now,
                    message_id: None,
                });
                self.parts.len() - 1
            }
        };
        &mut self.parts[index]
    }

    /// The post's id in the delivery log (what a message's controls name as their post).
    pub fn post_id(&self) -> i64 {
        self.post_id
    }

    /// The message id of `part` if the destination has confirmed it: do not send it again.
    pub fn confirmed(&self, part: u32) -> Option<&str> {
        self.record(part).and_then(|p| p.message_id.as_deref())
    }

    /// When sending `part` started, if it started (on an earlier attempt, or in a process
    /// that died) but was never confirmed: it may have arrived, so look before sending again.
    pub fn maybe_sent_since(&self, part: u32) -> Option<DateTime<Utc>> {
        self.record(part)
            .filter(|p| p.message_id.is_none())
            .map(|p| p.started_at)
    }

    /// The process sending it (as the delivery log names it).
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The first message's id, once it is confirmed.
    pub fn first_message_id(&self) -> Option<String> {
        self.confirmed(0).map(str::to_string)
    }

    /// True once another process has taken the post over: stop sending.
    pub fn lost_claim(&self) -> bool {
        self.lost
    }

    /// Record that message `part` is about to be sent (renewing the claim). Refused when
    /// another process has taken the post over, or the record cannot be written: sending
    /// without a record could post it twice.
    pub async fn start(&mut self, part: u32) -> Result<(), DeliveryError> {
        let now = self.clock.now();
        let held = self
            .store
            .start_part(self.post_id, part, &self.worker, now, now + self.lease)
            .await
            .map_err(|e| DeliveryError::Retry {
                status: None,
                retry_after: None,
                detail: format!("could not record the message before sending it: {e}"),
            })?;
        if !held {
            self.lost = true;
            return Err(DeliveryError::Permanent {
                status: None,
                detail: "another process took this post over".into(),
            });
        }
        self.record_mut(part, now).started_at = now;
        Ok(())
    }

    /// The destination answered that it did not take message `part` (a refusal, not a lost
    /// answer): the next attempt sends it without looking for it first.
    pub fn not_sent(&mut self, part: u32) {
        self.parts
            .retain(|p| p.part != part || p.message_id.is_some());
    }

    /// Record that the destination confirmed message `part` as `message_id`. A failure to
    /// record is a temporary failure: the retry finds the message and does not repeat it.
    pub async fn confirm(&mut self, part: u32, message_id: &str) -> Result<(), DeliveryError> {
        let now = self.clock.now();
        self.store
            .confirm_part(self.post_id, part, message_id, now)
            .await
            .map_err(|e| DeliveryError::Retry {
                status: None,
                retry_after: None,
                detail: format!("sent, but could not record it: {e}"),
            })?;
        self.record_mut(part, now).message_id = Some(message_id.to_string());
        Ok(())
    }
}
