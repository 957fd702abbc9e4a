//! Point-in-time digests: the record as it stood before a day began, rebuilt from the history.
//!
//! The property: for random sequences of changes made at random times (an injected clock),
//! through every path that changes a record (status updates by officers and the secretariat,
//! due-date moves, assignments, edits, additions, sign-offs, reopenings, recommendation
//! decisions and CSV re-imports), the point-in-time digest as of any day equals the digest
//! that was produced on that day. Run on SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use briefing_bot::digest::render::json::digest_view;
use briefing_bot::digest::{load_digest, load_digest_as_it_stood};
use briefing_bot::domain::{
    Action, ActionStatus, Board, BoardSlug, OfficerId, RecommendationStatus, Ref, Response, Text,
};
use briefing_bot::services::actions::{
    add_action, assign_officer, change_due_date, edit_action, record_action_status, reopen_action,
    reopen_recommendation, set_recommendation_response, set_recommendation_status, sign_off_action,
    ActionEdits, Author, StatusChange,
};
use briefing_bot::services::import::{import_csv, ImportOptions, RecordKind};
use briefing_bot::store::Store;

use crate::support::db::TestDb;

/// One thing that happens to the board.
#[derive(Debug, Clone)]
enum Step {
    /// Time passes (hours).
    Wait(u16),
    Status {
        action: usize,
        status: usize,
        secretariat: bool,
    },
    Due {
        action: usize,
        days: i64,
    },
    Assign {
        action: usize,
        officer: Option<u8>,
    },
    Edit {
        action: usize,
        field: u8,
    },
    Add,
    SignOff(usize),
    Reopen(usize),
    RecStatus {
        rec: usize,
        status: usize,
    },
    RecResponse {
        rec: usize,
        response: usize,
    },
    /// The secretariat re-imports one action's row with a new status and due date.
    Reimport {
        action: usize,
        status: usize,
        days: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u16..80).prop_map(Step::Wait),
        3 => (0usize..8, 0usize..6, any::<bool>()).prop_map(|(action, status, secretariat)| {
            Step::Status { action, status, secretariat }
        }),
        2 => (0usize..8, -20i64..60).prop_map(|(action, days)| Step::Due { action, days }),
        1 => (0usize..8, proptest::option::of(0u8..3))
            .prop_map(|(action, officer)| Step::Assign { action, officer }),
        1 => (0usize..8, 0u8..3).prop_map(|(action, field)| Step::Edit { action, field }),
        1 => Just(Step::Add),
        2 => (0usize..8).prop_map(Step::SignOff),
        1 => (0usize..8).prop_map(Step::Reopen),
        1 => (0usize..3, 0usize..4).prop_map(|(rec, status)| Step::RecStatus { rec, status }),
        1 => (0usize..3, 0usize..4).prop_map(|(rec, response)| Step::RecResponse { rec, response }),
        1 => (0usize..8, 0usize..6, -10i64..40)
            .prop_map(|(action, status, days)| Step::Reimport { action, status, days }),
    ]
}

fn text(s: &str) -> Text {
    Text::line(s, Text::TITLE_MAX).unwrap()
}

/// The board as it is as the steps run.
struct Run<'a> {
    store: &'a Store,
    board: Board,
    now: DateTime<Utc>,
    refs: Vec<Ref>,
    recs: Vec<Ref>,
    added: usize,
    /// The digest JSON produced on each day, before that day's first change.
    produced: BTreeMap<NaiveDate, String>,
}

