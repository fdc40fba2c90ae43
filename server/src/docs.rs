//! Loading, merging and storing children's documents: the server half of sync.
//!
//! Architecture invariant: a merge is computed from one version of the child's document and
//! stored only if that version is still the current one ([`Store::commit_merge`]); the
//! response that acknowledges changes is built only after the commit. A merge that finds the
//! version moved (another process stored something first) reloads and runs again.
//!
//! `DocLocks` queues one process's merges of a child in memory, so they never race each other;
//! the version check is what keeps processes sharing a database apart. Documents are kept in a
//! per-process [`DocCache`] keyed by version, so a merge usually starts from memory instead of
//! rebuilding the document from every stored change, and a sync that brings nothing new for a
//! child is answered from the stored heads alone.
//!
//! A record that cannot be rebuilt is quarantined (see `quarantine`): it is answered as
//! unavailable for that child alone, and not rebuilt again until it is repaired.
//!
//! tidy: long file — no good reason: it holds four commit paths and their helpers. Issue 11 (one
//! merge pipeline) splits it into `server/src/merge/`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use shared::record;
use shared::sync::server::{self as merge, Limits};
use shared::sync::{heads_to_hex, Bytes, ChildResult, ChildSyncRequest};
use shared::validate::{self, Policy, Sender};
use shared::ChildId;

use crate::cpu::CpuPool;
use crate::error::ApiError;
use crate::quarantine::{self, Broken};
use crate::state::{now_ms, AppState};
use crate::store::{MergeWrite, NewChange, Projection, Store, StoreError, StoredDoc};

/// How many times a merge is recomputed when other processes keep storing into the same
/// child first, before the tablet is told to try again later.
const MAX_ATTEMPTS: usize = 8;

/// Documents this process has loaded, each with the version it is at and how many changes
/// are stored after its snapshot, and the wire bytes of the child's recent changes (answers
/// send these instead of rebuilding changes from the document). Bounded: the least recently
/// used child is dropped first.
pub struct DocCache {
    capacity: usize,
    clock: AtomicU64,
    docs: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    docs: HashMap<ChildId, Cached>,
    kept: HashMap<ChildId, Kept>,
    /// Each child's genesis change, made once: making it is a transaction, dearer than
    /// applying it, and every rebuild of a record without a snapshot needs it.
    genesis: HashMap<ChildId, Change>,
}

impl Entries {
    /// Kept bytes follow the documents out: once twice as many children have bytes as the
    /// cache holds documents, children whose document is not cached (evicted, a merge lost to
    /// another process, a commit that failed) lose theirs, so the memory stays bounded with the
    /// cache's. The slack spares children whose document is out for a merge just now.
    fn trim_kept(&mut self, capacity: usize) {
        if self.kept.len() > capacity * 2 {
            let docs = &self.docs;
            self.kept.retain(|child, _| docs.contains_key(child));
        }
    }
}

/// Genesis changes remembered at most (a few hundred bytes each); beyond it they are made anew.
const GENESIS_KEPT: usize = 100_000;

/// Changes kept per child, newest last; beyond these bounds the oldest go first. A tablet is
/// usually missing only recent changes; anything older is rebuilt from the document.
const KEPT_CHANGES: usize = 1_000;
const KEPT_BYTES: usize = 2 * 1024 * 1024;

/// Wire bytes of one child's changes, by hash. Changes are content-addressed, so kept bytes
/// stay right whatever version the document moves to.
#[derive(Default)]
struct Kept {
    order: VecDeque<ChangeHash>,
    bytes: HashMap<ChangeHash, Bytes>,
    total: usize,
}

impl Kept {
    fn keep(&mut self, hash: ChangeHash, bytes: Bytes) {
        if self.bytes.contains_key(&hash) {
            return;
        }
        self.total += bytes.0.len();
        self.order.push_back(hash);
        self.bytes.insert(hash, bytes);
        while self.order.len() > KEPT_CHANGES || self.total > KEPT_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.bytes.remove(&oldest) {
                self.total -= b.0.len();
            }
        }
    }
}

struct Cached {
    version: i64,
    stored_changes: usize,
    doc: Arc<Automerge>,
    used: u64,
}

