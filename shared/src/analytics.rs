//! Record analytics as pure functions: the chronology, the indicator overview, the prompt to
//! consider a strategy discussion, unassessed adults, timescales, and drift.
//!
//! Each takes the record and "today" as inputs, so the tablet (offline) and the server compute
//! exactly the same flags. Withdrawn observations count for nothing but stay in the chronology.
//!
//! tidy: long file — the analytics share one pass over the record and one `Thresholds`, and about
//! 200 lines are unit tests; split by concept (timescales, drift) when it grows.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::catalogue::{self, Category};
use crate::choice::Choice;
use crate::record::plan::{ConferenceKind, PlanKind};
use crate::record::{Observation, Record};

mod flag;
pub use flag::{Flag, FlagKind};

/// How indicators accumulate into a prompt. Configurable per deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Indicators of one category needed within the window.
    pub indicators: usize,
    /// Distinct sources (authors) they must come from.
    pub sources: usize,
    pub window_days: i32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            indicators: 3,
            sources: 2,
            window_days: 180,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Chronology

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    PlanStarted,
    Conference,
    Observation,
    SupervisionDecision,
    PlanEnded,
}

/// One line of the child's chronology.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronologyItem {
    pub kind: ItemKind,
    /// `YYYY-MM-DD` (or with time, for observations).
    pub date: String,
    pub approximate: bool,
    /// The entry it comes from (observation, conference, supervision or plan).
    pub ref_id: String,
    pub author: String,
    pub agency: String,
    /// A short factual headline.
    pub headline: String,
    /// Significance for the child: indicators seen, conference outcome, decision.
    pub significance: Vec<String>,
    /// Indicator categories (for filtering).
    pub categories: Vec<Category>,
    pub withdrawn: bool,
    pub amendments: usize,
}

/// Every significant event in date order: observations, plan events, conferences and
/// supervision decisions.
pub fn chronology(record: &Record) -> Vec<ChronologyItem> {
    let mut items = Vec::new();
    for o in &record.observations {
        let e = crate::chronology::entry(o);
        items.push(ChronologyItem {
            kind: ItemKind::Observation,
            date: o.occurred.clone(),
            approximate: o.occurred_approx,
            ref_id: o.id.to_string(),
            author: o.author_name.clone(),
            agency: o.agency.clone(),
            headline: e.headline,
            significance: e.indicators,
            categories: categories_of(o),
            withdrawn: record.is_withdrawn(&o.id),
            amendments: record
                .amendments
                .iter()
                .filter(|a| a.observation_id == o.id)
                .count(),
        });
    }
    for (n, plan) in record.plan.values.iter().enumerate() {
        let p = &plan.value;
        let base = ChronologyItem {
            kind: ItemKind::PlanStarted,
            date: p.started_on.clone(),
            approximate: false,
            ref_id: format!("plan-{n}"),
            author: plan.stamp.by_name.clone(),
            agency: String::new(),
            headline: format!("{} started", p.kind.label()),
            significance: vec![format!("Contingency: {}", p.contingency)],
            categories: Vec::new(),
            withdrawn: false,
            amendments: 0,
        };
        if !p.is_active() {
            items.push(ChronologyItem {
                kind: ItemKind::PlanEnded,
                date: p.ended_on.clone(),
                headline: format!("{} ended", p.kind.label()),
                significance: Vec::new(),
                ..base.clone()
            });
        }
        items.push(base);
    }
    for c in &record.conferences {
        items.push(ChronologyItem {
            kind: ItemKind::Conference,
            date: c.date.clone(),
            approximate: false,
            ref_id: c.id.clone(),
            author: c.added.by_name.clone(),
            agency: String::new(),
            headline: c.kind.label().to_owned(),
            significance: (!c.outcome.is_empty())
                .then(|| c.outcome.clone())
                .into_iter()
                .collect(),
            categories: Vec::new(),
            withdrawn: false,
            amendments: 0,
        });
    }
    for s in &record.supervisions {
        for (i, d) in s.decisions.iter().enumerate() {
            items.push(ChronologyItem {
                kind: ItemKind::SupervisionDecision,
                date: s.date.clone(),
                approximate: false,
                ref_id: format!("{}#{i}", s.id),
                author: s.added.by_name.clone(),
                agency: String::new(),
                headline: format!("Supervision decision: {d}"),
                significance: vec![d.clone()],
                categories: Vec::new(),
                withdrawn: false,
                amendments: 0,
            });
        }
    }
    items.sort_by(|a, b| {
        (a.date.get(..10), a.kind, a.date.as_str(), &a.ref_id).cmp(&(
            b.date.get(..10),
            b.kind,
            b.date.as_str(),
            &b.ref_id,
        ))
    });
    items
}

