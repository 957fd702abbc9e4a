//! The fake Discord itself, through the bot's own REST client and raw HTTP: it refuses what
//! Discord refuses in Discord's words, forgets nonces after five minutes on its own clock,
//! reads a channel back as Discord does, answers 429s in Discord's shape, and holds a post
//! mid-flight for the crash tests.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde_json::{json, Value};
use serenity::{CreateAllowedMentions, CreateMessage, GetMessages, Nonce};

use briefing_bot::discord::client::{http_client, Connection};

use crate::support::bot::{guild, DIGEST_CHANNEL, LOCKED_CHANNEL, REMINDER_CHANNEL};
use crate::support::fake_discord::{perms, Channel, FakeDiscord, HoldAt, DISCORD_EPOCH_MS, TOKEN};

/// A channel where the bot may post but not read the history.
const NO_HISTORY_CHANNEL: u64 = 700_000_000_000_000_023;

async fn fake() -> FakeDiscord {
    let mut server = guild();
    server.channels.push(Channel {
        id: NO_HISTORY_CHANNEL,
        name: "no-history".into(),
        deny_bot: perms::READ_MESSAGE_HISTORY,
    });
    FakeDiscord::start(vec![server]).await
}

/// The bot's REST client, pointed at the fake as `discord.api_url` points it.
fn bot_http(fake: &FakeDiscord) -> serenity::Http {
    http_client(&Connection::new(
        TOKEN.to_string().into(),
        Some(fake.api_url()),
    ))
}

fn text(content: &str) -> CreateMessage {
    CreateMessage::new()
        .content(content)
        .allowed_mentions(CreateAllowedMentions::new().everyone(false))
}

