//! Supervision records (managers): what was reviewed, reflection, decisions and actions.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
use super::stamped::Stamp;
use super::{check_date, check_id, check_len, RecordError, ValidationError};
use super::{MAX_SHORT_LEN, MAX_TEXT_LEN};

/// Most decisions or actions one supervision record holds.
pub const MAX_ITEMS: usize = 50;

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

impl Supervision {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_date(&self.date)?;
        check_len(&self.discussed, MAX_TEXT_LEN, "what was discussed")?;
        check_len(&self.reflection, MAX_TEXT_LEN, "reflection")?;
        if self.decisions.len() > MAX_ITEMS || self.actions.len() > MAX_ITEMS {
            return Err(ValidationError::TooLong("decisions and actions"));
        }
        for d in &self.decisions {
            check_len(d, MAX_TEXT_LEN, "a decision")?;
        }
        for a in &self.actions {
            check_len(&a.what, MAX_TEXT_LEN, "an action")?;
            check_len(&a.owner, MAX_SHORT_LEN, "an action's owner")?;
            check_date(&a.due)?;
        }
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

pub fn add(doc: &mut Automerge, s: &Supervision) -> Result<(), RecordError> {
    s.validate()?;
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
