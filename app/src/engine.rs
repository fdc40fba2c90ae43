//! The tablet's replicas in memory, and how they are written to storage.
//!
//! The engine owns the [`Caseload`] state machine and remembers, per child, which heads are
//! already on disk, so every save writes only the changes made since the previous one.
//! `RefCell` borrows are never held across an `await`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use automerge::{ActorId, Automerge, ChangeHash};
use shared::record::{self, Observation, Record, RecordError, RecordView};
use shared::sync::client::RoundOutcome;
use shared::sync::{Caseload, Recovery, Replica, SyncRequest, SyncResponse};
use shared::validate::{Policy, Sender};
use shared::{ChildId, DeviceId};

use crate::platform;
use crate::storage::{StorageError, Store, StoredRecord, SyncState};

/// Fold chunks back into the snapshot once a child has more than this many.
const COMPACT_AFTER: usize = 50;

/// What is on disk for one child.
#[derive(Debug, Clone)]
struct Saved {
    heads: Vec<ChangeHash>,
    chunks: usize,
}

#[derive(Debug)]
pub struct Engine {
    pub store: Store,
    /// This device's id; sessions are bound to it and every actor starts with its bytes.
    pub device_id: DeviceId,
    actor: ActorId,
    caseload: RefCell<Caseload>,
    saved: RefCell<BTreeMap<ChildId, Saved>>,
    /// The last record read from each document, with the heads it was read at: pages re-read
    /// after every save and sync, and only a document that changed is read again.
    read: RefCell<BTreeMap<ChildId, (Vec<ChangeHash>, Record)>>,
    /// A sync is running; a second request sets `again` instead of starting another.
    pub(super) running: Cell<bool>,
    pub(super) again: Cell<bool>,
}

/// Problems met while loading that the user should hear about, without stopping the app.
pub type Warnings = Vec<String>;

impl Engine {
    /// Loads every stored record. The actor is this device's id plus 8 fresh random bytes, so two
    /// tabs (or a reload) never reuse an actor's sequence numbers.
    pub async fn start(store: Store, username: &str) -> Result<(Engine, Warnings), String> {
        let device = device_id(&store, username).await?;
        let actor = fresh_actor(&device)?;
        let bytes = actor.to_bytes();
        store
            .put_actor_suffix(&platform::hex(&bytes[bytes.len().saturating_sub(8)..]))
            .await
            .map_err(|e| e.to_string())?;

        let records = store.load_records().await.map_err(|e| e.to_string())?;
        let mut warnings = Vec::new();
        let mut caseload = Caseload::default();
        let mut saved = BTreeMap::new();
        for (child, stored) in records {
            let chunks = stored.chunks.len();
            match restore(&child, &actor, stored) {
                Ok((replica, dropped)) => {
                    if dropped > 0 {
                        warnings.push(format!(
                            "{dropped} damaged save(s) of one record could not be read on this tablet"
                        ));
                    }
                    saved.insert(
                        child.clone(),
                        Saved {
                            heads: replica.doc.get_heads(),
                            chunks,
                        },
                    );
                    caseload.replicas.insert(child, replica);
                }
                Err(e) => warnings.push(e),
            }
        }
        caseload.entries = store.caseload_entries().await.map_err(|e| e.to_string())?;
        Ok((
            Engine {
                store,
                device_id: device,
                actor,
                caseload: RefCell::new(caseload),
                saved: RefCell::new(saved),
                read: RefCell::new(BTreeMap::new()),
                running: Cell::new(false),
                again: Cell::new(false),
            },
            warnings,
        ))
    }

    /// The caseload list as last stored.
    pub fn entries(&self) -> Vec<shared::api::CaseloadEntry> {
        self.caseload.borrow().entries.clone()
    }

    /// Changes on this tablet the server has not acknowledged, over every child.
    pub fn pending(&self) -> usize {
        self.caseload.borrow().pending()
    }

    /// The observations of one child's local record, or `None` if the tablet has no copy.
    pub fn read(&self, child: &ChildId) -> Option<Result<RecordView, String>> {
        let caseload = self.caseload.borrow();
        caseload
            .replicas
            .get(child)
            .map(|r| record::read(&r.doc).map_err(|e| e.to_string()))
    }

