//! The admin dashboard's charts, drawn by Rampart as inline SVG: no script,
//! no external library, nothing for the Content-Security-Policy to allow.
//! Every label is ours (said in the page's language by `say`) or a number;
//! the text that goes in is escaped anyway.

use rampart_core::Words;
use rampart_core::admin::HourOfSignIns;
use std::fmt::Write as _;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;
const SUCCEEDED: &str = "#1a7f37";
const FAILED: &str = "#cf222e";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sign-ins succeeded and failed per hour (oldest first) as two lines, with
/// a tick per day and a legend.
pub fn sign_ins(hours: &[HourOfSignIns], say: impl Fn(&Words) -> String) -> String {
    let total_ok: i64 = hours.iter().map(|h| h.succeeded).sum();
    let total_failed: i64 = hours.iter().map(|h| h.failed).sum();
    let peak = hours
        .iter()
        .map(|h| h.succeeded.max(h.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / (hours.len().max(2) - 1) as f64;
    let x = |i: usize| LEFT + step * i as f64;
    let y = |n: i64| TOP + plot_h - plot_h * n as f64 / peak as f64;
    let line = |value: fn(&HourOfSignIns) -> i64| {
        hours
            .iter()
            .enumerate()
            .map(|(i, h)| format!("{:.1},{:.1}", x(i), y(value(h))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let label = say(&Words::new(
        "chart-sign-ins",
        format!(
            "Sign-ins per hour over the last 7 days: {total_ok} succeeded, {total_failed} failed"
        ),
    )
    .with("succeeded", total_ok)
    .with("failed", total_failed));
    let succeeded = say(
        &Words::new("chart-succeeded", format!("succeeded ({total_ok})")).with("count", total_ok),
    );
    let failed = say(
        &Words::new("chart-failed", format!("failed ({total_failed})")).with("count", total_failed),
    );
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-sign-ins" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}"><title>{label}</title>"#,
        label = escape(&label)
    );
    // Axes and the peak value.
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}" stroke="#888"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><text x="{tx}" y="{ty}" font-size="11" text-anchor="end">{peak}</text><text x="{tx}" y="{b}" font-size="11" text-anchor="end">0</text>"##,
        b = TOP + plot_h,
        r = WIDTH - RIGHT,
        tx = LEFT - 6.0,
        ty = TOP + 4.0,
    );
    // A tick and a date at each midnight (UTC).
    for (i, h) in hours.iter().enumerate() {
        if h.hour.hour() == 0 {
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" y1="{b}" x2="{x:.1}" y2="{t}" stroke="#888"/><text x="{x:.1}" y="{ly}" font-size="11" text-anchor="middle">{day}</text>"##,
                x = x(i),
                b = TOP + plot_h,
                t = TOP + plot_h + 5.0,
                ly = TOP + plot_h + 18.0,
                day = escape(&say(&Words::new(
                    "chart-day",
                    format!("{:02}-{:02}", u8::from(h.hour.month()), h.hour.day()),
                )
                .with("month", format!("{:02}", u8::from(h.hour.month())))
                .with("day", format!("{:02}", h.hour.day())),)),
            );
        }
    }
    let _ = write!(
        svg,
        r#"<polyline class="succeeded" fill="none" stroke="{SUCCEEDED}" stroke-width="1.5" points="{ok}"/><polyline class="failed" fill="none" stroke="{FAILED}" stroke-width="1.5" points="{bad}"/>"#,
        ok = line(|h| h.succeeded),
        bad = line(|h| h.failed),
    );
    let ly = HEIGHT - 6.0;
    let _ = write!(
        svg,
        r#"<rect x="{LEFT}" y="{ry}" width="10" height="10" fill="{SUCCEEDED}"/><text x="{t1}" y="{ly}" font-size="12">{succeeded}</text><rect x="{r2}" y="{ry}" width="10" height="10" fill="{FAILED}"/><text x="{t2}" y="{ly}" font-size="12">{failed}</text></svg>"#,
        succeeded = escape(&succeeded),
        failed = escape(&failed),
        ry = ly - 9.0,
        t1 = LEFT + 14.0,
        r2 = LEFT + 150.0,
        t2 = LEFT + 164.0,
    );
    svg
}

/// Horizontal bars, one per `(label, value)`, scaled to the largest.
pub fn bars(id: &str, title: &str, items: &[(&str, i64)]) -> String {
    let row = 28.0;
    let height = TOP + row * items.len() as f64 + 8.0;
    let label_w = 160.0;
    let plot_w = WIDTH - label_w - RIGHT - 40.0;
    let peak = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let summary = items
        .iter()
        .map(|(l, n)| format!("{l}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}"><title>{label}</title>"#,
        id = escape(id),
        label = escape(&format!("{title}: {summary}")),
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = TOP + row * i as f64;
        let w = (plot_w * *value as f64 / peak as f64).max(1.0);
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty:.1}" font-size="13" text-anchor="end">{label}</text><rect class="bar" x="{label_w}" y="{y:.1}" width="{w:.1}" height="18" fill="#0969da"/><text x="{vx:.1}" y="{ty:.1}" font-size="13">{value}</text>"##,
            lx = label_w - 8.0,
            ty = y + 14.0,
            label = escape(label),
            vx = label_w + w + 6.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    #[test]
    fn charts_are_well_formed_and_carry_their_totals() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let hours: Vec<_> = (0..168)
            .map(|i| HourOfSignIns {
                hour: start + time::Duration::hours(i),
                succeeded: i % 3,
                failed: i64::from(i == 5),
            })
            .collect();
        let svg = sign_ins(&hours, |w| w.english.clone());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("1 failed"), "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 2);
        let bars = bars(
            "chart-x",
            "Sessions & <accounts>",
            &[("Active", 4), ("Locked", 0)],
        );
        assert!(bars.contains("Sessions &amp; &lt;accounts&gt;: Active: 4, Locked: 0"));
        assert_eq!(bars.matches("class=\"bar\"").count(), 2);
    }
}
