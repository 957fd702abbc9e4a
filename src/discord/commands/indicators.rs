//! `/indicator list` and `/indicator show`: the board's monitoring figures, for anyone on the
//! board, privately. `show` gives the last eight quarters board-wide (and for an area) as a
//! short table with the trend chart, under the small-number rule the digest follows.

use poise::serenity_prelude as serenity;

use super::private;
use crate::digest::monitoring::{first_quarter_read, one_indicator, Monitoring};
use crate::digest::render::chart::trend_chart;
use crate::digest::render::figures::{figure_text, SMALL_NUMBERS_NOTE};
use crate::discord::format::{escape, fit, join_within, limits, no_pings};
use crate::discord::{current_board, BotError, Context};
use crate::domain::indicators::{area_key, likely_same_area, Better, Indicator, IndicatorKey};
use crate::domain::Period;

/// The board's monitoring indicators and their figures.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("list", "show"),
    subcommand_required
)]
pub async fn indicator(_ctx: Context<'_>) -> Result<(), BotError> {
    Ok(())
}

fn better_words(better: Better) -> &'static str {
    match better {
        Better::Higher => "higher is better",
        Better::Lower => "lower is better",
        Better::None => "not rated",
    }
}

const NO_INDICATORS: &str = "This board monitors no indicators yet. The secretariat imports \
them with /import kind:indicators, then their figures with /import kind:figures.";

/// The board's indicators: key, name, unit and which way is better.
#[poise::command(slash_command, guild_only)]
pub async fn list(ctx: Context<'_>) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let indicators = ctx.data().store.indicators(board.id).await?;
    if indicators.is_empty() {
        ctx.send(private(NO_INDICATORS)).await?;
        return Ok(());
    }
    let mut lines = vec![format!(
        "**{} indicators** (/indicator show key:… for the figures):",
        indicators.len()
    )];
    lines.extend(indicators.iter().map(|i| {
        format!(
            "`{}` {} — {}, {}{}",
            i.key,
            escape(&fit(&i.name, 120)),
            i.unit.as_str(),
            better_words(i.better),
            i.theme
                .as_deref()
                .map(|t| format!(" · {}", escape(t)))
                .unwrap_or_default()
        )
    }));
    ctx.send(private(join_within(&lines, limits::CONTENT)))
        .await?;
    Ok(())
}

