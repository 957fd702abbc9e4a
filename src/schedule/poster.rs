//! The production poster: builds each scheduled post from the record and sends it to Discord
//! (with a nonce Discord de-duplicates by) and to the board's Slack / Teams webhooks.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::runner::{Job, Poster, PosterFuture};
use super::sending::Sending;
use crate::clock::{Clock, SystemClock};
use crate::delivery::{self, DeliveryError};
use crate::digest::archive::{discord_messages, scheduled_digest};
use crate::digest::nudge::load_nudge;
use crate::digest::render::discord::controls::PostPart;
use crate::digest::render::discord::{
    brief_message, escape, fit, limits, reminder_messages_with_controls, with_preview_button,
    Message,
};
use crate::digest::render::markdown::{brief_markdown, reminder_markdown};
use crate::digest::{brief_due_at, load_reminder, meeting_brief, Reminder};
use crate::domain::Board;
use crate::store::Store;

/// What one scheduled post says: the Discord messages (in order) and the same content as
/// Markdown for webhooks.
#[derive(Debug, Clone)]
pub struct ScheduledPost {
    pub discord: Vec<Message>,
    pub title: String,
    pub markdown: String,
    /// Earlier failed posts this one tells the admins about (marked reported once it is sent).
    pub reports_failures: Vec<i64>,
    /// The digest archive's entry for a digest (sent from it), to record each destination
    /// it reaches.
    pub archived: Option<i64>,
    /// A reminder's part for each officer who gets theirs by direct message (`dm:<officer>`
    /// destinations), with the same controls; an officer with nothing in it has no entry.
    pub dms: Vec<(u64, Vec<Message>)>,
}

/// Sends scheduled posts for real.
pub struct BoardPoster {
    store: Store,
    http: Arc<serenity::Http>,
    web: reqwest::Client,
    /// When a digest is archived as posted and when it reached each destination.
    clock: Arc<dyn Clock>,
}

