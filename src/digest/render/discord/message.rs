//! The message model: one Discord message as plain data (content, embeds, files, exactly who
//! may be pinged), Discord's limits on it, and packing embeds into as few messages as those
//! limits allow. The Discord adapter turns these into API requests; keeping them plain lets
//! tests check every limit without a client.

use super::controls::{PostPart, Row};
use super::lines::fit;

/// Discord's limits on one message.
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBEDS_PER_MESSAGE: usize = 10;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    pub const EMBEDS_TOTAL: usize = 6000;
    pub const FILES_PER_MESSAGE: usize = 10;
}

/// One embed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Embed {
    pub title: String,
    pub description: String,
    pub colour: u32,
    /// (name, value, inline)
    pub fields: Vec<(String, String, bool)>,
    pub footer: Option<String>,
    /// `attachment://NAME` of an attached image to show in the embed.
    pub image: Option<String>,
}

impl Embed {
    /// Characters that count toward the 6,000-per-message limit.
    pub fn size(&self) -> usize {
        self.title.chars().count()
            + self.description.chars().count()
            + self
                .fields
                .iter()
                .map(|(n, v, _)| n.chars().count() + v.chars().count())
                .sum::<usize>()
            + self.footer.as_deref().map_or(0, |f| f.chars().count())
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct File {
    pub name: String,
    /// Base64 when serialised (the digest archive keeps messages as JSON): a PNG as a list of
    /// numbers would be four times the size.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// Bytes as standard base64 text, for [`File`].
mod base64_bytes {
    use base64::Engine as _;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// One message, and exactly whom it may ping.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub files: Vec<File>,
    /// Users this message may ping (the assigned officers of a reminder); nobody else.
    pub ping_users: Vec<u64>,
    /// Roles this message may ping (the admin role, for escalations); nobody else.
    pub ping_roles: Vec<u64>,
    /// Select menus and buttons under the message (at most five rows). Left out of the JSON
    /// when there are none, so messages archived before controls existed read the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Row>,
}

impl Message {
    /// The same message with its controls pointing at the post and part it is sent as: the
    /// renderers do not know the delivery log's ids, the sender does.
    pub fn for_post(&self, on: PostPart) -> Message {
        let mut out = self.clone();
        for row in &mut out.components {
            match row {
                Row::Select { id, .. } => *id = id.clone().on(on),
                Row::Buttons(buttons) => {
                    for b in buttons {
                        b.id = b.id.clone().on(on);
                    }
                }
            }
        }
        out
    }
}

/// Put embeds into as few messages as Discord allows, in order: at most 10 embeds, 10 files and
/// 6,000 embed characters per message. The first message carries `content`.
pub fn pack(
    content: String,
    embeds: Vec<(Embed, Vec<File>)>,
    ping_users: Vec<u64>,
    ping_roles: Vec<u64>,
) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    let mut current = Message {
        content: fit(&content, limits::CONTENT),
        ping_users,
        ping_roles,
        ..Default::default()
    };
    let mut size = 0;
    for (embed, files) in embeds {
        let embed = clamp(embed);
        let too_big = size + embed.size() > limits::EMBEDS_TOTAL
            || current.embeds.len() == limits::EMBEDS_PER_MESSAGE
            || current.files.len() + files.len() > limits::FILES_PER_MESSAGE;
        if too_big && !current.embeds.is_empty() {
            messages.push(std::mem::take(&mut current));
            size = 0;
        }
        size += embed.size();
        current.embeds.push(embed);
        current.files.extend(files);
    }
    if !current.embeds.is_empty() || !current.content.is_empty() {
        messages.push(current);
    }
    messages
}

/// Enforce every per-embed limit (a last line of defence: builders already fit their text).
pub(super) fn clamp(mut e: Embed) -> Embed {
    e.title = fit(&e.title, limits::EMBED_TITLE);
    e.description = fit(&e.description, limits::EMBED_DESCRIPTION);
    e.fields.truncate(limits::EMBED_FIELDS);
    for (name, value, _) in &mut e.fields {
        *name = fit(name, limits::FIELD_NAME);
        *value = fit(value, limits::FIELD_VALUE);
    }
    e.footer = e.footer.map(|f| fit(&f, limits::FOOTER));
    // An embed over the whole-message budget on its own is cut down field by field.
    while e.size() > limits::EMBEDS_TOTAL && !e.fields.is_empty() {
        e.fields.pop();
    }
    e
}
