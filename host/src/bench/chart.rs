//! A horizontal bar chart as a self-contained SVG file: one bar per
//! measurement at its median, a whisker from its minimum to its maximum, and
//! the median written beside it. Hand-written, because a few rectangles do
//! not need a plotting library.

use std::fmt::Write;

use super::stats::Spread;

/// One bar of the chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: Spread,
}

const LABEL_WIDTH: f64 = 230.0;
const PLOT_WIDTH: f64 = 460.0;
const VALUE_WIDTH: f64 = 110.0;
const BAR_HEIGHT: f64 = 22.0;
const BAR_GAP: f64 = 10.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 34.0;

/// Renders `bars` scaled to the largest maximum, with `title` above and
/// `unit` under the axis.
pub fn bar_chart(title: &str, unit: &str, bars: &[Bar]) -> String {
    let width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
    let height = TOP + bars.len() as f64 * (BAR_HEIGHT + BAR_GAP) + BOTTOM;
    let scale_max = bars
        .iter()
        .map(|b| b.value.max)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let x = |value: f64| LABEL_WIDTH + value / scale_max * PLOT_WIDTH;

    let mut svg = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/><text x="10" y="24" font-size="15" font-weight="bold">{}</text>"##,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let top = TOP + i as f64 * (BAR_HEIGHT + BAR_GAP);
        let middle = top + BAR_HEIGHT / 2.0;
        let v = bar.value;
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" dominant-baseline="middle">{}</text>"##,
            LABEL_WIDTH - 8.0,
            middle,
            escape(&bar.label)
        );
        let _ = writeln!(
            svg,
            r##"<rect x="{LABEL_WIDTH}" y="{top:.1}" width="{:.1}" height="{BAR_HEIGHT}" fill="#4878a8"><title>{}: median {:.1}, min {:.1}, max {:.1} {}</title></rect>"##,
            x(v.median) - LABEL_WIDTH,
            escape(&bar.label),
            v.median,
            v.min,
            v.max,
            escape(unit)
        );
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" x2="{:.1}" y1="{middle:.1}" y2="{middle:.1}" stroke="#222" stroke-width="1.5"/>"##,
            x(v.min),
            x(v.max)
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{middle:.1}" dominant-baseline="middle">{}</text>"##,
            x(v.max) + 6.0,
            format_value(v.median)
        );
    }
    let axis_y = height - BOTTOM + 4.0;
    let _ = writeln!(
        svg,
        r##"<line x1="{LABEL_WIDTH}" x2="{:.1}" y1="{axis_y:.1}" y2="{axis_y:.1}" stroke="#888"/><text x="{LABEL_WIDTH}" y="{:.1}" fill="#555">0</text><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{} {}</text>"##,
        LABEL_WIDTH + PLOT_WIDTH,
        axis_y + 18.0,
        LABEL_WIDTH + PLOT_WIDTH,
        axis_y + 18.0,
        format_value(scale_max),
        escape(unit)
    );
    svg.push_str("</svg>\n");
    svg
}

fn format_value(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::{Bar, bar_chart};
    use crate::bench::stats::Spread;

    #[test]
    fn one_bar_per_measurement_scaled_to_the_largest() {
        let spread = |median, min, max| Spread { median, min, max };
        let svg = bar_chart(
            "parse <tweets>",
            "MB/s",
            &[
                Bar {
                    label: "fast".into(),
                    value: spread(400.0, 390.0, 460.0),
                },
                Bar {
                    label: "slow".into(),
                    value: spread(200.0, 190.0, 210.0),
                },
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("parse &lt;tweets&gt;"));
        // The largest maximum ends the plot (230 + 460); the slow median
        // spans 200/460 of it.
        assert!(svg.contains(r#"x1="620.0" x2="690.0""#), "{svg}");
        assert!(svg.contains(r#"width="200.0""#), "{svg}");
        assert_eq!(svg.matches("<rect x=").count(), 2);
    }
}