impl BoardPoster {
    pub fn new(store: Store, http: Arc<serenity::Http>) -> Self {
        Self {
            store,
            http,
            web: reqwest::Client::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Read the time from this clock (the runner's) instead of the system's.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Record that the archived digest `post` carries reached `destination`. A failure is
    /// logged, never returned: the digest was delivered, and sending it again would repeat it.
    async fn record_delivery(&self, board: &Board, destination: &str, post: &ScheduledPost) {
        let Some(archived) = post.archived else {
            return;
        };
        if let Err(e) = self
            .store
            .record_digest_delivery(archived, destination, self.clock.now())
            .await
        {
            tracing::warn!(board = %board.slug, destination, archived, error = %e, "the digest was delivered, but the archive could not record where");
        }
    }

    async fn build(
        &self,
        board: &Board,
        job: Job,
        occasion: &str,
        due_at: DateTime<Utc>,
    ) -> anyhow::Result<Option<ScheduledPost>> {
        let as_of = board.settings.time_zone.today(due_at);
        let post = self.compose(board, job, occasion, as_of, due_at).await?;
        let Some(mut post) = post else {
            return Ok(None);
        };
        // Tell the admins about posts that could not be delivered, at the next chance.
        let failures = self.store.unreported_failures(board.id).await?;
        if let (false, Some(first)) = (failures.is_empty(), post.discord.first_mut()) {
            let lines: Vec<String> = failures
                .iter()
                .map(|f| {
                    format!(
                        "⚠ The {} due {} could not be posted to {}: {}",
                        f.job.replace('_', " "),
                        f.due_at
                            .with_timezone(&board.settings.time_zone.0)
                            .format("%-d %b %Y %H:%M"),
                        f.destination
                            .strip_prefix("discord:")
                            .map(|c| format!("<#{c}>"))
                            .unwrap_or_else(|| f.destination.clone()),
                        escape(f.last_error.as_deref().unwrap_or("unknown error"))
                    )
                })
                .collect();
            let notice = match board.chat.admin_role {
                Some(role) => {
                    // An escalating reminder pings the admin role already; Discord refuses a
                    // role listed twice.
                    if !first.ping_roles.contains(&role) {
                        first.ping_roles.push(role);
                    }
                    format!("<@&{role}> {}", lines.join("\n"))
                }
                None => lines.join("\n"),
            };
            first.content = fit(&format!("{notice}\n{}", first.content), limits::CONTENT);
            post.reports_failures = failures.iter().map(|f| f.post_id).collect();
        }
        Ok(Some(post))
    }

    async fn compose(
        &self,
        board: &Board,
        job: Job,
        occasion: &str,
        as_of: chrono::NaiveDate,
        due_at: DateTime<Utc>,
    ) -> anyhow::Result<Option<ScheduledPost>> {
        match job {
            Job::MeetingBrief => {
                let meetings = self.store.meetings(board.id).await?;
                let Some(meeting) = meetings.into_iter().find(|m| {
                    brief_due_at(
                        &board.settings.time_zone,
                        m,
                        board.settings.meeting_brief_days,
                    ) == Some(due_at)
                }) else {
                    // The meeting was moved or removed since the schedule was read.
                    return Ok(None);
                };
                let brief = meeting_brief(&self.store, board, &meeting, as_of).await?;
                Ok(Some(ScheduledPost {
                    discord: vec![brief_message(&brief)],
                    title: format!("{} — pre-meeting brief", meeting.title),
                    markdown: brief_markdown(&brief),
                    reports_failures: Vec::new(),
                    archived: None,
                    dms: Vec::new(),
                }))
            }
            Job::Digest => {
                // Sent from the archive: built and archived once for the occasion, so a retry,
                // a rebuild after a crash and every destination send the digest the archive
                // keeps, not one rebuilt from a record that has moved on since.
                let archived =
                    scheduled_digest(&self.store, board, occasion, due_at, self.clock.now())
                        .await?;
                Ok(Some(ScheduledPost {
                    discord: with_preview_button(discord_messages(&archived)?, board.id),
                    title: archived.title,
                    markdown: archived.markdown,
                    reports_failures: Vec::new(),
                    archived: Some(archived.entry.id),
                    dms: Vec::new(),
                }))
            }
            Job::Reminder => {
                let Some(reminder) = load_reminder(&self.store, board, as_of).await? else {
                    return Ok(None);
                };
                // Officers who asked for DMs get their part there and no ping in the channel.
                let by_dm = self.store.dm_officers(board.id).await?;
                let dms = dm_parts(&reminder, &by_dm, board.id);
                Ok(Some(ScheduledPost {
                    discord: reminder_messages_with_controls(
                        &reminder,
                        board.chat.admin_role,
                        board.id,
                        &by_dm,
                    ),
                    title: format!("{} — reminder", board.name),
                    markdown: reminder_markdown(Some(&reminder), as_of),
                    reports_failures: Vec::new(),
                    archived: None,
                    dms,
                }))
            }
            Job::Nudge => {
                let Some(reminded) = occasion.strip_prefix("after:") else {
                    return Ok(None);
                };
                let Some(reminded_at) = self.store.reminder_sent(board.id, reminded).await? else {
                    return Ok(None);
                };
                // Answers up to the moment it is built count, even when it goes out late.
                let now = self.clock.now().max(due_at);
                let Some(nudge) = load_nudge(&self.store, board, reminded_at, now).await? else {
                    return Ok(None);
                };
                // Each officer is nudged one way: by DM if they chose it, else in the channel
                // (pinged there, with only the channel's officers' lines).
                let by_dm = self.store.dm_officers(board.id).await?;
                let dms = dm_parts(&nudge, &by_dm, board.id);
                let discord = nudge
                    .without_officers(&by_dm)
                    .map(|r| reminder_messages_with_controls(&r, None, board.id, &[]))
                    .unwrap_or_default();
                Ok(Some(ScheduledPost {
                    discord,
                    title: format!("{} — still outstanding", board.name),
                    markdown: reminder_markdown(Some(&nudge), as_of),
                    reports_failures: Vec::new(),
                    archived: None,
                    dms,
                }))
            }
        }
    }
}

/// A reminder's or nudge's part for each officer in `by_dm`, with its controls; an officer
/// with nothing in it has no entry.
fn dm_parts(reminder: &Reminder, by_dm: &[u64], board_id: i64) -> Vec<(u64, Vec<Message>)> {
    by_dm
        .iter()
        .filter_map(|&officer| {
            let theirs = reminder.for_officer(officer)?;
            Some((
                officer,
                reminder_messages_with_controls(&theirs, None, board_id, &[]),
            ))
        })
        .collect()
}

impl BoardPoster {
    /// Send `messages` to `channel` through `sending`, part by part: skip the confirmed, look
    /// for one that may have arrived, start, send with the part's nonce, confirm.
    async fn send_parts(
        &self,
        board: &Board,
        destination: &str,
        channel: serenity::ChannelId,
        messages: &[Message],
        sending: &mut Sending,
    ) -> Result<(), DeliveryError> {
        for (part, message) in messages.iter().enumerate() {
            let part = u32::try_from(part).unwrap_or(u32::MAX);
            // Its controls name the post and part, for a click to find the message.
            let message = &message.for_post(PostPart {
                post: sending.post_id(),
                part,
            });
            if sending.confirmed(part).is_some() {
                continue;
            }
            // Started before but never confirmed: Discord may have it already.
            if let Some(since) = sending.maybe_sent_since(part) {
                match delivery::discord::find_sent(&self.http, channel, message, since).await {
                    Ok(Some(id)) => {
                        tracing::info!(board = %board.slug, destination, part, "found a message sent before a crash or a lost answer; not sending it again");
                        sending.confirm(part, &id).await?;
                        continue;
                    }
                    Ok(None) => {}
                    // Looking is a second safeguard after the nonce (the bot may not
                    // be allowed to read the channel's history): send with the nonce.
                    Err(e) => {
                        tracing::warn!(board = %board.slug, destination, part, error = %e, "could not look for a message that may have been sent; sending it again with the same nonce")
                    }
                }
            }
            sending.start(part).await?;
            let nonce = sending.nonce(part);
            match delivery::discord::send_one(&self.http, channel, message, &nonce).await {
                Ok(id) => sending.confirm(part, &id).await?,
                Err(e) => {
                    // Discord refused it (rate limit, bad request): it has no such
                    // message, so there is nothing to look for on the retry. A server
                    // error or no answer leaves it uncertain.
                    if e.status().is_some_and(|s| s < 500) {
                        sending.not_sent(part);
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// A reminder's part for one officer, by direct message. If Discord refuses the DM (code
    /// 50007), the same messages go to the reminder channel, pinging the officer; the delivery
    /// log says so, and the officer is told once why it is there.
    async fn deliver_dm(
        &self,
        board: &Board,
        destination: &str,
        officer: u64,
        post: &ScheduledPost,
        sending: &mut Sending,
    ) -> Result<Option<String>, DeliveryError> {
        let Some((_, messages)) = post.dms.iter().find(|(o, _)| *o == officer) else {
            // Nothing of theirs in this reminder.
            return Ok(None);
        };
        let dm = delivery::discord::open_dm(&self.http, officer).await?;
        match self
            .send_parts(board, destination, dm, messages, sending)
            .await
        {
            Ok(()) => return Ok(sending.first_message_id()),
            Err(e) if delivery::discord::dm_refused(&e) => {}
            Err(e) => return Err(e),
        }
        let Some(channel) = board.chat.reminder_channel else {
            return Err(DeliveryError::Permanent {
                status: Some(403),
                detail: "Discord refused the DM and the board has no reminder channel".into(),
            });
        };
        let now = self.clock.now();
        let first_time = self
            .store
            .mark_fallback_told(board.id, officer, now)
            .await
            .map_err(|e| DeliveryError::Retry {
                status: None,
                retry_after: None,
                detail: e.to_string(),
            })?;
        let mut fallback: Vec<Message> = messages.to_vec();
        if let Some(first) = fallback.first_mut() {
            if !first.ping_users.contains(&officer) {
                first.ping_users.push(officer);
            }
            let why = if first_time {
                format!(
                    "<@{officer}>: Discord would not deliver your reminder by direct message (your \
                     privacy settings may block DMs from this server's members), so it is here \
                     instead. Allow DMs from the server, or /notify dm off to have it here \
                     without trying."
                )
            } else {
                format!("<@{officer}>: your reminder, here because Discord refused the DM.")
            };
            first.content = fit(&format!("{why}\n{}", first.content), limits::CONTENT);
        }
        let detail = format!(
            "Discord refused the direct message (code 50007); sent to <#{channel}> instead{}",
            if first_time {
                " and the officer told"
            } else {
                ""
            }
        );
        tracing::warn!(board = %board.slug, destination, officer, "reminder DM refused; sent to the reminder channel instead");
        if let Err(e) = self
            .store
            .note_delivery(
                sending.post_id(),
                sending.worker(),
                now,
                "fallback",
                Some(403),
                &detail,
            )
            .await
        {
            tracing::warn!(board = %board.slug, destination, error = %e, "could not note the DM fallback in the delivery log");
        }
        self.send_parts(
            board,
            destination,
            serenity::ChannelId::new(channel),
            &fallback,
            sending,
        )
        .await?;
        Ok(sending.first_message_id())
    }
}

impl Poster for BoardPoster {
    type Post = ScheduledPost;

    fn destinations<'a>(&'a self, board: &'a Board, job: Job) -> PosterFuture<'a, Vec<String>> {
        Box::pin(async move {
            let channel = match job {
                Job::Digest | Job::MeetingBrief => board.chat.digest_channel,
                Job::Reminder | Job::Nudge => board.chat.reminder_channel,
            };
            let mut destinations: Vec<String> = channel
                .map(|c| format!("discord:{c}"))
                .into_iter()
                .collect();
            if matches!(job, Job::Reminder | Job::Nudge) && board.chat.reminder_channel.is_some() {
                // Each DM is its own occasion, sent exactly once like the channel's.
                match self.store.dm_officers(board.id).await {
                    Ok(officers) => {
                        destinations.extend(officers.into_iter().map(|o| format!("dm:{o}")))
                    }
                    Err(e) => {
                        tracing::error!(board = %board.slug, error = %e, "could not read who gets reminders by DM")
                    }
                }
            }
            if job == Job::Digest {
                match self.store.webhooks(board.id).await {
                    Ok(hooks) => destinations
                        .extend(hooks.into_iter().map(|h| format!("webhook:{}", h.name))),
                    Err(e) => {
                        tracing::error!(board = %board.slug, error = %e, "could not read webhooks")
                    }
                }
            }
            destinations
        })
    }

    fn has_anything_for(&self, post: &Self::Post, destination: &str) -> bool {
        if destination.starts_with("discord:") {
            !post.discord.is_empty()
        } else if let Some(officer) = destination.strip_prefix("dm:") {
            post.dms.iter().any(|(o, _)| o.to_string() == officer)
        } else {
            true
        }
    }

    fn prepare<'a>(
        &'a self,
        board: &'a Board,
        job: Job,
        occasion: &'a str,
        due_at: DateTime<Utc>,
    ) -> PosterFuture<'a, anyhow::Result<Option<Self::Post>>> {
        Box::pin(self.build(board, job, occasion, due_at))
    }

    fn deliver<'a>(
        &'a self,
        board: &'a Board,
        destination: &'a str,
        post: &'a Self::Post,
        sending: &'a mut Sending,
    ) -> PosterFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move {
            if let Some(channel) = destination.strip_prefix("discord:") {
                let channel: u64 = channel.parse().map_err(|_| DeliveryError::Permanent {
                    status: None,
                    detail: format!("bad channel id in {destination}"),
                })?;
                let channel = serenity::ChannelId::new(channel);
                self.send_parts(board, destination, channel, &post.discord, sending)
                    .await?;
                if !post.reports_failures.is_empty() {
                    if let Err(e) = self
                        .store
                        .mark_failures_reported(&post.reports_failures)
                        .await
                    {
                        tracing::warn!(error = %e, "could not mark failures as reported; they may be reported again");
                    }
                }
                self.record_delivery(board, destination, post).await;
                Ok(sending.first_message_id())
            } else if let Some(officer) = destination.strip_prefix("dm:") {
                let officer: u64 = officer.parse().map_err(|_| DeliveryError::Permanent {
                    status: None,
                    detail: format!("bad officer id in {destination}"),
                })?;
                self.deliver_dm(board, destination, officer, post, sending)
                    .await
            } else if let Some(name) = destination.strip_prefix("webhook:") {
                let hooks =
                    self.store
                        .webhooks(board.id)
                        .await
                        .map_err(|e| DeliveryError::Retry {
                            status: None,
                            retry_after: None,
                            detail: e.to_string(),
                        })?;
                let hook = hooks.into_iter().find(|h| h.name == name).ok_or_else(|| {
                    DeliveryError::Permanent {
                        status: None,
                        detail: format!("the webhook {name} was removed"),
                    }
                })?;
                // A webhook cannot de-duplicate: a send that started and was never confirmed
                // may have arrived, and is sent again (see docs/operations.md).
                sending.start(0).await?;
                delivery::webhook::send(&self.web, &hook, &post.title, &post.markdown).await?;
                self.record_delivery(board, destination, post).await;
                Ok(None)
            } else {
                Err(DeliveryError::Permanent {
                    status: None,
                    detail: format!("unknown destination {destination}"),
                })
            }
        })
    }
}
