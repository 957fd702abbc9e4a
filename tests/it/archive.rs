//! The digest archive: every digest posted — by the schedule through the real runner and the
//! fake Discord, or with `/digest post` — is kept once, exactly as sent; `briefing-bot digests
//! show` replays its stored bytes; the database refuses to rewrite it; the next digest begins
//! with what changed since it; `/digest archive` shows a board's own archive to its members.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use briefing_bot::clock::{Clock, FixedClock};
use briefing_bot::digest::archive::{archive_posted, discord_messages, scheduled_digest};
use briefing_bot::digest::load_digest;
use briefing_bot::digest::render::discord::{digest_messages, Message};
use briefing_bot::digest::render::json::digest_json_text;
use briefing_bot::digest::render::markdown::digest_markdown;
use briefing_bot::discord::client::{http_client, Connection};
use briefing_bot::domain::{
    ActionStatus, Board, BoardSlug, Ref, Text, Webhook, WebhookKind, WebhookUrl,
};
use briefing_bot::schedule::poster::BoardPoster;
use briefing_bot::schedule::{Job, Runner, RunnerSettings};
use briefing_bot::services::actions::{update_action_status, Author};
use briefing_bot::store::{PostKey, PostOutcome, PostedBy, Store};

use crate::cli::bot;
use crate::delivery::webhook_server;
use crate::on_both_backends;
use crate::support::bot::{guild, link_board, TestBot, ADMIN, DIGEST_CHANNEL, MEMBER, OFFICER};
use crate::support::db::TestDb;
use crate::support::fake_discord::{FakeDiscord, TOKEN};

/// 1 October 2010, 09:00 in London (BST): the Q2 2010/11 digest is due.
fn digest_due() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap()
}

/// The scheduled digest's occasion for Q2 2010/11 (the period starting 1 July).
const OCCASION: &str = "period:2010-07-01";

fn runner(
    db: &TestDb,
    fake: &FakeDiscord,
    clock: &Arc<FixedClock>,
    worker: &str,
) -> Runner<BoardPoster> {
    let connection = Connection::new(TOKEN.to_string().into(), Some(fake.api_url()));
    let poster = Arc::new(
        BoardPoster::new(db.store.clone(), Arc::new(http_client(&connection)))
            .with_clock(clock.clone() as Arc<dyn Clock>),
    );
    let settings = RunnerSettings {
        worker: worker.into(),
        first_backoff: Duration::milliseconds(10),
        ..Default::default()
    };
    Runner::new(
        db.store.clone(),
        clock.clone() as Arc<dyn Clock>,
        poster,
        settings,
    )
}

/// Run the real binary against the test's database.
fn digests(db: &TestDb, dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--database-url", db.url.as_str(), "digests"];
    all.extend_from_slice(args);
    bot(dir, &all)
}

/// The bytes `briefing-bot digests show ID --format FORMAT` prints.
fn shown(db: &TestDb, dir: &Path, id: i64, format: &str) -> Vec<u8> {
    let id = id.to_string();
    let out = digests(db, dir, &["show", &id, "--format", format]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// What Discord received is the archived messages: the same content, embeds and files.
fn assert_sent_as_archived(sent: &[Value], archived: &[Message]) {
    assert_eq!(
        sent.len(),
        archived.len(),
        "one Discord message per archived one"
    );
    for (body, message) in sent.iter().zip(archived) {
        assert_eq!(
            body["content"].as_str().unwrap_or(""),
            message.content,
            "{body}"
        );
        let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
        assert_eq!(embeds.len(), message.embeds.len());
        for (sent, kept) in embeds.iter().zip(&message.embeds) {
            assert_eq!(sent["title"], kept.title.as_str());
            assert_eq!(sent["description"].as_str().unwrap_or(""), kept.description);
            let fields = sent["fields"].as_array().cloned().unwrap_or_default();
            let kept_fields: Vec<Value> =
                kept.fields.iter().map(|(n, v, _)| json!([n, v])).collect();
            let sent_fields: Vec<Value> = fields
                .iter()
                .map(|f| json!([f["name"], f["value"]]))
                .collect();
            assert_eq!(sent_fields, kept_fields);
        }
        let files: Vec<(String, u64)> = body["files"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_string(),
                    f["size"].as_u64().unwrap(),
                )
            })
            .collect();
        let kept: Vec<(String, u64)> = message
            .files
            .iter()
            .map(|f| (f.name.clone(), f.bytes.len() as u64))
            .collect();
        assert_eq!(files, kept);
    }
}

