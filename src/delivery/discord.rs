//! Posting to a Discord channel: the renderers' plain messages as Discord requests, with
//! allowed mentions set to exactly the users and roles each message may ping (each once:
//! Discord refuses a list that names someone twice).
//!
//! When serenity's rate limiter is off (`discord.api_url` set: a proxy, or the tests' fake),
//! Discord's answer to a post is read here rather than by serenity: serenity 0.12's error for
//! an unsuccessful request keeps only the status and Discord's `code`, `message` and `errors`,
//! so a 429's `retry_after` (in the body, and in the `Retry-After` and
//! `X-RateLimit-Reset-After` headers) would be lost, and with it how long Discord asked us to
//! wait. Serenity still builds the request's URL and headers ([`::serenity::http::Request`]).

use poise::serenity_prelude as serenity;
use serenity::{
    CreateAllowedMentions, CreateAttachment, CreateEmbed, CreateEmbedFooter, CreateMessage,
};

use super::{DeliveryError, RetryAfter};
use crate::digest::render::discord::controls::{Button, ButtonStyle, ControlId, Row, SelectOption};
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

/// A message's controls as Discord builds them.
pub fn components(rows: &[Row]) -> Vec<serenity::CreateActionRow> {
    rows.iter()
        .map(|row| match row {
            Row::Select {
                id,
                placeholder,
                options,
            } => {
                let options = options
                    .iter()
                    .map(|o| {
                        let option = serenity::CreateSelectMenuOption::new(&o.label, &o.value);
                        match &o.description {
                            Some(d) => option.description(d),
                            None => option,
                        }
                    })
                    .collect();
                serenity::CreateActionRow::SelectMenu(
                    serenity::CreateSelectMenu::new(
                        id.to_string(),
                        serenity::CreateSelectMenuKind::String { options },
                    )
                    .placeholder(placeholder),
                )
            }
            Row::Buttons(buttons) => serenity::CreateActionRow::Buttons(
                buttons
                    .iter()
                    .map(|b| {
                        serenity::CreateButton::new(b.id.to_string())
                            .label(&b.label)
                            .style(match b.style {
                                ButtonStyle::Primary => serenity::ButtonStyle::Primary,
                                ButtonStyle::Secondary => serenity::ButtonStyle::Secondary,
                                ButtonStyle::Success => serenity::ButtonStyle::Success,
                            })
                    })
                    .collect(),
            ),
        })
        .collect()
}

