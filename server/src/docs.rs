//! Loading, merging and storing children's documents: the server half of sync.
//!
//! Architecture invariant: every merge of a child's document holds that child's lock from
//! load to commit, and the response that acknowledges changes is built only after the commit.
//! Two locks: `DocLocks` queues one process's merges of a child in memory, and
//! `Store::begin_merge` locks the child in the database, which every process sharing it
//! respects.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, Change};
use shared::record;
use shared::sync::server::{self as merge, Limits};
use shared::sync::{ChildResult, ChildSyncRequest};
use shared::validate::{self, Policy, Sender};
use shared::ChildId;

use crate::error::ApiError;
use crate::state::{now_ms, AppState};
use crate::store::{MergeTx, MergeWrite, NewChange, Store, StoreError, StoredDoc};

/// Rebuilds a child's document from its snapshot and changes; a child with nothing stored yet
/// starts from the shared genesis.
pub async fn load(store: &dyn Store, child: &ChildId) -> Result<(Automerge, usize), StoreError> {
    let stored = store.load_doc(child).await?;
    rebuild(child, &stored)
}

/// The document `stored` holds, and how many changes are stored after its snapshot.
fn rebuild(child: &ChildId, stored: &StoredDoc) -> Result<(Automerge, usize), StoreError> {
    let mut doc = match &stored.snapshot {
        Some(bytes) => Automerge::load(bytes)
            .map_err(|e| StoreError::Corrupt(format!("snapshot of a record: {e}")))?,
        None => record::genesis(child),
    };
    let changes: Vec<Change> = stored
        .changes
        .iter()
        .map(|b| {
            Change::from_bytes(b.clone())
                .map_err(|e| StoreError::Corrupt(format!("stored change: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let count = changes.len();
    doc.apply_changes(changes)
        .map_err(|e| StoreError::Corrupt(format!("applying stored changes: {e}")))?;
    Ok((doc, count))
}

/// Builds the write for changes that are new to the server, with the refreshed read model
/// and, past the policy's threshold, a compacted snapshot.
fn write_for(
    doc: &Automerge,
    new: Vec<Change>,
    stored_changes: usize,
    compact_after: usize,
) -> MergeWrite {
    let changes: Vec<NewChange> = new
        .into_iter()
        .map(|mut c| NewChange {
            hash: c.hash().to_string(),
            bytes: c.bytes().into_owned(),
        })
        .collect();
    let compact_to = (stored_changes + changes.len() > compact_after).then(|| doc.save());
    let full = record::read_record(doc).ok();
    let observations = full
        .as_ref()
        .map(|r| r.observations.clone())
        .unwrap_or_default();
    MergeWrite {
        changes,
        observations,
        record: full,
        compact_to,
    }
}

/// Merges one child's part of a sync request and commits it; the result acknowledges only
/// what is durably stored.
pub async fn merge_child(
    state: &AppState,
    sender: &Sender,
    req: &ChildSyncRequest,
) -> Result<ChildResult, ApiError> {
    if req.changes.is_empty() && req.sync_message.is_none() {
        return deliver(state, req).await;
    }
    let lock = state.doc_locks.for_child(&req.child_id);
    let _guard = lock.lock().await;
    // If the lock cannot be had (database busy or down, lock timeout), only this child waits
    // for the next sync, as when a commit fails.
    let (stored, tx) = state
        .store
        .begin_merge(&req.child_id)
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?;
    let (mut doc, stored_changes) = rebuild(&req.child_id, &stored)?;
    drop(stored);
    let check = |before: &Automerge, new: &[Change]| -> Result<(), String> {
        let last_seq = last_sequence_numbers(before, new);
        validate::check(
            before,
            new,
            sender,
            &|actor| last_seq.get(actor).copied().unwrap_or(0),
            Policy::default(),
        )
        .map(|_| ())
        .map_err(|rejection| rejection.to_string())
    };
    // Panic boundary: whatever bytes arrive, a bug in decoding or validation refuses this
    // child's changes instead of taking the worker down. The document is discarded either way
    // (it is reloaded for every merge), so a half-applied state never reaches storage.
    let merged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        merge::merge_child(&mut doc, req, Limits::default(), &check)
    }));
    let outcome = match merged {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::error!(child = %req.child_id, "merge panicked; changes refused");
            abandon(tx).await;
            return Ok(ChildResult::Rejected {
                reason: "the server could not process these changes".into(),
            });
        }
    };
    if let ChildResult::Rejected { reason } = &outcome.result {
        tracing::warn!(child = %req.child_id, user = %sender.user_id, reason = %reason, "changes rejected");
    }
    if !outcome.persist.is_empty() {
        let write = write_for(
            &doc,
            outcome.persist,
            stored_changes,
            state.config.compact_after_changes,
        );
        tx.commit(write, now_ms())
            .await
            .map_err(|e| ApiError::Unavailable(e.into()))?;
    } else {
        abandon(tx).await;
    }
    Ok(outcome.result)
}

/// A child the tablet sent nothing for: answer with what it lacks from a consistent read,
/// without the merge lock (on SQLite that is the database's only write lock).
async fn deliver(state: &AppState, req: &ChildSyncRequest) -> Result<ChildResult, ApiError> {
    let (mut doc, _) = load(state.store.as_ref(), &req.child_id)
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        merge::merge_child(&mut doc, req, Limits::default(), &merge::accept_all)
    }));
    match outcome {
        Ok(outcome) if outcome.persist.is_empty() => Ok(outcome.result),
        // Nothing was sent, so nothing can be new; refuse rather than store outside the lock.
        _ => Ok(ChildResult::Rejected {
            reason: "the server could not process this request".into(),
        }),
    }
}

