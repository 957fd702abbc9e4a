//! "What changed since the last digest": the digest compared with the latest digest in the
//! archive that was delivered somewhere before it — the figures that moved ("12 → 10"), the
//! actions newly overdue and no longer overdue, and the actions completed and recommendations
//! closed since. [`compare`] is pure; [`load`] finds the earlier digest in the store.
//!
//! The earlier digest is read from its archived JSON (the contract's shape), not rebuilt: the
//! comparison is with what members were actually sent, even if the record was corrected since.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::build::{start_of_day, ActionLine, RecommendationLine};
use crate::digest::Digest;
use crate::domain::{Board, TimeZone};
use crate::store::{Store, StoreError};

/// A headline figure that moved between the two digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// What was counted, as a reader would say it ("Open actions", "Overdue", "Done").
    pub name: String,
    pub before: usize,
    pub after: usize,
}

/// An action or recommendation named in the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub owner: Option<String>,
}

/// What changed between the latest archived digest and this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinceLastDigest {
    /// The earlier digest's id in the archive (`briefing-bot digests show ID`).
    pub archive_id: i64,
    pub posted_at: DateTime<Utc>,
    /// The day it was posted, in the board's time zone.
    pub posted_on: NaiveDate,
    /// The earlier digest's own as-of day and period.
    pub as_of: NaiveDate,
    pub period: String,
    pub totals: Vec<Moved>,
    pub newly_overdue: Vec<Named>,
    pub no_longer_overdue: Vec<Named>,
    pub completed: Vec<Named>,
    pub recommendations_closed: Vec<Named>,
}

impl SinceLastDigest {
    /// True when nothing at all moved: the digest then says so plainly.
    pub fn nothing_changed(&self) -> bool {
        self.totals.is_empty()
            && self.newly_overdue.is_empty()
            && self.no_longer_overdue.is_empty()
            && self.completed.is_empty()
            && self.recommendations_closed.is_empty()
    }

    /// "What changed since the last digest (posted 1 Oct 2026)".
    pub fn heading(&self) -> String {
        format!(
            "What changed since the last digest (posted {})",
            short(self.posted_on)
        )
    }

    /// "Nothing has changed since the last digest (posted 1 Oct 2026)."
    pub fn nothing_line(&self) -> String {
        format!(
            "Nothing has changed since the last digest (posted {}).",
            short(self.posted_on)
        )
    }

    /// "Open actions: 12 → 10" for each figure that moved.
    pub fn moved_lines(&self) -> Vec<String> {
        self.totals
            .iter()
            .map(|m| format!("{}: {} → {}", m.name, m.before, m.after))
            .collect()
    }

    /// The lists, each with its label, in the order they are shown; empty ones left out.
    pub fn lists(&self) -> Vec<(&'static str, &[Named])> {
        [
            ("Newly overdue", self.newly_overdue.as_slice()),
            ("No longer overdue", self.no_longer_overdue.as_slice()),
            ("Completed since", self.completed.as_slice()),
            (
                "Recommendations closed since",
                self.recommendations_closed.as_slice(),
            ),
        ]
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .collect()
    }
}

