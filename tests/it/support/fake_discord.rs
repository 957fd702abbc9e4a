//! A fake Discord on 127.0.0.1 for end-to-end tests: REST over HTTP and the gateway over a
//! websocket, enough for the real serenity/poise client to connect, receive slash commands and
//! reply. Tests drive it: configure servers (guilds) with roles, channels and members; send an
//! interaction as a given member and await the bot's answer; read the messages the bot posted.
//!
//! # As strict as Discord
//! Every request body the bot sends is checked against Discord's own schemas (see
//! `tests/fixtures/discord-openapi` and [`super::schema`]) and documented limits (content
//! 2,000 characters, 10 embeds, 6,000 embed characters in all, 25 fields, 10 MiB of files),
//! and the fake **refuses** what Discord refuses, as Discord does: HTTP 400 with
//! `{"code": 50035, "message": "Invalid Form Body", "errors": {…}}` (a role listed twice in
//! `allowed_mentions.roles`, a field without a value, …), 400 code 50006 for an empty message,
//! 403 code 50013 when the bot's role may not send (or attach files) in the channel, 404 code
//! 10003 for an unknown channel. Everything wrong is also kept as a violation, with our own
//! rules Discord does not enforce (every message sets allowed mentions and never parses
//! everyone, roles or users; no unknown fields), for the test to assert on.
//!
//! # Clock, nonces and ids
//! The fake has its own clock: real time plus an offset the test moves with
//! [`FakeDiscord::advance_clock`]. Ids are snowflakes of that clock
//! (`((unix_ms - 1420070400000) << 22) | counter`), so they sort by time, and messages carry
//! its `timestamp`. A message sent with `nonce` and `enforce_nonce` returns the message
//! already created with that nonce in that channel for [`NONCE_WINDOW`] (five minutes) on
//! that clock, as Discord does for "a few minutes"; after that the nonce is forgotten and the
//! same request creates a second message.
//!
//! # Reading a channel
//! `GET /channels/{id}/messages` answers as Discord does: `limit` 1 to 100 (default 50; out of
//! range is a 400), one of `before`, `after` or `around` (Discord documents them as mutually
//! exclusive; the fake refuses a request that gives two, so the bot cannot come to depend on
//! which one Discord would honour), newest first, without nonces; an empty list when the
//! bot's role lacks Read Message History there.
//!
//! # Editing a message
//! `PATCH /channels/{c}/messages/{m}` is checked against the schema's `MessageEditRequestPartial`
//! and the same limits as a create; Discord's answers for what cannot be edited: 404 code 10003
//! for an unknown channel, 404 code 10008 for an unknown message, 403 code 50005 for a message
//! someone else posted ([`FakeDiscord::post_as_member`] puts one there). An accepted edit
//! replaces the fields it sends (content, embeds, components, flags) in the stored message, so
//! [`FakeDiscord::channel_messages`] and `GET …/messages` show the edited text, sets
//! `edited_timestamp`, and is kept in [`FakeDiscord::edits`]. `GET /channels/{c}/messages/{m}`
//! reads one message back (404 code 10008 if it is not there; 403 code 50001 without Read
//! Message History).
//!
//! # Direct messages
//! `POST /users/@me/channels` (checked against `CreatePrivateChannelRequest`) opens the DM
//! channel with a member of a test server (the same channel each time; 400 code 50033 for
//! anyone else), and messages to it are created, read and edited like a server channel's.
//! [`FakeDiscord::refuse_dms`] makes a user refuse them as Discord does when their privacy
//! settings block DMs: 403 code 50007 "Cannot send messages to this user".
//!
//! # Scripting failures
//! - [`FakeDiscord::queue`] / [`FakeDiscord::queue_with_headers`]: answer the next request to a
//!   route with a canned status and body (and headers); [`FakeDiscord::queue_rate_limit`]
//!   queues a 429 in Discord's shape (`retry_after` in the body, `Retry-After`,
//!   `X-RateLimit-Reset-After` and `X-RateLimit-Scope` headers).
//! - [`FakeDiscord::hold_post`]: hold the `nth` message POST to a channel (0 = the next one)
//!   mid-flight, so a test can kill the bot process at a precise step.
//!   [`HoldAt::BeforeCreate`] holds the request before any message exists;
//!   [`HoldAt::AfterCreate`] creates the message (it is in the channel, with its nonce
//!   remembered) and then never answers. [`Held::arrived`] resolves once the held request got
//!   that far. A held request stays unanswered until the client goes away (its connection
//!   closes and the request is dropped: a `BeforeCreate` hold then never creates anything) or
//!   until [`Held::release`], which lets it carry on as if nothing had happened;
//!   [`Held::abandoned`] resolves when the client went away. Holds count every POST to the
//!   channel, canned answers included.
//!
//! Payloads follow `shared/FAKE_DISCORD.md` (the keys serenity needs to deserialize them).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Notify};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::schema::{invalid_form_body, Problem, Schemas};

/// The bot token the fake accepts.
pub const TOKEN: &str = "fake.bot.token";
/// The application (and bot user) id.
pub const APP_ID: u64 = 900_000_000_000_000_001;
/// The bot's own role in every guild.
pub const BOT_ROLE: u64 = 900_000_000_000_000_002;
/// How long Discord remembers a message's nonce (it documents "a few minutes").
pub const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);
/// The first millisecond of 2015, from which Discord's snowflakes count.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// The most files Discord takes in one request, in bytes (a server without boosts).
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;

/// Discord permission bits the tests use.
pub mod perms {
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    /// What @everyone has in the test servers (Discord's defaults for the bits the bot uses).
    pub const EVERYONE: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_APPLICATION_COMMANDS;
}

/// A role in a test guild.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
}

/// A text channel; `deny_bot` removes permissions from the bot's role in it.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: u64,
    pub name: String,
    pub deny_bot: u64,
}

/// A member of a test guild.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: u64,
    pub name: String,
    pub roles: Vec<u64>,
}

/// A test guild (Discord server).
#[derive(Debug, Clone)]
pub struct Guild {
    pub id: u64,
    pub name: String,
    pub roles: Vec<Role>,
    pub channels: Vec<Channel>,
    pub members: Vec<Member>,
}

impl Guild {
    fn permissions_of(&self, member: &Member) -> u64 {
        let mut p = perms::EVERYONE;
        for role in &self.roles {
            if member.roles.contains(&role.id) {
                p |= role.permissions;
            }
        }
        p
    }
}

/// The bot's answer to one interaction.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// The callback's type: 4 message, 5 deferred, 6 button acknowledged, 7 message updated,
    /// 8 autocomplete, 9 modal.
    pub kind: u64,
    /// The callback's data (the message, choices or modal).
    pub data: Value,
    /// Files attached to the callback.
    pub files: Vec<(String, Vec<u8>)>,
    /// Follow-ups and edits of the original response, in order.
    pub followups: Vec<Value>,
    pub followup_files: Vec<(String, Vec<u8>)>,
    /// When the callback arrived (for latency measurements).
    pub answered_at: Option<std::time::Instant>,
}

impl Reply {
    /// Every message of the reply: the callback's (if it carried one) and the follow-ups.
    pub fn messages(&self) -> Vec<&Value> {
        let mut all = Vec::new();
        // 4 answers with a message; 7 replaces the message a pressed button was on.
        if self.kind == 4 || self.kind == 7 {
            all.push(&self.data);
        }
        all.extend(self.followups.iter());
        all
    }

