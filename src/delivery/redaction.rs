//! Redaction reaches the messages the bot posted in Discord: each is read back, and where the
//! removed text (in any of the forms it was shown in) is there, the message is edited to show
//! `[redacted]` instead. What happened to each is returned for the store to record and the
//! reply to tell; a message that can no longer be edited is said so, never skipped silently.

use serenity::all as serenity;
use serenity::builder::{CreateAllowedMentions, CreateEmbed};

use crate::store::{MessageEdit, MessageEditOutcome, PostedDiscordMessage};

/// Discord's code for a message that no longer exists.
const UNKNOWN_MESSAGE: isize = 10008;
/// Discord's code for a channel the bot can no longer see.
const UNKNOWN_CHANNEL: isize = 10003;

/// Check every message in `messages` and edit those that show any of `forms`, replacing them
/// with `mark` (through `replace`, which leaves earlier marks alone). A reminder sent by
/// direct message is looked for in the officer's DM, then in `fallback` (the reminder channel,
/// where it went if Discord refused the DM).
pub async fn redact_posted_messages(
    http: &serenity::Http,
    messages: &[PostedDiscordMessage],
    fallback: Option<u64>,
    forms: &[String],
    replace: fn(&str, &[String]) -> (String, usize),
) -> Vec<MessageEdit> {
    let mut edits = Vec::with_capacity(messages.len());
    for posted in messages {
        // Where to look: the channel; for a DM, the officer's DM and then the fallback.
        let places: Vec<String> = match posted.channel_id.strip_prefix("dm:") {
            None => vec![posted.channel_id.clone()],
            Some(officer) => {
                let dm = match officer.parse::<u64>() {
                    Ok(officer) => crate::delivery::discord::open_dm(http, officer).await.ok(),
                    Err(_) => None,
                };
                dm.map(|c| c.get())
                    .into_iter()
                    .chain(fallback)
                    .map(|c| c.to_string())
                    .collect()
            }
        };
        let mut result = (
            posted.channel_id.clone(),
            Err((
                MessageEditOutcome::Failed,
                "the officer's direct messages could not be opened".to_string(),
            )),
        );
        for channel in places {
            let here = PostedDiscordMessage {
                channel_id: channel.clone(),
                ..posted.clone()
            };
            let outcome = redact_one(http, &here, forms, replace).await;
            let gone = matches!(outcome, Err((MessageEditOutcome::Gone, _)));
            result = (channel, outcome);
            if !gone {
                break;
            }
        }
        let (channel_id, outcome) = result;
        let (outcome, detail) = match outcome {
            Ok(outcome) => (outcome, None),
            Err((outcome, detail)) => (outcome, Some(detail)),
        };
        edits.push(MessageEdit {
            channel_id,
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
    let (found, components) = redact_message_text(&mut message, forms, replace);
    if found == 0 {
        return Ok(MessageEditOutcome::Unchanged);
    }
    let embeds: Vec<CreateEmbed> = message.embeds.into_iter().map(CreateEmbed::from).collect();
    let mut body = serde_json::json!({
        // An edit never pings anyone, whatever the message mentions.
        "allowed_mentions": CreateAllowedMentions::new(),
        "embeds": embeds,
    });
    if !message.content.is_empty() {
        body["content"] = message.content.into();
    }
    if let Some(components) = components {
        body["components"] = components;
    }
    http.edit_message(channel, message_id, &body, Vec::new())
        .await
        .map_err(|e| classify(&e))?;
    Ok(MessageEditOutcome::Edited)
}

/// Remove the text from what people read in `message`: its content, its embeds and its
/// menus. Returns how many occurrences went, and the components to send back when they held
/// some (the menus name actions: an option's label and description, a placeholder).
fn redact_message_text(
    message: &mut serenity::Message,
    forms: &[String],
    replace: fn(&str, &[String]) -> (String, usize),
) -> (usize, Option<serde_json::Value>) {
    // Each text in place, returning how many occurrences went.
    let fix = |text: &mut String| {
        let (new, count) = replace(text, forms);
        if count > 0 {
            *text = new;
        }
        count
    };
    let mut found = fix(&mut message.content);
    for embed in &mut message.embeds {
        for text in [&mut embed.title, &mut embed.description]
            .into_iter()
            .flatten()
        {
            found += fix(text);
        }
        for field in &mut embed.fields {
            found += fix(&mut field.name) + fix(&mut field.value);
        }
        if let Some(footer) = embed.footer.as_mut() {
            found += fix(&mut footer.text);
        }
        if let Some(author) = embed.author.as_mut() {
            found += fix(&mut author.name);
        }
    }
    let mut in_components = 0;
    let mut components = serde_json::to_value(&message.components).unwrap_or_default();
    redact_component_text(&mut components, &mut |text: &mut String| {
        in_components += fix(text)
    });
    (
        found + in_components,
        (in_components > 0).then_some(components),
    )
}

/// Apply `fix` to the text people read in a message's components: labels, descriptions and
/// placeholders (ids and values are the bot's own and stay).
fn redact_component_text(value: &mut serde_json::Value, fix: &mut impl FnMut(&mut String)) {
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                redact_component_text(item, fix);
            }
        }
        serde_json::Value::Object(map) => {
            // As read back, a menu carries fields Discord does not take in a request (an empty
            // `channel_types`, nulls): drop them, so the edit sends what the bot first sent.
            map.retain(|key, v| {
                !(v.is_null()
                    || (key == "channel_types" && v.as_array().is_some_and(Vec::is_empty)))
            });
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v) {
                    ("label" | "description" | "placeholder", serde_json::Value::String(text)) => {
                        fix(text)
                    }
                    (_, v) => redact_component_text(v, fix),
                }
            }
        }
        _ => {}
    }
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
