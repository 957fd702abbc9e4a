//! The digest's chart: actions by borough (or owner), one horizontal bar each, stacked so every
//! action is counted once — overdue first, then off track, at risk, on track, not started, done.
//! Drawn with an embedded font, so it renders on a machine with no fonts installed. Also the
//! monitoring section's trend chart: each indicator's board-wide figure over eight quarters.

use std::sync::Once;

use plotters::prelude::*;

use super::text::{fit, visible};
use crate::digest::build::ChartRow;
use crate::digest::monitoring::{Monitoring, Trend};
use crate::digest::Digest;
use crate::domain::indicators::Unit;

/// DejaVu Sans (Bitstream Vera licence; see assets/fonts/LICENSE-DejaVu.txt).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "briefing-sans";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            tracing::error!("the embedded chart font could not be loaded");
        }
    });
}

/// Segment names and colours, in stacking order.
const SEGMENTS: [(&str, RGBColor); 6] = [
    ("Overdue", RGBColor(0x7B, 0x1F, 0x1F)),
    ("Off track", RGBColor(0xE5, 0x39, 0x35)),
    ("At risk", RGBColor(0xF9, 0xA8, 0x25)),
    ("On track", RGBColor(0x43, 0xA0, 0x47)),
    ("Not started", RGBColor(0xB0, 0xBE, 0xC5)),
    ("Done", RGBColor(0x1E, 0x88, 0xE5)),
];

fn counts(r: &ChartRow) -> [usize; 6] {
    [
        r.overdue,
        r.off_track,
        r.at_risk,
        r.on_track,
        r.not_started,
        r.done,
    ]
}

/// The most bars drawn; the rest are summed into one "Others" bar so the chart stays legible.
const MAX_BARS: usize = 20;

/// A bar's label: the name as it is shown everywhere (no bidi controls or invisible
/// characters; see [`super::text`]) on one line, cut with "…" to at most `max` characters.
pub fn label(name: &str, max: usize) -> String {
    fit(&visible(name).replace(['\n', '\r'], " "), max)
}

/// The most characters of a label, and the most pixels: the label area is 220 pixels wide,
/// and a label wider than it would run off the image's left edge.
const LABEL_MAX: usize = 30;
const LABEL_WIDTH: u32 = 200;

/// Render the chart as PNG bytes.
pub fn digest_chart(d: &Digest) -> Result<Vec<u8>, String> {
    register_font();
    let mut rows: Vec<ChartRow> = d.chart.iter().take(MAX_BARS).cloned().collect();
    if d.chart.len() > MAX_BARS {
        let mut others = ChartRow {
            name: format!("{} others", d.chart.len() - MAX_BARS),
            ..Default::default()
        };
        for r in &d.chart[MAX_BARS..] {
            others.overdue += r.overdue;
            others.off_track += r.off_track;
            others.at_risk += r.at_risk;
            others.on_track += r.on_track;
            others.not_started += r.not_started;
            others.done += r.done;
        }
        rows.push(others);
    }
    let (width, height) = (1000u32, 140 + 34 * rows.len().max(1) as u32);
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = rows.iter().map(ChartRow::total).max().unwrap_or(1).max(1);
        let title = format!(
            "Actions by {} — {} (as of {})",
            d.chart_grouping,
            d.period.label,
            d.as_of.format("%-d %b %Y")
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 22))
            .margin(16)
            .x_label_area_size(30)
            .y_label_area_size(220)
            .build_cartesian_2d(
                0..(max + max / 10 + 1),
                (0..rows.len().max(1) - 1).into_segmented(),
            )
            .map_err(|e| e.to_string())?;
        // Bars are drawn top-down in the rows' order (most overdue first): row i sits at
        // position n-1-i, since the y axis grows upwards.
        let n = rows.len();
        let label_style: TextStyle = (FAMILY, 14).into();
        let too_wide = |text: &str| {
            root.estimate_text_size(text, &label_style)
                .is_ok_and(|(w, _)| w > LABEL_WIDTH)
        };
        let names: Vec<String> = rows
            .iter()
            .rev()
            .map(|r| {
                let mut max = LABEL_MAX;
                let mut text = label(&r.name, max);
                while max > 2 && too_wide(&text) {
                    max -= 1;
                    text = label(&r.name, max);
                }
                text
            })
            .collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("actions")
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 14))
            .draw()
            .map_err(|e| e.to_string())?;
        for (segment, (name, colour)) in SEGMENTS.iter().enumerate() {
            let bars = rows.iter().enumerate().filter_map(|(i, r)| {
                let c = counts(r);
                let start: usize = c[..segment].iter().sum();
                let y = n - 1 - i;
                (c[segment] > 0).then(|| {
                    Rectangle::new(
                        [
                            (start, SegmentValue::Exact(y)),
                            (start + c[segment], SegmentValue::Exact(y + 1)),
                        ],
                        colour.filled(),
                    )
                })
            });
            chart
                .draw_series(bars)
                .map_err(|e| e.to_string())?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                });
        }
        // White lines between bars and between segments, so neighbours stay distinguishable.
        let outlines = rows.iter().enumerate().flat_map(|(i, r)| {
            let c = counts(r);
            let y = n - 1 - i;
            (0..6).filter(move |s| c[*s] > 0).map(move |s| {
                let start: usize = c[..s].iter().sum();
                Rectangle::new(
                    [
                        (start, SegmentValue::Exact(y)),
                        (start + c[s], SegmentValue::Exact(y + 1)),
                    ],
                    WHITE.stroke_width(3),
                )
            })
        });
        chart.draw_series(outlines).map_err(|e| e.to_string())?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FAMILY, 14))
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or("chart buffer has the wrong size")?;
    let mut png = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut png),
            image::ImageOutputFormat::Png,
        )
        .map_err(|e| e.to_string())?;
    Ok(png)
}

