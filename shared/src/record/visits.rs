//! Visits: whether the child was seen, seen alone, seen at home, and whether their bedroom was
//! seen, in the child's own words; and, in one tap, what made a visit hostile or difficult
//! (threats, intimidation, entry refused, the visit cut short, the child not produced).
//!
//! A difficult visit asks for a debrief: the practitioner's manager records one
//! ([`Debrief`], managers only) against the visit. Both maps are added ones
//! ([`super::schema`]): every writer here upgrades the record first. Entries are never
//! edited; a visit recorded wrongly is recorded again.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
pub use super::schema::{DEBRIEFS, VISITS};
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, check_required};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};
use crate::choice::choice;

/// Where the visit took place.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum VisitPlace {
    /// At the child's home.
    #[default]
    Home,
    /// At school or nursery.
    School,
    /// At an office, clinic or contact centre.
    Office,
    Other,
}

choice!(VisitPlace {
    Home = "home",
    School = "school",
    Office = "office",
    Other = "other",
});

impl VisitPlace {
    pub fn label(self) -> &'static str {
        match self {
            VisitPlace::Home => "At home",
            VisitPlace::School => "At school or nursery",
            VisitPlace::Office => "At an office or clinic",
            VisitPlace::Other => "Elsewhere",
        }
    }
}

/// What made a visit hostile or difficult.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// Someone threatened the practitioner.
    Threatened,
    /// Someone tried to intimidate or deter the practitioner.
    Intimidated,
    /// The practitioner was not let in.
    RefusedEntry,
    /// The visit was ended before its purpose was met.
    CutShort,
    /// The child was not produced (away, asleep, "at a friend's").
    ChildNotProduced,
}

choice!(Difficulty {
    Threatened = "threatened",
    Intimidated = "intimidated",
    RefusedEntry = "refused_entry",
    CutShort = "cut_short",
    ChildNotProduced = "child_not_produced",
});

impl Difficulty {
    pub fn label(self) -> &'static str {
        match self {
            Difficulty::Threatened => "Threatened",
            Difficulty::Intimidated => "Intimidated",
            Difficulty::RefusedEntry => "Refused entry",
            Difficulty::CutShort => "Visit cut short",
            Difficulty::ChildNotProduced => "Child not produced",
        }
    }

    /// Whether the visit could not do what it came to do: the avoidance pattern counts these.
    pub fn curtails(self) -> bool {
        matches!(
            self,
            Difficulty::RefusedEntry | Difficulty::CutShort | Difficulty::ChildNotProduced
        )
    }
}

/// One visit to (or meeting with) the child, by any agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Visit {
    pub id: String,
    /// `YYYY-MM-DD`
    pub date: String,
    pub place: VisitPlace,
    pub seen: bool,
    /// Seen without a parent or carer present.
    pub seen_alone: bool,
    /// The child's bedroom was seen (only at home).
    pub bedroom_seen: bool,
    /// What the child said, verbatim.
    pub child_words: String,
    /// What made it hostile or difficult; empty for an ordinary visit.
    pub difficulties: Vec<Difficulty>,
    pub note: String,
    pub agency: String,
    pub added: Stamp,
}

impl Visit {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.date)?;
        if self.seen_alone && !self.seen {
            return Err(ValidationError::OutOfRange(
                "seen alone (the child was not seen)",
            ));
        }
        if self.bedroom_seen && self.place != VisitPlace::Home {
            return Err(ValidationError::OutOfRange(
                "the bedroom seen (not a home visit)",
            ));
        }
        let has = |d: Difficulty| self.difficulties.contains(&d);
        if has(Difficulty::ChildNotProduced) && self.seen {
            return Err(ValidationError::OutOfRange(
                "child not produced (the child was seen)",
            ));
        }
        if has(Difficulty::RefusedEntry) && self.bedroom_seen {
            return Err(ValidationError::OutOfRange(
                "refused entry (the bedroom was seen)",
            ));
        }
        for (i, d) in self.difficulties.iter().enumerate() {
            if self.difficulties[..i].contains(d) {
                return Err(ValidationError::Missing("each difficulty once"));
            }
        }
        check_len(&self.child_words, MAX_TEXT_LEN, "the child's words")?;
        check_len(&self.note, MAX_TEXT_LEN, "note")?;
        check_len(&self.agency, MAX_SHORT_LEN, "agency")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }

    pub fn is_difficult(&self) -> bool {
        !self.difficulties.is_empty()
    }

    pub fn is_curtailed(&self) -> bool {
        self.difficulties.iter().any(|d| d.curtails())
    }

    /// "Home visit: seen alone, bedroom seen" and the like.
    pub fn headline(&self) -> String {
        let mut parts = Vec::new();
        if self.seen {
            parts.push(if self.seen_alone {
                "child seen alone"
            } else {
                "child seen, not alone"
            });
        } else {
            parts.push("child not seen");
        }
        if self.bedroom_seen {
            parts.push("bedroom seen");
        }
        let mut out = format!("Visit ({}): {}", self.place.label(), parts.join(", "));
        if self.is_difficult() {
            let what: Vec<_> = self.difficulties.iter().map(|d| d.label()).collect();
            out.push_str(&format!("; difficult visit: {}", what.join(", ")));
        }
        out
    }
}

/// A manager's debrief of a difficult visit with the practitioner who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Debrief {
    pub id: String,
    pub visit_id: String,
    /// `YYYY-MM-DD`
    pub date: String,
    /// What was talked through and what changes in how the family is visited.
    pub note: String,
    pub added: Stamp,
}

impl Debrief {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_id(&self.visit_id)?;
        check_date(&self.date)?;
        check_required(&self.note, MAX_TEXT_LEN, "what the debrief found")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

/// Records a visit.
pub fn add_visit(doc: &mut Automerge, visit: &Visit) -> Result<(), RecordError> {
    visit.validate()?;
    super::schema::upgrade(doc)?;
    change(doc, visit.added.at_ms, "visit", |tx| {
        entries::put(tx, VISITS, &visit.id, visit)
    })?;
    Ok(())
}

/// Records a debrief of a visit the record holds.
pub fn add_debrief(doc: &mut Automerge, debrief: &Debrief) -> Result<(), RecordError> {
    debrief.validate()?;
    super::schema::upgrade(doc)?;
    if !entries::contains(doc, VISITS, &debrief.visit_id)? {
        return Err(RecordError::UnknownEntry);
    }
    change(doc, debrief.added.at_ms, "debrief", |tx| {
        entries::put(tx, DEBRIEFS, &debrief.id, debrief)
    })?;
    Ok(())
}

/// Every visit, in date order; a record without the map has none.
pub fn read_visits(doc: &Automerge) -> Result<(Vec<Visit>, usize), RecordError> {
    entries::read_added(doc, VISITS, |v: &Visit| {
        (v.date.clone(), v.added.at_ms, v.id.clone())
    })
}

/// Every debrief, in date order.
pub fn read_debriefs(doc: &Automerge) -> Result<(Vec<Debrief>, usize), RecordError> {
    entries::read_added(doc, DEBRIEFS, |d: &Debrief| (d.date.clone(), d.id.clone()))
}