/// A posted message read back as the plain model: its text, embeds and the controls this bot
/// put on it (others' are left out), and the users and roles its text mentions (an edit
/// allows exactly those again). Files are not read back: an edit leaves them as they are.
pub fn from_posted(m: &serenity::Message) -> Message {
    let embeds = m
        .embeds
        .iter()
        .map(|e| Embed {
            title: e.title.clone().unwrap_or_default(),
            description: e.description.clone().unwrap_or_default(),
            colour: e.colour.map_or(0, |c| c.0),
            fields: e
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone(), f.inline))
                .collect(),
            footer: e.footer.as_ref().map(|f| f.text.clone()),
            image: e.image.as_ref().map(|i| i.url.clone()),
        })
        .collect();
    let rows = m
        .components
        .iter()
        .filter_map(|row| {
            let mut buttons = Vec::new();
            for c in &row.components {
                match c {
                    serenity::ActionRowComponent::SelectMenu(menu) => {
                        let id = ControlId::parse(menu.custom_id.as_deref()?)?;
                        return Some(Row::Select {
                            id,
                            placeholder: menu.placeholder.clone().unwrap_or_default(),
                            options: menu
                                .options
                                .iter()
                                .map(|o| SelectOption {
                                    label: o.label.clone(),
                                    value: o.value.clone(),
                                    description: o.description.clone(),
                                })
                                .collect(),
                        });
                    }
                    serenity::ActionRowComponent::Button(b) => {
                        if let serenity::ButtonKind::NonLink { custom_id, style } = &b.data {
                            if let Some(id) = ControlId::parse(custom_id) {
                                buttons.push(Button {
                                    id,
                                    label: b.label.clone().unwrap_or_default(),
                                    style: match style {
                                        serenity::ButtonStyle::Primary => ButtonStyle::Primary,
                                        serenity::ButtonStyle::Success => ButtonStyle::Success,
                                        _ => ButtonStyle::Secondary,
                                    },
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
            (!buttons.is_empty()).then_some(Row::Buttons(buttons))
        })
        .collect();
    Message {
        content: m.content.clone(),
        embeds,
        files: Vec::new(),
        ping_users: mentioned(&m.content, "<@"),
        ping_roles: mentioned(&m.content, "<@&"),
        components: rows,
    }
}

/// The ids `text` mentions as `<@id>` (users) or `<@&id>` (roles).
fn mentioned(text: &str, opening: &str) -> Vec<u64> {
    text.split(opening)
        .skip(1)
        .filter_map(|rest| {
            let digits: &str = rest.split('>').next()?;
            digits.parse().ok()
        })
        .collect()
}

/// A channel message.
pub fn to_create_message(m: &Message) -> CreateMessage {
    let mut out = CreateMessage::new()
        .embeds(m.embeds.iter().map(embed).collect())
        .allowed_mentions(mentions(m));
    if !m.components.is_empty() {
        out = out.components(components(&m.components));
    }
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
    let sent = post_message(http, channel, message, nonce).await?;
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

/// Map a serenity error to "try again" or "give up". Serenity's error keeps no `retry_after`
/// (see the module documentation), so a 429 here leaves the wait to the scheduler's backoff;
/// with serenity's limiter on, a 429 rarely gets here at all (the limiter waits and retries).
fn classify(error: serenity::Error) -> DeliveryError {
    match error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => answered(
            response.status_code.as_u16(),
            Some(response.error.code),
            &response.error.message,
            &response.error.errors,
            None,
        ),
        serenity::Error::Http(serenity::HttpError::Request(e)) => could_not_reach(e),
        other => DeliveryError::Permanent {
            status: None,
            detail: other.to_string(),
        },
    }
}

/// Discord's code when it will not deliver a direct message (the person's privacy settings
/// block DMs from the server's members, or they share no server with the bot), as the
/// refusal's detail names it: the code, not the words, which Discord may reword.
const DM_REFUSED: &str = "(code 50007)";

/// Whether a send failed because Discord refused the direct message (code 50007).
pub fn dm_refused(error: &DeliveryError) -> bool {
    matches!(error, DeliveryError::Permanent { status: Some(403), detail } if detail.contains(DM_REFUSED))
}

/// The direct-message channel with `user` (Discord returns the same one each time).
pub async fn open_dm(
    http: &serenity::Http,
    user: u64,
) -> Result<serenity::ChannelId, DeliveryError> {
    serenity::UserId::new(user)
        .create_dm_channel(http)
        .await
        .map(|c| c.id)
        .map_err(classify)
}

/// Why a posted message could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// Discord no longer has the message (deleted, or its channel gone): code 10008, or 10003
    /// for the channel.
    #[error("the message is no longer there (it was deleted, or its channel was)")]
    UnknownMessage,
    /// Someone else posted it, and only its author may edit a message: code 50005.
    #[error("the message was not posted by this bot, so the bot cannot edit it")]
    NotTheBots,
    /// Anything else: rate limited, Discord's trouble, a body it refused, no access.
    #[error(transparent)]
    Other(DeliveryError),
}

/// Replace what a posted message shows (its text, embeds and controls) with `message`, by channel and
/// message id. The text and embeds are replaced whole, even when empty, so the message shows
/// exactly `message`; its attached files stay as they were (an edit does not re-upload them).
/// Its allowed mentions are the message's own, as when it was posted: Discord parses mentions
/// again on an edit, and the officers it names keep their highlight without anyone new being
/// pinged.
pub async fn edit_message(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    message_id: serenity::MessageId,
    message: &Message,
) -> Result<(), EditError> {
    let edit = serenity::EditMessage::new()
        .content(&message.content)
        .embeds(message.embeds.iter().map(embed).collect())
        .components(components(&message.components))
        .allowed_mentions(mentions(message));
    match channel.edit_message(http, message_id, edit).await {
        Ok(_) => Ok(()),
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)))
            if matches!(response.error.code, 10008 | 10003) =>
        {
            Err(EditError::UnknownMessage)
        }
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)))
            if response.error.code == 50005 =>
        {
            Err(EditError::NotTheBots)
        }
        Err(other) => Err(EditError::Other(classify(other))),
    }
}

