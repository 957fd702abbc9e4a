//! `/digest preview` (anyone, privately), `/digest paper` (anyone, privately: the board paper
//! as an HTML file), `/digest post` (secretariat, to the digest channel, now, and archived)
//! and `/digest archive` (anyone who may preview: the digests posted, re-shown privately).

use super::{author_tag, date_option, private};
use crate::delivery::discord::to_create_message;
use crate::digest::archive::{
    archive_posted, discord_messages, html_with_notice, redaction_notice,
};
use crate::digest::render::discord::{short_date, short_local_time};
use crate::digest::render::{
    chart::digest_chart,
    discord::{digest_messages, with_preview_button},
    html::digest_html,
};
use crate::digest::{load_digest, load_digest_as_it_stood, Digest};
use crate::discord::access::{check_bot_can_post, require, Access};
use crate::discord::post::to_private_reply;
use crate::discord::{current_board, BotError, Context};
use crate::store::{ArchiveEntry, PostedBy};
use poise::serenity_prelude as serenity;

/// The quarterly VAW briefing digest.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("preview", "paper", "post", "archive"),
    subcommand_required
)]
pub async fn digest(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// The board's digest as of `as_of` (default today), from today's record or as it stood.
async fn load_as_of(
    ctx: Context<'_>,
    board: &crate::domain::Board,
    as_of: Option<String>,
    reading: Reading,
) -> Result<Digest, BotError> {
    let as_of = match as_of {
        Some(text) => date_option("as_of", &text)?,
        None => board.settings.time_zone.today(ctx.data().clock.now()),
    };
    let store = &ctx.data().store;
    Ok(match reading {
        Reading::Today => load_digest(store, board, as_of).await?,
        Reading::PointInTime => load_digest_as_it_stood(store, board, as_of).await?,
    })
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
    let digest = load_as_of(ctx, &board, as_of, reading).await?;
    let chart = match digest_chart(&digest) {
        Ok(png) => Some(png),
        Err(e) => {
            tracing::warn!(error = %e, "could not draw the digest chart; going on without it");
            None
        }
    };
    Ok((board, digest, chart))
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
    let digest = load_as_of(ctx, &board, as_of, Reading::Today).await?;
    // Archived first and sent from the archive, so the archive holds exactly what was sent.
    let store = &ctx.data().store;
    let posted_by = PostedBy::Command {
        user: author_tag(ctx),
    };
    let archived =
        archive_posted(store, &board, &digest, &posted_by, ctx.data().clock.now()).await?;
    let messages = with_preview_button(discord_messages(&archived)?, board.id);
    for message in &messages {
        let sent = channel
            .send_message(ctx.http(), to_create_message(message))
            .await?;
        // Kept so a redaction can find and edit it later.
        if let Err(e) = store
            .record_digest_message(
                archived.entry.id,
                &channel.to_string(),
                &sent.id.to_string(),
                ctx.data().clock.now(),
            )
            .await
        {
            tracing::warn!(board = %board.slug, archived = archived.entry.id, error = %e, "the digest was posted, but the archive could not record its message");
        }
    }
    let destination = format!("discord:{channel}");
    if let Err(e) = store
        .record_digest_delivery(archived.entry.id, &destination, ctx.data().clock.now())
        .await
    {
        tracing::warn!(board = %board.slug, archived = archived.entry.id, error = %e, "the digest was posted, but the archive could not record where");
    }
    ctx.send(private(format!(
        "Posted the digest to <#{channel}> ({} messages). It is kept in the archive as digest \
         #{}: /digest archive show:{} shows it again.",
        messages.len(),
        archived.entry.id,
        archived.entry.id
    )))
    .await?;
    Ok(())
}

/// Where an archived digest went, as a member reads it.
fn destinations(entry: &ArchiveEntry) -> String {
    if entry.destinations.is_empty() {
        return "not delivered".into();
    }
    entry
        .destinations
        .iter()
        .map(|d| match d.destination.strip_prefix("discord:") {
            Some(channel) => format!("<#{channel}>"),
            None => d
                .destination
                .strip_prefix("webhook:")
                .unwrap_or(&d.destination)
                .to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of the archive's list.
fn archive_line(entry: &ArchiveEntry, board: &crate::domain::Board) -> String {
    let how = match (entry.posted_by.as_str(), entry.requested_by.as_deref()) {
        ("command", Some(who)) => match who.strip_prefix("discord:") {
            Some(id) => format!("posted by <@{id}>"),
            None => format!("posted by {who}"),
        },
        _ => "posted on schedule".to_string(),
    };
    format!(
        "**#{}** {} as of {} — {} {} — {}",
        entry.id,
        entry.period_label,
        short_date(entry.as_of),
        how,
        short_local_time(&board.settings.time_zone, entry.posted_at),
        destinations(entry)
    )
}

/// The digests posted so far, only to you; show one again exactly as it was sent.
#[poise::command(slash_command, guild_only)]
pub async fn archive(
    ctx: Context<'_>,
    #[description = "Show this archived digest again (its number in the list)"]
    #[min = 1]
    show: Option<i64>,
) -> Result<(), BotError> {
    // Anyone who may preview the digest may see what was posted (members saw it in the
    // channel), as /digest preview: no role is needed, only this board's server.
    let board = current_board(ctx).await?;
    ctx.defer_ephemeral().await?;
    let store = &ctx.data().store;
    let Some(id) = show else {
        let entries = store.archived_digests(Some(board.id), 15).await?;
        if entries.is_empty() {
            ctx.send(private(
                "No digest has been posted yet: the archive keeps each one posted on schedule \
                 or with /digest post.",
            ))
            .await?;
            return Ok(());
        }
        let lines: Vec<String> = entries.iter().map(|e| archive_line(e, &board)).collect();
        ctx.send(private(format!(
            "Digests posted, newest first (/digest archive show:NUMBER shows one again):\n{}",
            crate::digest::render::discord::join_within(
                &lines,
                crate::discord::format::limits::CONTENT - 120
            )
        )))
        .await?;
        return Ok(());
    };
    // Only this board's archive: another server's digest is not found, not shown.
    let Some(archived) = store.archived_digest(Some(board.id), id).await? else {
        return Err(BotError::user(format!(
            "There is no archived digest #{id} on this board; /digest archive lists them."
        )));
    };
    let messages = discord_messages(&archived)?;
    let redactions = store.redactions_of_archived(archived.entry.id).await?;
    let notice = redaction_notice(&redactions, &board);
    ctx.send(private(match &notice {
        None => format!(
            "Archived digest {}, exactly as it was sent:",
            archive_line(&archived.entry, &board)
        ),
        Some(notice) => format!(
            "Archived digest {}, as it was sent except for what was redacted. {}",
            archive_line(&archived.entry, &board),
            crate::digest::render::discord::escape(notice)
        ),
    }))
    .await?;
    for message in &messages {
        ctx.send(to_private_reply(message)).await?;
    }
    let file = format!(
        "{}-briefing-{}-archived-{}.html",
        board.slug, archived.entry.as_of, archived.entry.id
    );
    ctx.send(private("Its board paper, as archived:").attachment(
        serenity::CreateAttachment::bytes(
            html_with_notice(&archived.html, notice.as_deref()).into_bytes(),
            file,
        ),
    ))
    .await?;
    Ok(())
}
