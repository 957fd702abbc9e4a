//! The digest's monitoring section as one Discord embed: each indicator's board-wide figure
//! with its change against last quarter and a year ago (words and signs, small numbers hidden
//! by the board's rule), the exceptions and the missing returns, and the trend chart attached.

use crate::digest::monitoring::Monitoring;
use crate::digest::render::chart::trend_chart;
use crate::digest::render::figures::section_text;

use super::escape::escape;
use super::lines::{fit, join_within, PURPLE};
use super::message::{limits, Embed, File};

/// The trend chart's file name in the post.
pub const TREND_FILE: &str = "trend-chart.png";

/// Room the description may take, so the embed (with its two fields and footer) stays within
/// Discord's 6,000 characters for all of a message's embeds.
const DESCRIPTION_ROOM: usize = 3000;

/// The section as an embed with the trend chart attached; `None` for a board with no
/// indicators.
pub fn monitoring_embed(m: &Monitoring) -> Option<(Embed, Vec<File>)> {
    let s = section_text(m)?;
    let label = |q: &Option<crate::digest::monitoring::Quarter>| {
        q.as_ref().map(|q| q.label.clone()).unwrap_or_default()
    };
    let mut lines = vec![format!(
        "Board-wide, against last quarter ({}) and a year ago ({}):",
        label(&m.previous),
        label(&m.year_ago)
    )];
    lines.extend(s.rows.iter().map(|r| {
        format!(
            "**{}**: {} · last quarter {} · a year ago {} · **{}**",
            escape(&fit(&r.name, 120)),
            escape(&r.value),
            escape(&r.vs_previous),
            escape(&r.vs_year_ago),
            r.rating
        )
    }));
    let listed = |items: &[String], none: &str| {
        if items.is_empty() {
            none.to_string()
        } else {
            let escaped: Vec<String> = items.iter().map(|i| format!("• {}", escape(i))).collect();
            join_within(&escaped, limits::FIELD_VALUE)
        }
    };
    let mut footer = Vec::new();
    if m.trend.iter().any(|t| t.illustrative) {
        footer.push("Illustrative figures, not real data.".to_string());
    }
    if let Some(rule) = s.small_numbers {
        footer.push(rule.to_string());
    }
    footer.push("What each indicator counts: /indicator show.".to_string());
    let mut embed = Embed {
        title: fit(&s.heading, limits::EMBED_TITLE),
        description: join_within(&lines, DESCRIPTION_ROOM),
        colour: PURPLE,
        fields: vec![
            (
                format!("Exceptions ({})", s.exceptions.len()),
                listed(&s.exceptions, "None."),
                false,
            ),
            (
                format!("Missing returns ({})", s.missing_returns.len()),
                listed(
                    &s.missing_returns,
                    "None: every area that reported last quarter reported this one.",
                ),
                false,
            ),
        ],
        footer: Some(fit(&footer.join(" "), limits::FOOTER)),
        ..Default::default()
    };
    let mut files = Vec::new();
    if !m.trend.is_empty() {
        match trend_chart(m) {
            Ok(png) => {
                embed.image = Some(format!("attachment://{TREND_FILE}"));
                files.push(File {
                    name: TREND_FILE.into(),
                    bytes: png,
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "posting the monitoring figures without their trend chart")
            }
        }
    }
    Some((embed, files))
}
