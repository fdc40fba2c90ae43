//! Loading, merging and storing children's documents: the server half of sync.
//!
//! Architecture invariant: every merge of a child's document holds that child's lock from
//! load to commit, and the response that acknowledges changes is built only after the commit.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, Change};
use shared::record;
use shared::sync::server::{self as merge, Limits};
use shared::sync::{ChildResult, ChildSyncRequest};
use shared::validate::{self, Policy, Sender};
use shared::ChildId;

use crate::error::ApiError;
use crate::state::{now_ms, AppState};
use crate::store::{MergeWrite, NewChange, Store, StoreError};

/// Rebuilds a child's document from its snapshot and changes; a child with nothing stored yet
/// starts from the shared genesis.
pub async fn load(store: &dyn Store, child: &ChildId) -> Result<(Automerge, usize), StoreError> {
    let stored = store.load_doc(child).await?;
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
    let lock = state.doc_locks.for_child(&req.child_id);
    let _guard = lock.lock().await;
    let (mut doc, stored_changes) = load(state.store.as_ref(), &req.child_id).await?;
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
        state
            .store
            .commit_merge(&req.child_id, write, now_ms())
            .await
            .map_err(|e| ApiError::Unavailable(e.into()))?;
    }
    Ok(outcome.result)
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
    let (mut doc, stored_changes) = load(state.store.as_ref(), child).await?;
    let before = doc.get_heads();
    edit(&mut doc);
    let new = doc.get_changes(&before);
    if new.is_empty() {
        return Ok(());
    }
    let write = write_for(
        &doc,
        new,
        stored_changes,
        state.config.compact_after_changes,
    );
    state.store.commit_merge(child, write, now_ms()).await?;
    Ok(())
}
