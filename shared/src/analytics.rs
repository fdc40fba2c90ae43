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
use crate::record::episodes::EpisodeKind;
use crate::record::plan::ConferenceKind;
use crate::record::Record;

mod chronology;
pub mod episodes;
pub mod export;
mod flag;
pub mod front_door;
pub mod lessons;
pub mod since;
pub use chronology::{chronology, Amended, ChronologyItem, ItemKind};
pub use episodes::{legal_status, previous_plans, EpisodeView};
pub use flag::{Flag, FlagKind};
pub use lessons::{Lessons, Practice};

/// How indicators accumulate into a prompt. Configurable per deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Indicators of one category needed within the window.
    pub indicators: usize,
    /// Distinct informants they must come from (see [`Informants`]).
    pub sources: usize,
    pub window_days: i32,
    /// What makes two pieces of evidence come from different informants.
    #[serde(default)]
    pub informants: Informants,
    /// Visit cadence, debriefs, avoidance, challenge clocks ([`lessons`]).
    #[serde(default)]
    pub practice: Practice,
}

/// What "two different sources" means. The default is two informants: evidence from
/// different agencies, or of different kinds (the child said, a carer said, observed directly,
/// a third party reported), so one practitioner who hears it from the child and from a carer
/// has two sources, while two practitioners of one agency who both saw it have one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Informants {
    /// A different agency or a different kind of source.
    #[default]
    AgencyOrKind,
    /// Different practitioners (the rule before informants were defined).
    Authors,
}

impl Informants {
    /// The key two pieces of evidence share when they come from the same informant.
    fn key(self, e: &Evidence) -> String {
        match self {
            Informants::AgencyOrKind => format!("{}\u{1f}{}", e.agency, e.source_kind),
            Informants::Authors => e.author_id.clone(),
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            indicators: 3,
            sources: 2,
            window_days: 180,
            informants: Informants::default(),
            practice: Practice::default(),
        }
    }
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
    /// Where it came from, by kind: a formal disclosure counts as the child saying it.
    pub source_kind: String,
}

/// Every indicator of every observation that is not withdrawn, under each category it counts
/// toward (its own, and any other its catalogue entry names: a child's harmful sexual
/// behaviour is also a possible sign of their own sexual abuse).
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
            let kind = match o.source {
                crate::record::Source::FormalDisclosure => crate::record::Source::ChildSaid,
                other => other,
            };
            let e = Evidence {
                observation_id: o.id.to_string(),
                date,
                code: i.code.clone(),
                label: ind.label.to_owned(),
                level: i.level.label().to_owned(),
                author_id: o.author_id.to_string(),
                author: o.author_name.clone(),
                agency: o.agency.clone(),
                source: o.source.label().to_owned(),
                source_kind: kind.code().to_owned(),
            };
            for &category in std::iter::once(&ind.category).chain(ind.also_counts) {
                out.push((category, e.clone()));
            }
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
    /// The day the threshold was first crossed by this cluster.
    pub first_crossed: Date,
    /// The indicators in the most recent window that crosses the threshold.
    pub evidence: Vec<Evidence>,
    /// Distinct informants of the evidence, by the thresholds' rule.
    #[serde(default)]
    pub informants: usize,
    /// A strategy discussion of this category held on or after the threshold was crossed,
    /// which acted on this cluster.
    pub strategy_discussion_on: Option<Date>,
}

