//! `/digest preview` (anyone, privately) and `/digest post` (secretariat, to the digest
//! channel, now).

use super::{date_option, private};
use crate::delivery::discord::to_create_message;
use crate::digest::load_digest;
use crate::digest::render::{chart::digest_chart, discord::digest_messages};
use crate::discord::access::{check_bot_can_post, require, Access};
use crate::discord::post::to_private_reply;
use crate::discord::{current_board, BotError, Context};
use poise::serenity_prelude as serenity;

/// The quarterly VAW briefing digest.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("preview", "post"),
    subcommand_required
)]
pub async fn digest(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
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
    let board = current_board(ctx).await?;
    let as_of = match as_of {
        Some(text) => date_option("as_of", &text)?,
        None => board.settings.time_zone.today(ctx.data().clock.now()),
    };
    let digest = load_digest(&ctx.data().store, &board, as_of).await?;
    let chart = match digest_chart(&digest) {
        Ok(png) => Some(png),
        Err(e) => {
            tracing::warn!(error = %e, "could not draw the digest chart; posting without it");
            None
        }
    };
    Ok((board, digest_messages(&digest, chart)))
}

/// See the digest as it would be posted, only to you (default: the quarter to date).
#[poise::command(slash_command, guild_only)]
pub async fn preview(
    ctx: Context<'_>,
    #[description = "As of this date (2026-10-01 or 1 Oct 2026); default today"] as_of: Option<
        String,
    >,
) -> Result<(), BotError> {
    ctx.defer_ephemeral().await?;
    let (_, messages) = build(ctx, as_of).await?;
    for message in &messages {
        ctx.send(to_private_reply(message)).await?;
    }
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