async fn teams_hook(store: &Store, board: &Board, url: &str) {
    let hook = Webhook {
        name: "members-teams".into(),
        kind: WebhookKind::Teams,
        url: WebhookUrl::parse(url).unwrap(),
    };
    crate::support::boards::webhook(store, board, &hook).await;
}

fn author(at: DateTime<Utc>) -> Author<'static> {
    Author { by: "test", at }
}

/// The scheduled digest goes to Discord (after a 500) and to Teams (after a 500): one archive
/// entry with both destinations; running again, or as a new process, archives nothing more;
/// and `digests show` through the binary prints byte for byte what each destination got.
async fn a_scheduled_digest_is_archived_once_and_replayed_byte_for_byte(db: TestDb) {
    let board = link_board(&db).await;
    let (teams_url, teams) = webhook_server(vec![500]).await;
    teams_hook(&db.store, &board, &teams_url).await;
    let fake = FakeDiscord::start(vec![guild()]).await;
    fake.queue(
        &format!("POST /api/v10/channels/{DIGEST_CHANNEL}/messages"),
        500,
        json!({"message": "Internal Server Error", "code": 0}),
    );
    let clock = Arc::new(FixedClock::new(digest_due()));
    let reports = runner(&db, &fake, &clock, "first")
        .run_due(clock.now())
        .await
        .unwrap();
    let digests_sent: Vec<_> = reports.iter().filter(|p| p.job == Job::Digest).collect();
    assert_eq!(digests_sent.len(), 2, "{reports:?}");
    assert!(digests_sent.iter().all(|p| p.outcome == PostOutcome::Sent));

    let entries = db.store.archived_digests(Some(board.id), 10).await.unwrap();
    assert_eq!(entries.len(), 1, "archived once: {entries:?}");
    let entry = &entries[0];
    assert_eq!(entry.posted_by, "schedule");
    assert_eq!(entry.occasion.as_deref(), Some(OCCASION));
    assert_eq!(entry.period_label, "Q2 2010/11");
    assert_eq!(entry.as_of.to_string(), "2010-10-01");
    assert_eq!(entry.posted_at, digest_due());
    let mut destinations: Vec<&str> = entry
        .destinations
        .iter()
        .map(|d| d.destination.as_str())
        .collect();
    destinations.sort();
    assert_eq!(
        destinations,
        [
            format!("discord:{DIGEST_CHANNEL}").as_str(),
            "webhook:members-teams"
        ]
    );

    // Again, and as another process a minute later: nothing more sent or archived.
    runner(&db, &fake, &clock, "first")
        .run_due(clock.now())
        .await
        .unwrap();
    clock.advance(Duration::minutes(1));
    runner(&db, &fake, &clock, "second")
        .run_due(clock.now())
        .await
        .unwrap();
    assert_eq!(db.store.archived_digests(None, 10).await.unwrap().len(), 1);
    let archived = db
        .store
        .archived_digest(Some(board.id), entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        archived.entry.destinations.len(),
        2,
        "first deliveries only"
    );

    // What Discord received is the archived messages.
    let sent = fake.channel_messages(DIGEST_CHANNEL);
    assert_sent_as_archived(&sent, &discord_messages(&archived).unwrap());
    // What Teams received is the archived Markdown, byte for byte.
    let bodies = teams.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2, "a 500, then the post");
    let teams_text = bodies[1]["attachments"][0]["content"]["body"][1]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(teams_text, archived.markdown);

    // The binary prints the stored bytes exactly.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        shown(&db, dir.path(), entry.id, "markdown"),
        teams_text.as_bytes()
    );
    assert_eq!(
        shown(&db, dir.path(), entry.id, "json"),
        archived.json.as_bytes()
    );
    assert_eq!(
        shown(&db, dir.path(), entry.id, "html"),
        archived.html.as_bytes()
    );
    let replayed: Vec<Message> =
        serde_json::from_slice(&shown(&db, dir.path(), entry.id, "discord")).unwrap();
    assert_sent_as_archived(&sent, &replayed);
    let json: Value = serde_json::from_str(&archived.json).unwrap();
    assert_eq!(json["period"]["start"], "2010-07-01");
    assert_eq!(json["as_of"], "2010-10-01");
    assert!(archived
        .html
        .contains("Published: <strong>1 October 2010</strong>"));
    // --out writes the same bytes.
    let out = dir.path().join("paper.html");
    let id = entry.id.to_string();
    let written = digests(
        &db,
        dir.path(),
        &[
            "show",
            &id,
            "--format",
            "html",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(written.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), archived.html.as_bytes());

    // The list names it, with its period, as-of day, time and destinations.
    let listed = digests(&db, dir.path(), &["--board", "dsvb"]);
    assert!(listed.status.success());
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    let line = listed
        .lines()
        .find(|l| l.starts_with(&format!("{}\t", entry.id)))
        .unwrap_or_else(|| panic!("{listed}"));
    for part in [
        "dsvb",
        "Q2 2010/11 (2010-07-01 to 2010-09-30)",
        "2010-10-01",
        "2010-10-01T08:00:00Z",
        "schedule",
        "webhook:members-teams",
        &format!("discord:{DIGEST_CHANNEL}"),
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
}

/// A process archives the digest and dies before sending it; the record then changes. The
/// process that takes the post over sends the digest as archived — not one rebuilt from the
/// changed record — and archives nothing new.
async fn a_digest_rebuilt_after_a_crash_is_sent_as_archived_not_again(db: TestDb) {
    let board = link_board(&db).await;
    let store = &db.store;
    let key = PostKey {
        board_id: board.id,
        job: "digest".into(),
        occasion: OCCASION.into(),
        destination: format!("discord:{DIGEST_CHANNEL}"),
        due_at: digest_due(),
    };
    // The process that dies: claims the post and builds (so archives) the digest.
    store
        .claim_post(&key, "dead", digest_due(), Duration::minutes(5))
        .await
        .unwrap()
        .expect("claimed");
    let first = scheduled_digest(store, &board, OCCASION, digest_due(), digest_due())
        .await
        .unwrap();
    // Meanwhile an officer closes an action, which would change a rebuilt digest.
    let note = Text::line("audit report received", 1000).unwrap();
    update_action_status(
        store,
        &board,
        &Ref::parse("ACT-003").unwrap(),
        ActionStatus::Dropped,
        Some(&note),
        None,
        &author(digest_due() + Duration::minutes(2)),
    )
    .await
    .unwrap();
    let rebuilt = load_digest(store, &board, first.entry.as_of).await.unwrap();
    assert_ne!(
        digest_markdown(&rebuilt),
        first.markdown,
        "the change shows in a rebuilt digest"
    );
    // Building the occasion again gives the archived digest, as stored.
    let again = scheduled_digest(store, &board, OCCASION, digest_due(), digest_due())
        .await
        .unwrap();
    assert_eq!(again, first);

    // The lease runs out; the next process takes over and sends the archived digest.
    let fake = FakeDiscord::start(vec![guild()]).await;
    let clock = Arc::new(FixedClock::new(digest_due() + Duration::minutes(6)));
    let reports = runner(&db, &fake, &clock, "survivor")
        .run_due(clock.now())
        .await
        .unwrap();
    assert!(
        reports
            .iter()
            .any(|p| p.job == Job::Digest && p.outcome == PostOutcome::Sent),
        "{reports:?}"
    );
    let entries = store.archived_digests(Some(board.id), 10).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].id, first.entry.id);
    assert_eq!(entries[0].destinations.len(), 1);
    assert_sent_as_archived(
        &fake.channel_messages(DIGEST_CHANNEL),
        &discord_messages(&first).unwrap(),
    );
}

