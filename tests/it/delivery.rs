//! Scheduled posts delivered for real: through the fake Discord (retries, nonces, mentions) and
//! to a local webhook server standing in for Slack and Teams.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::discord::client::{http_client, Connection};
use briefing_bot::domain::{Webhook, WebhookKind, WebhookUrl};
use briefing_bot::schedule::poster::BoardPoster;
use briefing_bot::schedule::{Job, Runner, RunnerSettings};
use briefing_bot::store::PostOutcome;

use crate::support::bot::{
    guild, linked_board, ADMIN_ROLE, DIGEST_CHANNEL, OFFICER, REMINDER_CHANNEL,
};
use crate::support::db::TestDb;
use crate::support::fake_discord::{FakeDiscord, TOKEN};

/// Log as the other scheduler tests do, to nowhere: tracing caches, per log statement, whether
/// anyone listens, and a run with no subscriber would mute those statements for a test that
/// reads the logs.
fn log_quietly() -> tracing::subscriber::DefaultGuard {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::set_default(subscriber)
}

fn runner(db: &TestDb, fake: &FakeDiscord, clock: &Arc<FixedClock>) -> Runner<BoardPoster> {
    let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
    let poster = Arc::new(BoardPoster::new(
        db.store.clone(),
        Arc::new(http_client(&connection)),
    ));
    let settings = RunnerSettings {
        worker: "test".into(),
        first_backoff: chrono::Duration::milliseconds(10),
        ..Default::default()
    };
    Runner::new(
        db.store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster,
        settings,
    )
}

#[tokio::test]
async fn a_reminder_survives_a_429_and_a_500_and_is_posted_once() {
    let (db, board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let route = format!("POST /api/v10/channels/{REMINDER_CHANNEL}/messages");
    fake.queue(&route, 429, json!({"message": "You are being rate limited.", "retry_after": 0.05, "global": false, "code": 0}));
    fake.queue(
        &route,
        500,
        json!({"message": "Internal Server Error", "code": 0}),
    );
    // Monday 20 September 2010, 09:00 in London (BST).
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2010, 9, 20, 8, 0, 0).unwrap(),
    ));
    let r = runner(&db, &fake, &clock);
    let reports = r.run_due(clock.now()).await.unwrap();
    let reminder = reports
        .iter()
        .find(|p| p.job == Job::Reminder)
        .expect("the reminder was due");
    assert_eq!(reminder.outcome, PostOutcome::Sent);
    let posted = fake.channel_messages(REMINDER_CHANNEL);
    assert_eq!(posted.len(), 1, "one message despite the retries");
    let message = &posted[0];
    // It pings exactly the assigned officer of the overdue action, and nobody else.
    assert_eq!(
        message["allowed_mentions"]["users"],
        json!([OFFICER.to_string()])
    );
    assert!(message["allowed_mentions"]["parse"]
        .as_array()
        .is_none_or(|p| p.is_empty()));
    assert!(message["content"]
        .as_str()
        .unwrap()
        .contains(&format!("<@{OFFICER}>")));
    let log = db.store.deliveries(Some(board.id), 10).await.unwrap();
    let entry = log.iter().find(|d| d.job == "reminder").unwrap();
    assert_eq!((entry.state.as_str(), entry.attempts), ("sent", 3));
    let attempts = db.store.attempts_of(entry.post_id).await.unwrap();
    let statuses: Vec<Option<i64>> = attempts.iter().map(|a| a.2).collect();
    assert_eq!(statuses, [Some(429), Some(500), Some(200)]);
    // Running again at the same time posts nothing more.
    r.run_due(clock.now()).await.unwrap();
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

