//! The HTML board paper: one self-contained file (nothing loaded from elsewhere, nothing that
//! runs, all text escaped), and printed by a real browser to an A4 PDF that holds the headline
//! figures and every overdue ref.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;

use briefing_bot::digest::load_digest;
use briefing_bot::digest::render::{chart, html};
use briefing_bot::domain::{BoardSlug, Text};
use briefing_bot::sample::{load_sample_board, SAMPLE_AS_OF};
use briefing_bot::services::actions::{edit_action, ActionEdits, Author};

use crate::support::db::sqlite;

const PUBLISHED: (i32, u32, u32) = (2010, 10, 12);
const HOSTILE_TITLE: &str =
    "<script>alert('x')</script><img src=\"http://example.invalid/t.png\"> & \"quoted\"";

fn published() -> NaiveDate {
    NaiveDate::from_ymd_opt(PUBLISHED.0, PUBLISHED.1, PUBLISHED.2).unwrap()
}

/// The sample board's paper as of its sample date, with one overdue action's title made
/// hostile, and the digest it was made from.
async fn sample_paper() -> (String, briefing_bot::digest::Digest) {
    let db = sqlite().await;
    let (board, _) = load_sample_board(&db.store).await.unwrap();
    let before = load_digest(&db.store, &board, SAMPLE_AS_OF).await.unwrap();
    let overdue = before
        .overdue
        .first()
        .expect("the sample has overdue actions");
    let edits = ActionEdits {
        title: Some(Text::line(HOSTILE_TITLE, Text::TITLE_MAX).unwrap()),
        ..Default::default()
    };
    let author = Author {
        by: "secretariat",
        at: SAMPLE_AS_OF.and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::Duration::days(1),
    };
    edit_action(
        &db.store,
        &board,
        &briefing_bot::domain::Ref::parse(&overdue.reference).unwrap(),
        &edits,
        &author,
    )
    .await
    .unwrap();
    let board = db
        .store
        .board(&BoardSlug::parse("dsvb").unwrap())
        .await
        .unwrap()
        .unwrap();
    let digest = load_digest(&db.store, &board, SAMPLE_AS_OF).await.unwrap();
    let png = chart::digest_chart(&digest).unwrap();
    (html::digest_html(&digest, Some(&png), published()), digest)
}

#[tokio::test]
async fn the_paper_is_self_contained_and_escapes_every_text() {
    let (paper, digest) = sample_paper().await;
    assert!(paper.starts_with("<!DOCTYPE html>"));
    assert!(
        paper.contains("default-src 'none'; img-src data:;"),
        "a policy forbids scripts and remote loads"
    );
    let lower = paper.to_lowercase();
    assert!(!lower.contains("<script"), "no script anywhere");
    for remote in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "<link",
        "<iframe",
    ] {
        assert!(
            !lower.contains(remote),
            "nothing loaded from elsewhere ({remote})"
        );
    }
    assert!(
        paper.contains("src=\"data:image/png;base64,iVBOR"),
        "the chart is embedded"
    );
    assert!(
        paper.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=&quot;http://example.invalid/t.png&quot;&gt; &amp; &quot;quoted&quot;"),
        "the hostile title is shown as text"
    );
    // Both dates, and the figures the board reads first.
    assert!(
        paper.contains("As at: <strong>1 October 2010</strong>"),
        "as-at date"
    );
    assert!(paper.contains("Published: <strong>12 October 2010</strong>"));
    assert!(paper.contains(&format!(
        "<span class=\"n\">{}</span><span class=\"what\">overdue</span>",
        digest.totals.overdue
    )));
    for a in &digest.overdue {
        assert!(
            paper.contains(&format!("<td class=\"ref\">{}</td>", a.reference)),
            "overdue {} is in the paper",
            a.reference
        );
    }
    // Print rules: A4, headers repeated, rows kept whole.
    for rule in [
        "size: A4",
        "thead { display: table-header-group; }",
        "tr { break-inside: avoid;",
    ] {
        assert!(paper.contains(rule), "{rule}");
    }
}

/// A program this test needs, or None (and why) when this machine lacks it; in CI the test
/// fails instead, since `.ci/run` installs them.
fn tool(name: &str) -> Option<String> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "{name} is missing; .ci/run installs it (apt-get install chromium poppler-utils)"
        );
        eprintln!("skipping the browser test: {name} is not installed");
    }
    found
}