impl DocCache {
    pub fn new(capacity: usize) -> Self {
        DocCache {
            capacity,
            clock: AtomicU64::new(0),
            docs: Mutex::new(Entries::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A poisoned map only means a thread panicked while holding it; entries are whole.
        self.docs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached document if it is at `version`.
    fn get(&self, child: &ChildId, version: i64) -> Option<(Arc<Automerge>, usize)> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.lock();
        let cached = entries
            .docs
            .get_mut(child)
            .filter(|c| c.version == version)?;
        cached.used = tick;
        Some((cached.doc.clone(), cached.stored_changes))
    }

    fn put(&self, child: &ChildId, version: i64, stored_changes: usize, doc: Arc<Automerge>) {
        if self.capacity == 0 {
            return;
        }
        let used = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.lock();
        if let Some(existing) = entries.docs.get(child) {
            if existing.version > version {
                return;
            }
        }
        entries.docs.insert(
            child.clone(),
            Cached {
                version,
                stored_changes,
                doc,
                used,
            },
        );
        while entries.docs.len() > self.capacity {
            let Some(oldest) = entries
                .docs
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            entries.docs.remove(&oldest);
            entries.kept.remove(&oldest);
        }
        entries.trim_kept(self.capacity);
    }

    /// `child`'s genesis change, made on first use.
    fn genesis(&self, child: &ChildId) -> Change {
        if let Some(change) = self.lock().genesis.get(child) {
            return change.clone();
        }
        let change = genesis_change(child);
        let mut entries = self.lock();
        if entries.genesis.len() >= GENESIS_KEPT {
            entries.genesis.clear();
        }
        entries.genesis.insert(child.clone(), change.clone());
        change
    }

    /// Keeps the wire bytes of changes of `child` the process has stored or loaded.
    fn keep(&self, child: &ChildId, changes: impl IntoIterator<Item = (ChangeHash, Bytes)>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        let kept = entries.kept.entry(child.clone()).or_default();
        for (hash, bytes) in changes {
            kept.keep(hash, bytes);
        }
        entries.trim_kept(self.capacity);
    }

    /// The kept bytes of every change in `hashes`, in that order; `None` unless all are kept.
    fn kept(&self, child: &ChildId, hashes: &[ChangeHash]) -> Option<Vec<Bytes>> {
        let entries = self.lock();
        let kept = entries.kept.get(child)?;
        hashes.iter().map(|h| kept.bytes.get(h).cloned()).collect()
    }

    /// Takes the document out (a merge is about to change it); `None` unless at `version`.
    fn take(&self, child: &ChildId, version: i64) -> Option<(Automerge, usize)> {
        let mut entries = self.lock();
        if entries.docs.get(child).map(|c| c.version) != Some(version) {
            return None;
        }
        let cached = entries.docs.remove(child)?;
        drop(entries);
        let doc = Arc::try_unwrap(cached.doc).unwrap_or_else(|shared| (*shared).clone());
        Some((doc, cached.stored_changes))
    }

    /// Drops the document (it is no longer current); its kept change bytes stay right.
    pub(crate) fn forget(&self, child: &ChildId) {
        self.lock().docs.remove(child);
    }
}

/// The wire bytes of `child`'s changes in `hashes` if this process kept them all, counted in
/// the metrics either way: what answers are built from ([`merge::StoredBytes`]).
fn kept_bytes(state: &AppState, child: &ChildId, hashes: &[ChangeHash]) -> Option<Vec<Bytes>> {
    let kept = state.doc_cache.kept(child, hashes);
    state.metrics.answer_changes(kept.is_some());
    kept
}

/// Rebuilds a child's document from its snapshot and changes; a child with nothing stored yet
/// starts from the shared genesis. Returns the document and how many changes are stored after
/// its snapshot.
pub async fn load(store: &dyn Store, child: &ChildId) -> Result<(Automerge, usize), StoreError> {
    let stored = store.load_doc(child).await?;
    rebuild(&stored, || genesis_change(child))
        .map(|(doc, count, _)| (doc, count))
        .map_err(|broken| StoreError::Corrupt(broken.reason().into()))
}

/// The record's first change, which every replica makes identically (`record::genesis`).
pub(crate) fn genesis_change(child: &ChildId) -> Change {
    // A fresh genesis document holds exactly that one change.
    record::genesis(child)
        .get_changes(&[])
        .pop()
        .expect("a genesis document has its first change")
}

/// The document from its stored form, how many changes are stored after its snapshot, and
/// those changes' wire bytes by hash. A record with no snapshot starts from `genesis`. What is
/// wrong with a record that cannot be rebuilt is one of a few fixed reasons (never its content).
pub(crate) fn rebuild(
    stored: &StoredDoc,
    genesis: impl FnOnce() -> Change,
) -> Result<Rebuilt, Broken> {
    let (mut doc, first) = match &stored.snapshot {
        Some(bytes) => (Automerge::load(bytes).map_err(|_| Broken::Snapshot)?, None),
        // Applied with the stored changes in one batch: cheaper than making it again.
        None => (Automerge::new(), Some(genesis())),
    };
    let changes: Vec<Change> = stored
        .changes
        .iter()
        .map(|b| Change::from_bytes(b.clone()).map_err(|_| Broken::Undecodable))
        .collect::<Result<_, _>>()?;
    let count = changes.len();
    let kept = changes
        .iter()
        .zip(&stored.changes)
        .map(|(c, b)| (c.hash(), Bytes(b.clone())))
        .collect();
    doc.apply_changes(first.into_iter().chain(changes))
        .map_err(|_| Broken::Unapplicable)?;
    // Automerge holds back a change whose dependencies it lacks, without an error; the merge
    // never stores one, so a stored record with one is damaged.
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(Broken::MissingDeps);
    }
    Ok((doc, count, kept))
}

pub(crate) type Rebuilt = (Automerge, usize, KeptBytes);

/// The version of `child`'s stored document (0 if nothing was merged yet).
pub async fn stored_version(state: &AppState, child: &ChildId) -> Result<i64, StoreError> {
    Ok(state.store.doc_state(child).await?.map_or(0, |s| s.version))
}

/// [`stored_version`] for a merge or an answer: a quarantined record is refused
/// ([`StoreError::Quarantined`]).
async fn usable_version(state: &AppState, child: &ChildId) -> Result<i64, StoreError> {
    match state.store.doc_state(child).await? {
        Some(stored) if stored.quarantined => Err(StoreError::Quarantined),
        stored => Ok(stored.map_or(0, |s| s.version)),
    }
}

/// The child's document as stored now, with its version and stored-change count: from the
/// cache when it is current, else loaded (and cached). `known_version` is the stored version
/// when the caller has just read it.
async fn current(
    state: &AppState,
    child: &ChildId,
    known_version: Option<i64>,
) -> Result<(Arc<Automerge>, i64, usize), StoreError> {
    let version = match known_version {
        Some(v) => v,
        None => usable_version(state, child).await?,
    };
    if let Some((doc, stored)) = state.doc_cache.get(child, version) {
        state.metrics.doc_cache(true);
        return Ok((doc, version, stored));
    }
    let (doc, version, count) = load_current(state, child, version).await?;
    let doc = Arc::new(doc);
    state.doc_cache.put(child, version, count, doc.clone());
    Ok((doc, version, count))
}

/// A cache miss: the stored document rebuilt (on the CPU pool: a long record takes a while),
/// with its version and stored-change count; the stored changes' bytes are kept.
///
/// A record that cannot be rebuilt (or whose rebuild panics) is reported and quarantined, and
/// a quarantined one is not rebuilt again: both are [`StoreError::Quarantined`], which answers
/// that child alone as unavailable. `known_version` is the version the caller read with the
/// child's mark (`DocState::quarantined`); version 0 has no such row (nothing merged yet, or
/// stored before versions), so the mark is read here.
async fn load_current(
    state: &AppState,
    child: &ChildId,
    known_version: i64,
) -> Result<(Automerge, i64, usize), StoreError> {
    if known_version == 0 && state.store.is_quarantined(child).await? {
        return Err(StoreError::Quarantined);
    }
    state.metrics.doc_cache(false);
    let stored = state.store.load_doc(child).await?;
    let version = stored.version;
    let (cache, id) = (state.doc_cache.clone(), child.clone());
    let rebuilt = state
        .cpu
        .run(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rebuild(&stored, || cache.genesis(&id))
            }))
            .unwrap_or(Err(Broken::Panicked))
        })
        .await
        .unwrap_or(Err(Broken::Panicked));
    match rebuilt {
        Ok((doc, count, kept)) => {
            state.doc_cache.keep(child, kept);
            Ok((doc, version, count))
        }
        Err(broken) => {
            quarantine::report(state, child, version, broken).await;
            Err(StoreError::Quarantined)
        }
    }
}