/// A raw request as the bot's token, for what serenity's builders would not send.
async fn raw(
    fake: &FakeDiscord,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!("{}/api/v10{path}", fake.api_url());
    let client = reqwest::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("Authorization", format!("Bot {TOKEN}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn post_path(channel: u64) -> String {
    format!("/channels/{channel}/messages")
}

/// When a snowflake was made, in Unix milliseconds.
fn made_at(id: serenity::MessageId) -> u64 {
    (id.get() >> 22) + DISCORD_EPOCH_MS
}

#[tokio::test]
async fn a_nonce_returns_the_same_message_for_five_minutes_and_is_then_forgotten() {
    let fake = fake().await;
    let http = bot_http(&fake);
    let channel = serenity::ChannelId::new(REMINDER_CHANNEL);
    let send = |nonce: &str| {
        channel.send_message(
            &http,
            text("**Reminder — 4 Oct 2010**")
                .nonce(Nonce::String(nonce.into()))
                .enforce_nonce(true),
        )
    };
    let first = send("bb7-0").await.unwrap();
    fake.advance_clock(Duration::from_secs(4 * 60));
    let repeated = send("bb7-0").await.unwrap();
    assert_eq!(repeated.id, first.id, "inside the window: the same message");
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
    // Another nonce, or the same one without enforce_nonce, is another message.
    let other = send("bb8-0").await.unwrap();
    assert_ne!(other.id, first.id);
    fake.advance_clock(Duration::from_secs(10 * 60));
    let later = send("bb7-0").await.unwrap();
    assert_ne!(later.id, first.id, "after the window: a second message");
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 3);
    // Ids and timestamps follow the fake's clock: 14 minutes apart, in order.
    assert!(later.id > other.id && other.id > first.id);
    let apart = made_at(later.id) - made_at(first.id);
    assert!((14 * 60_000..15 * 60_000).contains(&apart), "{apart} ms");
    let stamped = *later.timestamp - *first.timestamp;
    assert_eq!(stamped.num_minutes(), 14, "{stamped}");
    let ahead = fake.now() - chrono::Utc::now();
    assert!(
        (14 * 60 - 1..=14 * 60).contains(&ahead.num_seconds()),
        "{ahead}"
    );
}

#[tokio::test]
async fn a_channel_is_read_back_newest_first_as_discord_returns_it() {
    let fake = fake().await;
    let http = bot_http(&fake);
    let channel = serenity::ChannelId::new(DIGEST_CHANNEL);
    let mut ids = Vec::new();
    for i in 1..=5 {
        let sent = channel
            .send_message(
                &http,
                text(&format!("m{i}"))
                    .nonce(Nonce::String(format!("bb{i}-0")))
                    .enforce_nonce(true),
            )
            .await
            .unwrap();
        ids.push(sent.id);
        fake.advance_clock(Duration::from_secs(60));
    }
    let contents = |messages: Vec<serenity::Message>| -> Vec<String> {
        messages.into_iter().map(|m| m.content).collect()
    };
    let read = |query: GetMessages| channel.messages(&http, query);
    assert_eq!(
        contents(read(GetMessages::new()).await.unwrap()),
        ["m5", "m4", "m3", "m2", "m1"]
    );
    assert_eq!(
        contents(read(GetMessages::new().limit(2)).await.unwrap()),
        ["m5", "m4"]
    );
    assert_eq!(
        contents(read(GetMessages::new().before(ids[2])).await.unwrap()),
        ["m2", "m1"]
    );
    assert_eq!(
        contents(
            read(GetMessages::new().after(ids[1]).limit(2))
                .await
                .unwrap()
        ),
        ["m4", "m3"],
        "the two right after m2, newest first"
    );
    assert_eq!(
        contents(
            read(GetMessages::new().around(ids[2]).limit(3))
                .await
                .unwrap()
        ),
        ["m4", "m3", "m2"]
    );
    // As Discord returns them: the bot as author (as /users/@me has it), and no nonce.
    let (_, _, me) = raw(&fake, "GET", "/users/@me", None).await;
    let (status, _, listed) = raw(
        &fake,
        "GET",
        &format!("{}?limit=1", post_path(DIGEST_CHANNEL)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let newest = &listed[0];
    assert_eq!(newest["author"], me);
    assert_eq!(newest["id"], ids[4].to_string());
    assert_eq!(newest["channel_id"], DIGEST_CHANNEL.to_string());
    for key in ["content", "embeds", "attachments", "timestamp"] {
        assert!(newest.get(key).is_some(), "{key} in {newest}");
    }
    assert!(newest.get("nonce").is_none(), "{newest}");
    // The default is 50, and the newest 50 of 60.
    for i in 6..=60 {
        channel
            .send_message(&http, text(&format!("m{i}")))
            .await
            .unwrap();
    }
    let page = read(GetMessages::new()).await.unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(
        (page[0].content.as_str(), page[49].content.as_str()),
        ("m60", "m11")
    );
}

#[tokio::test]
async fn reading_a_channel_with_a_bad_query_is_refused_and_without_history_is_empty() {
    let fake = fake().await;
    let path = post_path(DIGEST_CHANNEL);
    for (query, code) in [
        ("limit=0", "NUMBER_TYPE_MIN"),
        ("limit=101", "NUMBER_TYPE_MAX"),
        ("limit=ten", "NUMBER_TYPE_COERCE"),
    ] {
        let (status, _, body) = raw(&fake, "GET", &format!("{path}?{query}"), None).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["code"], 50035, "{query}");
        assert_eq!(
            body["errors"]["limit"]["_errors"][0]["code"], code,
            "{query}"
        );
    }
    let (status, _, body) = raw(&fake, "GET", &format!("{path}?before=12a"), None).await;
    assert_eq!(
        (
            status,
            body["errors"]["before"]["_errors"][0]["code"].clone()
        ),
        (400, json!("NUMBER_TYPE_COERCE"))
    );
    let (status, _, _) = raw(&fake, "GET", &format!("{path}?before=5&after=3"), None).await;
    assert_eq!(status, 400, "before and after are mutually exclusive");
    let (status, _, body) = raw(&fake, "GET", &format!("{path}?limit=100"), None).await;
    assert_eq!((status, body), (200, json!([])));
    let (status, _, body) = raw(&fake, "GET", "/channels/1/messages", None).await;
    assert_eq!((status, body["code"].clone()), (404, json!(10003)));
    // Without Read Message History Discord answers, with nothing.
    let http = bot_http(&fake);
    let channel = serenity::ChannelId::new(NO_HISTORY_CHANNEL);
    channel.send_message(&http, text("posted")).await.unwrap();
    assert!(channel
        .messages(&http, GetMessages::new())
        .await
        .unwrap()
        .is_empty());
}

/// Refusals as Discord words them: `(body, where, Discord's code)`.
fn refused_bodies() -> Vec<(Value, Vec<&'static str>, &'static str)> {
    let none = json!({"parse": []});
    let field = |value: &str| json!({"name": "Open", "value": value});
    vec![
        (
            json!({"content": "<@&10>", "allowed_mentions": {"parse": [], "roles": ["10", "10"]}}),
            vec!["allowed_mentions", "roles", "1"],
            "SET_TYPE_ALREADY_CONTAINS_VALUE",
        ),
        (
            json!({"content": "x", "allowed_mentions": {"parse": [], "users": ["5", "6", "5"]}}),
            vec!["allowed_mentions", "users", "2"],
            "SET_TYPE_ALREADY_CONTAINS_VALUE",
        ),
        (
            json!({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["5"]}}),
            vec!["allowed_mentions"],
            "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
        ),
        (
            json!({"content": "x".repeat(2001), "allowed_mentions": none}),
            vec!["content"],
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            json!({"embeds": vec![json!({"title": "t"}); 11], "allowed_mentions": none}),
            vec!["embeds"],
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            json!({"embeds": [{"description": "d".repeat(3000)}, {"description": "d".repeat(3001)}], "allowed_mentions": none}),
            vec!["embeds"],
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            json!({"embeds": [{"title": "t", "fields": vec![field("v"); 26]}], "allowed_mentions": none}),
            vec!["embeds", "0", "fields"],
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            json!({"embeds": [{"title": "t", "fields": [field("")]}], "allowed_mentions": none}),
            vec!["embeds", "0", "fields", "0", "value"],
            "BASE_TYPE_REQUIRED",
        ),
        (
            json!({"embeds": [{"title": "t", "fields": [field(&"v".repeat(1025))]}], "allowed_mentions": none}),
            vec!["embeds", "0", "fields", "0", "value"],
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            json!({"content": "x", "nonce": "n".repeat(26), "allowed_mentions": none}),
            vec!["nonce"],
            "BASE_TYPE_MAX_LENGTH",
        ),
    ]
}

#[tokio::test]
async fn bodies_discord_refuses_are_refused_with_discords_error_and_nothing_is_posted() {
    let fake = fake().await;
    for (body, place, code) in refused_bodies() {
        let (status, _, answer) = raw(
            &fake,
            "POST",
            &post_path(REMINDER_CHANNEL),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["code"], 50035);
        assert_eq!(answer["message"], "Invalid Form Body");
        let mut node = &answer["errors"];
        for key in &place {
            node = &node[key];
        }
        assert_eq!(node["_errors"][0]["code"], code, "{place:?} in {answer}");
        // The refusal is also kept for the test that sent it to see.
        let place = place.join(".");
        assert!(
            fake.violations()
                .iter()
                .any(|v| v.contains(&place) && v.contains(code)),
            "{place}: {:#?}",
            fake.violations()
        );
    }
    assert!(fake.channel_messages(REMINDER_CHANNEL).is_empty());
    // The limits themselves are allowed.
    let fine = [
        json!({"content": "x".repeat(2000), "allowed_mentions": {"parse": [], "roles": ["10", "11"]}}),
        json!({"embeds": [{"description": "d".repeat(3000)}, {"description": "d".repeat(3000)}], "allowed_mentions": {"parse": []}}),
        json!({"embeds": vec![json!({"title": "t", "fields": vec![json!({"name": "n", "value": "v"}); 25]}); 10], "allowed_mentions": {"parse": []}}),
    ];
    for body in fine {
        let (status, _, answer) =
            raw(&fake, "POST", &post_path(REMINDER_CHANNEL), Some(body)).await;
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 3);
}

#[tokio::test]
async fn empty_messages_locked_and_unknown_channels_are_refused_as_discord_does() {
    let fake = fake().await;
    let none = json!({"parse": []});
    let (status, _, body) = raw(
        &fake,
        "POST",
        &post_path(REMINDER_CHANNEL),
        Some(json!({"allowed_mentions": none})),
    )
    .await;
    assert_eq!((status, body["code"].clone()), (400, json!(50006)));
    let message = json!({"content": "x", "allowed_mentions": none});
    let (status, _, body) = raw(
        &fake,
        "POST",
        &post_path(LOCKED_CHANNEL),
        Some(message.clone()),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"code": 50013, "message": "Missing Permissions"})
        )
    );
    let (status, _, body) = raw(&fake, "POST", &post_path(1), Some(message)).await;
    assert_eq!((status, body["code"].clone()), (404, json!(10003)));
    assert!(fake.channel_messages(LOCKED_CHANNEL).is_empty());
}

