//! Concerns that reached the front door and what was decided about them.
//!
//! A concern is raised by anyone (a practitioner of any agency on their tablet, or a member
//! of the public, a relative or an anonymous caller through the front door) about a child who
//! may have no record yet. It waits in the front door's queue (the server's `concerns` table,
//! outside every record) until it is matched to a child; then it becomes a [`Concern`] entry
//! in that child's record, written by the server with the front-door actor
//! ([`crate::ids::FRONT_DOOR_ACTOR_PREFIX`]) and attributed to whoever raised it. No tablet
//! may write one (the change policy refuses the map).
//!
//! A [`ConcernResponse`] answers a concern: the front door's decision (no further action,
//! early help, a child and family assessment, a strategy discussion) or, for a concern from
//! the public, what its owner did. A concern without one is "unanswered" (a flag on the record
//! and the dashboard). Responses are new entries, never edits: two answers both show.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
pub use super::schema::{CONCERNS, CONCERN_RESPONSES};
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, check_required};
use super::{RecordError, Source, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};
use crate::catalogue;
use crate::choice::choice;
use crate::ids::{ChildId, FRONT_DOOR_ACTOR_PREFIX};

/// Most indicators one concern may name.
pub const MAX_CONCERN_INDICATORS: usize = 40;

/// Who raised a concern.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum ConcernFrom {
    /// A practitioner of an agency (school, health, police, social care, …).
    #[default]
    Professional,
    /// A relative or family friend.
    Family,
    /// A neighbour or another member of the public who gave their name.
    Public,
    /// Someone who would not give their name.
    Anonymous,
    /// The child or young person themselves.
    Child,
}

choice!(ConcernFrom {
    Professional = "professional",
    Family = "family",
    Public = "public",
    Anonymous = "anonymous",
    Child = "child",
});

impl ConcernFrom {
    pub fn label(self) -> &'static str {
        match self {
            ConcernFrom::Professional => "A practitioner",
            ConcernFrom::Family => "A relative or family friend",
            ConcernFrom::Public => "A member of the public",
            ConcernFrom::Anonymous => "Anonymous",
            ConcernFrom::Child => "The child",
        }
    }
}

/// How soon the referrer thinks the concern needs acting on.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// The child may be in danger now.
    Immediate,
    /// Needs a decision today.
    Today,
    /// Within the usual one working day.
    #[default]
    Routine,
}

choice!(Urgency {
    Immediate = "immediate",
    Today = "today",
    Routine = "routine",
});

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Immediate => "Immediate: the child may be in danger now",
            Urgency::Today => "Today",
            Urgency::Routine => "Within one working day",
        }
    }
}

/// What the front door decided, or what a concern's owner did about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    NoFurtherAction,
    EarlyHelp,
    /// A child and family assessment: its 45 working days run from the referral.
    Assessment,
    StrategyDiscussion,
}

choice!(Decision {
    NoFurtherAction = "no_further_action",
    EarlyHelp = "early_help",
    Assessment = "assessment",
    StrategyDiscussion = "strategy_discussion",
});

impl Decision {
    pub fn label(self) -> &'static str {
        match self {
            Decision::NoFurtherAction => "No further action",
            Decision::EarlyHelp => "Early help",
            Decision::Assessment => "Child and family assessment",
            Decision::StrategyDiscussion => "Strategy discussion",
        }
    }
}

/// A concern in the child's record, as the front door received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Concern {
    /// The concern's id from the queue.
    pub id: String,
    /// When the front door received it (`YYYY-MM-DD`): the clocks run from here.
    pub received_on: String,
    /// When the referrer recorded it (`YYYY-MM-DD`), on a tablet perhaps days earlier.
    pub raised_on: String,
    pub from: ConcernFrom,
    /// The referrer's name; empty for an anonymous caller.
    pub referrer: String,
    /// The referrer's agency; empty for a caller who is not a practitioner.
    pub agency: String,
    /// A caller's relationship to the child ("grandmother", "neighbour").
    pub relationship: String,
    /// Catalogue codes of the signs and symptoms reported.
    pub indicators: Vec<String>,
    pub source: Source,
    pub narrative: String,
    /// What the child said, verbatim.
    pub child_words: String,
    pub urgency: Urgency,
    /// Who must see it answered: a user id, and their name.
    pub owner: String,
    pub owner_name: String,
    /// When a response is due (`YYYY-MM-DD`).
    pub due: String,
    /// The front-door worker who matched it to this child.
    pub added: Stamp,
}