/// The current document, owned, for a merge to change: taken out of the cache when it is
/// there (no copy), else loaded. `known_version` is the stored version when the caller has
/// just read it.
async fn current_owned(
    state: &AppState,
    child: &ChildId,
    known_version: Option<i64>,
) -> Result<(Automerge, i64, usize), StoreError> {
    let version = match known_version {
        Some(v) => v,
        None => usable_version(state, child).await?,
    };
    if let Some((doc, stored)) = state.doc_cache.take(child, version) {
        state.metrics.doc_cache(true);
        return Ok((doc, version, stored));
    }
    load_current(state, child, version).await
}

/// The read model's rows after a merge: only the observations it touched (`changed`), unless
/// this is the child's first versioned write (`base_version` 0), which projects everything.
/// `read` holds observations already read from `doc` (by the validator), not read again.
pub(crate) fn projection(
    doc: &Automerge,
    changed: &BTreeSet<String>,
    read: &BTreeMap<String, record::Observation>,
    base_version: i64,
) -> Projection {
    let record = record::read_record_except_observations(doc).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored record could not be read for the read model");
        record::Record::default()
    });
    if base_version > 0 {
        let observations: Option<Vec<record::Observation>> = changed
            .iter()
            .map(|id| match read.get(id) {
                Some(o) => Some(o.clone()),
                None => record::observation(doc, id).ok().flatten(),
            })
            .collect();
        // An observation that cannot be read (the validator lets none through) is counted by
        // a full projection rather than silently left out.
        if let Some(observations) = observations {
            return Projection {
                record,
                observations,
                replace_all: None,
            };
        }
    }
    let view = record::read_reusing(doc, read).unwrap_or_default();
    Projection {
        record,
        observations: view.observations,
        replace_all: Some(view.unreadable),
    }
}

