//! Amend and withdraw, never delete. An amendment adds a correction beside the original, which
//! stays visible; an entry recorded in error is withdrawn with a reason and stays in history.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::entries::{self, change};
use super::stamped::Stamp;
use super::{RecordError, ValidationError};

pub const AMENDMENTS: &str = "amendments";
pub const WITHDRAWALS: &str = "withdrawals";

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

pub fn amend(doc: &mut Automerge, a: &Amendment) -> Result<(), RecordError> {
    if a.reason.trim().is_empty() || a.corrected.trim().is_empty() {
        return Err(RecordError::Invalid(ValidationError::Missing(
            "the correction and its reason",
        )));
    }
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
    if w.reason.trim().is_empty() {
        return Err(RecordError::Invalid(ValidationError::Missing(
            "the reason for withdrawing",
        )));
    }
    if super::observation(doc, &w.observation_id)?.is_none() {
        return Err(RecordError::UnknownEntry);
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
