//! Redaction reaches the messages the bot posted in Discord: each is read back, and where the
//! removed text (in any of the forms it was shown in) is there, the message is edited to show
//! `[redacted]` instead. What happened to each is returned for the store to record and the
//! reply to tell; a message that can no longer be edited is said so, never skipped silently.

use serenity::all as serenity;
use serenity::builder::{CreateAllowedMentions, CreateEmbed, EditMessage};

use crate::store::{MessageEdit, MessageEditOutcome, PostedDiscordMessage};

/// Discord's code for a message that no longer exists.
const UNKNOWN_MESSAGE: isize = 10008;
/// Discord's code for a channel the bot can no longer see.
const UNKNOWN_CHANNEL: isize = 10003;

/// Check every message in `messages` and edit those that show any of `forms`, replacing them
/// with `mark` (through `replace`, which leaves earlier marks alone).
pub async fn redact_posted_messages(
    http: &serenity::Http,
    messages: &[PostedDiscordMessage],
    forms: &[String],
    replace: fn(&str, &[String]) -> (String, usize),
) -> Vec<MessageEdit> {
    let mut edits = Vec::with_capacity(messages.len());
    for posted in messages {
        let outcome = redact_one(http, posted, forms, replace).await;
        let (outcome, detail) = match outcome {
            Ok(outcome) => (outcome, None),
            Err((outcome, detail)) => (outcome, Some(detail)),
        };
        edits.push(MessageEdit {
            channel_id: posted.channel_id.clone(),
            message_id: posted.message_id.clone(),
            outcome,
            detail,
        });
    }
    edits
}

async fn redact_one(
    http: &serenity::Http,
    posted: &PostedDiscordMessage,
    forms: &[String],
    replace: fn(&str, &[String]) -> (String, usize),
) -> Result<MessageEditOutcome, (MessageEditOutcome, String)> {
    let (Ok(channel), Ok(message)) = (
        posted.channel_id.parse::<u64>(),
        posted.message_id.parse::<u64>(),
    ) else {
        return Err((
            MessageEditOutcome::Failed,
            "the stored channel or message id is not a Discord id".to_string(),
        ));
    };
    let channel = serenity::ChannelId::new(channel.max(1));
    let message_id = serenity::MessageId::new(message.max(1));
    let mut message = http
        .get_message(channel, message_id)
        .await
        .map_err(|e| classify(&e))?;
    let mut found = 0;
    let mut fix = |text: &mut String| {
        let (new, count) = replace(text, forms);
        if count > 0 {
            *text = new;
            found += count;
        }
    };
    fix(&mut message.content);
    for embed in &mut message.embeds {
        for text in [&mut embed.title, &mut embed.description]
            .into_iter()
            .flatten()
        {
            fix(text);
        }
        for field in &mut embed.fields {
            fix(&mut field.name);
            fix(&mut field.value);
        }
        if let Some(footer) = embed.footer.as_mut() {
            fix(&mut footer.text);
        }
        if let Some(author) = embed.author.as_mut() {
            fix(&mut author.name);
        }
    }
    if found == 0 {
        return Ok(MessageEditOutcome::Unchanged);
    }
    let mut edit = EditMessage::new()
        // An edit never pings anyone, whatever the message mentions.
        .allowed_mentions(CreateAllowedMentions::new())
        .embeds(message.embeds.into_iter().map(CreateEmbed::from).collect());
    if !message.content.is_empty() {
        edit = edit.content(message.content);
    }
    channel
        .edit_message(http, message_id, edit)
        .await
        .map_err(|e| classify(&e))?;
    Ok(MessageEditOutcome::Edited)
}

/// What a failed read or edit means for the person redacting.
fn classify(e: &serenity::Error) -> (MessageEditOutcome, String) {
    if let serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) = e {
        let code = response.error.code;
        let status = response.status_code.as_u16();
        return match (status, code) {
            (_, UNKNOWN_MESSAGE) => (
                MessageEditOutcome::Gone,
                "the message was deleted in Discord".to_string(),
            ),
            (_, UNKNOWN_CHANNEL) | (403, _) => (
                MessageEditOutcome::Refused,
                format!(
                    "Discord refused (HTTP {status}, code {code}): the bot can no longer read \
                     or edit it; a server admin can delete it"
                ),
            ),
            _ => (
                MessageEditOutcome::Failed,
                format!("Discord answered HTTP {status} (code {code}); edit or delete it by hand in Discord"),
            ),
        };
    }
    (
        MessageEditOutcome::Failed,
        format!("Discord could not be reached ({e}); edit or delete it by hand in Discord"),
    )
}