/// Builds the write for changes that are new to the server, with their read-model rows and,
/// past the policy's threshold, a compacted snapshot.
fn write_for(
    doc: &Automerge,
    changed: &BTreeSet<String>,
    read: &BTreeMap<String, record::Observation>,
    base_version: i64,
    new: Vec<Change>,
    stored_changes: usize,
    compact_after: usize,
) -> (MergeWrite, KeptBytes) {
    let mut changes = Vec::with_capacity(new.len());
    let mut kept = Vec::with_capacity(new.len());
    for mut c in new {
        let bytes = c.bytes().into_owned();
        kept.push((c.hash(), Bytes(bytes.clone())));
        changes.push(NewChange {
            hash: c.hash().to_string(),
            bytes,
        });
    }
    let compact_to = (stored_changes + changes.len() > compact_after).then(|| doc.save());
    let write = MergeWrite {
        heads: heads_to_hex(&doc.get_heads()),
        projection: projection(doc, changed, read, base_version),
        changes,
        compact_to,
    };
    (write, kept)
}

/// Wire bytes of changes by hash, for [`DocCache::keep`].
type KeptBytes = Vec<(ChangeHash, Bytes)>;

/// Stores `write` on `base_version` and, if that was still current, caches the merged
/// document at the next version with its new changes' bytes (`kept`). `Ok(false)`: another
/// merge got there first.
async fn store_merge(
    state: &AppState,
    child: &ChildId,
    base_version: i64,
    (write, kept): (MergeWrite, KeptBytes),
    stored_changes: usize,
    doc: Automerge,
) -> Result<bool, StoreError> {
    let mut write = write;
    let unsaveable = check_compactions(&state.cpu, vec![&mut write]).await == [true];
    let stored_after = stored_after(stored_changes, &write);
    let stored = state
        .store
        .commit_merge(child, base_version, &write, now_ms())
        .await?;
    after_commit(
        state,
        child,
        base_version,
        stored,
        (stored_after, doc, kept),
    );
    if stored && unsaveable {
        quarantine::report(state, child, base_version + 1, Broken::Unsaveable).await;
    }
    Ok(stored)
}

/// Whether each write's compacted snapshot loads back into the same document. One that does
/// not is taken out of its write, so the changes stay stored and nothing is lost (the record
/// is quarantined once the write is committed); the rest are put back. Compactions are rare
/// (one per `compact_after_changes` changes of a child), so the check costs little.
async fn check_compactions(cpu: &CpuPool, mut writes: Vec<&mut MergeWrite>) -> Vec<bool> {
    let snapshots: Vec<(usize, Vec<u8>, Vec<String>)> = writes
        .iter_mut()
        .enumerate()
        .filter_map(|(n, w)| w.compact_to.take().map(|s| (n, s, w.heads.clone())))
        .collect();
    let mut unsaveable = vec![false; writes.len()];
    if snapshots.is_empty() {
        return unsaveable;
    }
    let checked = cpu
        .run(move || {
            snapshots
                .into_iter()
                .map(|(n, snapshot, heads)| {
                    let loads = quarantine::loads_back(&snapshot, &heads);
                    (n, loads.then_some(snapshot))
                })
                .collect::<Vec<_>>()
        })
        .await
        // The check itself failing: no compaction this time, and no verdict on the record.
        .unwrap_or_default();
    for (n, snapshot) in checked {
        unsaveable[n] = snapshot.is_none();
        writes[n].compact_to = snapshot;
    }
    unsaveable
}

/// The answer for a child whose document could not be had: a quarantined record waits for its
/// repair; anything else (the database busy or down) is tried again at the next sync.
fn unavailable(e: StoreError) -> Result<ChildResult, ApiError> {
    match e {
        StoreError::Quarantined => Ok(quarantine::unavailable()),
        e => Err(ApiError::Unavailable(e.into())),
    }
}

/// How many changes are stored after the snapshot once `write` is committed.
fn stored_after(stored_changes: usize, write: &MergeWrite) -> usize {
    if write.compact_to.is_some() {
        0
    } else {
        stored_changes + write.changes.len()
    }
}

/// After a commit from `base_version`: if it was stored, the merged document is cached at the
/// next version with its stored-change count and its new changes' bytes, and open records are
/// told; if another merge got there first, the cached copy is no longer current.
fn after_commit(
    state: &AppState,
    child: &ChildId,
    base_version: i64,
    stored: bool,
    (stored_after, doc, kept): (usize, Automerge, KeptBytes),
) {
    if stored {
        state
            .doc_cache
            .put(child, base_version + 1, stored_after, Arc::new(doc));
        state.doc_cache.keep(child, kept);
        state.live.changed(child);
    } else {
        state.doc_cache.forget(child);
        state.metrics.merge_conflict();
    }
}