/// Each id once, in the order first listed.
fn each_once(ids: &[u64]) -> impl Iterator<Item = u64> + '_ {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(move |id| seen.insert(*id))
}

/// Post one message to a channel with its nonce (Discord keeps the first message sent with a
/// nonce for a few minutes and answers a repeat with it) and return what Discord created.
///
/// With serenity's rate limiter on, serenity posts it and waits out 429s itself. With it off
/// (`discord.api_url`), the answer is read here, so a 429 becomes a retry after exactly what
/// Discord asked (bounded by [`RetryAfter`]).
pub async fn post_message(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    message: &Message,
    nonce: &str,
) -> Result<serenity::Message, DeliveryError> {
    if http.ratelimiter.is_some() {
        let message = to_create_message(message)
            .nonce(serenity::Nonce::String(nonce.to_string()))
            .enforce_nonce(true);
        return channel.send_message(http, message).await.map_err(classify);
    }
    let client = direct_client();
    let request = create_message_request(http, client, channel)?;
    // The same body serenity sends: the message as JSON, and with files a multipart form whose
    // `files[i]` part is the attachment with id `i` (serenity numbers new attachments only when
    // it sends them itself, so they are numbered here).
    let mut payload = serde_json::to_value(
        to_create_message(message)
            .nonce(serenity::Nonce::String(nonce.to_string()))
            .enforce_nonce(true),
    )
    .map_err(|e| DeliveryError::Permanent {
        status: None,
        detail: format!("could not write the message as JSON: {e}"),
    })?;
    let request = if message.files.is_empty() {
        request.json(&payload)
    } else {
        payload["attachments"] = message
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| serde_json::json!({"id": i, "filename": f.name}))
            .collect();
        let mut form = reqwest::multipart::Form::new();
        for (i, f) in message.files.iter().enumerate() {
            let part = reqwest::multipart::Part::bytes(f.bytes.clone())
                .file_name(f.name.clone())
                .mime_str(media_type(&f.name))
                .expect("the media types below are valid");
            form = form.part(format!("files[{i}]"), part);
        }
        request.multipart(form.text("payload_json", payload.to_string()))
    };
    // A Discord (or proxy) that takes the request and never answers must not hold up every
    // other board's posts: give up on this attempt, and the retry looks for the message
    // before sending it again.
    let response = request
        .timeout(POST_TIMEOUT)
        .send()
        .await
        .map_err(could_not_reach)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(could_not_reach)?;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&body).map_err(|e| DeliveryError::Permanent {
            status: Some(status),
            detail: format!("Discord's answer was not a message: {e}"),
        });
    }
    Err(refused(status, &headers, &body))
}

/// A client for the posts read directly: one connection pool for the process (serenity keeps
/// its own client private).
/// How long one post may take before it counts as unanswered (a large digest with its chart
/// and files is a few hundred kilobytes).
const POST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn direct_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

/// Discord's create-message route as serenity builds it (the URL through `discord.api_url`,
/// the bot's `Authorization` and serenity's `User-Agent`), for the caller to give a body.
fn create_message_request(
    http: &serenity::Http,
    client: &reqwest::Client,
    channel: serenity::ChannelId,
) -> Result<reqwest::RequestBuilder, DeliveryError> {
    use ::serenity::http::{LightMethod, Request, Route};
    let built = Request::new(
        Route::ChannelMessages {
            channel_id: channel,
        },
        LightMethod::Post,
    )
    .build(client, http.token(), http.proxy.as_deref())
    .map_err(classify)?
    .build()
    .map_err(could_not_reach)?;
    let mut headers = built.headers().clone();
    // The body set later brings its own length and type.
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.remove(reqwest::header::CONTENT_TYPE);
    Ok(client.post(built.url().clone()).headers(headers))
}