/// The database itself refuses to rewrite or remove an archived digest or its destinations.
async fn the_archive_refuses_update_and_delete(db: TestDb) {
    let board = link_board(&db).await;
    let digest = load_digest(&db.store, &board, digest_due().date_naive())
        .await
        .unwrap();
    let posted_by = PostedBy::Command {
        user: format!("discord:{ADMIN}"),
    };
    let archived = archive_posted(&db.store, &board, &digest, &posted_by, digest_due())
        .await
        .unwrap();
    db.store
        .record_digest_delivery(archived.entry.id, "discord:1", digest_due())
        .await
        .unwrap();
    let pool = db.raw_pool().await;
    for sql in [
        "UPDATE archived_digests SET markdown = 'rewritten'",
        "UPDATE archived_digests SET posted_at = posted_at",
        "DELETE FROM archived_digests",
        "UPDATE archived_digest_destinations SET destination = 'discord:2'",
        "DELETE FROM archived_digest_destinations",
    ] {
        let err = sqlx::query(sql)
            .execute(&pool)
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    let kept = db
        .store
        .archived_digest(None, archived.entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&kept.json, &kept.markdown, &kept.html, &kept.discord),
        (
            &archived.json,
            &archived.markdown,
            &archived.html,
            &archived.discord
        ),
        "unchanged"
    );
    assert_eq!(kept.entry.destinations.len(), 1);
    // A digest from another board is not that board's.
    assert!(db
        .store
        .archived_digest(Some(board.id + 1), archived.entry.id)
        .await
        .unwrap()
        .is_none());
    pool.close().await;
}

