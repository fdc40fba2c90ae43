//! The merge service ([`Documents`]): loading, merging and storing children's documents, the
//! server half of sync. It owns what it uses (the store, the document cache, the per-child
//! locks, the CPU pool, the group commit, the live-update hub, the audit log) and knows
//! nothing of HTTP.
//!
//! Architecture invariant: every write goes through one pipeline, [`Documents::run`]: lock
//! the children (in id order) → read their stored versions (one read) → prepare each merge
//! in memory (sync merges together on the CPU pool) → one group commit, stored only where the
//! version is still the one merged into → publish what was committed (cache, kept change
//! bytes, live updates). A child another process stored into meanwhile goes round again.
//! Sync merges, server-side edits (demo data) and start-up reprojection are all jobs of that
//! loop; the answer that acknowledges changes is built only after the commit.
//!
//! `DocLocks` queues one process's merges of a child in memory, so they never race each
//! other; the version check is what keeps processes sharing a database apart. Documents are
//! kept in a per-process [`DocCache`] keyed by version, so a merge usually starts from memory,
//! and a sync that brings nothing new for a child is answered from the stored heads alone.
//!
//! A record that cannot be rebuilt is quarantined (`quarantine`): it is answered as
//! unavailable for that child alone, and not rebuilt again until it is repaired.

mod cache;
mod load;
mod pipeline;
mod projection;
pub mod quarantine;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::{Automerge, ChangeHash};
use shared::sync::server as protocol;
use shared::sync::{Bytes, ChildResult, ChildSyncRequest};
use shared::validate::Sender;
use shared::ChildId;

pub use cache::DocCache;
pub use load::{genesis_change, load, rebuild, Rebuilt};
pub use projection::projection;

use crate::audit_log::AuditLog;
use crate::clock::now_ms;
use crate::cpu::CpuPool;
use crate::group::GroupCommit;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::store::{DocState, MergeWrite, Store, StoreError};

/// Wire bytes of changes, by hash: what the cache keeps to build answers from.
pub type ChangeBytes = Vec<(ChangeHash, Bytes)>;

/// One commit's merges: child, the version each was computed from, and its write.
pub type MergeBatch = Vec<(ChildId, i64, MergeWrite)>;

/// Why a job was not done. Answers (a refusal, nothing new) are not errors: they are
/// [`Outcome::Answered`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The database could not be read or written just now (busy, down, disk full).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The record is quarantined and takes no changes until it is repaired.
    #[error("the record cannot be loaded and waits for a repair")]
    Quarantined,
    /// Other processes kept storing into the record first.
    #[error("the record kept changing in other server processes while merging")]
    Contended,
    #[error("{0}")]
    Internal(&'static str),
}

impl From<StoreError> for MergeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Quarantined => MergeError::Quarantined,
            e => MergeError::Unavailable(e.to_string()),
        }
    }
}

/// What a job came to.
#[derive(Debug)]
pub enum Outcome {
    /// A sync's answer for the child (sent only once what it acknowledges is stored).
    Answered(ChildResult),
    /// An edit or reprojection was stored.
    Stored,
    /// Nothing to store.
    Unchanged,
}

/// One child's work for [`Documents::run`].
pub struct Job<'a> {
    pub child: ChildId,
    pub input: Input<'a>,
}

pub enum Input<'a> {
    /// A tablet's part of a sync for this child, checked against `sender`.
    Sync {
        sender: &'a Sender,
        req: &'a ChildSyncRequest,
    },
    /// Changes made on the server (demo data, imports), written through the same path.
    Edit(&'a mut (dyn FnMut(&mut Automerge) + Send)),
    /// A fresh read model for a record stored before document versions existed.
    Reproject,
}

impl Input<'_> {
    /// A sync that sends nothing: answered from what is stored, without taking the lock.
    fn is_read(&self) -> bool {
        matches!(self, Input::Sync { req, .. } if req.changes.is_empty() && req.sync_message.is_none())
    }

    /// The outcome for a record that is quarantined: a sync is told it is unavailable (the
    /// tablet keeps its changes); anything else fails.
    fn quarantined(&self) -> Result<Outcome, MergeError> {
        match self {
            Input::Sync { .. } => Ok(Outcome::Answered(quarantine::unavailable())),
            Input::Reproject => Ok(Outcome::Unchanged),
            Input::Edit(_) => Err(MergeError::Quarantined),
        }
    }
}

