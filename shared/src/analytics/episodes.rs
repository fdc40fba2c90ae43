//! The child's episodes as a manager reads them: each plan period with its category over
//! time, placements and ending; the legal status derived from the episodes open today; and
//! the previous plans, which the record's front shows first.

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::record::episodes::{EndReason, EpisodeKind, EventKind, PlanCategory};
use crate::record::plan::PlanKind;
use crate::record::Record;

/// One episode, read with its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpisodeView {
    pub id: String,
    pub kind: EpisodeKind,
    /// The category now (after any change at review); `None` unless child protection.
    pub category: PlanCategory,
    /// Every category it has had, in order, with the date each began.
    pub categories: Vec<(Date, PlanCategory)>,
    pub started_on: Date,
    pub ended_on: Option<Date>,
    pub end_reason: EndReason,
    /// Placement moves of a looked-after episode: date and placement.
    pub placements: Vec<(Date, String)>,
    /// Two people ended it differently offline and nobody has settled which stands.
    pub disputed_ending: bool,
    /// Read from the record's single plan field (recorded before episodes existed).
    pub legacy: bool,
}

impl EpisodeView {
    pub fn is_open_on(&self, day: Date) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| end > day)
    }

    /// The category it had on `day` (the first one before it started).
    pub fn category_on(&self, day: Date) -> PlanCategory {
        self.categories
            .iter()
            .take_while(|(from, _)| *from <= day)
            .last()
            .or(self.categories.first())
            .map_or(self.category, |c| c.1)
    }

    /// What it was on `day`: "Child protection plan (neglect)", "Looked after", …
    pub fn label_on(&self, day: Date) -> String {
        match self.category_on(day) {
            PlanCategory::None => self.kind.label().to_owned(),
            c => format!("{} ({})", self.kind.label(), c.label()),
        }
    }

    /// "Child protection plan (neglect)", "Looked after", … with its current category.
    pub fn label(&self) -> String {
        match self.category {
            PlanCategory::None => self.kind.label().to_owned(),
            c => format!("{} ({})", self.kind.label(), c.label()),
        }
    }

    /// "06/2021 to 07/2022" or "since 11/2025".
    pub fn period(&self) -> String {
        let my = |d: Date| {
            let (y, m, _) = d.ymd();
            format!("{m:02}/{y}")
        };
        match self.ended_on {
            Some(end) => format!("{} to {}", my(self.started_on), my(end)),
            None => format!("since {}", my(self.started_on)),
        }
    }
}

fn from_plan_kind(kind: PlanKind) -> (EpisodeKind, PlanCategory) {
    match kind {
        PlanKind::ChildInNeed => (EpisodeKind::ChildInNeed, PlanCategory::None),
        PlanKind::ChildProtectionPhysical => (EpisodeKind::ChildProtection, PlanCategory::Physical),
        PlanKind::ChildProtectionSexual => (EpisodeKind::ChildProtection, PlanCategory::Sexual),
        PlanKind::ChildProtectionEmotional => {
            (EpisodeKind::ChildProtection, PlanCategory::Emotional)
        }
        PlanKind::ChildProtectionNeglect => (EpisodeKind::ChildProtection, PlanCategory::Neglect),
        PlanKind::LookedAfter => (EpisodeKind::LookedAfter, PlanCategory::None),
    }
}