#[tokio::test]
async fn a_missing_permission_stops_retrying_and_is_reported_to_admins_next_time() {
    let (db, board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let route = format!("POST /api/v10/channels/{REMINDER_CHANNEL}/messages");
    fake.queue(
        &route,
        403,
        json!({"message": "Missing Permissions", "code": 50013}),
    );
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2010, 9, 20, 8, 0, 0).unwrap(),
    ));
    let r = runner(&db, &fake, &clock);
    let reports = r.run_due(clock.now()).await.unwrap();
    assert!(reports
        .iter()
        .any(|p| p.job == Job::Reminder && p.outcome == PostOutcome::Failed));
    assert!(fake.channel_messages(REMINDER_CHANNEL).is_empty());
    let failures = db.store.unreported_failures(board.id).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert!(failures[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("Missing Permissions"));
    // A week later the next reminder goes out and tells the admins.
    clock.set(Utc.with_ymd_and_hms(2010, 9, 27, 8, 0, 0).unwrap());
    r.run_due(clock.now()).await.unwrap();
    let posted = fake.channel_messages(REMINDER_CHANNEL);
    assert_eq!(posted.len(), 1, "{posted:#?}");
    let content = posted[0]["content"].as_str().unwrap();
    assert!(
        content.contains("could not be posted") && content.contains("Missing Permissions"),
        "{content}"
    );
    assert_eq!(
        posted[0]["allowed_mentions"]["roles"],
        json!([ADMIN_ROLE.to_string()])
    );
    assert!(db
        .store
        .unreported_failures(board.id)
        .await
        .unwrap()
        .is_empty());
}

/// Discord's 429 with serenity's limiter off (the bot sets `discord.api_url`): the real
/// scheduler waits what Discord asked (the body's `retry_after`, else
/// `X-RateLimit-Reset-After`, else `Retry-After`), bounded to an hour, then posts once.
#[tokio::test]
async fn discords_retry_after_is_what_the_scheduler_waits_before_posting_again() {
    let _guard = log_quietly();
    // Monday 20 September 2010, 09:00 in London: the reminder is due.
    let start = Utc.with_ymd_and_hms(2010, 9, 20, 8, 0, 0).unwrap();
    let ms = chrono::Duration::milliseconds;
    let route = format!("POST /api/v10/channels/{REMINDER_CHANNEL}/messages");
    let limited = json!({"message": "You are being rate limited.", "global": false});
    type Script<'a> = Box<dyn Fn(&FakeDiscord) + 'a>;
    let cases: Vec<(&str, Script<'_>, chrono::Duration)> = vec![
        (
            "1.5 s",
            Box::new(|f: &FakeDiscord| f.queue_rate_limit(&route, 1.5)),
            ms(1500),
        ),
        (
            "0.25 s",
            Box::new(|f: &FakeDiscord| f.queue_rate_limit(&route, 0.25)),
            ms(250),
        ),
        // Nothing to wait: the scheduler still lets a millisecond pass.
        (
            "0 s",
            Box::new(|f: &FakeDiscord| f.queue_rate_limit(&route, 0.0)),
            ms(1),
        ),
        (
            "two hours",
            Box::new(|f: &FakeDiscord| f.queue_rate_limit(&route, 7200.0)),
            chrono::Duration::hours(1),
        ),
        (
            "X-RateLimit-Reset-After only",
            Box::new(|f: &FakeDiscord| {
                f.queue_with_headers(
                    &route,
                    429,
                    limited.clone(),
                    &[("X-RateLimit-Reset-After", "2.250")],
                )
            }),
            ms(2250),
        ),
        (
            "Retry-After only",
            Box::new(|f: &FakeDiscord| {
                f.queue_with_headers(&route, 429, limited.clone(), &[("Retry-After", "3")])
            }),
            ms(3000),
        ),
        // Nothing said: the scheduler's own first backoff.
        (
            "nothing",
            Box::new(|f: &FakeDiscord| f.queue_with_headers(&route, 429, limited.clone(), &[])),
            ms(10),
        ),
    ];
    for (case, script, waited) in cases {
        let (db, board) = linked_board().await;
        let fake = FakeDiscord::start(vec![guild()]).await;
        script(&fake);
        let clock = Arc::new(FixedClock::new(start));
        let reports = runner(&db, &fake, &clock).run_due(start).await.unwrap();
        let reminder = reports.iter().find(|p| p.job == Job::Reminder).unwrap();
        assert_eq!(reminder.outcome, PostOutcome::Sent, "{case}");
        assert_eq!(clock.now() - start, waited, "{case}");
        assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1, "{case}");
        let log = db.store.deliveries(Some(board.id), 10).await.unwrap();
        let entry = log.iter().find(|d| d.job == "reminder").unwrap();
        let attempts = db.store.attempts_of(entry.post_id).await.unwrap();
        let statuses: Vec<Option<i64>> = attempts.iter().map(|a| a.2).collect();
        assert_eq!(statuses, [Some(429), Some(200)], "{case}");
        assert!(
            fake.violations().is_empty(),
            "{case}: {:?}",
            fake.violations()
        );
    }
}

