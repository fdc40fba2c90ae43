//! Supervision records (managers): what was reviewed, reflection, decisions and actions.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
use super::stamped::Stamp;
use super::{RecordError, ValidationError};

pub const MAP: &str = "supervisions";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SupervisionAction {
    pub what: String,
    pub owner: String,
    /// `YYYY-MM-DD`
    pub due: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Supervision {
    pub id: String,
    pub date: String,
    pub discussed: String,
    pub reflection: String,
    /// Each decision appears in the chronology.
    pub decisions: Vec<String>,
    pub actions: Vec<SupervisionAction>,
    pub added: Stamp,
}

pub fn add(doc: &mut Automerge, s: &Supervision) -> Result<(), RecordError> {
    if s.date.parse::<crate::calendar::Date>().is_err()
        || s.actions
            .iter()
            .any(|a| a.due.parse::<crate::calendar::Date>().is_err())
    {
        return Err(RecordError::Invalid(ValidationError::BadDate));
    }
    change(doc, s.added.at_ms, "supervision", |tx| {
        entries::put(tx, MAP, &s.id, s)
    })?;
    Ok(())
}

pub fn read(doc: &Automerge) -> Result<(Vec<Supervision>, usize), RecordError> {
    let (mut v, bad) = entries::read_all::<Supervision>(doc, MAP)?;
    v.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
    Ok((v, bad))
}
