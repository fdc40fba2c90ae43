//! The tablet's side of the caseload sync: one [`Replica`] per child, a [`Caseload`] of them.
//!
//! Pure state machines: the app's `sync/` module moves requests and responses over HTTP and
//! its `storage/` module persists each replica after every change.

use std::collections::BTreeMap;

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge, Change, ChangeHash};

use super::protocol::{
    encode_changes, Bytes, ChildResult, ChildSyncRequest, SyncRequest, SyncResponse,
};
use super::reissue::{reissue, Dropped, ReissueError};
use super::{heads_from_hex, heads_to_hex};
use crate::api::CaseloadEntry;
use crate::ids::ChildId;
use crate::record;
use crate::validate::{Policy, Sender};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the stored record could not be loaded: {0}")]
    Load(automerge::AutomergeError),
    #[error("the server sent a change that could not be decoded")]
    BadChange,
    #[error("the server's changes could not be applied: {0}")]
    Apply(automerge::AutomergeError),
    #[error("the server's sync message could not be used")]
    BadSyncMessage,
}

/// A tablet's copy of one child's record.
#[derive(Debug)]
pub struct Replica {
    pub child_id: ChildId,
    pub doc: Automerge,
    /// Heads the server has acknowledged; `None` means unknown, so the next sync falls back.
    pub server_heads: Option<Vec<ChangeHash>>,
    /// Automerge sync state while in fallback; in memory only, a fresh one is always valid.
    fallback: Option<sync::State>,
    /// Why the server last refused this child's changes, until a sync succeeds or
    /// [`Replica::recover`] re-issues them.
    pub last_rejection: Option<String>,
}

/// What [`Replica::recover`] did to one child's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The server's reason for the rejection that was recovered from.
    pub rejection: String,
    /// Changes re-issued, each accepted by the server's policy.
    pub reissued: usize,
    /// Local work the policy refuses; it is only in `original`.
    pub dropped: Vec<Dropped>,
    /// The refused record as it was (`Automerge::save`), for the caller to quarantine.
    pub original: Vec<u8>,
}

/// What applying a response changed for one child.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Changes from other tablets now in the local record.
    pub received: usize,
    /// Whether the document changed and must be saved.
    pub changed: bool,
}

impl Replica {
    /// A new, empty replica: the shared genesis, which the server is known to have.
    pub fn new(child_id: ChildId, actor: ActorId) -> Self {
        let doc = record::new_replica(&child_id, actor);
        let heads = doc.get_heads();
        Replica {
            child_id,
            doc,
            server_heads: Some(heads),
            fallback: None,
            last_rejection: None,
        }
    }

    /// Restores a replica from stored bytes (a snapshot followed by incremental chunks).
    pub fn load(
        child_id: ChildId,
        actor: ActorId,
        bytes: &[u8],
        server_heads: Option<Vec<String>>,
    ) -> Result<Self, ClientError> {
        let doc = Automerge::load(bytes)
            .map_err(ClientError::Load)?
            .with_actor(actor);
        let server_heads = server_heads
            .as_deref()
            .and_then(heads_from_hex)
            .filter(|h| super::holds(&doc, h));
        Ok(Replica {
            child_id,
            doc,
            server_heads,
            fallback: None,
            last_rejection: None,
        })
    }

    pub fn server_heads_hex(&self) -> Option<Vec<String>> {
        self.server_heads.as_deref().map(heads_to_hex)
    }

    /// Changes on this tablet the server has not acknowledged.
    pub fn pending(&self) -> usize {
        match &self.server_heads {
            // Metadata only: rebuilding the changes themselves just to count them is costly.
            Some(h) => self.doc.get_changes_meta(h).len(),
            None => self.doc.get_changes_meta(&[]).len().saturating_sub(1),
        }
    }