fn categories_of(o: &Observation) -> Vec<Category> {
    let set: BTreeSet<Category> = o
        .indicators
        .iter()
        .filter_map(|i| catalogue::find(&i.code).map(|c| c.category))
        .collect();
    set.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Indicator overview

/// One indicator seen on one observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub observation_id: String,
    pub date: Date,
    pub code: String,
    pub label: String,
    pub level: String,
    pub author_id: String,
    pub author: String,
    pub agency: String,
    pub source: String,
}

fn evidence(record: &Record) -> Vec<(Category, Evidence)> {
    let mut out = Vec::new();
    for o in &record.observations {
        if record.is_withdrawn(&o.id) {
            continue;
        }
        let Some(date) = Date::parse_prefix(&o.occurred) else {
            continue;
        };
        for i in &o.indicators {
            let Some(ind) = catalogue::find(&i.code) else {
                continue;
            };
            out.push((
                ind.category,
                Evidence {
                    observation_id: o.id.to_string(),
                    date,
                    code: i.code.clone(),
                    label: ind.label.to_owned(),
                    level: i.level.label().to_owned(),
                    author_id: o.author_id.to_string(),
                    author: o.author_name.clone(),
                    agency: o.agency.clone(),
                    source: o.source.label().to_owned(),
                },
            ));
        }
    }
    out.sort_by(|a, b| {
        (a.1.date, &a.1.observation_id, &a.1.code).cmp(&(b.1.date, &b.1.observation_id, &b.1.code))
    });
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryOverview {
    pub category: Category,
    pub total: usize,
    pub suspect: usize,
    pub authors: usize,
    pub agencies: usize,
    pub first: Option<Date>,
    pub last: Option<Date>,
    /// Indicators per calendar year, for the chart.
    pub by_year: BTreeMap<i32, usize>,
}

/// Indicators per category across every author and agency.
pub fn indicator_overview(record: &Record) -> Vec<CategoryOverview> {
    let ev = evidence(record);
    Category::ALL
        .iter()
        .map(|&category| {
            let mine: Vec<&Evidence> = ev
                .iter()
                .filter(|(c, _)| *c == category)
                .map(|(_, e)| e)
                .collect();
            let mut by_year = BTreeMap::new();
            for e in &mine {
                *by_year.entry(e.date.ymd().0).or_insert(0) += 1;
            }
            CategoryOverview {
                category,
                total: mine.len(),
                suspect: mine.iter().filter(|e| e.level == "Suspect").count(),
                authors: mine
                    .iter()
                    .map(|e| &e.author_id)
                    .collect::<BTreeSet<_>>()
                    .len(),
                agencies: mine
                    .iter()
                    .map(|e| &e.agency)
                    .collect::<BTreeSet<_>>()
                    .len(),
                first: mine.first().map(|e| e.date),
                last: mine.last().map(|e| e.date),
                by_year,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Evidence without disclosure

/// Advice to consider a strategy discussion, with the evidence that triggered it. Never a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub category: Category,
    /// The day the threshold was first crossed.
    pub first_crossed: Date,
    /// The indicators in the most recent window that crosses the threshold.
    pub evidence: Vec<Evidence>,
    /// A strategy discussion held on or after the threshold was crossed, if any.
    pub strategy_discussion_on: Option<Date>,
}

impl Prompt {
    /// Distinct authors of the evidence.
    pub fn sources(&self) -> usize {
        self.evidence
            .iter()
            .map(|e| &e.author_id)
            .collect::<BTreeSet<_>>()
            .len()
    }

    pub fn message(&self) -> String {
        format!(
            "{} indicators of {} concern from {} sources: consider a strategy discussion",
            self.evidence.len(),
            self.category.label().to_lowercase(),
            self.sources()
        )
    }
}

/// Categories whose indicators crossed the threshold in a window ending within the last
/// `window_days` before `today`. Only entries dated on or before `today` count.
pub fn prompts(record: &Record, today: Date, t: &Thresholds) -> Vec<Prompt> {
    let ev = evidence(record);
    let strategies: Vec<Date> = record
        .conferences
        .iter()
        .filter(|c| c.kind == ConferenceKind::StrategyDiscussion)
        .filter_map(|c| c.date.parse().ok())
        .collect();
    let mut out = Vec::new();
    for &category in Category::ALL {
        let mine: Vec<&Evidence> = ev
            .iter()
            .filter(|(c, e)| *c == category && e.date <= today)
            .map(|(_, e)| e)
            .collect();
        let mut first_crossed = None;
        let mut latest_window: Option<Vec<Evidence>> = None;
        for (i, end) in mine.iter().enumerate() {
            // Every indicator dated the same day as `end` belongs in its window too.
            let end_date = end.date;
            if mine.get(i + 1).is_some_and(|next| next.date == end_date) {
                continue;
            }
            let window: Vec<Evidence> = mine[..=i]
                .iter()
                .filter(|e| e.date.days_until(end_date) <= t.window_days)
                .map(|e| (*e).clone())
                .collect();
            let sources = window
                .iter()
                .map(|e| &e.author_id)
                .collect::<BTreeSet<_>>()
                .len();
            if window.len() >= t.indicators && sources >= t.sources {
                first_crossed.get_or_insert(end_date);
                latest_window = Some(window);
            }
        }
        if let (Some(first), Some(window)) = (first_crossed, latest_window) {
            let last = window.last().map_or(first, |e| e.date);
            if last.days_until(today) <= t.window_days {
                out.push(Prompt {
                    category,
                    first_crossed: first,
                    evidence: window,
                    strategy_discussion_on: strategies
                        .iter()
                        .copied()
                        .filter(|d| *d >= first && *d <= today)
                        .max(),
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Unassessed adults

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnassessedAdult {
    pub person_id: String,
    pub name: String,
    pub relationship: String,
    /// People disagree about the assessment (shown as unassessed until resolved).
    pub disputed: bool,
}

pub fn unassessed_adults(record: &Record) -> Vec<UnassessedAdult> {
    record
        .people
        .iter()
        .filter(|p| {
            p.is_adult() && p.status() == crate::record::people::AssessmentStatus::NotYetAssessed
        })
        .map(|p| UnassessedAdult {
            person_id: p.id.clone(),
            name: p.name().to_owned(),
            relationship: p
                .details
                .latest()
                .map(|d| d.value.relationship.clone())
                .unwrap_or_default(),
            disputed: p.assessment.is_conflict(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Timescales

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timescale {
    pub what: String,
    pub due: Date,
    pub done_on: Option<Date>,
    pub overdue: bool,
}

/// Statutory child protection dates and plan actions, with what is overdue as of `today`.
pub fn timescales(record: &Record, today: Date) -> Vec<Timescale> {
    let mut out = Vec::new();
    let dated = |kind: ConferenceKind| -> Vec<Date> {
        let mut v: Vec<Date> = record
            .conferences
            .iter()
            .filter(|c| c.kind == kind)
            .filter_map(|c| c.date.parse().ok())
            .collect();
        v.sort();
        v
    };
    let strategies = dated(ConferenceKind::StrategyDiscussion);
    let initials = dated(ConferenceKind::InitialConference);
    let core_groups = dated(ConferenceKind::CoreGroup);
    let reviews = dated(ConferenceKind::ReviewConference);
    let mut push = |what: &str, due: Date, done_on: Option<Date>| {
        out.push(Timescale {
            what: what.to_owned(),
            due,
            done_on,
            overdue: done_on.is_none() && today > due,
        });
    };

    if let Some(&s) = strategies.last() {
        let held = initials.iter().copied().find(|d| *d >= s);
        push(
            "Initial child protection conference (15 working days from strategy discussion)",
            s.add_working_days(15),
            held,
        );
    }
    let plan = record.plan.latest().map(|p| &p.value);
    let cp_active = plan.is_some_and(|p| {
        p.is_active() && !matches!(p.kind, PlanKind::ChildInNeed | PlanKind::LookedAfter)
    });
    if let Some(&i) = initials.last() {
        let core = core_groups.iter().copied().find(|d| *d >= i);
        push(
            "First core group (10 working days from initial conference)",
            i.add_working_days(10),
            core,
        );
        if cp_active {
            // First review 3 months after the initial conference, then at most every 6 months.
            let mut due = i.add_months(3);
            let mut first = true;
            for r in reviews.iter().copied().filter(|d| *d > i) {
                push(
                    if first {
                        "First review conference (3 months)"
                    } else {
                        "Review conference (6 months)"
                    },
                    due,
                    Some(r),
                );
                due = r.add_months(6);
                first = false;
            }
            push(
                if first {
                    "First review conference (3 months)"
                } else {
                    "Review conference (6 months)"
                },
                due,
                None,
            );
        }
    }
    for a in &record.actions {
        let Ok(due) = a.base.due.parse::<Date>() else {
            continue;
        };
        let done = (!a.is_open())
            .then(|| a.status.latest().map(|s| Date::from_unix_ms(s.stamp.at_ms)))
            .flatten();
        out.push(Timescale {
            what: format!("Plan action: {} ({})", a.base.what, a.base.who),
            due,
            done_on: done,
            overdue: a.is_open() && today > due,
        });
    }
    out.sort_by(|a, b| (a.due, &a.what).cmp(&(b.due, &b.what)));
    out
}

// ---------------------------------------------------------------------------------------------
// Days since first concern, days on plan, drift

/// Days since the first (non-withdrawn) observation with an indicator.
pub fn days_since_first_concern(record: &Record, today: Date) -> Option<i32> {
    evidence(record)
        .first()
        .map(|(_, e)| e.date.days_until(today))
}

/// Days on the current (active) plan.
pub fn days_on_plan(record: &Record, today: Date) -> Option<i32> {
    let plan = record.plan.latest()?;
    if !plan.value.is_active() {
        return None;
    }
    plan.value
        .started_on
        .parse::<Date>()
        .ok()
        .map(|s| s.days_until(today))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub reasons: Vec<String>,
}

/// While a plan is active: the safety scale has not improved over the last three scalings, or
/// neglect scores have not improved over the last two assessments. Calls for the manager to
/// consider escalation.
pub fn drift(record: &Record, today: Date) -> Option<Drift> {
    let plan = record.plan.latest()?;
    if !plan.value.is_active() {
        return None;
    }
    let start: Date = plan.value.started_on.parse().ok()?;
    let in_plan = |d: &str| {
        d.parse::<Date>()
            .ok()
            .is_some_and(|d| d >= start && d <= today)
    };
    let mut reasons = Vec::new();
    let scalings: Vec<_> = record
        .scalings
        .iter()
        .filter(|s| in_plan(&s.date))
        .collect();
    if let [.., first, _, last] = scalings.as_slice() {
        if last.score <= first.score {
            reasons.push(format!(
                "Safety scale has not improved over the last three scalings ({} on {} → {} on {})",
                first.score, first.date, last.score, last.date
            ));
        }
    }
    let neglect: Vec<_> = record.neglect.iter().filter(|n| in_plan(&n.date)).collect();
    if let [.., prev, last] = neglect.as_slice() {
        if last.total() >= prev.total() {
            reasons.push(format!(
                "Neglect scores have not improved over the last two assessments (total {} on {} → {} on {})",
                prev.total(),
                prev.date,
                last.total(),
                last.date
            ));
        }
    }
    (!reasons.is_empty()).then_some(Drift { reasons })
}

// ---------------------------------------------------------------------------------------------
// Everything at once

/// The overview a practitioner sees before a visit and a manager sees on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub today: Date,
    pub prompts: Vec<Prompt>,
    pub unassessed_adults: Vec<UnassessedAdult>,
    pub timescales: Vec<Timescale>,
    pub overdue: usize,
    pub days_since_first_concern: Option<i32>,
    pub days_on_plan: Option<i32>,
    pub drift: Option<Drift>,
    pub indicators: Vec<CategoryOverview>,
    /// Fields with unresolved concurrent edits.
    pub conflicts: usize,
    pub unreadable: usize,
}

pub fn overview(record: &Record, today: Date, t: &Thresholds) -> Overview {
    let timescales = timescales(record, today);
    let conflicts = record
        .people
        .iter()
        .map(|p| p.details.is_conflict() as usize + p.assessment.is_conflict() as usize)
        .sum::<usize>()
        + record
            .actions
            .iter()
            .filter(|a| a.status.is_conflict())
            .count()
        + record.plan.is_conflict() as usize;
    Overview {
        today,
        prompts: prompts(record, today, t),
        unassessed_adults: unassessed_adults(record),
        overdue: timescales.iter().filter(|t| t.overdue).count(),
        timescales,
        days_since_first_concern: days_since_first_concern(record, today),
        days_on_plan: days_on_plan(record, today),
        drift: drift(record, today),
        indicators: indicator_overview(record),
        conflicts,
        unreadable: record.unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::assessments::Scaling;
    use crate::record::plan::PlanDetails;
    use crate::record::stamped::{Field, Stamp, Stamped};
    use crate::record::{IndicatorEntry, Level, Source};

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn stamp() -> Stamp {
        Stamp {
            by: "m".parse().expect("a valid id"),
            by_name: "M".into(),
            at_ms: 0,
        }
    }

    fn obs(id: &str, date: &str, author: &str, codes: &[&str]) -> Observation {
        Observation {
            id: id.parse().expect("a valid id"),
            occurred: date.into(),
            occurred_approx: false,
            recorded_at_ms: 0,
            author_id: author.parse().expect("a valid id"),
            author_name: author.into(),
            agency: format!("{author} agency"),
            location: String::new(),
            present: vec![],
            indicators: codes
                .iter()
                .map(|c| IndicatorEntry {
                    code: (*c).into(),
                    level: Level::Consider,
                    ..Default::default()
                })
                .collect(),
            source: Source::Observed,
            narrative: "n".into(),
            child_words: String::new(),
            action_taken: String::new(),
            body_marks: Vec::new(),
        }
    }

    /// (date, author, indicator codes) per observation → whether a sexual-abuse prompt shows on `today`.
    fn check_prompt(entries: &[(&str, &str, &[&str])], today: &str, expected: bool) {
        let record = Record {
            observations: entries
                .iter()
                .enumerate()
                .map(|(i, (date, a, c))| obs(&format!("o{i}"), date, a, c))
                .collect(),
            ..Record::default()
        };
        let shown = prompts(&record, d(today), &Thresholds::default())
            .iter()
            .any(|p| p.category == Category::Sexual);
        assert_eq!(shown, expected, "{entries:?} on {today}");
    }

    #[test]
    fn prompt_thresholds() {
        let k = &["SEX-KNOWLEDGE"][..];
        // Three from one source: not enough.
        check_prompt(
            &[
                ("2026-01-01", "a", k),
                ("2026-02-01", "a", k),
                ("2026-03-01", "a", k),
            ],
            "2026-03-01",
            false,
        );
        // Third from a second source inside 180 days: prompt.
        check_prompt(
            &[
                ("2026-01-01", "a", k),
                ("2026-02-01", "a", k),
                ("2026-03-01", "b", k),
            ],
            "2026-03-01",
            true,
        );
        // Spread over more than 180 days: no prompt.
        check_prompt(
            &[
                ("2025-01-01", "a", k),
                ("2025-06-01", "a", k),
                ("2025-08-01", "b", k),
            ],
            "2025-08-01",
            false,
        );
        // Two indicators on one observation count twice.
        check_prompt(
            &[
                ("2026-01-01", "a", &["SEX-KNOWLEDGE", "SEX-BEHAVIOUR"]),
                ("2026-03-01", "b", k),
            ],
            "2026-03-01",
            true,
        );
        // Future-dated entries do not count yet; old windows fade.
        check_prompt(
            &[
                ("2026-01-01", "a", k),
                ("2026-02-01", "a", k),
                ("2026-03-01", "b", k),
            ],
            "2026-02-15",
            false,
        );
        check_prompt(
            &[
                ("2020-01-01", "a", k),
                ("2020-02-01", "a", k),
                ("2020-03-01", "b", k),
            ],
            "2026-03-01",
            false,
        );
        // Other categories never count towards sexual abuse.
        check_prompt(
            &[
                ("2026-01-01", "a", &["NEG-HYGIENE"]),
                ("2026-02-01", "b", &["NEG-HYGIENE"]),
                ("2026-03-01", "b", k),
            ],
            "2026-03-01",
            false,
        );
    }

    fn with_plan(scores: &[(&str, u8)]) -> Record {
        Record {
            plan: Field {
                values: vec![Stamped {
                    value: PlanDetails {
                        kind: PlanKind::ChildProtectionNeglect,
                        started_on: "2026-01-01".into(),
                        ended_on: String::new(),
                        contingency: String::new(),
                        contingency_trigger: String::new(),
                    },
                    stamp: stamp(),
                }],
            },
            scalings: scores
                .iter()
                .enumerate()
                .map(|(i, (date, score))| Scaling {
                    id: format!("s{i}"),
                    date: (*date).into(),
                    score: *score,
                    rationale: String::new(),
                    agency: String::new(),
                    added: stamp(),
                })
                .collect(),
            ..Record::default()
        }
    }

    fn check_drift(scores: &[(&str, u8)], expected: bool) {
        assert_eq!(
            drift(&with_plan(scores), d("2026-12-31")).is_some(),
            expected,
            "{scores:?}"
        );
    }

    #[test]
    fn drift_rules() {
        check_drift(&[("2026-02-01", 3), ("2026-03-01", 4)], false);
        check_drift(
            &[("2026-02-01", 3), ("2026-03-01", 4), ("2026-04-01", 5)],
            false,
        );
        check_drift(
            &[("2026-02-01", 4), ("2026-03-01", 4), ("2026-04-01", 4)],
            true,
        );
        check_drift(
            &[("2026-02-01", 5), ("2026-03-01", 6), ("2026-04-01", 4)],
            true,
        );
        // Scalings before the plan started do not count.
        check_drift(
            &[("2025-02-01", 8), ("2026-03-01", 4), ("2026-04-01", 5)],
            false,
        );
    }

    #[test]
    fn chronology_orders_all_kinds() {
        let mut record = with_plan(&[]);
        record.observations = vec![
            obs("o1", "2026-01-01T15:00", "a", &[]),
            obs("o2", "2025-12-31", "b", &[]),
        ];
        let items = chronology(&record);
        let kinds: Vec<(ItemKind, &str)> =
            items.iter().map(|i| (i.kind, i.date.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (ItemKind::Observation, "2025-12-31"),
                (ItemKind::PlanStarted, "2026-01-01"),
                (ItemKind::Observation, "2026-01-01T15:00")
            ]
        );
    }
}
