//! Posting to a Discord channel: the renderers' plain messages as Discord requests, with
//! allowed mentions set to exactly the users and roles each message may ping (each once:
//! Discord refuses a list that names someone twice).

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

/// Allowed mentions for a message: its listed users and roles, each once (a reminder that
/// escalates and also reports a failed post names the admin role twice, and Discord refuses
/// the whole message for that), never everyone or here.
pub fn mentions(m: &Message) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .replied_user(false)
        .users(each_once(&m.ping_users).map(serenity::UserId::new))
        .roles(each_once(&m.ping_roles).map(serenity::RoleId::new))
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

/// Post one message to a channel with `nonce`, which Discord enforces: sent again with the
/// same nonce within a few minutes, Discord answers with the message it already has instead of
/// posting it twice. Returns the message's id.
pub async fn send_one(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    message: &Message,
    nonce: &str,
) -> Result<String, DeliveryError> {
    let request = to_create_message(message)
        .nonce(serenity::Nonce::String(nonce.to_string()))
        .enforce_nonce(true);
    let sent = channel
        .send_message(http, request)
        .await
        .map_err(classify)?;
    Ok(sent.id.to_string())
}

/// How far back of `since` a message found in the channel may be stamped and still count:
/// Discord's clock and ours can disagree by a little.
const CLOCK_SLACK_SECONDS: i64 = 60;

/// Look in the channel for `message`, posted by this bot since `since`: after a crash between
/// sending and recording, Discord may have it, and a nonce no longer protects against posting
/// it twice once its few minutes have passed. Compares what people see (the text and the
/// embeds' titles and descriptions) among the bot's 50 most recent messages there.
pub async fn find_sent(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    message: &Message,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, DeliveryError> {
    let me = http.get_current_user().await.map_err(classify)?;
    let recent = channel
        .messages(http, serenity::GetMessages::new().limit(50))
        .await
        .map_err(classify)?;
    let not_before = since - chrono::Duration::seconds(CLOCK_SLACK_SECONDS);
    let found = recent.into_iter().find(|m| {
        m.author.id == me.id
            && m.timestamp.unix_timestamp() >= not_before.timestamp()
            && m.content.trim() == message.content.trim()
            && m.embeds.len() == message.embeds.len()
            && m.embeds.iter().zip(&message.embeds).all(|(got, sent)| {
                got.title.as_deref().unwrap_or_default() == sent.title
                    && got.description.as_deref().unwrap_or_default() == sent.description
            })
    });
    Ok(found.map(|m| m.id.to_string()))
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

/// Each id once, in the order first listed.
fn each_once(ids: &[u64]) -> impl Iterator<Item = u64> + '_ {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(move |id| seen.insert(*id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_and_role_is_allowed_once_in_the_order_first_listed() {
        let message = Message {
            content: "<@&10> ⚠ The reminder could not be posted\n<@&10>: some are overdue".into(),
            ping_users: vec![3, 1, 3, 2, 1],
            ping_roles: vec![10, 10],
            ..Default::default()
        };
        let body = serde_json::to_value(mentions(&message)).unwrap();
        assert_eq!(body["users"], serde_json::json!(["3", "1", "2"]));
        assert_eq!(body["roles"], serde_json::json!(["10"]));
        assert_eq!(body["parse"], serde_json::json!([]));
        assert_eq!(body["replied_user"], false);
    }
}