    /// All visible text: content, embed titles, descriptions, fields and footers.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for m in self.messages() {
            message_text(m, &mut out);
        }
        out
    }

    /// Whether the first message is ephemeral (only the user sees it).
    pub fn ephemeral(&self) -> bool {
        self.messages()
            .first()
            .is_some_and(|m| m["flags"].as_u64().unwrap_or(0) & 64 != 0)
    }

    /// The choices of an autocomplete answer, as (name, value).
    pub fn choices(&self) -> Vec<(String, String)> {
        self.data["choices"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or("").to_string(),
                            c["value"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Names of every attached file.
    pub fn file_names(&self) -> Vec<String> {
        self.files
            .iter()
            .chain(self.followup_files.iter())
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// The visible text of a message body.
pub fn message_text(m: &Value, out: &mut String) {
    if let Some(c) = m["content"].as_str() {
        out.push_str(c);
        out.push('\n');
    }
    for e in m["embeds"].as_array().into_iter().flatten() {
        for k in ["title", "description"] {
            if let Some(t) = e[k].as_str() {
                out.push_str(t);
                out.push('\n');
            }
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            out.push_str(f["name"].as_str().unwrap_or(""));
            out.push('\n');
            out.push_str(f["value"].as_str().unwrap_or(""));
            out.push('\n');
        }
        if let Some(t) = e["footer"]["text"].as_str() {
            out.push_str(t);
            out.push('\n');
        }
    }
}

/// Where [`FakeDiscord::hold_post`] holds a message POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldAt {
    /// Before anything happens: no message exists while it is held.
    BeforeCreate,
    /// After the message is created (and its nonce remembered): only the answer is held.
    AfterCreate,
}

/// What a held request and its test share.
struct HoldSignals {
    /// Set when the held request has got as far as its [`HoldAt`].
    arrived: watch::Sender<bool>,
    /// Set by [`Held::release`].
    released: watch::Sender<bool>,
    /// Set when the held request was dropped unanswered: its client went away.
    abandoned: watch::Sender<bool>,
}

/// A message POST the fake will hold (or is holding); see [`FakeDiscord::hold_post`].
#[derive(Clone)]
pub struct Held {
    signals: Arc<HoldSignals>,
}

impl Held {
    /// Resolves once the held request arrived (and, for [`HoldAt::AfterCreate`], its message
    /// was created).
    pub async fn arrived(&self) {
        let mut arrived = self.signals.arrived.subscribe();
        let _ = arrived.wait_for(|a| *a).await;
    }

    /// Let the held request carry on (it is answered as if it had never been held), if its
    /// client is still waiting.
    pub fn release(&self) {
        self.signals.released.send_replace(true);
    }

    /// Resolves once the held request was dropped unanswered because its client went away
    /// (a killed bot's connection closes; the fake then drops the request).
    pub async fn abandoned(&self) {
        let mut abandoned = self.signals.abandoned.subscribe();
        let _ = abandoned.wait_for(|a| *a).await;
    }

    async fn wait_for_release(&self) {
        let mut released = self.signals.released.subscribe();
        let _ = released.wait_for(|r| *r).await;
    }
}

/// Marks a held request abandoned if it is dropped before it is answered.
struct Unanswered(Option<Held>);

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(held) = &self.0 {
            held.signals.abandoned.send_replace(true);
        }
    }
}

/// A hold waiting for its request.
struct PendingHold {
    channel: u64,
    /// POSTs to the channel still to let through before the held one.
    skip: usize,
    at: HoldAt,
    held: Held,
}

/// A canned answer: status, body and extra headers.
struct Canned {
    status: u16,
    body: Value,
    headers: Vec<(String, String)>,
}

/// A message the fake remembers by its nonce, and when (on the fake's clock) it was created.
struct Remembered {
    at_ms: u64,
    message: Value,
}

#[derive(Default)]
struct State {
    guilds: Vec<Guild>,
    /// Messages posted to channels: channel id → bodies (with files noted).
    channel_messages: HashMap<u64, Vec<Value>>,
    /// The same messages as Discord returns them (without their nonce), oldest first; with
    /// messages people posted ([`FakeDiscord::post_as_member`]) among them.
    posted: HashMap<u64, Vec<Value>>,
    /// The id of each of `channel_messages`, in the same order.
    channel_message_ids: HashMap<u64, Vec<u64>>,
    /// Every accepted message edit, in order: (channel, message id, the PATCH body).
    edits: Vec<(u64, u64, Value)>,
    /// Direct-message channels opened by the bot: user → channel.
    dm_channels: HashMap<u64, u64>,
    /// Users who do not accept DMs from the bot (Discord answers 50007).
    refuse_dms: std::collections::HashSet<u64>,
    /// Replies to interactions, by interaction token.
    replies: HashMap<String, Reply>,
    /// The channel each interaction was made in, by token: Discord answers a follow-up with a
    /// message in that channel (a channel id of 0 is not one serenity can read).
    interaction_channels: HashMap<String, u64>,
    registered_commands: Vec<Value>,
    violations: Vec<String>,
    /// Canned answers for the next requests to a path (method and path prefix).
    queued: HashMap<String, VecDeque<Canned>>,
    /// Messages by (channel, nonce), for enforce_nonce, forgotten after [`NONCE_WINDOW`].
    nonces: HashMap<(u64, String), Remembered>,
    /// Holds not yet triggered, in the order they were asked for.
    holds: Vec<PendingHold>,
    attachments: HashMap<u64, Vec<u8>>,
    requests: Vec<String>,
    /// Every IDENTIFY's shard, as [shard, total], in order.
    identified: Vec<[u64; 2]>,
    /// When each gateway session was connected (identified or resumed) and when it closed.
    windows: Vec<SessionWindow>,
}

/// When one gateway session could receive events: from its IDENTIFY (or RESUME) until its
/// connection closed.
#[derive(Debug, Clone)]
pub struct SessionWindow {
    /// The connection, as the fake numbers them.
    pub connection: u64,
    pub shard: u64,
    pub total: u64,
    pub opened: std::time::Instant,
    /// `None` while it is still connected.
    pub closed: Option<std::time::Instant>,
}

/// One gateway connection: the shard it identified as, and where to send its dispatches.
struct Session {
    number: u64,
    shard: u64,
    total: u64,
    tx: mpsc::UnboundedSender<Value>,
}

/// The shard Discord sends a server's events to.
pub fn shard_of(guild: u64, total: u64) -> u64 {
    (guild >> 22) % total.max(1)
}

struct Inner {
    http_addr: SocketAddr,
    ws_addr: SocketAddr,
    state: Mutex<State>,
    /// The connected gateway sessions, one per shard the bot runs.
    gateway: Mutex<Vec<Session>>,
    /// While set, gateway connections are dropped as soon as they arrive (Discord unreachable).
    gateway_down: std::sync::atomic::AtomicBool,
    /// Notified on every reply, follow-up or posted message.
    activity: Notify,
    identified: Notify,
    /// The low bits of the next snowflake: unique within a millisecond.
    next_id: AtomicU64,
    /// How far the fake's clock is ahead of real time, in nanoseconds.
    clock_offset_ns: AtomicU64,
    schemas: Schemas,
}

/// The running fake. Dropping it stops nothing by itself; its tasks end with the test runtime.
#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Inner>,
}

/// Discord's answer when the bot's role lacks a permission in the channel.
fn missing_permissions() -> Response<Full<Bytes>> {
    response(
        403,
        json!({"code": 50013, "message": "Missing Permissions"}),
    )
}

fn unknown_channel() -> Response<Full<Bytes>> {
    response(404, json!({"code": 10003, "message": "Unknown Channel"}))
}

fn response(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    r
}

fn no_content() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// A multipart/form-data body: its JSON payload, its files (name, bytes), and the form field
/// each file came in (`files[0]`, …), in order.
type Multipart = (Value, Vec<(String, Vec<u8>)>, Vec<String>);

/// Split a multipart/form-data body into its JSON payload and files.
fn parse_multipart(content_type: &str, body: &[u8]) -> Multipart {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return (Value::Null, Vec::new(), Vec::new());
    };
    let boundary = format!("--{}", boundary.trim_matches('"'));
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut fields = Vec::new();
    let text = body;
    let mut start = 0;
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    while let Some(pos) = find(text, boundary.as_bytes(), start) {
        let part_start = pos + boundary.len();
        let Some(next) = find(text, boundary.as_bytes(), part_start) else {
            break;
        };
        let part = &text[part_start..next];
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let headers = String::from_utf8_lossy(&part[..split]).to_string();
            let mut content = &part[split + 4..];
            if content.ends_with(b"\r\n") {
                content = &content[..content.len() - 2];
            }
            if headers.contains("name=\"payload_json\"") {
                payload = serde_json::from_slice(content).unwrap_or(Value::Null);
            } else if let Some(name) = headers
                .split("filename=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
            {
                files.push((name.to_string(), content.to_vec()));
                let field = headers
                    .split("name=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("");
                fields.push(field.to_string());
            }
        }
        start = next;
    }
    (payload, files, fields)
}