    /// This child's part of the next sync request.
    pub fn request(&mut self) -> ChildSyncRequest {
        match &self.server_heads {
            Some(heads) => ChildSyncRequest {
                child_id: self.child_id.clone(),
                server_heads: Some(heads_to_hex(heads)),
                changes: encode_changes(self.doc.get_changes(heads)),
                sync_message: None,
            },
            None => {
                let state = self.fallback.get_or_insert_with(sync::State::new);
                // The server takes changes only as change chunks, each judged on its own; never
                // as a whole document, which Automerge's newer message format may send.
                state.their_capabilities = None;
                let message = match self.doc.generate_sync_message(state) {
                    Some(m) => m,
                    None => {
                        // Waiting for an answer that was lost: the server is stateless, so start over.
                        *state = sync::State::new();
                        self.doc
                            .generate_sync_message(state)
                            .unwrap_or_else(|| sync::State::new().clone_empty_message(&self.doc))
                    }
                };
                ChildSyncRequest {
                    child_id: self.child_id.clone(),
                    server_heads: None,
                    changes: Vec::new(),
                    sync_message: Some(Bytes(message.encode())),
                }
            }
        }
    }

    /// Applies the server's answer for this child.
    pub fn apply(&mut self, result: &ChildResult) -> Result<Applied, ClientError> {
        let before = self.doc.get_heads();
        match result {
            ChildResult::Merged { heads, changes, .. } => {
                let changes: Vec<Change> = changes
                    .iter()
                    .map(|b| Change::from_bytes(b.0.clone()).map_err(|_| ClientError::BadChange))
                    .collect::<Result<_, _>>()?;
                self.doc
                    .apply_changes(changes)
                    .map_err(ClientError::Apply)?;
                self.adopt_server_heads(heads);
                self.last_rejection = None;
            }
            ChildResult::Fallback {
                sync_message,
                heads,
                ..
            } => {
                if !sync_message.0.is_empty() {
                    let msg = sync::Message::decode(&sync_message.0)
                        .map_err(|_| ClientError::BadSyncMessage)?;
                    let state = self.fallback.get_or_insert_with(sync::State::new);
                    self.doc
                        .receive_sync_message(state, msg)
                        .map_err(|_| ClientError::BadSyncMessage)?;
                }
                self.adopt_server_heads(heads);
            }
            ChildResult::Rejected { reason } => {
                self.last_rejection = Some(reason.clone());
            }
            // Nothing was stored; the same changes go again next time.
            ChildResult::Unavailable { .. } | ChildResult::Revoked => {}
        }
        let after = self.doc.get_heads();
        let changed = before != after;
        let received = if changed {
            self.doc.get_changes_meta(&before).len()
        } else {
            0
        };
        Ok(Applied { received, changed })
    }

    /// After the server refused this child's changes, rebuilds the record on the heads the
    /// server acknowledged: the tablet's valid work is re-issued under `actor`, a fresh actor
    /// with this device's prefix, which the record keeps for later writes (see
    /// [`super::reissue`]). `None` when there is no rejection, or no acknowledged heads to
    /// build on (the next sync falls back first). On an error nothing changes.
    ///
    /// The new record's history does not extend the old one: store it as a fresh snapshot,
    /// not as an incremental chunk, and keep `original` aside.
    pub fn recover(
        &mut self,
        sender: &Sender,
        actor: ActorId,
        policy: Policy,
    ) -> Option<Result<Recovery, ReissueError>> {
        let rejection = self.last_rejection.clone()?;
        let heads = self.server_heads.clone()?;
        Some(
            reissue(&self.doc, &heads, sender, actor, policy).map(|rebuilt| {
                let original = std::mem::replace(&mut self.doc, rebuilt.doc).save();
                self.fallback = None;
                self.last_rejection = None;
                Recovery {
                    rejection,
                    reissued: rebuilt.reissued,
                    dropped: rebuilt.dropped,
                    original,
                }
            }),
        )
    }

    /// Takes the server's heads as acknowledged only if this tablet holds every one of them;
    /// otherwise the next sync falls back to Automerge's protocol.
    fn adopt_server_heads(&mut self, heads: &[String]) {
        match heads_from_hex(heads) {
            Some(h) if super::holds(&self.doc, &h) => {
                self.server_heads = Some(h);
                self.fallback = None;
            }
            _ => self.server_heads = None,
        }
    }
}