/// One async mutex per child: merges of the same document are serialised, different
/// children merge in parallel.
#[derive(Clone, Default)]
pub struct DocLocks {
    inner: Arc<Mutex<HashMap<ChildId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl DocLocks {
    pub fn for_child(&self, child: &ChildId) -> Arc<tokio::sync::Mutex<()>> {
        // A poisoned map only means another thread panicked while inserting; the map is intact.
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(child.clone()).or_default().clone()
    }
}

/// What the CPU-bound part of a sync merge needs, cloned onto the pool.
#[derive(Clone)]
struct OnCpu {
    cache: Arc<DocCache>,
    metrics: Arc<Metrics>,
    compact_after: usize,
}

impl OnCpu {
    /// The wire bytes of `child`'s changes in `hashes` if this process kept them all,
    /// counted in the metrics either way: what answers are built from.
    fn change_bytes(&self, child: &ChildId, hashes: &[ChangeHash]) -> Option<Vec<Bytes>> {
        let kept = self.cache.kept(child, hashes);
        self.metrics.answer_changes(kept.is_some());
        kept
    }
}

/// The merge service (see the module's documentation). Cheap to share: hold it in an `Arc`.
pub struct Documents {
    store: Arc<dyn Store>,
    cache: Arc<DocCache>,
    locks: DocLocks,
    cpu: CpuPool,
    commits: GroupCommit<MergeBatch, Result<Vec<bool>, String>>,
    live: Live,
    audit: AuditLog,
    metrics: Arc<Metrics>,
    compact_after: usize,
}

/// How the merge service is sized.
#[derive(Debug, Clone, Copy)]
pub struct DocumentsConfig {
    /// Compact a document into a snapshot once it has this many stored changes.
    pub compact_after_changes: usize,
    /// How many children's documents the cache keeps between merges.
    pub cache_docs: usize,
}

impl Documents {
    /// Starts the service and its commit writer; the store's change notifications (other
    /// processes' merges) are announced to open records.
    pub fn start(
        store: Arc<dyn Store>,
        audit: AuditLog,
        metrics: Arc<Metrics>,
        config: DocumentsConfig,
    ) -> Self {
        let live = Live::default();
        {
            let live = live.clone();
            store.watch(Arc::new(move |child: &ChildId| live.changed(child)));
        }
        let commits = {
            let store = store.clone();
            GroupCommit::start(move |batches: Vec<MergeBatch>| {
                let store = store.clone();
                async move {
                    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
                    let all: MergeBatch = batches.into_iter().flatten().collect();
                    match store.commit_merges(&all, now_ms()).await {
                        Ok(done) => {
                            let mut done = done.into_iter();
                            sizes
                                .iter()
                                .map(|n| Ok(done.by_ref().take(*n).collect()))
                                .collect()
                        }
                        Err(e) => sizes.iter().map(|_| Err(e.to_string())).collect(),
                    }
                }
            })
        };
        Documents {
            store,
            cache: Arc::new(DocCache::new(config.cache_docs)),
            locks: DocLocks::default(),
            cpu: CpuPool::default(),
            commits,
            live,
            audit,
            metrics,
            compact_after: config.compact_after_changes,
        }
    }

    fn on_cpu(&self) -> OnCpu {
        OnCpu {
            cache: self.cache.clone(),
            metrics: self.metrics.clone(),
            compact_after: self.compact_after,
        }
    }

    /// Every child of one sync request the user may hold, answered in the request's order.
    /// Children the tablet sent nothing for are answered from one read of their stored heads;
    /// the others are merged and stored in one transaction (one durable write for the whole
    /// caseload, not one per child).
    pub async fn merge_caseload(
        &self,
        sender: &Sender,
        reqs: &[&ChildSyncRequest],
    ) -> Vec<Result<ChildResult, MergeError>> {
        let jobs = reqs
            .iter()
            .map(|req| Job {
                child: req.child_id.clone(),
                input: Input::Sync { sender, req },
            })
            .collect();
        self.run(jobs)
            .await
            .into_iter()
            .map(|done| match done? {
                Outcome::Answered(result) => Ok(result),
                _ => Err(MergeError::Internal("a sync merge gave no answer")),
            })
            .collect()
    }

    /// Appends changes made on the server (demo data, imports) through the same write path
    /// as sync.
    pub async fn append(
        &self,
        child: &ChildId,
        mut edit: impl FnMut(&mut Automerge) + Send,
    ) -> Result<(), MergeError> {
        let job = Job {
            child: child.clone(),
            input: Input::Edit(&mut edit),
        };
        match self.run(vec![job]).await.pop() {
            Some(done) => done.map(|_| ()),
            None => Err(MergeError::Internal("the edit was not run")),
        }
    }