/// The digest after an archived one says what changed since it — figures that moved and the
/// actions that stopped being overdue or were completed — or, when nothing did, says so.
/// The first digest says nothing of it, and a digest that reached nowhere is not "the last".
async fn the_digest_says_what_changed_since_the_last_one(db: TestDb) {
    let board = link_board(&db).await;
    let store = &db.store;
    let as_of = digest_due().date_naive();
    let first = load_digest(store, &board, as_of).await.unwrap();
    assert_eq!(first.since_last_digest, None, "nothing archived yet");
    assert!(!digest_markdown(&first).contains("since the last digest"));
    assert!(!digest_json_text(&first).contains("since_last_digest"));
    let posted_by = PostedBy::Schedule {
        occasion: OCCASION.into(),
    };
    let archived = archive_posted(store, &board, &first, &posted_by, digest_due())
        .await
        .unwrap();
    // Not delivered anywhere yet: members never saw it.
    let undelivered = load_digest(store, &board, as_of).await.unwrap();
    assert_eq!(undelivered.since_last_digest, None);
    store
        .record_digest_delivery(
            archived.entry.id,
            &format!("discord:{DIGEST_CHANNEL}"),
            digest_due(),
        )
        .await
        .unwrap();

    // The same day, nothing changed.
    let same = load_digest(store, &board, as_of).await.unwrap();
    let since = same.since_last_digest.clone().expect("compared");
    assert!(since.nothing_changed(), "{since:?}");
    assert_eq!(since.archive_id, archived.entry.id);
    let markdown = digest_markdown(&same);
    assert!(
        markdown.contains("Nothing has changed since the last digest (posted 1 Oct 2010)."),
        "{markdown}"
    );
    let heading = markdown.find("What changed since the last digest").unwrap();
    assert!(
        heading < markdown.find("## Headlines").unwrap(),
        "it comes first"
    );
    let messages = digest_messages(&same, None);
    assert_eq!(
        messages[0].embeds[0].title,
        "What changed since the last digest (posted 1 Oct 2010)"
    );
    assert_eq!(
        messages[0].embeds[0].description,
        "Nothing has changed since the last digest (posted 1 Oct 2010)."
    );
    let html = briefing_bot::digest::render::html::digest_html(&same, None, as_of);
    assert!(html.contains("Nothing has changed since the last digest (posted 1 Oct 2010)."));

    // The next day ACT-001 (overdue since 1 September) is done.
    let note = Text::line("audit report received", 1000).unwrap();
    let next_day = digest_due() + Duration::days(1);
    update_action_status(
        store,
        &board,
        &Ref::parse("ACT-001").unwrap(),
        ActionStatus::Done,
        Some(&note),
        None,
        &author(next_day),
    )
    .await
    .unwrap();
    let later = load_digest(store, &board, next_day.date_naive())
        .await
        .unwrap();
    let since = later.since_last_digest.clone().expect("compared");
    assert!(!since.nothing_changed());
    let moved: Vec<String> = since.moved_lines();
    assert!(
        moved.contains(&"Open actions: 2 → 1".to_string()),
        "{moved:?}"
    );
    assert!(moved.contains(&"Overdue: 1 → 0".to_string()), "{moved:?}");
    assert!(moved.contains(&"Done: 1 → 2".to_string()), "{moved:?}");
    let refs = |items: &[briefing_bot::digest::since_last::Named]| -> Vec<String> {
        items.iter().map(|i| i.reference.clone()).collect()
    };
    assert_eq!(refs(&since.no_longer_overdue), ["ACT-001"]);
    assert_eq!(refs(&since.completed), ["ACT-001"]);
    assert!(since.newly_overdue.is_empty());
    let markdown = digest_markdown(&later);
    assert!(
        markdown.contains("## What changed since the last digest (posted 1 Oct 2010)"),
        "{markdown}"
    );
    assert!(markdown.contains("- Open actions: 2 → 1"), "{markdown}");
    assert!(markdown.contains("- No longer overdue (1):"), "{markdown}");
    let json: Value = serde_json::from_str(&digest_json_text(&later)).unwrap();
    assert_eq!(
        json["since_last_digest"]["archive_id"],
        json!(archived.entry.id)
    );
    assert_eq!(
        json["since_last_digest"]["no_longer_overdue"][0]["ref"],
        "ACT-001"
    );
    let messages = digest_messages(&later, None);
    assert!(messages[0].embeds[0]
        .description
        .contains("Open actions: 2 → 1"));
    assert!(messages[0].embeds[0].description.contains("`ACT-001`"));
}