    /// How many observations the tablet holds for a child.
    pub fn observation_count(&self, child: &ChildId) -> Option<usize> {
        let caseload = self.caseload.borrow();
        let replica = caseload.replicas.get(child)?;
        record::observation_ids(&replica.doc)
            .ok()
            .map(|ids| ids.len())
    }

    /// Why the server last refused a child's changes, if it did.
    pub fn rejection(&self, child: &ChildId) -> Option<String> {
        self.caseload
            .borrow()
            .replicas
            .get(child)
            .and_then(|r| r.last_rejection.clone())
    }

    /// Everything in one child's local record, or `None` if the tablet has no copy.
    pub fn read_record(&self, child: &ChildId) -> Option<Result<Record, String>> {
        let caseload = self.caseload.borrow();
        let doc = &caseload.replicas.get(child)?.doc;
        let heads = doc.get_heads();
        if let Some((at, record)) = self.read.borrow().get(child) {
            if *at == heads {
                return Some(Ok(record.clone()));
            }
        }
        let read = record::read_record(doc).map_err(|e| e.to_string());
        if let Ok(record) = &read {
            self.read
                .borrow_mut()
                .insert(child.clone(), (heads, record.clone()));
        }
        Some(read)
    }

    /// Writes an observation into the local record and saves it to the tablet.
    pub async fn add_observation(&self, child: &ChildId, obs: &Observation) -> Result<(), String> {
        let now = platform::now_ms() as i64;
        self.change(child, |doc| {
            record::add_observation(doc, obs, now).map(|_| ())
        })
        .await
    }

    /// The one way every form writes: applies `change` to the child's local record (as one or
    /// more Automerge changes by this tab's actor), then saves the new changes to the tablet as
    /// one incremental chunk. A change that fails leaves the document as it was.
    pub async fn change(
        &self,
        child: &ChildId,
        change: impl FnOnce(&mut Automerge) -> Result<(), RecordError>,
    ) -> Result<(), String> {
        {
            let mut caseload = self.caseload.borrow_mut();
            let replica = caseload
                .replicas
                .entry(child.clone())
                .or_insert_with(|| Replica::new(child.clone(), self.actor.clone()));
            change(&mut replica.doc).map_err(|e| e.to_string())?;
        }
        self.persist(child).await.map_err(|e| {
            format!("the change is open in this window but was not saved on this tablet: {e}")
        })
    }

    /// Saves whatever changed in a child's record since the last save: one chunk, or the whole
    /// document for a record this tab has not saved yet. Compacts once chunks pile up.
    pub async fn persist(&self, child: &ChildId) -> Result<(), StorageError> {
        enum Write {
            Chunk(Vec<u8>),
            Snapshot(Vec<u8>),
        }
        let (write, heads, previous) = {
            let caseload = self.caseload.borrow();
            let Some(replica) = caseload.replicas.get(child) else {
                return Ok(());
            };
            let heads = replica.doc.get_heads();
            let mut saved = self.saved.borrow_mut();
            let previous = saved.get(child).cloned();
            let write = match &previous {
                Some(s) if s.heads == heads => return Ok(()),
                Some(s) => Write::Chunk(replica.doc.save_after(&s.heads)),
                None => Write::Snapshot(replica.doc.save()),
            };
            // Claimed before the await so a concurrent save does not write the same changes;
            // put back below if the write fails.
            let chunks = previous.as_ref().map_or(0, |s| s.chunks);
            saved.insert(
                child.clone(),
                Saved {
                    heads: heads.clone(),
                    chunks,
                },
            );
            (write, heads, previous)
        };
        let result = match write {
            Write::Chunk(bytes) => self.store.append_chunk(child, &bytes).await,
            Write::Snapshot(bytes) => self.store.save_new(child, &bytes).await,
        };
        let chunks = match result {
            Ok(n) => n,
            Err(e) => {
                let mut saved = self.saved.borrow_mut();
                match previous {
                    Some(p) => saved.insert(child.clone(), p),
                    None => saved.remove(child),
                };
                return Err(e);
            }
        };
        if let Some(s) = self.saved.borrow_mut().get_mut(child) {
            s.chunks = s.chunks.max(chunks);
            if s.heads != heads {
                // A later save already moved on; its own bookkeeping stands.
                return Ok(());
            }
        }
        if chunks > COMPACT_AFTER {
            self.compact(child).await?;
        }
        Ok(())
    }