/// Tried as a new board would: a reminder that escalates to the admin role and also reports
/// an earlier failed post names the admin role twice. Discord refuses a mention list with a
/// repeat, and every later reminder would carry the same report, so one failed post would
/// stop reminders for good. Against the strict fake: the reminder goes out pinging the role
/// once, and so does the one after.
#[tokio::test]
async fn after_a_failed_post_the_next_reminders_go_out_pinging_the_admin_role_once() {
    let (db, board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap(),
    ));
    let r = runner(&db, &fake, &clock);
    // Friday 1 October: the quarter's digest goes out, and the reminder of Monday 27
    // September is caught up; neither has anything to report.
    r.run_due(clock.now()).await.unwrap();
    assert!(!fake.channel_messages(DIGEST_CHANNEL).is_empty());
    assert_eq!(fake.channel_messages(REMINDER_CHANNEL).len(), 1);
    // Monday 4 October: the reminder (ACT-001 is 33 days overdue: escalated) is refused.
    let route = format!("POST /api/v10/channels/{REMINDER_CHANNEL}/messages");
    fake.queue(
        &route,
        403,
        json!({"message": "Missing Permissions", "code": 50013}),
    );
    clock.set(Utc.with_ymd_and_hms(2010, 10, 4, 8, 0, 0).unwrap());
    let reports = r.run_due(clock.now()).await.unwrap();
    assert!(reports
        .iter()
        .any(|p| p.job == Job::Reminder && p.outcome == PostOutcome::Failed));
    // Monday 11 October: the reminder escalates and reports the failure.
    clock.set(Utc.with_ymd_and_hms(2010, 10, 11, 8, 0, 0).unwrap());
    let reports = r.run_due(clock.now()).await.unwrap();
    let sent = |reports: &[briefing_bot::schedule::runner::PostReport]| {
        reports
            .iter()
            .any(|p| p.job == Job::Reminder && p.outcome == PostOutcome::Sent)
    };
    assert!(sent(&reports), "{reports:?}\n{:?}", fake.violations());
    let posted = fake.channel_messages(REMINDER_CHANNEL);
    assert_eq!(posted.len(), 2, "{posted:#?}");
    let content = posted[1]["content"].as_str().unwrap();
    assert!(
        content.contains("could not be posted") && content.contains("Missing Permissions"),
        "{content}"
    );
    assert!(
        content.contains("overdue by more than 28 days"),
        "{content}"
    );
    assert_eq!(
        posted[1]["allowed_mentions"]["roles"],
        json!([ADMIN_ROLE.to_string()])
    );
    assert_eq!(
        posted[1]["allowed_mentions"]["users"],
        json!([OFFICER.to_string()])
    );
    let listed = posted[1]["embeds"][0]["description"].as_str().unwrap_or("");
    assert!(listed.contains("`ACT-001`"), "{}", posted[1]);
    assert!(db
        .store
        .unreported_failures(board.id)
        .await
        .unwrap()
        .is_empty());
    // Monday 18 October: the next reminder goes out too, still escalating, with no report.
    clock.set(Utc.with_ymd_and_hms(2010, 10, 18, 8, 0, 0).unwrap());
    let reports = r.run_due(clock.now()).await.unwrap();
    assert!(sent(&reports), "{reports:?}");
    let posted = fake.channel_messages(REMINDER_CHANNEL);
    assert_eq!(posted.len(), 3);
    let content = posted[2]["content"].as_str().unwrap();
    assert!(!content.contains("could not be posted"), "{content}");
    assert!(
        content.contains("overdue by more than 28 days"),
        "{content}"
    );
    assert_eq!(
        posted[2]["allowed_mentions"]["roles"],
        json!([ADMIN_ROLE.to_string()])
    );
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

