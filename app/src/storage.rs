//! The tablet's IndexedDB database, behind a small async API.
//!
//! IndexedDB futures are not `Send`, so every IndexedDB call lives in this module and the rest of
//! the app only sees plain Rust values.
//!
//! Everything about people is encrypted (see [`vault`]): values are sealed `Uint8Array`s. Only
//! the device ids (one per user), the wrapped data key with its owner, and the count of failed unlocks are kept
//! in clear. Keys are opaque ids (child ids, chunk numbers, setting names). Encryption happens
//! outside IndexedDB transactions, which would otherwise end while Web Crypto works.
//!
//! Object stores of the `quilt` database:
//! - `meta`: small key/value settings (session, device id, actor suffix, vault, last sync) and
//!   the drafts of forms being typed (`drafts`);
//! - `docs`: one compacted Automerge snapshot per child;
//! - `chunks`: incremental saves per child, keyed `<child_id>:<sequence>`;
//! - `sync`: per child, the server heads and the time of its last successful sync;
//! - `caseload`: the latest caseload list from the server;
//! - `quarantine`: records as they were when the server refused their changes, before the
//!   tablet rebuilt them (kept, never read back, erased at sign-out).

pub mod drafts;
pub mod meta;
pub mod records;
pub mod vault;

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use wasm_bindgen::JsValue;

pub use drafts::Draft;
pub use meta::{LocalConcern, Session};
pub use records::{StoredRecord, SyncState};
pub use vault::{Vault, VaultError, VaultHeader};

const DB_NAME: &str = "quilt";
const DB_VERSION: u32 = 2;

pub(crate) const META: &str = "meta";
pub(crate) const DOCS: &str = "docs";
pub(crate) const CHUNKS: &str = "chunks";
pub(crate) const SYNC: &str = "sync";
pub(crate) const CASELOAD: &str = "caseload";
pub(crate) const QUARANTINE: &str = "quarantine";

const ALL_STORES: [&str; 6] = [META, DOCS, CHUNKS, SYNC, CASELOAD, QUARANTINE];

/// Why the tablet's storage failed. Messages are for people and never contain record contents.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("this browser's storage could not be opened: {0}")]
    Open(String),
    #[error("this browser's storage failed: {0}")]
    Idb(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("Quilt is locked on this tablet")]
    Locked,
    #[error("{0}")]
    Vault(#[from] VaultError),
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

/// An open handle on the tablet's database, locked or unlocked. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    vault: Option<Vault>,
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
        Ok(Store { db, vault: None })
    }

    /// This store, able to read and write encrypted values with `vault`.
    pub fn unlocked(&self, vault: Vault) -> Store {
        Store {
            db: self.db.clone(),
            vault: Some(vault),
        }
    }

    pub fn vault(&self) -> Result<&Vault> {
        self.vault.as_ref().ok_or(StorageError::Locked)
    }

    /// Encrypts `plain` for `store`/`key`, ready to put.
    pub(crate) async fn seal(&self, store: &str, key: &str, plain: &[u8]) -> Result<JsValue> {
        let sealed = self.vault()?.seal(&format!("{store}/{key}"), plain).await?;
        Ok(to_js_bytes(&sealed))
    }

    /// Decrypts a value read from `store`/`key`.
    pub(crate) async fn unseal(&self, store: &str, key: &str, value: &JsValue) -> Result<Vec<u8>> {
        let bytes = from_js_bytes(value)
            .ok_or_else(|| StorageError::Corrupt(format!("{store} holds an unexpected value")))?;
        Ok(self
            .vault()?
            .open(&format!("{store}/{key}"), &bytes)
            .await?)
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

    /// Reads one value as stored.
    pub(crate) async fn get_raw(&self, store: &str, key: &str) -> Result<Option<JsValue>> {
        let tx = self.read(&[store])?;
        let os = tx.object_store(store)?;
        Ok(os.get(key).primitive()?.await?)
    }

    /// Writes one value as given.
    pub(crate) async fn put_raw(&self, store: &str, key: &str, value: JsValue) -> Result<()> {
        let tx = self.write(&[store])?;
        let os = tx.object_store(store)?;
        os.put(value).with_key(key).primitive()?.await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads one string value kept in clear.
    pub(crate) async fn get_string(&self, store: &str, key: &str) -> Result<Option<String>> {
        let tx = self.read(&[store])?;
        let os = tx.object_store(store)?;
        let value: Option<JsValue> = os.get(key).primitive()?.await?;
        Ok(value.and_then(|v| v.as_string()))
    }

    /// Writes one string value in clear (only for values that reveal nothing about anyone).
    pub(crate) async fn put_string(&self, store: &str, key: &str, value: &str) -> Result<()> {
        let tx = self.write(&[store])?;
        let os = tx.object_store(store)?;
        os.put(value).with_key(key).primitive()?.await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads an encrypted JSON value; a value that does not decrypt or parse is reported.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>> {
        self.vault()?;
        let Some(raw) = self.get_raw(store, key).await? else {
            return Ok(None);
        };
        let plain = self.unseal(store, key, &raw).await?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| StorageError::Corrupt(format!("{store}/{key} is not readable")))
    }

    /// Writes a JSON value encrypted.
    pub(crate) async fn put_json<T: serde::Serialize>(
        &self,
        store: &str,
        key: &str,
        value: &T,
    ) -> Result<()> {
        let plain = serde_json::to_vec(value).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let sealed = self.seal(store, key, &plain).await?;
        self.put_raw(store, key, sealed).await
    }

    /// Reads a JSON value kept in clear.
    pub(crate) async fn get_clear_json<T: serde::de::DeserializeOwned>(
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

    pub(crate) async fn put_clear_json<T: serde::Serialize>(
        &self,
        store: &str,
        key: &str,
        value: &T,
    ) -> Result<()> {
        let s = serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        self.put_string(store, key, &s).await
    }

    /// Erases everything but the device ids: every record, the session and the wrapped key, so
    /// whatever IndexedDB keeps on disk can never be decrypted again.
    pub async fn wipe_all(&self) -> Result<()> {
        let tx = self.write(&ALL_STORES)?;
        let meta = tx.object_store(META)?;
        let keys: Vec<String> = meta
            .get_all_keys()
            .primitive()?
            .await?
            .collect::<std::result::Result<_, _>>()?;
        for key in keys.iter().filter(|k| !k.starts_with(meta::DEVICE_ID)) {
            meta.delete(key.as_str()).primitive()?.await?;
        }
        for store in ALL_STORES.iter().filter(|s| **s != META) {
            tx.object_store(store)?.clear()?.await?;
        }
        tx.commit().await?;
        Ok(())
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