impl Prompt {
    /// Distinct informants of the evidence.
    pub fn sources(&self) -> usize {
        self.informants
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

/// Strategy discussions held on or before `today` that considered `category` (one that
/// names no category considered every one), oldest first.
fn discussions_of(record: &Record, category: Category, today: Date) -> Vec<Date> {
    let mut v: Vec<Date> = record
        .conferences
        .iter()
        .filter(|c| c.kind == ConferenceKind::StrategyDiscussion)
        .filter(|c| c.categories.is_empty() || c.categories.contains(&category))
        .filter_map(|c| c.date.parse().ok())
        .chain(
            // A minuted discussion considered every category.
            record
                .strategy_discussions
                .iter()
                .filter_map(|s| s.date.parse().ok()),
        )
        .filter(|d| *d <= today)
        .collect();
    v.sort();
    v
}

/// Each category is judged on its own, cluster by cluster: a strategy discussion of the
/// category acts on its indicators up to the discussion's date, and indicators after it
/// start a new cluster, which prompts again when it crosses the threshold. A cluster shows
/// while its latest window ends within `window_days` before `today`; only entries dated on or
/// before `today` count.
pub fn prompts(record: &Record, today: Date, t: &Thresholds) -> Vec<Prompt> {
    let ev = evidence(record);
    let mut out = Vec::new();
    for &category in Category::ALL {
        let mine: Vec<&Evidence> = ev
            .iter()
            .filter(|(c, e)| *c == category && e.date <= today)
            .map(|(_, e)| e)
            .collect();
        let discussions = discussions_of(record, category, today);
        // Clusters: the evidence between one discussion and the next.
        let mut start = 0;
        let mut bounds: Vec<Option<Date>> = discussions.iter().copied().map(Some).collect();
        bounds.push(None);
        for bound in bounds {
            let end = mine[start..]
                .iter()
                .position(|e| bound.is_some_and(|b| e.date > b))
                .map_or(mine.len(), |n| start + n);
            if let Some(p) = cluster(&mine[start..end], category, bound, today, t) {
                out.push(p);
            }
            start = end;
        }
    }
    out
}

/// The prompt one cluster of a category's evidence raises, if it crosses the threshold.
/// `acted_on` is the discussion that closed the cluster, if one did.
fn cluster(
    mine: &[&Evidence],
    category: Category,
    acted_on: Option<Date>,
    today: Date,
    t: &Thresholds,
) -> Option<Prompt> {
    let mut first_crossed = None;
    let mut latest: Option<(Vec<Evidence>, usize)> = None;
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
        let informants = window
            .iter()
            .map(|e| t.informants.key(e))
            .collect::<BTreeSet<_>>()
            .len();
        if window.len() >= t.indicators && informants >= t.sources {
            first_crossed.get_or_insert(end_date);
            latest = Some((window, informants));
        }
    }
    let (first, (window, informants)) = (first_crossed?, latest?);
    let last = window.last().map_or(first, |e| e.date);
    (last.days_until(today) <= t.window_days).then(|| Prompt {
        category,
        first_crossed: first,
        evidence: window,
        informants,
        strategy_discussion_on: acted_on.filter(|d| *d >= first),
    })
}

/// Harmful behaviour by the child towards others: entries of indicators that harm others,
/// the latest within the window before `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarmToOthers {
    pub since: Date,
    pub last: Date,
    pub entries: usize,
    pub agencies: usize,
}

pub fn harm_to_others(record: &Record, today: Date, t: &Thresholds) -> Option<HarmToOthers> {
    let mut seen = BTreeSet::new();
    let hits: Vec<Evidence> = evidence(record)
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.date <= today)
        .filter(|e| catalogue::find(&e.code).is_some_and(|i| i.harms_others))
        .filter(|e| seen.insert((e.observation_id.clone(), e.code.clone())))
        .collect();
    let last = hits.last()?.date;
    if last.days_until(today) > t.window_days {
        return None;
    }
    Some(HarmToOthers {
        since: hits.first()?.date,
        last,
        entries: hits
            .iter()
            .map(|e| &e.observation_id)
            .collect::<BTreeSet<_>>()
            .len(),
        agencies: hits
            .iter()
            .map(|e| &e.agency)
            .collect::<BTreeSet<_>>()
            .len(),
    })
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
    /// When the person was added to the record.
    #[serde(default = "Date::epoch")]
    pub added_on: Date,
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
            added_on: Date::london_from_unix_ms(p.added.at_ms),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Timescales

