//! Charts for the manager's child overview, drawn as inline SVG by this module (no chart
//! library). Every chart is a `figure` with an SVG `title` and `desc` and the same data as a
//! table, so nothing is shown only as a picture or only in colour.
//!
//! Geometry is computed by plain functions over plain data, so it is tested natively.
//!
//! tidy: long file — three charts (scaling, indicators, plan), each with its geometry beside its
//! view so the two change together, and about 150 lines of unit tests; split by chart when a fourth
//! comes.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use shared::calendar::Date;
use shared::catalogue::Category;
use shared::record::plan::{ActionState, PlanAction};

use crate::platform;

/// Drawing area of every chart, in SVG user units (the SVG scales to the page width).
const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn view_box() -> String {
    format!("0 0 {WIDTH} {HEIGHT}")
}

/// The one date format, on axes too.
fn short_date(d: Date) -> String {
    d.dmy()
}

// ---------------------------------------------------------------------------------------------
// Risk scaling over time

/// One safety scaling as the chart needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingPoint {
    /// `YYYY-MM-DD`
    pub date: String,
    /// 0 (certain harm) to 10 (safe enough to close).
    pub score: u8,
    pub by: String,
    pub rationale: String,
}

/// Where each point sits, in SVG units. Points whose date does not parse are left out of the
/// drawing (the table still lists them); a single date is centred.
fn scaling_positions(points: &[ScalingPoint]) -> Vec<Option<(f64, f64)>> {
    let days: Vec<Option<i32>> = points
        .iter()
        .map(|p| p.date.parse::<Date>().ok().map(Date::days_since_epoch))
        .collect();
    let known: Vec<i32> = days.iter().flatten().copied().collect();
    let (Some(&min), Some(&max)) = (known.iter().min(), known.iter().max()) else {
        return vec![None; points.len()];
    };
    let span = f64::from(max - min);
    points
        .iter()
        .zip(days)
        .map(|(p, day)| {
            let day = day?;
            let x = if span == 0.0 {
                LEFT + plot_width() / 2.0
            } else {
                LEFT + f64::from(day - min) / span * plot_width()
            };
            let y = TOP + plot_height() * (1.0 - f64::from(p.score.min(10)) / 10.0);
            Some((x, y))
        })
        .collect()
}

/// Up to five dates, evenly spaced over the points' range, with their x position.
fn date_ticks(points: &[ScalingPoint]) -> Vec<(f64, String)> {
    let dates: Vec<Date> = points.iter().filter_map(|p| p.date.parse().ok()).collect();
    let (Some(&min), Some(&max)) = (dates.iter().min(), dates.iter().max()) else {
        return Vec::new();
    };
    let span = min.days_until(max);
    if span == 0 {
        return vec![(LEFT + plot_width() / 2.0, short_date(min))];
    }
    let n = 4.min(span);
    (0..=n)
        .map(|i| {
            let d = min.add_days(span * i / n);
            let x = LEFT + f64::from(min.days_until(d)) / f64::from(span) * plot_width();
            (x, short_date(d))
        })
        .collect()
}

fn scaling_summary(points: &[ScalingPoint]) -> String {
    match (points.first(), points.last()) {
        (None, _) | (_, None) => "No safety scalings have been recorded.".to_owned(),
        (Some(only), Some(_)) if points.len() == 1 => format!(
            "One safety scaling: {} out of 10 on {}.",
            only.score,
            platform::format_occurred(&only.date)
        ),
        (Some(first), Some(last)) => format!(
            "{} safety scalings from {} to {}: first {} out of 10, latest {} out of 10.",
            points.len(),
            platform::format_occurred(&first.date),
            platform::format_occurred(&last.date),
            first.score,
            last.score
        ),
    }
}

