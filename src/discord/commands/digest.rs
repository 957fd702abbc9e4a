//! `/digest preview` (anyone, privately), `/digest paper` (anyone, privately: the board paper
//! as an HTML file) and `/digest post` (secretariat, to the digest channel, now).

use super::{date_option, private};
use crate::delivery::discord::to_create_message;
use crate::digest::render::{chart::digest_chart, discord::digest_messages, html::digest_html};
use crate::digest::{load_digest, load_digest_as_it_stood, Digest};
use crate::discord::access::{check_bot_can_post, require, Access};
use crate::discord::post::to_private_reply;
use crate::discord::{current_board, BotError, Context};
use poise::serenity_prelude as serenity;

/// The quarterly VAW briefing digest.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("preview", "paper", "post"),
    subcommand_required
)]
pub async fn digest(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// The board's digest as of `as_of` (default today), with its chart when it can be drawn.
async fn load(
    ctx: Context<'_>,
    as_of: Option<String>,
) -> Result<(crate::domain::Board, Digest, Option<Vec<u8>>), BotError> {
    load_as(ctx, as_of, Reading::Today).await
}

/// Which record a digest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum Reading {
    #[name = "today's record"]
    Today,
    #[name = "the record as it stood that day (point in time)"]
    PointInTime,
}

async fn load_as(
    ctx: Context<'_>,
    as_of: Option<String>,
    reading: Reading,
) -> Result<(crate::domain::Board, Digest, Option<Vec<u8>>), BotError> {
    let board = current_board(ctx).await?;
    let as_of = match as_of {
        Some(text) => date_option("as_of", &text)?,
        None => board.settings.time_zone.today(ctx.data().clock.now()),
    };
    let store = &ctx.data().store;
    let digest = match reading {
        Reading::Today => load_digest(store, &board, as_of).await?,
        Reading::PointInTime => load_digest_as_it_stood(store, &board, as_of).await?,
    };
    let chart = match digest_chart(&digest) {
        Ok(png) => Some(png),
        Err(e) => {
            tracing::warn!(error = %e, "could not draw the digest chart; going on without it");
            None
        }
    };
    Ok((board, digest, chart))
}

async fn build(
    ctx: Context<'_>,
    as_of: Option<String>,
) -> Result<
    (
        crate::domain::Board,
        Vec<crate::digest::render::discord::Message>,
    ),
    BotError,
> {
    let (board, digest, chart) = load(ctx, as_of).await?;
    Ok((board, digest_messages(&digest, chart)))
}

/// See the digest as it would be posted, only to you (default: the quarter to date).
#[poise::command(slash_command, guild_only)]
pub async fn preview(
    ctx: Context<'_>,
    #[description = "As of this date (2026-10-01 or 1 Oct 2026); default today"] as_of: Option<
        String,
    >,
    #[description = "Today's record (default), or the record as it stood before the as-of day"]
    record: Option<Reading>,
) -> Result<(), BotError> {
    ctx.defer_ephemeral().await?;
    let (_, digest, chart) = load_as(ctx, as_of, record.unwrap_or(Reading::Today)).await?;
    let messages = digest_messages(&digest, chart);
    for message in &messages {
        ctx.send(to_private_reply(message)).await?;
    }
    Ok(())
}

/// The digest as a board paper for the meeting pack: one HTML file that prints on A4, only to you.
#[poise::command(slash_command, guild_only)]
pub async fn paper(
    ctx: Context<'_>,
    #[description = "As of this date (2026-10-01 or 1 Oct 2026); default today"] as_of: Option<
        String,
    >,
) -> Result<(), BotError> {
    ctx.defer_ephemeral().await?;
    let (board, digest, chart) = load(ctx, as_of).await?;
    let published = board.settings.time_zone.today(ctx.data().clock.now());
    let html = digest_html(&digest, chart.as_deref(), published);
    let file = format!("{}-briefing-{}.html", board.slug, digest.as_of);
    ctx.send(
        private(format!(
            "The board paper for {} as at {}: open it in a browser, or print it to PDF for the \
             meeting pack.",
            digest.period.label,
            crate::domain::format_long_date(digest.as_of)
        ))
        .attachment(serenity::CreateAttachment::bytes(html.into_bytes(), file)),
    )
    .await?;
    Ok(())
}

/// Post the digest to the digest channel now (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn post(
    ctx: Context<'_>,
    #[description = "As of this date; default today"] as_of: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let channel = board
        .chat
        .digest_channel
        .map(serenity::ChannelId::new)
        .ok_or_else(|| {
            BotError::user("No digest channel is set; choose one with /setup channels.")
        })?;
    check_bot_can_post(ctx, channel)?;
    ctx.defer_ephemeral().await?;
    let (_, messages) = build(ctx, as_of).await?;
    for message in &messages {
        channel
            .send_message(ctx.http(), to_create_message(message))
            .await?;
    }
    ctx.send(private(format!(
        "Posted the digest to <#{channel}> ({} messages).",
        messages.len()
    )))
    .await?;
    Ok(())
}
