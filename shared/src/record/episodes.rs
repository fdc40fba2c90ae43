//! The child's history of episodes: child in need, child protection (with its category),
//! looked after (with placement moves), pre-proceedings. Each has a start, an end and a reason
//! for ending; a new episode never overwrites an old one, so the record keeps every plan the
//! child has been on.
//!
//! An episode is an entry of [`EPISODES`] with its `base` and a stamped `ending` (one person
//! ends it, or two offline and both endings show). What happens within an episode (a child
//! protection category changed at review, a placement move) is an entry of
//! [`EPISODE_EVENTS`]. Both maps are added ones ([`super::schema`]): every writer here
//! upgrades the record first.

use automerge::{Automerge, ReadDoc};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change, entry_obj, map_obj};
pub use super::schema::{EPISODES, EPISODE_EVENTS};
use super::stamped::{self, Field, Stamp};
use super::{check_date, check_id, check_len, check_optional_date};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};
use crate::choice::choice;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeKind {
    ChildInNeed,
    ChildProtection,
    LookedAfter,
    /// The Public Law Outline's pre-proceedings, or care proceedings being planned.
    PreProceedings,
}

choice!(EpisodeKind {
    ChildInNeed = "child_in_need",
    ChildProtection = "child_protection",
    LookedAfter = "looked_after",
    PreProceedings = "pre_proceedings",
});

impl EpisodeKind {
    pub fn label(self) -> &'static str {
        match self {
            EpisodeKind::ChildInNeed => "Child in need plan",
            EpisodeKind::ChildProtection => "Child protection plan",
            EpisodeKind::LookedAfter => "Looked after",
            EpisodeKind::PreProceedings => "Pre-proceedings",
        }
    }
}

/// The category of a child protection plan (Working Together's four, or more than one).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum PlanCategory {
    /// Not a child protection plan.
    #[default]
    None,
    Physical,
    Emotional,
    Sexual,
    Neglect,
    Multiple,
}

choice!(PlanCategory {
    None = "none",
    Physical = "physical",
    Emotional = "emotional",
    Sexual = "sexual",
    Neglect = "neglect",
    Multiple = "multiple",
});

impl PlanCategory {
    pub fn label(self) -> &'static str {
        match self {
            PlanCategory::None => "not a child protection plan",
            PlanCategory::Physical => "physical abuse",
            PlanCategory::Emotional => "emotional abuse",
            PlanCategory::Sexual => "sexual abuse",
            PlanCategory::Neglect => "neglect",
            PlanCategory::Multiple => "multiple categories",
        }
    }
}

/// Why an episode ended.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Not ended.
    #[default]
    Open,
    /// Risks reduced: the plan is no longer needed.
    RiskReduced,
    /// Stepped down to a lesser plan or early help.
    SteppedDown,
    /// Stepped up to a child protection plan, care or proceedings.
    SteppedUp,
    MovedArea,
    ReturnedHome,
    Adopted,
    SpecialGuardianship,
    ChildArrangementsOrder,
    Turned18,
    /// No further action was decided (e.g. at conference or after an assessment).
    NoFurtherAction,
    Other,
}

choice!(EndReason {
    Open = "open",
    RiskReduced = "risk_reduced",
    SteppedDown = "stepped_down",
    SteppedUp = "stepped_up",
    MovedArea = "moved_area",
    ReturnedHome = "returned_home",
    Adopted = "adopted",
    SpecialGuardianship = "special_guardianship",
    ChildArrangementsOrder = "child_arrangements_order",
    Turned18 = "turned18",
    NoFurtherAction = "no_further_action",
    Other = "other",
});

impl EndReason {
    pub fn label(self) -> &'static str {
        match self {
            EndReason::Open => "Not ended",
            EndReason::RiskReduced => "Risks reduced",
            EndReason::SteppedDown => "Stepped down",
            EndReason::SteppedUp => "Stepped up",
            EndReason::MovedArea => "Moved to another area",
            EndReason::ReturnedHome => "Returned home",
            EndReason::Adopted => "Adopted",
            EndReason::SpecialGuardianship => "Special guardianship order",
            EndReason::ChildArrangementsOrder => "Child arrangements order",
            EndReason::Turned18 => "Turned 18",
            EndReason::NoFurtherAction => "No further action",
            EndReason::Other => "Other",
        }
    }
}

/// What an episode is and when it started. Never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct EpisodeBase {
    pub id: String,
    pub kind: EpisodeKind,
    /// A child protection plan's category at its start; `None` for every other kind.
    pub category: PlanCategory,
    /// `YYYY-MM-DD`
    pub started_on: String,
    /// For a looked-after episode: the legal basis and first placement; otherwise a note.
    pub detail: String,
    pub added: Stamp,
}

impl EpisodeBase {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.started_on)?;
        let is_cp = self.kind == EpisodeKind::ChildProtection;
        if is_cp == (self.category == PlanCategory::None) {
            return Err(ValidationError::Missing(
                "a child protection plan's category",
            ));
        }
        check_len(&self.detail, MAX_TEXT_LEN, "detail")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

/// How an episode ended; `Open` with no date while it lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct EpisodeEnding {
    /// `YYYY-MM-DD`, or empty while open.
    pub ended_on: String,
    pub reason: EndReason,
    pub note: String,
}

impl EpisodeEnding {
    pub fn open() -> Self {
        EpisodeEnding {
            ended_on: String::new(),
            reason: EndReason::Open,
            note: String::new(),
        }
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        check_optional_date(&self.ended_on)?;
        if self.ended_on.is_empty() != (self.reason == EndReason::Open) {
            return Err(ValidationError::Missing("the date and reason it ended"));
        }
        check_len(&self.note, MAX_TEXT_LEN, "note")
    }

