//! The plan: SMART actions, a contingency plan, and the conferences that set statutory dates.

use automerge::{Automerge, ReadDoc, ROOT};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change, entry_obj, map_obj};
use super::stamped::{self, Field, Stamp};
use super::{check_date, check_id, check_len, check_optional_date};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};

pub const ACTIONS: &str = "plan_actions";
pub const CONFERENCES: &str = "conferences";
pub const PLAN_KEY: &str = "plan";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    ChildInNeed,
    ChildProtectionPhysical,
    ChildProtectionSexual,
    ChildProtectionEmotional,
    ChildProtectionNeglect,
    LookedAfter,
}

crate::choice::choice!(PlanKind {
    ChildInNeed = "child_in_need",
    ChildProtectionPhysical = "child_protection_physical",
    ChildProtectionSexual = "child_protection_sexual",
    ChildProtectionEmotional = "child_protection_emotional",
    ChildProtectionNeglect = "child_protection_neglect",
    LookedAfter = "looked_after",
});

impl PlanKind {
    pub fn label(self) -> &'static str {
        match self {
            PlanKind::ChildInNeed => "Child in need plan",
            PlanKind::ChildProtectionPhysical => "Child protection plan: physical abuse",
            PlanKind::ChildProtectionSexual => "Child protection plan: sexual abuse",
            PlanKind::ChildProtectionEmotional => "Child protection plan: emotional abuse",
            PlanKind::ChildProtectionNeglect => "Child protection plan: neglect",
            PlanKind::LookedAfter => "Care plan (looked after)",
        }
    }
}

/// The plan as a whole; one stamped value so concurrent edits show side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PlanDetails {
    pub kind: PlanKind,
    /// `YYYY-MM-DD`
    pub started_on: String,
    /// Empty while the plan is active.
    pub ended_on: String,
    /// What happens if the plan is not working.
    pub contingency: String,
    /// What triggers the contingency plan.
    pub contingency_trigger: String,
}

impl PlanDetails {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_date(&self.started_on)?;
        check_optional_date(&self.ended_on)?;
        check_len(&self.contingency, MAX_TEXT_LEN, "contingency plan")?;
        check_len(
            &self.contingency_trigger,
            MAX_TEXT_LEN,
            "contingency trigger",
        )
    }

    pub fn is_active(&self) -> bool {
        self.ended_on.trim().is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    NotStarted,
    InProgress,
    Achieved,
    NotAchieved,
}

crate::choice::choice!(ActionState {
    NotStarted = "not_started",
    InProgress = "in_progress",
    Achieved = "achieved",
    NotAchieved = "not_achieved",
});

impl ActionState {
    pub fn is_open(self) -> bool {
        matches!(self, ActionState::NotStarted | ActionState::InProgress)
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionState::NotStarted => "Not started",
            ActionState::InProgress => "In progress",
            ActionState::Achieved => "Achieved",
            ActionState::NotAchieved => "Not achieved",
        }
    }
}

/// A SMART action: what, who, by when, and how success is measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ActionBase {
    pub id: String,
    pub what: String,
    pub who: String,
    /// `YYYY-MM-DD`
    pub due: String,
    pub success_measure: String,
    pub added: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ActionStatus {
    pub state: ActionState,
    pub note: String,
}

