//! Child records on the tablet: a compacted snapshot plus incremental chunks, and sync state.
//!
//! Saving an observation appends one chunk rather than rewriting the whole document, so a save
//! costs the size of the change, not of the record. Loading concatenates the snapshot and the
//! chunks, which `Automerge::load` accepts as one byte stream. Compaction folds the chunks back
//! into the snapshot inside a single transaction, so a chunk another tab appends meanwhile is
//! never lost.

use std::collections::BTreeMap;

use indexed_db_futures::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ChildId;
use wasm_bindgen::JsValue;

use super::{from_js_bytes, to_js_bytes, Result, Store, CASELOAD, CHUNKS, DOCS, META, SYNC};

/// Per-child sync bookkeeping, written only after a server response has been applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    /// Heads the server has acknowledged, hex; `None` when unknown.
    pub server_heads: Option<Vec<String>>,
    pub last_sync_ms: Option<f64>,
}

/// One child's stored bytes, as found at start-up.
#[derive(Debug, Default)]
pub struct StoredRecord {
    pub snapshot: Option<Vec<u8>>,
    /// Incremental saves in the order they were written.
    pub chunks: Vec<Vec<u8>>,
    pub sync: SyncState,
}

/// Chunk keys sort by child, then by sequence number. Child ids never contain `:`, and no id
/// character sorts between `:` and `;`, so `child:` up to `child;` holds exactly one child's chunks.
fn chunk_key(child: &ChildId, seq: u64) -> String {
    format!("{child}:{seq:012}")
}

fn chunk_range(child: &ChildId) -> std::ops::Range<String> {
    format!("{child}:")..format!("{child};")
}

fn chunk_seq(key: &str) -> Option<u64> {
    key.rsplit_once(':').and_then(|(_, seq)| seq.parse().ok())
}

fn chunk_child(key: &str) -> Option<ChildId> {
    key.rsplit_once(':')
        .and_then(|(child, _)| child.parse().ok())
}

impl Store {
    /// Every child record on the tablet. Keys that are not valid child ids are skipped.
    pub async fn load_records(&self) -> Result<BTreeMap<ChildId, StoredRecord>> {
        let tx = self.read(&[DOCS, CHUNKS, SYNC])?;
        let mut out: BTreeMap<ChildId, StoredRecord> = BTreeMap::new();

        let docs = tx.object_store(DOCS)?;
        let keys: Vec<String> = docs
            .get_all_keys()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let values: Vec<JsValue> = docs
            .get_all()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        for (key, value) in keys.iter().zip(values.iter()) {
            if let Ok(child) = key.parse::<ChildId>() {
                out.entry(child).or_default().snapshot = from_js_bytes(value);
            }
        }

        let chunks = tx.object_store(CHUNKS)?;
        let keys: Vec<String> = chunks
            .get_all_keys()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let values: Vec<JsValue> = chunks
            .get_all()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        for (key, value) in keys.iter().zip(values.iter()) {
            if let (Some(child), Some(bytes)) = (chunk_child(key), from_js_bytes(value)) {
                out.entry(child).or_default().chunks.push(bytes);
            }
        }

        let sync = tx.object_store(SYNC)?;
        let keys: Vec<String> = sync
            .get_all_keys()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let values: Vec<JsValue> = sync
            .get_all()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        for (key, value) in keys.iter().zip(values.iter()) {
            let Ok(child) = key.parse::<ChildId>() else {
                continue;
            };
            // Unreadable sync state only costs a fallback sync, so it is dropped, not reported.
            let state = value
                .as_string()
                .and_then(|s| serde_json::from_str::<SyncState>(&s).ok())
                .unwrap_or_default();
            // Sync state alone (no document) is not a record.
            if let Some(record) = out.get_mut(&child) {
                record.sync = state;
            }
        }
        Ok(out)
    }

    /// Appends one incremental save; returns how many chunks the child now has.
    pub async fn append_chunk(&self, child: &ChildId, bytes: &[u8]) -> Result<usize> {
        let tx = self.write(&[CHUNKS])?;
        let os = tx.object_store(CHUNKS)?;
        let keys: Vec<String> = os
            .get_all_keys()
            .with_query(chunk_range(child))
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let next = keys
            .iter()
            .filter_map(|k| chunk_seq(k))
            .max()
            .map_or(0, |m| m + 1);
        os.put(to_js_bytes(bytes))
            .with_key(chunk_key(child, next))
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(keys.len() + 1)
    }

