//! People around the child: adults and young people linked to the household, each with an
//! assessment status. An adult nobody has assessed is flagged until someone does.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change, entry_obj, map_obj};
use super::stamped::{self, Field, Stamp};
use super::{check_id, check_len, check_optional_date, check_required};
use super::{RecordError, ValidationError, MAX_SHORT_LEN, MAX_TEXT_LEN};

pub const MAP: &str = "people";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    Adult,
    YoungPerson,
}

impl AgeGroup {
    pub fn label(self) -> &'static str {
        match self {
            AgeGroup::Adult => "Adult",
            AgeGroup::YoungPerson => "Young person (under 18)",
        }
    }
}

crate::choice::choice!(AgeGroup { Adult = "adult", YoungPerson = "young_person" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Household {
    LivesWithChild,
    VisitsRegularly,
    OccasionalContact,
    NoContact,
}

crate::choice::choice!(Household {
    LivesWithChild = "lives_with_child",
    VisitsRegularly = "visits_regularly",
    OccasionalContact = "occasional_contact",
    NoContact = "no_contact",
});

impl Household {
    pub fn label(self) -> &'static str {
        match self {
            Household::LivesWithChild => "Lives with the child",
            Household::VisitsRegularly => "Visits regularly",
            Household::OccasionalContact => "Occasional contact",
            Household::NoContact => "No contact",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStatus {
    NotYetAssessed,
    Risk,
    Protective,
    Both,
}

crate::choice::choice!(AssessmentStatus {
    NotYetAssessed = "not_yet_assessed",
    Risk = "risk",
    Protective = "protective",
    Both = "both",
});

impl AssessmentStatus {
    pub fn label(self) -> &'static str {
        match self {
            AssessmentStatus::NotYetAssessed => "Not yet assessed",
            AssessmentStatus::Risk => "Risk",
            AssessmentStatus::Protective => "Protective",
            AssessmentStatus::Both => "Risk and protective",
        }
    }
}

/// What is known about the person; edited as a whole, so concurrent edits show side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PersonDetails {
    pub name: String,
    /// Relationship to the child, e.g. "Mother's partner", "Father of half-sibling".
    pub relationship: String,
    pub age_group: AgeGroup,
    pub household: Household,
    /// Known risk information (convictions, allegations, concerns), factual.
    pub risk_info: String,
    /// The person's contact with the child.
    pub contact: String,
    /// When the person is a sibling with a record of their own, that record's child id, so the
    /// two records are linked; empty otherwise.
    #[autosurgeon(missing = "String::new")]
    #[serde(default)]
    pub linked_child_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Assessment {
    pub status: AssessmentStatus,
    /// When the assessment was made, `YYYY-MM-DD`.
    pub date: String,
    pub note: String,
}

/// A person's record as stored: who added them, plus the editable parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PersonBase {
    pub id: String,
    pub added: Stamp,
}

impl PersonBase {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

impl PersonDetails {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_required(&self.name, MAX_SHORT_LEN, "the person's name")?;
        check_len(&self.relationship, MAX_SHORT_LEN, "relationship")?;
        check_len(&self.risk_info, MAX_TEXT_LEN, "known risk information")?;
        check_len(&self.contact, MAX_TEXT_LEN, "contact with the child")?;
        if !self.linked_child_id.is_empty()
            && self.linked_child_id.parse::<crate::ChildId>().is_err()
        {
            return Err(ValidationError::BadId);
        }
        Ok(())
    }
}

impl Assessment {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_optional_date(&self.date)?;
        check_len(&self.note, MAX_TEXT_LEN, "assessment note")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub added: Stamp,
    pub details: Field<PersonDetails>,
    pub assessment: Field<Assessment>,
}

impl Person {
    /// The current status; a conflict or a missing assessment counts as not yet assessed.
    pub fn status(&self) -> AssessmentStatus {
        match self.assessment.values.as_slice() {
            [only] => only.value.status,
            _ => AssessmentStatus::NotYetAssessed,
        }
    }

    pub fn name(&self) -> &str {
        self.details
            .latest()
            .map_or("(unnamed)", |d| d.value.name.as_str())
    }

    pub fn is_adult(&self) -> bool {
        self.details
            .values
            .iter()
            .any(|d| d.value.age_group == AgeGroup::Adult)
    }
}

/// Adds a person; they start as not yet assessed unless an assessment is given.
pub fn add(
    doc: &mut Automerge,
    id: &str,
    details: &PersonDetails,
    assessment: Option<&Assessment>,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    let not_assessed = Assessment {
        status: AssessmentStatus::NotYetAssessed,
        date: String::new(),
        note: String::new(),
    };
    let base = PersonBase {
        id: id.into(),
        added: stamp.clone(),
    };
    base.validate()?;
    details.validate()?;
    assessment.unwrap_or(&not_assessed).validate()?;
    change(doc, stamp.at_ms, "person", |tx| {
        let obj = entry_obj(tx, MAP, id)?;
        autosurgeon::reconcile_prop(tx, &obj, "base", &base)?;
        stamped::write(tx, &obj, "details", details, stamp)?;
        stamped::write(
            tx,
            &obj,
            "assessment",
            assessment.unwrap_or(&not_assessed),
            stamp,
        )?;
        Ok(())
    })?;
    Ok(())
}

pub fn edit_details(
    doc: &mut Automerge,
    id: &str,
    details: &PersonDetails,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    details.validate()?;
    change(doc, stamp.at_ms, "person details", |tx| {
        let obj = existing(tx, id)?;
        stamped::write(tx, &obj, "details", details, stamp)
    })?;
    Ok(())
}

pub fn assess(
    doc: &mut Automerge,
    id: &str,
    assessment: &Assessment,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    assessment.validate()?;
    change(doc, stamp.at_ms, "person assessment", |tx| {
        let obj = existing(tx, id)?;
        stamped::write(tx, &obj, "assessment", assessment, stamp)
    })?;
    Ok(())
}

fn existing(
    tx: &mut automerge::transaction::Transaction<'_>,
    id: &str,
) -> Result<automerge::ObjId, RecordError> {
    use automerge::ReadDoc;
    let map = map_obj(tx, MAP)?;
    match tx.get(&map, id)? {
        Some((automerge::Value::Object(automerge::ObjType::Map), obj)) => Ok(obj),
        _ => Err(RecordError::UnknownEntry),
    }
}

pub fn read(doc: &Automerge) -> Result<(Vec<Person>, usize), RecordError> {
    use automerge::ReadDoc;
    let map = entries::map_obj(doc, MAP)?;
    let mut out = Vec::new();
    let mut unreadable = 0;
    for key in doc.keys(&map).collect::<Vec<_>>() {
        let Some((automerge::Value::Object(automerge::ObjType::Map), obj)) =
            doc.get(&map, key.as_str())?
        else {
            unreadable += 1;
            continue;
        };
        match autosurgeon::hydrate_prop::<_, PersonBase, _, _>(doc, &obj, "base") {
            Ok(base) => out.push(Person {
                id: base.id,
                added: base.added,
                details: stamped::read(doc, &obj, "details")?,
                assessment: stamped::read(doc, &obj, "assessment")?,
            }),
            Err(_) => unreadable += 1,
        }
    }
    out.sort_by(|a, b| (a.added.at_ms, &a.id).cmp(&(b.added.at_ms, &b.id)));
    Ok((out, unreadable))
}
