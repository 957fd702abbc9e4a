//! `/import` and `/export`: CSV in and out as attachments (secretariat) — the record, and the
//! board's indicators and figures.

use poise::serenity_prelude as serenity;

use super::private;
use crate::discord::access::{require, Access};
use crate::discord::{current_board, BotError, Context};
use crate::domain::spreadsheet::Cells;
use crate::services::export::{export_csv, ExportKind};
use crate::services::import::{import_csv, ImportError, ImportOptions, RecordKind};
use crate::services::indicator_export::{export_indicators_csv, IndicatorExport};
use crate::services::indicators::{import_indicator_csv, IndicatorFile};

/// What a CSV file holds.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RecordChoice {
    #[name = "recommendations"]
    Recommendations,
    #[name = "actions"]
    Actions,
    #[name = "indicators"]
    Indicators,
    #[name = "figures"]
    Figures,
}

/// What to export.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ExportChoice {
    #[name = "recommendations"]
    Recommendations,
    #[name = "actions"]
    Actions,
    #[name = "history"]
    History,
    #[name = "settings history"]
    SettingsHistory,
    #[name = "indicators"]
    Indicators,
    #[name = "figures"]
    Figures,
    #[name = "indicator history"]
    IndicatorHistory,
}

/// Largest attachment `/import` reads; larger files belong on the command line.
const MAX_IMPORT_BYTES: u32 = 8 * 1024 * 1024;

/// Load recommendations, actions, indicators or figures from a CSV file: all of it, or nothing.
#[poise::command(slash_command, guild_only)]
pub async fn import(
    ctx: Context<'_>,
    #[description = "What the file holds"] kind: RecordChoice,
    #[description = "The CSV file (see /help for the columns)"] file: serenity::Attachment,
    #[description = "Change records whose ref already exists"] update: Option<bool>,
    #[description = "Check only; write nothing"] dry_run: Option<bool>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    if file.size > MAX_IMPORT_BYTES {
        return Err(BotError::user(format!(
            "{} is {} MB; /import takes files up to {} MB. Split it, or use `briefing-bot import` on the server.",
            file.filename,
            file.size / (1024 * 1024),
            MAX_IMPORT_BYTES / (1024 * 1024)
        )));
    }
    ctx.defer_ephemeral().await?;
    let bytes = file.download().await?;
    let by = super::author_tag(ctx);
    let options = ImportOptions {
        update: update.unwrap_or(false),
        dry_run: dry_run.unwrap_or(false),
        by: &by,
        now: ctx.data().clock.now(),
        ..Default::default()
    };
    let store = &ctx.data().store;
    let (slug, name) = (Some(&board.slug), &file.filename);
    let result = match kind {
        RecordChoice::Recommendations => {
            import_csv(
                store,
                slug,
                RecordKind::Recommendations,
                name,
                &bytes,
                &options,
            )
            .await
        }
        RecordChoice::Actions => {
            import_csv(store, slug, RecordKind::Actions, name, &bytes, &options).await
        }
        RecordChoice::Indicators => {
            import_indicator_csv(
                store,
                slug,
                IndicatorFile::Indicators,
                name,
                &bytes,
                &options,
            )
            .await
        }
        RecordChoice::Figures => {
            import_indicator_csv(store, slug, IndicatorFile::Figures, name, &bytes, &options).await
        }
    };
    match result {
        Ok(summary) => {
            let mut text = format!("Imported {}: {summary}.", file.filename);
            for warning in &summary.warnings {
                text.push_str(&format!("\nNote: {warning}."));
            }
            ctx.send(private(text)).await?;
        }
        Err(ImportError::Invalid {
            file: name,
            problems,
        }) => {
            // The full list goes in a file so no problem is cut off.
            let listing: String = problems.iter().map(|p| format!("{p}\n")).collect();
            let first: Vec<String> = problems.iter().take(10).map(|p| format!("• {p}")).collect();
            let more = problems.len().saturating_sub(10);
            let mut text = format!(
                "{name} was rejected and nothing was imported. {} problem{}:\n{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                first.join("\n")
            );
            if more > 0 {
                text.push_str(&format!(
                    "\n…and {more} more (all listed in the attached file)"
                ));
            }
            ctx.send(private(crate::discord::format::escape(&text)).attachment(
                serenity::CreateAttachment::bytes(listing.into_bytes(), "import-problems.txt"),
            ))
            .await?;
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// Download recommendations, actions or the history as CSV.
#[poise::command(slash_command, guild_only)]
pub async fn export(
    ctx: Context<'_>,
    #[description = "What to export"] kind: ExportChoice,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    require(ctx, &board, Access::Admin).await?;
    let (kind, name) = match kind {
        ExportChoice::Recommendations => (Ok(ExportKind::Recommendations), "recommendations"),
        ExportChoice::Actions => (Ok(ExportKind::Actions), "actions"),
        ExportChoice::History => (Ok(ExportKind::History), "history"),
        ExportChoice::SettingsHistory => (Ok(ExportKind::SettingsHistory), "settings-history"),
        ExportChoice::Indicators => (Err(IndicatorExport::Indicators), "indicators"),
        ExportChoice::Figures => (Err(IndicatorExport::Figures), "figures"),
        ExportChoice::IndicatorHistory => (Err(IndicatorExport::History), "indicator-history"),
    };
    let mut bytes = Vec::new();
    let store = &ctx.data().store;
    let cells = Cells::SpreadsheetSafe;
    let rows = match kind {
        Ok(kind) => export_csv(store, &board, kind, cells, &mut bytes).await?,
        Err(what) => export_indicators_csv(store, &board, what, cells, &mut bytes).await?,
    };
    let file = format!("{}-{name}.csv", board.slug);
    ctx.send(
        private(format!("{rows} rows of {name} from board {}.", board.slug))
            .attachment(serenity::CreateAttachment::bytes(bytes, file)),
    )
    .await?;
    Ok(())
}
