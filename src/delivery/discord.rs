//! Posting to a Discord channel: the renderers' plain messages as Discord requests, with
//! allowed mentions set to exactly the users and roles each message may ping.

use poise::serenity_prelude as serenity;
use serenity::{
    CreateAllowedMentions, CreateAttachment, CreateEmbed, CreateEmbedFooter, CreateMessage,
};

use super::DeliveryError;
use crate::digest::render::discord::{Embed, Message};

/// An embed as Discord builds it.
pub fn embed(e: &Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new().title(&e.title).colour(e.colour);
    if !e.description.is_empty() {
        out = out.description(&e.description);
    }
    for (name, value, inline) in &e.fields {
        out = out.field(name, value, *inline);
    }
    if let Some(footer) = &e.footer {
        out = out.footer(CreateEmbedFooter::new(footer));
    }
    if let Some(image) = &e.image {
        out = out.image(image);
    }
    out
}

/// Allowed mentions for a message: its listed users and roles, never everyone or here.
pub fn mentions(m: &Message) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .replied_user(false)
        .users(m.ping_users.iter().map(|id| serenity::UserId::new(*id)))
        .roles(m.ping_roles.iter().map(|id| serenity::RoleId::new(*id)))
}

/// A channel message.
pub fn to_create_message(m: &Message) -> CreateMessage {
    let mut out = CreateMessage::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .allowed_mentions(mentions(m));
    if !m.content.is_empty() {
        out = out.content(&m.content);
    }
    out.add_files(
        m.files
            .iter()
            .map(|f| CreateAttachment::bytes(f.bytes.clone(), f.name.clone())),
    )
}

/// Post `messages` to a channel, in order, and return the first one's id. Message `i` carries
/// the nonce `{nonce}-{i}`, the same on every attempt, so a message Discord already has is not
/// posted again when a later one failed and the whole post is retried.
pub async fn send(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    messages: &[Message],
    nonce: &str,
) -> Result<Option<String>, DeliveryError> {
    let mut first_id = None;
    for (i, message) in messages.iter().enumerate() {
        let message = to_create_message(message)
            .nonce(serenity::Nonce::String(format!("{nonce}-{i}")))
            .enforce_nonce(true);
        let sent = channel
            .send_message(http, message)
            .await
            .map_err(classify)?;
        first_id.get_or_insert(sent.id.to_string());
    }
    Ok(first_id)
}

/// Map a serenity error to "try again" or "give up".
fn classify(error: serenity::Error) -> DeliveryError {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            let detail = format!("Discord answered {status}: {}", response.error.message);
            if status == 429 || response.status_code.is_server_error() {
                DeliveryError::Retry {
                    status: Some(status),
                    retry_after: None,
                    detail,
                }
            } else {
                DeliveryError::Permanent {
                    status: Some(status),
                    detail,
                }
            }
        }
        serenity::Error::Http(serenity::HttpError::Request(e)) => DeliveryError::Retry {
            status: None,
            retry_after: None,
            detail: format!("could not reach Discord: {}", e.without_url()),
        },
        other => DeliveryError::Permanent {
            status: None,
            detail: other.to_string(),
        },
    }
}