impl Run<'_> {
    fn today(&self) -> NaiveDate {
        self.board.settings.time_zone.today(self.now)
    }

    async fn digest_json(&self, day: NaiveDate, as_it_stood: bool) -> String {
        let digest = if as_it_stood {
            load_digest_as_it_stood(self.store, &self.board, day).await
        } else {
            load_digest(self.store, &self.board, day).await
        }
        .expect("digest builds");
        serde_json::to_string_pretty(&digest_view(&digest)).unwrap()
    }

    /// Before the first change of a day, keep the digest that day produces.
    async fn before_change(&mut self) {
        let today = self.today();
        if !self.produced.contains_key(&today) {
            let json = self.digest_json(today, false).await;
            self.produced.insert(today, json);
        }
    }

    fn action(&self, i: usize) -> Ref {
        self.refs[i % self.refs.len()].clone()
    }

    async fn apply(&mut self, step: &Step) {
        if let Step::Wait(hours) = step {
            self.now += Duration::hours(i64::from(*hours));
            return;
        }
        self.before_change().await;
        let (store, board) = (self.store, &self.board);
        let by = "secretary";
        let author = Author { by, at: self.now };
        let today = self.today();
        // A refusal (the same status again, sign-off of an open action …) changes nothing;
        // the property must hold either way.
        match step {
            Step::Wait(_) => unreachable!(),
            Step::Status {
                action,
                status,
                secretariat,
            } => {
                let note = text("progress noted");
                let change = StatusChange {
                    status: ActionStatus::ALL[*status],
                    note: Some(&note),
                    evidence: None,
                    by_secretariat: *secretariat,
                };
                let _ = record_action_status(store, board, &self.action(*action), &change, &author)
                    .await;
            }
            Step::Due { action, days } => {
                let due = today + Duration::days(*days);
                let _ = change_due_date(
                    store,
                    board,
                    &self.action(*action),
                    due,
                    &text("moved"),
                    &author,
                )
                .await;
            }
            Step::Assign { action, officer } => {
                let officer =
                    officer.map(|n| OfficerId::new(300_000_000_000_000_000 + u64::from(n)));
                let _ = assign_officer(store, board, &self.action(*action), officer, &author).await;
            }
            Step::Edit { action, field } => {
                let value = text(&format!("edited at {}", self.now.timestamp()));
                let edits = match field {
                    0 => ActionEdits {
                        title: Some(value),
                        ..Default::default()
                    },
                    1 => ActionEdits {
                        owner: Some(value),
                        ..Default::default()
                    },
                    _ => ActionEdits {
                        borough: Some(Some(value)),
                        ..Default::default()
                    },
                };
                let _ = edit_action(store, board, &self.action(*action), &edits, &author).await;
            }
            Step::Add => {
                self.added += 1;
                let reference = Ref::parse(&format!("NEW-{:03}", self.added)).unwrap();
                let action = Action {
                    reference: reference.clone(),
                    recommendation: Some(self.recs[self.added % self.recs.len()].clone()),
                    title: format!("Added {}", self.added),
                    owner: "MPS".into(),
                    borough: Some("Bexley".into()),
                    officer: None,
                    due: today + Duration::days(10),
                    status: ActionStatus::NotStarted,
                    completed_on: None,
                    awaiting_sign_off: false,
                };
                if add_action(store, board, &action, &author).await.is_ok() {
                    self.refs.push(reference);
                }
            }
            Step::SignOff(action) => {
                let _ =
                    sign_off_action(store, board, &self.action(*action), &text("seen"), &author)
                        .await;
            }
            Step::Reopen(action) => {
                let _ = reopen_action(
                    store,
                    board,
                    &self.action(*action),
                    ActionStatus::AtRisk,
                    &text("not done after all"),
                    &author,
                )
                .await;
            }
            Step::RecStatus { rec, status } => {
                let note = text("decided");
                let status = RecommendationStatus::ALL[*status];
                let reference = &self.recs[*rec % self.recs.len()];
                if status == RecommendationStatus::Open {
                    let _ = reopen_recommendation(store, board, reference, &note, &author).await;
                } else {
                    let _ = set_recommendation_status(
                        store,
                        board,
                        reference,
                        status,
                        Some(&note),
                        None,
                        &author,
                    )
                    .await;
                }
            }
            Step::RecResponse { rec, response } => {
                let _ = set_recommendation_response(
                    store,
                    board,
                    &self.recs[*rec % self.recs.len()],
                    Response::ALL[*response],
                    None,
                    &author,
                )
                .await;
            }
            Step::Reimport {
                action,
                status,
                days,
            } => {
                let reference = self.action(*action);
                let current = store.action(board.id, &reference).await.unwrap().unwrap();
                let status = ActionStatus::ALL[*status];
                let completed = if status == ActionStatus::Done {
                    today.to_string()
                } else {
                    String::new()
                };
                let csv = format!(
                    "ref,recommendation,title,owner,borough,officer,due,status,completed_on\n\
                     {},{},{},{},{},{},{},{},{}\n",
                    current.reference,
                    current
                        .recommendation
                        .map(|r| r.to_string())
                        .unwrap_or_default(),
                    current.title,
                    current.owner,
                    current.borough.unwrap_or_default(),
                    current.officer.map(|o| o.to_string()).unwrap_or_default(),
                    today + Duration::days(*days),
                    status,
                    completed
                );
                let options = ImportOptions {
                    by: "import",
                    now: self.now,
                    update: true,
                    ..Default::default()
                };
                let _ = import_csv(
                    store,
                    Some(&board.slug),
                    RecordKind::Actions,
                    "update.csv",
                    csv.as_bytes(),
                    &options,
                )
                .await;
            }
        }
    }
}