#[tokio::test]
async fn serenity_reads_the_fakes_refusal_as_it_reads_discords() {
    let fake = fake().await;
    let http = bot_http(&fake);
    let twice =
        CreateAllowedMentions::new().roles([serenity::RoleId::new(10), serenity::RoleId::new(10)]);
    let error = serenity::ChannelId::new(REMINDER_CHANNEL)
        .send_message(
            &http,
            CreateMessage::new()
                .content("<@&10>")
                .allowed_mentions(twice),
        )
        .await
        .unwrap_err();
    let serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) = error else {
        panic!("not Discord's refusal: {error:?}");
    };
    assert_eq!(response.status_code.as_u16(), 400);
    assert_eq!(response.error.code, 50035);
    assert_eq!(response.error.errors.len(), 1);
    assert_eq!(response.error.errors[0].path, "allowed_mentions.roles.1");
    assert_eq!(
        response.error.errors[0].code,
        "SET_TYPE_ALREADY_CONTAINS_VALUE"
    );
}

#[tokio::test]
async fn an_interaction_answer_discord_refuses_leaves_the_interaction_unanswered() {
    let fake = fake().await;
    let callback = json!({"type": 4, "data": {"content": "x".repeat(2001), "allowed_mentions": {"parse": []}}});
    let (status, _, body) = raw(
        &fake,
        "POST",
        "/interactions/1/token-1/callback",
        Some(callback),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"]["data"]["content"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    assert_eq!(fake.reply_for("token-1").kind, 0, "not answered");
}

#[tokio::test]
async fn an_interaction_is_answered_once_and_a_second_answer_is_refused() {
    let fake = fake().await;
    let first = json!({"type": 5, "data": {"flags": 64}});
    let second =
        json!({"type": 4, "data": {"content": "again", "allowed_mentions": {"parse": []}}});
    let path = "/interactions/1/token-2/callback";
    let (status, _, _) = raw(&fake, "POST", path, Some(first)).await;
    assert_eq!(status, 204);
    let (status, _, body) = raw(&fake, "POST", path, Some(second)).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(40060)));
    assert_eq!(
        body["message"],
        "Interaction has already been acknowledged."
    );
    let reply = fake.reply_for("token-2");
    assert_eq!(reply.kind, 5, "the reply stays as the first answer made it");
    assert!(fake
        .violations()
        .iter()
        .any(|v| v.contains("already answered")));
}

