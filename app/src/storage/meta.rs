//! Small settings kept in the `meta` store: the session, the device id, the caseload list and
//! the indicators this device used recently (catalogue codes only, never record content).

use serde::{Deserialize, Serialize};
use shared::api::{CaseloadEntry, UserInfo};

use super::{Result, Store, CASELOAD, META};

const SESSION: &str = "session";
const DEVICE_ID: &str = "device_id";
const ACTOR_SUFFIX: &str = "actor_suffix";
const OWNER: &str = "owner";
pub(super) const LAST_SYNC: &str = "last_sync_ms";
const ENTRIES: &str = "entries";
const RECENT_INDICATORS: &str = "recent_indicators";

/// The signed-in user, remembered so the app opens offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `None` once the server refused the token: the user keeps working offline and signs in
    /// again to sync.
    pub token: Option<String>,
    pub expires_at_ms: i64,
    pub user: UserInfo,
}

impl Session {
    /// The token, if it is still worth sending.
    pub fn usable_token(&self, now_ms: f64) -> Option<&str> {
        self.token
            .as_deref()
            .filter(|_| (self.expires_at_ms as f64) > now_ms)
    }
}

impl Store {
    pub async fn session(&self) -> Result<Option<Session>> {
        self.get_json(META, SESSION).await
    }

    pub async fn put_session(&self, session: &Session) -> Result<()> {
        self.put_json(META, SESSION, session).await
    }

    pub async fn clear_session(&self) -> Result<()> {
        self.delete_key(META, SESSION).await
    }

    /// The id of whoever's records are on this tablet, kept after sign-out so a different user
    /// signing in does not inherit them.
    pub async fn owner(&self) -> Result<Option<String>> {
        self.get_string(META, OWNER).await
    }

    pub async fn put_owner(&self, user_id: &str) -> Result<()> {
        self.put_string(META, OWNER, user_id).await
    }

    pub async fn device_id(&self) -> Result<Option<String>> {
        self.get_string(META, DEVICE_ID).await
    }

    pub async fn put_device_id(&self, id: &str) -> Result<()> {
        self.put_string(META, DEVICE_ID, id).await
    }

    /// Records the actor suffix this page load writes with, for tracing a change to a tab.
    pub async fn put_actor_suffix(&self, suffix_hex: &str) -> Result<()> {
        self.put_string(META, ACTOR_SUFFIX, suffix_hex).await
    }

    pub async fn last_sync_ms(&self) -> Result<Option<f64>> {
        Ok(self
            .get_string(META, LAST_SYNC)
            .await?
            .and_then(|s| s.parse::<f64>().ok()))
    }

    pub async fn put_last_sync_ms(&self, ms: f64) -> Result<()> {
        self.put_string(META, LAST_SYNC, &ms.to_string()).await
    }

    /// Indicator codes ticked on this device, most recent first.
    pub async fn recent_indicators(&self) -> Result<Vec<String>> {
        Ok(self
            .get_json(META, RECENT_INDICATORS)
            .await?
            .unwrap_or_default())
    }

    pub async fn put_recent_indicators(&self, codes: &[String]) -> Result<()> {
        self.put_json(META, RECENT_INDICATORS, &codes).await
    }

    pub async fn caseload_entries(&self) -> Result<Vec<CaseloadEntry>> {
        Ok(self.get_json(CASELOAD, ENTRIES).await?.unwrap_or_default())
    }

    pub async fn put_caseload_entries(&self, entries: &[CaseloadEntry]) -> Result<()> {
        self.put_json(CASELOAD, ENTRIES, &entries).await
    }
}
