//! Getting a child's current document: from the cache when it is at the stored version, else
//! rebuilt from the stored snapshot and changes (on the CPU pool). A record that cannot be
//! rebuilt is quarantined (`quarantine`) and answered as unavailable for that child alone.

use std::sync::Arc;

use automerge::{Automerge, Change, ReadDoc};
use shared::record;
use shared::sync::Bytes;
use shared::ChildId;

use super::quarantine::Broken;
use super::{ChangeBytes, Documents};
use crate::store::{Store, StoreError, StoredDoc};

/// A document rebuilt from its stored form.
pub struct Rebuilt {
    pub doc: Automerge,
    /// How many changes are stored after the snapshot.
    pub changes_after_snapshot: usize,
    /// Those changes' wire bytes, by hash.
    pub bytes: ChangeBytes,
}

/// A document as stored now: at `version`, with `changes_after_snapshot` changes stored after
/// its snapshot.
pub(super) struct Current<D> {
    pub doc: D,
    pub version: i64,
    pub changes_after_snapshot: usize,
}

/// Rebuilds a child's document from its snapshot and changes; a child with nothing stored yet
/// starts from the shared genesis. Returns the document and how many changes are stored after
/// its snapshot.
pub async fn load(store: &dyn Store, child: &ChildId) -> Result<(Automerge, usize), StoreError> {
    let stored = store.load_doc(child).await?;
    rebuild(&stored, || genesis_change(child))
        .map(|r| (r.doc, r.changes_after_snapshot))
        .map_err(|broken| StoreError::Corrupt(broken.reason().into()))
}

/// The record's first change, which every replica makes identically (`record::genesis`).
pub fn genesis_change(child: &ChildId) -> Change {
    // A fresh genesis document holds exactly that one change.
    record::genesis(child)
        .get_changes(&[])
        .pop()
        .expect("a genesis document has its first change")
}

/// The document from its stored form. A record with no snapshot starts from `genesis`. What is
/// wrong with a record that cannot be rebuilt is one of a few fixed reasons (never its content).
pub fn rebuild(stored: &StoredDoc, genesis: impl FnOnce() -> Change) -> Result<Rebuilt, Broken> {
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
    let changes_after_snapshot = changes.len();
    let bytes = changes
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
    Ok(Rebuilt {
        doc,
        changes_after_snapshot,
        bytes,
    })
}

impl Documents {
    /// The version of `child`'s stored document (0 if nothing was merged yet).
    pub async fn version(&self, child: &ChildId) -> Result<i64, StoreError> {
        Ok(self.store.doc_state(child).await?.map_or(0, |s| s.version))
    }

    /// [`Self::version`] for a merge or an answer: a quarantined record is refused
    /// ([`StoreError::Quarantined`]).
    async fn usable_version(&self, child: &ChildId) -> Result<i64, StoreError> {
        match self.store.doc_state(child).await? {
            Some(stored) if stored.quarantined => Err(StoreError::Quarantined),
            stored => Ok(stored.map_or(0, |s| s.version)),
        }
    }

    /// The child's document as stored now, shared: from the cache when it is current, else
    /// loaded (and cached). `known_version` is the stored version when the caller has just
    /// read it.
    pub(super) async fn current(
        &self,
        child: &ChildId,
        known_version: Option<i64>,
    ) -> Result<Current<Arc<Automerge>>, StoreError> {
        let version = match known_version {
            Some(v) => v,
            None => self.usable_version(child).await?,
        };
        if let Some((doc, changes_after_snapshot)) = self.cache.get(child, version) {
            self.metrics.doc_cache(true);
            return Ok(Current {
                doc,
                version,
                changes_after_snapshot,
            });
        }
        let loaded = self.load_current(child, version).await?;
        let doc = Arc::new(loaded.doc);
        self.cache.put(
            child,
            loaded.version,
            loaded.changes_after_snapshot,
            doc.clone(),
        );
        Ok(Current {
            doc,
            version: loaded.version,
            changes_after_snapshot: loaded.changes_after_snapshot,
        })
    }

    /// The current document, owned, for a merge to change: taken out of the cache when it is
    /// there (no copy), else loaded. `version` is the stored version the caller just read.
    pub(super) async fn current_owned(
        &self,
        child: &ChildId,
        version: i64,
    ) -> Result<Current<Automerge>, StoreError> {
        if let Some((doc, changes_after_snapshot)) = self.cache.take(child, version) {
            self.metrics.doc_cache(true);
            return Ok(Current {
                doc,
                version,
                changes_after_snapshot,
            });
        }
        self.load_current(child, version).await
    }

    /// A cache miss: the stored document rebuilt (on the CPU pool: a long record takes a
    /// while); the stored changes' bytes are kept.
    ///
    /// A record that cannot be rebuilt (or whose rebuild panics) is reported and quarantined,
    /// and a quarantined one is not rebuilt again: both are [`StoreError::Quarantined`], which
    /// answers that child alone as unavailable. `known_version` is the version the caller read
    /// with the child's mark (`DocState::quarantined`); version 0 has no such row (nothing
    /// merged yet, or stored before versions), so the mark is read here.
    async fn load_current(
        &self,
        child: &ChildId,
        known_version: i64,
    ) -> Result<Current<Automerge>, StoreError> {
        if known_version == 0 && self.store.is_quarantined(child).await? {
            return Err(StoreError::Quarantined);
        }
        self.metrics.doc_cache(false);
        let stored = self.store.load_doc(child).await?;
        let version = stored.version;
        let (cache, id) = (self.cache.clone(), child.clone());
        let rebuilt = self
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
            Ok(rebuilt) => {
                self.cache.keep(child, rebuilt.bytes);
                Ok(Current {
                    doc: rebuilt.doc,
                    version,
                    changes_after_snapshot: rebuilt.changes_after_snapshot,
                })
            }
            Err(broken) => {
                self.report_broken(child, version, broken).await;
                Err(StoreError::Quarantined)
            }
        }
    }
}