impl FakeDiscord {
    /// Start the fake with these guilds.
    pub async fn start(guilds: Vec<Guild>) -> Self {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let inner = Arc::new(Inner {
            http_addr: http.local_addr().unwrap(),
            ws_addr: ws.local_addr().unwrap(),
            state: Mutex::new(State {
                guilds,
                ..Default::default()
            }),
            gateway: Mutex::new(Vec::new()),
            gateway_down: Default::default(),
            activity: Notify::new(),
            identified: Notify::new(),
            next_id: AtomicU64::new(0),
            clock_offset_ns: AtomicU64::new(0),
            schemas: Schemas::load(),
        });
        let fake = Self { inner };
        let rest = fake.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = http.accept().await else {
                    return;
                };
                // Without this the first request on each connection waits ~40 ms.
                let _ = stream.set_nodelay(true);
                let fake = rest.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let fake = fake.clone();
                        async move { Ok::<_, Infallible>(fake.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let gateway = fake.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = ws.accept().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let fake = gateway.clone();
                tokio::spawn(async move { fake.gateway_session(stream).await });
            }
        });
        fake
    }

    /// The base URL to give the bot (`discord.api_url`).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.inner.http_addr)
    }

    /// A new snowflake of the fake's clock: later ids are later in time.
    fn id(&self) -> u64 {
        let low = self.inner.next_id.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF;
        ((self.now_ms() - DISCORD_EPOCH_MS) << 22) | low
    }

    /// Milliseconds since 1970 on the fake's clock.
    fn now_ms(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the system clock is after 1970");
        let offset = Duration::from_nanos(self.inner.clock_offset_ns.load(Ordering::SeqCst));
        (real + offset).as_millis() as u64
    }

    /// The fake's clock: real time plus every [`FakeDiscord::advance_clock`] so far.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.now_ms() as i64).expect("a representable time")
    }

    /// Move the fake's clock forward: nonces older than [`NONCE_WINDOW`] on it are forgotten,
    /// and later messages' ids and timestamps follow it.
    pub fn advance_clock(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).expect("an advance of under 500 years");
        self.inner.clock_offset_ns.fetch_add(by, Ordering::SeqCst);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything the bot did that Discord would refuse or that breaks our rules.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// Delete a message, as a server admin might in the Discord app.
    pub fn delete_message(&self, channel: u64, id: u64) {
        if let Some(all) = self.state().posted.get_mut(&channel) {
            all.retain(|m| m["id"] != json!(id.to_string()));
        }
    }

    /// Messages the bot posted to a channel.
    pub fn channel_messages(&self, channel: u64) -> Vec<Value> {
        self.state()
            .channel_messages
            .get(&channel)
            .cloned()
            .unwrap_or_default()
    }

    /// The id Discord gave each message the bot posted to a channel, in the order of
    /// [`FakeDiscord::channel_messages`].
    pub fn channel_message_ids(&self, channel: u64) -> Vec<u64> {
        self.state()
            .channel_message_ids
            .get(&channel)
            .cloned()
            .unwrap_or_default()
    }

    /// One message in a channel as Discord returns it now (after any edits).
    pub fn message(&self, channel: u64, id: u64) -> Option<Value> {
        self.state()
            .posted
            .get(&channel)?
            .iter()
            .find(|m| m["id"] == json!(id.to_string()))
            .cloned()
    }

    /// Make `user` refuse the bot's direct messages (Discord's 50007), as their privacy
    /// settings can.
    pub fn refuse_dms(&self, user: u64) {
        self.state().refuse_dms.insert(user);
    }

    /// The DM channel the bot opened with `user`, if it did.
    pub fn dm_channel_of(&self, user: u64) -> Option<u64> {
        self.state().dm_channels.get(&user).copied()
    }

    /// An interaction from `user` in their DM channel with the bot, as Discord sends one: a
    /// `user` instead of a `member`, and no server.
    pub fn dm_interaction_json(
        &self,
        channel: u64,
        user: u64,
        kind: u64,
        data: Value,
    ) -> (String, Value) {
        let (_, token, mut payload) = {
            let guild = self.state().guilds[0].id;
            self.interaction_json(guild, channel, user, kind, data)
        };
        let member = payload["member"].clone();
        let object = payload.as_object_mut().expect("an object");
        object.remove("guild_id");
        object.remove("guild_locale");
        object.remove("member");
        object.insert("user".into(), member["user"].clone());
        object.insert("context".into(), json!(1));
        (token, payload)
    }

    /// Every message edit Discord accepted, in order: (channel, message id, the PATCH body).
    pub fn edits(&self) -> Vec<(u64, u64, Value)> {
        self.state().edits.clone()
    }

    /// A message a member posts in a channel (not the bot: the bot may not edit it). Returns
    /// its id.
    pub fn post_as_member(&self, channel: u64, user: u64, content: &str) -> u64 {
        let mut message = self.message_object(channel, &json!({"content": content}), &[]);
        message["author"] = user_json(user, "member", false);
        if let Some(object) = message.as_object_mut() {
            object.remove("nonce");
        }
        let id = message["id"]
            .as_str()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        self.state()
            .posted
            .entry(channel)
            .or_default()
            .push(message);
        id
    }

    /// Every request the bot made, as "METHOD /path", in order.
    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }

    /// The slash commands the bot registered.
    pub fn registered_commands(&self) -> Vec<Value> {
        self.state().registered_commands.clone()
    }

    /// Answer the next request whose "METHOD /path" starts with `route` with this status and
    /// body, instead of handling it (queue several to script a sequence). A 429 gets
    /// `Retry-After` and `X-RateLimit-Reset-After` headers from the body's `retry_after`.
    pub fn queue(&self, route: &str, status: u16, body: Value) {
        let mut headers = Vec::new();
        if status == 429 {
            let after = body["retry_after"].as_f64().unwrap_or(0.05).to_string();
            headers.push(("retry-after".to_string(), after.clone()));
            headers.push(("x-ratelimit-reset-after".to_string(), after));
        }
        self.push_canned(
            route,
            Canned {
                status,
                body,
                headers,
            },
        );
    }

    /// [`FakeDiscord::queue`] with exactly these headers added.
    pub fn queue_with_headers(
        &self,
        route: &str,
        status: u16,
        body: Value,
        headers: &[(&str, &str)],
    ) {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.push_canned(
            route,
            Canned {
                status,
                body,
                headers,
            },
        );
    }

    /// Queue a 429 as Discord sends one for a route's bucket: the body
    /// `{"message": "You are being rate limited.", "retry_after": …, "global": false}`, and the
    /// headers `Retry-After` (whole seconds, rounded up), `X-RateLimit-Reset-After` (seconds,
    /// to the millisecond) and `X-RateLimit-Scope: user`, with the bucket's other headers.
    pub fn queue_rate_limit(&self, route: &str, retry_after: f64) {
        let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": false});
        let whole = retry_after.ceil().max(0.0).to_string();
        let precise = format!("{retry_after:.3}");
        let reset = (self.now_ms() as f64 / 1000.0 + retry_after).to_string();
        self.queue_with_headers(
            route,
            429,
            body,
            &[
                ("Retry-After", &whole),
                ("X-RateLimit-Limit", "5"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", &reset),
                ("X-RateLimit-Reset-After", &precise),
                ("X-RateLimit-Bucket", "fake-channel-messages"),
                ("X-RateLimit-Scope", "user"),
            ],
        );
    }

    fn push_canned(&self, route: &str, canned: Canned) {
        self.state()
            .queued
            .entry(route.to_string())
            .or_default()
            .push_back(canned);
    }

    /// Hold the `nth` message POST to `channel` from now (0 = the next one) at `at`; see the
    /// module documentation. Await [`Held::arrived`] before killing the bot.
    pub fn hold_post(&self, channel: u64, nth: usize, at: HoldAt) -> Held {
        let held = Held {
            signals: Arc::new(HoldSignals {
                arrived: watch::channel(false).0,
                released: watch::channel(false).0,
                abandoned: watch::channel(false).0,
            }),
        };
        self.state().holds.push(PendingHold {
            channel,
            skip: nth,
            at,
            held: held.clone(),
        });
        held
    }

    /// Count a message POST to `channel` against the pending holds and take the one that
    /// holds it, if any.
    fn hold_for(&self, method: &str, path: &str) -> Option<(HoldAt, Held)> {
        let channel: u64 = match path.split('/').collect::<Vec<_>>().as_slice() {
            ["", "api", "v10", "channels", channel, "messages"] if method == "POST" => {
                channel.parse().ok()?
            }
            _ => return None,
        };
        let mut state = self.state();
        let mut taken = None;
        state.holds.retain_mut(|hold| {
            if hold.channel != channel {
                return true;
            }
            if hold.skip > 0 {
                hold.skip -= 1;
                return true;
            }
            if taken.is_some() {
                // Two holds on one request: the later one waits for the next POST.
                return true;
            }
            taken = Some((hold.at, hold.held.clone()));
            false
        });
        taken
    }

    /// Make an attachment downloadable and return its URL.
    pub fn add_attachment(&self, bytes: Vec<u8>) -> (u64, String) {
        let id = self.id();
        self.state().attachments.insert(id, bytes);
        (id, format!("{}/attachments/{id}/file.csv", self.api_url()))
    }

    /// Wait until the bot has identified on the gateway and registered its commands.
    pub async fn wait_ready(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ready = !self.inner.gateway.lock().unwrap().is_empty()
                && !self.state().registered_commands.is_empty();
            if ready {
                return;
            }
            let notified = self.inner.activity.notified();
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("the bot did not connect and register its commands within 20 s");
            }
        }
    }

    fn violation(&self, what: String) {
        self.state().violations.push(what);
    }

    /// Check one message body against its schema (if not already checked as part of a larger
    /// body), Discord's limits and our mention rule. Returns what Discord would refuse, placed
    /// under `prefix` (`["data"]` for a callback's message); everything wrong is also kept as
    /// a violation.
    fn check_message(
        &self,
        schema: Option<&str>,
        route: &str,
        body: &Value,
        prefix: &[&str],
        files: &[(String, Vec<u8>)],
    ) -> Vec<Problem> {
        let mut problems = schema.map_or_else(Vec::new, |s| self.inner.schemas.check(s, body));
        let at = |rest: &[&str]| -> Vec<String> { rest.iter().map(|s| s.to_string()).collect() };
        let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        // Bots get 2,000 characters (the schema's 4,000 is for Nitro users).
        let content = len(&body["content"]);
        if content > 2000 {
            problems.push(Problem::new(
                &at(&["content"]),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 2000 or fewer in length.",
            ));
        }
        let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
        let mut total = 0;
        for (i, e) in embeds.iter().enumerate() {
            let i = i.to_string();
            total += len(&e["title"])
                + len(&e["description"])
                + len(&e["footer"]["text"])
                + len(&e["author"]["name"]);
            for (j, f) in e["fields"].as_array().into_iter().flatten().enumerate() {
                let j = j.to_string();
                // The schema only requires the keys; Discord also refuses them empty.
                for key in ["name", "value"] {
                    if f[key].as_str() == Some("") {
                        problems.push(Problem::new(
                            &at(&["embeds", &i, "fields", &j, key]),
                            "BASE_TYPE_REQUIRED",
                            "This field is required",
                        ));
                    }
                }
                total += len(&f["name"]) + len(&f["value"]);
            }
        }
        if total > 6000 {
            problems.push(Problem::new(
                &at(&["embeds"]),
                "BASE_TYPE_MAX_LENGTH",
                "Embed size exceeds maximum size of 6000",
            ));
        }
        if files.len() > 10 {
            problems.push(Problem::new(
                &at(&["files"]),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 10 or fewer in length.",
            ));
        }
        // Classic components (no IS_COMPONENTS_V2 flag): at most 5 action rows, each either
        // one select menu or up to 5 buttons, and every custom id in the message different.
        let rows = body["components"].as_array().cloned().unwrap_or_default();
        let v2 = body["flags"].as_u64().unwrap_or(0) & (1 << 15) != 0;
        if !v2 {
            if rows.len() > 5 {
                problems.push(Problem::new(
                    &at(&["components"]),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 5 or fewer in length.",
                ));
            }
            let mut ids = std::collections::HashSet::new();
            for (i, row) in rows.iter().enumerate() {
                let inner = row["components"].as_array().cloned().unwrap_or_default();
                let selects = inner.iter().filter(|c| c["type"] != 2).count();
                if (selects > 0 && inner.len() > 1) || inner.len() > 5 {
                    problems.push(Problem::new(
                        &at(&["components", &i.to_string(), "components"]),
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "The specified component exceeds the maximum width",
                    ));
                }
                for (j, c) in inner.iter().enumerate() {
                    if let Some(id) = c["custom_id"].as_str() {
                        if !ids.insert(id.to_string()) {
                            problems.push(Problem::new(
                                &at(&[
                                    "components",
                                    &i.to_string(),
                                    "components",
                                    &j.to_string(),
                                    "custom_id",
                                ]),
                                "COMPONENT_CUSTOM_ID_DUPLICATED",
                                "Component custom id cannot be duplicated",
                            ));
                        }
                    }
                }
            }
        }
        let mentions = &body["allowed_mentions"];
        let parse: Vec<&str> = mentions["parse"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for kind in ["users", "roles"] {
            let listed = mentions[kind].as_array().is_some_and(|l| !l.is_empty());
            if parse.contains(&kind) && listed {
                problems.push(Problem::new(
                    &at(&["allowed_mentions"]),
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    format!("parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive."),
                ));
            }
        }
        for p in &mut problems {
            let mut path = at(prefix);
            path.append(&mut p.path);
            p.path = path;
        }
        for p in &problems {
            self.violation(format!("{route}: {p}"));
        }
        // Our own rules, which Discord does not enforce: recorded, not refused.
        if !mentions.is_object() {
            self.violation(format!("{route}: no allowed_mentions set"));
        } else if parse.contains(&"everyone")
            || parse.contains(&"roles")
            || parse.contains(&"users")
        {
            self.violation(format!("{route}: allowed_mentions parses {parse:?}"));
        }
        problems.retain(Problem::refused);
        problems
    }

    /// The 400 Discord answers to a body it refuses.
    fn refuse(&self, problems: &[Problem]) -> Response<Full<Bytes>> {
        response(400, invalid_form_body(problems))
    }

    /// What the bot's role may do in a channel: the server's defaults less the channel's
    /// overwrites for the bot.
    fn bot_permissions(&self, channel: u64) -> Option<u64> {
        let state = self.state();
        if state.dm_channels.values().any(|c| *c == channel) {
            // The bot may do everything in its own DM channels.
            return Some(perms::EVERYONE);
        }
        state.guilds.iter().find_map(|g| {
            g.channels
                .iter()
                .find(|c| c.id == channel)
                .map(|c| perms::EVERYONE & !c.deny_bot)
        })
    }

    fn message_object(&self, channel: u64, body: &Value, files: &[(String, Vec<u8>)]) -> Value {
        let id = self.id();
        let timestamp = self.now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string();
        json!({
            "id": id.to_string(),
            "channel_id": channel.to_string(),
            "author": bot_user_json(),
            "content": body["content"].as_str().unwrap_or(""),
            "timestamp": timestamp,
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": files.iter().map(|(name, bytes)| json!({
                "id": self.id().to_string(), "filename": name, "size": bytes.len(),
                "url": format!("{}/attachments/x/{name}", self.api_url()), "proxy_url": format!("{}/attachments/x/{name}", self.api_url())
            })).collect::<Vec<_>>(),
            "embeds": body["embeds"].clone().as_array().cloned().unwrap_or_default(),
            "components": body["components"].as_array().cloned().unwrap_or_default(),
            "pinned": false,
            "type": 0,
            "flags": body["flags"].as_u64().unwrap_or(0),
            "nonce": body["nonce"].clone(),
        })
    }

    /// Answer one request, holding it first if a test asked to ([`FakeDiscord::hold_post`]).
    /// A held request whose client hangs up is dropped here, unanswered and unprocessed.
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        // Recorded on arrival, so a held request is among them too.
        let route = format!("{} {}", req.method(), req.uri().path());
        self.state().requests.push(route);
        let hold = self.hold_for(req.method().as_str(), req.uri().path());
        // Hyper drops this future when the client hangs up mid-request; the guard says so.
        let mut unanswered = Unanswered(hold.as_ref().map(|(_, held)| held.clone()));
        if let Some((HoldAt::BeforeCreate, held)) = &hold {
            held.signals.arrived.send_replace(true);
            held.wait_for_release().await;
        }
        let answer = self.answer(req).await;
        if let Some((HoldAt::AfterCreate, held)) = &hold {
            held.signals.arrived.send_replace(true);
            held.wait_for_release().await;
        }
        unanswered.0 = None;
        answer
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let (json_body, files, file_fields) = if content_type.starts_with("multipart/") {
            parse_multipart(&content_type, &body)
        } else {
            (
                serde_json::from_slice(&body).unwrap_or(Value::Null),
                Vec::new(),
                Vec::new(),
            )
        };
        let route = format!("{method} {path}");
        if let Some(id) = path.strip_prefix("/attachments/") {
            let id: u64 = id
                .split('/')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let bytes = self
                .state()
                .attachments
                .get(&id)
                .cloned()
                .unwrap_or_default();
            return Response::new(Full::new(Bytes::from(bytes)));
        }
        let Some(api) = path.strip_prefix("/api/v10") else {
            self.violation(format!("request outside the API: {route}"));
            return response(404, json!({"code": 0, "message": "404: Not Found"}));
        };
        // Interaction callbacks and webhooks are authorised by their token, not the bot's.
        if !api.starts_with("/interactions/")
            && !api.starts_with("/webhooks/")
            && auth != format!("Bot {TOKEN}")
        {
            self.violation(format!("{route}: bad Authorization header"));
            return response(401, json!({"code": 0, "message": "401: Unauthorized"}));
        }
        let queued = {
            let mut state = self.state();
            let key = state
                .queued
                .keys()
                .find(|k| route.starts_with(k.as_str()))
                .cloned();
            key.and_then(|k| state.queued.get_mut(&k).and_then(VecDeque::pop_front))
        };
        if let Some(canned) = queued {
            let mut r = response(canned.status, canned.body);
            for (name, value) in canned.headers {
                r.headers_mut().insert(
                    hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                    value.parse().expect("a header value"),
                );
            }
            return r;
        }
        let parts: Vec<&str> = api.trim_start_matches('/').split('/').collect();
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["gateway"]) | ("GET", ["gateway", "bot"]) => response(
                200,
                json!({"url": format!("ws://{}", self.inner.ws_addr), "shards": 1,
                       "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}),
            ),
            ("GET", ["users", "@me"]) => response(200, bot_user_json()),
            ("PUT", ["applications", _, "commands"])
            | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
                let commands: Vec<Value> = json_body
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut c| {
                        c["id"] = json!(self.id().to_string());
                        c["application_id"] = json!(APP_ID.to_string());
                        c["version"] = json!("1");
                        c["default_member_permissions"] = c
                            .get("default_member_permissions")
                            .cloned()
                            .unwrap_or(Value::Null);
                        c["type"] = c.get("type").cloned().unwrap_or(json!(1));
                        c
                    })
                    .collect();
                self.state().registered_commands = commands.clone();
                self.inner.activity.notify_waiters();
                response(200, Value::Array(commands))
            }
            ("POST", ["interactions", _, token, "callback"]) => {
                // Discord takes one callback per interaction; later ones are refused and the
                // reply stays as the first made it.
                let answered = self
                    .state()
                    .replies
                    .get(*token)
                    .is_some_and(|r| r.answered_at.is_some());
                if answered {
                    self.violation(format!("{route}: the interaction was already answered"));
                    return response(
                        400,
                        json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
                    );
                }
                let kind = json_body["type"].as_u64().unwrap_or(0);
                let schema = match kind {
                    4 | 5 => "CreateMessageInteractionCallbackRequest",
                    6 | 7 => "UpdateMessageInteractionCallbackRequest",
                    8 => "ApplicationCommandAutocompleteCallbackRequest",
                    9 => "ModalInteractionCallbackRequest",
                    _ => "",
                };
                let mut problems = Vec::new();
                if schema.is_empty() {
                    self.violation(format!("{route}: unknown callback type {kind}"));
                    problems.push(Problem::new(
                        &["type".to_string()],
                        "ENUM_TYPE_COERCE",
                        format!("Value \"{kind}\" is not a valid enum value."),
                    ));
                } else {
                    for p in self.inner.schemas.check(schema, &json_body) {
                        self.violation(format!("{route}: {p}"));
                        problems.push(p);
                    }
                }
                if kind == 4 {
                    // The callback's schema has checked its message; the limits remain.
                    problems.extend(self.check_message(
                        None,
                        &route,
                        &json_body["data"],
                        &["data"],
                        &files,
                    ));
                }
                problems.retain(Problem::refused);
                if !problems.is_empty() {
                    // Discord refuses the callback: the interaction stays unanswered.
                    return self.refuse(&problems);
                }
                let mut state = self.state();
                let reply = state.replies.entry(token.to_string()).or_default();
                reply
                    .answered_at
                    .get_or_insert_with(std::time::Instant::now);
                reply.kind = kind;
                reply.data = json_body["data"].clone();
                reply.files = files;
                drop(state);
                self.inner.activity.notify_waiters();
                no_content()
            }
            ("POST", ["webhooks", _, token]) | ("PATCH", ["webhooks", _, token, "messages", _]) => {
                let problems = self.check_message(
                    Some("IncomingWebhookUpdateForInteractionCallbackRequestPartial"),
                    &route,
                    &json_body,
                    &[],
                    &files,
                );
                if !problems.is_empty() {
                    return self.refuse(&problems);
                }
                let channel = self
                    .state()
                    .interaction_channels
                    .get(*token)
                    .copied()
                    .unwrap_or(1);
                let message = self.message_object(channel, &json_body, &files);
                let mut state = self.state();
                let reply = state.replies.entry(token.to_string()).or_default();
                reply.followups.push(json_body);
                reply.followup_files.extend(files);
                drop(state);
                self.inner.activity.notify_waiters();
                response(200, message)
            }
            ("GET", ["webhooks", _, _, "messages", _]) => {
                response(200, self.message_object(0, &json!({}), &[]))
            }
            ("POST", ["channels", channel, "messages"]) => {
                let channel: u64 = channel.parse().unwrap_or(0);
                self.create_message(channel, &route, json_body, files, &file_fields)
            }
            ("POST", ["users", "@me", "channels"]) => {
                let problems = self
                    .inner
                    .schemas
                    .check("CreatePrivateChannelRequest", &json_body);
                if !problems.is_empty() {
                    for p in &problems {
                        self.violation(format!("{route}: {p}"));
                    }
                    return self.refuse(&problems);
                }
                let user: u64 = json_body["recipient_id"]
                    .as_str()
                    .and_then(|u| u.parse().ok())
                    .unwrap_or(0);
                let name = self.state().guilds.iter().find_map(|g| {
                    g.members
                        .iter()
                        .find(|m| m.id == user)
                        .map(|m| m.name.clone())
                });
                let Some(name) = name else {
                    return response(
                        400,
                        json!({"code": 50033, "message": "Invalid Recipient(s)"}),
                    );
                };
                let existing = self.state().dm_channels.get(&user).copied();
                let channel = match existing {
                    Some(c) => c,
                    None => {
                        let c = self.id();
                        self.state().dm_channels.insert(user, c);
                        c
                    }
                };
                response(
                    200,
                    json!({"id": channel.to_string(), "type": 1, "last_message_id": null,
                           "flags": 0, "recipients": [user_json(user, &name, false)]}),
                )
            }
            ("PATCH", ["channels", channel, "messages", message]) => {
                let channel: u64 = channel.parse().unwrap_or(0);
                let message: u64 = message.parse().unwrap_or(0);
                self.edit_message(channel, message, &route, json_body)
            }
            ("GET", ["channels", channel, "messages", message]) => {
                let channel: u64 = channel.parse().unwrap_or(0);
                let Some(allowed) = self.bot_permissions(channel) else {
                    return unknown_channel();
                };
                if allowed & perms::VIEW_CHANNEL == 0 || allowed & perms::READ_MESSAGE_HISTORY == 0
                {
                    return response(403, json!({"code": 50001, "message": "Missing Access"}));
                }
                match message.parse().ok().and_then(|m| self.message(channel, m)) {
                    Some(found) => response(200, found),
                    None => response(404, json!({"code": 10008, "message": "Unknown Message"})),
                }
            }
            ("GET", ["channels", channel, "messages"]) => {
                let channel: u64 = channel.parse().unwrap_or(0);
                self.read_messages(channel, &query)
            }
            ("GET", ["channels", channel]) => {
                let channel: u64 = channel.parse().unwrap_or(0);
                let state = self.state();
                let found = state.guilds.iter().find_map(|g| {
                    g.channels
                        .iter()
                        .find(|c| c.id == channel)
                        .map(|c| (g.id, c.clone()))
                });
                match found {
                    Some((guild, c)) => response(200, channel_json(guild, &c)),
                    None => unknown_channel(),
                }
            }
            ("GET", ["guilds", guild]) => {
                let state = self.state();
                match state.guilds.iter().find(|g| g.id.to_string() == *guild) {
                    Some(g) => response(200, partial_guild_json(g)),
                    None => response(404, json!({"code": 10004, "message": "Unknown Guild"})),
                }
            }
            ("GET", ["guilds", guild, "members", user]) => {
                let state = self.state();
                let member = state
                    .guilds
                    .iter()
                    .find(|g| g.id.to_string() == *guild)
                    .and_then(|g| {
                        if *user == APP_ID.to_string() {
                            return Some(bot_member_json());
                        }
                        g.members
                            .iter()
                            .find(|m| m.id.to_string() == *user)
                            .map(|m| member_json(g, m))
                    });
                match member {
                    Some(m) => response(200, m),
                    None => response(404, json!({"code": 10007, "message": "Unknown Member"})),
                }
            }
            _ => {
                self.violation(format!("unexpected request {route}"));
                response(404, json!({"code": 0, "message": "404: Not Found"}))
            }
        }
    }

    /// `POST /channels/{id}/messages`, checked in Discord's order: the channel, the bot's
    /// permissions there, the body, then the nonce.
    fn create_message(
        &self,
        channel: u64,
        route: &str,
        body: Value,
        files: Vec<(String, Vec<u8>)>,
        file_fields: &[String],
    ) -> Response<Full<Bytes>> {
        let Some(allowed) = self.bot_permissions(channel) else {
            return unknown_channel();
        };
        let refused = {
            let state = self.state();
            state
                .dm_channels
                .iter()
                .any(|(user, c)| *c == channel && state.refuse_dms.contains(user))
        };
        if refused {
            return response(
                403,
                json!({"code": 50007, "message": "Cannot send messages to this user"}),
            );
        }
        let needed = perms::VIEW_CHANNEL
            | perms::SEND_MESSAGES
            | if files.is_empty() {
                0
            } else {
                perms::ATTACH_FILES
            };
        if allowed & needed != needed {
            self.violation(format!("{route}: the bot may not post there"));
            return missing_permissions();
        }
        let mut problems =
            self.check_message(Some("MessageCreateRequest"), route, &body, &[], &files);
        // Discord matches each attachment's id to the file sent as `files[id]`, and refuses an
        // attachment with no file (the code is the fake's own; Discord's wording varies).
        for (i, attachment) in body["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let field = format!("files[{}]", shown_id(&attachment["id"]));
            if !file_fields.contains(&field) {
                let problem = Problem::new(
                    &["attachments".to_string(), i.to_string(), "id".to_string()],
                    "ATTACHMENT_NOT_FOUND",
                    format!("no file was sent as {field}"),
                );
                self.violation(format!("{route}: {problem}"));
                problems.push(problem);
            }
        }
        if !problems.is_empty() {
            return self.refuse(&problems);
        }
        if files.iter().map(|(_, b)| b.len()).sum::<usize>() > MAX_UPLOAD {
            self.violation(format!("{route}: more than {MAX_UPLOAD} bytes of files"));
            return response(
                413,
                json!({"code": 40005, "message": "Request entity too large"}),
            );
        }
        let empty = body["content"].as_str().unwrap_or("").is_empty()
            && body["embeds"].as_array().is_none_or(|e| e.is_empty())
            && body["sticker_ids"].as_array().is_none_or(|s| s.is_empty())
            && body["components"].as_array().is_none_or(|c| c.is_empty())
            && body["poll"].is_null()
            && files.is_empty();
        if empty {
            self.violation(format!("{route}: an empty message"));
            return response(
                400,
                json!({"code": 50006, "message": "Cannot send an empty message"}),
            );
        }
        let nonce = body["nonce"]
            .as_str()
            .map(str::to_string)
            .or_else(|| body["nonce"].as_i64().map(|n| n.to_string()));
        let enforce = body["enforce_nonce"].as_bool().unwrap_or(false);
        let now = self.now_ms();
        let window = NONCE_WINDOW.as_millis() as u64;
        let mut state = self.state();
        state
            .nonces
            .retain(|_, m| now.saturating_sub(m.at_ms) < window);
        if let (Some(nonce), true) = (&nonce, enforce) {
            if let Some(existing) = state.nonces.get(&(channel, nonce.clone())) {
                // Discord returns the message it already has for this nonce.
                return response(200, existing.message.clone());
            }
        }
        drop(state);
        let message = self.message_object(channel, &body, &files);
        let mut state = self.state();
        let mut stored = body.clone();
        stored["files"] = json!(files
            .iter()
            .zip(file_fields)
            .map(|((n, b), field)| json!({"name": n, "size": b.len(), "field": field}))
            .collect::<Vec<_>>());
        state
            .channel_messages
            .entry(channel)
            .or_default()
            .push(stored);
        let id = message["id"]
            .as_str()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        state
            .channel_message_ids
            .entry(channel)
            .or_default()
            .push(id);
        let mut fetched = message.clone();
        // Discord keeps a nonce only for the answer to the request that sent it.
        if let Some(object) = fetched.as_object_mut() {
            object.remove("nonce");
        }
        state.posted.entry(channel).or_default().push(fetched);
        if let (Some(nonce), true) = (nonce, enforce) {
            state.nonces.insert(
                (channel, nonce),
                Remembered {
                    at_ms: now,
                    message: message.clone(),
                },
            );
        }
        drop(state);
        self.inner.activity.notify_waiters();
        response(200, message)
    }

    /// `PATCH /channels/{c}/messages/{m}`, checked in Discord's order: the channel, the
    /// message and its author, then the body.
    fn edit_message(
        &self,
        channel: u64,
        message: u64,
        route: &str,
        body: Value,
    ) -> Response<Full<Bytes>> {
        let Some(allowed) = self.bot_permissions(channel) else {
            return unknown_channel();
        };
        if allowed & perms::VIEW_CHANNEL == 0 {
            return response(403, json!({"code": 50001, "message": "Missing Access"}));
        }
        let author = {
            let state = self.state();
            state
                .posted
                .get(&channel)
                .and_then(|all| all.iter().find(|m| m["id"] == json!(message.to_string())))
                .map(|m| m["author"]["id"].clone())
        };
        let Some(author) = author else {
            self.violation(format!("{route}: no such message"));
            return response(404, json!({"code": 10008, "message": "Unknown Message"}));
        };
        if author != json!(APP_ID.to_string()) {
            self.violation(format!("{route}: a message someone else posted"));
            return response(
                403,
                json!({"code": 50005, "message": "Cannot edit a message authored by another user"}),
            );
        }
        let problems =
            self.check_message(Some("MessageEditRequestPartial"), route, &body, &[], &[]);
        if !problems.is_empty() {
            return self.refuse(&problems);
        }
        let edited_at = self.now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string();
        let mut state = self.state();
        let index = state
            .posted
            .get(&channel)
            .and_then(|all| {
                all.iter()
                    .position(|m| m["id"] == json!(message.to_string()))
            })
            .expect("found above");
        let mut updated = state.posted[&channel][index].clone();
        // Only the fields sent change; `null` clears one, as Discord does.
        for key in [
            "content",
            "embeds",
            "components",
            "flags",
            "allowed_mentions",
        ] {
            if let Some(value) = body.get(key) {
                let cleared = match key {
                    "content" => json!(""),
                    "flags" => json!(0),
                    _ => json!([]),
                };
                if key != "allowed_mentions" {
                    updated[key] = if value.is_null() {
                        cleared
                    } else {
                        value.clone()
                    };
                }
            }
        }
        let empty = updated["content"].as_str().unwrap_or("").is_empty()
            && updated["embeds"].as_array().is_none_or(|e| e.is_empty())
            && updated["components"]
                .as_array()
                .is_none_or(|c| c.is_empty())
            && updated["attachments"]
                .as_array()
                .is_none_or(|a| a.is_empty());
        if empty {
            drop(state);
            self.violation(format!("{route}: an edit that leaves an empty message"));
            return response(
                400,
                json!({"code": 50006, "message": "Cannot send an empty message"}),
            );
        }
        updated["edited_timestamp"] = json!(edited_at);
        state.posted.get_mut(&channel).expect("found above")[index] = updated.clone();
        let at = state
            .channel_message_ids
            .get(&channel)
            .and_then(|ids| ids.iter().position(|id| *id == message));
        if let Some(at) = at {
            let stored = &mut state.channel_messages.get_mut(&channel).expect("aligned")[at];
            for key in [
                "content",
                "embeds",
                "components",
                "flags",
                "allowed_mentions",
            ] {
                if let Some(value) = body.get(key) {
                    stored[key] = value.clone();
                }
            }
        }
        state.edits.push((channel, message, body));
        drop(state);
        self.inner.activity.notify_waiters();
        response(200, updated)
    }

    /// `GET /channels/{id}/messages?limit=&before=|after=|around=`, newest first.
    fn read_messages(&self, channel: u64, query: &str) -> Response<Full<Bytes>> {
        let Some(allowed) = self.bot_permissions(channel) else {
            return unknown_channel();
        };
        if allowed & perms::VIEW_CHANNEL == 0 {
            return response(403, json!({"code": 50001, "message": "Missing Access"}));
        }
        let mut problems = Vec::new();
        let mut limit = 50;
        let mut anchor: Option<(&str, u64)> = None;
        for (key, value) in query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
        {
            let at = [key.to_string()];
            match key {
                "limit" => match value.parse::<i64>() {
                    Ok(n) if n < 1 => problems.push(Problem::new(
                        &at,
                        "NUMBER_TYPE_MIN",
                        "int value should be greater than or equal to 1.",
                    )),
                    Ok(n) if n > 100 => problems.push(Problem::new(
                        &at,
                        "NUMBER_TYPE_MAX",
                        "int value should be less than or equal to 100.",
                    )),
                    Ok(n) => limit = n as usize,
                    Err(_) => problems.push(Problem::new(
                        &at,
                        "NUMBER_TYPE_COERCE",
                        format!("Value \"{value}\" is not int."),
                    )),
                },
                "before" | "after" | "around" => match value.parse::<u64>() {
                    Ok(id) if anchor.is_none() => anchor = Some((key, id)),
                    Ok(_) => problems.push(Problem::new(
                        &at,
                        "BASE_TYPE_INVALID",
                        "before, after and around are mutually exclusive; give one",
                    )),
                    Err(_) => problems.push(Problem::new(
                        &at,
                        "NUMBER_TYPE_COERCE",
                        format!("Value \"{value}\" is not snowflake."),
                    )),
                },
                // Discord ignores parameters it does not know.
                _ => {}
            }
        }
        if !problems.is_empty() {
            return self.refuse(&problems);
        }
        if allowed & perms::READ_MESSAGE_HISTORY == 0 {
            // Discord answers, with nothing, when the bot may not read the history.
            return response(200, json!([]));
        }
        let id_of = |m: &Value| {
            m["id"]
                .as_str()
                .and_then(|i| i.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // Oldest first, as stored.
        let all = self
            .state()
            .posted
            .get(&channel)
            .cloned()
            .unwrap_or_default();
        let chosen: Vec<Value> = match anchor {
            None => all.iter().rev().take(limit).cloned().collect(),
            Some(("before", id)) => all
                .iter()
                .rev()
                .filter(|m| id_of(m) < id)
                .take(limit)
                .cloned()
                .collect(),
            Some(("after", id)) => {
                // The `limit` messages right after `id`, still newest first.
                let mut after: Vec<Value> = all
                    .iter()
                    .filter(|m| id_of(m) > id)
                    .take(limit)
                    .cloned()
                    .collect();
                after.reverse();
                after
            }
            Some((_, id)) => {
                // Around: the message itself and those nearest it, half on each side.
                let older: Vec<&Value> = all
                    .iter()
                    .rev()
                    .filter(|m| id_of(m) < id)
                    .take(limit / 2)
                    .collect();
                let newer_room = limit - older.len();
                let mut newer: Vec<&Value> = all
                    .iter()
                    .filter(|m| id_of(m) >= id)
                    .take(newer_room)
                    .collect();
                newer.reverse();
                newer.into_iter().chain(older).cloned().collect()
            }
        };
        response(200, Value::Array(chosen))
    }

    async fn gateway_session(&self, stream: tokio::net::TcpStream) {
        if self.inner.gateway_down.load(Ordering::SeqCst) {
            return;
        }
        let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let (mut sink, mut source) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
        let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}, "s": null, "t": null});
        if sink.send(WsMessage::Text(hello.to_string())).await.is_err() {
            return;
        }
        let number = self.id();
        let mut seq = 0u64;
        loop {
            tokio::select! {
                incoming = source.next() => {
                    let Some(Ok(message)) = incoming else { break };
                    let text = match message {
                        WsMessage::Text(t) => t,
                        WsMessage::Binary(b) => String::from_utf8_lossy(&b).to_string(),
                        // Keep reading after Close so the handshake completes.
                        WsMessage::Close(_) => continue,
                        _ => continue,
                    };
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                    match frame["op"].as_u64() {
                        Some(1) => {
                            let _ = sink.send(WsMessage::Text(json!({"op": 11, "d": null, "s": null, "t": null}).to_string())).await;
                        }
                        Some(2) => {
                            seq = 0;
                            let shard = frame["d"]["shard"][0].as_u64().unwrap_or(0);
                            let total = frame["d"]["shard"][1].as_u64().unwrap_or(1);
                            self.state().identified.push([shard, total]);
                            // Like Discord, a shard hears only of its own servers.
                            let guilds: Vec<Guild> = self.state().guilds.iter()
                                .filter(|g| shard_of(g.id, total) == shard)
                                .cloned()
                                .collect();
                            seq += 1;
                            let session_id = format!("fake-session-{shard}-{total}");
                            let ready = json!({"op": 0, "t": "READY", "s": seq, "d": ready_json(&guilds, &self.inner.ws_addr, &session_id)});
                            let _ = sink.send(WsMessage::Text(ready.to_string())).await;
                            for g in &guilds {
                                seq += 1;
                                let create = json!({"op": 0, "t": "GUILD_CREATE", "s": seq, "d": guild_create_json(g)});
                                let _ = sink.send(WsMessage::Text(create.to_string())).await;
                            }
                            self.connect(Session { number, shard, total, tx: tx.clone() });
                            self.inner.identified.notify_waiters();
                        }
                        Some(6) => {
                            // The session id says which shard is resuming.
                            let session = frame["d"]["session_id"].as_str().unwrap_or("");
                            let mut parts = session.rsplit('-');
                            let total = parts.next().and_then(|t| t.parse().ok()).unwrap_or(1);
                            let shard = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                            seq += 1;
                            let resumed = json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}});
                            let _ = sink.send(WsMessage::Text(resumed.to_string())).await;
                            self.connect(Session { number, shard, total, tx: tx.clone() });
                        }
                        _ => {}
                    }
                }
                outgoing = rx.recv() => {
                    let Some(mut dispatch) = outgoing else { break };
                    // The fake's own signal to hang up, as a network failure would.
                    if dispatch.get("hang_up").is_some() {
                        break;
                    }
                    seq += 1;
                    dispatch["s"] = json!(seq);
                    if sink.send(WsMessage::Text(dispatch.to_string())).await.is_err() {
                        break;
                    }
                }
            }
        }
        self.inner
            .gateway
            .lock()
            .unwrap()
            .retain(|s| s.number != number);
        let closed = std::time::Instant::now();
        for window in self.state().windows.iter_mut() {
            if window.connection == number && window.closed.is_none() {
                window.closed = Some(closed);
            }
        }
        self.inner.activity.notify_waiters();
    }

    /// Register a connected session, replacing any earlier one of the same connection.
    fn connect(&self, session: Session) {
        let window = SessionWindow {
            connection: session.number,
            shard: session.shard,
            total: session.total,
            opened: std::time::Instant::now(),
            closed: None,
        };
        let mut sessions = self.inner.gateway.lock().unwrap();
        sessions.retain(|s| s.number != session.number);
        sessions.push(session);
        drop(sessions);
        let mut state = self.state();
        if !state
            .windows
            .iter()
            .any(|w| w.connection == window.connection && w.closed.is_none())
        {
            state.windows.push(window);
        }
        drop(state);
        self.inner.activity.notify_waiters();
    }

    /// Every gateway session so far, in the order they connected.
    pub fn session_windows(&self) -> Vec<SessionWindow> {
        self.state().windows.clone()
    }

    /// Send an interaction to every session connected as the shard of its server, as Discord
    /// does when two sessions identify as one shard, and return how many got it (0 when none
    /// is connected: the person would see "The application did not respond"). Does not wait.
    pub fn deliver_interaction(&self, payload: Value) -> usize {
        let guild = payload["guild_id"]
            .as_str()
            .and_then(|g| g.parse::<u64>().ok())
            .unwrap_or(0);
        let sessions = self.inner.gateway.lock().unwrap();
        sessions
            .iter()
            .filter(|s| shard_of(guild, s.total) == s.shard)
            .filter(|s| {
                s.tx.send(json!({"op": 0, "t": "INTERACTION_CREATE", "d": payload}))
                    .is_ok()
            })
            .count()
    }

    /// How many times the bot answered the interaction with this token (callbacks, which
    /// Discord accepts only once).
    pub fn callbacks_for(&self, token: &str) -> usize {
        let suffix = format!("/{token}/callback");
        self.state()
            .requests
            .iter()
            .filter(|r| r.starts_with("POST /api/v10/interactions/") && r.ends_with(&suffix))
            .count()
    }

    /// Send a dispatch to the session of the shard that serves `guild` (any session if none).
    fn dispatch(&self, event: &str, data: Value) {
        let guild = data["guild_id"]
            .as_str()
            .and_then(|g| g.parse::<u64>().ok());
        let sessions = self.inner.gateway.lock().unwrap();
        let session = sessions
            .iter()
            .find(|s| guild.is_none_or(|g| shard_of(g, s.total) == s.shard));
        match session {
            Some(session) => {
                let _ = session.tx.send(json!({"op": 0, "t": event, "d": data}));
            }
            None => panic!("no bot is connected to the fake gateway for this server"),
        }
    }

    /// The shards the bot identified as, [shard, total] each, in order.
    pub fn identified_shards(&self) -> Vec<[u64; 2]> {
        self.state().identified.clone()
    }

    /// How many gateway sessions are connected now.
    pub fn connected_sessions(&self) -> usize {
        self.inner.gateway.lock().unwrap().len()
    }

    /// Hang up every gateway connection and refuse new ones, as if Discord were unreachable.
    pub fn drop_gateway(&self) {
        self.inner.gateway_down.store(true, Ordering::SeqCst);
        for session in self.inner.gateway.lock().unwrap().iter() {
            let _ = session.tx.send(json!({"hang_up": true}));
        }
    }

    /// Accept gateway connections again.
    pub fn restore_gateway(&self) {
        self.inner.gateway_down.store(false, Ordering::SeqCst);
    }

    /// The interaction payload for a member of a guild.
    pub fn interaction_json(
        &self,
        guild: u64,
        channel: u64,
        user: u64,
        kind: u64,
        data: Value,
    ) -> (u64, String, Value) {
        let id = self.id();
        let token = format!("token-{id}");
        let mut state = self.state();
        state.interaction_channels.insert(token.clone(), channel);
        let g = state
            .guilds
            .iter()
            .find(|g| g.id == guild)
            .expect("known guild");
        let member = g
            .members
            .iter()
            .find(|m| m.id == user)
            .expect("known member");
        let payload = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "data": data,
            "guild_id": guild.to_string(),
            "channel_id": channel.to_string(),
            "member": member_json_with_permissions(g, member),
            "token": token,
            "version": 1,
            "locale": "en-GB",
            "guild_locale": "en-GB",
            "app_permissions": perms::EVERYONE.to_string(),
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 0,
            "attachment_size_limit": 10485760,
        });
        (id, token, payload)
    }

    /// Send an interaction and wait for the bot's answer: the callback, then any follow-ups
    /// until the bot goes quiet (a deferred reply arrives as follow-ups).
    pub async fn send_interaction(&self, payload: Value, token: &str) -> Reply {
        self.dispatch("INTERACTION_CREATE", payload);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let done = {
                let state = self.state();
                state
                    .replies
                    .get(token)
                    .map(|r| (r.kind, r.followups.len()))
            };
            match done {
                // Answered outright, with a modal or choices, or a modal acknowledged: nothing
                // more will come.
                Some((k, _)) if k == 4 || k == 6 || k == 7 || k == 8 || k == 9 => break,
                // Deferred: wait for at least one follow-up.
                Some((5, n)) if n > 0 => break,
                _ => {}
            }
            let notified = self.inner.activity.notified();
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("the bot did not answer interaction {token} within 15 s");
            }
        }
        // Follow-ups can come in a burst; collect until 300 ms pass with none.
        loop {
            let before = self
                .state()
                .replies
                .get(token)
                .map_or(0, |r| r.followups.len());
            let notified = self.inner.activity.notified();
            if tokio::time::timeout(Duration::from_millis(300), notified)
                .await
                .is_err()
            {
                break;
            }
            let after = self
                .state()
                .replies
                .get(token)
                .map_or(0, |r| r.followups.len());
            if after == before {
                continue;
            }
        }
        self.state().replies.get(token).cloned().unwrap_or_default()
    }

    /// Send an interaction and return as soon as its callback arrives, with the time from
    /// dispatch to callback: for latency benchmarks (follow-ups are not waited for).
    #[allow(dead_code)] // used by benches/interactions.rs, which includes this file
    pub async fn time_interaction(&self, payload: Value, token: &str) -> Duration {
        let sent = std::time::Instant::now();
        self.dispatch("INTERACTION_CREATE", payload);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let notified = self.inner.activity.notified();
            if let Some(at) = self.state().replies.get(token).and_then(|r| r.answered_at) {
                return at - sent;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("no callback for {token} within 15 s");
            }
        }
    }

    /// Wait until `channel` holds at least `count` messages (or 15 s pass).
    pub async fn wait_for_messages(&self, channel: u64, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let messages = self.channel_messages(channel);
            if messages.len() >= count {
                return messages;
            }
            let notified = self.inner.activity.notified();
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.channel_messages(channel);
            }
        }
    }

    /// Wait until Discord has accepted at least `count` message edits (or 15 s pass).
    pub async fn wait_for_edits(&self, count: usize) -> Vec<(u64, u64, Value)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let notified = self.inner.activity.notified();
            let edits = self.edits();
            if edits.len() >= count {
                return edits;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.edits();
            }
        }
    }

    /// The reply collected so far for an interaction token (for modal follow-ups).
    pub fn reply_for(&self, token: &str) -> Reply {
        self.state().replies.get(token).cloned().unwrap_or_default()
    }
}

