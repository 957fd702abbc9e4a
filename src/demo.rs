//! `briefing-bot demo`: the main job on a laptop. Loads the sample board into the default
//! database and prints what the board would see on the sample's as-of date.

use std::io::Write;

use anyhow::Result;

use crate::domain::{format_long_date, Period};
use crate::sample::{load_sample_board, SAMPLE_AS_OF};
use crate::store::Store;

/// Load the sample board (once) and print its briefing as of [`SAMPLE_AS_OF`].
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
    let as_of = SAMPLE_AS_OF;
    let period = Period::reviewed_on(as_of, board.settings.year_start_month.get());
    let actions = store.actions(board.id).await?;
    writeln!(
        out,
        "\n# {} — as of {}\n",
        board.name,
        format_long_date(as_of)
    )?;
    let open = actions.iter().filter(|a| !a.status.is_closed()).count();
    let mut overdue: Vec<_> = actions.iter().filter(|a| a.is_overdue(as_of)).collect();
    overdue.sort_by(|a, b| {
        b.days_overdue(as_of)
            .cmp(&a.days_overdue(as_of))
            .then(a.reference.cmp(&b.reference))
    });
    writeln!(
        out,
        "{} actions: {open} open, {} overdue.\n",
        actions.len(),
        overdue.len()
    )?;
    writeln!(out, "## Overdue\n")?;
    for a in &overdue {
        writeln!(
            out,
            "- {} {} — {} (due {}, {} days overdue)",
            a.reference,
            a.title,
            a.owner,
            a.due,
            a.days_overdue(as_of)
        )?;
    }
    writeln!(
        out,
        "\n## Completed in {} ({} to {})\n",
        period.label(),
        period.start,
        period.end
    )?;
    for a in actions.iter().filter(|a| {
        a.completed_on
            .is_some_and(|d| period.contains(d) && d <= as_of)
    }) {
        writeln!(out, "- {} {} — {}", a.reference, a.title, a.owner)?;
    }
    Ok(())
}