/// `1 Oct 2026`.
fn short(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// The parts of an archived digest's JSON the comparison reads. Missing parts read as empty,
/// so a digest archived by an older release still compares.
#[derive(Debug, Default, Deserialize)]
struct Earlier {
    as_of: NaiveDate,
    #[serde(default)]
    period: EarlierPeriod,
    #[serde(default)]
    totals: EarlierTotals,
    #[serde(default)]
    recommendations: EarlierRecommendations,
    #[serde(default)]
    changes: EarlierChanges,
    #[serde(default)]
    overdue: Vec<EarlierLine>,
}

#[derive(Debug, Default, Deserialize)]
struct EarlierPeriod {
    #[serde(default)]
    label: String,
}

#[derive(Debug, Default, Deserialize)]
struct EarlierTotals {
    #[serde(default)]
    actions: usize,
    #[serde(default)]
    open: usize,
    #[serde(default)]
    overdue: usize,
    #[serde(default)]
    by_status: BTreeMap<String, usize>,
}

#[derive(Debug, Default, Deserialize)]
struct EarlierRecommendations {
    #[serde(default)]
    total: usize,
    #[serde(default)]
    by_status: BTreeMap<String, usize>,
}

#[derive(Debug, Default, Deserialize)]
struct EarlierChanges {
    #[serde(default)]
    completed: Vec<EarlierLine>,
    #[serde(default)]
    recommendations_closed: Vec<EarlierLine>,
}

#[derive(Debug, Default, Deserialize)]
struct EarlierLine {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner: Option<String>,
}

impl From<&EarlierLine> for Named {
    fn from(l: &EarlierLine) -> Self {
        Named {
            reference: l.reference.clone(),
            title: l.title.clone(),
            owner: l.owner.clone(),
        }
    }
}

impl From<&ActionLine> for Named {
    fn from(a: &ActionLine) -> Self {
        Named {
            reference: a.reference.clone(),
            title: a.title.clone(),
            owner: Some(a.owner.clone()),
        }
    }
}

impl From<&RecommendationLine> for Named {
    fn from(r: &RecommendationLine) -> Self {
        Named {
            reference: r.reference.clone(),
            title: r.title.clone(),
            owner: r.owner.clone(),
        }
    }
}

/// "on_track" as a reader says it: "On track".
fn status_name(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// The figures of `after` that differ from `before`, under `prefix`.
fn moved_counts(
    out: &mut Vec<Moved>,
    prefix: &str,
    before: &BTreeMap<String, usize>,
    after: &BTreeMap<&'static str, usize>,
) {
    let keys: BTreeSet<&str> = before
        .keys()
        .map(String::as_str)
        .chain(after.keys().copied())
        .collect();
    for key in keys {
        let b = before.get(key).copied().unwrap_or(0);
        let a = after.get(key).copied().unwrap_or(0);
        if a != b {
            out.push(Moved {
                name: format!("{prefix}{}", status_name(key)),
                before: b,
                after: a,
            });
        }
    }
}

/// Compare `digest` with an earlier digest's archived JSON. An error says why the JSON could
/// not be read; the caller leaves the section out rather than fail the digest.
///
/// "Completed since" and "recommendations closed since" are this digest's completions and
/// closures of its period that the earlier digest did not list: a gap of more than a quarter
/// between the two leaves the quarter in between to the figures that moved.
pub fn compare(
    digest: &Digest,
    archive_id: i64,
    earlier_json: &str,
    posted_at: DateTime<Utc>,
    tz: &TimeZone,
) -> Result<SinceLastDigest, String> {
    let earlier: Earlier = serde_json::from_str(earlier_json).map_err(|e| e.to_string())?;
    let t = &digest.totals;
    let mut totals = Vec::new();
    for (name, before, after) in [
        ("Actions", earlier.totals.actions, t.actions),
        ("Open actions", earlier.totals.open, t.open),
        ("Overdue", earlier.totals.overdue, t.overdue),
    ] {
        if before != after {
            totals.push(Moved {
                name: name.to_string(),
                before,
                after,
            });
        }
    }
    moved_counts(&mut totals, "", &earlier.totals.by_status, &t.by_status);
    let r = &digest.recommendations;
    if earlier.recommendations.total != r.total {
        totals.push(Moved {
            name: "Recommendations".into(),
            before: earlier.recommendations.total,
            after: r.total,
        });
    }
    moved_counts(
        &mut totals,
        "Recommendations ",
        &earlier.recommendations.by_status,
        &r.by_status,
    );

    let refs = |lines: &[EarlierLine]| -> BTreeSet<String> {
        lines.iter().map(|l| l.reference.clone()).collect()
    };
    let was_overdue = refs(&earlier.overdue);
    let is_overdue: BTreeSet<&str> = digest
        .overdue
        .iter()
        .map(|a| a.reference.as_str())
        .collect();
    let mut newly_overdue: Vec<Named> = digest
        .overdue
        .iter()
        .filter(|a| !was_overdue.contains(&a.reference))
        .map(Named::from)
        .collect();
    let mut no_longer_overdue: Vec<Named> = earlier
        .overdue
        .iter()
        .filter(|l| !is_overdue.contains(l.reference.as_str()))
        .map(Named::from)
        .collect();
    let was_completed = refs(&earlier.changes.completed);
    let mut completed: Vec<Named> = digest
        .changes
        .completed
        .iter()
        .filter(|a| !was_completed.contains(&a.reference))
        .map(Named::from)
        .collect();
    let was_closed = refs(&earlier.changes.recommendations_closed);
    let mut recommendations_closed: Vec<Named> = digest
        .changes
        .recommendations_closed
        .iter()
        .filter(|r| !was_closed.contains(&r.reference))
        .map(Named::from)
        .collect();
    for list in [
        &mut newly_overdue,
        &mut no_longer_overdue,
        &mut completed,
        &mut recommendations_closed,
    ] {
        list.sort_by(|a, b| a.reference.cmp(&b.reference));
    }
    Ok(SinceLastDigest {
        archive_id,
        posted_at,
        posted_on: tz.today(posted_at),
        as_of: earlier.as_of,
        period: earlier.period.label,
        totals,
        newly_overdue,
        no_longer_overdue,
        completed,
        recommendations_closed,
    })
}

/// The moment a digest as of `as_of` is compared at: the end of its as-of day in the board's
/// time zone, so a digest posted earlier that day counts as the last one.
pub fn compared_before(tz: &TimeZone, as_of: NaiveDate) -> DateTime<Utc> {
    let next = as_of.checked_add_days(Days::new(1)).unwrap_or(as_of);
    start_of_day(tz, next)
}

/// The comparison with the latest archived digest delivered before the end of the digest's
/// as-of day; `None` when the archive holds none (the first digest says nothing of it), or when
/// the earlier digest's JSON cannot be read (logged: the digest goes out without the section).
pub async fn load(
    store: &Store,
    board: &Board,
    digest: &Digest,
) -> Result<Option<SinceLastDigest>, StoreError> {
    let before = compared_before(&board.settings.time_zone, digest.as_of);
    load_before(store, board, digest, before).await
}

/// The comparison with the latest archived digest delivered before `before` (a point-in-time
/// digest compares with the last one delivered before its day began).
pub async fn load_before(
    store: &Store,
    board: &Board,
    digest: &Digest,
    before: DateTime<Utc>,
) -> Result<Option<SinceLastDigest>, StoreError> {
    let tz = &board.settings.time_zone;
    let Some(earlier) = store.latest_archived_digest(board.id, before).await? else {
        return Ok(None);
    };
    match compare(digest, earlier.id, &earlier.json, earlier.posted_at, tz) {
        Ok(since) => Ok(Some(since)),
        Err(e) => {
            tracing::warn!(board = %board.slug, archived = earlier.id, error = %e, "could not read the last archived digest; leaving out what changed since it");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::digest::{build_digest, DigestInput};
    use crate::domain::BoardSlug;

    fn empty_digest() -> Digest {
        let board = Board {
            id: 1,
            slug: BoardSlug::parse("dsvb").unwrap(),
            name: "DSVB".into(),
            settings: Default::default(),
            chat: Default::default(),
        };
        let input = DigestInput {
            board: &board,
            recommendations: &[],
            actions: &[],
            history: &[],
        };
        build_digest(&input, NaiveDate::from_ymd_opt(2010, 10, 1).unwrap())
    }

    fn posted() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2010, 10, 1, 8, 0, 0).unwrap()
    }

    #[test]
    fn a_digest_compared_with_its_own_json_has_nothing_to_say() {
        let digest = empty_digest();
        let json = crate::digest::render::json::digest_json_text(&digest);
        let since = compare(&digest, 7, &json, posted(), &TimeZone::default()).unwrap();
        assert!(since.nothing_changed(), "{since:?}");
        assert_eq!(since.archive_id, 7);
        assert_eq!(
            since.nothing_line(),
            "Nothing has changed since the last digest (posted 1 Oct 2010)."
        );
    }

    #[test]
    fn an_older_or_damaged_archive_never_panics() {
        let digest = empty_digest();
        let tz = TimeZone::default();
        // An older release's JSON with only some keys still compares.
        let older = r#"{"as_of": "2010-07-01", "totals": {"actions": 4, "open": 3, "overdue": 2},
            "overdue": [{"ref": "ACT-9", "title": "Gone"}]}"#;
        let since = compare(&digest, 1, older, posted(), &tz).unwrap();
        assert_eq!(
            since.moved_lines()[..3],
            ["Actions: 4 → 0", "Open actions: 3 → 0", "Overdue: 2 → 0"]
        );
        assert_eq!(since.no_longer_overdue[0].reference, "ACT-9");
        for bad in [
            "",
            "null",
            "[]",
            "{\"as_of\": 3}",
            "{\"totals\": {}}",
            "\u{0}",
        ] {
            assert!(compare(&digest, 1, bad, posted(), &tz).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn statuses_read_as_words() {
        assert_eq!(status_name("on_track"), "On track");
        assert_eq!(status_name("done"), "Done");
        assert_eq!(status_name(""), "");
    }
}
