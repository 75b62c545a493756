//! Charts drawn as SVG on the server: they show without JavaScript and need nothing from the
//! browser. The scales are plain functions (tested below); the components only lay out shapes.

use leptos::prelude::*;

/// A round upper bound for an axis that must reach `max`: 1, 2 or 5 times a power of ten
/// (at least 1, so an empty chart still has an axis).
pub fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 1.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * power >= max)
        .unwrap_or(10.0);
    step * power
}

/// How many steps divide an axis ending at `top` (a [`nice_max`]) into round values: whole
/// numbers up to 5, else steps of 1, 2 or 5 times a power of ten.
pub fn steps(top: f64) -> usize {
    if top <= 5.0 {
        return top.max(1.0).round() as usize;
    }
    let leading = top / 10f64.powf(top.log10().floor());
    if (leading - 2.0).abs() < 1e-9 {
        4
    } else {
        5
    }
}

/// `count + 1` evenly spaced tick values from 0 to `top`.
pub fn ticks(top: f64, count: usize) -> Vec<f64> {
    let count = count.max(1);
    (0..=count).map(|i| top * i as f64 / count as f64).collect()
}

/// Maps `value` in `0..=top` onto a pixel length in `0..=length` (values outside are clamped).
pub fn scale(value: f64, top: f64, length: f64) -> f64 {
    if top <= 0.0 || !value.is_finite() {
        return 0.0;
    }
    (value / top).clamp(0.0, 1.0) * length
}

/// A number as an axis label: whole numbers plainly, thousands with `k`, millions with `M`.
pub fn label(value: f64) -> String {
    let trim = |v: f64| {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
    };
    match value.abs() {
        v if v >= 1e6 => format!("{}M", trim(value / 1e6)),
        v if v >= 1e3 => format!("{}k", trim(value / 1e3)),
        _ => trim(value),
    }
}

/// One stacked bar: its label (under it) and its parts, in the series' order.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub parts: Vec<f64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// Stacked bars over time (one per day, say), with a y axis, the series named in a legend, and
/// a text description for screen readers.
#[component]
pub fn StackedBars(
    /// What the chart shows, for its accessible name.
    title: String,
    series: Vec<&'static str>,
    bars: Vec<Bar>,
) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.parts.iter().sum::<f64>())
        .fold(0.0, f64::max);
    let top = nice_max(max);
    let plot = HEIGHT - BOTTOM - TOP;
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - LEFT) / n;
    let width = (slot * 0.8).max(1.0);
    // Label every bar when they fit, else about ten of them.
    let every = (bars.len() / 10).max(1);
    let grid = ticks(top, steps(top))
        .into_iter()
        .map(|t| {
            let y = HEIGHT - BOTTOM - scale(t, top, plot);
            view! {
                <line x1=LEFT x2=WIDTH y1=y y2=y class="grid" />
                <text x=LEFT - 4.0 y=y + 4.0 text-anchor="end" class="axis">{label(t)}</text>
            }
        })
        .collect_view();
    let columns = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
            let mut base = HEIGHT - BOTTOM;
            let parts = bar
                .parts
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(s, v)| {
                    let h = scale(*v, top, plot);
                    base -= h;
                    view! { <rect x=x y=base width=width height=h class=format!("series-{s}") /> }
                })
                .collect_view();
            let tick = (i % every == 0).then(|| {
                view! {
                    <text x=x + width / 2.0 y=HEIGHT - 6.0 text-anchor="middle" class="axis">{bar.label.clone()}</text>
                }
            });
            view! { <g>{parts}{tick}</g> }
        })
        .collect_view();
    let legend = series
        .iter()
        .enumerate()
        .map(|(s, name)| view! { <li><span class=format!("swatch series-{s}")></span>{*name}</li> })
        .collect_view();
    let described = describe(&series, &bars);
    let name = title.clone();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=name preserveAspectRatio="none">
                <title>{title}</title>
                <desc>{described}</desc>
                {grid}
                {columns}
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
    .into_any()
}

/// The chart in words: the total of each series over the bars.
fn describe(series: &[&str], bars: &[Bar]) -> String {
    series
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let total: f64 = bars.iter().filter_map(|b| b.parts.get(s)).sum();
            format!("{name}: {}", label(total))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Horizontal bars, one per named value (a status, a conversation), each with its value.
#[component]
pub fn HorizontalBars(
    title: String,
    /// `(name, value, link)`.
    rows: Vec<(String, f64, Option<String>)>,
) -> impl IntoView {
    let top = nice_max(rows.iter().map(|r| r.1).fold(0.0, f64::max));
    let items = rows
        .into_iter()
        .enumerate()
        .map(|(i, (name, value, link))| {
            let percent = scale(value, top, 100.0);
            let name_view = match link {
                Some(href) => view! { <a href=href>{name}</a> }.into_any(),
                None => view! { <span>{name}</span> }.into_any(),
            };
            view! {
                <li>
                    <span class="hbar-name">{name_view}</span>
                    <svg class="hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                        <rect x="0" y="0" width=percent height="10" class=format!("series-{}", i % 4) />
                    </svg>
                    <span class="num">{label(value)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption class="visually-hidden">{title}</figcaption>
            <ul class="hbars">{items}</ul>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_axis_ends_at_a_round_number_at_or_above_the_maximum() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(1.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(10.0), 10.0);
        assert_eq!(nice_max(11.0), 20.0);
        assert_eq!(nice_max(180.0), 200.0);
        assert_eq!(nice_max(201.0), 500.0);
        assert_eq!(nice_max(99_999.0), 100_000.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
    }

    #[test]
    fn an_axis_is_divided_into_round_steps() {
        let values = |top: f64| ticks(top, steps(top));
        assert_eq!(values(1.0), vec![0.0, 1.0]);
        assert_eq!(values(5.0), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(values(10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(values(20.0), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(values(500.0), vec![0.0, 100.0, 200.0, 300.0, 400.0, 500.0]);
    }

    #[test]
    fn ticks_divide_the_axis_evenly_from_zero() {
        assert_eq!(ticks(200.0, 4), vec![0.0, 50.0, 100.0, 150.0, 200.0]);
        assert_eq!(ticks(1.0, 0), vec![0.0, 1.0]);
    }

    #[test]
    fn values_map_onto_the_length_and_stay_inside_it() {
        assert_eq!(scale(50.0, 200.0, 100.0), 25.0);
        assert_eq!(scale(0.0, 200.0, 100.0), 0.0);
        assert_eq!(scale(300.0, 200.0, 100.0), 100.0);
        assert_eq!(scale(-5.0, 200.0, 100.0), 0.0);
        assert_eq!(scale(5.0, 0.0, 100.0), 0.0);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(label(0.0), "0");
        assert_eq!(label(50.0), "50");
        assert_eq!(label(2.5), "2.5");
        assert_eq!(label(1500.0), "1.5k");
        assert_eq!(label(20_000.0), "20k");
        assert_eq!(label(3_000_000.0), "3M");
    }

    #[test]
    fn a_chart_is_described_by_each_series_total() {
        let bars = vec![
            Bar {
                label: "a".into(),
                parts: vec![1.0, 2.0],
            },
            Bar {
                label: "b".into(),
                parts: vec![3.0, 0.0],
            },
        ];
        assert_eq!(
            describe(&["user", "assistant"], &bars),
            "user: 4, assistant: 2"
        );
    }
}