impl ActionBase {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_len(&self.what, MAX_TEXT_LEN, "what will be done")?;
        check_len(&self.who, MAX_SHORT_LEN, "who will do it")?;
        check_date(&self.due)?;
        check_len(
            &self.success_measure,
            MAX_TEXT_LEN,
            "how success is measured",
        )?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

impl ActionStatus {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_len(&self.note, MAX_TEXT_LEN, "status note")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanAction {
    pub base: ActionBase,
    pub status: Field<ActionStatus>,
}

impl PlanAction {
    /// Open unless every current value says it is finished (a conflict stays open).
    pub fn is_open(&self) -> bool {
        self.status.values.is_empty() || self.status.values.iter().any(|s| s.value.state.is_open())
    }
}

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
pub enum ConferenceKind {
    /// The strategy discussion that starts child protection enquiries.
    StrategyDiscussion,
    InitialConference,
    CoreGroup,
    ReviewConference,
    /// A looked-after child's review, chaired by the independent reviewing officer.
    LookedAfterReview,
}

crate::choice::choice!(ConferenceKind {
    StrategyDiscussion = "strategy_discussion",
    InitialConference = "initial_conference",
    CoreGroup = "core_group",
    ReviewConference = "review_conference",
    LookedAfterReview = "looked_after_review",
});

impl ConferenceKind {
    pub fn label(self) -> &'static str {
        match self {
            ConferenceKind::StrategyDiscussion => "Strategy discussion",
            ConferenceKind::InitialConference => "Initial child protection conference",
            ConferenceKind::CoreGroup => "Core group",
            ConferenceKind::ReviewConference => "Review child protection conference",
            ConferenceKind::LookedAfterReview => "Looked-after review",
        }
    }
}

impl Conference {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.date)?;
        check_len(&self.outcome, MAX_TEXT_LEN, "outcome")?;
        let mut seen = self.categories.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.categories.len() {
            return Err(ValidationError::OutOfRange("categories"));
        }
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

/// A meeting that happened (dated), with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Conference {
    pub id: String,
    pub kind: ConferenceKind,
    /// `YYYY-MM-DD`
    pub date: String,
    pub outcome: String,
    pub added: Stamp,
    /// The meeting decided no further action: the timescales it would have started (an
    /// initial conference after a strategy discussion, a plan's core groups and reviews after
    /// a conference) are not due.
    #[autosurgeon(missing = "bool::default")]
    #[serde(default)]
    pub no_further_action: bool,
    /// The categories of concern a strategy discussion considered; empty means every one
    /// (and is how discussions recorded before categories read).
    #[autosurgeon(missing = "Vec::new")]
    #[serde(default)]
    pub categories: Vec<crate::catalogue::Category>,
}

pub fn set_plan(
    doc: &mut Automerge,
    details: &PlanDetails,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    details.validate()?;
    change(doc, stamp.at_ms, "plan", |tx| {
        stamped::write(tx, &ROOT, PLAN_KEY, details, stamp)
    })?;
    Ok(())
}

pub fn read_plan(doc: &Automerge) -> Result<Field<PlanDetails>, RecordError> {
    stamped::read(doc, &ROOT, PLAN_KEY)
}

pub fn add_action(doc: &mut Automerge, base: &ActionBase) -> Result<(), RecordError> {
    base.validate()?;
    let initial = ActionStatus {
        state: ActionState::NotStarted,
        note: String::new(),
    };
    change(doc, base.added.at_ms, "plan action", |tx| {
        let obj = entry_obj(tx, ACTIONS, &base.id)?;
        autosurgeon::reconcile_prop(tx, &obj, "base", base)?;
        stamped::write(tx, &obj, "status", &initial, &base.added)
    })?;
    Ok(())
}

pub fn set_action_status(
    doc: &mut Automerge,
    id: &str,
    status: &ActionStatus,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    status.validate()?;
    change(doc, stamp.at_ms, "plan action status", |tx| {
        let map = map_obj(tx, ACTIONS)?;
        let Some((automerge::Value::Object(automerge::ObjType::Map), obj)) = tx.get(&map, id)?
        else {
            return Err(RecordError::UnknownEntry);
        };
        stamped::write(tx, &obj, "status", status, stamp)
    })?;
    Ok(())
}

pub fn read_actions(doc: &Automerge) -> Result<(Vec<PlanAction>, usize), RecordError> {
    let map = map_obj(doc, ACTIONS)?;
    let mut out = Vec::new();
    let mut unreadable = 0;
    for key in doc.keys(&map).collect::<Vec<_>>() {
        let Some((automerge::Value::Object(automerge::ObjType::Map), obj)) =
            doc.get(&map, key.as_str())?
        else {
            unreadable += 1;
            continue;
        };
        match autosurgeon::hydrate_prop::<_, ActionBase, _, _>(doc, &obj, "base") {
            Ok(base) => out.push(PlanAction {
                base,
                status: stamped::read(doc, &obj, "status")?,
            }),
            Err(_) => unreadable += 1,
        }
    }
    out.sort_by(|a, b| (&a.base.due, &a.base.id).cmp(&(&b.base.due, &b.base.id)));
    Ok((out, unreadable))
}

pub fn add_conference(doc: &mut Automerge, c: &Conference) -> Result<(), RecordError> {
    c.validate()?;
    change(doc, c.added.at_ms, "conference", |tx| {
        entries::put(tx, CONFERENCES, &c.id, c)
    })?;
    Ok(())
}

pub fn read_conferences(doc: &Automerge) -> Result<(Vec<Conference>, usize), RecordError> {
    let (mut v, bad) = entries::read_all::<Conference>(doc, CONFERENCES)?;
    v.sort_by(|a, b| (&a.date, a.kind, &a.id).cmp(&(&b.date, b.kind, &b.id)));
    Ok((v, bad))
}