    /// Saves a record this tab has not saved before: as the snapshot if there is none, otherwise
    /// (another tab got there first) as one more chunk. Nothing stored is ever replaced here, so
    /// another tab's unsynced changes cannot be lost. Returns how many chunks the child has.
    pub async fn save_new(&self, child: &ChildId, full: &[u8]) -> Result<usize> {
        let tx = self.write(&[DOCS, CHUNKS])?;
        let docs = tx.object_store(DOCS)?;
        let existing: Option<JsValue> = docs.get(child.as_str()).primitive()?.await?;
        let chunks = tx.object_store(CHUNKS)?;
        let keys: Vec<String> = chunks
            .get_all_keys()
            .with_query(chunk_range(child))
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let count = if existing.is_none() {
            docs.put(to_js_bytes(full))
                .with_key(child.as_str())
                .primitive()?
                .await?;
            keys.len()
        } else {
            let next = keys
                .iter()
                .filter_map(|k| chunk_seq(k))
                .max()
                .map_or(0, |m| m + 1);
            chunks
                .put(to_js_bytes(full))
                .with_key(chunk_key(child, next))
                .primitive()?
                .await?;
            keys.len() + 1
        };
        tx.commit().await?;
        Ok(count)
    }

    /// Folds a child's chunks into its snapshot. `merge` receives every stored chunk (including
    /// any another tab wrote) and returns the new snapshot, or `None` to leave storage as it is.
    /// Returns whether the record was compacted.
    pub async fn compact(
        &self,
        child: &ChildId,
        merge: impl FnOnce(Vec<Vec<u8>>) -> Option<Vec<u8>>,
    ) -> Result<bool> {
        let tx = self.write(&[DOCS, CHUNKS])?;
        let chunks = tx.object_store(CHUNKS)?;
        let keys: Vec<String> = chunks
            .get_all_keys()
            .with_query(chunk_range(child))
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let values: Vec<JsValue> = chunks
            .get_all()
            .with_query(chunk_range(child))
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        let bytes: Vec<Vec<u8>> = values.iter().filter_map(from_js_bytes).collect();
        let Some(snapshot) = merge(bytes) else {
            return Ok(false);
        };
        tx.object_store(DOCS)?
            .put(to_js_bytes(&snapshot))
            .with_key(child.as_str())
            .primitive()?
            .await?;
        for key in keys {
            chunks.delete(key).primitive()?.await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn put_sync_state(&self, child: &ChildId, state: &SyncState) -> Result<()> {
        self.put_json(SYNC, child.as_str(), state).await
    }

    /// Removes every local trace of a child (no longer on this user's caseload).
    pub async fn delete_record(&self, child: &ChildId) -> Result<()> {
        let tx = self.write(&[DOCS, CHUNKS, SYNC])?;
        tx.object_store(DOCS)?
            .delete(child.as_str())
            .primitive()?
            .await?;
        tx.object_store(CHUNKS)?
            .delete(chunk_range(child))
            .primitive()?
            .await?;
        tx.object_store(SYNC)?
            .delete(child.as_str())
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes every record, the caseload list and the last sync time; keeps the device id.
    pub async fn wipe_records(&self) -> Result<()> {
        let tx = self.write(&[DOCS, CHUNKS, SYNC, CASELOAD, META])?;
        for store in [DOCS, CHUNKS, SYNC, CASELOAD] {
            tx.object_store(store)?.clear()?.await?;
        }
        tx.object_store(META)?
            .delete(super::meta::LAST_SYNC)
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_keys_round_trip_and_stay_in_range() {
        let child: ChildId = "a".parse().expect("valid");
        let key = chunk_key(&child, 7);
        assert_eq!(chunk_seq(&key), Some(7));
        assert_eq!(chunk_child(&key), Some(child.clone()));
        let range = chunk_range(&child);
        assert!(range.contains(&key));
        for other in ["a-b", "ab", "a_b", "A", "b"] {
            let other: ChildId = other.parse().expect("valid");
            assert!(!range.contains(&chunk_key(&other, 0)), "{other}");
        }
    }
}
