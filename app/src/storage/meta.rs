//! Small settings kept in the `meta` store: the session, the device id, the wrapped data key,
//! the caseload list and the indicators this device used recently (catalogue codes only).
//!
//! In clear: the device id, the vault header (wrapped key, salt, owner) and the failed-unlock
//! count. Everything else is sealed with the data key.

use serde::{Deserialize, Serialize};
use shared::api::{CaseloadEntry, UserInfo};

use super::{Result, Store, VaultHeader, CASELOAD, META};

const SESSION: &str = "session";
pub(super) const DEVICE_ID: &str = "device_id";
const ACTOR_SUFFIX: &str = "actor_suffix";
const VAULT: &str = "vault";
const FAILED_UNLOCKS: &str = "failed_unlocks";
pub(super) const LAST_SYNC: &str = "last_sync_ms";
const ENTRIES: &str = "entries";
const RECENT_INDICATORS: &str = "recent_indicators";
const SEEN: &str = "seen";
const LOOK: &str = "look";
const AGENCIES: &str = "agencies";
const CONCERNS: &str = "concerns";

/// A concern this user raised on this tablet: what they wrote (sent with the next sync until
/// the server has it) and where it stands, as the server last said (the decision and its
/// date only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalConcern {
    pub submission: shared::api::front_door::ConcernSubmission,
    pub outcome: Option<shared::api::front_door::ConcernOutcome>,
}

impl LocalConcern {
    /// Not yet stored by the server: sent with every sync until it is.
    pub fn unsent(&self) -> bool {
        self.outcome.is_none()
    }
}

/// The signed-in user, remembered (encrypted) so the app opens offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `None` once the server refused the token: the user keeps working offline and signs in
    /// again to sync.
    pub token: Option<String>,
    pub expires_at_ms: i64,
    pub user: UserInfo,
    /// Exchanged for a fresh access token when this one expires; works once.
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub refresh_expires_at_ms: i64,
}

impl Session {
    /// The token, if it is still worth sending.
    pub fn usable_token(&self, now_ms: f64) -> Option<&str> {
        self.token
            .as_deref()
            .filter(|_| (self.expires_at_ms as f64) > now_ms)
    }

    /// The refresh token, if it has not expired.
    pub fn usable_refresh(&self, now_ms: f64) -> Option<&str> {
        self.refresh_token
            .as_deref()
            .filter(|_| (self.refresh_expires_at_ms as f64) > now_ms)
    }

    /// Whether the app can reach the server as this user without asking for the password.
    pub fn can_sync(&self, now_ms: f64) -> bool {
        self.usable_token(now_ms).is_some() || self.usable_refresh(now_ms).is_some()
    }
}

impl Store {
    pub async fn session(&self) -> Result<Option<Session>> {
        self.get_json(META, SESSION).await
    }

    pub async fn put_session(&self, session: &Session) -> Result<()> {
        self.put_json(META, SESSION, session).await
    }

    /// The wrapped data key and its owner, if this tablet holds anyone's data.
    pub async fn vault_header(&self) -> Result<Option<VaultHeader>> {
        self.get_clear_json(META, VAULT).await
    }

    pub async fn put_vault_header(&self, header: &VaultHeader) -> Result<()> {
        self.put_clear_json(META, VAULT, header).await
    }

    /// Unlock attempts with a wrong password since the last good one.
    pub async fn failed_unlocks(&self) -> Result<u32> {
        Ok(self
            .get_string(META, FAILED_UNLOCKS)
            .await?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    pub async fn put_failed_unlocks(&self, n: u32) -> Result<()> {
        self.put_string(META, FAILED_UNLOCKS, &n.to_string()).await
    }

    /// The device id this tablet uses for `username`. Each user of a shared tablet gets their
    /// own, because the server binds a device id to the first user who signs in with it.
    pub async fn device_id(&self, username: &str) -> Result<Option<String>> {
        self.get_string(META, &format!("{DEVICE_ID}:{username}"))
            .await
    }

    pub async fn put_device_id(&self, username: &str, id: &str) -> Result<()> {
        self.put_string(META, &format!("{DEVICE_ID}:{username}"), id)
            .await
    }

    /// Records the actor suffix this page load writes with, for tracing a change to a tab.
    pub async fn put_actor_suffix(&self, suffix_hex: &str) -> Result<()> {
        self.put_string(META, ACTOR_SUFFIX, suffix_hex).await
    }

    pub async fn last_sync_ms(&self) -> Result<Option<f64>> {
        self.get_json(META, LAST_SYNC).await
    }

    pub async fn put_last_sync_ms(&self, ms: f64) -> Result<()> {
        self.put_json(META, LAST_SYNC, &ms).await
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

    /// The partnership's agency directory as last read from the server, for reading offline.
    pub async fn agencies(&self) -> Result<Vec<shared::api::partnership::Agency>> {
        Ok(self.get_json(META, AGENCIES).await?.unwrap_or_default())
    }

    pub async fn put_agencies(&self, agencies: &[shared::api::partnership::Agency]) -> Result<()> {
        self.put_json(META, AGENCIES, &agencies).await
    }

    /// The concerns this user raised here, the latest first (sealed like everything else).
    pub async fn concerns(&self) -> Result<Vec<LocalConcern>> {
        Ok(self.get_json(META, CONCERNS).await?.unwrap_or_default())
    }

    pub async fn put_concerns(&self, concerns: &[LocalConcern]) -> Result<()> {
        self.put_json(META, CONCERNS, &concerns).await
    }

    pub async fn caseload_entries(&self) -> Result<Vec<CaseloadEntry>> {
        Ok(self.get_json(CASELOAD, ENTRIES).await?.unwrap_or_default())
    }

    pub async fn put_caseload_entries(&self, entries: &[CaseloadEntry]) -> Result<()> {
        self.put_json(CASELOAD, ENTRIES, &entries).await
    }

    /// The entries of a child's record this user had seen when they last had it open, by
    /// section (entry ids only, sealed), so the record can say what is new since.
    pub async fn seen(
        &self,
        child: &shared::ChildId,
    ) -> Result<Option<std::collections::BTreeMap<String, Vec<String>>>> {
        self.get_json(META, &format!("{SEEN}:{child}")).await
    }

    pub async fn put_seen(
        &self,
        child: &shared::ChildId,
        seen: &std::collections::BTreeMap<String, Vec<String>>,
    ) -> Result<()> {
        self.put_json(META, &format!("{SEEN}:{child}"), seen).await
    }

    /// What this user saw of a child's record when they last opened it, as entry keys
    /// (`analytics::since::look`, sealed): "new since you last looked" on the caseload and the
    /// record, offline too. `None` if they never opened it here.
    pub async fn look(
        &self,
        child: &shared::ChildId,
    ) -> Result<Option<std::collections::BTreeSet<String>>> {
        self.get_json(META, &format!("{LOOK}:{child}")).await
    }

    pub async fn put_look(
        &self,
        child: &shared::ChildId,
        keys: &std::collections::BTreeSet<String>,
    ) -> Result<()> {
        self.put_json(META, &format!("{LOOK}:{child}"), keys).await
    }
}