/// One case: the small test board, the steps from 20 September 2010 (across the quarter's end
/// and the end of summer time), then every produced digest compared with the point-in-time one.
async fn check_case(db: &TestDb, steps: &[Step]) -> Result<(), TestCaseError> {
    crate::store_contract::load(&db.store, "dsvb").await;
    let board = db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut run = Run {
        store: &db.store,
        board,
        now: Utc.with_ymd_and_hms(2010, 9, 20, 8, 30, 0).unwrap(),
        refs: ["ACT-001", "ACT-002", "ACT-003"]
            .iter()
            .map(|r| Ref::parse(r).unwrap())
            .collect(),
        recs: ["DSVB-2010-01", "DSVB-2010-02"]
            .iter()
            .map(|r| Ref::parse(r).unwrap())
            .collect(),
        added: 0,
        produced: BTreeMap::new(),
    };
    for step in steps {
        run.apply(step).await;
    }
    // The day after the last change too: everything recorded by then.
    run.now += Duration::days(1);
    run.before_change().await;
    for (day, produced) in &run.produced {
        let rebuilt = run.digest_json(*day, true).await;
        prop_assert_eq!(
            &rebuilt,
            produced,
            "the point-in-time digest as of {} differs from the one produced that day",
            day
        );
    }
    Ok(())
}

