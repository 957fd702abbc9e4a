//! `/redact` (secretariat): remove text typed by mistake from one action's or recommendation's
//! record, its history, the digest archive and the bot's own messages. The text is typed in a
//! modal, so it is never shown in the channel or kept in the command's options; the reply is
//! private and never repeats it.

use poise::serenity_prelude as serenity;

use super::{author_tag, private, ref_option};
use crate::delivery::redaction::redact_posted_messages;
use crate::discord::access::{require, Access};
use crate::discord::{current_board, telemetry, BotError, Context};
use crate::services::redact::{
    aftermath, redact as redact_record, redaction_reply, replace_forms, DiscordEdits,
    RedactionRequest, TextToRemove,
};

/// What to remove and why, typed where nobody else sees it.
#[derive(poise::Modal)]
#[name = "Remove text from the record"]
struct WhatToRemove {
    #[name = "Text to remove (exact, case-sensitive)"]
    #[paragraph]
    #[max_length = 1000]
    text: String,
    #[name = "Why (kept in the history; don't repeat it)"]
    #[max_length = 500]
    reason: String,
}

// The modal holds exactly what must not be kept: never printed.
impl std::fmt::Debug for WhatToRemove {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WhatToRemove(..)")
    }
}

/// Remove text typed by mistake (a name, an address) from a record and everywhere it was shown.
#[poise::command(slash_command, guild_only)]
pub async fn redact(
    ctx: Context<'_>,
    #[description = "The action or recommendation the text is in"]
    #[autocomplete = "autocomplete_record"]
    reference: String,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let reference = ref_option(&reference)?;
    let poise::Context::Application(app) = ctx else {
        return Err(BotError::user("Use /redact as a slash command."));
    };
    use poise::Modal as _;
    let Some(form) = telemetry::waiting_for_person(ctx, WhatToRemove::execute(app)).await? else {
        return Ok(());
    };
    let text = TextToRemove::new(&form.text)?;
    let data = ctx.data();
    let store = &data.store;
    let by = author_tag(ctx);
    let request = RedactionRequest {
        reference: &reference,
        text: &text,
        reason: &form.reason,
        by: &by,
        at: data.clock.now(),
    };
    let report = redact_record(store, &board, &request).await?;
    let after = aftermath(store, &board, &report, data.backup_keep_days).await?;
    let messages = store
        .posted_discord_messages(board.id, report.since)
        .await?;
    let edits = redact_posted_messages(
        ctx.http(),
        &messages,
        board.chat.reminder_channel,
        &text.forms(),
        replace_forms,
    )
    .await;
    store
        .record_message_edits(report.id, &edits, data.clock.now())
        .await?;
    // The reason is typed text: shown inert, as everywhere in Discord.
    let shown = crate::services::redact::RedactionReport {
        reason: crate::digest::render::discord::escape(&report.reason),
        ..report
    };
    let reply = redaction_reply(&board, &shown, &after, &DiscordEdits::Checked(edits));
    ctx.send(private(reply)).await?;
    Ok(())
}

/// Autocomplete for the record to redact: actions, then recommendations.
async fn autocomplete_record(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let mut choices = Vec::new();
    if let Ok(board) = current_board(ctx).await {
        let store = &ctx.data().store;
        let actions = store.search_actions(board.id, partial, 25).await;
        let recs = store.search_recommendations(board.id, partial, 25).await;
        for (reference, title) in actions
            .unwrap_or_default()
            .into_iter()
            .chain(recs.unwrap_or_default())
            .take(25)
        {
            // Choice names are at most 100 characters; the value is the bare ref.
            let name = crate::discord::format::fit(&format!("{reference} — {title}"), 100);
            choices.push(serenity::AutocompleteChoice::new(name, reference));
        }
    }
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}
