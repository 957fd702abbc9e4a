//! "Preview my actions" on a digest post: the clicking person's own open actions, privately —
//! what `/mine` shows — so a member reading the digest can see what is theirs and act on it.

use poise::serenity_prelude as serenity;

use super::reminder::board_of;
use crate::discord::format::{action_status_line, list_reply};
use crate::discord::{BotError, Data};
use crate::domain::OfficerId;
use crate::store::ActionFilter;

/// How many a preview lists (as `/mine` does); the footer says how to see them all.
const SHOWN: u32 = 60;

/// Answer a click on "Preview my actions".
pub async fn preview(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    board: i64,
) -> Result<(), BotError> {
    let board = board_of(data, board, press.guild_id).await?;
    let today = board.settings.time_zone.today(data.clock.now());
    let filter = ActionFilter {
        officer: Some(OfficerId::new(press.user.id.get())),
        open_only: true,
        limit: Some(SHOWN),
        ..Default::default()
    };
    let actions = data.store.find_actions(board.id, &filter).await?;
    let total = if actions.len() < SHOWN as usize {
        actions.len()
    } else {
        data.store.count_actions(board.id, &filter).await?
    };
    let lines: Vec<String> = actions
        .iter()
        .map(|a| action_status_line(a, today))
        .collect();
    let reply = list_reply(
        &format!("{total} open actions assigned to you"),
        &lines,
        total,
        "You have no open actions assigned to you.",
        None,
        "/mine full:True attaches them all.",
    );
    let message =
        reply.to_slash_initial_response(serenity::CreateInteractionResponseMessage::new());
    press
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::Message(message),
        )
        .await?;
    Ok(())
}
