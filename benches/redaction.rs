//! Redaction benchmark: remove one name from one action of a generated board of 10,000 actions
//! and 100,000 history entries (the name in the action's title, in three of its entries' notes
//! and in two archived digests), on SQLite and — when `TEST_POSTGRES_URL` is set — PostgreSQL.
//! Printed: the redaction's transaction, the scrub of the database's files after it (SQLite's
//! checkpoint; PostgreSQL's VACUUM of the touched tables) and both together. The baseline in
//! the same run is an officer's status update of one action on the same board, the floor of
//! any one-record change with its history entry. Every run checks that the redaction found
//! and removed the name. Run with `cargo bench --bench redaction`.

mod support;

use std::time::Instant;

use chrono::{TimeZone, Utc};

use briefing_bot::digest::archive::archive_posted;
use briefing_bot::digest::load_digest;
use briefing_bot::domain::{ActionStatus, Ref, Text};
use briefing_bot::services::actions::{update_action_status, Author};
use briefing_bot::services::redact::{aftermath, redact, RedactionRequest, TextToRemove};
use briefing_bot::store::{DatabaseUrl, PostedBy, Store};

use support::{database, drop_database, figures, generated_board};

const RUNS: usize = 7;
const ACTIONS: usize = 10_000;

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "redaction benchmark: one name from one action of {ACTIONS} actions / {} history \
         entries, {RUNS} runs; baseline = one status update",
        ACTIONS * 10
    );
    for backend in ["sqlite", "postgres"] {
        if backend == "postgres" && std::env::var("TEST_POSTGRES_URL").is_err() {
            println!("postgres: skipped (TEST_POSTGRES_URL is not set)");
            continue;
        }
        let (url, cleanup) = database(backend, &format!("redact_{backend}"), dir.path())
            .await
            .expect("database");
        let store = Store::connect(&DatabaseUrl::new(&url)).await.unwrap();
        let board = generated_board(&store, &url, backend, ACTIONS).await;
        let when = |run: usize, k: u32| {
            Utc.with_ymd_and_hms(2026, 11, 1 + run as u32, 9, k, 0)
                .unwrap()
        };
        // One action per run, named in its notes; then two digests archived with the names.
        for run in 0..RUNS {
            let reference = Ref::parse(&format!("ACT-{:06}", run * 1002 + 1)).unwrap();
            for k in 0..3 {
                let note = Text::multiline(
                    &format!("Spoke to Jane Roe{run} about the plan ({k})"),
                    Text::NOTE_MAX,
                )
                .unwrap();
                update_action_status(
                    &store,
                    &board,
                    &reference,
                    ActionStatus::OnTrack,
                    Some(&note),
                    None,
                    &Author {
                        by: "bench",
                        at: when(run, k),
                    },
                )
                .await
                .unwrap();
            }
        }
        let digest = load_digest(&store, &board, when(0, 0).date_naive())
            .await
            .unwrap();
        for k in 0..2 {
            let by = PostedBy::Command {
                user: "bench".into(),
            };
            archive_posted(&store, &board, &digest, &by, when(0, 10 + k))
                .await
                .unwrap();
        }

        let (mut baseline, mut transaction, mut scrub, mut total) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for run in 0..RUNS {
            let started = Instant::now();
            update_action_status(
                &store,
                &board,
                &Ref::parse("ACT-000001").unwrap(),
                ActionStatus::AtRisk,
                Some(&Text::multiline(&format!("baseline {run}"), Text::NOTE_MAX).unwrap()),
                None,
                &Author {
                    by: "bench",
                    at: when(run, 30),
                },
            )
            .await
            .unwrap();
            baseline.push(started.elapsed());

            let reference = Ref::parse(&format!("ACT-{:06}", run * 1002 + 1)).unwrap();
            let text = TextToRemove::new(&format!("Jane Roe{run}")).unwrap();
            let started = Instant::now();
            let report = redact(
                &store,
                &board,
                &RedactionRequest {
                    reference: &reference,
                    text: &text,
                    reason: "benchmark",
                    by: "bench",
                    at: when(run, 40),
                },
            )
            .await
            .unwrap();
            let redacted = started.elapsed();
            aftermath(&store, &board, &report, 35).await.unwrap();
            let all = started.elapsed();
            assert_eq!(report.entries.len(), 3, "the name was in three entries");
            transaction.push(redacted);
            scrub.push(all - redacted);
            total.push(all);
        }
        figures(
            &format!("{backend}: redaction (one transaction)"),
            transaction,
        );
        figures(&format!("{backend}: scrub of the files afterwards"), scrub);
        figures(&format!("{backend}: redaction + scrub"), total);
        figures(
            &format!("{backend}: baseline (one status update)"),
            baseline,
        );
        store.close().await;
        drop_database(cleanup).await;
    }
}