/// Autocomplete for indicator keys: matches the key or words of the name.
async fn autocomplete_indicator(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let partial = partial.trim().to_lowercase();
    let choices = match current_board(ctx).await {
        Ok(board) => ctx
            .data()
            .store
            .indicators(board.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|i| {
                i.key.as_str().contains(&partial) || i.name.to_lowercase().contains(&partial)
            })
            .take(25)
            .map(|i| {
                let name = fit(&format!("{} — {}", i.key, i.name), 100);
                serenity::AutocompleteChoice::new(name, i.key.to_string())
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Autocomplete for areas: the areas the board has figures for.
async fn autocomplete_area(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let partial = area_key(partial);
    let choices = match current_board(ctx).await {
        Ok(board) => ctx
            .data()
            .store
            .figure_areas(board.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|a| area_key(a).contains(&partial))
            .take(25)
            .map(|a| {
                let name = fit(&a, 100);
                serenity::AutocompleteChoice::new(name, a)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// A table cell inside a code block: no backticks (they would end the block), one line.
fn code_cell(text: &str, width: usize) -> String {
    let text = fit(
        &crate::digest::render::text::visible(text).replace(['`', '\n'], "'"),
        width,
    );
    format!("{text:<width$}")
}

/// One indicator over the last eight quarters, board-wide and for an area, with the chart.
#[poise::command(slash_command, guild_only)]
pub async fn show(
    ctx: Context<'_>,
    #[description = "The indicator's key"]
    #[autocomplete = "autocomplete_indicator"]
    #[max_length = 40]
    key: String,
    #[description = "An area (borough) to show beside the board-wide figure"]
    #[autocomplete = "autocomplete_area"]
    #[max_length = 100]
    area: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    let store = &ctx.data().store;
    let indicators = store.indicators(board.id).await?;
    if indicators.is_empty() {
        return Err(BotError::user(NO_INDICATORS));
    }
    let wanted = IndicatorKey::parse(&key).map_err(|e| BotError::user(e.to_string()))?;
    let Some(indicator) = indicators.iter().find(|i| i.key == wanted) else {
        let keys: Vec<&str> = indicators.iter().map(|i| i.key.as_str()).take(20).collect();
        return Err(BotError::user(format!(
            "There is no indicator {wanted} on this board; pick one from the list as you type, \
             or see /indicator list. Keys: {}",
            keys.join(", ")
        )));
    };
    let today = board.settings.time_zone.today(ctx.data().clock.now());
    let period = Period::reviewed_on(today, board.settings.year_start_month.get());
    let figures: Vec<_> = store
        .figures(
            board.id,
            Some(first_quarter_read(&period)),
            Some(period.start),
        )
        .await?
        .into_iter()
        .filter(|f| f.indicator == indicator.key)
        .collect();
    let area_name = match area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(asked) => {
            let known = store.figure_areas(board.id).await?;
            match known.iter().find(|a| area_key(a) == area_key(asked)) {
                Some(found) => Some(found.clone()),
                None => {
                    let hint = likely_same_area(asked, known.iter().map(String::as_str))
                        .map(|a| format!(" Did you mean {}?", escape(a)))
                        .unwrap_or_default();
                    return Err(BotError::user(format!(
                        "The board has no figures for an area called {}.{hint} Pick one from \
                         the list as you type.",
                        escape(asked)
                    )));
                }
            }
        }
    };
    let monitoring = one_indicator(
        indicator,
        &figures,
        &period,
        &board.settings.monitoring,
        area_name.as_deref(),
    );
    let reply = show_reply(indicator, &monitoring, area_name.as_deref());
    ctx.send(reply).await?;
    Ok(())
}

/// The reply to `/indicator show`: the table, the notes and the chart.
fn show_reply(indicator: &Indicator, m: &Monitoring, area: Option<&str>) -> poise::CreateReply {
    let hide = m.hide_small_numbers;
    let unit = indicator.unit;
    let board_trend = &m.trend[0];
    let area_trend = m.trend.get(1);
    let mut table = vec![format!(
        "{}  {}{}",
        code_cell("Quarter", 10),
        code_cell("Board-wide", 30),
        area.map(|a| format!("  {}", code_cell(a, 30)))
            .unwrap_or_default()
    )];
    for (i, p) in board_trend.points.iter().enumerate() {
        let area_cell = area_trend
            .and_then(|t| t.points.get(i))
            .map(|ap| format!("  {}", code_cell(&figure_text(ap.amount, unit, hide), 30)))
            .unwrap_or_default();
        table.push(format!(
            "{}  {}{area_cell}",
            code_cell(&p.label, 10),
            code_cell(&figure_text(p.amount, unit, hide), 30),
        ));
    }
    let mut text = format!(
        "**{}** (`{}`: {}, {})\n```\n{}\n```",
        escape(&fit(&indicator.name, 150)),
        indicator.key,
        unit.as_str(),
        better_words(indicator.better),
        table
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    if let Some(description) = &indicator.description {
        text.push_str(&format!("\n{}", escape(&fit(description, 700))));
    }
    if hide {
        text.push_str(&format!("\n-# {SMALL_NUMBERS_NOTE}"));
    }
    let mut reply = poise::CreateReply::default()
        .content(fit(&text, limits::CONTENT))
        .ephemeral(true)
        .allowed_mentions(no_pings());
    match trend_chart(m) {
        Ok(png) => {
            reply = reply.attachment(serenity::CreateAttachment::bytes(
                png,
                format!("{}.png", indicator.key),
            ));
        }
        Err(e) => tracing::warn!(error = %e, "showing the indicator without its chart"),
    }
    reply
}

/// Monitoring figures: exception thresholds, small numbers, the trend chart's indicators.
#[poise::command(slash_command, guild_only, rename = "monitoring")]
pub async fn setup_monitoring(
    ctx: Context<'_>,
    #[description = "An area moving the wrong way by more than this % is an exception (default 10)"]
    #[min = 1]
    #[max = 1000]
    exception_percent: Option<u32>,
    #[description = "For counts, the change must also be at least this many (default 5)"]
    #[max = 100000]
    exception_min_count: Option<u32>,
    #[description = "Hide counts of 1–4 and percentages of fewer than 5 cases (default true)"]
    hide_small_numbers: Option<bool>,
    #[description = "Indicator keys the trend chart draws, comma-separated; \"all\" for every one"]
    #[max_length = 1000]
    trend_indicators: Option<String>,
) -> Result<(), BotError> {
    let board = current_board(ctx).await?;
    crate::discord::access::require(ctx, &board, crate::discord::access::Access::Admin).await?;
    let trend = match trend_indicators.as_deref().map(str::trim) {
        None => None,
        Some("") | Some("all") => Some(Vec::new()),
        Some(list) => {
            let defined = ctx.data().store.indicators(board.id).await?;
            let mut keys = Vec::new();
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let key = IndicatorKey::parse(part).map_err(|e| BotError::user(e.to_string()))?;
                if !defined.iter().any(|i| i.key == key) {
                    return Err(BotError::user(format!(
                        "There is no indicator {key} on this board; /indicator list shows the keys."
                    )));
                }
                keys.push(key.to_string());
            }
            Some(keys)
        }
    };
    let by = super::author_tag(ctx);
    let author = crate::services::actions::Author {
        by: &by,
        at: ctx.data().clock.now(),
    };
    let change =
        crate::services::settings::change_board(&ctx.data().store, board.id, &author, |b| {
            let m = &mut b.settings.monitoring;
            m.exception_percent = exception_percent.unwrap_or(m.exception_percent);
            m.exception_min_count = exception_min_count.unwrap_or(m.exception_min_count);
            m.hide_small_numbers = hide_small_numbers.unwrap_or(m.hide_small_numbers);
            if let Some(trend) = &trend {
                m.trend_indicators = trend.clone();
            }
            Ok(())
        })
        .await?;
    ctx.send(private(format!(
        "Monitoring settings saved.\n{}",
        super::setup::describe_monitoring(&change.after.settings.monitoring)
    )))
    .await?;
    Ok(())
}