    /// A same-child merge's copy: every entry of `from`'s record that `into`'s lacks is
    /// appended to `into`'s (`shared::record::same_child`), through the same write path as
    /// sync. Run again after a late sync into `from`, it copies only what is new.
    pub async fn copy_same_child(
        &self,
        from: &ChildId,
        into: &ChildId,
    ) -> Result<shared::record::same_child::Copied, MergeError> {
        let source = self.current(from, None).await?.doc;
        let at = crate::clock::now_ms();
        let mut copied = Ok(shared::record::same_child::Copied::default());
        self.append(into, |doc| {
            copied = shared::record::same_child::copy_entries(&source, doc, into, at);
        })
        .await?;
        copied.map_err(|e| {
            tracing::error!(error = %e, "copying a merged record's entries failed");
            MergeError::Internal("copying the merged record's entries failed")
        })
    }

    /// Gives every child stored before document versions existed a version and a fresh read
    /// model (the migration that added versions emptied the old one). Run at start-up; a
    /// no-op once every child has a version. Returns how many children were projected. A
    /// record that cannot be loaded is quarantined and passed over, so it does not stop the
    /// server starting.
    pub async fn project_unversioned(&self) -> Result<usize, MergeError> {
        let children = self.store.unversioned_children().await?;
        let mut projected = 0;
        // One at a time: a start-up over many old records must not hold them all in memory.
        for child in children {
            let job = Job {
                child,
                input: Input::Reproject,
            };
            match self.run(vec![job]).await.pop() {
                Some(Ok(Outcome::Stored)) => projected += 1,
                Some(Ok(_)) | Some(Err(MergeError::Quarantined)) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(MergeError::Internal("the reprojection was not run")),
            }
        }
        Ok(projected)
    }

    /// A child the tablet sent nothing for: when it already holds the stored heads, the answer
    /// needs no document at all; otherwise it is read from the current document, without the
    /// merge lock (on SQLite that is the database's only write lock). `stored` is the child's
    /// stored version and heads, as the caller read them.
    async fn deliver(
        &self,
        req: &ChildSyncRequest,
        stored: Option<DocState>,
    ) -> Result<ChildResult, MergeError> {
        if stored.as_ref().is_some_and(|s| s.quarantined) {
            return Ok(quarantine::unavailable());
        }
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
        let doc = match self.current(&req.child_id, Some(version)).await {
            Ok(current) => current.doc,
            Err(StoreError::Quarantined) => return Ok(quarantine::unavailable()),
            Err(e) => return Err(e.into()),
        };
        let ctx = self.on_cpu();
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let kept = |hashes: &[ChangeHash]| ctx.change_bytes(&req.child_id, hashes);
            protocol::deliver(&doc, req.server_heads.as_deref(), &kept)
        }));
        Ok(answer.unwrap_or_else(|_| ChildResult::Rejected {
            reason: "the server could not process this request".into(),
        }))
    }

    /// Everything a tablet that has never held this child needs. A record that cannot be had
    /// just now (quarantined, or the database busy) is answered as unavailable for this child
    /// alone.
    pub async fn initial(&self, child: &ChildId) -> ChildResult {
        let doc = match self.current(child, None).await {
            Ok(current) => current.doc,
            Err(StoreError::Quarantined) => return quarantine::unavailable(),
            Err(e) => {
                tracing::error!(child = %child, error = %e, "reading a record to send failed");
                return ChildResult::Unavailable {
                    reason: "the server could not read this record just now; it will be sent \
                             at the next sync"
                        .into(),
                };
            }
        };
        let genesis = [self.cache.genesis(child).hash()];
        let ctx = self.on_cpu();
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let kept = |hashes: &[ChangeHash]| ctx.change_bytes(child, hashes);
            protocol::initial(&doc, &genesis, &kept)
        }));
        answer.unwrap_or_else(|_| {
            tracing::error!(child = %child, "building a record to send panicked");
            ChildResult::Unavailable {
                reason: "the server could not send this record just now".into(),
            }
        })
    }

    /// Announcements of children whose document changed, stored by this process or (on
    /// PostgreSQL) another one (see `live`).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChildId> {
        self.live.subscribe()
    }

    /// Waits until `child`'s document is at a version other than `since` (a restored database
    /// can go back), or `wait` passes; returns the version then (see `live`).
    pub async fn wait_for_change(
        &self,
        child: &ChildId,
        since: i64,
        wait: Duration,
    ) -> Result<i64, StoreError> {
        self.live
            .wait_for_change(child, since, wait, || self.version(child))
            .await
    }
}
