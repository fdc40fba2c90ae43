//! The record of a strategy discussion: who took part from which agency, whether section 47
//! enquiries start, and why. The initial child protection conference is due 15 working days
//! after a discussion that starts enquiries (`analytics::timescales`). Working Together and the
//! Children's Wellbeing and Schools Act 2026 expect social care, police, health and education
//! at the table: a record without one of them says so ([`StrategyRecord::missing_core`]).
//!
//! Recorded by whoever minutes it (any allocated practitioner or manager), as a new entry in an
//! added map ([`super::schema`]); never edited.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
pub use super::schema::STRATEGY_DISCUSSIONS;
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, check_required};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};
use crate::choice::choice;

/// Most attendees one record may list.
pub const MAX_ATTENDEES: usize = 30;

/// The part an attendee played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum AttendeeRole {
    SocialCare,
    Police,
    Health,
    Education,
    /// Whoever raised the concern, when not one of the above.
    Referrer,
    Other,
}

choice!(AttendeeRole {
    SocialCare = "social_care",
    Police = "police",
    Health = "health",
    Education = "education",
    Referrer = "referrer",
    Other = "other",
});

impl AttendeeRole {
    pub fn label(self) -> &'static str {
        match self {
            AttendeeRole::SocialCare => "Social care",
            AttendeeRole::Police => "Police",
            AttendeeRole::Health => "Health",
            AttendeeRole::Education => "Education",
            AttendeeRole::Referrer => "The referrer",
            AttendeeRole::Other => "Other",
        }
    }

    /// The agencies a strategy discussion must hear from.
    pub const CORE: [AttendeeRole; 4] = [
        AttendeeRole::SocialCare,
        AttendeeRole::Police,
        AttendeeRole::Health,
        AttendeeRole::Education,
    ];
}

/// One person at the discussion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Attendee {
    pub name: String,
    pub agency: String,
    pub role: AttendeeRole,
}

/// A strategy discussion, as minuted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct StrategyRecord {
    pub id: String,
    /// `YYYY-MM-DD`
    pub date: String,
    pub attendees: Vec<Attendee>,
    /// Whether section 47 enquiries start.
    pub section_47: bool,
    /// The reasons for the decision.
    pub reasons: String,
    /// The concern it was convened on, or empty.
    pub concern_id: String,
    pub agency: String,
    pub added: Stamp,
}

impl StrategyRecord {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.date)?;
        if !self.concern_id.is_empty() {
            check_id(&self.concern_id)?;
        }
        if self.attendees.is_empty() {
            return Err(ValidationError::Missing("who took part"));
        }
        if self.attendees.len() > MAX_ATTENDEES {
            return Err(ValidationError::TooLong("attendees"));
        }
        for a in &self.attendees {
            check_required(&a.name, MAX_SHORT_LEN, "an attendee's name")?;
            check_len(&a.agency, MAX_SHORT_LEN, "an attendee's agency")?;
        }
        check_required(&self.reasons, MAX_TEXT_LEN, "the reasons for the decision")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }

    /// The core agencies nobody came from, in [`AttendeeRole::CORE`] order.
    pub fn missing_core(&self) -> Vec<AttendeeRole> {
        AttendeeRole::CORE
            .into_iter()
            .filter(|role| !self.attendees.iter().any(|a| a.role == *role))
            .collect()
    }

    /// "Strategy discussion: section 47 enquiries (police, health, social care, education)".
    pub fn headline(&self) -> String {
        let outcome = if self.section_47 {
            "section 47 enquiries start"
        } else {
            "no section 47 enquiries"
        };
        let missing = self.missing_core();
        if missing.is_empty() {
            format!("Strategy discussion: {outcome}")
        } else {
            let names: Vec<_> = missing.iter().map(|r| r.label().to_lowercase()).collect();
            format!(
                "Strategy discussion: {outcome}; nobody from {}",
                names.join(", ")
            )
        }
    }
}

/// Records a strategy discussion.
pub fn add_strategy(doc: &mut Automerge, record: &StrategyRecord) -> Result<(), RecordError> {
    record.validate()?;
    super::schema::upgrade(doc)?;
    if !record.concern_id.is_empty()
        && !entries::contains(doc, super::schema::CONCERNS, &record.concern_id)?
    {
        return Err(RecordError::UnknownEntry);
    }
    change(doc, record.added.at_ms, "strategy discussion", |tx| {
        entries::put(tx, STRATEGY_DISCUSSIONS, &record.id, record)
    })?;
    Ok(())
}

/// Every strategy discussion record, in date order.
pub fn read_strategies(doc: &Automerge) -> Result<(Vec<StrategyRecord>, usize), RecordError> {
    entries::read_added(doc, STRATEGY_DISCUSSIONS, |s: &StrategyRecord| {
        (s.date.clone(), s.added.at_ms, s.id.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attendee(role: AttendeeRole) -> Attendee {
        Attendee {
            name: "A Person".into(),
            agency: "Agency".into(),
            role,
        }
    }

    #[test]
    fn names_the_core_agencies_missing() {
        let mut r = StrategyRecord {
            id: "s1".into(),
            date: "2026-12-14".into(),
            attendees: vec![
                attendee(AttendeeRole::SocialCare),
                attendee(AttendeeRole::Police),
            ],
            section_47: true,
            reasons: "Bruising to an infant".into(),
            concern_id: String::new(),
            agency: "Children's Social Care".into(),
            added: Stamp {
                by: "u".parse().expect("id"),
                by_name: "U".into(),
                at_ms: 0,
            },
        };
        assert_eq!(
            r.missing_core(),
            vec![AttendeeRole::Health, AttendeeRole::Education]
        );
        assert_eq!(
            r.headline(),
            "Strategy discussion: section 47 enquiries start; nobody from health, education"
        );
        r.attendees.push(attendee(AttendeeRole::Health));
        r.attendees.push(attendee(AttendeeRole::Education));
        assert!(r.missing_core().is_empty());
        assert!(r.validate().is_ok());
        r.attendees.clear();
        assert!(r.validate().is_err());
    }
}