/// The scheduled digest arrives with its chart and tables attached as Discord matches them:
/// attachment `i` is the file sent as `files[i]`, with its name and bytes, and the embed's
/// image names a file of its own message.
#[tokio::test]
async fn the_scheduled_digest_arrives_with_its_chart_and_tables_attached() {
    let (db, _board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    // 1 October 2010, 09:00 in London: the Q2 digest is due.
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap(),
    ));
    let reports = runner(&db, &fake, &clock)
        .run_due(clock.now())
        .await
        .unwrap();
    assert!(reports
        .iter()
        .any(|p| p.job == Job::Digest && p.outcome == PostOutcome::Sent));
    let posted = fake.channel_messages(DIGEST_CHANNEL);
    let mut names = Vec::new();
    for message in &posted {
        let files = message["files"].as_array().unwrap();
        let attachments = message["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(files.len(), attachments.len(), "{message}");
        for (i, (file, attachment)) in files.iter().zip(&attachments).enumerate() {
            assert_eq!(attachment["id"], i, "{message}");
            assert_eq!(attachment["filename"], file["name"]);
            assert_eq!(file["field"], format!("files[{i}]"));
            assert!(file["size"].as_u64().unwrap() > 0);
            names.push(file["name"].as_str().unwrap().to_string());
        }
        for embed in message["embeds"].as_array().into_iter().flatten() {
            if let Some(image) = embed["image"]["url"].as_str() {
                let name = image.strip_prefix("attachment://").unwrap();
                assert!(files.iter().any(|f| f["name"] == name), "{image}");
            }
        }
    }
    assert_eq!(names, ["actions-chart.png"]);
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

/// A message with several files (a digest whose lists were cut attaches each list in full):
/// each file arrives whole, matched to its attachment, and a repeat with the same nonce is the
/// same message.
#[tokio::test]
async fn a_message_with_several_files_is_posted_with_each_file_matched_to_its_attachment() {
    use briefing_bot::delivery::discord::post_message;
    use briefing_bot::digest::render::discord::{Embed, File, Message};
    let fake = FakeDiscord::start(vec![guild()]).await;
    let http = http_client(&Connection::new(
        TOKEN.to_string().into(),
        Some(fake.api_url()),
    ));
    let file = |name: &str, size: usize| File {
        name: name.into(),
        bytes: vec![b'x'; size],
    };
    let message = Message {
        content: "**Quarterly VAW briefing — Q2 2010/11**".into(),
        embeds: vec![Embed {
            title: "Headlines".into(),
            image: Some("attachment://actions-chart.png".into()),
            ..Default::default()
        }],
        files: vec![
            file("actions-chart.png", 2048),
            file("overdue.csv", 300),
            file("by-owner.csv", 120),
        ],
        ..Default::default()
    };
    let channel = poise::serenity_prelude::ChannelId::new(DIGEST_CHANNEL);
    let sent = post_message(&http, channel, &message, "bb41-0")
        .await
        .unwrap();
    let names: Vec<&str> = sent
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(names, ["actions-chart.png", "overdue.csv", "by-owner.csv"]);
    let posted = fake.channel_messages(DIGEST_CHANNEL);
    assert_eq!(posted.len(), 1);
    let fields: Vec<(&str, &str, u64)> = posted[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap(),
                f["name"].as_str().unwrap(),
                f["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("files[0]", "actions-chart.png", 2048),
            ("files[1]", "overdue.csv", 300),
            ("files[2]", "by-owner.csv", 120),
        ]
    );
    assert_eq!(
        posted[0]["attachments"],
        json!([
            {"id": 0, "filename": "actions-chart.png"},
            {"id": 1, "filename": "overdue.csv"},
            {"id": 2, "filename": "by-owner.csv"},
        ])
    );
    assert_eq!(posted[0]["nonce"], "bb41-0");
    assert_eq!(posted[0]["enforce_nonce"], true);
    let again = post_message(&http, channel, &message, "bb41-0")
        .await
        .unwrap();
    assert_eq!(again.id, sent.id);
    assert_eq!(fake.channel_messages(DIGEST_CHANNEL).len(), 1);
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

/// A local stand-in for Slack's and Teams' incoming webhooks: records bodies, answers from a
/// script (then 200).
pub(crate) async fn webhook_server(script: Vec<u16>) -> (String, Arc<Mutex<Vec<Value>>>) {
    webhook_server_with(script.into_iter().map(|s| (s, None)).collect()).await
}

/// [`webhook_server`] whose scripted answers may carry a `Retry-After` header.
async fn webhook_server_with(
    script: Vec<(u16, Option<&'static str>)>,
) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/services/T000/B000/s3cr3tpart",
        listener.local_addr().unwrap()
    );
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script));
    let seen = bodies.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (seen, script) = (seen.clone(), script.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let (seen, script) = (seen.clone(), script.clone());
                        async move {
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            seen.lock().unwrap().push(
                                serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
                            );
                            let (status, retry_after) = {
                                let mut s = script.lock().unwrap();
                                if s.is_empty() {
                                    (200, None)
                                } else {
                                    s.remove(0)
                                }
                            };
                            let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                            *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            if let Some(value) = retry_after {
                                r.headers_mut().insert(
                                    hyper::header::RETRY_AFTER,
                                    hyper::header::HeaderValue::from_static(value),
                                );
                            }
                            Ok::<_, Infallible>(r)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, bodies)
}