on_both_backends!(
    a_scheduled_digest_is_archived_once_and_replayed_byte_for_byte,
    a_digest_rebuilt_after_a_crash_is_sent_as_archived_not_again,
    the_archive_refuses_update_and_delete,
    the_digest_says_what_changed_since_the_last_one,
    digest_post_archives_and_digest_archive_reshows_privately,
);

/// `/digest post` archives what it posts (by whom, where); any member sees the list and
/// re-shows a digest privately with its paper; another board's digest is not found from this
/// server; an unknown number says how to list them.
async fn digest_post_archives_and_digest_archive_reshows_privately(db: TestDb) {
    let board = link_board(&db).await;
    let bot = TestBot::start_on(db, board, |_| {}).await;
    let store = bot.db.store.clone();
    let s = |name: &str, value: &str| json!({"name": name, "type": 3, "value": value});
    let empty = bot.run(MEMBER, "digest archive", json!([])).await;
    assert!(empty.ephemeral());
    assert!(
        empty.text().contains("No digest has been posted yet"),
        "{}",
        empty.text()
    );

    let posted = bot
        .run(ADMIN, "digest post", json!([s("as_of", "2010-10-01")]))
        .await;
    assert!(
        posted.text().contains("Posted the digest"),
        "{}",
        posted.text()
    );
    let entries = store
        .archived_digests(Some(bot.board.id), 10)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.posted_by, "command");
    assert_eq!(
        entry.requested_by.as_deref(),
        Some(format!("discord:{ADMIN}").as_str())
    );
    assert_eq!(entry.occasion, None);
    assert_eq!(
        entry
            .destinations
            .iter()
            .map(|d| d.destination.clone())
            .collect::<Vec<_>>(),
        [format!("discord:{DIGEST_CHANNEL}")]
    );
    let archived = store
        .archived_digest(Some(bot.board.id), entry.id)
        .await
        .unwrap()
        .unwrap();
    let kept = discord_messages(&archived).unwrap();
    let sent = bot.fake.wait_for_messages(DIGEST_CHANNEL, kept.len()).await;
    assert_sent_as_archived(&sent, &kept);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        shown(&bot.db, dir.path(), entry.id, "markdown"),
        archived.markdown.as_bytes()
    );

    // Members and officers see the list and the digest again, privately.
    for who in [MEMBER, OFFICER] {
        let list = bot.run(who, "digest archive", json!([])).await;
        assert!(list.ephemeral());
        let text = list.text();
        assert!(
            text.contains(&format!("#{}", entry.id)) && text.contains("Q2 2010/11"),
            "{text}"
        );
        assert!(text.contains(&format!("<@{ADMIN}>")), "{text}");
        let shown = bot
            .run(
                who,
                "digest archive",
                json!([{"name": "show", "type": 4, "value": entry.id}]),
            )
            .await;
        assert!(
            shown
                .messages()
                .iter()
                .all(|m| m["flags"].as_u64().unwrap_or(0) & 64 != 0),
            "re-shown privately"
        );
        let text = shown.text();
        assert!(text.contains("exactly as it was sent"), "{text}");
        for message in &kept {
            for embed in &message.embeds {
                assert!(text.contains(&embed.title), "{} in {text}", embed.title);
            }
        }
        let names = shown.file_names();
        assert!(
            names.iter().any(|n| n.ends_with(".html")),
            "the board paper is attached: {names:?}"
        );
        let paper = shown
            .followup_files
            .iter()
            .chain(shown.files.iter())
            .find(|(n, _)| n.ends_with(".html"))
            .unwrap();
        assert_eq!(paper.1, archived.html.as_bytes(), "the archived paper");
    }
    // Nothing was posted to the channel by looking.
    assert_eq!(bot.fake.channel_messages(DIGEST_CHANNEL).len(), kept.len());

    // Another board's digest is not this server's to see.
    let other_slug = BoardSlug::parse("other").unwrap();
    crate::store_contract::load(&store, "other").await;
    let other = store.board(&other_slug).await.unwrap().unwrap();
    let digest = load_digest(&store, &other, digest_due().date_naive())
        .await
        .unwrap();
    let elsewhere = archive_posted(
        &store,
        &other,
        &digest,
        &PostedBy::Command {
            user: "discord:1".into(),
        },
        digest_due(),
    )
    .await
    .unwrap();
    for id in [elsewhere.entry.id, 999_999] {
        let refused = bot
            .run(
                MEMBER,
                "digest archive",
                json!([{"name": "show", "type": 4, "value": id}]),
            )
            .await;
        assert!(refused.ephemeral());
        assert!(
            refused
                .text()
                .contains(&format!("There is no archived digest #{id} on this board")),
            "{}",
            refused.text()
        );
    }
    // The command line says how to find the ids.
    let missing = digests(&bot.db, dir.path(), &["show", "999999"]);
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("no archived digest 999999") && err.contains("briefing-bot digests"),
        "{err}"
    );
    bot.stop().await;
}