    pub fn is_open(&self) -> bool {
        self.reason == EndReason::Open
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A child protection plan's category changed (usually at a review conference).
    CategoryChanged,
    /// A looked-after child moved placement.
    PlacementMoved,
}

choice!(EventKind {
    CategoryChanged = "category_changed",
    PlacementMoved = "placement_moved",
});

impl EventKind {
    pub fn label(self) -> &'static str {
        match self {
            EventKind::CategoryChanged => "Category changed",
            EventKind::PlacementMoved => "Placement move",
        }
    }
}

/// Something that happened within an episode. Never edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct EpisodeEvent {
    pub id: String,
    pub episode_id: String,
    pub kind: EventKind,
    /// `YYYY-MM-DD`
    pub date: String,
    /// The new category, for a category change; `None` otherwise.
    pub category: PlanCategory,
    /// The new placement, or why the category changed.
    pub note: String,
    pub added: Stamp,
}

impl EpisodeEvent {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_id(&self.episode_id)?;
        check_date(&self.date)?;
        if (self.kind == EventKind::CategoryChanged) == (self.category == PlanCategory::None) {
            return Err(ValidationError::Missing("the new category"));
        }
        check_len(&self.note, MAX_TEXT_LEN, "note")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }

    /// Whether the event fits the kind of episode it is about.
    pub fn fits(&self, episode: EpisodeKind) -> bool {
        match self.kind {
            EventKind::CategoryChanged => episode == EpisodeKind::ChildProtection,
            EventKind::PlacementMoved => episode == EpisodeKind::LookedAfter,
        }
    }
}

/// An episode as the record holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub base: EpisodeBase,
    pub ending: Field<EpisodeEnding>,
}

impl Episode {
    /// Open unless every current ending says it ended: if one of two concurrent endings
    /// leaves it open, it is open; if both end it (differently), it ended, and the overview
    /// counts the disagreement as a conflict until someone settles it.
    pub fn is_open(&self) -> bool {
        self.ending.values.is_empty() || self.ending.values.iter().any(|e| e.value.is_open())
    }

    /// The date it ended, if it has.
    pub fn ended_on(&self) -> Option<&str> {
        (!self.is_open())
            .then(|| self.ending.latest().map(|e| e.value.ended_on.as_str()))
            .flatten()
    }
}

/// Starts an episode.
pub fn start(doc: &mut Automerge, base: &EpisodeBase) -> Result<(), RecordError> {
    base.validate()?;
    super::schema::upgrade(doc)?;
    change(doc, base.added.at_ms, "episode", |tx| {
        let obj = entry_obj(tx, EPISODES, &base.id)?;
        autosurgeon::reconcile_prop(tx, &obj, "base", base)?;
        stamped::write(tx, &obj, "ending", &EpisodeEnding::open(), &base.added)
    })?;
    Ok(())
}

/// Ends an episode (or corrects how it ended: the new ending supersedes what the writer saw).
pub fn end(
    doc: &mut Automerge,
    id: &str,
    ending: &EpisodeEnding,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    ending.validate()?;
    change(doc, stamp.at_ms, "episode ending", |tx| {
        let map = map_obj(tx, EPISODES)?;
        let Some((automerge::Value::Object(automerge::ObjType::Map), obj)) = tx.get(&map, id)?
        else {
            return Err(RecordError::UnknownEntry);
        };
        stamped::write(tx, &obj, "ending", ending, stamp)
    })?;
    Ok(())
}

/// Records something that happened within an episode the record holds.
pub fn add_event(doc: &mut Automerge, event: &EpisodeEvent) -> Result<(), RecordError> {
    event.validate()?;
    super::schema::upgrade(doc)?;
    let (episodes, _) = read(doc)?;
    let Some(episode) = episodes.iter().find(|e| e.base.id == event.episode_id) else {
        return Err(RecordError::UnknownEntry);
    };
    if !event.fits(episode.base.kind) {
        return Err(ValidationError::OutOfRange("the kind of event").into());
    }
    change(doc, event.added.at_ms, "episode event", |tx| {
        entries::put(tx, EPISODE_EVENTS, &event.id, event)
    })?;
    Ok(())
}

/// Every episode, oldest first; a record that was never upgraded has none.
pub fn read(doc: &Automerge) -> Result<(Vec<Episode>, usize), RecordError> {
    if !super::schema::has_map(doc, EPISODES) {
        return Ok((Vec::new(), 0));
    }
    let map = map_obj(doc, EPISODES)?;
    let mut out = Vec::new();
    let mut unreadable = 0;
    for key in doc.keys(&map).collect::<Vec<_>>() {
        let Some((automerge::Value::Object(automerge::ObjType::Map), obj)) =
            doc.get(&map, key.as_str())?
        else {
            unreadable += 1;
            continue;
        };
        match autosurgeon::hydrate_prop::<_, EpisodeBase, _, _>(doc, &obj, "base") {
            Ok(base) => out.push(Episode {
                base,
                ending: stamped::read(doc, &obj, "ending")?,
            }),
            Err(_) => unreadable += 1,
        }
    }
    out.sort_by(|a, b| {
        (&a.base.started_on, a.base.added.at_ms, &a.base.id).cmp(&(
            &b.base.started_on,
            b.base.added.at_ms,
            &b.base.id,
        ))
    });
    Ok((out, unreadable))
}

/// Every event within an episode, in date order.
pub fn read_events(doc: &Automerge) -> Result<(Vec<EpisodeEvent>, usize), RecordError> {
    entries::read_added(doc, EPISODE_EVENTS, |e: &EpisodeEvent| {
        (e.date.clone(), e.id.clone())
    })
}