/// What a timescale is for, and so whose action it is. Carries no record content, so a flag
/// can name it on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimescaleKind {
    InitialConference,
    FirstCoreGroup,
    FirstReview,
    Review,
    FirstLookedAfterReview,
    SecondLookedAfterReview,
    LookedAfterReview,
    PlanAction,
    /// A child and family assessment decided at the front door.
    Assessment,
}

impl TimescaleKind {
    pub fn label(self) -> &'static str {
        match self {
            TimescaleKind::InitialConference => "Initial child protection conference",
            TimescaleKind::FirstCoreGroup => "First core group",
            TimescaleKind::FirstReview => "First review conference",
            TimescaleKind::Review => "Review conference",
            TimescaleKind::FirstLookedAfterReview => "First looked-after review",
            TimescaleKind::SecondLookedAfterReview => "Second looked-after review",
            TimescaleKind::LookedAfterReview => "Looked-after review",
            TimescaleKind::PlanAction => "Plan action",
            TimescaleKind::Assessment => "Child and family assessment",
        }
    }

    /// Whose action it is.
    pub fn owner(self) -> &'static str {
        match self {
            TimescaleKind::InitialConference
            | TimescaleKind::FirstReview
            | TimescaleKind::Review => "child protection chair",
            TimescaleKind::FirstCoreGroup => "lead social worker",
            TimescaleKind::FirstLookedAfterReview
            | TimescaleKind::SecondLookedAfterReview
            | TimescaleKind::LookedAfterReview => "independent reviewing officer",
            TimescaleKind::PlanAction => "the action's owner",
            TimescaleKind::Assessment => "lead social worker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timescale {
    pub kind: TimescaleKind,
    pub what: String,
    pub due: Date,
    pub done_on: Option<Date>,
    pub overdue: bool,
}

/// Statutory dates (child protection conferences, looked-after reviews) and plan actions,
/// with what is overdue as of `today`. A meeting that decided no further action ends the
/// timescales it would have started.
pub fn timescales(record: &Record, today: Date) -> Vec<Timescale> {
    let mut out = Vec::new();
    let dated = |kind: ConferenceKind| -> Vec<(Date, bool)> {
        let mut v: Vec<(Date, bool)> = record
            .conferences
            .iter()
            .filter(|c| c.kind == kind)
            .filter_map(|c| c.date.parse().ok().map(|d| (d, c.no_further_action)))
            .collect();
        v.sort();
        v
    };
    let mut strategies = dated(ConferenceKind::StrategyDiscussion);
    strategies.extend(front_door::strategy_dates(record));
    strategies.sort();
    let initials = dated(ConferenceKind::InitialConference);
    let core_groups = dated(ConferenceKind::CoreGroup);
    let reviews = dated(ConferenceKind::ReviewConference);
    let la_reviews = dated(ConferenceKind::LookedAfterReview);
    let mut push = |kind: TimescaleKind, what: &str, due: Date, done_on: Option<Date>| {
        out.push(Timescale {
            kind,
            what: what.to_owned(),
            due,
            done_on,
            overdue: done_on.is_none() && today > due,
        });
    };

    if let Some(&(s, nfa)) = strategies.last() {
        if !nfa {
            let held = initials.iter().map(|c| c.0).find(|d| *d >= s);
            push(
                TimescaleKind::InitialConference,
                "Initial child protection conference (15 working days from strategy discussion)",
                s.add_working_days(15),
                held,
            );
        }
    }
    let all_episodes = episodes::episodes(record);
    let cp_active = all_episodes
        .iter()
        .any(|e| e.kind == EpisodeKind::ChildProtection && e.is_open_on(today));
    if let Some(&(i, nfa)) = initials.last() {
        if !nfa {
            let core = core_groups.iter().map(|c| c.0).find(|d| *d >= i);
            push(
                TimescaleKind::FirstCoreGroup,
                "First core group (10 working days from initial conference)",
                i.add_working_days(10),
                core,
            );
        }
        if cp_active && !nfa {
            // First review 3 months after the initial conference, then at most every 6
            // months, until a review ends the plan.
            let mut due = i.add_months(3);
            let mut first = true;
            let mut ended = false;
            for &(r, ends) in reviews.iter().filter(|r| r.0 > i) {
                let (kind, what) = review_words(first);
                push(kind, what, due, Some(r));
                due = r.add_months(6);
                first = false;
                if ends {
                    ended = true;
                    break;
                }
            }
            if !ended {
                let (kind, what) = review_words(first);
                push(kind, what, due, None);
            }
        }
    }
    for la in all_episodes
        .iter()
        .filter(|e| e.kind == EpisodeKind::LookedAfter && e.is_open_on(today))
    {
        // First review within 20 working days of becoming looked after, the second within
        // 3 months of the first, then every 6 months.
        let mut due = la.started_on.add_working_days(20);
        let mut n = 0;
        for &(r, _) in la_reviews.iter().filter(|r| r.0 >= la.started_on) {
            push(la_review_kind(n), la_review_words(n), due, Some(r));
            due = if n == 0 {
                r.add_months(3)
            } else {
                r.add_months(6)
            };
            n += 1;
        }
        push(la_review_kind(n), la_review_words(n), due, None);
    }
    for a in &record.actions {
        let Ok(due) = a.base.due.parse::<Date>() else {
            continue;
        };
        let done = (!a.is_open())
            .then(|| a.status.latest().map(|s| Date::from_unix_ms(s.stamp.at_ms)))
            .flatten();
        out.push(Timescale {
            kind: TimescaleKind::PlanAction,
            what: format!("Plan action: {} ({})", a.base.what, a.base.who),
            due,
            done_on: done,
            overdue: a.is_open() && today > due,
        });
    }
    out.sort_by(|a, b| (a.due, &a.what).cmp(&(b.due, &b.what)));
    out
}