fn role_json(r: &Role, position: usize) -> Value {
    json!({"id": r.id.to_string(), "name": r.name, "color": 0, "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
           "hoist": false, "managed": false, "mentionable": false, "permissions": r.permissions.to_string(), "position": position, "flags": 0})
}

fn all_roles(g: &Guild) -> Vec<Value> {
    let mut roles = vec![role_json(
        &Role {
            id: g.id,
            name: "@everyone".into(),
            permissions: perms::EVERYONE,
        },
        0,
    )];
    roles.push(role_json(
        &Role {
            id: BOT_ROLE,
            name: "briefing-bot".into(),
            permissions: perms::EVERYONE,
        },
        1,
    ));
    roles.extend(g.roles.iter().enumerate().map(|(i, r)| role_json(r, i + 2)));
    roles
}

/// An id as JSON holds it (a string or a number), as text.
fn shown_id(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The bot's own user, as `GET /users/@me` and its messages' `author` show it.
fn bot_user_json() -> Value {
    json!({"id": APP_ID.to_string(), "username": "briefing-bot", "discriminator": "0000", "bot": true, "avatar": null, "global_name": null})
}

fn user_json(id: u64, name: &str, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0000", "global_name": name, "avatar": null, "bot": bot})
}

fn member_json(g: &Guild, m: &Member) -> Value {
    let _ = g;
    json!({"user": user_json(m.id, &m.name, false), "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
           "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0, "nick": null})
}

/// The bot itself as a member of every guild, holding its own role.
fn bot_member_json() -> Value {
    json!({"user": user_json(APP_ID, "briefing-bot", true), "roles": [BOT_ROLE.to_string()],
           "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0})
}

fn member_json_with_permissions(g: &Guild, m: &Member) -> Value {
    let mut v = member_json(g, m);
    v["permissions"] = json!(g.permissions_of(m).to_string());
    v
}

fn channel_json(guild: u64, c: &Channel) -> Value {
    let overwrites: Vec<Value> = if c.deny_bot != 0 {
        vec![
            json!({"id": BOT_ROLE.to_string(), "type": 0, "allow": "0", "deny": c.deny_bot.to_string()}),
        ]
    } else {
        vec![]
    };
    json!({"id": c.id.to_string(), "type": 0, "name": c.name, "guild_id": guild.to_string(), "position": 0,
           "permission_overwrites": overwrites, "nsfw": false, "topic": null, "last_message_id": null, "parent_id": null,
           "rate_limit_per_user": 0, "flags": 0})
}

fn partial_guild_json(g: &Guild) -> Value {
    json!({"id": g.id.to_string(), "name": g.name, "owner_id": "1", "roles": all_roles(g), "emojis": [], "features": [],
           "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
           "system_channel_flags": 0, "premium_tier": 0, "preferred_locale": "en-GB", "nsfw_level": 0, "stickers": [],
           "premium_progress_bar_enabled": false, "icon": null, "splash": null, "banner": null, "description": null})
}

fn guild_create_json(g: &Guild) -> Value {
    let mut members: Vec<Value> = g.members.iter().map(|m| member_json(g, m)).collect();
    members.push(bot_member_json());
    json!({"id": g.id.to_string(), "name": g.name, "owner_id": "1", "verification_level": 0, "default_message_notifications": 0,
           "explicit_content_filter": 0, "roles": all_roles(g), "emojis": [], "features": [], "mfa_level": 0,
           "system_channel_flags": 0, "premium_tier": 0, "preferred_locale": "en-GB", "nsfw_level": 0, "stickers": [],
           "premium_progress_bar_enabled": false, "joined_at": "2026-01-01T00:00:00.000000+00:00", "large": false,
           "member_count": members.len(), "voice_states": [], "members": members,
           "channels": g.channels.iter().map(|c| channel_json(g.id, c)).collect::<Vec<_>>(),
           "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [], "icon": null})
}

fn ready_json(guilds: &[Guild], ws: &SocketAddr, session_id: &str) -> Value {
    json!({"v": 10, "user": user_json(APP_ID, "briefing-bot", true),
           "guilds": guilds.iter().map(|g| json!({"id": g.id.to_string(), "unavailable": true})).collect::<Vec<_>>(),
           "session_id": session_id, "resume_gateway_url": format!("ws://{ws}"),
           "application": {"id": APP_ID.to_string(), "flags": 0}})
}

/// Payload builders the payload test checks against serenity's own types.
pub mod payloads {
    use super::*;

    pub fn ready(guilds: &[Guild]) -> Value {
        ready_json(guilds, &"127.0.0.1:1".parse().unwrap(), "fake-session-0-1")
    }

    pub fn guild_create(g: &Guild) -> Value {
        guild_create_json(g)
    }

    pub fn member(g: &Guild, m: &Member) -> Value {
        member_json_with_permissions(g, m)
    }
}