/// The media type of an attached file, by its extension (the renderers attach charts, CSV
/// tables and board papers).
fn media_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("png") => "image/png",
        Some("csv") => "text/csv",
        Some("html") => "text/html",
        Some("json") => "application/json",
        Some("md") => "text/markdown",
        _ => "application/octet-stream",
    }
}

/// Discord's answer to a post it did not create: its words, and for a 429 (or a 5xx that
/// says) how long it asked us to wait.
fn refused(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> DeliveryError {
    let retry_after = retry_after(headers, body);
    // Serenity's reader of Discord's errors flattens `errors` into paths; a body without a
    // `code` (a 429's) is read for its message alone.
    match serde_json::from_slice::<::serenity::http::DiscordJsonError>(body) {
        Ok(error) => answered(
            status,
            Some(error.code),
            &error.message,
            &error.errors,
            retry_after,
        ),
        Err(_) => {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let message = value["message"].as_str().unwrap_or("no message");
            answered(status, None, message, &[], retry_after)
        }
    }
}

/// How long Discord asked us to wait: `retry_after` in the body (seconds, to the
/// millisecond), else `X-RateLimit-Reset-After`, else `Retry-After`; bounded as
/// [`RetryAfter::parse`] bounds any server's answer.
fn retry_after(headers: &reqwest::header::HeaderMap, body: &[u8]) -> Option<RetryAfter> {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let from_body = match &value["retry_after"] {
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    [
        from_body,
        header("x-ratelimit-reset-after"),
        header("retry-after"),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| RetryAfter::parse(&v))
}

/// "Try again" (rate limited, Discord's trouble) or "give up" (refused: permissions, a body
/// Discord will never take), in Discord's words with the place of each problem.
fn answered(
    status: u16,
    code: Option<isize>,
    message: &str,
    errors: &[::serenity::http::DiscordJsonSingleError],
    retry_after: Option<RetryAfter>,
) -> DeliveryError {
    // Discord's JSON code says which refusal it is (50007, 50013 …); 0 is "none given".
    let code = code
        .filter(|c| *c != 0)
        .map(|c| format!(" (code {c})"))
        .unwrap_or_default();
    let mut detail = format!("Discord answered {status}{code}: {message}");
    if !errors.is_empty() {
        let places: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect();
        detail.push_str(&format!(" ({})", places.join("; ")));
    }
    if status == 429 || (500..600).contains(&status) {
        DeliveryError::Retry {
            status: Some(status),
            retry_after,
            detail,
        }
    } else {
        DeliveryError::Permanent {
            status: Some(status),
            detail,
        }
    }
}

/// Discord could not be reached (or hung up): worth trying again. The URL is left out: with
/// `discord.api_url` it may name a private proxy.
fn could_not_reach(e: reqwest::Error) -> DeliveryError {
    let e = e.without_url();
    DeliveryError::Retry {
        status: None,
        retry_after: None,
        detail: format!("could not reach Discord: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::time::Duration;

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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn wait(error: &DeliveryError) -> Option<Duration> {
        match error {
            DeliveryError::Retry { retry_after, .. } => retry_after.map(|r| match r {
                RetryAfter::Wait(d) => d,
                RetryAfter::Until(_) => panic!("Discord sends seconds"),
            }),
            DeliveryError::Permanent { .. } => panic!("a 429 is worth retrying: {error:?}"),
        }
    }

    #[test]
    fn discords_retry_after_is_read_from_the_body_first_then_the_headers() {
        let limited =
            br#"{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}"#;
        let all = headers(&[("retry-after", "2"), ("x-ratelimit-reset-after", "1.700")]);
        let e = refused(429, &all, limited);
        assert_eq!(wait(&e), Some(Duration::from_millis(1500)));
        assert_eq!(
            e.to_string(),
            "temporary failure (HTTP 429): Discord answered 429: You are being rate limited."
        );
        let no_body = br#"{"message": "You are being rate limited.", "global": false}"#;
        assert_eq!(
            wait(&refused(429, &all, no_body)),
            Some(Duration::from_millis(1700))
        );
        let only_retry_after = headers(&[("retry-after", "3")]);
        assert_eq!(
            wait(&refused(429, &only_retry_after, b"not json")),
            Some(Duration::from_secs(3))
        );
        assert_eq!(wait(&refused(429, &HeaderMap::new(), no_body)), None);
    }

    #[test]
    fn a_retry_after_out_of_bounds_is_clamped_and_an_unreadable_one_ignored() {
        let none = HeaderMap::new();
        let body = |s: &str| format!(r#"{{"message": "m", "retry_after": {s}}}"#);
        for (value, expected) in [
            ("-1", Some(Duration::ZERO)),
            ("0", Some(Duration::ZERO)),
            ("1e12", Some(crate::delivery::MAX_RETRY_AFTER)),
            ("\"soon\"", None),
        ] {
            assert_eq!(
                wait(&refused(429, &none, body(value).as_bytes())),
                expected,
                "{value}"
            );
        }
        // An unreadable body value falls back to the headers.
        let headers = headers(&[("x-ratelimit-reset-after", "0.250")]);
        assert_eq!(
            wait(&refused(429, &headers, body("\"soon\"").as_bytes())),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn a_refused_body_is_permanent_and_says_where_the_problem_is() {
        let body = br#"{"code": 50035, "message": "Invalid Form Body", "errors": {"allowed_mentions": {"roles": {"1": {"_errors": [{"code": "SET_TYPE_ALREADY_CONTAINS_VALUE", "message": "The set already contains this value"}]}}}}}"#;
        let e = refused(400, &HeaderMap::new(), body);
        assert_eq!(
            e,
            DeliveryError::Permanent {
                status: Some(400),
                detail: "Discord answered 400 (code 50035): Invalid Form Body (allowed_mentions.roles.1: The set already contains this value)".into(),
            }
        );
        let missing = br#"{"code": 50013, "message": "Missing Permissions"}"#;
        assert!(matches!(
            refused(403, &HeaderMap::new(), missing),
            DeliveryError::Permanent {
                status: Some(403),
                ..
            }
        ));
    }

    #[test]
    fn a_refused_dm_is_known_by_its_code_whatever_the_words() {
        let reworded = br#"{"code": 50007, "message": "This user does not accept DMs"}"#;
        assert!(dm_refused(&refused(403, &HeaderMap::new(), reworded)));
        let missing = br#"{"code": 50013, "message": "Cannot send messages to this user"}"#;
        assert!(!dm_refused(&refused(403, &HeaderMap::new(), missing)));
        let elsewhere = br#"{"code": 50007, "message": "Cannot send messages to this user"}"#;
        assert!(
            !dm_refused(&refused(400, &HeaderMap::new(), elsewhere)),
            "only as a 403"
        );
    }

    #[test]
    fn discords_own_trouble_is_retried_after_what_it_asked_if_it_did() {
        let body = br#"{"code": 0, "message": "upstream connect error"}"#;
        for status in [500, 502, 503, 599] {
            assert!(
                matches!(
                    refused(status, &HeaderMap::new(), body),
                    DeliveryError::Retry {
                        retry_after: None,
                        ..
                    }
                ),
                "{status}"
            );
        }
        let asked = headers(&[("retry-after", "7")]);
        assert_eq!(
            wait(&refused(503, &asked, body)),
            Some(Duration::from_secs(7))
        );
        for status in [400, 404, 499, 600] {
            assert!(
                matches!(
                    refused(status, &asked, body),
                    DeliveryError::Permanent { .. }
                ),
                "{status}"
            );
        }
    }

    #[test]
    fn attached_files_are_sent_with_their_media_type() {
        assert_eq!(media_type("chart.png"), "image/png");
        assert_eq!(media_type("BY-OWNER.CSV"), "text/csv");
        assert_eq!(media_type("board-paper.html"), "text/html");
        assert_eq!(media_type("digest.json"), "application/json");
        assert_eq!(media_type("digest.md"), "text/markdown");
        assert_eq!(media_type("notes"), "application/octet-stream");
        assert_eq!(media_type("archive.tar.gz"), "application/octet-stream");
    }
}
