//! Amend and withdraw, never delete. An amendment adds a correction beside the original, which
//! stays visible; an entry recorded in error is withdrawn with a reason and stays in history.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
use super::stamped::Stamp;
use super::{check_id, check_len, check_required, RecordError, ValidationError};
use super::{MAX_SHORT_LEN, MAX_TEXT_LEN};

pub const AMENDMENTS: &str = "amendments";
pub const WITHDRAWALS: &str = "withdrawals";

/// The parts of an observation an amendment may correct (codes; the app labels them).
pub const AMENDABLE_FIELDS: &[&str] = &[
    "narrative",
    "date",
    "where",
    "who was present",
    "child's words",
    "indicators",
    "body map",
    "source",
    "action taken",
    "other",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Amendment {
    pub id: String,
    pub observation_id: String,
    /// Which part is corrected, e.g. "narrative", "date", "child's words".
    pub field: String,
    pub corrected: String,
    pub reason: String,
    pub added: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Withdrawal {
    pub observation_id: String,
    pub reason: String,
    pub added: Stamp,
}

impl Amendment {
    /// What the server accepts as an amendment, checked here before it is written.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.id)?;
        check_id(&self.observation_id)?;
        if !AMENDABLE_FIELDS.contains(&self.field.as_str()) {
            return Err(ValidationError::Missing("which part is corrected"));
        }
        check_required(
            &self.corrected,
            MAX_TEXT_LEN,
            "the correction and its reason",
        )?;
        check_required(&self.reason, MAX_TEXT_LEN, "the correction and its reason")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

impl Withdrawal {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id(&self.observation_id)?;
        check_required(&self.reason, MAX_TEXT_LEN, "the reason for withdrawing")?;
        check_len(&self.added.by_name, MAX_SHORT_LEN, "author name")
    }
}

pub fn amend(doc: &mut Automerge, a: &Amendment) -> Result<(), RecordError> {
    a.validate()?;
    if super::observation(doc, &a.observation_id)?.is_none() {
        return Err(RecordError::UnknownEntry);
    }
    change(doc, a.added.at_ms, "amendment", |tx| {
        entries::put(tx, AMENDMENTS, &a.id, a)
    })?;
    Ok(())
}

/// Keyed by observation id: withdrawing twice keeps both reasons visible as a conflict.
pub fn withdraw(doc: &mut Automerge, w: &Withdrawal) -> Result<(), RecordError> {
    w.validate()?;
    if super::observation(doc, &w.observation_id)?.is_none() {
        return Err(RecordError::UnknownEntry);
    }
    if entries::contains(doc, WITHDRAWALS, &w.observation_id)? {
        return Err(RecordError::Exists);
    }
    change(doc, w.added.at_ms, "withdrawal", |tx| {
        entries::put(tx, WITHDRAWALS, &w.observation_id, w)
    })?;
    Ok(())
}

pub fn read_amendments(doc: &Automerge) -> Result<(Vec<Amendment>, usize), RecordError> {
    let (mut v, bad) = entries::read_all::<Amendment>(doc, AMENDMENTS)?;
    v.sort_by(|a, b| (a.added.at_ms, &a.id).cmp(&(b.added.at_ms, &b.id)));
    Ok((v, bad))
}

pub fn read_withdrawals(doc: &Automerge) -> Result<(Vec<Withdrawal>, usize), RecordError> {
    entries::read_all::<Withdrawal>(doc, WITHDRAWALS)
}
