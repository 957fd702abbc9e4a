//! The renderers' plain messages as private replies to a slash command. Channel messages are
//! built by [`crate::delivery::discord`], which the scheduler uses too.

use poise::serenity_prelude as serenity;
use serenity::CreateAttachment;

use crate::delivery::discord::embed;
use crate::digest::render::discord::Message;

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