/// A merge computed in memory, not yet stored.
struct Prepared {
    base_version: i64,
    stored_changes: usize,
    write: MergeWrite,
    kept: KeptBytes,
    doc: Automerge,
    result: ChildResult,
}

/// Merges `req` into the child's current document in memory. `Err` is the answer when there
/// is nothing to store (nothing new, refused, or the document could not be read); `Ok` is a
/// write to commit, with the answer to send once it is stored.
async fn prepare(
    state: &AppState,
    sender: &Sender,
    req: &ChildSyncRequest,
    known_version: Option<i64>,
) -> Result<Prepared, Result<ChildResult, ApiError>> {
    prepare_all(state, sender, vec![(req, known_version)])
        .await
        .pop()
        .unwrap_or_else(|| Err(Err(ApiError::Internal(anyhow::anyhow!("nothing merged")))))
}

/// [`prepare`] for several children of one sync, answered in order: their documents are
/// loaded first, then merged in one turn on the CPU pool, so one sync's merges run together
/// and syncs are served in the order they arrived (each tablet gets its answer as early as
/// it can, rather than every sync finishing at the end of the burst).
async fn prepare_all(
    state: &AppState,
    sender: &Sender,
    items: Vec<(&ChildSyncRequest, Option<i64>)>,
) -> Vec<Result<Prepared, Result<ChildResult, ApiError>>> {
    let mut out: Vec<Option<Result<Prepared, Result<ChildResult, ApiError>>>> =
        items.iter().map(|_| None).collect();
    let mut jobs = Vec::new();
    for (n, (req, known_version)) in items.into_iter().enumerate() {
        // If the database cannot be read (busy, down), only this child waits for the next sync.
        match current_owned(state, &req.child_id, known_version).await {
            Ok((doc, base_version, stored_changes)) => {
                jobs.push((n, req.clone(), doc, base_version, stored_changes));
            }
            Err(e) => out[n] = Some(Err(unavailable(e))),
        }
    }
    let numbers: Vec<usize> = jobs.iter().map(|(n, ..)| *n).collect();
    let (on_cpu, sender) = (state.clone(), sender.clone());
    let merged = state
        .cpu
        .run(move || {
            jobs.into_iter()
                .map(|(_, req, doc, base_version, stored_changes)| {
                    merge_in_memory(&on_cpu, &sender, &req, doc, base_version, stored_changes)
                })
                .collect::<Vec<_>>()
        })
        .await;
    match merged {
        Some(merged) => {
            for (n, result) in numbers.into_iter().zip(merged) {
                out[n] = Some(result);
            }
        }
        None => {
            for n in numbers {
                out[n] = Some(Err(Ok(ChildResult::Rejected {
                    reason: "the server could not process these changes".into(),
                })));
            }
        }
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Err(ApiError::Internal(anyhow::anyhow!("not merged"))))))
        .collect()
}

/// The CPU-bound part of [`prepare`]: merges and checks `req` against `doc` (the stored
/// document at `base_version`) and builds the write.
fn merge_in_memory(
    state: &AppState,
    sender: &Sender,
    req: &ChildSyncRequest,
    mut doc: Automerge,
    base_version: i64,
    stored_changes: usize,
) -> Result<Prepared, Result<ChildResult, ApiError>> {
    // The observations the validator read back are the observation rows the merge touched.
    let checked_out = std::cell::RefCell::new(None);
    let check = |before: &Automerge, after: &Automerge, new: &[Change]| -> Result<(), String> {
        // `apply_ready` refused any change that does not continue its actor's stored sequence,
        // so the stored last number is the one before each actor's first new change: no need
        // to walk the record's history again.
        let last_seq = first_sequence_numbers(new);
        let checked = validate::check_applied(
            before,
            after,
            new,
            sender,
            &|actor| {
                last_seq
                    .get(actor)
                    .map_or(0, |first| first.saturating_sub(1))
            },
            Policy {
                latest_ms: Some(now_ms() + validate::CLOCK_TOLERANCE_MS),
                ..Policy::default()
            },
        )
        .map_err(|rejection| rejection.to_string())?;
        *checked_out.borrow_mut() = Some(checked);
        Ok(())
    };
    // Panic boundary: whatever bytes arrive, a bug in decoding or validation refuses this
    // child's changes instead of taking the worker down. The document is not cached again
    // after a panic, so a half-applied state never reaches storage or a later merge.
    let merged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let kept = |hashes: &[ChangeHash]| kept_bytes(state, &req.child_id, hashes);
        let outcome = merge::merge_child(&mut doc, req, Limits::default(), &check, &kept);
        (outcome, doc)
    }));
    let Ok((outcome, doc)) = merged else {
        tracing::error!(child = %req.child_id, "merge panicked; changes refused");
        return Err(Ok(ChildResult::Rejected {
            reason: "the server could not process these changes".into(),
        }));
    };
    if let ChildResult::Rejected { reason } = &outcome.result {
        tracing::warn!(child = %req.child_id, user = %sender.user_id, reason = %reason, "changes rejected");
    }
    if outcome.persist.is_empty() {
        // Nothing new (or refused): the document is as stored.
        state
            .doc_cache
            .put(&req.child_id, base_version, stored_changes, Arc::new(doc));
        return Err(Ok(outcome.result));
    }
    let read = checked_out
        .into_inner()
        .map(|c: validate::Checked| c.observations)
        .unwrap_or_default();
    let changed: BTreeSet<String> = read.keys().cloned().collect();
    let (write, kept) = write_for(
        &doc,
        &changed,
        &read,
        base_version,
        outcome.persist,
        stored_changes,
        state.config.compact_after_changes,
    );
    Ok(Prepared {
        base_version,
        stored_changes,
        write,
        kept,
        doc,
        result: outcome.result,
    })
}