#[tokio::test]
async fn a_queued_rate_limit_is_answered_in_discords_shape() {
    let fake = fake().await;
    let route = format!("POST /api/v10{}", post_path(REMINDER_CHANNEL));
    fake.queue_rate_limit(&route, 1.5);
    fake.queue_with_headers(
        &route,
        503,
        json!({"message": "upstream", "code": 0}),
        &[("Retry-After", "7")],
    );
    let message = json!({"content": "x", "allowed_mentions": {"parse": []}});
    let (status, headers, body) = raw(
        &fake,
        "POST",
        &post_path(REMINDER_CHANNEL),
        Some(message.clone()),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
    );
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header("retry-after").as_deref(), Some("2"));
    assert_eq!(header("x-ratelimit-reset-after").as_deref(), Some("1.500"));
    assert_eq!(header("x-ratelimit-scope").as_deref(), Some("user"));
    assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
    let (status, headers, _) = raw(
        &fake,
        "POST",
        &post_path(REMINDER_CHANNEL),
        Some(message.clone()),
    )
    .await;
    assert_eq!(
        (
            status,
            headers.get("retry-after").unwrap().to_str().unwrap()
        ),
        (503, "7")
    );
    let (status, _, _) = raw(&fake, "POST", &post_path(REMINDER_CHANNEL), Some(message)).await;
    assert_eq!(status, 200, "then the route answers again");
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
}

