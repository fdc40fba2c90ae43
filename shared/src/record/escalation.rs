//! Escalation that must be answered: a manager's response to drift (escalated to a senior
//! manager, a legal planning meeting, the complex case panel, or continue with a reason),
//! with the date it is looked at again; and professional challenge: an agency's recorded
//! disagreement with a decision, moved from stage to stage (practitioners, managers, senior
//! managers) and closed only with an outcome.
//!
//! Every entry is a new one, never an edit: two managers responding to one drift flag
//! offline, or two people moving one challenge on at once, leave both entries, and both show.
//! The maps are added ones ([`super::schema`]).

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
pub use super::schema::{CHALLENGES, CHALLENGE_STEPS, DRIFT_RESPONSES};
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, check_required};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};
use crate::calendar::Date;
use crate::choice::choice;

/// How long after a drift response it may be reviewed, at most.
pub const MAX_REVIEW_DAYS: i32 = 366;

/// What a manager decided about drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum DriftAction {
    /// Escalated to a senior manager.
    Escalated,
    LegalPlanningMeeting,
    ComplexCasePanel,
    /// Continue with the plan as it is, for the reason given.
    Continue,
}

choice!(DriftAction {
    Escalated = "escalated",
    LegalPlanningMeeting = "legal_planning_meeting",
    ComplexCasePanel = "complex_case_panel",
    Continue = "continue",
});

impl DriftAction {
    pub fn label(self) -> &'static str {
        match self {
            DriftAction::Escalated => "Escalated to a senior manager",
            DriftAction::LegalPlanningMeeting => "Legal planning meeting",
            DriftAction::ComplexCasePanel => "Complex case panel",
            DriftAction::Continue => "Continue with the plan",
        }
    }
}

/// A manager's response to drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DriftResponse {
    pub id: String,
    /// `YYYY-MM-DD`
    pub date: String,
    pub action: DriftAction,
    /// Why; required to continue unchanged.
    pub reason: String,
    /// `YYYY-MM-DD`: when the response is looked at again (drift then flags again).
    pub review_on: String,
    pub added: Stamp,
}

impl DriftResponse {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.date)?;
        check_date(&self.review_on)?;
        let (date, review) = (self.date_on(), self.review_date());
        if review <= date || date.days_until(review) > MAX_REVIEW_DAYS {
            return Err(ValidationError::OutOfRange(
                "the review date (after the response, within a year)",
            ));
        }
        if self.action == DriftAction::Continue {
            check_required(&self.reason, MAX_TEXT_LEN, "the reason to continue")?;
        }
        check_len(&self.reason, MAX_TEXT_LEN, "reason")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }

    pub fn date_on(&self) -> Date {
        self.date.parse().unwrap_or_else(|_| Date::epoch())
    }

    pub fn review_date(&self) -> Date {
        self.review_on.parse().unwrap_or_else(|_| Date::epoch())
    }
}

/// One agency's disagreement with a decision about the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Challenge {
    pub id: String,
    /// `YYYY-MM-DD`
    pub raised_on: String,
    pub agency: String,
    /// The decision disagreed with.
    pub about: String,
    /// Why the agency disagrees.
    pub reason: String,
    pub added: Stamp,
}

impl Challenge {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.raised_on)?;
        check_required(&self.about, MAX_TEXT_LEN, "the decision challenged")?;
        check_required(&self.reason, MAX_TEXT_LEN, "why the agency disagrees")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

/// A move of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The decision's owner acknowledged the challenge.
    Acknowledged,
    /// The practitioners did not resolve it: their managers take it.
    ToManagers,
    /// The managers did not resolve it: senior managers take it.
    ToSenior,
    /// Closed, with an outcome.
    Closed,
}

choice!(StepKind {
    Acknowledged = "acknowledged",
    ToManagers = "to_managers",
    ToSenior = "to_senior",
    Closed = "closed",
});

impl StepKind {
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Acknowledged => "Acknowledged",
            StepKind::ToManagers => "Escalated to managers",
            StepKind::ToSenior => "Escalated to senior managers",
            StepKind::Closed => "Closed",
        }
    }
}

/// How a challenge ended.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Not closed.
    #[default]
    None,
    /// Agreed between the agencies: a joint plan.
    Agreed,
    /// The decision was changed.
    DecisionChanged,
    /// The decision stands, with the reasons given to the agency.
    DecisionUpheld,
}

choice!(Outcome {
    None = "none",
    Agreed = "agreed",
    DecisionChanged = "decision_changed",
    DecisionUpheld = "decision_upheld",
});

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::None => "Not closed",
            Outcome::Agreed => "Agreed: joint plan",
            Outcome::DecisionChanged => "Decision changed",
            Outcome::DecisionUpheld => "Decision upheld",
        }
    }
}

/// One move of a challenge, by anyone on the child's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ChallengeStep {
    pub id: String,
    pub challenge_id: String,
    pub kind: StepKind,
    /// `YYYY-MM-DD`
    pub date: String,
    /// `None` unless the step closes the challenge.
    pub outcome: Outcome,
    /// What was agreed or why it moves on; required to close.
    pub note: String,
    pub agency: String,
    pub added: Stamp,
}

impl ChallengeStep {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_id(&self.challenge_id)?;
        check_date(&self.date)?;
        let closes = self.kind == StepKind::Closed;
        if closes == (self.outcome == Outcome::None) {
            return Err(ValidationError::Missing("an outcome, to close"));
        }
        if closes {
            check_required(&self.note, MAX_TEXT_LEN, "the outcome's words")?;
        }
        check_len(&self.note, MAX_TEXT_LEN, "note")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

/// Records a response to drift.
pub fn respond_to_drift(doc: &mut Automerge, r: &DriftResponse) -> Result<(), RecordError> {
    r.validate()?;
    super::schema::upgrade(doc)?;
    change(doc, r.added.at_ms, "drift response", |tx| {
        entries::put(tx, DRIFT_RESPONSES, &r.id, r)
    })?;
    Ok(())
}

/// Raises a challenge.
pub fn raise(doc: &mut Automerge, c: &Challenge) -> Result<(), RecordError> {
    c.validate()?;
    super::schema::upgrade(doc)?;
    change(doc, c.added.at_ms, "challenge", |tx| {
        entries::put(tx, CHALLENGES, &c.id, c)
    })?;
    Ok(())
}

/// Moves a challenge the record holds on, or closes it.
pub fn step(doc: &mut Automerge, s: &ChallengeStep) -> Result<(), RecordError> {
    s.validate()?;
    super::schema::upgrade(doc)?;
    if !entries::contains(doc, CHALLENGES, &s.challenge_id)? {
        return Err(RecordError::UnknownEntry);
    }
    change(doc, s.added.at_ms, "challenge step", |tx| {
        entries::put(tx, CHALLENGE_STEPS, &s.id, s)
    })?;
    Ok(())
}

pub fn read_drift_responses(doc: &Automerge) -> Result<(Vec<DriftResponse>, usize), RecordError> {
    entries::read_added(doc, DRIFT_RESPONSES, |r: &DriftResponse| {
        (r.date.clone(), r.id.clone())
    })
}

pub fn read_challenges(doc: &Automerge) -> Result<(Vec<Challenge>, usize), RecordError> {
    entries::read_added(doc, CHALLENGES, |c: &Challenge| {
        (c.raised_on.clone(), c.id.clone())
    })
}

pub fn read_steps(doc: &Automerge) -> Result<(Vec<ChallengeStep>, usize), RecordError> {
    entries::read_added(doc, CHALLENGE_STEPS, |s: &ChallengeStep| {
        (s.date.clone(), s.id.clone())
    })
}