    async fn compact(&self, child: &ChildId) -> Result<(), StorageError> {
        let merged_heads: RefCell<Option<Vec<ChangeHash>>> = RefCell::new(None);
        let compacted = self
            .store
            .compact(child, |chunks| {
                let mut caseload = self.caseload.borrow_mut();
                let replica = caseload.replicas.get_mut(child)?;
                // Chunks written by another tab hold changes this one has not seen.
                for chunk in &chunks {
                    replica.doc.load_incremental(chunk).ok()?;
                }
                *merged_heads.borrow_mut() = Some(replica.doc.get_heads());
                Some(replica.doc.save())
            })
            .await?;
        if compacted {
            if let Some(heads) = merged_heads.into_inner() {
                self.saved
                    .borrow_mut()
                    .insert(child.clone(), Saved { heads, chunks: 0 });
            }
        }
        Ok(())
    }

    /// The next sync request for every child on the tablet.
    pub fn request(&self) -> SyncRequest {
        self.caseload.borrow_mut().request()
    }

    /// The concerns raised here that the server does not have yet, for the next sync, and
    /// whether any raised here still awaits a decision (the server then says where each
    /// stands).
    pub async fn concerns_to_send(
        &self,
    ) -> Result<(Vec<shared::api::front_door::ConcernSubmission>, bool), StorageError> {
        use shared::api::front_door::ConcernOutcome;
        let kept = self.store.concerns().await?;
        let awaiting = kept
            .iter()
            .any(|c| matches!(c.outcome, None | Some(ConcernOutcome::Received { .. })));
        let unsent = kept
            .into_iter()
            .filter(|c| c.unsent())
            .take(shared::api::front_door::MAX_CONCERNS_PER_SYNC)
            .map(|c| c.submission)
            .collect();
        Ok((unsent, awaiting))
    }

    /// Keeps what the server says of each concern raised here; whether any changed.
    pub async fn store_concern_feedback(
        &self,
        feedback: &[shared::api::front_door::ConcernFeedback],
    ) -> Result<bool, StorageError> {
        let mut kept = self.store.concerns().await?;
        let mut changed = false;
        for c in &mut kept {
            if let Some(f) = feedback.iter().find(|f| f.id == c.submission.id) {
                if c.outcome.as_ref() != Some(&f.outcome) {
                    c.outcome = Some(f.outcome.clone());
                    changed = true;
                }
            }
        }
        if changed {
            self.store.put_concerns(&kept).await?;
        }
        Ok(changed)
    }

    /// Applies a response in memory. Storage follows in [`Engine::store_outcome`].
    pub fn apply(&self, response: &SyncResponse) -> RoundOutcome {
        self.caseload.borrow_mut().apply(response, &self.actor)
    }

    /// Saves what a round changed: documents first, then the server heads that refer to them,
    /// then the caseload list. Revoked children are removed from the tablet.
    pub async fn store_outcome(
        &self,
        response: &SyncResponse,
        outcome: &RoundOutcome,
        now_ms: f64,
    ) -> Result<(), StorageError> {
        for child in &outcome.revoked {
            self.saved.borrow_mut().remove(child);
            self.store.delete_record(child).await?;
        }
        for child in response.children.iter().map(|c| &c.child_id) {
            if outcome.revoked.contains(child) {
                continue;
            }
            self.persist(child).await?;
            let server_heads = {
                let caseload = self.caseload.borrow();
                match caseload.replicas.get(child) {
                    Some(r) => r.server_heads_hex(),
                    None => continue,
                }
            };
            self.store
                .put_sync_state(
                    child,
                    &SyncState {
                        server_heads,
                        last_sync_ms: Some(now_ms),
                    },
                )
                .await?;
        }
        self.store.put_caseload_entries(&response.caseload).await?;
        Ok(())
    }