/// Builds a first fallback message when the sync state has nothing to say (cannot normally happen).
trait EmptyMessage {
    fn clone_empty_message(&self, doc: &Automerge) -> sync::Message;
}

impl EmptyMessage for sync::State {
    fn clone_empty_message(&self, doc: &Automerge) -> sync::Message {
        sync::Message {
            heads: doc.get_heads(),
            need: Vec::new(),
            have: Vec::new(),
            changes: sync::ChunkList::empty(),
            flags: None,
            version: sync::MessageVersion::V1,
        }
    }
}

/// Everything on one tablet: its replicas and the caseload details last received.
#[derive(Debug, Default)]
pub struct Caseload {
    pub replicas: BTreeMap<ChildId, Replica>,
    pub entries: Vec<CaseloadEntry>,
}

/// What one sync round did to the tablet, for storage and the status bar.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundOutcome {
    /// Children whose documents changed and must be saved.
    pub changed: Vec<ChildId>,
    /// Children no longer allocated: remove every local trace.
    pub revoked: Vec<ChildId>,
    /// Children still in fallback: another round is needed.
    pub needs_another_round: bool,
    pub received: usize,
    pub rejected: Vec<(ChildId, String)>,
    /// Children the server could not store just now; their changes wait for the next sync.
    pub unavailable: Vec<(ChildId, String)>,
}

impl Caseload {
    /// One request for every child on the tablet.
    pub fn request(&mut self) -> SyncRequest {
        SyncRequest {
            children: self.replicas.values_mut().map(Replica::request).collect(),
            ..Default::default()
        }
    }

    /// Applies a response; children the server sends that the tablet lacks are created with `actor`.
    pub fn apply(&mut self, response: &SyncResponse, actor: &ActorId) -> RoundOutcome {
        let mut out = RoundOutcome::default();
        for child in &response.children {
            if matches!(child.result, ChildResult::Revoked) {
                if self.replicas.remove(&child.child_id).is_some() {
                    out.revoked.push(child.child_id.clone());
                }
                continue;
            }
            let replica = self
                .replicas
                .entry(child.child_id.clone())
                .or_insert_with(|| Replica::new(child.child_id.clone(), actor.clone()));
            match replica.apply(&child.result) {
                Ok(applied) => {
                    out.received += applied.received;
                    if applied.changed {
                        out.changed.push(child.child_id.clone());
                    }
                }
                Err(e) => {
                    replica.server_heads = None;
                    out.rejected.push((child.child_id.clone(), e.to_string()));
                }
            }
            match &child.result {
                ChildResult::Rejected { reason } => {
                    out.rejected.push((child.child_id.clone(), reason.clone()));
                }
                ChildResult::Unavailable { reason } => {
                    out.unavailable
                        .push((child.child_id.clone(), reason.clone()));
                }
                _ => {}
            }
            // Unavailable means later, not now: another round would be answered the same.
            let later = matches!(child.result, ChildResult::Unavailable { .. });
            if replica.server_heads.is_none() && !later {
                out.needs_another_round = true;
            }
        }
        self.entries = response.caseload.clone();
        out
    }

    pub fn pending(&self) -> usize {
        self.replicas.values().map(Replica::pending).sum()
    }

    /// [`Replica::recover`] for every child the server last refused, all under `actor`
    /// (records are separate documents, so one fresh actor serves them all).
    pub fn recover_rejected(
        &mut self,
        sender: &Sender,
        actor: &ActorId,
        policy: Policy,
    ) -> Vec<(ChildId, Result<Recovery, ReissueError>)> {
        self.replicas
            .iter_mut()
            .filter_map(|(id, replica)| {
                replica
                    .recover(sender, actor.clone(), policy)
                    .map(|outcome| (id.clone(), outcome))
            })
            .collect()
    }
}
