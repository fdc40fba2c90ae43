//! Information-sharing decisions: on one entry of the record or on the child as a whole, what
//! was shared or not, with whom, when, why, on what lawful basis, whether consent was sought,
//! given, refused or overridden (and why), and, when information was not shared because
//! sharing would be more detrimental to the child (the exception to the duty to share in the
//! Children's Wellbeing and Schools Act 2026), the recorded reason. Golden rule 7 of the
//! information-sharing advice: record the decision and the reasons either way.
//!
//! New entries in an added map ([`super::schema`]), never edited; the server audits each one
//! it stores.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
pub use super::schema::SHARING_DECISIONS;
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, check_required};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};
use crate::choice::choice;

/// The lawful basis a decision relied on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum LawfulBasis {
    /// UK GDPR 6(1)(e) public task, with DPA 2018 Sch. 1 para 18 (safeguarding children).
    PublicTask,
    /// UK GDPR 6(1)(c) a legal obligation (the duty to share, a court order).
    LegalObligation,
    /// UK GDPR 6(1)(d) vital interests: a life at risk.
    VitalInterests,
    /// UK GDPR 6(1)(a) consent.
    Consent,
}

choice!(LawfulBasis {
    PublicTask = "public_task",
    LegalObligation = "legal_obligation",
    VitalInterests = "vital_interests",
    Consent = "consent",
});

impl LawfulBasis {
    pub fn label(self) -> &'static str {
        match self {
            LawfulBasis::PublicTask => "Public task (safeguarding children)",
            LawfulBasis::LegalObligation => "Legal obligation",
            LawfulBasis::VitalInterests => "Vital interests",
            LawfulBasis::Consent => "Consent",
        }
    }
}

/// Consent to the sharing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Not sought (seeking it would put the child at risk, or it is not the basis): say why.
    NotSought,
    Given,
    Refused,
    /// Refused or not sought, and shared anyway: say why.
    Overridden,
}

choice!(Consent {
    NotSought = "not_sought",
    Given = "given",
    Refused = "refused",
    Overridden = "overridden",
});

impl Consent {
    pub fn label(self) -> &'static str {
        match self {
            Consent::NotSought => "Not sought",
            Consent::Given => "Given",
            Consent::Refused => "Refused",
            Consent::Overridden => "Overridden",
        }
    }
}

/// One decision to share or not to share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SharingDecision {
    pub id: String,
    /// The entry it is about (its map and id), or both empty for the child as a whole.
    pub about_map: String,
    pub about_id: String,
    pub shared: bool,
    /// What was (or was not) shared.
    pub what: String,
    /// With whom: a person and agency.
    pub with_whom: String,
    /// `YYYY-MM-DD`
    pub date: String,
    /// Why: the purpose of sharing, or of not sharing.
    pub purpose: String,
    pub basis: LawfulBasis,
    pub consent: Consent,
    /// Why consent was not sought or was overridden; empty otherwise.
    pub consent_reason: String,
    /// Not shared because sharing would be more detrimental to the child.
    pub more_detrimental: bool,
    /// Someone whose identity must be protected (a caller, a relative), by description.
    pub protect_identity: String,
    pub agency: String,
    pub added: Stamp,
}

/// The maps a decision may be about.
pub const ABOUT_MAPS: &[&str] = &[
    "observations",
    "people",
    super::schema::CONCERNS,
    super::schema::VISITS,
    super::schema::STRATEGY_DISCUSSIONS,
];

impl SharingDecision {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.date)?;
        match (self.about_map.is_empty(), self.about_id.is_empty()) {
            (true, true) => {}
            (false, false) => {
                if !ABOUT_MAPS.contains(&self.about_map.as_str()) {
                    return Err(ValidationError::OutOfRange("what the decision is about"));
                }
                check_id(&self.about_id)?;
            }
            _ => return Err(ValidationError::Missing("what the decision is about")),
        }
        check_required(&self.what, MAX_TEXT_LEN, "what was shared")?;
        check_required(&self.with_whom, MAX_SHORT_LEN, "with whom")?;
        check_required(&self.purpose, MAX_TEXT_LEN, "why")?;
        if matches!(self.consent, Consent::NotSought | Consent::Overridden) {
            check_required(
                &self.consent_reason,
                MAX_TEXT_LEN,
                "why consent was not sought or was overridden",
            )?;
        } else {
            check_len(&self.consent_reason, MAX_TEXT_LEN, "consent")?;
        }
        if self.shared && self.consent == Consent::Refused {
            return Err(ValidationError::OutOfRange(
                "shared although consent was refused (record it as overridden, with why)",
            ));
        }
        if self.shared && self.more_detrimental {
            return Err(ValidationError::OutOfRange(
                "more detrimental to share (it was shared)",
            ));
        }
        if self.basis == LawfulBasis::Consent && self.shared && self.consent != Consent::Given {
            return Err(ValidationError::OutOfRange(
                "consent as the basis without consent given",
            ));
        }
        check_len(&self.protect_identity, MAX_TEXT_LEN, "whose identity")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }

    /// "Shared with Dr Patel (GP): the body map" / "Not shared with …: more detrimental".
    pub fn headline(&self) -> String {
        if self.shared {
            format!("Information shared with {}", self.with_whom)
        } else if self.more_detrimental {
            format!(
                "Information not shared with {}: more detrimental to the child",
                self.with_whom
            )
        } else {
            format!("Information not shared with {}", self.with_whom)
        }
    }
}

/// Records a decision; the entry it is about must be in the record.
pub fn add_sharing(doc: &mut Automerge, decision: &SharingDecision) -> Result<(), RecordError> {
    decision.validate()?;
    super::schema::upgrade(doc)?;
    if !decision.about_map.is_empty()
        && !entries::contains(doc, &decision.about_map, &decision.about_id)?
    {
        return Err(RecordError::UnknownEntry);
    }
    change(doc, decision.added.at_ms, "sharing decision", |tx| {
        entries::put(tx, SHARING_DECISIONS, &decision.id, decision)
    })?;
    Ok(())
}

/// Every decision, in date order.
pub fn read_sharing(doc: &Automerge) -> Result<(Vec<SharingDecision>, usize), RecordError> {
    entries::read_added(doc, SHARING_DECISIONS, |d: &SharingDecision| {
        (d.date.clone(), d.added.at_ms, d.id.clone())
    })
}