/// Captures log output in memory for the current thread.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_digest_is_mirrored_to_slack_and_teams_once_each_and_urls_stay_secret() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (db, board) = linked_board().await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    let (slack_url, slack) = webhook_server(vec![500]).await;
    let (teams_url, teams) = webhook_server(vec![]).await;
    for (name, kind, url) in [
        ("members-slack", WebhookKind::Slack, &slack_url),
        ("members-teams", WebhookKind::Teams, &teams_url),
    ] {
        let hook = Webhook {
            name: name.into(),
            kind,
            url: WebhookUrl::parse(url).unwrap(),
        };
        crate::support::boards::webhook(&db.store, &board, &hook).await;
    }
    // 1 October 2010, 09:00 in London: the Q2 digest is due.
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap(),
    ));
    let r = runner(&db, &fake, &clock);
    let reports = r.run_due(clock.now()).await.unwrap();
    let digests: Vec<_> = reports.iter().filter(|p| p.job == Job::Digest).collect();
    assert_eq!(digests.len(), 3, "Discord, Slack and Teams: {reports:?}");
    assert!(digests.iter().all(|p| p.outcome == PostOutcome::Sent));
    assert!(!fake.channel_messages(DIGEST_CHANNEL).is_empty());
    let slack_bodies = slack.lock().unwrap().clone();
    assert_eq!(
        slack_bodies.len(),
        2,
        "one failed attempt (500), then the post"
    );
    assert!(
        slack_bodies[1]["text"]
            .as_str()
            .unwrap()
            .contains("*Headlines*"),
        "{}",
        slack_bodies[1]
    );
    let teams_bodies = teams.lock().unwrap().clone();
    assert_eq!(teams_bodies.len(), 1);
    assert_eq!(
        teams_bodies[0]["attachments"][0]["content"]["type"],
        "AdaptiveCard"
    );
    // Again at the same time: nothing more anywhere.
    r.run_due(clock.now()).await.unwrap();
    assert_eq!(slack.lock().unwrap().len(), 2);
    assert_eq!(teams.lock().unwrap().len(), 1);
    let log = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(log.contains("scheduled post"), "the test captured the logs");
    assert!(
        !log.contains("s3cr3tpart"),
        "a webhook URL reached the logs:\n{log}"
    );
    let recorded = db.store.deliveries(Some(board.id), 10).await.unwrap();
    assert!(recorded
        .iter()
        .all(|d| !d.last_error.as_deref().unwrap_or("").contains("s3cr3tpart")));
}

/// Whatever a webhook answers in `Retry-After` — negative, huge, not a number, an HTTP date —
/// the real scheduler neither panics nor waits outside 0 to 60 minutes: it waits what was asked
/// within those bounds (its own backoff when the value is unreadable), then posts.
#[tokio::test]
async fn a_webhooks_retry_after_is_obeyed_within_bounds_and_never_panics() {
    let _guard = log_quietly();
    // 1 October 2010, 08:00 UTC: 09:00 in London, when the Q2 digest is due.
    let start = Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap();
    let ms = chrono::Duration::milliseconds;
    for (header, waited) in [
        ("-1", ms(1)),
        ("99999", chrono::Duration::hours(1)),
        ("2.5", ms(2500)),
        (
            "Fri, 01 Oct 2010 08:02:00 GMT",
            chrono::Duration::minutes(2),
        ),
        ("Thu, 30 Sep 2010 08:00:00 GMT", ms(1)),
        ("NaN", ms(10)),
        ("1e400", ms(10)),
        ("in a while", ms(10)),
    ] {
        let (db, board) = linked_board().await;
        let fake = FakeDiscord::start(vec![guild()]).await;
        let (url, bodies) = webhook_server_with(vec![(429, Some(header))]).await;
        let hook = Webhook {
            name: "members-slack".into(),
            kind: WebhookKind::Slack,
            url: WebhookUrl::parse(&url).unwrap(),
        };
        crate::support::boards::webhook(&db.store, &board, &hook).await;
        let clock = Arc::new(FixedClock::new(start));
        let reports = runner(&db, &fake, &clock).run_due(start).await.unwrap();
        let mirrored = reports
            .iter()
            .find(|p| p.job == Job::Digest && p.destination.starts_with("webhook:"))
            .unwrap_or_else(|| panic!("Retry-After {header:?}: no webhook post in {reports:?}"));
        assert_eq!(
            mirrored.outcome,
            PostOutcome::Sent,
            "Retry-After {header:?}"
        );
        assert_eq!(bodies.lock().unwrap().len(), 2, "Retry-After {header:?}");
        assert_eq!(clock.now() - start, waited, "Retry-After {header:?}");
    }
}