/// Every episode, oldest first. The record's single plan field, from before episodes, reads
/// as one more episode unless an episode of the same kind starts the same day.
pub fn episodes(record: &Record) -> Vec<EpisodeView> {
    let mut out: Vec<EpisodeView> = record
        .episodes
        .iter()
        .filter_map(|e| {
            let started_on = e.base.started_on.parse().ok()?;
            let mut categories = Vec::new();
            if e.base.kind == EpisodeKind::ChildProtection {
                categories.push((started_on, e.base.category));
            }
            let mut placements = Vec::new();
            for ev in record
                .episode_events
                .iter()
                .filter(|ev| ev.episode_id == e.base.id && ev.fits(e.base.kind))
            {
                let Ok(date) = ev.date.parse::<Date>() else {
                    continue;
                };
                match ev.kind {
                    EventKind::CategoryChanged => categories.push((date, ev.category)),
                    EventKind::PlacementMoved => placements.push((date, ev.note.clone())),
                }
            }
            categories.sort();
            placements.sort();
            let ending = e.ending.latest().map(|s| &s.value);
            let ended_on = e.ended_on().and_then(|d| d.parse().ok());
            Some(EpisodeView {
                id: e.base.id.clone(),
                kind: e.base.kind,
                category: categories.last().map_or(e.base.category, |c| c.1),
                categories,
                started_on,
                ended_on,
                end_reason: if ended_on.is_some() {
                    ending.map_or(EndReason::Open, |x| x.reason)
                } else {
                    EndReason::Open
                },
                placements,
                disputed_ending: e.ending.is_conflict(),
                legacy: false,
            })
        })
        .collect();
    if let Some(plan) = record.plan.latest().map(|p| &p.value) {
        let (kind, category) = from_plan_kind(plan.kind);
        if let Ok(started_on) = plan.started_on.parse::<Date>() {
            if !out
                .iter()
                .any(|e| e.kind == kind && e.started_on == started_on)
            {
                let ended_on = plan.ended_on.parse().ok();
                out.push(EpisodeView {
                    id: "plan".into(),
                    kind,
                    category,
                    categories: if kind == EpisodeKind::ChildProtection {
                        vec![(started_on, category)]
                    } else {
                        Vec::new()
                    },
                    started_on,
                    ended_on,
                    end_reason: if ended_on.is_some() {
                        EndReason::Other
                    } else {
                        EndReason::Open
                    },
                    placements: Vec::new(),
                    disputed_ending: false,
                    legacy: true,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.started_on, &a.id).cmp(&(b.started_on, &b.id)));
    out
}

/// The legal status from the episodes open on `today`, most protective first ("Child
/// protection plan (neglect); looked after"); `None` when the record has no episodes, so
/// the directory's status stands.
pub fn legal_status(record: &Record, today: Date) -> Option<String> {
    let all = episodes(record);
    if all.is_empty() {
        return None;
    }
    let mut open: Vec<&EpisodeView> = all.iter().filter(|e| e.is_open_on(today)).collect();
    if open.is_empty() {
        return Some("No current plan".to_owned());
    }
    let rank = |k: EpisodeKind| match k {
        EpisodeKind::PreProceedings => 0,
        EpisodeKind::LookedAfter => 1,
        EpisodeKind::ChildProtection => 2,
        EpisodeKind::ChildInNeed => 3,
    };
    open.sort_by_key(|e| (rank(e.kind), e.started_on));
    // A child on a protection plan or looked after is not also shown "in need".
    let protected = open.iter().any(|e| e.kind != EpisodeKind::ChildInNeed);
    Some(
        open.iter()
            .filter(|e| !(protected && e.kind == EpisodeKind::ChildInNeed))
            .map(|e| e.label_on(today))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// What the record's front says first: the plans the child has been on before, by kind
/// ("2 previous child protection plans: 06/2021 to 07/2022 (emotional abuse), …").
pub fn previous_plans(record: &Record, today: Date) -> Vec<String> {
    let all = episodes(record);
    let mut out = Vec::new();
    for kind in [
        EpisodeKind::ChildProtection,
        EpisodeKind::LookedAfter,
        EpisodeKind::PreProceedings,
        EpisodeKind::ChildInNeed,
    ] {
        let ended: Vec<&EpisodeView> = all
            .iter()
            .filter(|e| e.kind == kind && !e.is_open_on(today) && e.started_on <= today)
            .collect();
        if ended.is_empty() {
            continue;
        }
        let what = match (kind, ended.len()) {
            (EpisodeKind::ChildProtection, 1) => "previous child protection plan",
            (EpisodeKind::ChildProtection, _) => "previous child protection plans",
            (EpisodeKind::LookedAfter, 1) => "previous period looked after",
            (EpisodeKind::LookedAfter, _) => "previous periods looked after",
            (EpisodeKind::PreProceedings, 1) => "previous pre-proceedings",
            (EpisodeKind::PreProceedings, _) => "previous pre-proceedings",
            (EpisodeKind::ChildInNeed, 1) => "previous child in need plan",
            (EpisodeKind::ChildInNeed, _) => "previous child in need plans",
        };
        let each: Vec<String> = ended
            .iter()
            .map(|e| match e.category {
                PlanCategory::None => e.period(),
                c => format!("{} ({})", e.period(), c.label()),
            })
            .collect();
        out.push(format!("{} {what}: {}", ended.len(), each.join(", ")));
    }
    out
}