fn property(cases: u32, postgres: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        // Each case builds a database; shrinking a failure to its shortest is still worth it.
        max_shrink_iters: 200,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(step(), 1..60), |steps| {
        runtime.block_on(async {
            let db = if postgres {
                match crate::support::db::postgres().await {
                    Some(db) => db,
                    None => return Ok(()),
                }
            } else {
                crate::support::db::sqlite().await
            };
            check_case(&db, &steps).await
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_point_in_time_digest_equals_the_one_produced_that_day_on_sqlite() {
    property(24, false);
}

#[test]
fn the_point_in_time_digest_equals_the_one_produced_that_day_on_postgres() {
    if crate::support::db::postgres_url().is_none() {
        return;
    }
    property(8, true);
}

/// The figures of a digest that do not depend on sign-off (which release 0.1 did not have).
fn figures(json: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let refs = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| a["ref"].as_str().unwrap().to_string())
            .collect()
    };
    serde_json::json!({
        "by_status": v["totals"]["by_status"],
        "overdue": refs(&v["overdue"]),
        "completed": refs(&v["changes"]["completed"]),
        "slipped": v["changes"]["slipped"],
        "due_next_period": refs(&v["due_next_period"]),
        "recommendations": v["recommendations"]["by_status"],
        "responses": v["recommendations"]["by_response"],
        "chart": v["chart"],
    })
}

/// A database made by release 0.1 kept no records in its history: its point-in-time digests
/// are rebuilt backwards from today's record. They agree with the same sample board loaded by
/// this release (whose history keeps records), and changes made after the upgrade are undone.
#[tokio::test]
async fn a_release_0_1_database_reads_as_it_stood_on_any_day() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("briefing.db");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/release-0.1/briefing.db"),
        &file,
    )
    .unwrap();
    let url = briefing_bot::store::DatabaseUrl::new(format!("sqlite://{}", file.display()));
    let old = Store::connect(&url).await.unwrap();
    old.migrate().await.unwrap();
    let slug = BoardSlug::parse("dsvb").unwrap();
    let old_board = old.board(&slug).await.unwrap().unwrap();
    let new = crate::support::db::sqlite().await;
    let (new_board, _) = briefing_bot::sample::load_sample_board(&new.store)
        .await
        .unwrap();
    let json = |store: &Store, board: &Board, day: NaiveDate| {
        let (store, board) = (store.clone(), board.clone());
        async move {
            let digest = load_digest_as_it_stood(&store, &board, day).await.unwrap();
            serde_json::to_string(&digest_view(&digest)).unwrap()
        }
    };
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let produced_on_the_day = {
        let digest = load_digest(&old, &old_board, d(2010, 10, 1)).await.unwrap();
        serde_json::to_string(&digest_view(&digest)).unwrap()
    };
    for day in [d(2010, 3, 1), d(2010, 7, 1), d(2010, 8, 20), d(2010, 10, 1)] {
        assert_eq!(
            figures(&json(&old, &old_board, day).await),
            figures(&json(&new.store, &new_board, day).await),
            "the upgraded release 0.1 board as it stood on {day}"
        );
    }
    // Changes after the upgrade are undone for the day before them.
    let author = Author {
        by: "secretary",
        at: Utc.with_ymd_and_hms(2010, 10, 1, 11, 0, 0).unwrap(),
    };
    let act = Ref::parse("ACT-001").unwrap();
    let note = text("done after all");
    let done = StatusChange {
        status: ActionStatus::Done,
        note: Some(&note),
        evidence: None,
        by_secretariat: false,
    };
    record_action_status(&old, &old_board, &act, &done, &author)
        .await
        .unwrap();
    change_due_date(
        &old,
        &old_board,
        &Ref::parse("ACT-002").unwrap(),
        d(2011, 1, 1),
        &text("later"),
        &author,
    )
    .await
    .unwrap();
    assign_officer(&old, &old_board, &act, None, &author)
        .await
        .unwrap();
    let secretary = Author {
        by: "secretary",
        at: Utc.with_ymd_and_hms(2010, 10, 1, 12, 0, 0).unwrap(),
    };
    // A done action from release 0.1 reopened, then done again and signed off; one done
    // again and left waiting.
    let bro = Ref::parse("BRE-01").unwrap();
    reopen_action(
        &old,
        &old_board,
        &bro,
        ActionStatus::AtRisk,
        &text("no"),
        &secretary,
    )
    .await
    .unwrap();
    let cro = Ref::parse("CRO-02").unwrap();
    reopen_action(
        &old,
        &old_board,
        &cro,
        ActionStatus::OnTrack,
        &text("no"),
        &secretary,
    )
    .await
    .unwrap();
    record_action_status(&old, &old_board, &cro, &done, &secretary)
        .await
        .unwrap();
    let rec = Ref::parse("DSVB-2010-07").unwrap();
    set_recommendation_response(&old, &old_board, &rec, Response::Accepted, None, &secretary)
        .await
        .unwrap();
    let closed = Ref::parse("DSVB-2010-02").unwrap();
    set_recommendation_status(
        &old,
        &old_board,
        &closed,
        RecommendationStatus::Superseded,
        Some(&text("replaced")),
        None,
        &secretary,
    )
    .await
    .unwrap();
    // Signed off the next day: as of that day it was still waiting.
    let produced_on_the_2nd = {
        let digest = load_digest(&old, &old_board, d(2010, 10, 2)).await.unwrap();
        serde_json::to_string(&digest_view(&digest)).unwrap()
    };
    let next_day = Author {
        by: "secretary",
        at: Utc.with_ymd_and_hms(2010, 10, 2, 9, 0, 0).unwrap(),
    };
    sign_off_action(&old, &old_board, &act, &text("seen"), &next_day)
        .await
        .unwrap();
    assert_eq!(
        json(&old, &old_board, d(2010, 10, 1)).await,
        produced_on_the_day,
        "the point-in-time digest as of 1 October leaves out what was done on it"
    );
    assert_ne!(
        json(&old, &old_board, d(2010, 10, 2)).await,
        produced_on_the_day,
        "and shows it the day after"
    );
    let on_the_2nd: serde_json::Value =
        serde_json::from_str(&json(&old, &old_board, d(2010, 10, 2)).await).unwrap();
    // ACT-001 still waited then, beside CRO-02 (done again by an officer, waiting still).
    assert_eq!(on_the_2nd["totals"]["awaiting_sign_off"], 2);
    let produced: serde_json::Value = serde_json::from_str(&produced_on_the_2nd).unwrap();
    assert_eq!(
        on_the_2nd["awaiting_sign_off"], produced["awaiting_sign_off"],
        "as produced on the 2nd"
    );
}