/// A webhook "server" that answers every request with `answer`, raw bytes on the socket, and
/// hangs up: whatever a broken proxy or a hostile host might send.
async fn raw_webhook_server(answer: &'static [u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/services/T000/B000/raw",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(answer).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    url
}

/// Webhook servers and Discord answering strangely — hanging up, not speaking HTTP, cutting a
/// body short, redirecting forever, an unknown status, unreadable headers, an error page that
/// is not JSON — never panic the real scheduler: each webhook post ends failed (or sent,
/// where a retry got through), the Discord post still goes out, and the next pass runs.
#[tokio::test]
async fn strange_answers_never_panic_the_scheduler() {
    let _guard = log_quietly();
    let start = Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap();
    // What each answer comes to: a 200 is a delivery even if its body is cut short (the body
    // of a webhook's answer is never read).
    let answers: [(&'static [u8], PostOutcome); 8] = [
        (b"", PostOutcome::Failed),
        (b"this is not HTTP at all\r\n\r\n", PostOutcome::Failed),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut short",
            PostOutcome::Sent,
        ),
        (
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /services/T000/B000/raw\r\nContent-Length: 0\r\n\r\n",
            PostOutcome::Failed,
        ),
        (
            b"HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n",
            PostOutcome::Failed,
        ),
        (
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: \xff\xfe\x00\r\nContent-Length: 0\r\n\r\n",
            PostOutcome::Failed,
        ),
        (
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1e308\r\nRetry-After: -0\r\nContent-Length: 0\r\n\r\n",
            PostOutcome::Failed,
        ),
        (
            b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            PostOutcome::Failed,
        ),
    ];
    for (answer, expected) in answers {
        let (db, board) = linked_board().await;
        let fake = FakeDiscord::start(vec![guild()]).await;
        // Discord too: a server error whose body is a page of HTML, not JSON.
        let route = format!("POST /api/v10/channels/{DIGEST_CHANNEL}/messages");
        fake.queue(&route, 502, json!("<html>Bad Gateway</html>"));
        let hook = Webhook {
            name: "members-slack".into(),
            kind: WebhookKind::Slack,
            url: WebhookUrl::parse(&raw_webhook_server(answer).await).unwrap(),
        };
        crate::support::boards::webhook(&db.store, &board, &hook).await;
        let clock = Arc::new(FixedClock::new(start));
        let r = runner(&db, &fake, &clock);
        let reports = r.run_due(start).await.unwrap();
        let shown = String::from_utf8_lossy(answer);
        let mirrored = reports
            .iter()
            .find(|p| p.job == Job::Digest && p.destination.starts_with("webhook:"))
            .unwrap_or_else(|| panic!("{shown:?}: no webhook post in {reports:?}"));
        assert_eq!(mirrored.outcome, expected, "{shown:?}");
        let discord = reports
            .iter()
            .find(|p| p.job == Job::Digest && p.destination.starts_with("discord"))
            .unwrap_or_else(|| panic!("{shown:?}: no Discord post in {reports:?}"));
        assert_eq!(discord.outcome, PostOutcome::Sent, "{shown:?}");
        assert!(!fake.channel_messages(DIGEST_CHANNEL).is_empty());
        let recorded = db.store.deliveries(Some(board.id), 10).await.unwrap();
        let logged = recorded
            .iter()
            .find(|d| d.destination.starts_with("webhook:"))
            .unwrap();
        assert_eq!(logged.state, expected.as_str(), "{shown:?}: {logged:?}");
        if expected == PostOutcome::Failed {
            assert!(
                logged.last_error.as_deref().is_some_and(|e| !e.is_empty()),
                "{shown:?}: the delivery log says why"
            );
        }
        // The scheduler is still there: the next pass runs and repeats nothing.
        let again = r.run_due(clock.now()).await.unwrap();
        assert!(
            again.iter().all(|p| p.outcome != PostOutcome::Sent),
            "{again:?}"
        );
    }
}