/// Merges one child's part of a sync request and commits it; the result acknowledges only
/// what is durably stored. Recomputes the merge when another process stored one first.
pub async fn merge_child(
    state: &AppState,
    sender: &Sender,
    req: &ChildSyncRequest,
) -> Result<ChildResult, ApiError> {
    if req.changes.is_empty() && req.sync_message.is_none() {
        let stored = state
            .store
            .doc_state(&req.child_id)
            .await
            .map_err(|e| ApiError::Unavailable(e.into()))?;
        return deliver(state, req, stored).await;
    }
    let lock = state.doc_locks.for_child(&req.child_id);
    let _guard = lock.lock().await;
    for _ in 0..MAX_ATTEMPTS {
        let prepared = match prepare(state, sender, req, None).await {
            Ok(prepared) => prepared,
            Err(answer) => return answer,
        };
        if store_merge(
            state,
            &req.child_id,
            prepared.base_version,
            (prepared.write, prepared.kept),
            prepared.stored_changes,
            prepared.doc,
        )
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?
        {
            return Ok(prepared.result);
        }
    }
    Err(ApiError::Unavailable(anyhow::anyhow!(
        "the record kept changing in other server processes while merging"
    )))
}

/// Every child of one sync request, answered in the request's order. Children the tablet sent
/// nothing for are answered from one read of their stored heads; the others are merged in
/// memory and stored in one transaction (one durable write for the whole caseload, not one per
/// child). A child another process stored into meanwhile is merged again on its own.
pub async fn merge_children(
    state: &AppState,
    sender: &Sender,
    reqs: &[&ChildSyncRequest],
) -> Vec<Result<ChildResult, ApiError>> {
    let failed = |e: &StoreError| ApiError::Unavailable(anyhow::anyhow!("{e}"));
    let mut results: Vec<Option<Result<ChildResult, ApiError>>> =
        reqs.iter().map(|_| None).collect();
    let (quiet, mut busy): (Vec<usize>, Vec<usize>) = (0..reqs.len())
        .partition(|i| reqs[*i].changes.is_empty() && reqs[*i].sync_message.is_none());
    // Locks in child id order, as every batch takes them: no two requests wait in a cycle.
    busy.sort_by(|a, b| reqs[*a].child_id.as_str().cmp(reqs[*b].child_id.as_str()));
    busy.dedup_by(|a, b| reqs[*a].child_id == reqs[*b].child_id);
    let mut guards = Vec::with_capacity(busy.len());
    for i in &busy {
        guards.push(
            state
                .doc_locks
                .for_child(&reqs[*i].child_id)
                .lock_owned()
                .await,
        );
    }
    // One read of every named child's version and heads, under the locks: another request of
    // this process may have merged a busy child meanwhile.
    let ids: Vec<ChildId> = reqs.iter().map(|r| r.child_id.clone()).collect();
    let mut states = match state.store.doc_states(&ids).await {
        Ok(states) => states,
        Err(e) => return reqs.iter().map(|_| Err(failed(&e))).collect(),
    };
    for i in quiet {
        let stored = states.remove(&reqs[i].child_id);
        results[i] = Some(deliver(state, reqs[i], stored).await);
    }
    // A quarantined record takes no changes until it is repaired; the tablet keeps them.
    busy.retain(|i| {
        let quarantined = states
            .get(&reqs[*i].child_id)
            .is_some_and(|s| s.quarantined);
        if quarantined {
            results[*i] = Some(Ok(quarantine::unavailable()));
        }
        !quarantined
    });
    let items = busy
        .iter()
        .map(|i| {
            let known = states.get(&reqs[*i].child_id).map_or(0, |s| s.version);
            (reqs[*i], Some(known))
        })
        .collect();
    let mut ready = Vec::new();
    for (i, p) in busy
        .into_iter()
        .zip(prepare_all(state, sender, items).await)
    {
        match p {
            Ok(p) => ready.push((i, p)),
            Err(answer) => results[i] = Some(answer),
        }
    }
    let unsaveable = check_compactions(
        &state.cpu,
        ready.iter_mut().map(|(_, p)| &mut p.write).collect(),
    )
    .await;
    let mut batch = Vec::new();
    let mut waiting = Vec::new();
    for ((i, p), unsaveable) in ready.into_iter().zip(unsaveable) {
        let after = (stored_after(p.stored_changes, &p.write), p.doc, p.kept);
        batch.push((reqs[i].child_id.clone(), p.base_version, p.write));
        waiting.push((i, after, p.result, unsaveable));
    }
    let mut again = Vec::new();
    if !batch.is_empty() {
        // Written together with the merges of other syncs waiting at the same moment.
        let child_ids: Vec<(ChildId, i64)> =
            batch.iter().map(|(c, v, _)| (c.clone(), *v)).collect();
        let committed = state
            .merge_commits
            .submit(batch)
            .await
            .unwrap_or_else(|| Err("the storage writer stopped".into()));
        match committed {
            Ok(done) => {
                for (((child, base_version), (i, after, result, unsaveable)), ok) in
                    child_ids.iter().zip(waiting).zip(done)
                {
                    after_commit(state, child, *base_version, ok, after);
                    if ok {
                        if unsaveable {
                            let version = base_version + 1;
                            quarantine::report(state, child, version, Broken::Unsaveable).await;
                        }
                        results[i] = Some(Ok(result));
                    } else {
                        again.push(i);
                    }
                }
            }
            Err(e) => {
                // Nothing was stored; the merged documents are dropped, not cached.
                for (i, ..) in waiting {
                    results[i] = Some(Err(ApiError::Unavailable(anyhow::anyhow!("{e}"))));
                }
            }
        }
    }
    drop(guards);
    for i in again {
        results[i] = Some(merge_child(state, sender, reqs[i]).await);
    }
    finish(results)
}

