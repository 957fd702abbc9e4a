//! Errors in the bot, split by who can act on them.

use std::sync::atomic::{AtomicU32, Ordering};

use poise::serenity_prelude as serenity;

use super::format::no_pings;
use super::telemetry::{self, Outcome};
use super::Data;
use crate::services::import::ImportError;
use crate::services::ServiceError;
use crate::store::StoreError;

/// Why a command did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// Something the user can fix; the text says how and is shown to them as it is.
    #[error("{0}")]
    User(String),
    /// The person may not do this; the text says which role or permission would let them.
    #[error("{0}")]
    Denied(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Boxed: serenity's error is large, and every command returns this type.
    #[error("Discord request failed: {0}")]
    Discord(Box<serenity::Error>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<serenity::Error> for BotError {
    fn from(err: serenity::Error) -> Self {
        BotError::Discord(Box::new(err))
    }
}

impl BotError {
    pub fn user(message: impl Into<String>) -> Self {
        BotError::User(message.into())
    }

    /// The text to show the user if they can fix the problem themselves.
    pub fn user_message(&self) -> Option<String> {
        match self {
            BotError::User(message) | BotError::Denied(message) => Some(message.clone()),
            BotError::Service(ServiceError::Store(e))
            | BotError::Store(e)
            | BotError::Import(ImportError::Service(ServiceError::Store(e))) => busy_message(e),
            BotError::Service(e) => Some(capitalise(&e.to_string())),
            BotError::Import(ImportError::Invalid { .. }) => Some(self.to_string()),
            BotError::Import(ImportError::Service(e)) => Some(capitalise(&e.to_string())),
            BotError::Discord(_) | BotError::Unexpected(_) => None,
        }
    }

    /// True when the database failed (counted apart, so an operator sees a database in
    /// trouble rather than a scatter of failed commands).
    pub fn is_database(&self) -> bool {
        matches!(
            self,
            BotError::Store(_)
                | BotError::Service(ServiceError::Store(_))
                | BotError::Import(ImportError::Service(ServiceError::Store(_)))
        )
    }
}

/// A database that stayed busy, or a change that kept colliding with others, is something the
/// person can act on (try again) and is told in words; other database failures are ours.
fn busy_message(err: &StoreError) -> Option<String> {
    match err {
        StoreError::Busy { .. } | StoreError::Conflict(_) => Some(capitalise(&err.to_string())),
        _ => None,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

static NEXT_REFERENCE: AtomicU32 = AtomicU32::new(1);

/// A short reference to quote to the secretariat, unique enough to find the log line.
pub(crate) fn error_reference() -> String {
    let seconds = chrono::Utc::now().timestamp() as u32;
    let count = NEXT_REFERENCE.fetch_add(1, Ordering::Relaxed);
    format!(
        "E{:06X}",
        (seconds ^ count.wrapping_mul(2_654_435_761)) & 0xFF_FFFF
    )
}

/// Reply privately to the person who ran the command.
async fn tell(ctx: poise::Context<'_, Data, BotError>, text: String) {
    let reply = poise::CreateReply::default()
        .content(super::format::fit(&text, 2000))
        .ephemeral(true)
        .allowed_mentions(no_pings());
    if let Err(e) = ctx.send(reply).await {
        tracing::warn!(error = %e, "could not send an error reply");
    }
}

/// The framework's error handler: fixable errors go to the user; everything else is logged
/// with its cause chain and the user gets an apology with a reference. Every command that ends
/// here gets its one log line from [`telemetry::finish`].
pub async fn on_error(error: poise::FrameworkError<'_, Data, BotError>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => match error.user_message() {
            Some(message) => {
                let outcome = if matches!(error, BotError::Denied(_)) {
                    Outcome::Denied(&message)
                } else {
                    Outcome::Refused(&message)
                };
                telemetry::finish(ctx, outcome).await;
                tell(ctx, message).await;
            }
            None => {
                if error.is_database() {
                    ctx.data().metrics.database_error("command");
                }
                report_failure(ctx, cause_chain(&error)).await;
            }
        },
        poise::FrameworkError::ArgumentParse {
            error, input, ctx, ..
        } => {
            let what = input.map(|i| format!(" {i:?}")).unwrap_or_default();
            let message =
                format!("I could not read the value{what}: {error}. Check it and try again.");
            telemetry::finish(ctx, Outcome::Refused(&message)).await;
            tell(ctx, message).await;
        }
        poise::FrameworkError::CommandCheckFailed { error, ctx, .. } => {
            // Our only global check never refuses; a check error is a failure to read the
            // person's roles, which they can retry.
            let message = error
                .and_then(|e| e.user_message())
                .unwrap_or_else(|| "Sorry, I could not check your permissions; try again.".into());
            telemetry::finish(ctx, Outcome::Denied(&message)).await;
            tell(ctx, message).await;
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => {
            let message =
                "Use this command in the board's Discord server, not in a direct message.";
            telemetry::finish(ctx, Outcome::Refused(message)).await;
            tell(ctx, message.into()).await;
        }
        poise::FrameworkError::MissingUserPermissions {
            ctx,
            missing_permissions,
            ..
        } => {
            let needed = missing_permissions
                .map(|p| p.to_string())
                .unwrap_or_else(|| "more".into());
            let message = format!("You need the {needed} permission to use this command.");
            telemetry::finish(ctx, Outcome::Denied(&message)).await;
            tell(ctx, message).await;
        }
        poise::FrameworkError::CommandPanic { ctx, payload, .. } => {
            let cause = format!("panicked: {}", payload.as_deref().unwrap_or("(no message)"));
            report_failure(ctx, cause).await;
        }
        other => {
            tracing::warn!(error = %other, "framework error");
        }
    }
}

/// Our fault, not the person's: log the cause under a reference and give them the reference.
/// (Not "nothing was changed": the change may have been saved before the reply failed.)
async fn report_failure(ctx: poise::Context<'_, Data, BotError>, cause: String) {
    let reference = error_reference();
    telemetry::finish(
        ctx,
        Outcome::Failed {
            reference: &reference,
            error: &cause,
        },
    )
    .await;
    tell(
        ctx,
        format!(
            "Sorry, something went wrong on our side. If it keeps happening, give the \
             secretariat this reference: {reference}"
        ),
    )
    .await;
}

/// The error and every cause under it, for the log.
fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
