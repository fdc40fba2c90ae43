//! Each child's chronology, built once per stored version and kept for the pages that follow:
//! a manager reads a long chronology a page at a time, and every page of one version is a
//! slice of the same list (`analytics::chronology` of the record). Per process, bounded to
//! [`KEPT`] children; a new version of a record is simply built again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::analytics::ChronologyItem;
use shared::ChildId;

use crate::merge::Documents;
use crate::store::{Store, StoreError};

/// The most children whose chronology is kept at once.
pub const KEPT: usize = 64;

type Kept = HashMap<ChildId, (i64, Arc<Vec<ChronologyItem>>)>;

#[derive(Clone)]
pub struct Chronologies {
    kept: Arc<Mutex<Kept>>,
    documents: Arc<Documents>,
    store: Arc<dyn Store>,
}

impl Chronologies {
    pub fn new(documents: Arc<Documents>, store: Arc<dyn Store>) -> Self {
        Chronologies {
            kept: Arc::default(),
            documents,
            store,
        }
    }

    /// `child`'s chronology as stored now. The version is read first: a merge landing in
    /// between is built again on the next read, never served as the older version.
    pub async fn read(&self, child: &ChildId) -> Result<Arc<Vec<ChronologyItem>>, StoreError> {
        let version = self.documents.version(child).await?;
        if let Some(all) = self.get(child, version) {
            return Ok(all);
        }
        let record = self.store.record(child).await?;
        let all = Arc::new(shared::analytics::chronology(&record));
        self.put(child, version, all.clone());
        Ok(all)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // A panic while holding the lock leaves a map that is still whole.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The chronology kept for `child` at `version`, if any.
    fn get(&self, child: &ChildId, version: i64) -> Option<Arc<Vec<ChronologyItem>>> {
        self.lock()
            .get(child)
            .filter(|(v, _)| *v == version)
            .map(|(_, items)| items.clone())
    }

    /// Keeps `items` as `child`'s chronology at `version`.
    fn put(&self, child: &ChildId, version: i64, items: Arc<Vec<ChronologyItem>>) {
        let mut kept = self.lock();
        if kept.len() >= KEPT && !kept.contains_key(child) {
            kept.clear();
        }
        kept.insert(child.clone(), (version, items));
    }
}