#[tokio::test]
async fn a_post_held_before_it_is_created_creates_nothing_until_released() {
    let fake = fake().await;
    let http = std::sync::Arc::new(bot_http(&fake));
    let channel = serenity::ChannelId::new(REMINDER_CHANNEL);
    // The second POST from now is held; the first goes through.
    let held = fake.hold_post(REMINDER_CHANNEL, 1, HoldAt::BeforeCreate);
    channel.send_message(&*http, text("first")).await.unwrap();
    let client = http.clone();
    let second = tokio::spawn(async move { channel.send_message(&*client, text("second")).await });
    held.arrived().await;
    assert_eq!(
        fake.channel_messages(REMINDER_CHANNEL).len(),
        1,
        "no message while held"
    );
    let route = format!("POST /api/v10/channels/{REMINDER_CHANNEL}/messages");
    let seen = fake.requests().iter().filter(|r| **r == route).count();
    assert_eq!(seen, 2, "the held request was seen");
    assert!(!second.is_finished(), "held requests are not answered");
    held.release();
    let sent = second.await.unwrap().unwrap();
    assert_eq!(sent.content, "second");
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 2);
}

#[tokio::test]
async fn a_post_held_after_it_is_created_is_in_the_channel_but_unanswered() {
    let fake = fake().await;
    let http = std::sync::Arc::new(bot_http(&fake));
    let channel = serenity::ChannelId::new(REMINDER_CHANNEL);
    let held = fake.hold_post(REMINDER_CHANNEL, 0, HoldAt::AfterCreate);
    let client = http.clone();
    let post = tokio::spawn(async move {
        channel
            .send_message(
                &*client,
                text("held")
                    .nonce(Nonce::String("bb3-0".into()))
                    .enforce_nonce(true),
            )
            .await
    });
    held.arrived().await;
    assert!(!post.is_finished());
    let in_channel = channel.messages(&*http, GetMessages::new()).await.unwrap();
    assert_eq!(in_channel.len(), 1, "created while its answer is held");
    // Its nonce is remembered: a resend inside the window gets the same message.
    let resent = channel
        .send_message(
            &*http,
            text("held")
                .nonce(Nonce::String("bb3-0".into()))
                .enforce_nonce(true),
        )
        .await
        .unwrap();
    assert_eq!(resent.id, in_channel[0].id);
    held.release();
    assert_eq!(post.await.unwrap().unwrap().id, in_channel[0].id);
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
}

#[tokio::test]
async fn a_held_post_whose_client_gives_up_is_dropped_and_never_created() {
    let fake = fake().await;
    let held = fake.hold_post(REMINDER_CHANNEL, 0, HoldAt::BeforeCreate);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(format!(
            "{}/api/v10{}",
            fake.api_url(),
            post_path(REMINDER_CHANNEL)
        ))
        .header("Authorization", format!("Bot {TOKEN}"))
        .json(&json!({"content": "lost", "allowed_mentions": {"parse": []}}))
        .send()
        .await;
    assert!(gave_up.is_err());
    held.abandoned().await;
    held.release();
    let (status, _, _) = raw(
        &fake,
        "POST",
        &post_path(REMINDER_CHANNEL),
        Some(json!({"content": "next", "allowed_mentions": {"parse": []}})),
    )
    .await;
    assert_eq!(status, 200);
    let posted = fake.channel_messages(REMINDER_CHANNEL);
    let contents: Vec<&str> = posted
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["next"]);
}