fn review_words(first: bool) -> (TimescaleKind, &'static str) {
    if first {
        (
            TimescaleKind::FirstReview,
            "First review conference (3 months)",
        )
    } else {
        (TimescaleKind::Review, "Review conference (6 months)")
    }
}

fn la_review_kind(n: usize) -> TimescaleKind {
    match n {
        0 => TimescaleKind::FirstLookedAfterReview,
        1 => TimescaleKind::SecondLookedAfterReview,
        _ => TimescaleKind::LookedAfterReview,
    }
}

fn la_review_words(n: usize) -> &'static str {
    match n {
        0 => "First looked-after review (20 working days from becoming looked after)",
        1 => "Second looked-after review (3 months after the first)",
        _ => "Looked-after review (6 months)",
    }
}

// ---------------------------------------------------------------------------------------------
// Days since first concern, days on plan, drift

/// Days since the first (non-withdrawn) observation with an indicator.
pub fn days_since_first_concern(record: &Record, today: Date) -> Option<i32> {
    evidence(record)
        .first()
        .map(|(_, e)| e.date.days_until(today))
}

/// The plan open today that started last (child in need, protection or looked after).
fn current_plan(record: &Record, today: Date) -> Option<episodes::EpisodeView> {
    episodes::episodes(record)
        .into_iter()
        .filter(|e| e.is_open_on(today) && e.kind != EpisodeKind::PreProceedings)
        .max_by_key(|e| e.started_on)
}

/// Days on the current (active) plan.
pub fn days_on_plan(record: &Record, today: Date) -> Option<i32> {
    current_plan(record, today).map(|p| p.started_on.days_until(today))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub reasons: Vec<String>,
    /// The first scaling or assessment of the window that has not improved.
    #[serde(default = "Date::epoch")]
    pub since: Date,
}

