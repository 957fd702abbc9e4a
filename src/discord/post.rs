//! Turning the renderers' plain messages into Discord requests, with allowed mentions set to
//! exactly the users and roles each message may ping.

use poise::serenity_prelude as serenity;
use serenity::{
    CreateAllowedMentions, CreateAttachment, CreateEmbed, CreateEmbedFooter, CreateMessage,
};

use crate::digest::render::discord::{Embed, Message};

fn embed(e: &Embed) -> CreateEmbed {
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

/// A private reply (a preview): the same message, pinging nobody.
pub fn to_private_reply(m: &Message) -> poise::CreateReply {
    let mut reply = poise::CreateReply::default()
        .ephemeral(true)
        .allowed_mentions(super::format::no_pings());
    if !m.content.is_empty() {
        reply = reply.content(&m.content);
    }
    for e in &m.embeds {
        reply = reply.embed(embed(e));
    }
    for f in &m.files {
        reply = reply.attachment(CreateAttachment::bytes(f.bytes.clone(), f.name.clone()));
    }
    reply
}