    /// After the server refused a child's changes: rebuilds each refused record on what the
    /// server acknowledged and re-issues every entry its policy accepts, under a fresh actor.
    /// The refused record is kept, encrypted, in quarantine on the tablet; the rebuilt one
    /// replaces it. Returns, per child, how many items were sent again and what could not be.
    pub async fn recover_rejected(
        &self,
        sender: &Sender,
    ) -> Result<Vec<(ChildId, Recovery)>, String> {
        let actor = fresh_actor(&self.device_id)?;
        let outcomes =
            self.caseload
                .borrow_mut()
                .recover_rejected(sender, &actor, Policy::default());
        let mut recovered = Vec::new();
        for (child, outcome) in outcomes {
            // An error leaves the record as it was; the rejection stays on show.
            let Ok(recovery) = outcome else { continue };
            let (full, heads) = {
                let caseload = self.caseload.borrow();
                let Some(replica) = caseload.replicas.get(&child) else {
                    continue;
                };
                (replica.doc.save(), replica.doc.get_heads())
            };
            self.store
                .quarantine(&child, &recovery.original)
                .await
                .map_err(|e| e.to_string())?;
            self.store
                .replace_record(&child, &full)
                .await
                .map_err(|e| e.to_string())?;
            self.saved
                .borrow_mut()
                .insert(child.clone(), Saved { heads, chunks: 0 });
            recovered.push((child, recovery));
        }
        Ok(recovered)
    }

    /// Forgets every record held in memory (after the records were wiped from storage).
    pub fn reset(&self) {
        *self.caseload.borrow_mut() = Caseload::default();
        self.saved.borrow_mut().clear();
    }
}

/// The device id's 16 bytes, which begin every actor this tablet writes with.
pub fn actor_prefix(device: &DeviceId) -> Vec<u8> {
    device.bytes().to_vec()
}

/// This device's id followed by 8 fresh random bytes: an actor no change has used yet.
fn fresh_actor(device: &DeviceId) -> Result<ActorId, String> {
    let mut bytes = actor_prefix(device);
    bytes.extend_from_slice(&platform::random_bytes(shared::validate::ACTOR_SUFFIX_LEN)?);
    Ok(ActorId::from(bytes))
}

/// The device id, created on first use from Web Crypto randomness. Kept in clear, and kept
/// when the tablet's records are erased.
pub(crate) async fn device_id(store: &Store, username: &str) -> Result<DeviceId, String> {
    if let Some(id) = store.device_id(username).await.map_err(|e| e.to_string())? {
        if let Ok(id) = id.parse::<DeviceId>() {
            return Ok(id);
        }
    }
    let hex = platform::hex(&platform::random_bytes(16)?);
    let id: DeviceId = hex
        .parse()
        .map_err(|e: shared::ids::InvalidId| e.to_string())?;
    store
        .put_device_id(username, id.as_str())
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// Rebuilds a replica from its stored bytes. If the concatenation does not load, each part is
/// loaded on its own and damaged parts are skipped; returns how many were skipped.
fn restore(
    child: &ChildId,
    actor: &ActorId,
    stored: StoredRecord,
) -> Result<(Replica, usize), String> {
    let StoredRecord {
        snapshot,
        chunks,
        sync,
    } = stored;
    let mut bytes = snapshot.clone().unwrap_or_default();
    for chunk in &chunks {
        bytes.extend_from_slice(chunk);
    }
    if let Ok(replica) = Replica::load(
        child.clone(),
        actor.clone(),
        &bytes,
        sync.server_heads.clone(),
    ) {
        return Ok((replica, 0));
    }
    let (mut doc, mut dropped) = match snapshot.as_deref().map(Automerge::load) {
        Some(Ok(doc)) => (doc, 0),
        Some(Err(_)) => (record::genesis(child), 1),
        None => (record::genesis(child), 0),
    };
    for chunk in &chunks {
        if doc.load_incremental(chunk).is_err() {
            dropped += 1;
        }
    }
    Replica::load(child.clone(), actor.clone(), &doc.save(), sync.server_heads)
        .map(|r| (r, dropped))
        .map_err(|_| "one record stored on this tablet could not be read".to_owned())
}