/// Ends a merge that stores nothing. A failed rollback is only logged: the transaction and its
/// lock end with the connection anyway, and nothing was written.
async fn abandon(tx: Box<dyn MergeTx>) {
    if let Err(e) = tx.abandon().await {
        tracing::warn!(error = %e, "ending a merge that stored nothing failed");
    }
}

/// The highest stored sequence number of each actor that wrote one of `new`.
fn last_sequence_numbers(doc: &Automerge, new: &[Change]) -> HashMap<ActorId, u64> {
    let actors: HashSet<&ActorId> = new.iter().map(|c| c.actor_id()).collect();
    let mut out = HashMap::new();
    for meta in doc.get_changes_meta(&[]) {
        if actors.contains(meta.actor.as_ref()) {
            let seq = out.entry(meta.actor.clone().into_owned()).or_insert(0);
            *seq = (*seq).max(meta.seq);
        }
    }
    out
}

/// Everything a tablet that has never held this child needs.
pub async fn initial(state: &AppState, child: &ChildId) -> Result<ChildResult, ApiError> {
    let (doc, _) = load(state.store.as_ref(), child).await?;
    let genesis = record::genesis(child).get_heads();
    Ok(merge::initial(&doc, &genesis))
}

/// Appends locally made changes (demo data, imports) through the same write path as sync.
pub async fn append(
    state: &AppState,
    child: &ChildId,
    edit: impl FnOnce(&mut Automerge),
) -> Result<(), ApiError> {
    let lock = state.doc_locks.for_child(child);
    let _guard = lock.lock().await;
    let (stored, tx) = state.store.begin_merge(child).await?;
    let (mut doc, stored_changes) = rebuild(child, &stored)?;
    let before = doc.get_heads();
    edit(&mut doc);
    let new = doc.get_changes(&before);
    if new.is_empty() {
        abandon(tx).await;
        return Ok(());
    }
    let write = write_for(
        &doc,
        new,
        stored_changes,
        state.config.compact_after_changes,
    );
    tx.commit(write, now_ms()).await?;
    Ok(())
}
