//! The chronology: every significant event of the record in date order, from every author
//! and agency. The page, the JSON API, the CSV, the anonymised CSV and the print view all list
//! exactly these items, so a reviewer reads the same story wherever they read it.
//!
//! A withdrawn entry stays, marked withdrawn with its reason; an amended one keeps its
//! original words beside each amendment.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::catalogue::{self, Category};
use crate::record::people::AssessmentStatus;
use crate::record::plan::ActionState;
use crate::record::{Observation, Record};

mod front_door;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    EpisodeStarted,
    EpisodeChanged,
    Conference,
    Observation,
    PersonAdded,
    PersonAssessed,
    Scaling,
    NeglectAssessment,
    ActionStatus,
    SupervisionDecision,
    EpisodeEnded,
    Visit,
    Debrief,
    DriftResponse,
    Challenge,
    Concern,
    ConcernDecision,
    StrategyDiscussion,
    InformationSharing,
}

impl ItemKind {
    pub const ALL: [ItemKind; 19] = [
        ItemKind::EpisodeStarted,
        ItemKind::EpisodeChanged,
        ItemKind::Conference,
        ItemKind::Observation,
        ItemKind::PersonAdded,
        ItemKind::PersonAssessed,
        ItemKind::Scaling,
        ItemKind::NeglectAssessment,
        ItemKind::ActionStatus,
        ItemKind::SupervisionDecision,
        ItemKind::EpisodeEnded,
        ItemKind::Visit,
        ItemKind::Debrief,
        ItemKind::DriftResponse,
        ItemKind::Challenge,
        ItemKind::Concern,
        ItemKind::ConcernDecision,
        ItemKind::StrategyDiscussion,
        ItemKind::InformationSharing,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ItemKind::EpisodeStarted => "Plan or episode started",
            ItemKind::EpisodeChanged => "Plan or episode changed",
            ItemKind::Conference => "Meeting",
            ItemKind::Observation => "Observation",
            ItemKind::PersonAdded => "Person added",
            ItemKind::PersonAssessed => "Person assessed",
            ItemKind::Scaling => "Safety scaling",
            ItemKind::NeglectAssessment => "Neglect assessment",
            ItemKind::ActionStatus => "Plan action status",
            ItemKind::SupervisionDecision => "Supervision decision",
            ItemKind::EpisodeEnded => "Plan or episode ended",
            ItemKind::Visit => "Visit",
            ItemKind::Debrief => "Visit debrief",
            ItemKind::DriftResponse => "Response to drift",
            ItemKind::Challenge => "Professional challenge",
            ItemKind::Concern => "Concern received",
            ItemKind::ConcernDecision => "Decision on a concern",
            ItemKind::StrategyDiscussion => "Strategy discussion",
            ItemKind::InformationSharing => "Information sharing",
        }
    }
}

/// One amendment of an observation, beside its original words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amended {
    pub field: String,
    pub corrected: String,
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

/// One line of the child's chronology, with every column a reviewer needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronologyItem {
    pub kind: ItemKind,
    /// `YYYY-MM-DD` (or with time, for observations).
    pub date: String,
    pub approximate: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub recorded_at_ms: i64,
    /// The entry it comes from.
    pub ref_id: String,
    pub author: String,
    pub agency: String,
    /// Where the information came from (observations), e.g. "Child said".
    pub source: String,
    /// A short factual headline.
    pub headline: String,
    /// Significance for the child: indicators seen, a meeting's outcome, a decision.
    pub significance: Vec<String>,
    /// Indicator categories (for filtering).
    pub categories: Vec<Category>,
    /// Indicators with their level, e.g. "Suspect: Poor hygiene".
    pub indicators: Vec<String>,
    pub narrative: String,
    pub child_words: String,
    pub present: Vec<String>,
    /// What was done about it.
    pub action: String,
    pub withdrawn: bool,
    pub withdrawn_reason: String,
    pub amendments: Vec<Amended>,
}

impl ChronologyItem {
    /// An item with only its kind, date, entry and headline; every other column empty.
    pub fn new(kind: ItemKind, date: String, ref_id: String, headline: String) -> Self {
        ChronologyItem {
            kind,
            date,
            approximate: false,
            recorded_at_ms: 0,
            ref_id,
            author: String::new(),
            agency: String::new(),
            source: String::new(),
            headline,
            significance: Vec::new(),
            categories: Vec::new(),
            indicators: Vec::new(),
            narrative: String::new(),
            child_words: String::new(),
            present: Vec::new(),
            action: String::new(),
            withdrawn: false,
            withdrawn_reason: String::new(),
            amendments: Vec::new(),
        }
    }

    fn by(mut self, stamp: &crate::record::stamped::Stamp) -> Self {
        self.author = stamp.by_name.clone();
        self.recorded_at_ms = stamp.at_ms;
        self
    }
}

fn stamp_day(at_ms: i64) -> String {
    Date::london_from_unix_ms(at_ms).to_string()
}

