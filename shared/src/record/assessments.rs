//! Risk scaling (Signs of Safety, 0-10) and neglect assessments (four areas, 1-5).

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, RecordError, ValidationError};
use super::{MAX_SHORT_LEN, MAX_TEXT_LEN};

pub const SCALINGS: &str = "scalings";
pub const NEGLECT: &str = "neglect_assessments";

/// 0 = the child will certainly be harmed again; 10 = safe enough to close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Scaling {
    pub id: String,
    /// `YYYY-MM-DD`
    pub date: String,
    pub score: u8,
    pub rationale: String,
    pub agency: String,
    pub added: Stamp,
}

/// Neglect tool areas, each 1 (best) to 5 (worst).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct NeglectAssessment {
    pub id: String,
    pub date: String,
    pub physical_care: u8,
    pub care_of_safety: u8,
    pub emotional_care: u8,
    pub developmental_care: u8,
    pub note: String,
    pub added: Stamp,
}

impl Scaling {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        if self.score > 10 {
            return Err(ValidationError::OutOfRange("safety scale (0-10)"));
        }
        check_date(&self.date)?;
        check_len(&self.rationale, MAX_TEXT_LEN, "rationale")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

impl NeglectAssessment {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        if self.areas().iter().any(|(_, s)| !(1..=5).contains(s)) {
            return Err(ValidationError::OutOfRange("neglect area scores (1-5)"));
        }
        check_date(&self.date)?;
        check_len(&self.note, MAX_TEXT_LEN, "note")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }

    pub fn total(&self) -> u32 {
        [
            self.physical_care,
            self.care_of_safety,
            self.emotional_care,
            self.developmental_care,
        ]
        .iter()
        .map(|&s| s as u32)
        .sum()
    }

    pub fn areas(&self) -> [(&'static str, u8); 4] {
        [
            ("Physical care", self.physical_care),
            ("Care of safety", self.care_of_safety),
            ("Emotional care (love and belonging)", self.emotional_care),
            ("Developmental care (esteem)", self.developmental_care),
        ]
    }
}

pub fn add_scaling(doc: &mut Automerge, s: &Scaling) -> Result<(), RecordError> {
    s.validate()?;
    change(doc, s.added.at_ms, "scaling", |tx| {
        entries::put(tx, SCALINGS, &s.id, s)
    })?;
    Ok(())
}

pub fn add_neglect(doc: &mut Automerge, n: &NeglectAssessment) -> Result<(), RecordError> {
    n.validate()?;
    change(doc, n.added.at_ms, "neglect assessment", |tx| {
        entries::put(tx, NEGLECT, &n.id, n)
    })?;
    Ok(())
}

pub fn read_scalings(doc: &Automerge) -> Result<(Vec<Scaling>, usize), RecordError> {
    let (mut v, bad) = entries::read_all::<Scaling>(doc, SCALINGS)?;
    v.sort_by(|a, b| (&a.date, a.added.at_ms, &a.id).cmp(&(&b.date, b.added.at_ms, &b.id)));
    Ok((v, bad))
}

pub fn read_neglect(doc: &Automerge) -> Result<(Vec<NeglectAssessment>, usize), RecordError> {
    let (mut v, bad) = entries::read_all::<NeglectAssessment>(doc, NEGLECT)?;
    v.sort_by(|a, b| (&a.date, a.added.at_ms, &a.id).cmp(&(&b.date, b.added.at_ms, &b.id)));
    Ok((v, bad))
}
