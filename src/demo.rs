//! `briefing-bot demo`: the main job on a laptop. Loads the sample board into the default
//! database and prints what the board would see on the sample's as-of date: the quarterly
//! digest and that day's reminder, and writes the digest's chart.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::digest::render::chart::{digest_chart, trend_chart};
use crate::digest::render::markdown;
use crate::digest::{load_digest, load_reminder};
use crate::sample::{load_sample_board, SAMPLE_AS_OF};
use crate::store::Store;

/// Where the demo writes the chart, in the working folder.
pub const CHART_FILE: &str = "briefing-chart.png";
/// Where the demo writes the monitoring figures' trend chart.
pub const TREND_FILE: &str = "briefing-trend.png";

/// Load the sample board (once) and print its digest and reminder as of [`SAMPLE_AS_OF`].
pub async fn run(store: &Store, out: &mut dyn Write) -> Result<()> {
    let (board, loaded) = load_sample_board(store).await?;
    if loaded {
        writeln!(
            out,
            "Loaded the sample board {} into {}.",
            board.slug,
            store.url()
        )?;
    } else {
        writeln!(
            out,
            "Using the sample board {} already in {}.",
            board.slug,
            store.url()
        )?;
    }
    let digest = load_digest(store, &board, SAMPLE_AS_OF).await?;
    let png =
        digest_chart(&digest).map_err(|e| anyhow::anyhow!("could not draw the chart: {e}"))?;
    std::fs::write(Path::new(CHART_FILE), png)
        .with_context(|| format!("could not write {CHART_FILE}"))?;
    if !digest.monitoring.trend.is_empty() {
        let png = trend_chart(&digest.monitoring)
            .map_err(|e| anyhow::anyhow!("could not draw the trend chart: {e}"))?;
        std::fs::write(Path::new(TREND_FILE), png)
            .with_context(|| format!("could not write {TREND_FILE}"))?;
    }
    writeln!(out)?;
    write!(out, "{}", markdown::digest_markdown(&digest))?;
    let reminder = load_reminder(store, &board, SAMPLE_AS_OF).await?;
    writeln!(
        out,
        "---
"
    )?;
    write!(
        out,
        "{}",
        markdown::reminder_markdown(reminder.as_ref(), SAMPLE_AS_OF)
    )?;
    writeln!(
        out,
        "---

The digest's chart is in {CHART_FILE}, and the monitoring figures' trend (illustrative
figures, not real data) in {TREND_FILE}. For the meeting pack, write the board paper (one
self-contained HTML file, chart included, that prints on A4):
    briefing-bot digest --as-of {SAMPLE_AS_OF} --format html --out paper.html
The record as it stood on 1 August 2010, rebuilt from the history:
    briefing-bot digest --as-of 2010-08-01 --point-in-time"
    )?;
    Ok(())
}
