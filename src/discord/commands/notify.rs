//! How an officer gets their reminders: `/notify dm on|off`, `/notify show`.

use super::private;
use crate::discord::access::{require, Access};
use crate::discord::{current_board, BotError, Context};

/// On or off.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum OnOff {
    #[name = "on"]
    On,
    #[name = "off"]
    Off,
}

/// Your reminders: by direct message or in the reminder channel.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("dm", "show"),
    subcommand_required
)]
pub async fn notify(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

/// Get your reminders by direct message (with the same controls), not pinged in the channel.
#[poise::command(slash_command, guild_only)]
pub async fn dm(
    ctx: Context<'_>,
    #[description = "on: your reminders by DM; off: in the reminder channel"] setting: OnOff,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Officer).await?;
    let on = matches!(setting, OnOff::On);
    let data = ctx.data();
    data.store
        .set_dm(board.id, ctx.author().id.get(), on, data.clock.now())
        .await?;
    let text = if on {
        "From the next reminder, your own actions come to you by direct message, with the same \
         controls, and you are not pinged in the reminder channel (your lines still appear there \
         for everyone else). If Discord will not deliver a DM to you (your privacy settings may \
         block DMs from this server's members), the reminder pings you in the channel instead and \
         you are told once. /notify dm off goes back to the channel."
    } else {
        "Your reminders come in the reminder channel again, pinging you there."
    };
    ctx.send(private(text)).await?;
    Ok(())
}

/// How you get your reminders.
#[poise::command(slash_command, guild_only)]
pub async fn show(ctx: Context<'_>) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let choice = ctx
        .data()
        .store
        .notify_choice(board.id, ctx.author().id.get())
        .await?;
    let mut text = if choice.dm {
        "Your reminders come by direct message (/notify dm off to have them in the channel)."
            .to_string()
    } else {
        "Your reminders come in the reminder channel, pinging you (/notify dm on to have them by \
         direct message)."
            .to_string()
    };
    if let (true, Some(at)) = (choice.dm, choice.fallback_told_at) {
        text.push_str(&format!(
            " Discord refused a DM to you on {}; since then a refused DM falls back to the \
             channel without telling you again.",
            crate::discord::format::short_local_time(&board.settings.time_zone, at)
        ));
    }
    ctx.send(private(text)).await?;
    Ok(())
}