fn finish(
    results: Vec<Option<Result<ChildResult, ApiError>>>,
) -> Vec<Result<ChildResult, ApiError>> {
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(ApiError::BadRequest(
                    "a child is named twice in one sync".into(),
                ))
            })
        })
        .collect()
}

/// A child the tablet sent nothing for: when it already holds the stored heads, the answer
/// needs no document at all; otherwise it is read from the current document, without the
/// merge lock (on SQLite that is the database's only write lock).
/// `stored` is the child's stored version and heads, as the caller read them.
async fn deliver(
    state: &AppState,
    req: &ChildSyncRequest,
    stored: Option<crate::store::DocState>,
) -> Result<ChildResult, ApiError> {
    if stored.as_ref().is_some_and(|s| s.quarantined) {
        return Ok(quarantine::unavailable());
    }
    // No stored state means nothing merged yet: version 0.
    let version = stored.as_ref().map_or(0, |s| s.version);
    if let (Some(stored), Some(held)) = (stored, req.server_heads.as_ref()) {
        let held: BTreeSet<&String> = held.iter().collect();
        if held == stored.heads.iter().collect::<BTreeSet<_>>() {
            return Ok(ChildResult::Merged {
                heads: stored.heads,
                changes: Vec::new(),
                accepted: 0,
            });
        }
    }
    let doc = match current(state, &req.child_id, Some(version)).await {
        Ok((doc, ..)) => doc,
        Err(e) => return unavailable(e),
    };
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let kept = |hashes: &[ChangeHash]| kept_bytes(state, &req.child_id, hashes);
        merge::deliver(&doc, req.server_heads.as_deref(), &kept)
    }));
    Ok(answer.unwrap_or_else(|_| ChildResult::Rejected {
        reason: "the server could not process this request".into(),
    }))
}

/// The lowest sequence number among `new` of each actor that wrote one of them.
fn first_sequence_numbers(new: &[Change]) -> HashMap<ActorId, u64> {
    let mut out: HashMap<ActorId, u64> = HashMap::new();
    for c in new {
        let seq = out.entry(c.actor_id().clone()).or_insert(c.seq());
        *seq = (*seq).min(c.seq());
    }
    out
}

/// Everything a tablet that has never held this child needs. A record that cannot be had just
/// now (quarantined, or the database busy) is answered as unavailable for this child alone.
pub async fn initial(state: &AppState, child: &ChildId) -> ChildResult {
    let doc = match current(state, child, None).await {
        Ok((doc, ..)) => doc,
        Err(StoreError::Quarantined) => return quarantine::unavailable(),
        Err(e) => {
            tracing::error!(child = %child, error = %e, "reading a record to send failed");
            return ChildResult::Unavailable {
                reason: "the server could not read this record just now; it will be sent at \
                         the next sync"
                    .into(),
            };
        }
    };
    let genesis = [state.doc_cache.genesis(child).hash()];
    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let kept = |hashes: &[ChangeHash]| kept_bytes(state, child, hashes);
        merge::initial(&doc, &genesis, &kept)
    }));
    answer.unwrap_or_else(|_| {
        tracing::error!(child = %child, "building a record to send panicked");
        ChildResult::Unavailable {
            reason: "the server could not send this record just now".into(),
        }
    })
}