/// Safety scale (0-10) against date, one point per scaling.
#[component]
pub fn ScalingChart(points: Vec<ScalingPoint>) -> impl IntoView {
    let positions = scaling_positions(&points);
    let line: Vec<String> = positions
        .iter()
        .flatten()
        .map(|(x, y)| format!("{},{}", fmt(*x), fmt(*y)))
        .collect();
    let ticks = date_ticks(&points);
    let summary = scaling_summary(&points);
    let empty = points.is_empty();
    let grid = (0..=10).step_by(2).map(|score| {
        let y = TOP + plot_height() * (1.0 - f64::from(score) / 10.0);
        view! {
            <line class="grid" x1=fmt(LEFT) x2=fmt(WIDTH - RIGHT) y1=fmt(y) y2=fmt(y)></line>
            <text class="axis-label" x=fmt(LEFT - 8.0) y=fmt(y + 4.0) text-anchor="end">{score.to_string()}</text>
        }
    });
    let marks = points
        .iter()
        .zip(&positions)
        .filter_map(|(p, pos)| pos.map(|(x, y)| (p, x, y)))
        .map(|(p, x, y)| {
            let label = format!(
                "{}: {} out of 10",
                platform::format_occurred(&p.date),
                p.score
            );
            view! {
                <circle class="point" data-testid="chart-scaling-point" cx=fmt(x) cy=fmt(y) r="6">
                    <title>{label}</title>
                </circle>
            }
        })
        .collect_view();
    let tick_marks = ticks
        .into_iter()
        .map(|(x, label)| {
            view! {
                <text class="axis-label" x=fmt(x) y=fmt(HEIGHT - BOTTOM + 20.0) text-anchor="middle">{label}</text>
            }
        })
        .collect_view();
    let rows = points
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <td>{platform::format_occurred(&p.date)}</td>
                    <td class="num">{p.score}</td>
                    <td>{p.by.clone()}</td>
                    <td>{p.rationale.clone()}</td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <figure class="chart">
            <figcaption><h3>"Safety scale over time"</h3></figcaption>
            <svg class="chart-svg" data-testid="chart-scaling" viewBox=view_box() role="img"
                aria-labelledby="chart-scaling-title chart-scaling-desc" preserveAspectRatio="xMidYMid meet">
                <title id="chart-scaling-title">"Safety scale (0 to 10) by date"</title>
                <desc id="chart-scaling-desc">{summary.clone()}</desc>
                {grid.collect_view()}
                <line class="axis" x1=fmt(LEFT) x2=fmt(LEFT) y1=fmt(TOP) y2=fmt(HEIGHT - BOTTOM)></line>
                <line class="axis" x1=fmt(LEFT) x2=fmt(WIDTH - RIGHT) y1=fmt(HEIGHT - BOTTOM) y2=fmt(HEIGHT - BOTTOM)></line>
                <polyline class="series" points=line.join(" ")></polyline>
                {marks}
                {tick_marks}
                {empty.then(|| view! {
                    <text class="empty" x=fmt(LEFT + plot_width() / 2.0) y=fmt(TOP + plot_height() / 2.0) text-anchor="middle">
                        "No scalings recorded"
                    </text>
                })}
            </svg>
            <p class="chart-key">"0 = the child will certainly be harmed again; 10 = safe enough to close."</p>
            <details class="chart-data">
                <summary>"Safety scalings as a table"</summary>
                <table>
                    <caption class="visually-hidden">"Safety scalings"</caption>
                    <thead><tr><th scope="col">"Date"</th><th scope="col">"Score (0-10)"</th><th scope="col">"By"</th><th scope="col">"Rationale"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

// ---------------------------------------------------------------------------------------------
// Indicators per category per year

/// Fill colour per category: each at least 3:1 against white (WCAG 2.2 non-text contrast) and
/// far enough apart to tell the bars apart; the legend and table carry the same information.
pub fn category_colour(c: Category) -> &'static str {
    match c {
        Category::Physical => "#a1260d",
        Category::Sexual => "#6a2c91",
        Category::Emotional => "#1d4f6e",
        Category::Neglect => "#a35200",
        Category::Behaviour => "#0b6e2a",
        Category::ParentChildInteraction => "#555555",
    }
}

/// One category's indicators per calendar year.
#[derive(Debug, Clone, PartialEq)]
pub struct CategorySeries {
    pub category: Category,
    pub by_year: BTreeMap<i32, usize>,
}

