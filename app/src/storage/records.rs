//! Child records on the tablet: a compacted snapshot plus incremental chunks, and sync state.
//!
//! Saving an observation appends one chunk rather than rewriting the whole document, so a save
//! costs the size of the change, not of the record. Loading concatenates the snapshot and the
//! chunks, which `Automerge::load` accepts as one byte stream. Compaction folds the chunks it
//! read back into the snapshot and deletes only those, so a chunk another tab appends meanwhile
//! is never lost. Every value is sealed with the tablet's data key.

use std::collections::BTreeMap;

use indexed_db_futures::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ChildId;
use wasm_bindgen::JsValue;

use super::{Result, Store, CHUNKS, DOCS, QUARANTINE, SYNC};
use crate::platform;

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

/// Every key and value of one object store (within `range`, if given), read in one go.
async fn read_all(
    tx: &indexed_db_futures::transaction::Transaction<'_>,
    store: &str,
    range: Option<std::ops::Range<String>>,
) -> Result<(Vec<String>, Vec<JsValue>)> {
    let os = tx.object_store(store)?;
    let keys: Vec<String> = match &range {
        Some(r) => os.get_all_keys().with_query(r.clone()).primitive()?.await?,
        None => os.get_all_keys().primitive()?.await?,
    }
    .collect::<std::result::Result<_, _>>()?;
    let values: Vec<JsValue> = match range {
        Some(r) => os.get_all().with_query(r).primitive()?.await?,
        None => os.get_all().primitive()?.await?,
    }
    .collect::<std::result::Result<_, _>>()?;
    Ok((keys, values))
}

/// The additional data a chunk is sealed with: its child, since its number is only chosen
/// inside the write transaction.
fn chunk_aad(child: &ChildId) -> String {
    format!("{child}:")
}

impl Store {
    /// Every child record on the tablet, decrypted. Keys that are not valid child ids are
    /// skipped; a value that does not decrypt is reported as damaged.
    pub async fn load_records(&self) -> Result<BTreeMap<ChildId, StoredRecord>> {
        self.vault()?;
        let (docs, chunks, sync) = {
            let tx = self.read(&[DOCS, CHUNKS, SYNC])?;
            (
                read_all(&tx, DOCS, None).await?,
                read_all(&tx, CHUNKS, None).await?,
                read_all(&tx, SYNC, None).await?,
            )
        };
        let mut out: BTreeMap<ChildId, StoredRecord> = BTreeMap::new();
        for (key, value) in docs.0.iter().zip(docs.1.iter()) {
            if let Ok(child) = key.parse::<ChildId>() {
                out.entry(child).or_default().snapshot = Some(self.unseal(DOCS, key, value).await?);
            }
        }
        for (key, value) in chunks.0.iter().zip(chunks.1.iter()) {
            if let Some(child) = chunk_child(key) {
                let bytes = self.unseal(CHUNKS, &chunk_aad(&child), value).await?;
                out.entry(child).or_default().chunks.push(bytes);
            }
        }
        for (key, value) in sync.0.iter().zip(sync.1.iter()) {
            let Ok(child) = key.parse::<ChildId>() else {
                continue;
            };
            // Unreadable sync state only costs a fallback sync, so it is dropped, not reported.
            let state = match self.unseal(SYNC, key, value).await {
                Ok(plain) => serde_json::from_slice::<SyncState>(&plain).unwrap_or_default(),
                Err(_) => SyncState::default(),
            };
            // Sync state alone (no document) is not a record.
            if let Some(record) = out.get_mut(&child) {
                record.sync = state;
            }
        }
        Ok(out)
    }

    /// Appends one incremental save; returns how many chunks the child now has.
    pub async fn append_chunk(&self, child: &ChildId, bytes: &[u8]) -> Result<usize> {
        let sealed = self.seal(CHUNKS, &chunk_aad(child), bytes).await?;
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
        os.put(sealed)
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
        let as_snapshot = self.seal(DOCS, child.as_str(), full).await?;
        let as_chunk = self.seal(CHUNKS, &chunk_aad(child), full).await?;
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
            docs.put(as_snapshot)
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
                .put(as_chunk)
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
    /// Only the chunks that were read are deleted, so a chunk another tab appends meanwhile
    /// stays and is loaded after the snapshot. Returns whether the record was compacted.
    pub async fn compact(
        &self,
        child: &ChildId,
        merge: impl FnOnce(Vec<Vec<u8>>) -> Option<Vec<u8>>,
    ) -> Result<bool> {
        let (keys, values) = {
            let tx = self.read(&[CHUNKS])?;
            read_all(&tx, CHUNKS, Some(chunk_range(child))).await?
        };
        let mut bytes = Vec::with_capacity(values.len());
        for value in &values {
            bytes.push(self.unseal(CHUNKS, &chunk_aad(child), value).await?);
        }
        let Some(snapshot) = merge(bytes) else {
            return Ok(false);
        };
        let sealed = self.seal(DOCS, child.as_str(), &snapshot).await?;
        let tx = self.write(&[DOCS, CHUNKS])?;
        tx.object_store(DOCS)?
            .put(sealed)
            .with_key(child.as_str())
            .primitive()?
            .await?;
        let chunks = tx.object_store(CHUNKS)?;
        for key in keys {
            chunks.delete(key).primitive()?.await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces a child's stored record with `full` (after a rejection was recovered from).
    /// The replaced bytes are gone; callers quarantine what they must keep first.
    pub async fn replace_record(&self, child: &ChildId, full: &[u8]) -> Result<()> {
        let sealed = self.seal(DOCS, child.as_str(), full).await?;
        let tx = self.write(&[DOCS, CHUNKS])?;
        tx.object_store(DOCS)?
            .put(sealed)
            .with_key(child.as_str())
            .primitive()?
            .await?;
        tx.object_store(CHUNKS)?
            .delete(chunk_range(child))
            .primitive()?
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a record the server refused, as it was, before it is rebuilt. Nothing on the
    /// tablet reads it back; it is erased with everything else at sign-out.
    pub async fn quarantine(&self, child: &ChildId, full: &[u8]) -> Result<()> {
        let key = format!("{child}:{:015}", platform::now_ms() as u64);
        let sealed = self.seal(QUARANTINE, &key, full).await?;
        self.put_raw(QUARANTINE, &key, sealed).await
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
