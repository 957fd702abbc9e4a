//! Components: what happens when someone clicks a control the bot put on a message (a select
//! menu or a button) or submits a form (a modal) it opened.
//!
//! Nothing is kept in memory between the clicks: each control's custom id carries what its
//! click needs ([`ControlId`], written and read in one place, the message model's
//! `controls`), so controls work after a restart and on another process.
//!
//! - [`reminder`]: the controls on reminder messages — pick an action, then Update, Done or
//!   New date, each a form calling the same service functions as the slash commands; the
//!   reminder message is then edited in place to say who updated that line and when.
//! - [`preview`]: "Preview my actions" on a digest post — the clicking person's own open
//!   actions, privately (the `/mine` view).
//!
//! Custom ids that are not ours (the confirmation buttons of `/setup`, which wait for their
//! own click) are left alone.

pub mod preview;
pub mod reminder;

use std::time::Instant;

use poise::serenity_prelude as serenity;

pub use crate::digest::render::discord::controls::ControlId;

use super::{BotError, Data};
use crate::monitoring::CommandOutcome;

/// Answer a component click or form submission, if it is one of ours.
pub async fn handle(ctx: &serenity::Context, data: &Data, interaction: &serenity::Interaction) {
    let started = Instant::now();
    let (name, result) = match interaction {
        serenity::Interaction::Component(press) => {
            let Some(id) = ControlId::parse(&press.data.custom_id) else {
                return;
            };
            match id {
                ControlId::Pick { .. } => ("reminder pick", reminder::pick(ctx, data, press).await),
                ControlId::Button { .. } => (
                    "reminder button",
                    reminder::button(ctx, data, press, id).await,
                ),
                ControlId::Preview { board } => (
                    "preview my actions",
                    preview::preview(ctx, data, press, board).await,
                ),
                // A form's id is never on a button or menu.
                ControlId::Form { .. } => return,
            }
        }
        serenity::Interaction::Modal(submit) => {
            let Some(id @ ControlId::Form { .. }) = ControlId::parse(&submit.data.custom_id) else {
                return;
            };
            ("reminder form", reminder::form(ctx, data, submit, id).await)
        }
        _ => return,
    };
    let outcome = match &result {
        Ok(()) => CommandOutcome::Ok,
        Err(BotError::Denied(_)) => CommandOutcome::Denied,
        Err(e) if e.user_message().is_some() => CommandOutcome::Refused,
        Err(_) => CommandOutcome::Failed,
    };
    let elapsed = started.elapsed();
    data.metrics.command_finished(name, outcome, Some(elapsed));
    let ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0;
    match result {
        Ok(()) => tracing::info!(command = name, outcome = outcome.as_str(), ms, "component"),
        Err(error) => {
            let text = match error.user_message() {
                Some(message) => {
                    tracing::info!(command = name, outcome = outcome.as_str(), ms, reason = %message, "component");
                    message
                }
                None => {
                    let reference = super::error::error_reference();
                    tracing::error!(command = name, outcome = "failed", ms, reference, error = %error, "component");
                    format!(
                        "Sorry, something went wrong on our side. If it keeps happening, give \
                         the secretariat this reference: {reference}"
                    )
                }
            };
            let reply = serenity::CreateInteractionResponse::Message(private(text));
            let sent = match interaction {
                serenity::Interaction::Component(press) => {
                    press.create_response(&ctx.http, reply).await
                }
                serenity::Interaction::Modal(submit) => {
                    submit.create_response(&ctx.http, reply).await
                }
                _ => Ok(()),
            };
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not answer a component interaction");
            }
        }
    }
}

/// A private answer that pings nobody.
pub fn private(text: impl Into<String>) -> serenity::CreateInteractionResponseMessage {
    serenity::CreateInteractionResponseMessage::new()
        .content(super::format::fit(
            &text.into(),
            super::format::limits::CONTENT,
        ))
        .ephemeral(true)
        .allowed_mentions(super::format::no_pings())
}
