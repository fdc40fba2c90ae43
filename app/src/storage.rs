//! The tablet's IndexedDB database, behind a small async API.
//!
//! IndexedDB futures are not `Send`, so every IndexedDB call lives in this module and the rest of
//! the app only sees plain Rust values. Values are stored as JSON strings or `Uint8Array`s, so
//! the layout stays readable in the browser's developer tools without any record contents being
//! decoded there.
//!
//! Object stores of the `quilt` database:
//! - `meta`: small key/value settings (session, device id, actor suffix, record owner, last sync);
//! - `docs`: one compacted Automerge snapshot per child;
//! - `chunks`: incremental saves per child, keyed `<child_id>:<sequence>`;
//! - `sync`: per child, the server heads and the time of its last successful sync;
//! - `caseload`: the latest caseload list from the server.

pub mod meta;
pub mod records;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use wasm_bindgen::JsValue;

pub use meta::Session;
pub use records::{StoredRecord, SyncState};

const DB_NAME: &str = "quilt";
const DB_VERSION: u32 = 1;

pub(crate) const META: &str = "meta";
pub(crate) const DOCS: &str = "docs";
pub(crate) const CHUNKS: &str = "chunks";
pub(crate) const SYNC: &str = "sync";
pub(crate) const CASELOAD: &str = "caseload";

const ALL_STORES: [&str; 5] = [META, DOCS, CHUNKS, SYNC, CASELOAD];

/// Why the tablet's storage failed. Messages are for people and never contain record contents.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("this browser's storage could not be opened: {0}")]
    Open(String),
    #[error("this browser's storage failed: {0}")]
    Idb(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

impl From<indexed_db_futures::error::Error> for StorageError {
    fn from(e: indexed_db_futures::error::Error) -> Self {
        StorageError::Idb(e.to_string())
    }
}

impl From<indexed_db_futures::error::OpenDbError> for StorageError {
    fn from(e: indexed_db_futures::error::OpenDbError) -> Self {
        StorageError::Open(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// An open handle on the tablet's database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (and on first use creates) the database.
    pub async fn open() -> Result<Store> {
        let db = Database::open(DB_NAME)
            .with_version(DB_VERSION)
            .with_on_upgrade_needed(|_event, db| {
                let existing: Vec<String> = db.object_store_names().collect();
                for name in ALL_STORES {
                    if !existing.iter().any(|e| e == name) {
                        db.create_object_store(name).build()?;
                    }
                }
                Ok(())
            })
            .await?;
        Ok(Store { db })
    }

    pub(crate) fn read(&self, stores: &[&str]) -> Result<Transaction<'_>> {
        Ok(self
            .db
            .transaction(stores)
            .with_mode(TransactionMode::Readonly)
            .build()?)
    }

    pub(crate) fn write(&self, stores: &[&str]) -> Result<Transaction<'_>> {
        Ok(self
            .db
            .transaction(stores)
            .with_mode(TransactionMode::Readwrite)
            .build()?)
    }

    /// Reads one string value.
    pub(crate) async fn get_string(&self, store: &str, key: &str) -> Result<Option<String>> {
        let tx = self.read(&[store])?;
        let os = tx.object_store(store)?;
        let value: Option<JsValue> = os.get(key).primitive()?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Writes one string value.
    pub(crate) async fn put_string(&self, store: &str, key: &str, value: &str) -> Result<()> {
        let tx = self.write(&[store])?;
        let os = tx.object_store(store)?;
        os.put(value).with_key(key).primitive()?.await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn delete_key(&self, store: &str, key: &str) -> Result<()> {
        let tx = self.write(&[store])?;
        let os = tx.object_store(store)?;
        os.delete(key).primitive()?.await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads a JSON value; a value that does not parse is reported, not unwrapped.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>> {
        match self.get_string(store, key).await? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|_| StorageError::Corrupt(format!("{store}/{key} is not readable"))),
        }
    }

    pub(crate) async fn put_json<T: serde::Serialize>(
        &self,
        store: &str,
        key: &str,
        value: &T,
    ) -> Result<()> {
        let s = serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        self.put_string(store, key, &s).await
    }
}

/// Copies bytes into a fresh `Uint8Array` for IndexedDB.
pub(crate) fn to_js_bytes(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

/// Reads a stored `Uint8Array` (or `ArrayBuffer`) back into bytes.
pub(crate) fn from_js_bytes(value: &JsValue) -> Option<Vec<u8>> {
    use wasm_bindgen::JsCast;
    if let Some(arr) = value.dyn_ref::<js_sys::Uint8Array>() {
        Some(arr.to_vec())
    } else {
        value
            .dyn_ref::<js_sys::ArrayBuffer>()
            .map(|buf| js_sys::Uint8Array::new(buf).to_vec())
    }
}