/// A bar: its category, year, count and rectangle (x, y, width, height).
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    category: Category,
    year: i32,
    count: usize,
    rect: (f64, f64, f64, f64),
}

/// A round upper bound for the y axis and the step between its ticks.
fn nice_scale(max: usize) -> (usize, usize) {
    let step = match max {
        0..=5 => 1,
        6..=10 => 2,
        11..=25 => 5,
        26..=50 => 10,
        _ => max.div_ceil(5).div_ceil(10) * 10,
    };
    (max.max(1).div_ceil(step) * step, step)
}

fn indicator_years(series: &[CategorySeries]) -> Vec<i32> {
    series
        .iter()
        .flat_map(|s| s.by_year.keys().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Grouped bars: one group per year, one bar per category with any indicators.
fn indicator_bars(series: &[CategorySeries]) -> (Vec<Bar>, usize) {
    let years = indicator_years(series);
    let shown: Vec<&CategorySeries> = series.iter().filter(|s| !s.by_year.is_empty()).collect();
    let max = shown
        .iter()
        .flat_map(|s| s.by_year.values().copied())
        .max()
        .unwrap_or(0);
    let (top, _) = nice_scale(max);
    if years.is_empty() || shown.is_empty() {
        return (Vec::new(), top);
    }
    let group = plot_width() / years.len() as f64;
    let bar = (group * 0.8 / shown.len() as f64).min(48.0);
    let mut bars = Vec::new();
    for (yi, year) in years.iter().enumerate() {
        let start = LEFT + group * yi as f64 + (group - bar * shown.len() as f64) / 2.0;
        for (si, s) in shown.iter().enumerate() {
            let count = s.by_year.get(year).copied().unwrap_or(0);
            let h = plot_height() * count as f64 / top as f64;
            bars.push(Bar {
                category: s.category,
                year: *year,
                count,
                rect: (
                    start + bar * si as f64,
                    TOP + plot_height() - h,
                    bar - 2.0,
                    h,
                ),
            });
        }
    }
    (bars, top)
}

/// Indicators recorded per category in each calendar year, as grouped bars with a legend.
#[component]
pub fn IndicatorChart(series: Vec<CategorySeries>) -> impl IntoView {
    let years = indicator_years(&series);
    let (bars, top) = indicator_bars(&series);
    let (_, step) = nice_scale(top);
    let shown: Vec<Category> = series
        .iter()
        .filter(|s| !s.by_year.is_empty())
        .map(|s| s.category)
        .collect();
    let total: usize = series.iter().flat_map(|s| s.by_year.values()).sum();
    let summary = if total == 0 {
        "No indicators have been recorded.".to_owned()
    } else {
        let parts: Vec<String> = series
            .iter()
            .filter(|s| !s.by_year.is_empty())
            .map(|s| {
                format!(
                    "{} {}",
                    s.by_year.values().sum::<usize>(),
                    s.category.label().to_lowercase()
                )
            })
            .collect();
        format!(
            "{total} indicators in {} year(s): {}.",
            years.len(),
            parts.join(", ")
        )
    };
    let grid = (0..=top).step_by(step).map(|v| {
        let y = TOP + plot_height() * (1.0 - v as f64 / top as f64);
        view! {
            <line class="grid" x1=fmt(LEFT) x2=fmt(WIDTH - RIGHT) y1=fmt(y) y2=fmt(y)></line>
            <text class="axis-label" x=fmt(LEFT - 8.0) y=fmt(y + 4.0) text-anchor="end">{v.to_string()}</text>
        }
    });
    let group = if years.is_empty() {
        0.0
    } else {
        plot_width() / years.len() as f64
    };
    let year_labels = years
        .iter()
        .enumerate()
        .map(|(i, y)| {
            view! {
                <text class="axis-label" x=fmt(LEFT + group * (i as f64 + 0.5)) y=fmt(HEIGHT - BOTTOM + 20.0) text-anchor="middle">
                    {y.to_string()}
                </text>
            }
        })
        .collect_view();
    let bar_marks = bars
        .iter()
        .map(|b| {
            let (x, y, w, h) = b.rect;
            let label = format!("{}, {}: {}", b.year, b.category.label(), b.count);
            view! {
                <rect class="bar" data-testid="chart-indicators-bar" x=fmt(x) y=fmt(y) width=fmt(w.max(1.0)) height=fmt(h)
                    fill=category_colour(b.category)>
                    <title>{label}</title>
                </rect>
                {(b.count > 0 && w >= 10.0).then(|| view! {
                    <text class="bar-value" x=fmt(x + w / 2.0) y=fmt(y - 4.0) text-anchor="middle">{b.count.to_string()}</text>
                })}
            }
        })
        .collect_view();
    let legend = shown
        .iter()
        .map(|c| {
            view! {
                <li>
                    <svg class="legend-swatch" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
                        <rect width="14" height="14" rx="2" fill=category_colour(*c)></rect>
                    </svg>
                    {c.label()}
                </li>
            }
        })
        .collect_view();
    let header = years
        .iter()
        .map(|y| view! { <th scope="col" class="num">{y.to_string()}</th> })
        .collect_view();
    let rows = series
        .iter()
        .map(|s| {
            let cells = years
                .iter()
                .map(|y| view! { <td class="num">{s.by_year.get(y).copied().unwrap_or(0)}</td> })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{s.category.label()}</th>
                    {cells}
                    <td class="num">{s.by_year.values().sum::<usize>()}</td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <figure class="chart">
            <figcaption><h3>"Indicators per category, by year"</h3></figcaption>
            <svg class="chart-svg" data-testid="chart-indicators" viewBox=view_box() role="img"
                aria-labelledby="chart-indicators-title chart-indicators-desc" preserveAspectRatio="xMidYMid meet">
                <title id="chart-indicators-title">"Indicators recorded per category in each year"</title>
                <desc id="chart-indicators-desc">{summary}</desc>
                {grid.collect_view()}
                <line class="axis" x1=fmt(LEFT) x2=fmt(LEFT) y1=fmt(TOP) y2=fmt(HEIGHT - BOTTOM)></line>
                <line class="axis" x1=fmt(LEFT) x2=fmt(WIDTH - RIGHT) y1=fmt(HEIGHT - BOTTOM) y2=fmt(HEIGHT - BOTTOM)></line>
                {bar_marks}
                {year_labels}
                {(total == 0).then(|| view! {
                    <text class="empty" x=fmt(LEFT + plot_width() / 2.0) y=fmt(TOP + plot_height() / 2.0) text-anchor="middle">
                        "No indicators recorded"
                    </text>
                })}
            </svg>
            <ul class="chart-legend" aria-label="Legend">{legend}</ul>
            <details class="chart-data">
                <summary>"Indicators as a table"</summary>
                <table>
                    <caption class="visually-hidden">"Indicators per category and year"</caption>
                    <thead><tr><th scope="col">"Category"</th>{header}<th scope="col" class="num">"Total"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

// ---------------------------------------------------------------------------------------------
// Plan status

/// Plan actions by state. An action whose status several people set differently offline is
/// counted once, as disputed, until someone resolves it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub not_started: usize,
    pub in_progress: usize,
    pub achieved: usize,
    pub not_achieved: usize,
    pub disputed: usize,
    /// Open actions past their due date (counted in their state as well).
    pub overdue: usize,
}

impl PlanCounts {
    pub fn of(actions: &[PlanAction], today: Date) -> PlanCounts {
        let mut c = PlanCounts::default();
        for a in actions {
            if a.status.is_conflict() {
                c.disputed += 1;
            } else {
                match a.status.latest().map(|s| s.value.state) {
                    None | Some(ActionState::NotStarted) => c.not_started += 1,
                    Some(ActionState::InProgress) => c.in_progress += 1,
                    Some(ActionState::Achieved) => c.achieved += 1,
                    Some(ActionState::NotAchieved) => c.not_achieved += 1,
                }
            }
            let overdue = a
                .base
                .due
                .parse::<Date>()
                .is_ok_and(|due| a.is_open() && today > due);
            c.overdue += usize::from(overdue);
        }
        c
    }

    /// (label, count, CSS class) per row, in the order the chart draws them.
    fn rows(self) -> [(&'static str, usize, &'static str); 6] {
        [
            (
                ActionState::NotStarted.label(),
                self.not_started,
                "state-not-started",
            ),
            (
                ActionState::InProgress.label(),
                self.in_progress,
                "state-in-progress",
            ),
            (
                ActionState::Achieved.label(),
                self.achieved,
                "state-achieved",
            ),
            (
                ActionState::NotAchieved.label(),
                self.not_achieved,
                "state-not-achieved",
            ),
            ("Disputed (conflict)", self.disputed, "state-disputed"),
            ("Overdue", self.overdue, "state-overdue"),
        ]
    }

    pub fn total(self) -> usize {
        self.not_started + self.in_progress + self.achieved + self.not_achieved + self.disputed
    }
}

/// Plan actions by state, and how many are overdue, as horizontal bars.
#[component]
pub fn PlanChart(counts: PlanCounts) -> impl IntoView {
    const LABEL_W: f64 = 215.0;
    const ROW_H: f64 = 34.0;
    let rows = counts.rows();
    let height = TOP + ROW_H * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bar_space = WIDTH - LABEL_W - RIGHT - 36.0;
    let summary = if counts.total() == 0 {
        "No plan actions have been recorded.".to_owned()
    } else {
        let parts: Vec<String> = rows
            .iter()
            .map(|(label, n, _)| format!("{} {n}", label.to_lowercase()))
            .collect();
        format!("{} plan actions: {}.", counts.total(), parts.join(", "))
    };
    let marks = rows
        .iter()
        .enumerate()
        .map(|(i, (label, n, class))| {
            let y = TOP + ROW_H * i as f64;
            let w = bar_space * *n as f64 / max as f64;
            view! {
                <text class="axis-label row-label" x=fmt(LABEL_W - 10.0) y=fmt(y + ROW_H / 2.0 + 5.0) text-anchor="end">{*label}</text>
                <rect class=format!("bar {class}") x=fmt(LABEL_W) y=fmt(y + 5.0) width=fmt(w.max(if *n > 0 { 2.0 } else { 0.0 })) height=fmt(ROW_H - 10.0)>
                    <title>{format!("{label}: {n}")}</title>
                </rect>
                <text class="bar-value" x=fmt(LABEL_W + w + 6.0) y=fmt(y + ROW_H / 2.0 + 5.0)>{n.to_string()}</text>
            }
        })
        .collect_view();
    let table_rows = rows
        .iter()
        .map(|(label, n, _)| view! { <tr><th scope="row">{*label}</th><td class="num">{*n}</td></tr> })
        .collect_view();

    view! {
        <figure class="chart">
            <figcaption><h3>"Plan actions by status"</h3></figcaption>
            <svg class="chart-svg" data-testid="chart-plan" viewBox=format!("0 0 {WIDTH} {}", fmt(height)) role="img"
                aria-labelledby="chart-plan-title chart-plan-desc" preserveAspectRatio="xMidYMid meet">
                <title id="chart-plan-title">"Plan actions by status, and overdue actions"</title>
                <desc id="chart-plan-desc">{summary}</desc>
                <line class="axis" x1=fmt(LABEL_W) x2=fmt(LABEL_W) y1=fmt(TOP) y2=fmt(height - 8.0)></line>
                {marks}
            </svg>
            <details class="chart-data">
                <summary>"Plan actions as a table"</summary>
                <table>
                    <caption class="visually-hidden">"Plan actions by status"</caption>
                    <thead><tr><th scope="col">"Status"</th><th scope="col" class="num">"Actions"</th></tr></thead>
                    <tbody>{table_rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::record::plan::{ActionBase, ActionStatus};
    use shared::record::stamped::{Field, Stamp, Stamped};

    fn point(date: &str, score: u8) -> ScalingPoint {
        ScalingPoint {
            date: date.into(),
            score,
            by: String::new(),
            rationale: String::new(),
        }
    }

    #[test]
    fn scaling_points_span_the_plot() {
        let pos = scaling_positions(&[
            point("2026-01-01", 0),
            point("2026-01-11", 10),
            point("2026-01-06", 5),
        ]);
        let pos: Vec<(f64, f64)> = pos.into_iter().flatten().collect();
        assert_eq!(pos.len(), 3);
        assert_eq!(pos[0], (LEFT, TOP + plot_height()));
        assert_eq!(pos[1], (WIDTH - RIGHT, TOP));
        assert_eq!(pos[2].0, LEFT + plot_width() / 2.0);
    }

    #[test]
    fn one_scaling_is_centred_and_bad_dates_are_skipped() {
        let pos = scaling_positions(&[point("2026-01-01", 4), point("soon", 4)]);
        assert_eq!(pos[0].map(|p| p.0), Some(LEFT + plot_width() / 2.0));
        assert_eq!(pos[1], None);
        assert_eq!(date_ticks(&[point("2026-01-01", 4)]).len(), 1);
        assert!(scaling_positions(&[]).is_empty());
    }

    #[test]
    fn ticks_cover_the_range() {
        let ticks = date_ticks(&[point("2026-01-01", 1), point("2026-12-31", 2)]);
        assert_eq!(ticks.len(), 5);
        assert_eq!(ticks[0], (LEFT, "01/01/2026".to_owned()));
        assert_eq!(ticks[4], (WIDTH - RIGHT, "31/12/2026".to_owned()));
    }

    #[test]
    fn nice_scales() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(4), (4, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(23), (25, 5));
        assert_eq!(nice_scale(120), (120, 30));
    }

    #[test]
    fn indicator_bars_per_year_and_shown_category() {
        let series = vec![
            CategorySeries {
                category: Category::Neglect,
                by_year: BTreeMap::from([(2025, 2), (2026, 4)]),
            },
            CategorySeries {
                category: Category::Sexual,
                by_year: BTreeMap::from([(2026, 1)]),
            },
            CategorySeries {
                category: Category::Physical,
                by_year: BTreeMap::new(),
            },
        ];
        let (bars, top) = indicator_bars(&series);
        assert_eq!(top, 4);
        // Two years x two categories with data; the empty category gets no bars.
        assert_eq!(bars.len(), 4);
        let tallest = bars.iter().find(|b| b.count == 4).expect("bar");
        assert_eq!(tallest.rect.1, TOP);
        let zero = bars
            .iter()
            .find(|b| b.year == 2025 && b.category == Category::Sexual)
            .expect("bar");
        assert_eq!(zero.rect.3, 0.0);
    }

    fn action(due: &str, states: &[ActionState]) -> PlanAction {
        let stamp = Stamp {
            by: "u".parse().expect("a valid id"),
            by_name: "U".into(),
            at_ms: 0,
        };
        PlanAction {
            base: ActionBase {
                id: "a".into(),
                what: "w".into(),
                who: "x".into(),
                due: due.into(),
                success_measure: String::new(),
                added: stamp.clone(),
            },
            status: Field {
                values: states
                    .iter()
                    .map(|&state| Stamped {
                        value: ActionStatus {
                            state,
                            note: String::new(),
                        },
                        stamp: stamp.clone(),
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn plan_counts() {
        let today: Date = "2026-06-01".parse().expect("date");
        let counts = PlanCounts::of(
            &[
                action("2026-01-01", &[ActionState::NotStarted]),
                action("2026-01-01", &[ActionState::Achieved]),
                action("2026-12-01", &[ActionState::InProgress]),
                action(
                    "2026-01-01",
                    &[ActionState::Achieved, ActionState::InProgress],
                ),
                action("2026-12-01", &[]),
                action("2026-01-01", &[ActionState::NotAchieved]),
            ],
            today,
        );
        assert_eq!(
            counts,
            PlanCounts {
                not_started: 2,
                in_progress: 1,
                achieved: 1,
                not_achieved: 1,
                disputed: 1,
                // The not-started one and the disputed one (a conflict stays open).
                overdue: 2,
            }
        );
        assert_eq!(counts.total(), 6);
    }
}
