//! No secret in anything the bot prints: the real binary is run through its failure paths — a
//! database it cannot reach, a token Discord refuses, webhooks that fail, a bad configuration
//! file — with distinctive secrets in the database URL (user-info and query), the token, the
//! webhook URLs and the file, in text and JSON logs, and none of them appears in its output,
//! in what it posted to Discord, or in `briefing-bot deliveries`.

use std::process::{Command, Output};

use briefing_bot::domain::{Schedule, Webhook, WebhookKind, WebhookUrl};

use crate::operations::RunningBot;
use crate::support::bot::{guild, link_board, DIGEST_CHANNEL, REMINDER_CHANNEL};
use crate::support::db::sqlite;
use crate::support::fake_discord::FakeDiscord;

const DB_PASSWORD: &str = "pw-S3CRET-userinfo";
const QUERY_PASSWORD: &str = "pw-S3CRET-query";
const SSL_PASSWORD: &str = "pw-S3CRET-ssl";
const TOKEN: &str = "MTS3CRET.token.refused";
const FILE_TOKEN: &str = "MTS3CRET.token.in-file";
const FILE_PASSWORD: &str = "pw-S3CRET-in-file";
const WEBHOOK_PART: &str = "whk-S3CRET";

/// Every distinctive part of a secret used below; none may appear in any output.
const SECRETS: [&str; 7] = [
    DB_PASSWORD,
    QUERY_PASSWORD,
    SSL_PASSWORD,
    TOKEN,
    FILE_TOKEN,
    FILE_PASSWORD,
    WEBHOOK_PART,
];

fn unreachable_database() -> String {
    format!(
        "postgres://briefing:{DB_PASSWORD}@127.0.0.1:1/board?password={QUERY_PASSWORD}&sslpassword={SSL_PASSWORD}"
    )
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret:?}:\n{text}"
        );
    }
}

/// Run the binary to its end (it is expected to fail) with no configuration from the
/// environment but `env`.
fn run_to_end(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_briefing-bot"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_TOKEN")
        .env_remove("BRIEFING_CONFIG")
        .env_remove("BRIEFING_ENV")
        .env("RUST_LOG", "debug");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run briefing-bot")
}

fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_unreachable_database_never_shows_its_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let url = unreachable_database();
    for format in ["text", "json"] {
        for command in [
            &["boards"][..],
            &["migrate"],
            &["check"],
            &["export", "actions"],
            &["deliveries"],
            &["run"],
        ] {
            let mut args = vec!["--log-format", format, "--database-url", &url];
            args.extend_from_slice(command);
            let out = run_to_end(dir.path(), &args, &[("DISCORD_TOKEN", TOKEN)]);
            assert!(!out.status.success(), "{command:?} failed");
            let text = printed(&out);
            assert!(
                text.contains("127.0.0.1:1"),
                "{command:?} names the server it could not reach:\n{text}"
            );
            assert_no_secret(&format!("{command:?} ({format})"), &text);
        }
        // From the environment, too.
        let out = run_to_end(
            dir.path(),
            &["--log-format", format, "boards"],
            &[("DATABASE_URL", &url)],
        );
        assert!(!out.status.success());
        assert_no_secret(&format!("DATABASE_URL ({format})"), &printed(&out));
    }
}