impl Concern {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.received_on)?;
        check_date(&self.raised_on)?;
        check_date(&self.due)?;
        if self.due < self.received_on {
            return Err(ValidationError::OutOfRange(
                "a response due before the concern arrived",
            ));
        }
        if self.from == ConcernFrom::Anonymous && !self.referrer.trim().is_empty() {
            return Err(ValidationError::OutOfRange("an anonymous caller's name"));
        }
        if self.from != ConcernFrom::Anonymous {
            check_required(&self.referrer, MAX_SHORT_LEN, "who raised the concern")?;
        }
        if self.from == ConcernFrom::Professional {
            check_required(&self.agency, MAX_SHORT_LEN, "the referrer's agency")?;
        }
        check_indicators(&self.indicators)?;
        if self.narrative.trim().is_empty()
            && self.child_words.trim().is_empty()
            && self.indicators.is_empty()
        {
            return Err(ValidationError::Missing("what was seen or heard"));
        }
        for (text, what) in [
            (&self.narrative, "what was seen or heard"),
            (&self.child_words, "the child's words"),
        ] {
            check_len(text, MAX_TEXT_LEN, what)?;
        }
        for (text, what) in [
            (&self.referrer, "who raised the concern"),
            (&self.agency, "agency"),
            (&self.relationship, "relationship"),
            (&self.owner, "owner"),
            (&self.owner_name, "owner"),
            (&self.added.by_name, "author name"),
        ] {
            check_len(text, MAX_SHORT_LEN, what)?;
        }
        Ok(())
    }

    /// "Concern from Hilltop Primary School (Jo Adams)", "Anonymous concern".
    pub fn headline(&self) -> String {
        match self.from {
            ConcernFrom::Anonymous => "Anonymous concern".into(),
            ConcernFrom::Professional => {
                format!("Concern from {} ({})", self.agency, self.referrer)
            }
            from => format!(
                "Concern from {} ({}{})",
                from.label().to_lowercase(),
                self.referrer,
                if self.relationship.is_empty() {
                    String::new()
                } else {
                    format!(", {}", self.relationship)
                }
            ),
        }
    }
}

/// Catalogue codes, each known and named once.
pub fn check_indicators(codes: &[String]) -> Result<(), ValidationError> {
    if codes.len() > MAX_CONCERN_INDICATORS {
        return Err(ValidationError::TooLong("indicators"));
    }
    for (i, code) in codes.iter().enumerate() {
        if catalogue::find(code).is_none() {
            return Err(ValidationError::UnknownIndicator(code.clone()));
        }
        if codes[..i].contains(code) {
            return Err(ValidationError::DuplicateIndicator(code.clone()));
        }
    }
    Ok(())
}

/// An answer to a concern the record holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ConcernResponse {
    pub id: String,
    pub concern_id: String,
    pub decision: Decision,
    /// Why, and what happens next.
    pub note: String,
    /// `YYYY-MM-DD`
    pub date: String,
    pub agency: String,
    pub added: Stamp,
}

impl ConcernResponse {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_id(&self.concern_id)?;
        check_date(&self.date)?;
        check_required(&self.note, MAX_TEXT_LEN, "the reasons for the decision")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

/// The actor the front door writes into `child`'s record with: reserved, so no tablet can.
pub fn front_door_actor(child: &ChildId) -> automerge::ActorId {
    let mut bytes = FRONT_DOOR_ACTOR_PREFIX.to_vec();
    bytes.extend_from_slice(child.as_str().as_bytes());
    automerge::ActorId::from(bytes)
}

/// Runs `f` on `child`'s record as the front door, putting the record's actor back after.
pub fn as_front_door<T>(
    doc: &mut Automerge,
    child: &ChildId,
    f: impl FnOnce(&mut Automerge) -> T,
) -> T {
    let previous = doc.get_actor().clone();
    doc.set_actor(front_door_actor(child));
    let out = f(doc);
    doc.set_actor(previous);
    out
}

/// Writes a concern into the record (the server's front door, inside [`as_front_door`]).
pub fn add_concern(doc: &mut Automerge, concern: &Concern) -> Result<(), RecordError> {
    concern.validate()?;
    super::schema::upgrade(doc)?;
    change(doc, concern.added.at_ms, "concern", |tx| {
        entries::put(tx, CONCERNS, &concern.id, concern)
    })?;
    Ok(())
}

/// Records an answer to a concern the record holds.
pub fn add_response(doc: &mut Automerge, response: &ConcernResponse) -> Result<(), RecordError> {
    response.validate()?;
    super::schema::upgrade(doc)?;
    if !entries::contains(doc, CONCERNS, &response.concern_id)? {
        return Err(RecordError::UnknownEntry);
    }
    change(doc, response.added.at_ms, "concern response", |tx| {
        entries::put(tx, CONCERN_RESPONSES, &response.id, response)
    })?;
    Ok(())
}

/// Every concern, in order of receipt.
pub fn read_concerns(doc: &Automerge) -> Result<(Vec<Concern>, usize), RecordError> {
    entries::read_added(doc, CONCERNS, |c: &Concern| {
        (c.received_on.clone(), c.added.at_ms, c.id.clone())
    })
}

/// Every response, in date order.
pub fn read_responses(doc: &Automerge) -> Result<(Vec<ConcernResponse>, usize), RecordError> {
    entries::read_added(doc, CONCERN_RESPONSES, |r: &ConcernResponse| {
        (r.date.clone(), r.added.at_ms, r.id.clone())
    })
}