/// The most indicators the trend chart draws; a board with more chooses which
/// (`trend_indicators`), or sees the first ones by key.
pub const MAX_TREND_PANELS: usize = 12;

/// "Q2 2010/11" → "Q2 10/11", "Q3 2010" → "Q3 10": eight of them fit under a panel.
fn short_quarter(label: &str) -> String {
    match label.split_once(' ') {
        Some((q, year)) if year.len() >= 4 => format!("{q} {}", &year[2..]),
        _ => label.to_string(),
    }
}

/// Encode an RGB buffer as PNG.
fn png(width: u32, height: u32, pixels: Vec<u8>) -> Result<Vec<u8>, String> {
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or("chart buffer has the wrong size")?;
    let mut png = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut png),
            image::ImageOutputFormat::Png,
        )
        .map_err(|e| e.to_string())?;
    Ok(png)
}

/// The trend chart: one small panel per indicator (the board's chosen ones, or all, up to
/// [`MAX_TREND_PANELS`]), each the board-wide figure over the last eight quarters. A quarter
/// with no return is a gap; so is one the small-number rule hides, when the board hides them.
pub fn trend_chart(m: &Monitoring) -> Result<Vec<u8>, String> {
    register_font();
    let trends: Vec<&Trend> = m.trend.iter().take(MAX_TREND_PANELS).collect();
    let columns = if trends.len() <= 4 { 2u32 } else { 3 };
    let rows = (trends.len().max(1) as u32).div_ceil(columns);
    let (panel_w, panel_h) = (420u32, 210u32);
    let (width, height) = (panel_w * columns, 50 + panel_h * rows);
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let reviewed = m.reviewed.as_ref().map(|q| q.label.as_str()).unwrap_or("");
        let title = format!("Monitoring figures, board-wide: the eight quarters to {reviewed}");
        root.draw_text(&title, &(FAMILY, 22).into(), (16, 12))
            .map_err(|e| e.to_string())?;
        if trends.iter().any(|t| t.illustrative) {
            let note = "Illustrative figures, not real data";
            root.draw_text(note, &(FAMILY, 16).into(), (width as i32 - 320, 16))
                .map_err(|e| e.to_string())?;
        }
        let body = root.margin(50, 0, 0, 0);
        let panels = body.split_evenly((rows as usize, columns as usize));
        let colour = RGBColor(0x4A, 0x2A, 0x6B);
        for (panel, trend) in panels.iter().zip(&trends) {
            let values: Vec<Option<f64>> = trend
                .points
                .iter()
                .map(|p| {
                    let amount = p.amount?;
                    if m.hide_small_numbers && amount.is_small(trend.unit) {
                        return None;
                    }
                    amount.tenths(trend.unit).map(|t| t as f64 / 10.0)
                })
                .collect();
            let top = values.iter().flatten().copied().fold(0.0f64, f64::max);
            let top = match trend.unit {
                Unit::Percent => (top * 1.15).clamp(1.0, 100.0),
                Unit::Count => (top * 1.15).max(5.0),
            };
            let labels: Vec<String> = trend
                .points
                .iter()
                .map(|p| short_quarter(&p.label))
                .collect();
            let n = trend.points.len().max(1);
            let mut chart = ChartBuilder::on(panel)
                .caption(label(&trend.name, 44), (FAMILY, 14))
                .margin(10)
                .margin_right(24)
                .x_label_area_size(26)
                .y_label_area_size(48)
                .build_cartesian_2d(0..(n - 1).max(1), 0.0..top)
                .map_err(|e| e.to_string())?;
            let percent = trend.unit == Unit::Percent;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
                .y_labels(5)
                .y_label_formatter(&|v| {
                    if percent {
                        format!("{v:.0}%")
                    } else {
                        format!("{v:.0}")
                    }
                })
                .label_style((FAMILY, 10))
                .draw()
                .map_err(|e| e.to_string())?;
            // Lines join neighbouring quarters that both have a figure shown.
            let segments = values.windows(2).enumerate().filter_map(|(i, w)| {
                Some(PathElement::new(
                    vec![(i, w[0]?), (i + 1, w[1]?)],
                    colour.stroke_width(2),
                ))
            });
            chart.draw_series(segments).map_err(|e| e.to_string())?;
            let dots = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some(Circle::new((i, (*v)?), 4, colour.filled())));
            chart.draw_series(dots).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    png(width, height, pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_clean_single_lines_cut_whole() {
        assert_eq!(label("a\u{202E}b\u{200B}c\nd", 30), "abc d");
        assert_eq!(label(&"W".repeat(4000), 30).chars().count(), 30);
        let nurse = "\u{1F469}\u{200D}\u{2695}\u{FE0F}";
        assert_eq!(label(&format!("ab{nurse}"), 4), "ab…");
    }
}
