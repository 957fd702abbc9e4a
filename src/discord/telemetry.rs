//! One log line and the metrics for every slash command: which board, which command, how it
//! ended and how long it took. The framework calls [`start`] before a command's checks and
//! [`finish`] when it ends, whichever way it ends.

use std::future::Future;
use std::time::{Duration, Instant};

use super::Context;
use crate::monitoring::CommandOutcome;

/// What is known about a command while it runs, kept in poise's per-invocation data.
struct Invocation {
    started: Instant,
    /// Time spent waiting for the person (a form to fill in), left out of the duration.
    waited: Duration,
    /// The board's slug, once the command has looked its board up.
    board: Option<String>,
}

/// How a command ended, with what the log line needs to explain it.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Ok,
    /// Input the person can fix; the reason is what they were told.
    Refused(&'a str),
    /// The person may not run it; the reason is what they were told.
    Denied(&'a str),
    /// Our fault: the reference the person was given, and the error with its causes.
    Failed {
        reference: &'a str,
        error: &'a str,
    },
}

impl Outcome<'_> {
    fn kind(&self) -> CommandOutcome {
        match self {
            Outcome::Ok => CommandOutcome::Ok,
            Outcome::Refused(_) => CommandOutcome::Refused,
            Outcome::Denied(_) => CommandOutcome::Denied,
            Outcome::Failed { .. } => CommandOutcome::Failed,
        }
    }
}

/// Note the start of a command. poise runs the global check once per level of the command
/// (`/action`, then `/action show`), so only the first call starts the clock.
pub async fn start(ctx: Context<'_>) {
    if ctx.invocation_data::<Invocation>().await.is_none() {
        ctx.set_invocation_data(Invocation {
            started: Instant::now(),
            waited: Duration::ZERO,
            board: None,
        })
        .await;
    }
}

/// Note the board the command works on, for its log line.
pub async fn note_board(ctx: Context<'_>, slug: &str) {
    if let Some(mut invocation) = ctx.invocation_data::<Invocation>().await {
        invocation.board = Some(slug.to_string());
    }
}

/// Wait for the person (a form, a confirmation), keeping that wait out of the command's
/// duration: the latency figure is the bot's own time, not the person's typing.
pub async fn waiting_for_person<T>(ctx: Context<'_>, wait: impl Future<Output = T>) -> T {
    let began = Instant::now();
    let result = wait.await;
    if let Some(mut invocation) = ctx.invocation_data::<Invocation>().await {
        invocation.waited += began.elapsed();
    }
    result
}

/// Write the command's one log line and count it.
pub async fn finish(ctx: Context<'_>, outcome: Outcome<'_>) {
    let (elapsed, board) = match ctx.invocation_data::<Invocation>().await {
        Some(invocation) => (
            Some(
                invocation
                    .started
                    .elapsed()
                    .saturating_sub(invocation.waited),
            ),
            invocation.board.clone(),
        ),
        None => (None, None),
    };
    let command = &*ctx.command().qualified_name;
    let board = board.as_deref().unwrap_or("-");
    let guild = ctx.guild_id().map(|g| g.get());
    // Milliseconds with two decimals: enough to compare, short in the log.
    let ms = elapsed.map(|e| (e.as_secs_f64() * 100_000.0).round() / 100.0);
    let kind = outcome.kind();
    let result = kind.as_str();
    match outcome {
        Outcome::Ok => {
            tracing::info!(board, command, outcome = result, ms, guild, "command")
        }
        Outcome::Refused(reason) | Outcome::Denied(reason) => {
            tracing::info!(
                board,
                command,
                outcome = result,
                ms,
                guild,
                reason,
                "command"
            )
        }
        Outcome::Failed { reference, error } => {
            tracing::error!(
                board,
                command,
                outcome = result,
                ms,
                guild,
                reference,
                error,
                "command"
            )
        }
    }
    ctx.data().metrics.command_finished(command, kind, elapsed);
}
