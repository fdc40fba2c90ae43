//! The merge service's per-process cache: documents by version, each child's genesis change,
//! and the wire bytes of recent changes, which answers send instead of rebuilding changes from
//! the document. Bounded in documents, changes and bytes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use automerge::{Automerge, Change, ChangeHash};
use shared::sync::Bytes;
use shared::ChildId;

use super::load::genesis_change;

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
    kept: HashMap<ChildId, BytesOfChild>,
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
struct BytesOfChild {
    order: VecDeque<ChangeHash>,
    bytes: HashMap<ChangeHash, Bytes>,
    total: usize,
}

impl BytesOfChild {
    pub(super) fn keep(&mut self, hash: ChangeHash, bytes: Bytes) {
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
    changes_after_snapshot: usize,
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
    pub(super) fn get(&self, child: &ChildId, version: i64) -> Option<(Arc<Automerge>, usize)> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.lock();
        let cached = entries
            .docs
            .get_mut(child)
            .filter(|c| c.version == version)?;
        cached.used = tick;
        Some((cached.doc.clone(), cached.changes_after_snapshot))
    }

    pub(super) fn put(
        &self,
        child: &ChildId,
        version: i64,
        changes_after_snapshot: usize,
        doc: Arc<Automerge>,
    ) {
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
                changes_after_snapshot,
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
    pub(super) fn genesis(&self, child: &ChildId) -> Change {
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
    pub(super) fn keep(
        &self,
        child: &ChildId,
        changes: impl IntoIterator<Item = (ChangeHash, Bytes)>,
    ) {
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
    pub(super) fn kept(&self, child: &ChildId, hashes: &[ChangeHash]) -> Option<Vec<Bytes>> {
        let entries = self.lock();
        let kept = entries.kept.get(child)?;
        hashes.iter().map(|h| kept.bytes.get(h).cloned()).collect()
    }

    /// Takes the document out (a merge is about to change it); `None` unless at `version`.
    pub(super) fn take(&self, child: &ChildId, version: i64) -> Option<(Automerge, usize)> {
        let mut entries = self.lock();
        if entries.docs.get(child).map(|c| c.version) != Some(version) {
            return None;
        }
        let cached = entries.docs.remove(child)?;
        drop(entries);
        let doc = Arc::try_unwrap(cached.doc).unwrap_or_else(|shared| (*shared).clone());
        Some((doc, cached.changes_after_snapshot))
    }

    /// Drops the document (it is no longer current); its kept change bytes stay right.
    pub fn forget(&self, child: &ChildId) {
        self.lock().docs.remove(child);
    }
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
}
