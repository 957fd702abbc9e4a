//! `/meeting`: the board's meeting dates, the boroughs presenting, and the pre-meeting brief.

use super::{date_option, private, text_option};
use crate::digest::meeting_brief;
use crate::digest::render::discord::brief_message;
use crate::discord::access::{require, Access};
use crate::discord::format::{escape, fit, join_within, limits, short_date};
use crate::discord::post::to_private_reply;
use crate::discord::{current_board, BotError, Context};
use crate::domain::{Meeting, Text};

/// Meetings: add one, list them, preview the brief.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "list", "brief"),
    subcommand_required
)]
pub async fn meeting(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Add a meeting and the boroughs presenting at it (secretariat).
#[poise::command(slash_command, guild_only)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "The date: 2026-03-31 or 31 Mar 2026"] date: String,
    #[description = "Presenting boroughs, separated by commas, e.g. Bexley, Greenwich"]
    #[max_length = 300]
    boroughs: String,
    #[description = "Title (default: Board meeting)"]
    #[max_length = 200]
    title: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let held_on = date_option("date", &date)?;
    let boroughs: Vec<String> = boroughs
        .split(',')
        .map(|b| text_option("borough", b, Text::NAME_MAX).map(|t| t.as_str().to_string()))
        .collect::<Result<_, _>>()?;
    let title = match title {
        Some(t) => text_option("title", &t, Text::TITLE_MAX)?
            .as_str()
            .to_string(),
        None => "Board meeting".to_string(),
    };
    let meeting = Meeting {
        held_on,
        title,
        boroughs,
    };
    if !ctx
        .data()
        .store
        .add_meeting(board.id, &meeting, ctx.data().clock.now())
        .await?
    {
        return Err(BotError::user(format!(
            "There is already a meeting on {}.",
            short_date(held_on)
        )));
    }
    ctx.data().schedule_changed.wake();
    ctx.send(private(format!(
        "Added {} on {} with {} presenting. The brief goes out {} days before.",
        escape(&meeting.title),
        short_date(held_on),
        escape(&meeting.boroughs.join(" and ")),
        board.settings.meeting_brief_days
    )))
    .await?;
    Ok(())
}

/// List upcoming and past meetings.
#[poise::command(slash_command, guild_only)]
pub async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let meetings = ctx.data().store.meetings(board.id).await?;
    if meetings.is_empty() {
        ctx.send(private(
            "No meetings yet; the secretariat adds them with /meeting add.",
        ))
        .await?;
        return Ok(());
    }
    let lines: Vec<String> = meetings
        .iter()
        .map(|m| {
            format!(
                "{}{} — {} — {}",
                if m.held_on >= today { "▶ " } else { "" },
                short_date(m.held_on),
                escape(&fit(&m.title, 80)),
                escape(&m.boroughs.join(", "))
            )
        })
        .collect();
    ctx.send(private(join_within(&lines, limits::CONTENT)))
        .await?;
    Ok(())
}

/// Preview the brief for the next meeting (or the one on a date).
#[poise::command(slash_command, guild_only)]
pub async fn brief(
    ctx: Context<'_>,
    #[description = "The meeting's date (default: the next meeting)"] date: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let meetings = ctx.data().store.meetings(board.id).await?;
    let meeting = match date {
        Some(d) => {
            let day = date_option("date", &d)?;
            meetings
                .into_iter()
                .find(|m| m.held_on == day)
                .ok_or_else(|| {
                    BotError::user(format!(
                        "There is no meeting on {}; /meeting list shows them.",
                        short_date(day)
                    ))
                })?
        }
        None => meetings
            .into_iter()
            .find(|m| m.held_on >= today)
            .ok_or_else(|| {
                BotError::user("There is no upcoming meeting; add one with /meeting add.")
            })?,
    };
    let brief = meeting_brief(&ctx.data().store, &board, &meeting, today).await?;
    ctx.send(to_private_reply(&brief_message(&brief))).await?;
    Ok(())
}