fn run(program: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_browser_prints_the_paper_on_a4_with_the_figures_and_every_overdue_ref() {
    let (Some(chromium), Some(pdftotext), Some(pdfinfo)) =
        (tool("chromium"), tool("pdftotext"), tool("pdfinfo"))
    else {
        return;
    };
    let (paper, digest) = sample_paper().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("paper.html"), &paper).unwrap();
    let target = format!("file://{}", dir.path().join("paper.html").display());
    let profile = dir.path().join("profile");
    let (path, dir_path) = (dir.path().to_path_buf(), dir.path().to_path_buf());
    let profile_arg = format!("--user-data-dir={}", profile.display());
    tokio::task::spawn_blocking(move || {
        run(
            &chromium,
            &[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                &profile_arg,
                "--print-to-pdf=paper.pdf",
                &target,
            ],
            &path,
        )
    })
    .await
    .unwrap();
    let info = run(&pdfinfo, &["paper.pdf"], &dir_path);
    assert!(
        info.contains("Page size:") && info.contains("(A4)"),
        "A4 pages: {info}"
    );
    let text = run(&pdftotext, &["-layout", "paper.pdf", "-"], &dir_path);
    for heading in [
        "Quarterly VAWG briefing",
        "Headlines",
        "What changed this quarter",
    ] {
        assert!(text.contains(heading), "{heading} in:\n{text}");
    }
    assert!(text.contains("As at: 1 October 2010"), "{text}");
    assert!(text.contains("Published: 12 October 2010"), "{text}");
    assert!(
        text.contains(&format!("{}\n", digest.totals.overdue))
            || text.contains(&format!("{} ", digest.totals.overdue)),
        "{text}"
    );
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for a in &digest.overdue {
        assert!(
            flat.contains(&a.reference),
            "overdue {} printed",
            a.reference
        );
    }
    assert!(
        flat.contains("<script>alert('x')</script>"),
        "the hostile title is printed as text"
    );
}

/// What the sample board's paper says, element by element (the charts left out, so the
/// snapshot stays readable); `cargo insta review` accepts a change.
#[tokio::test]
async fn snapshot_of_the_sample_boards_paper() {
    let db = sqlite().await;
    let (board, _) = load_sample_board(&db.store).await.unwrap();
    let digest = load_digest(&db.store, &board, SAMPLE_AS_OF).await.unwrap();
    crate::digest::snapshot(
        "sample-paper.html",
        &without_images(&html::digest_html(&digest, None, published())),
    );
}

/// The paper with each embedded PNG's bytes replaced by "…" (the monitoring figures' trend
/// chart is drawn by the paper itself).
fn without_images(paper: &str) -> String {
    const PNG: &str = "data:image/png;base64,";
    let mut out = String::with_capacity(paper.len());
    let mut rest = paper;
    while let Some(at) = rest.find(PNG) {
        out.push_str(&rest[..at + PNG.len()]);
        out.push('…');
        rest = &rest[at + PNG.len()..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// A board with nothing in a section says so in words, and a paper without its chart says
/// that too.
#[tokio::test]
async fn empty_sections_say_so() {
    let db = sqlite().await;
    let (board, _) = load_sample_board(&db.store).await.unwrap();
    // Before the sample's first due date: nothing overdue, completed or slipped yet.
    let early = NaiveDate::from_ymd_opt(2009, 4, 1).unwrap();
    let digest = load_digest(&db.store, &board, early).await.unwrap();
    assert!(digest.overdue.is_empty() && digest.changes.completed.is_empty());
    let paper = html::digest_html(&digest, None, published());
    assert!(
        paper.contains(
            "<li class=\"figure\"><span class=\"n\">0</span><span class=\"what\">overdue</span>"
        ),
        "a zero is not shown as an alert"
    );
    for says in [
        "No action was completed this quarter.",
        "No action became overdue this quarter.",
        "No due date moved later this quarter.",
        "Nothing is overdue.",
        "The chart could not be drawn.",
    ] {
        assert!(
            paper.contains(&format!("<p class=\"none\">{says}</p>")),
            "{says}"
        );
    }
}

#[test]
fn the_binary_writes_the_paper_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let demo = crate::cli::bot(dir.path(), &["demo"]);
    assert!(demo.status.success());
    let out = crate::cli::bot(
        dir.path(),
        &[
            "digest",
            "--as-of",
            "2010-10-01",
            "--format",
            "html",
            "--out",
            "paper.html",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout.is_empty(),
        "the paper goes to the file, not the terminal"
    );
    let paper = std::fs::read_to_string(dir.path().join("paper.html")).unwrap();
    assert!(paper.starts_with("<!DOCTYPE html>"));
    assert!(
        paper.contains("data:image/png;base64,"),
        "the chart is embedded"
    );
    assert!(!dir.path().join("paper.html.partial").exists());
}