/// Appends locally made changes (demo data, imports) through the same write path as sync.
pub async fn append(
    state: &AppState,
    child: &ChildId,
    mut edit: impl FnMut(&mut Automerge),
) -> Result<(), ApiError> {
    let lock = state.doc_locks.for_child(child);
    let _guard = lock.lock().await;
    for _ in 0..MAX_ATTEMPTS {
        let (mut doc, base_version, stored_changes) = current_owned(state, child, None).await?;
        let before = doc.get_heads();
        edit(&mut doc);
        let new = doc.get_changes(&before);
        if new.is_empty() {
            return Ok(());
        }
        let changed = record::observations_changed(&doc, &before, &doc.get_heads());
        let write = write_for(
            &doc,
            &changed,
            &BTreeMap::new(),
            base_version,
            new,
            stored_changes,
            state.config.compact_after_changes,
        );
        if store_merge(state, child, base_version, write, stored_changes, doc).await? {
            return Ok(());
        }
    }
    Err(ApiError::Unavailable(anyhow::anyhow!(
        "the record kept changing in other server processes"
    )))
}

/// Gives every child stored before document versions existed a version and a fresh read
/// model (the migration that added versions emptied the old one). Run at start-up; a no-op
/// once every child has a version. Returns how many children were projected. A record that
/// cannot be loaded is quarantined and passed over, so it does not stop the server starting.
pub async fn project_unversioned(state: &AppState) -> Result<usize, StoreError> {
    let children = state.store.unversioned_children().await?;
    let mut projected = 0;
    for child in &children {
        let lock = state.doc_locks.for_child(child);
        let _guard = lock.lock().await;
        let (doc, base_version, stored_changes) = match current_owned(state, child, None).await {
            Ok(current) => current,
            Err(StoreError::Quarantined) => continue,
            Err(e) => return Err(e),
        };
        if base_version != 0 {
            continue; // another process did it meanwhile
        }
        let write = write_for(
            &doc,
            &BTreeSet::new(),
            &BTreeMap::new(),
            0,
            Vec::new(),
            stored_changes,
            state.config.compact_after_changes,
        );
        // Losing the race means another process projected it first: nothing left to do.
        store_merge(state, child, 0, write, stored_changes, doc).await?;
        projected += 1;
    }
    Ok(projected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(n: usize) -> ChildId {
        format!("child-{n}").parse().expect("id")
    }

    fn bytes(n: u8, len: usize) -> (ChangeHash, Bytes) {
        (ChangeHash([n; 32]), Bytes(vec![n; len]))
    }

    #[test]
    fn kept_bytes_are_bounded_per_child_and_follow_the_documents_out() {
        let cache = DocCache::new(2);
        // Per child: the oldest go first beyond the byte bound.
        cache.keep(&child(0), (0..3).map(|n| bytes(n, KEPT_BYTES / 2)));
        assert_eq!(cache.kept(&child(0), &[ChangeHash([0; 32])]), None);
        assert!(cache
            .kept(&child(0), &[ChangeHash([1; 32]), ChangeHash([2; 32])])
            .is_some());

        // Children whose documents are not cached lose their bytes once there are too many.
        let doc = Arc::new(Automerge::new());
        cache.put(&child(3), 1, 0, doc.clone());
        cache.put(&child(4), 1, 0, doc);
        for n in 1..=4 {
            cache.keep(&child(n), [bytes(n as u8, 10)]);
        }
        cache.keep(&child(5), [bytes(5, 10)]);
        let has = |n: usize| {
            cache
                .kept(&child(n), &[ChangeHash([n as u8; 32])])
                .is_some()
        };
        assert!(
            !has(1) && !has(2),
            "children without a cached document were dropped"
        );
        assert!(
            has(3) && has(4),
            "children with a cached document keep theirs"
        );
        assert!(
            has(5),
            "a child out for a merge is spared while there is slack"
        );
        assert!(cache.lock().kept.len() <= 2 * 2);
    }

    #[tokio::test]
    async fn a_compaction_whose_snapshot_does_not_load_back_keeps_the_changes() {
        let mut doc = Automerge::new();
        doc.apply_changes([genesis_change(&child(1))])
            .expect("genesis");
        let write = |compact_to: Option<Vec<u8>>| MergeWrite {
            heads: heads_to_hex(&doc.get_heads()),
            compact_to,
            ..MergeWrite::default()
        };
        let (mut good, mut broken, mut none) = (
            write(Some(doc.save())),
            write(Some(b"garbage".to_vec())),
            write(None),
        );
        let unsaveable =
            check_compactions(&CpuPool::new(1), vec![&mut good, &mut broken, &mut none]).await;
        assert_eq!(unsaveable, [false, true, false]);
        assert_eq!(
            good.compact_to,
            Some(doc.save()),
            "a sound snapshot is kept"
        );
        assert_eq!(broken.compact_to, None, "the changes stay instead");
        assert_eq!(none.compact_to, None);
    }
}