#[test]
fn a_bad_configuration_file_never_shows_the_secrets_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        // A value the bot refuses beside the secrets.
        format!(
            "[discord]\ntoken = \"{FILE_TOKEN}\"\n[database]\nurl = \"postgres://u:{FILE_PASSWORD}@127.0.0.1:1/x\"\n[log]\nformat = \"jsonn\"\n"
        ),
        // A key the bot does not know, holding a secret.
        format!("[discrod]\ntoken = \"{FILE_TOKEN}\"\n"),
        // A secret under a key of the wrong type.
        format!("[database]\nurl = [\"postgres://u:{FILE_PASSWORD}@h/x\"]\n"),
        // Not TOML at all.
        format!("token = {FILE_TOKEN}\n[database\nurl = \"{FILE_PASSWORD}\""),
    ];
    for file in files {
        std::fs::write(dir.path().join("bot.toml"), &file).unwrap();
        for command in ["boards", "check", "run"] {
            let out = run_to_end(dir.path(), &["--config", "bot.toml", command], &[]);
            assert!(!out.status.success(), "{command} with:\n{file}");
            let text = printed(&out);
            assert!(
                text.contains("bot.toml") || text.contains("config"),
                "{text}"
            );
            assert_no_secret(&format!("{command} with:\n{file}\n"), &text);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_never_shown() {
    let fake = FakeDiscord::start(vec![guild()]).await;
    let db = sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        for command in ["run", "check"] {
            let (path, url, api) = (dir.path().to_path_buf(), db.url.clone(), fake.api_url());
            let out = tokio::task::spawn_blocking(move || {
                run_to_end(
                    &path,
                    &["--log-format", format, "--database-url", &url, command],
                    &[
                        ("DISCORD_TOKEN", TOKEN),
                        ("BRIEFING__DISCORD__API_URL", &api),
                    ],
                )
            })
            .await
            .unwrap();
            assert!(!out.status.success(), "{command} with a refused token");
            let text = printed(&out);
            assert!(
                text.to_lowercase().contains("token"),
                "{command} says the token was the problem:\n{text}"
            );
            assert_no_secret(&format!("{command} ({format})"), &text);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_webhooks_never_show_their_urls() {
    let db = sqlite().await;
    let board = link_board(&db).await;
    // A digest due every day at midnight, so one is due (caught up) as soon as the bot starts.
    let mut settings = board.settings.clone();
    settings.digest_schedule = Schedule::parse("0 0 0 * * *").unwrap();
    crate::support::boards::set_settings(&db.store, board.id, &settings).await;
    let (answering, _) = crate::delivery::webhook_server(vec![500; 50]).await;
    let answering = answering.replace("s3cr3tpart", WEBHOOK_PART);
    for (name, kind, url) in [
        ("members-slack", WebhookKind::Slack, answering),
        (
            "members-teams",
            WebhookKind::Teams,
            format!("http://127.0.0.1:1/webhookb2/{WEBHOOK_PART}/IncomingWebhook/x"),
        ),
    ] {
        let hook = Webhook {
            name: name.into(),
            kind,
            url: WebhookUrl::parse(&url).unwrap(),
        };
        crate::support::boards::webhook(&db.store, &board, &hook).await;
    }
    let fake = FakeDiscord::start(vec![guild()]).await;
    let mut bot = RunningBot::start(&fake, &db.url, &[], &[("RUST_LOG", "debug")]);
    for destination in ["webhook:members-slack", "webhook:members-teams"] {
        bot.wait_for_line(destination, |l| {
            l["destination"] == destination && l["message"] == "scheduled post will be retried"
        })
        .await;
    }
    bot.kill9().await;
    assert_no_secret("the log", &bot.lines().join("\n"));
    let mut posted = String::new();
    for channel in [DIGEST_CHANNEL, REMINDER_CHANNEL] {
        for message in fake.channel_messages(channel) {
            crate::support::fake_discord::message_text(&message, &mut posted);
        }
    }
    assert!(!posted.is_empty(), "the digest reached Discord");
    assert_no_secret("what the bot posted", &posted);
    let dir = tempfile::tempdir().unwrap();
    let out = run_to_end(dir.path(), &["--database-url", &db.url, "deliveries"], &[]);
    assert!(out.status.success(), "{}", printed(&out));
    let listed = printed(&out);
    assert!(listed.contains("members-teams"), "{listed}");
    assert_no_secret("briefing-bot deliveries", &listed);
    let hooks = db.store.webhooks(board.id).await.unwrap();
    assert_eq!(hooks.len(), 2);
    assert_no_secret("the webhooks' Debug output", &format!("{hooks:?}"));
}