/// An edit through the bot's own `edit_message`: the stored message shows the new text and
/// embeds and is marked edited; a message that is not there, or that someone else posted, is
/// refused as Discord refuses it, with its own error kind.
#[tokio::test]
async fn a_message_edit_replaces_what_it_shows_and_discords_refusals_have_their_own_kind() {
    use briefing_bot::delivery::discord::{edit_message, send_one, EditError};
    use briefing_bot::digest::render::discord::{Embed, Message};
    let fake = fake().await;
    let http = bot_http(&fake);
    let channel = serenity::ChannelId::new(REMINDER_CHANNEL);
    let posted = Message {
        content: "**Reminder** <@300000000000000001>".into(),
        embeds: vec![Embed {
            title: "Before".into(),
            description: "`A-1` overdue".into(),
            ..Default::default()
        }],
        ping_users: vec![300_000_000_000_000_001],
        ..Default::default()
    };
    let id: u64 = send_one(&http, channel, &posted, "n-1")
        .await
        .unwrap()
        .parse()
        .unwrap();
    let edited = Message {
        embeds: vec![Embed {
            title: "After".into(),
            description: "`A-1` — updated by Ann at 3 Dec 2026 12:00 GMT".into(),
            ..Default::default()
        }],
        ..posted.clone()
    };
    edit_message(&http, channel, serenity::MessageId::new(id), &edited)
        .await
        .unwrap();
    let now = fake.message(REMINDER_CHANNEL, id).unwrap();
    assert_eq!(now["embeds"][0]["title"], "After");
    assert_eq!(now["content"], posted.content);
    assert!(now["edited_timestamp"].is_string(), "{now}");
    let stored = fake.channel_messages(REMINDER_CHANNEL);
    assert_eq!(stored.len(), 1, "an edit posts nothing new");
    assert_eq!(stored[0]["embeds"][0]["title"], "After");
    assert_eq!(fake.channel_message_ids(REMINDER_CHANNEL), vec![id]);
    let (_, _, body) = fake.edits().pop().unwrap();
    assert_eq!(
        body["allowed_mentions"]["users"],
        json!(["300000000000000001"]),
        "an edit keeps the message's own mentions and adds none"
    );
    // Read back as Discord returns it.
    let read = channel
        .messages(&http, GetMessages::new().limit(1))
        .await
        .unwrap();
    assert_eq!(read[0].embeds[0].title.as_deref(), Some("After"));
    assert!(read[0].edited_timestamp.is_some());

    let gone = edit_message(&http, channel, serenity::MessageId::new(id + 1), &edited).await;
    assert_eq!(gone, Err(EditError::UnknownMessage));
    let theirs = fake.post_as_member(REMINDER_CHANNEL, 300_000_000_000_000_002, "hello");
    let not_ours = edit_message(&http, channel, serenity::MessageId::new(theirs), &edited).await;
    assert_eq!(not_ours, Err(EditError::NotTheBots));
    let nowhere = edit_message(
        &http,
        serenity::ChannelId::new(1),
        serenity::MessageId::new(id),
        &edited,
    )
    .await;
    assert_eq!(nowhere, Err(EditError::UnknownMessage));
    assert_eq!(fake.edits().len(), 1, "refused edits change nothing");
    assert_eq!(
        fake.message(REMINDER_CHANNEL, theirs).unwrap()["content"],
        "hello"
    );
}

/// A raw edit Discord would refuse: over its limits (the schema's `MessageEditRequestPartial`
/// and the 2,000-character content rule), or one that would leave the message empty.
#[tokio::test]
async fn an_edit_discord_refuses_is_refused_in_discords_words_and_changes_nothing() {
    let fake = fake().await;
    let http = bot_http(&fake);
    let channel = serenity::ChannelId::new(REMINDER_CHANNEL);
    let sent = channel.send_message(&http, text("first")).await.unwrap();
    let path = format!("/channels/{REMINDER_CHANNEL}/messages/{}", sent.id);
    let mentions = json!({"parse": []});
    for (body, place, code) in [
        (
            json!({"content": "x".repeat(2001), "allowed_mentions": mentions}),
            "content",
            50035,
        ),
        (
            json!({"embeds": [{"title": 5}], "allowed_mentions": mentions}),
            "embeds",
            50035,
        ),
        (
            json!({"content": "", "allowed_mentions": mentions}),
            "",
            50006,
        ),
    ] {
        let (status, _, answer) = raw(&fake, "PATCH", &path, Some(body)).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["code"], code, "{answer}");
        if !place.is_empty() {
            assert!(answer["errors"].get(place).is_some(), "{answer}");
        }
    }
    assert!(fake.edits().is_empty());
    assert_eq!(
        fake.message(REMINDER_CHANNEL, sent.id.get()).unwrap()["content"],
        "first"
    );
}
