//! The real bot, connected to the fake Discord, serving a test board: start it, run slash
//! commands as different people, and stop it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use poise::serenity_prelude as serenity;
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::discord::client::{build_client, Connection};
use briefing_bot::discord::Data;
use briefing_bot::domain::{Board, BoardSlug, ChatSettings};
use briefing_bot::monitoring::Metrics;

use super::db::{sqlite, TestDb};
use super::fake_discord::{perms, Channel, FakeDiscord, Guild, Member, Reply, Role, TOKEN};

pub const GUILD: u64 = 700_000_000_000_000_001;
pub const ADMIN_ROLE: u64 = 700_000_000_000_000_010;
pub const OFFICER_ROLE: u64 = 700_000_000_000_000_011;
pub const MANAGER_ROLE: u64 = 700_000_000_000_000_012;
pub const DIGEST_CHANNEL: u64 = 700_000_000_000_000_020;
pub const REMINDER_CHANNEL: u64 = 700_000_000_000_000_021;
/// A channel where the bot may not send messages or embeds.
pub const LOCKED_CHANNEL: u64 = 700_000_000_000_000_022;

/// A member with no board role.
pub const MEMBER: u64 = 200_000_000_000_000_009;
/// The officer assigned to ACT-001 in the test board.
pub const OFFICER: u64 = 200_000_000_000_000_001;
/// An officer not assigned to ACT-001.
pub const OTHER_OFFICER: u64 = 200_000_000_000_000_002;
/// Holds the board's admin role.
pub const ADMIN: u64 = 200_000_000_000_000_100;
/// Has Manage Server but no board role.
pub const MANAGER: u64 = 200_000_000_000_000_101;

/// The test server.
pub fn guild() -> Guild {
    Guild {
        id: GUILD,
        name: "Board server".into(),
        roles: vec![
            Role {
                id: ADMIN_ROLE,
                name: "Secretariat".into(),
                permissions: 0,
            },
            Role {
                id: OFFICER_ROLE,
                name: "Officers".into(),
                permissions: 0,
            },
            Role {
                id: MANAGER_ROLE,
                name: "Server managers".into(),
                permissions: perms::MANAGE_GUILD,
            },
        ],
        channels: vec![
            Channel {
                id: DIGEST_CHANNEL,
                name: "briefings".into(),
                deny_bot: 0,
            },
            Channel {
                id: REMINDER_CHANNEL,
                name: "reminders".into(),
                deny_bot: 0,
            },
            Channel {
                id: LOCKED_CHANNEL,
                name: "locked".into(),
                deny_bot: perms::SEND_MESSAGES | perms::EMBED_LINKS,
            },
        ],
        members: vec![
            Member {
                id: MEMBER,
                name: "member".into(),
                roles: vec![],
            },
            Member {
                id: OFFICER,
                name: "officer".into(),
                roles: vec![OFFICER_ROLE],
            },
            Member {
                id: OTHER_OFFICER,
                name: "other-officer".into(),
                roles: vec![OFFICER_ROLE],
            },
            Member {
                id: ADMIN,
                name: "secretary".into(),
                roles: vec![ADMIN_ROLE],
            },
            Member {
                id: MANAGER,
                name: "manager".into(),
                roles: vec![MANAGER_ROLE],
            },
        ],
    }
}

/// A fresh SQLite database holding the small test board, linked to the test server with its
/// channels and roles.
pub async fn linked_board() -> (TestDb, Board) {
    let db = sqlite().await;
    let board = link_board(&db).await;
    (db, board)
}

/// Load the small test board into `db` and link it to the test server with its channels and
/// roles.
pub async fn link_board(db: &TestDb) -> Board {
    crate::store_contract::load(&db.store, "dsvb").await;
    let mut board = db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    board.chat = ChatSettings {
        server_id: Some(GUILD),
        digest_channel: Some(DIGEST_CHANNEL),
        reminder_channel: Some(REMINDER_CHANNEL),
        officer_role: Some(OFFICER_ROLE),
        admin_role: Some(ADMIN_ROLE),
        officers_update_any: false,
    };
    crate::support::boards::set_chat(&db.store, board.id, &board.chat).await;
    board
}

/// Fails the test if serenity receives a gateway event it cannot read (it would drop it
/// silently and the command would never run).
#[derive(Default)]
pub struct UnknownEvents(AtomicBool);

