//! Running the bot for a board: `briefing-bot run` as a real process against the fake Discord
//! (its checks, health and metrics endpoint, JSON log, shutdown), `check` with a token, the
//! metrics the bot keeps, shards across processes, and the scheduler's log lines.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::config::ShardRange;
use briefing_bot::discord::client::{build_client, start, Connection, ShardProbe};
use briefing_bot::discord::Data;
use briefing_bot::monitoring::logging::{subscriber, LogFormat};
use briefing_bot::monitoring::{GatewayProbe, GatewayStatus, Health, Metrics};

use crate::support::bot::{
    guild, linked_board, slash, TestBot, ADMIN, DIGEST_CHANNEL, GUILD, LOCKED_CHANNEL, MEMBER,
    OFFICER,
};
use crate::support::fake_discord::{shard_of, Channel, FakeDiscord, Guild, TOKEN};
use crate::support::series;

fn s(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

/// `briefing-bot run` in its own process, its standard error collected line by line.
pub(crate) struct RunningBot {
    pub(crate) child: Child,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl RunningBot {
    /// Start `briefing-bot run` with JSON logs against the fake, with these extra arguments
    /// and environment.
    pub(crate) fn start(
        fake: &FakeDiscord,
        database_url: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_briefing-bot"));
        command
            .args([
                "--log-format",
                "json",
                "--database-url",
                database_url,
                "run",
            ])
            .args(args)
            .current_dir(dir.path())
            .env("DISCORD_TOKEN", TOKEN)
            .env("BRIEFING__DISCORD__API_URL", fake.api_url())
            .env_remove("RUST_LOG")
            .env_remove("DATABASE_URL")
            .env_remove("BRIEFING_CONFIG")
            .env_remove("BRIEFING_ENV")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start briefing-bot run");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            log,
            _dir: dir,
        }
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The log lines as JSON objects, failing on any line that is not one.
    pub(crate) fn json_lines(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .map(|line| {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// Wait (up to 20 s) for a log line that `wanted` accepts.
    pub(crate) async fn wait_for_line(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(line) = self.json_lines().into_iter().find(|l| wanted(l)) {
                return line;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no log line {what} within 20 s; the log:\n{}",
                    self.lines().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kill it with SIGKILL (`kill -9`): no cleanup of any kind, as in a power cut or an OOM
    /// kill.
    pub(crate) async fn kill9(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(sent.success(), "kill -KILL {pid}");
        let _ = self.wait_exit().await;
    }

    /// Send SIGTERM, as systemd and Docker do to stop it, and return whether it then exited 0.
    pub(crate) async fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        self.wait_exit().await
    }

    /// Wait (up to 20 s) for the process to exit, and return whether it succeeded.
    pub(crate) async fn wait_exit(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "briefing-bot did not exit within 20 s:\n{}",
                    self.lines().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/overdue` as a member of the test server: one command any connected bot answers.
async fn overdue(fake: &FakeDiscord) -> crate::support::fake_discord::Reply {
    slash(
        fake,
        GUILD,
        DIGEST_CHANNEL,
        MEMBER,
        "overdue",
        json!([]),
        json!({}),
    )
    .await
}

/// `briefing-bot health` against `address`: (exit status success, what it printed).
async fn health_command(address: &str) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_briefing-bot"));
    command.args(["health", "--ops-listen", address]);
    // Off the runtime's threads, which serve the fake Discord the bot is talking to.
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// GET a path on the ops endpoint: (status, content type, body).
pub(crate) async fn get(address: &str, path: &str) -> (u16, String, String) {
    let response = reqwest::get(format!("http://{address}{path}"))
        .await
        .expect("the ops endpoint answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, response.text().await.unwrap())
}

/// Ask `/healthz` until its status is `wanted` (up to 30 s: reconnecting takes serenity a few
/// seconds of backoff), and return the last body.
async fn health_becomes(address: &str, wanted: u16) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = get(address, "/healthz").await;
        if status == wanted {
            return serde_json::from_str(&body).unwrap();
        }
        if tokio::time::Instant::now() > deadline {
            panic!("/healthz stayed {status} (wanted {wanted}): {body}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_bot_reports_health_metrics_and_a_json_line_per_command() {
    let (db, _board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let mut bot = RunningBot::start(&fake, &db.url, &["--ops-listen", "127.0.0.1:0"], &[]);

    // It checks before it connects, and says where the endpoint is.
    let token_ok = bot
        .wait_for_line("accepting the token", |l| {
            l["check"] == "ok"
                && l["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("accepted the token")
        })
        .await;
    assert_eq!(token_ok["level"], "INFO");
    let serving = bot
        .wait_for_line("naming the ops address", |l| {
            l["message"] == "serving /healthz and /metrics"
        })
        .await;
    let address = serving["address"].as_str().unwrap().to_string();
    fake.wait_ready().await;
    let healthy = health_becomes(&address, 200).await;
    assert_eq!(healthy["status"], "ready");
    assert_eq!(healthy["gateway"], json!({"shards": 1, "connected": 1}));
    assert_eq!(healthy["database"], "ok");
    let (ready, said) = health_command(&address).await;
    assert!(ready, "{said}");
    assert!(said.contains(r#""status":"ready""#), "{said}");

    // Three commands, three outcomes, three log lines.
    let listed = overdue(&fake).await;
    assert!(listed.text().contains("ACT-001"), "{}", listed.text());
    let unknown = slash(
        &fake,
        GUILD,
        DIGEST_CHANNEL,
        MEMBER,
        "action show",
        json!([s("action", "ACT-999")]),
        json!({}),
    )
    .await;
    assert!(unknown.text().contains("There is no action ACT-999"));
    let denied = slash(
        &fake,
        GUILD,
        DIGEST_CHANNEL,
        OFFICER,
        "digest post",
        json!([]),
        json!({}),
    )
    .await;
    assert!(denied.text().contains("secretariat"), "{}", denied.text());

    let ok = bot
        .wait_for_line("for /overdue", |l| l["command"] == "overdue")
        .await;
    assert_eq!(ok["board"], "dsvb");
    assert_eq!(ok["outcome"], "ok");
    assert_eq!(ok["guild"], json!(GUILD));
    assert!(
        ok["ms"].as_f64().is_some_and(|ms| ms > 0.0 && ms < 3000.0),
        "{ok}"
    );
    let refused = bot
        .wait_for_line("for /action show", |l| l["command"] == "action show")
        .await;
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(refused["board"], "dsvb");
    assert!(
        refused["reason"].as_str().unwrap().contains("ACT-999"),
        "{refused}"
    );
    let denied_line = bot
        .wait_for_line("for /digest post", |l| l["command"] == "digest post")
        .await;
    assert_eq!(denied_line["outcome"], "denied");
    for command in ["overdue", "action show", "digest post"] {
        let count = bot
            .json_lines()
            .iter()
            .filter(|l| l["command"] == command)
            .count();
        assert_eq!(count, 1, "one log line for /{command}");
    }

    let (status, content_type, page) = get(&address, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    for (name, value) in [
        (
            r#"briefing_bot_commands_total{command="overdue",outcome="ok"}"#,
            1.0,
        ),
        (
            r#"briefing_bot_commands_total{command="action show",outcome="refused"}"#,
            1.0,
        ),
        (
            r#"briefing_bot_commands_total{command="digest post",outcome="denied"}"#,
            1.0,
        ),
        (
            r#"briefing_bot_command_duration_seconds_count{command="overdue"}"#,
            1.0,
        ),
        ("briefing_bot_gateway_shards_connected", 1.0),
        ("briefing_bot_gateway_reconnects_total", 0.0),
    ] {
        assert_eq!(series(&page, name), Some(value), "{name} in:\n{page}");
    }

    // Discord goes away: not ready, saying why. It comes back: ready, one reconnect counted.
    fake.drop_gateway();
    let down = health_becomes(&address, 503).await;
    assert_eq!(down["status"], "not ready");
    assert_eq!(
        down["problems"],
        json!(["gateway: 0 of 1 shards connected"])
    );
    assert_eq!(down["database"], "ok");
    let (ready, said) = health_command(&address).await;
    assert!(!ready, "health exits non-zero while not ready: {said}");
    fake.restore_gateway();
    health_becomes(&address, 200).await;
    let (_, _, page) = get(&address, "/metrics").await;
    assert_eq!(
        series(&page, "briefing_bot_gateway_reconnects_total"),
        Some(1.0),
        "{page}"
    );
    bot.wait_for_line("about the reconnect", |l| {
        l["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("gateway reconnected")
    })
    .await;

    assert_eq!(get(&address, "/nothing").await.0, 404);

    // SIGTERM: a clean stop.
    assert!(
        bot.terminate().await,
        "run exits 0 on SIGTERM:\n{}",
        bot.lines().join("\n")
    );
    let lines = bot.json_lines();
    assert!(lines.iter().any(|l| l["message"] == "shutting down"));
    for line in bot.lines() {
        assert!(!line.contains(TOKEN), "the token reached the log: {line}");
    }
    // Both channels were checked, and with nothing to fix nothing says so.
    let checked = |what: &str| {
        lines.iter().any(|l| {
            l["check"] == "ok" && l["message"] == format!("board dsvb: can post in {what}")
        })
    };
    assert!(checked("#briefings (digest)") && checked("#reminders (reminder)"));
    assert!(
        !lines.iter().any(|l| l.get("problems").is_some()),
        "no channel problems to report"
    );
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

#[tokio::test]
async fn run_refuses_to_start_without_a_token_or_with_one_discord_refuses() {
    let (db, _board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;

    let mut no_token = RunningBot::start(&fake, &db.url, &[], &[("DISCORD_TOKEN", "")]);
    assert!(!no_token.wait_exit().await);
    let failed = no_token
        .wait_for_line("failing the token check", |l| l["check"] == "fail")
        .await;
    assert_eq!(failed["message"], "DISCORD_TOKEN is not set");
    assert!(failed["fix"]
        .as_str()
        .unwrap()
        .contains("export DISCORD_TOKEN"));

    let mut refused = RunningBot::start(&fake, &db.url, &[], &[("DISCORD_TOKEN", "not.the.token")]);
    assert!(!refused.wait_exit().await);
    let failed = refused
        .wait_for_line("failing the token check", |l| l["check"] == "fail")
        .await;
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("Discord refused the token"),
        "{failed}"
    );
    for line in refused.lines() {
        assert!(
            !line.contains("not.the.token"),
            "the token reached the log: {line}"
        );
    }
    // Nothing connected to the gateway.
    assert!(fake.identified_shards().is_empty());

    let mut taken = RunningBot::start(&fake, &db.url, &["--ops-listen", "not-an-address"], &[]);
    assert!(!taken.wait_exit().await);
    taken
        .wait_for_line("explaining the address", |l| {
            l["error"]
                .as_str()
                .unwrap_or("")
                .contains("use e.g. 127.0.0.1:9187")
        })
        .await;
}

#[tokio::test]
async fn check_with_a_token_names_the_channel_permissions_the_bot_lacks() {
    let (db, mut board) = linked_board().await;
    board.chat.reminder_channel = Some(LOCKED_CHANNEL);
    crate::support::boards::set_chat(&db.store, board.id, &board.chat).await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let mut check = Command::new(env!("CARGO_BIN_EXE_briefing-bot"));
    check
        .args(["check", "--database-url", &db.url])
        .env("DISCORD_TOKEN", TOKEN)
        .env("BRIEFING__DISCORD__API_URL", fake.api_url())
        .env_remove("DATABASE_URL");
    // Off the runtime's thread: the fake Discord answering the check runs on it.
    let out = tokio::task::spawn_blocking(move || check.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "a missing permission fails the check:\n{text}"
    );
    assert!(
        text.contains("ok    Discord accepted the token (bot briefing-bot)"),
        "{text}"
    );
    assert!(
        text.contains("ok    board dsvb: can post in #briefings (digest)"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  board dsvb: missing Send Messages, Embed Links in #locked (reminder)"),
        "{text}"
    );
    assert!(
        text.contains("fix: grant the bot's role those permissions"),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 check(s) failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// With a token Discord accepts and channels the bot can post in, the check passes (exit 0):
/// the same command that fails without a token.
#[tokio::test]
async fn check_with_a_token_and_postable_channels_passes() {
    let (db, _board) = linked_board().await;
    // A second board, not linked to a server yet: warned about once, no channel lines.
    let north = briefing_bot::domain::BoardSlug::parse("north").unwrap();
    crate::support::boards::create_board(
        &db.store,
        &north,
        "North",
        &Default::default(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    // A third, linked but with no reminder channel yet: a warning, not a failure.
    let south = crate::support::boards::create_board(
        &db.store,
        &briefing_bot::domain::BoardSlug::parse("south").unwrap(),
        "South",
        &Default::default(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    // Its own server (one board per server), with one channel.
    let south_server = Guild {
        id: 700_000_000_000_000_101,
        name: "South board".into(),
        roles: vec![],
        channels: vec![Channel {
            id: 700_000_000_000_000_120,
            name: "south-briefings".into(),
            deny_bot: 0,
        }],
        members: vec![],
    };
    let chat = briefing_bot::domain::ChatSettings {
        server_id: Some(south_server.id),
        digest_channel: Some(south_server.channels[0].id),
        ..Default::default()
    };
    crate::support::boards::set_chat(&db.store, south.id, &chat).await;
    let fake = FakeDiscord::start(vec![guild(), south_server]).await;
    let mut check = Command::new(env!("CARGO_BIN_EXE_briefing-bot"));
    check
        .args(["check", "--database-url", &db.url])
        .env("DISCORD_TOKEN", TOKEN)
        .env("BRIEFING__DISCORD__API_URL", fake.api_url())
        .env_remove("DATABASE_URL");
    // Off the runtime's thread: the fake Discord answering the check runs on it.
    let out = tokio::task::spawn_blocking(move || check.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "ok    Discord accepted the token (bot briefing-bot)",
        "ok    board dsvb: can post in #briefings (digest)",
        "ok    board dsvb: can post in #reminders (reminder)",
        "warn  board north is not linked to a Discord server",
        "ok    board south: can post in #south-briefings (digest)",
        "warn  board south: no reminder channel",
        "all checks passed",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    assert!(!text.contains("FAIL"), "{text}");
    assert!(!text.contains("board north: no"), "{text}");
}

/// Once connected, the bot checks every board's channels in the background: each problem is
/// logged with its fix, then how many boards' channels need fixing, and it serves meanwhile.
#[tokio::test]
async fn a_running_bot_logs_the_channels_it_cannot_post_in_and_keeps_serving() {
    let (db, mut board) = linked_board().await;
    board.chat.reminder_channel = Some(LOCKED_CHANNEL);
    crate::support::boards::set_chat(&db.store, board.id, &board.chat).await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let bot = RunningBot::start(&fake, &db.url, &[], &[]);
    let fine = bot
        .wait_for_line("passing the digest channel", |l| {
            l["check"] == "ok" && l["message"] == "board dsvb: can post in #briefings (digest)"
        })
        .await;
    assert_eq!(fine["level"], "INFO");
    let locked = bot
        .wait_for_line("naming the locked channel", |l| {
            l["check"] == "fail"
                && l["message"]
                    == "board dsvb: missing Send Messages, Embed Links in #locked (reminder)"
        })
        .await;
    assert!(
        locked["fix"]
            .as_str()
            .unwrap()
            .contains("grant the bot's role those permissions"),
        "{locked}"
    );
    let summary = bot
        .wait_for_line("counting the problems", |l| l["problems"] == 1)
        .await;
    assert_eq!(summary["level"], "WARN");
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .contains("some boards' channels need fixing"),
        "{summary}"
    );
    fake.wait_ready().await;
    let listed = overdue(&fake).await;
    assert!(listed.text().contains("ACT-001"), "{}", listed.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_counted_by_outcome_and_timed() {
    let bot = TestBot::start().await;
    bot.run(MEMBER, "overdue", json!([])).await;
    bot.run(MEMBER, "overdue", json!([])).await;
    bot.run(MEMBER, "action show", json!([s("action", "nonsense ref!")]))
        .await;
    bot.run(MEMBER, "setup roles", json!([])).await;
    bot.run(ADMIN, "help", json!([])).await;
    let page = bot.metrics.encode();
    for (name, value) in [
        (
            r#"briefing_bot_commands_total{command="overdue",outcome="ok"}"#,
            Some(2.0),
        ),
        (
            r#"briefing_bot_commands_total{command="action show",outcome="refused"}"#,
            Some(1.0),
        ),
        (
            r#"briefing_bot_commands_total{command="setup roles",outcome="denied"}"#,
            Some(1.0),
        ),
        (
            r#"briefing_bot_commands_total{command="help",outcome="ok"}"#,
            Some(1.0),
        ),
        (
            r#"briefing_bot_command_duration_seconds_count{command="overdue"}"#,
            Some(2.0),
        ),
        (
            r#"briefing_bot_commands_total{command="overdue",outcome="failed"}"#,
            None,
        ),
    ] {
        assert_eq!(series(&page, name), value, "{name} in:\n{page}");
    }
    // The database goes away: the person gets a reference, the operator a count.
    bot.db.store.close().await;
    let failed = bot.run(MEMBER, "overdue", json!([])).await;
    assert!(failed.ephemeral());
    assert!(
        failed.text().contains("something went wrong on our side")
            && failed.text().contains("reference: E"),
        "{}",
        failed.text()
    );
    let page = bot.metrics.encode();
    assert_eq!(
        series(
            &page,
            r#"briefing_bot_commands_total{command="overdue",outcome="failed"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            &page,
            r#"briefing_bot_database_errors_total{during="command"}"#
        ),
        Some(1.0)
    );
    bot.stop().await;
}

/// Reports whatever it is told, standing in for the gateway in the health check's own test.
struct Gateway(Mutex<GatewayStatus>);

impl GatewayProbe for Gateway {
    fn status(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = GatewayStatus> + Send + '_>> {
        let status = *self.0.lock().unwrap();
        Box::pin(async move { status })
    }
}

#[tokio::test]
async fn health_is_not_ready_while_the_database_does_not_answer() {
    let (db, _board) = linked_board().await;
    let metrics = Metrics::new();
    let gateway = Arc::new(Gateway(Mutex::new(GatewayStatus {
        expected: 2,
        connected: 1,
    })));
    let health = Arc::new(Health {
        store: db.store.clone(),
        gateway: gateway.clone(),
        metrics: metrics.clone(),
        scheduler: None,
    });
    let listener = briefing_bot::monitoring::server::bind("127.0.0.1:0")
        .await
        .unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(briefing_bot::monitoring::server::serve(listener, health));

    let (status, _, body) = get(&address, "/healthz").await;
    assert_eq!(status, 503, "one shard of two is not enough: {body}");
    *gateway.0.lock().unwrap() = GatewayStatus {
        expected: 2,
        connected: 2,
    };
    let (status, content_type, body) = get(&address, "/healthz").await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/json"),
        "{body}"
    );

    db.store.close().await;
    let (status, _, body) = get(&address, "/healthz").await;
    assert_eq!(status, 503);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["problems"],
        json!(["database: not answering (see the log)"])
    );
    assert_eq!(
        series(
            &metrics.encode(),
            r#"briefing_bot_database_errors_total{during="health_check"}"#
        ),
        Some(1.0)
    );
    let refused = reqwest::Client::new()
        .post(format!("http://{address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 405);
    server.abort();
}

/// Read what the server sends until it closes the connection (or `within` passes).
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut answer))
        .await
        .ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn the_ops_endpoint_cuts_off_slow_large_and_excess_clients_and_keeps_serving() {
    use briefing_bot::monitoring::server::{serve_within, Limits};
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;

    let (db, _board) = linked_board().await;
    let health = Arc::new(Health {
        store: db.store.clone(),
        gateway: Arc::new(Gateway(Mutex::new(GatewayStatus {
            expected: 1,
            connected: 1,
        }))),
        metrics: Metrics::new(),
        scheduler: None,
    });
    let listener = briefing_bot::monitoring::server::bind("127.0.0.1:0")
        .await
        .unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let limits = Limits {
        header_read: Duration::from_millis(300),
        connection: Duration::from_secs(2),
        connections: 3,
        header_bytes: 8192,
    };
    let server = tokio::spawn(serve_within(listener, health, limits));
    let long_enough = Duration::from_secs(10);

    // One byte every 50 ms: the headers would take 10 s; the server hangs up long before.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    let started = std::time::Instant::now();
    let head = format!(
        "GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(200)
    );
    let mut cut_off = false;
    for byte in head.as_bytes() {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let answer = read_until_closed(&mut slow, long_enough).await;
    assert!(
        cut_off || answer.is_some_and(|a| !a.contains("alive")),
        "a client trickling its headers is never answered, and is cut off"
    );
    assert!(started.elapsed() < Duration::from_secs(4));

    // A connection that never sends anything is closed too.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    assert_eq!(
        read_until_closed(&mut idle, long_enough).await.as_deref(),
        Some(""),
        "an idle connection is closed without an answer"
    );

    // Headers larger than the limit: 431, never read into memory whole.
    let mut large = TcpStream::connect(&address).await.unwrap();
    let big = format!(
        "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = large.write_all(big.as_bytes()).await;
    let answer = read_until_closed(&mut large, long_enough).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");

    // A body is refused without being read.
    let mut body = TcpStream::connect(&address).await.unwrap();
    body.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut body, long_enough).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("takes no request body"), "{answer}");

    // Three idle connections fill every slot: a fourth is closed at once...
    let mut holders = Vec::new();
    for _ in 0..3 {
        holders.push(TcpStream::connect(&address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut excess = TcpStream::connect(&address).await.unwrap();
    let _ = excess
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let answer = read_until_closed(&mut excess, Duration::from_millis(250)).await;
    assert!(
        answer.as_deref().is_none_or(|a| !a.contains("alive")),
        "over the limit: {answer:?}"
    );
    // ...and once the idle ones are cut off, a probe is answered again.
    for mut holder in holders {
        read_until_closed(&mut holder, long_enough).await.unwrap();
    }
    let (status, _, body) = get(&address, "/livez").await;
    assert_eq!((status, body.as_str()), (200, "alive\n"));
    server.abort();
}

#[tokio::test]
async fn a_port_in_use_is_refused_with_the_fix() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let err = briefing_bot::monitoring::server::bind(&address)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("could not listen on {address}")),
        "{err}"
    );
    assert!(err.contains("Pick a free port"), "{err}");
}

/// A second server that Discord routes to the other shard of two.
fn other_shard_guild() -> Guild {
    let mut other = guild();
    // Server ids are snowflakes; the bits above 22 pick the shard.
    other.id = GUILD + (1 << 22);
    assert_ne!(shard_of(other.id, 2), shard_of(GUILD, 2));
    other
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_different_shards_each_serve_their_own_servers() {
    let (db, board) = linked_board().await;
    let other = other_shard_guild();
    // A second board, in the other server, sharing the database.
    crate::store_contract::load(&db.store, "north").await;
    let mut north = db
        .store
        .board(&briefing_bot::domain::BoardSlug::parse("north").unwrap())
        .await
        .unwrap()
        .unwrap();
    north.chat = briefing_bot::domain::ChatSettings {
        server_id: Some(other.id),
        ..board.chat.clone()
    };
    crate::support::boards::set_chat(&db.store, north.id, &north.chat).await;
    let fake = FakeDiscord::start(vec![guild(), other.clone()]).await;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2010, 9, 20, 10, 0, 0).unwrap(),
    ));

    let mut processes = Vec::new();
    for shard in 0..2 {
        let connection = Connection {
            shards: ShardRange::parse(&shard.to_string(), 2).unwrap(),
            ..Connection::new(TOKEN.to_string().into(), Some(fake.api_url()))
        };
        let data = Data::new(
            db.store.clone(),
            clock.clone() as Arc<dyn Clock>,
            Default::default(),
        );
        let mut client = build_client(&connection, data, None).await.unwrap();
        let probe = ShardProbe::new(&client, connection.shards);
        let manager = client.shard_manager.clone();
        tokio::spawn(async move {
            let _ = start(&mut client, connection.shards).await;
        });
        processes.push((probe, manager));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while fake.connected_sessions() < 2 || fake.registered_commands().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "both shards connect"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut identified = fake.identified_shards();
    identified.sort();
    assert_eq!(
        identified,
        vec![[0, 2], [1, 2]],
        "each shard once, by one process"
    );
    for (probe, _) in &processes {
        assert_eq!(
            probe.status().await,
            GatewayStatus {
                expected: 1,
                connected: 1
            }
        );
    }

    // Each server's command reaches the process running its shard, which finds its board.
    let here = slash(
        &fake,
        GUILD,
        DIGEST_CHANNEL,
        MEMBER,
        "board",
        json!([]),
        json!({}),
    )
    .await;
    let there = slash(
        &fake,
        other.id,
        DIGEST_CHANNEL,
        MEMBER,
        "overdue",
        json!([]),
        json!({}),
    )
    .await;
    assert!(here.text().contains("secretariat"), "{}", here.text());
    assert!(there.text().contains("ACT-001"), "{}", there.text());
    for (_, manager) in processes {
        manager.shutdown_all().await;
    }
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

/// A writer the tests read back: where the scheduler's JSON log lines go.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// One thread, so the subscriber set for this test sees everything the runner logs.
#[tokio::test(flavor = "current_thread")]
async fn each_scheduled_post_logs_one_json_line_with_board_job_and_outcome() {
    let (db, _board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let captured = Captured::default();
    let _log = tracing::subscriber::set_default(subscriber(LogFormat::Json, captured.clone()));
    let metrics = Metrics::new();
    // Monday 4 October 2010, 09:00 in London: the reminder is due, and the digest of
    // 1 October is caught up.
    let due = Utc.with_ymd_and_hms(2010, 10, 4, 8, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(due));
    let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
    let poster = Arc::new(briefing_bot::schedule::poster::BoardPoster::new(
        db.store.clone(),
        Arc::new(briefing_bot::discord::client::http_client(&connection)),
    ));
    let runner = briefing_bot::schedule::Runner::new(
        db.store.clone(),
        clock as Arc<dyn Clock>,
        poster,
        Default::default(),
    )
    .with_metrics(metrics.clone());
    let reports = runner.run_due(due).await.unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let posts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "scheduled post")
        .collect();
    assert_eq!(posts.len(), 2, "one line per post:\n{text}");
    for job in ["digest", "reminder"] {
        let line = posts
            .iter()
            .find(|l| l["job"] == job)
            .unwrap_or_else(|| panic!("{job}: {text}"));
        assert_eq!(line["board"], "dsvb");
        assert_eq!(line["outcome"], "sent");
        assert_eq!(line["level"], "INFO");
        let series_name =
            format!(r#"briefing_bot_scheduled_posts_total{{job="{job}",outcome="sent"}}"#);
        assert_eq!(series(&metrics.encode(), &series_name), Some(1.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_same_shard_waits_as_a_standby_and_takes_over() {
    let (db, _board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let mut first = RunningBot::start(&fake, &db.url, &[], &[]);
    first
        .wait_for_line("taking the lease", |l| {
            l["message"] == "gateway lease taken"
        })
        .await;
    fake.wait_ready().await;

    // Same database, same (default) shard: it must not connect while the first runs.
    let mut second = RunningBot::start(&fake, &db.url, &["--ops-listen", "127.0.0.1:0"], &[]);
    let waiting = second
        .wait_for_line("saying it waits", |l| {
            l["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("waiting as a standby")
        })
        .await;
    let first_pid = first.child.id();
    assert!(
        waiting["held_by"]
            .as_str()
            .unwrap()
            .contains(&format!("-{first_pid}-")),
        "{waiting}"
    );
    let serving = second
        .wait_for_line("naming the ops address", |l| {
            l["message"] == "serving /healthz and /metrics"
        })
        .await;
    let address = serving["address"].as_str().unwrap().to_string();
    let standby = health_becomes(&address, 503).await;
    assert_eq!(standby["gateway"], json!({"shards": 1, "connected": 0}));
    // Not ready, but alive: a liveness probe must not restart a standby.
    assert_eq!(get(&address, "/livez").await.0, 200);
    assert_eq!(
        fake.identified_shards(),
        vec![[0, 1]],
        "only the first connected"
    );
    assert!(overdue(&fake).await.text().contains("ACT-001"));

    // The first stops cleanly and releases its lease: the standby connects within seconds.
    assert!(first.terminate().await);
    health_becomes(&address, 200).await;
    assert_eq!(fake.identified_shards(), vec![[0, 1], [0, 1]]);
    assert!(overdue(&fake).await.text().contains("ACT-001"));
    let overdue_lines = |bot: &RunningBot| {
        bot.json_lines()
            .iter()
            .filter(|l| l["command"] == "overdue")
            .count()
    };
    assert_eq!(
        (overdue_lines(&first), overdue_lines(&second)),
        (1, 1),
        "each command handled once"
    );
    assert!(second.terminate().await);
}