/// A day before the board had any record: an empty digest saying so, not an error.
#[tokio::test]
async fn before_the_board_existed_the_digest_is_empty_and_says_so() {
    let db = crate::support::db::sqlite().await;
    crate::store_contract::load(&db.store, "dsvb").await;
    let board = db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2009, 6, 1).unwrap();
    let digest = load_digest_as_it_stood(&db.store, &board, day)
        .await
        .unwrap();
    assert_eq!(
        (digest.totals.actions, digest.recommendations.total),
        (0, 0)
    );
    let markdown = briefing_bot::digest::render::markdown::digest_markdown(&digest);
    assert!(
        markdown.contains("no recommendations or actions recorded yet"),
        "{markdown}"
    );
    let html = briefing_bot::digest::render::html::digest_html(&digest, None, day);
    assert!(html.contains("no recommendations or actions recorded yet"));
    // The board's first day: the records loaded that morning are not there yet; the next day
    // they are.
    let first = NaiveDate::from_ymd_opt(2010, 2, 1).unwrap();
    let on_first = load_digest_as_it_stood(&db.store, &board, first)
        .await
        .unwrap();
    assert_eq!(on_first.totals.actions, 0);
    let next = load_digest_as_it_stood(&db.store, &board, first.succ_opt().unwrap())
        .await
        .unwrap();
    assert_eq!((next.totals.actions, next.recommendations.total), (3, 2));
}

/// Through the binary: `digest --as-of D --point-in-time` on the sample board, and the flag
/// needs a date.
#[test]
fn the_binary_prints_the_record_as_it_stood() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| crate::cli::bot(dir.path(), args);
    assert!(run(&["demo"]).status.success());
    let json = |args: &[&str]| -> serde_json::Value {
        let out = run(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let base = ["digest", "--board", "dsvb", "--format", "json", "--as-of"];
    // By 1 August 2010 six actions had been marked done (and one was imported done); the
    // officers' three were signed off in June and July. Four done later still wait today.
    let today = json(&[&base[..], &["2010-08-01"]].concat());
    let then = json(&[&base[..], &["2010-08-01", "--point-in-time"]].concat());
    assert_eq!(today["totals"]["by_status"]["done"], 13, "today's record");
    assert_eq!(
        then["totals"]["by_status"]["done"], 7,
        "as it stood on 1 August"
    );
    let refs = |v: &serde_json::Value| -> Vec<String> {
        v["awaiting_sign_off"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["ref"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(refs(&then), Vec::<String>::new());
    assert_eq!(refs(&today), ["CRO-02", "GRE-01", "BRE-01", "ACT-009"]);
    let refused = run(&["digest", "--board", "dsvb", "--point-in-time"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--as-of"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// `/digest preview record:` shows the record as it stood before the as-of day began.
#[tokio::test]
async fn the_preview_can_show_the_record_as_it_stood() {
    use crate::support::bot::{TestBot, OFFICER};
    use serde_json::json;
    let bot = TestBot::start().await;
    let s = |name: &str, value: &str| json!({"name": name, "type": 3, "value": value});
    let done = bot
        .run(
            OFFICER,
            "update",
            json!([s("action", "ACT-001"), {"name": "status", "type": 4, "value": 4}, s("note", "Sent")]),
        )
        .await;
    assert!(done.text().contains("sign-off"), "{}", done.text());
    let today = bot
        .run(OFFICER, "digest preview", json!([s("as_of", "2010-09-20")]))
        .await;
    assert!(
        today.text().contains("Done, awaiting sign-off (1)"),
        "{}",
        today.text()
    );
    let then = bot
        .run(
            OFFICER,
            "digest preview",
            json!([s("as_of", "2010-09-20"), {"name": "record", "type": 4, "value": 1}]),
        )
        .await;
    assert!(then.ephemeral());
    assert!(
        !then.text().contains("awaiting sign-off") && then.text().contains("Overdue"),
        "{}",
        then.text()
    );
    assert!(
        bot.fake.violations().is_empty(),
        "{:?}",
        bot.fake.violations()
    );
    bot.stop().await;
}