#[serenity::async_trait]
impl serenity::RawEventHandler for UnknownEvents {
    async fn raw_event(&self, _ctx: serenity::Context, event: serenity::Event) {
        if let serenity::Event::Unknown(unknown) = &event {
            eprintln!("serenity could not read a gateway event: {unknown:?}");
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

fn command_id(fake: &FakeDiscord, name: &str) -> String {
    fake.registered_commands()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("the bot registered no /{name} command"))
}

/// The interaction data for `/name sub … options` in `guild`.
fn command_data(
    fake: &FakeDiscord,
    guild: u64,
    command: &str,
    options: Value,
    resolved: Value,
) -> Value {
    let mut words = command.split_whitespace();
    let top = words.next().unwrap();
    let subs: Vec<&str> = words.collect();
    let mut options = options;
    // Wrap the options in the subcommand (type 1) and group (type 2) levels, innermost first.
    for (depth, sub) in subs.iter().enumerate().rev() {
        let kind = if depth + 1 == subs.len() { 1 } else { 2 };
        options = json!([{ "name": sub, "type": kind, "options": options }]);
    }
    json!({ "id": command_id(fake, top), "name": top, "type": 1, "options": options, "resolved": resolved, "guild_id": guild.to_string() })
}

/// Run a slash command as `who` in `channel` of `guild`, through whichever bot the fake routes
/// that server to, and return the answer.
pub async fn slash(
    fake: &FakeDiscord,
    guild: u64,
    channel: u64,
    who: u64,
    command: &str,
    options: Value,
    resolved: Value,
) -> Reply {
    let data = command_data(fake, guild, command, options, resolved);
    let (_, token, payload) = fake.interaction_json(guild, channel, who, 2, data);
    fake.send_interaction(payload, &token).await
}

/// The bot serving the test board against the fake.
pub struct TestBot {
    pub fake: FakeDiscord,
    pub db: TestDb,
    pub board: Board,
    pub clock: Arc<FixedClock>,
    /// The bot's metrics, as `/metrics` would show them.
    pub metrics: Metrics,
    /// What the bot's commands signal when they change when or where a post goes.
    pub wakeup: briefing_bot::schedule::Wakeup,
    unknown: Arc<UnknownEvents>,
    shards: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<()>,
}

impl TestBot {
    /// Start the fake, a database with the small test board linked to the test server, and the
    /// bot, and wait until it is connected with its commands registered.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// [`TestBot::start`], with a chance to script the fake before the bot connects.
    pub async fn start_with(prepare: impl FnOnce(&FakeDiscord)) -> Self {
        let (db, board) = linked_board().await;
        Self::start_on(db, board, prepare).await
    }

    /// [`TestBot::start_with`] on a database of the test's choosing (PostgreSQL, say), holding
    /// `board` linked to the test server (see [`link_board`]).
    pub async fn start_on(db: TestDb, board: Board, prepare: impl FnOnce(&FakeDiscord)) -> Self {
        let fake = FakeDiscord::start(vec![guild()]).await;
        prepare(&fake);
        // 20 September 2010: ACT-001 (due 1 September) is overdue.
        let clock = Arc::new(FixedClock::new(
            Utc.with_ymd_and_hms(2010, 9, 20, 10, 0, 0).unwrap(),
        ));
        let unknown = Arc::new(UnknownEvents::default());
        let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
        let data = Data::new(
            db.store.clone(),
            clock.clone() as Arc<dyn Clock>,
            Default::default(),
        );
        let metrics = data.metrics.clone();
        let wakeup = data.schedule_changed.clone();
        let mut client = build_client(
            &connection,
            data,
            Some(unknown.clone() as Arc<dyn serenity::RawEventHandler>),
        )
        .await
        .expect("client builds");
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move {
            let _ = client.start().await;
        });
        fake.wait_ready().await;
        Self {
            fake,
            db,
            board,
            clock,
            metrics,
            wakeup,
            unknown,
            shards,
            task,
        }
    }

    /// Stop the bot process and start a new one on the same fake Discord and database, as a
    /// redeploy does: nothing the old process held in memory survives.
    pub async fn restart(self) -> Self {
        self.shards.shutdown_all().await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.task).await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.fake.connected_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let connection = Connection::new(TOKEN.to_string().into(), Some(self.fake.api_url()));
        let data = Data::new(
            self.db.store.clone(),
            self.clock.clone() as Arc<dyn Clock>,
            Default::default(),
        );
        let metrics = data.metrics.clone();
        let wakeup = data.schedule_changed.clone();
        let mut client = build_client(
            &connection,
            data,
            Some(self.unknown.clone() as Arc<dyn serenity::RawEventHandler>),
        )
        .await
        .expect("client builds");
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move {
            let _ = client.start().await;
        });
        self.fake.wait_ready().await;
        Self {
            metrics,
            wakeup,
            shards,
            task,
            ..self
        }
    }

    fn data(&self, command: &str, options: Value, resolved: Value) -> Value {
        command_data(&self.fake, GUILD, command, options, resolved)
    }

    /// Run a slash command as `who` in `channel` and return the bot's answer.
    pub async fn run_in(
        &self,
        who: u64,
        channel: u64,
        command: &str,
        options: Value,
        resolved: Value,
    ) -> Reply {
        slash(&self.fake, GUILD, channel, who, command, options, resolved).await
    }

    /// Run a slash command as `who` in the digest channel.
    pub async fn run(&self, who: u64, command: &str, options: Value) -> Reply {
        self.run_in(who, DIGEST_CHANNEL, command, options, json!({}))
            .await
    }

    /// Ask for autocomplete choices while `who` types into option `focused`.
    pub async fn autocomplete(&self, who: u64, command: &str, mut options: Value) -> Reply {
        for option in options.as_array_mut().unwrap() {
            if option.get("focused").is_none() {
                option["focused"] = json!(false);
            }
        }
        let data = self.data(command, options, json!({}));
        let (_, token, payload) = self
            .fake
            .interaction_json(GUILD, DIGEST_CHANNEL, who, 4, data);
        self.fake.send_interaction(payload, &token).await
    }

    /// Submit a modal the bot opened (reply kind 9) and return what the bot then says.
    pub async fn submit_modal(
        &self,
        who: u64,
        modal: &Reply,
        original_token: &str,
        values: &[&str],
    ) -> Reply {
        let custom_id = modal.data["custom_id"]
            .as_str()
            .expect("a modal has a custom id")
            .to_string();
        let inputs: Vec<Value> = modal.data["components"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(values)
            .map(|(row, value)| {
                let input = &row["components"][0];
                json!({"type": 1, "components": [{"type": 4, "custom_id": input["custom_id"], "value": value}]})
            })
            .collect();
        let data = json!({"custom_id": custom_id, "components": inputs});
        let (_, token, payload) = self
            .fake
            .interaction_json(GUILD, DIGEST_CHANNEL, who, 5, data);
        let _ = self.fake.send_interaction(payload, &token).await;
        self.fake.reply_for(original_token)
    }

    /// Press the button labelled `label` on the bot's message `reply`, as `who`, and return
    /// what the bot answers (the message replaced, kind 7, or the press acknowledged, 6).
    pub async fn press(&self, who: u64, reply: &Reply, label: &str) -> Reply {
        let button = reply.data["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().into_iter().flatten())
            .find(|button| button["label"] == label)
            .unwrap_or_else(|| panic!("no {label} button on {}", reply.data))
            .clone();
        let data = json!({"custom_id": button["custom_id"], "component_type": 2});
        let (id, token, mut payload) =
            self.fake
                .interaction_json(GUILD, DIGEST_CHANNEL, who, 3, data);
        // The message the button is on, as Discord sends it with the press.
        payload["message"] = json!({
            "id": id.to_string(),
            "channel_id": DIGEST_CHANNEL.to_string(),
            "author": { "id": super::fake_discord::APP_ID.to_string(), "username": "briefing-bot", "discriminator": "0000", "bot": true, "avatar": null, "global_name": null },
            "content": reply.data["content"],
            "timestamp": "2010-09-20T10:00:00.000000+00:00",
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 20,
            "flags": 64,
        });
        self.fake.send_interaction(payload, &token).await
    }

    /// Run a slash command and also return its interaction token (for modals).
    pub async fn run_with_token(&self, who: u64, command: &str, options: Value) -> (Reply, String) {
        let data = self.data(command, options, json!({}));
        let (_, token, payload) = self
            .fake
            .interaction_json(GUILD, DIGEST_CHANNEL, who, 2, data);
        (self.fake.send_interaction(payload, &token).await, token)
    }

    /// Stop the bot and check it never met an event it could not read or sent a bad request.
    pub async fn stop(self) {
        self.shards.shutdown_all().await;
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.task).await;
        assert!(
            !self.unknown.0.load(Ordering::SeqCst),
            "serenity dropped a gateway event it could not read"
        );
        let violations = self.fake.violations();
        assert!(
            violations.is_empty(),
            "the bot sent requests Discord would refuse:\n{}",
            violations.join("\n")
        );
    }
}
