//! The one door through which changes reach Automerge, on the server and in the tablet's
//! recovery alike: changes are applied in dependency order, and each is checked first for what
//! Automerge itself does not check (or checks by panicking): sequence numbers, dependencies,
//! operation counters and that everything its operations name exists.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, Change, ChangeHash};

use super::Rejection;

/// Why a batch of changes could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A change whose dependencies are all present does not continue its actor's sequence
    /// numbers. An honest one always does (it depends on its actor's previous change); Automerge
    /// asserts it while applying, so such a change must never reach Automerge.
    #[error("{}", Rejection::BadSequence)]
    Sequence,
    /// Quilt never writes Automerge's own author field, and Automerge asserts things about it
    /// while applying.
    #[error("a change carries an Automerge author, which Quilt does not write")]
    Authored,
    #[error("the changes could not be applied")]
    Automerge(#[from] automerge::AutomergeError),
    /// An operation names an object or list item that does not exist, or writes in a way
    /// Quilt never does; refused before Automerge sees it.
    #[error("{0}")]
    Refused(Rejection),
}

/// Applies the changes whose dependencies are satisfied (by the document or by other changes
/// in the batch); returns the ones that had to be left out because a dependency is missing.
/// Never leaves changes queued inside the document. On an error the document may hold part
/// of the batch: callers apply to a copy they drop on refusal.
pub fn apply_ready(doc: &mut Automerge, changes: Vec<Change>) -> Result<Vec<Change>, ApplyError> {
    apply_ready_keeping(doc, changes).map(|(_, blocked)| blocked)
}

/// [`apply_ready`], also returning the changes that were new to the document, in the order
/// they were applied (each after its dependencies), as they arrived: the server stores these
/// bytes instead of rebuilding the changes from the document's operations.
pub fn apply_ready_keeping(
    doc: &mut Automerge,
    changes: Vec<Change>,
) -> Result<(Vec<Change>, Vec<Change>), ApplyError> {
    let mut new = Vec::new();
    // The document is asked once: asking it about every dependency in every round rebuilds
    // changes a number of times quadratic in the batch, which a crafted request makes large.
    let (mut known, mut next_seq) = history(doc, &changes);
    let mut pending: Vec<Change> = changes
        .into_iter()
        .filter(|c| !known.contains_key(&c.hash()))
        .collect();
    if pending.iter().any(|c| c.author().is_some()) {
        return Err(ApplyError::Authored);
    }
    // Objects made by changes of this batch, for `validate::resolvable`.
    let mut made = HashMap::new();
    loop {
        let (ready, blocked): (Vec<Change>, Vec<Change>) = pending
            .into_iter()
            .partition(|c| c.deps().iter().all(|d| known.contains_key(d)));
        if ready.is_empty() {
            // One application for the whole batch: Automerge applies a batch of changes far
            // faster than the same changes one call at a time.
            doc.apply_changes(new.iter().cloned())?;
            return Ok((new, blocked));
        }
        // At most one change per actor per round: an honest actor's next change depends on
        // this one, so it cannot be ready yet. A change sent twice counts once.
        let (mut applied, mut actors) = (HashSet::new(), HashSet::new());
        let mut round = Vec::with_capacity(ready.len());
        for c in ready.into_iter().filter(|c| applied.insert(c.hash())) {
            let next = next_seq.entry(c.actor_id().clone()).or_insert(1);
            if c.seq() != *next || !actors.insert(c.actor_id().clone()) {
                return Err(ApplyError::Sequence);
            }
            *next += 1;
            // What Automerge's own transaction writes: a change builds on something (at least
            // the record's genesis), and its first counter follows everything it builds on.
            let before = highest_before(&known, c.deps());
            if c.deps().is_empty() {
                return Err(ApplyError::Refused(Rejection::Malformed));
            }
            if c.start_op().get() != before + 1 {
                return Err(ApplyError::Refused(Rejection::BadOpCounter));
            }
            super::resolvable(doc, &c, &mut made).map_err(ApplyError::Refused)?;
            round.push(c);
        }
        for c in &round {
            let highest = highest_before(&known, c.deps()).max(c.max_op());
            known.insert(c.hash(), highest);
        }
        new.extend(round);
        pending = blocked;
    }
}

/// Every change hash `doc` holds, the sequence number each actor of `changes` continues
/// with, and for each change the highest operation counter in its history (it and every
/// change it depends on, directly or not).
fn history(
    doc: &Automerge,
    changes: &[Change],
) -> (HashMap<ChangeHash, u64>, HashMap<ActorId, u64>) {
    let actors: HashSet<&ActorId> = changes.iter().map(|c| c.actor_id()).collect();
    let mut known = HashMap::new();
    let mut next = HashMap::new();
    // In stored order every change comes after its dependencies.
    for meta in doc.get_changes_meta(&[]) {
        if actors.contains(meta.actor.as_ref()) {
            let n = next.entry(meta.actor.clone().into_owned()).or_insert(1);
            *n = (*n).max(meta.seq + 1);
        }
        let highest = highest_before(&known, &meta.deps).max(meta.max_op);
        known.insert(meta.hash, highest);
    }
    (known, next)
}

/// The highest operation counter in the history of `deps`.
fn highest_before(known: &HashMap<ChangeHash, u64>, deps: &[ChangeHash]) -> u64 {
    deps.iter()
        .map(|d| known.get(d).copied().unwrap_or(0))
        .max()
        .unwrap_or(0)
}