/// Every significant event in date order.
pub fn chronology(record: &Record) -> Vec<ChronologyItem> {
    let mut items = Vec::new();
    for o in &record.observations {
        items.push(observation(record, o));
    }
    episodes(record, &mut items);
    lessons(record, &mut items);
    front_door::items(record, &mut items);
    for c in &record.conferences {
        let mut item = ChronologyItem::new(
            ItemKind::Conference,
            c.date.clone(),
            c.id.clone(),
            c.kind.label().to_owned(),
        )
        .by(&c.added);
        item.significance = (!c.outcome.is_empty())
            .then(|| c.outcome.clone())
            .into_iter()
            .collect();
        if c.no_further_action {
            item.significance.push("No further action".to_owned());
        }
        item.categories = c.categories.clone();
        item.narrative = c.outcome.clone();
        items.push(item);
    }
    for s in &record.supervisions {
        for (i, d) in s.decisions.iter().enumerate() {
            let mut item = ChronologyItem::new(
                ItemKind::SupervisionDecision,
                s.date.clone(),
                format!("{}#{i}", s.id),
                format!("Supervision decision: {d}"),
            )
            .by(&s.added);
            item.significance = vec![d.clone()];
            item.action = d.clone();
            items.push(item);
        }
    }
    for s in &record.scalings {
        let mut item = ChronologyItem::new(
            ItemKind::Scaling,
            s.date.clone(),
            s.id.clone(),
            format!("Safety scaled at {} out of 10", s.score),
        )
        .by(&s.added);
        item.agency = s.agency.clone();
        item.narrative = s.rationale.clone();
        items.push(item);
    }
    for n in &record.neglect {
        let mut item = ChronologyItem::new(
            ItemKind::NeglectAssessment,
            n.date.clone(),
            n.id.clone(),
            format!("Neglect assessment: total {}", n.total()),
        )
        .by(&n.added);
        item.significance = n
            .areas()
            .iter()
            .map(|(area, score)| format!("{area}: {score}"))
            .collect();
        item.narrative = n.note.clone();
        items.push(item);
    }
    for a in &record.actions {
        for status in &a.status.values {
            if status.value.state == ActionState::NotStarted {
                continue;
            }
            let mut item = ChronologyItem::new(
                ItemKind::ActionStatus,
                stamp_day(status.stamp.at_ms),
                format!("{}@{}", a.base.id, status.stamp.at_ms),
                format!(
                    "Plan action {}: {}",
                    status.value.state.label().to_lowercase(),
                    a.base.what
                ),
            )
            .by(&status.stamp);
            item.narrative = status.value.note.clone();
            item.action = format!("{} (by {})", a.base.what, a.base.who);
            items.push(item);
        }
    }
    for p in &record.people {
        let relationship = p
            .details
            .latest()
            .map(|d| d.value.relationship.clone())
            .unwrap_or_default();
        let mut item = ChronologyItem::new(
            ItemKind::PersonAdded,
            stamp_day(p.added.at_ms),
            p.id.clone(),
            format!("{} added ({relationship})", p.name()),
        )
        .by(&p.added);
        item.narrative = p
            .details
            .latest()
            .map(|d| d.value.risk_info.clone())
            .unwrap_or_default();
        items.push(item);
        for a in &p.assessment.values {
            if a.value.status == AssessmentStatus::NotYetAssessed {
                continue;
            }
            let date = if a.value.date.is_empty() {
                stamp_day(a.stamp.at_ms)
            } else {
                a.value.date.clone()
            };
            let mut item = ChronologyItem::new(
                ItemKind::PersonAssessed,
                date,
                format!("{}@{}", p.id, a.stamp.at_ms),
                format!("{} assessed: {}", p.name(), a.value.status.label()),
            )
            .by(&a.stamp);
            item.narrative = a.value.note.clone();
            items.push(item);
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

fn observation(record: &Record, o: &Observation) -> ChronologyItem {
    let e = crate::chronology::entry(o);
    let mut item = ChronologyItem::new(
        ItemKind::Observation,
        o.occurred.clone(),
        o.id.to_string(),
        e.headline,
    );
    item.approximate = o.occurred_approx;
    item.recorded_at_ms = o.recorded_at_ms;
    item.author = o.author_name.clone();
    item.agency = o.agency.clone();
    item.source = e.source;
    item.significance = e.indicators.clone();
    item.indicators = e.indicators;
    item.categories = categories_of(o);
    item.narrative = o.narrative.clone();
    item.child_words = o.child_words.clone();
    item.present = o.present.clone();
    item.action = o.action_taken.clone();
    if let Some(w) = record
        .withdrawals
        .iter()
        .find(|w| w.observation_id == o.id.as_str())
    {
        item.withdrawn = true;
        item.withdrawn_reason = w.reason.clone();
    }
    item.amendments = record
        .amendments
        .iter()
        .filter(|a| a.observation_id == o.id.as_str())
        .map(|a| Amended {
            field: a.field.clone(),
            corrected: a.corrected.clone(),
            reason: a.reason.clone(),
            by: a.added.by_name.clone(),
            at_ms: a.added.at_ms,
        })
        .collect();
    item
}

/// Episode starts, changes within them and ends.
fn episodes(record: &Record, items: &mut Vec<ChronologyItem>) {
    for e in super::episodes::episodes(record) {
        let source = record.episodes.iter().find(|x| x.base.id == e.id);
        let first = e.categories.first().map_or(e.category, |c| c.1);
        let start_label = match first {
            crate::record::episodes::PlanCategory::None => e.kind.label().to_owned(),
            c => format!("{} ({})", e.kind.label(), c.label()),
        };
        let mut start = ChronologyItem::new(
            ItemKind::EpisodeStarted,
            e.started_on.to_string(),
            e.id.clone(),
            format!("{start_label} started"),
        );
        if let Some(x) = source {
            start = start.by(&x.base.added);
            start.narrative = x.base.detail.clone();
        } else if let Some(p) = record.plan.latest() {
            start = start.by(&p.stamp);
            start.significance = vec![format!("Contingency: {}", p.value.contingency)];
        }
        items.push(start);
        if let Some(end) = e.ended_on {
            let mut item = ChronologyItem::new(
                ItemKind::EpisodeEnded,
                end.to_string(),
                format!("{}#end", e.id),
                format!("{} ended: {}", e.label(), e.end_reason.label()),
            );
            if let Some(ending) = source.and_then(|x| x.ending.latest()) {
                item = item.by(&ending.stamp);
                item.narrative = ending.value.note.clone();
            }
            items.push(item);
        }
    }
    for ev in &record.episode_events {
        let mut item = ChronologyItem::new(
            ItemKind::EpisodeChanged,
            ev.date.clone(),
            ev.id.clone(),
            match ev.kind {
                crate::record::episodes::EventKind::CategoryChanged => {
                    format!("Plan category changed to {}", ev.category.label())
                }
                crate::record::episodes::EventKind::PlacementMoved => "Placement move".to_owned(),
            },
        )
        .by(&ev.added);
        item.narrative = ev.note.clone();
        items.push(item);
    }
}

/// Visits and their debriefs, responses to drift, challenges and their steps.
fn lessons(record: &Record, items: &mut Vec<ChronologyItem>) {
    for v in &record.visits {
        let mut item =
            ChronologyItem::new(ItemKind::Visit, v.date.clone(), v.id.clone(), v.headline())
                .by(&v.added);
        item.agency = v.agency.clone();
        item.child_words = v.child_words.clone();
        item.narrative = v.note.clone();
        item.significance = v
            .difficulties
            .iter()
            .map(|d| d.label().to_owned())
            .collect();
        items.push(item);
    }
    for d in &record.debriefs {
        let mut item = ChronologyItem::new(
            ItemKind::Debrief,
            d.date.clone(),
            d.id.clone(),
            "Difficult visit debriefed".to_owned(),
        )
        .by(&d.added);
        item.narrative = d.note.clone();
        item.significance = record
            .visits
            .iter()
            .find(|v| v.id == d.visit_id)
            .map(|v| format!("The visit of {} by {}", v.date, v.added.by_name))
            .into_iter()
            .collect();
        items.push(item);
    }
    for r in &record.drift_responses {
        let mut item = ChronologyItem::new(
            ItemKind::DriftResponse,
            r.date.clone(),
            r.id.clone(),
            format!("Drift answered: {}", r.action.label().to_lowercase()),
        )
        .by(&r.added);
        item.narrative = r.reason.clone();
        item.action = format!("Review on {}", r.review_on);
        item.significance = vec![format!("Review on {}", r.review_on)];
        items.push(item);
    }
    for c in &record.challenges {
        let mut item = ChronologyItem::new(
            ItemKind::Challenge,
            c.raised_on.clone(),
            c.id.clone(),
            format!("Challenge raised by {}: {}", c.agency, c.about),
        )
        .by(&c.added);
        item.agency = c.agency.clone();
        item.narrative = c.reason.clone();
        items.push(item);
    }
    for s in &record.challenge_steps {
        let what = match s.outcome {
            crate::record::escalation::Outcome::None => s.kind.label().to_owned(),
            o => format!("{}: {}", s.kind.label(), o.label().to_lowercase()),
        };
        let mut item = ChronologyItem::new(
            ItemKind::Challenge,
            s.date.clone(),
            s.id.clone(),
            format!("Challenge {}", what.to_lowercase()),
        )
        .by(&s.added);
        item.agency = s.agency.clone();
        item.narrative = s.note.clone();
        items.push(item);
    }
}

fn categories_of(o: &Observation) -> Vec<Category> {
    let set: BTreeSet<Category> = o
        .indicators
        .iter()
        .filter_map(|i| catalogue::find(&i.code))
        .flat_map(|c| std::iter::once(c.category).chain(c.also_counts.iter().copied()))
        .collect();
    set.into_iter().collect()
}
