//! The portal's charts: inline SVG drawn with plotters (its SVG backend: text stays text,
//! the browser's fonts draw it). Each chart is labelled for assistive technology, and its
//! page puts the same numbers beside it in a table.

use plotters::prelude::*;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 300;
const ACCENT: RGBColor = RGBColor(11, 93, 59);
/// One colour per line; more lines reuse them.
const LINES: [RGBColor; 6] = [
    RGBColor(11, 93, 59),
    RGBColor(176, 58, 46),
    RGBColor(31, 97, 141),
    RGBColor(125, 60, 152),
    RGBColor(185, 119, 14),
    RGBColor(64, 64, 64),
];

/// Short pesos for an axis: `$1.2 M`, `$350 k`, `$900`.
fn axis_pesos(value: f64) -> String {
    let abs = value.abs();
    if abs >= 1e6 {
        format!("${:.1} M", value / 1e6)
    } else if abs >= 1e3 {
        format!("${:.0} mil", value / 1e3)
    } else {
        format!("${value:.0}")
    }
}

/// Marks the drawing as one image named `label` (its table says the numbers).
fn labelled(svg: String, label: &str) -> String {
    let label = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"chart\" "),
        1,
    )
}

/// Vertical bars, one per `(label, pesos)`: savings by month, by procedure.
pub fn bars(label: &str, bars: &[(String, f64)]) -> Option<String> {
    if bars.is_empty() {
        return None;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let top = bars
            .iter()
            .map(|(_, v)| *v)
            .fold(0.0_f64, f64::max)
            .max(1.0)
            * 1.1;
        let bottom = bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::min) * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(110)
            .build_cartesian_2d((0..bars.len() - 1).into_segmented(), bottom..top)
            .ok()?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().min(12))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| axis_pesos(*v))
            .label_style(("sans-serif", 18))
            .draw()
            .ok()?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(ACCENT.filled())
                    .margin(8)
                    .data(bars.iter().enumerate().map(|(i, (_, v))| (i, *v))),
            )
            .ok()?;
        root.present().ok()?;
    }
    Some(labelled(svg, label))
}

/// Lines over time, one per `(name, points)` with x in seconds: an auction's prices.
pub fn lines(label: &str, series: &[(String, Vec<(f64, f64)>)]) -> Option<String> {
    let points = || series.iter().flat_map(|(_, p)| p.iter());
    let (x_max, y_min, y_max) = points().fold((1.0_f64, f64::MAX, 0.0_f64), |(x, lo, hi), p| {
        (x.max(p.0), lo.min(p.1), hi.max(p.1))
    });
    if y_min > y_max {
        return None;
    }
    let pad = ((y_max - y_min) * 0.1).max(1.0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(110)
            .build_cartesian_2d(0.0..x_max * 1.02, (y_min - pad)..(y_max + pad))
            .ok()?;
        chart
            .configure_mesh()
            .x_desc("segundos desde el inicio")
            .y_label_formatter(&|v| axis_pesos(*v))
            .label_style(("sans-serif", 18))
            .draw()
            .ok()?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = LINES.get(i % LINES.len()).copied().unwrap_or(ACCENT);
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .ok()?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 18))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(labelled(svg, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_one_labelled_svg_with_a_bar_each() {
        let svg = bars(
            "Ahorro por mes",
            &[("2026-01".into(), 1_000.0), ("2026-02".into(), 250_000.0)],
        )
        .unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Ahorro por mes\""));
        assert!(svg.contains("2026-02") && svg.contains("$250 mil"), "{svg}");
        assert!(
            svg.matches("<rect").count() >= 3,
            "the background and two bars"
        );
        assert_eq!(bars("Nada", &[]), None);
    }

    #[test]
    fn lines_draw_each_series_with_its_name() {
        let svg = lines(
            "Precios de la subasta",
            &[
                ("P1".into(), vec![(0.0, 2_043_200.0), (30.0, 2_000_000.0)]),
                ("P2".into(), vec![(0.0, 2_067_200.0), (45.0, 1_990_000.0)]),
            ],
        )
        .unwrap();
        assert!(
            svg.contains("P1") && svg.contains("P2") && svg.contains("<polyline"),
            "{svg}"
        );
        assert!(svg.contains("aria-label=\"Precios de la subasta\""));
    }
}