/// While a plan is active: the safety scale has not improved over the last three scalings, or
/// neglect scores have not improved over the last two assessments. Calls for the manager to
/// consider escalation.
pub fn drift(record: &Record, today: Date) -> Option<Drift> {
    let start = current_plan(record, today)?.started_on;
    let in_plan = |d: &str| {
        d.parse::<Date>()
            .ok()
            .is_some_and(|d| d >= start && d <= today)
    };
    let mut reasons = Vec::new();
    let mut since: Option<Date> = None;
    let mut from = |d: &str| {
        if let Ok(d) = d.parse::<Date>() {
            since = Some(since.map_or(d, |s: Date| s.min(d)));
        }
    };
    let scalings: Vec<_> = record
        .scalings
        .iter()
        .filter(|s| in_plan(&s.date))
        .collect();
    if let [.., first, _, last] = scalings.as_slice() {
        if last.score <= first.score {
            from(&first.date);
            reasons.push(format!(
                "Safety scale has not improved over the last three scalings ({} on {} → {} on {})",
                first.score, first.date, last.score, last.date
            ));
        }
    }
    let neglect: Vec<_> = record.neglect.iter().filter(|n| in_plan(&n.date)).collect();
    if let [.., prev, last] = neglect.as_slice() {
        if last.total() >= prev.total() {
            from(&prev.date);
            reasons.push(format!(
                "Neglect scores have not improved over the last two assessments (total {} on {} → {} on {})",
                prev.total(),
                prev.date,
                last.total(),
                last.date
            ));
        }
    }
    (!reasons.is_empty()).then(|| Drift {
        reasons,
        since: since.unwrap_or(today),
    })
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
    /// The child's harmful behaviour towards others, if recent.
    #[serde(default)]
    pub harm_to_others: Option<HarmToOthers>,
    /// Every episode, oldest first.
    #[serde(default)]
    pub episodes: Vec<EpisodeView>,
    /// From the episodes open today; `None` when the record has none.
    #[serde(default)]
    pub legal_status: Option<String>,
    /// The plans before the current ones, one line per kind: shown first.
    #[serde(default)]
    pub previous_plans: Vec<String>,
    /// Seen and heard, difficult visits, drift's response, challenges.
    #[serde(default)]
    pub lessons: Lessons,
    /// Concerns from the front door, each with its answer.
    #[serde(default)]
    pub concerns: Vec<front_door::ConcernView>,
}

/// Everything the overview shows, on `today`, for a child born on `born` (the caseload's
/// date of birth; `None` when unknown).
pub fn overview(record: &Record, today: Date, t: &Thresholds, born: Option<Date>) -> Overview {
    let mut timescales = timescales(record, today);
    timescales.extend(front_door::assessment_timescales(record, today));
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
        + record.plan.is_conflict() as usize
        + record
            .episodes
            .iter()
            .filter(|e| e.ending.is_conflict())
            .count();
    let drift = drift(record, today);
    let lessons = lessons::lessons(record, today, born, drift.as_ref(), &t.practice);
    Overview {
        today,
        prompts: prompts(record, today, t),
        unassessed_adults: unassessed_adults(record),
        overdue: timescales.iter().filter(|t| t.overdue).count(),
        timescales,
        days_since_first_concern: days_since_first_concern(record, today),
        days_on_plan: days_on_plan(record, today),
        drift,
        indicators: indicator_overview(record),
        conflicts,
        unreadable: record.unreadable,
        harm_to_others: harm_to_others(record, today, t),
        episodes: episodes::episodes(record),
        legal_status: legal_status(record, today),
        previous_plans: previous_plans(record, today),
        lessons,
        concerns: front_door::concerns(record),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::assessments::Scaling;
    use crate::record::plan::{PlanDetails, PlanKind};
    use crate::record::stamped::{Field, Stamp, Stamped};
    use crate::record::{IndicatorEntry, Level, Observation, Source};

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
                (ItemKind::EpisodeStarted, "2026-01-01"),
                (ItemKind::Observation, "2026-01-01T15:00")
            ]
        );
    }
}
