//! `/help`: what you can do here, for your role.

use super::private;
use crate::discord::access::{access_of, Access};
use crate::discord::{current_board, BotError, Context};

/// What you can do with the bot, for your role.
#[poise::command(slash_command)]
pub async fn help(ctx: Context<'_>) -> Result<(), BotError> {
    let access = match current_board(ctx).await {
        Ok(board) => Some(access_of(ctx, &board).await),
        Err(_) => None,
    };
    let mut text = String::from(
        "**briefing-bot** keeps the board's recommendations and actions honest.\n\n\
         **Everyone**\n\
         • `/overdue` — overdue actions, most overdue first\n\
         • `/action show`, `/action list` — look up actions (filter by owner, borough, status)\n\
         • `/rec show`, `/rec list` — look up recommendations\n\
         • `/mine` — the actions assigned to you\n\
         • `/history` — every change to an action or recommendation\n\
         • `/digest preview`, `/digest paper` — the quarterly briefing, privately (or as a board paper)\n\
         • `/digest archive` — the digests posted so far; `show:` one again exactly as it was sent\n\
         • `/indicator list`, `/indicator show` — the monitoring figures: eight quarters, board-wide and by area\n",
    );
    if access.is_some_and(|a| a >= Access::Officer) {
        text.push_str(
            "\n**Officers**\n\
             • `/update` — set an action's status, with a note and an evidence link (closing needs a note)\n\
             • `/action extend` — move a due date, with the reason (shows as slipped in the digest)\n",
        );
    }
    if access.is_some_and(|a| a == Access::Admin) {
        text.push_str(
            "\n**Secretariat**\n\
             • `/rec add|edit|respond|close`, `/action add|edit|assign`\n\
             • `/import` a CSV (all or nothing), `/export` recommendations, actions or history\n\
             • `/import kind:indicators|figures` the monitoring figures; `/setup monitoring` how they read\n\
             • `/setup board|channels|roles|timezone|reminders|officers`, `/board` to see the settings\n\
             • `/redact` — remove a name or detail typed by mistake from a record, its history and the bot's posts (recorded, never the text)\n",
        );
    }
    if access.is_none() {
        text.push_str("\nThis server is not linked to a board yet: someone with Manage Server runs `/setup board`.\n");
    }
    ctx.send(private(text)).await?;
    Ok(())
}
