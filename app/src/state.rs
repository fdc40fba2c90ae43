//! State shared by every page: the session, the caseload list, sync status and the engine.

use std::rc::Rc;

use leptos::prelude::*;
use shared::api::{CaseloadEntry, LoginResponse, Role};
use shared::record::stamped::Stamp;
use shared::record::{Automerge, RecordError};
use shared::ChildId;

use crate::engine::{self, Engine};
use crate::platform;
use crate::storage::{Session, Store, Vault, VaultError, VaultHeader};

/// Shown when the server no longer accepts the stored token.
pub const SIGNED_OUT: &str = "Signed out: sign in again to sync";

/// What the header shows about syncing.
#[derive(Debug, Clone, Copy)]
pub struct SyncStatus {
    /// Changes on this tablet the server has not acknowledged.
    pub pending: RwSignal<usize>,
    pub last_sync_ms: RwSignal<Option<f64>>,
    pub in_progress: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub online: RwSignal<bool>,
}

impl SyncStatus {
    pub fn new() -> Self {
        SyncStatus {
            pending: RwSignal::new(0),
            last_sync_ms: RwSignal::new(None),
            in_progress: RwSignal::new(false),
            error: RwSignal::new(None),
            online: RwSignal::new(platform::is_online()),
        }
    }
}

impl Default for SyncStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// Wrong passwords in a row at the lock screen before the tablet's records are erased.
pub const MAX_FAILED_UNLOCKS: u32 = 10;

/// Whether the tablet's records can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    /// Storage is still opening.
    Opening,
    /// No one's records are on this tablet: sign in (online) to start.
    NoData,
    /// Records are here, encrypted; the owner's password unlocks them.
    Locked(VaultHeader),
    Unlocked,
}

/// Copyable handle on the app's shared state, provided as context by the root component.
#[derive(Debug, Clone, Copy)]
pub struct AppState {
    pub session: RwSignal<Option<Session>>,
    /// Children on this tablet, as the server last described them.
    pub entries: RwSignal<Vec<CaseloadEntry>>,
    /// Bumped whenever any local record changes, so record views re-read.
    pub records_rev: RwSignal<u64>,
    /// Bumped when the concerns raised here, or what the front door said of them, change.
    pub concerns_rev: RwSignal<u64>,
    pub status: SyncStatus,
    /// Notified when the tablet should sync if it can (a change saved, records unlocked);
    /// `sync` watches it, so the state never calls the scheduler.
    pub sync_wanted: Trigger,
    /// A one-off confirmation for the next page, e.g. "Saved on this tablet".
    pub flash: RwSignal<Option<String>>,
    /// Seconds until the idle lock, while it is less than a minute away.
    pub locking_in: RwSignal<Option<u32>>,
    pub lock: RwSignal<Lock>,
    /// The tablet's database, open but locked until the password unlocks it.
    store: StoredValue<Option<Store>, LocalStorage>,
    engine: StoredValue<Option<Rc<Engine>>, LocalStorage>,
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            session: RwSignal::new(None),
            entries: RwSignal::new(Vec::new()),
            records_rev: RwSignal::new(0),
            concerns_rev: RwSignal::new(0),
            status: SyncStatus::new(),
            sync_wanted: Trigger::new(),
            flash: RwSignal::new(None),
            locking_in: RwSignal::new(None),
            lock: RwSignal::new(Lock::Opening),
            store: StoredValue::new_local(None),
            engine: StoredValue::new_local(None),
        }
    }

    /// This tablet's device id for `username`, which their sessions are bound to.
    pub async fn device_id(&self, username: &str) -> Option<shared::DeviceId> {
        engine::device_id(&self.store()?, username).await.ok()
    }

    pub fn store(&self) -> Option<Store> {
        self.store.try_get_value().flatten()
    }

    /// The unlocked store, for values sealed with the data key; `None` while locked.
    pub fn unlocked_store(&self) -> Option<Store> {
        self.engine().map(|e| e.store.clone())
    }

    /// Opens the tablet's database and finds out whether it holds records to unlock.
    pub async fn open_storage(&self) -> Result<(), String> {
        let store = Store::open().await.map_err(|e| e.to_string())?;
        let header = store.vault_header().await.map_err(|e| e.to_string())?;
        self.store.set_value(Some(store));
        self.lock.set(header.map_or(Lock::NoData, Lock::Locked));
        Ok(())
    }

    pub fn engine(&self) -> Option<Rc<Engine>> {
        self.engine.try_get_value().flatten()
    }

    pub fn set_engine(&self, engine: Rc<Engine>) {
        self.engine.set_value(Some(engine));
    }

    /// The signed-in user's role (tracked), if anyone is signed in.
    pub fn role(&self) -> Option<Role> {
        self.session.with(|s| s.as_ref().map(|s| s.user.role))
    }

    /// A team manager: the team pages. (Administrators manage accounts, not records.)
    pub fn is_manager(&self) -> bool {
        self.role() == Some(Role::Manager)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// A call to the server with a fresh access token, its failure as a sentence for the
    /// person (a disabled account erases the tablet here, as in a sync).
    pub async fn online<T>(
        &self,
        call: impl AsyncFnOnce(String) -> Result<T, crate::api::ApiError>,
    ) -> Result<T, String> {
        use crate::api::ApiError;
        if !platform::is_online() {
            return Err("This needs a connection to the server; the tablet is offline.".into());
        }
        let Some(token) = self.access_token().await else {
            return Err("Sign in again to reach the server.".into());
        };
        match call(token).await {
            Ok(v) => Ok(v),
            Err(ApiError::AccountDisabled(_)) => {
                self.account_disabled().await;
                Err("This account has been disabled.".into())
            }
            Err(ApiError::Unauthorised(_)) => {
                self.access_refused();
                Err("The server asked to sign in again; try once more.".into())
            }
            Err(e) => Err(platform::sentence(&e.to_string())),
        }
    }

    /// The partnership's thresholds and practice standards, as the server sent them at
    /// sign-in (the defaults before then), so the tablet's flags are the server's.
    pub fn thresholds(&self) -> shared::analytics::Thresholds {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.user.thresholds))
            .unwrap_or_default()
    }

    /// The signed-in user's agency, which their visits and challenges are recorded under.
    pub fn agency(&self) -> String {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.user.agency.clone()))
            .unwrap_or_default()
    }

    /// The signed-in user's id, if anyone is signed in.
    pub fn user_id(&self) -> Option<String> {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.user.id.to_string()))
    }

    /// The child's date of birth, as the caseload lists it.
    pub fn born(&self, child: &ChildId) -> Option<shared::calendar::Date> {
        self.entries.with_untracked(|es| {
            es.iter()
                .find(|e| &e.child_id == child)
                .and_then(|e| e.date_of_birth.parse().ok())
        })
    }

    /// Who is writing, and when: the author of every entry and stamped value.
    pub fn stamp(&self) -> Result<Stamp, String> {
        self.session.with_untracked(|s| {
            s.as_ref()
                .map(|s| Stamp {
                    by: s.user.id.clone(),
                    by_name: s.user.display_name.clone(),
                    at_ms: platform::now_ms() as i64,
                })
                .ok_or_else(|| "You are signed out. Sign in again to record.".to_owned())
        })
    }

    /// Writes to a child's local record the way every form does: the change goes into the
    /// document, is saved on the tablet as one incremental chunk, record views re-read, and a
    /// sync starts if the tablet is online. Errors are sentences for the person.
    pub async fn change_record(
        &self,
        child: &ChildId,
        change: impl FnOnce(&mut Automerge) -> Result<(), RecordError>,
    ) -> Result<(), String> {
        let engine = self.engine().ok_or("The app has not finished loading.")?;
        let result = engine.change(child, change).await;
        // Even a failed disk write may have changed the record in memory.
        self.status.pending.set(engine.pending());
        self.records_rev.update(|r| *r += 1);
        result.map_err(|e| platform::sentence(&e))?;
        self.sync_wanted.notify();
        Ok(())
    }

    /// Keeps a concern raised on this tablet (sealed) and sends it at the next sync.
    pub async fn raise_concern(
        &self,
        submission: shared::api::front_door::ConcernSubmission,
    ) -> Result<(), String> {
        submission
            .validate()
            .map_err(|e| platform::sentence(&e.to_string()))?;
        let store = self
            .unlocked_store()
            .ok_or("The app has not finished loading.")?;
        let mut kept = store.concerns().await.map_err(|e| e.to_string())?;
        kept.insert(
            0,
            crate::storage::LocalConcern {
                submission,
                outcome: None,
            },
        );
        store
            .put_concerns(&kept)
            .await
            .map_err(|e| platform::sentence(&e.to_string()))?;
        self.concerns_rev.update(|r| *r += 1);
        self.sync_wanted.notify();
        Ok(())
    }

    /// Whether the signed-in user works the front door.
    pub fn is_front_door(&self) -> bool {
        self.session
            .with(|s| s.as_ref().is_some_and(|s| s.user.front_door))
    }

    /// The child's name as the caseload knows it, or a neutral stand-in.
    pub fn child_name(&self, child: &ChildId) -> String {
        self.entries.with_untracked(|entries| {
            entries
                .iter()
                .find(|e| &e.child_id == child)
                .map_or_else(|| "a child".to_owned(), |e| e.display_name.clone())
        })
    }

    /// An access token for the server, refreshing it with the refresh token when it has
    /// expired. `None` when the user must sign in again (or the server is unreachable).
    pub async fn access_token(&self) -> Option<String> {
        let now = platform::now_ms();
        let session = self.session.get_untracked()?;
        if let Some(token) = session.usable_token(now) {
            return Some(token.to_owned());
        }
        let Some(refresh) = session.usable_refresh(now).map(str::to_owned) else {
            self.token_refused().await;
            return None;
        };
        match crate::api::refresh(&refresh).await {
            Ok(login) => {
                let renewed = Session {
                    token: Some(login.token),
                    expires_at_ms: login.expires_at_ms,
                    // The same user; the partnership's practice settings as they are now.
                    user: shared::api::UserInfo {
                        thresholds: login.user.thresholds,
                        ..session.user
                    },
                    refresh_token: Some(login.refresh_token),
                    refresh_expires_at_ms: login.refresh_expires_at_ms,
                };
                if let Some(engine) = self.engine() {
                    // If this write fails the new refresh token is lost with the page; the user
                    // then signs in again, and nothing unsynced is lost.
                    let _ = engine.store.put_session(&renewed).await;
                }
                let token = renewed.token.clone();
                self.session.set(Some(renewed));
                token
            }
            Err(crate::api::ApiError::Unauthorised(_)) => {
                self.token_refused().await;
                None
            }
            Err(crate::api::ApiError::AccountDisabled(_)) => {
                self.account_disabled().await;
                None
            }
            Err(_) => {
                self.status.online.set(platform::is_online());
                None
            }
        }
    }

    /// The access token was refused although it had not expired (revoked on the server): the
    /// next call tries the refresh token.
    pub fn access_refused(&self) {
        self.session.update(|s| {
            if let Some(s) = s {
                s.token = None;
            }
        });
    }

    /// The server refused every token: keep every record and the user, drop the tokens. The
    /// work waits on the tablet until the user signs in again.
    pub async fn token_refused(&self) {
        let had_token = self.session.with_untracked(|s| {
            s.as_ref()
                .is_some_and(|s| s.token.is_some() || s.refresh_token.is_some())
        });
        if had_token {
            let session = self.session.get_untracked().map(|s| Session {
                token: None,
                refresh_token: None,
                ..s
            });
            if let (Some(session), Some(engine)) = (&session, self.engine()) {
                // If this write fails, the stale tokens are simply refused again next time.
                let _ = engine.store.put_session(session).await;
            }
            self.session.set(session);
        }
        self.status.error.set(Some(SIGNED_OUT.to_owned()));
    }

    /// Stores a fresh sign-in made with `password`. On a tablet with no data a new data key is
    /// made; the same user's data key is wrapped again under this password (it may have
    /// changed); another user's records are erased first, unless they hold unsynced changes,
    /// in which case the sign-in is refused so nothing is lost.
    pub async fn sign_in(&self, login: LoginResponse, password: &str) -> Result<(), String> {
        let store = self.store().ok_or("the app has not finished loading")?;
        let header = store.vault_header().await.map_err(|e| e.to_string())?;
        let user_id = login.user.id.to_string();
        let same_user = header.as_ref().is_some_and(|h| h.user_id == user_id);
        let engine = self.engine();
        let vault = match (&header, &engine) {
            (Some(header), _) if same_user => match &engine {
                Some(engine) => engine.store.vault().map_err(|e| e.to_string())?.clone(),
                None => Vault::unlock(header, password).await.map_err(|_| {
                    "This tablet's records are locked with the password you used before. \
                     Unlock them with that password first."
                        .to_owned()
                })?,
            },
            (Some(_), Some(engine)) if engine.pending() > 0 => {
                return Err(format!(
                    "This tablet holds {} unsynced change(s) made by another user. \
                     They must sign in and sync before anyone else signs in here.",
                    engine.pending()
                ));
            }
            (Some(_), None) => {
                return Err(
                    "This tablet holds another user's records. They must unlock, sync and \
                     sign out before anyone else signs in here."
                        .to_owned(),
                );
            }
            (Some(_), Some(_)) | (None, _) => {
                store.wipe_all().await.map_err(|e| e.to_string())?;
                Vault::create().await.map_err(|e| e.to_string())?
            }
        };
        let new_header = vault
            .wrap(password, &user_id, &login.user.username)
            .await
            .map_err(|e| e.to_string())?;
        store
            .put_vault_header(&new_header)
            .await
            .map_err(|e| e.to_string())?;
        store
            .put_failed_unlocks(0)
            .await
            .map_err(|e| e.to_string())?;
        let unlocked = store.unlocked(vault);
        let session = Session {
            token: Some(login.token),
            expires_at_ms: login.expires_at_ms,
            user: login.user,
            refresh_token: Some(login.refresh_token).filter(|t| !t.is_empty()),
            refresh_expires_at_ms: login.refresh_expires_at_ms,
        };
        unlocked
            .put_session(&session)
            .await
            .map_err(|e| e.to_string())?;
        if !(same_user && engine.is_some()) {
            self.open(unlocked).await?;
        }
        self.session.set(Some(session));
        self.status.error.set(None);
        Ok(())
    }

    /// Unlocks the tablet's records with the password. Ten wrong passwords in a row erase them.
    pub async fn unlock(&self, password: &str) -> Result<(), String> {
        let store = self.store().ok_or("the app has not finished loading")?;
        let Some(header) = store.vault_header().await.map_err(|e| e.to_string())? else {
            self.lock.set(Lock::NoData);
            return Err("There is nothing to unlock on this tablet. Sign in.".to_owned());
        };
        match Vault::unlock(&header, password).await {
            Ok(vault) => {
                store
                    .put_failed_unlocks(0)
                    .await
                    .map_err(|e| e.to_string())?;
                self.open(store.unlocked(vault)).await
            }
            Err(VaultError::WrongPassword) => {
                let failed = store.failed_unlocks().await.unwrap_or(0) + 1;
                if failed >= MAX_FAILED_UNLOCKS {
                    store.wipe_all().await.map_err(|e| e.to_string())?;
                    let message = format!(
                        "{MAX_FAILED_UNLOCKS} wrong passwords: Quilt has erased this tablet's \
                         records. Sign in while online to start again."
                    );
                    self.flash.set(Some(message.clone()));
                    self.lock.set(Lock::NoData);
                    return Err(message);
                }
                store
                    .put_failed_unlocks(failed)
                    .await
                    .map_err(|e| e.to_string())?;
                let left = MAX_FAILED_UNLOCKS - failed;
                Err(format!(
                    "The password is not right. After {left} more wrong attempt(s) this \
                     tablet's records will be erased."
                ))
            }
            Err(e) => Err(platform::sentence(&e.to_string())),
        }
    }

    /// Loads everything from an unlocked store and starts syncing.
    async fn open(&self, store: Store) -> Result<(), String> {
        let session = store.session().await.map_err(|e| e.to_string())?;
        let last_sync = store.last_sync_ms().await.map_err(|e| e.to_string())?;
        let username = match (&session, store.vault_header().await) {
            (Some(s), _) => s.user.username.clone(),
            (None, Ok(Some(header))) => header.username,
            _ => return Err("this tablet's records have no owner".to_owned()),
        };
        let (engine, warnings) = Engine::start(store, &username).await?;
        self.entries.set(engine.entries());
        self.status.pending.set(engine.pending());
        self.status.last_sync_ms.set(last_sync);
        self.session.set(session);
        self.set_engine(Rc::new(engine));
        self.records_rev.update(|r| *r += 1);
        if !warnings.is_empty() {
            self.status.error.set(Some(warnings.join(". ")));
        }
        self.lock.set(Lock::Unlocked);
        self.sync_wanted.notify();
        Ok(())
    }

    /// Locks now: reloading drops the data key and every decrypted record from memory, and
    /// the app opens at the lock screen (from the service worker when offline).
    pub fn lock_now(&self) {
        platform::reload("");
    }

    /// Changes on this tablet not yet synced; signing out erases them.
    pub fn unsynced(&self) -> usize {
        self.engine().map_or(0, |e| e.pending())
    }

    /// The server says this account is disabled (a leaver): erase every record, draft, key and
    /// token on this tablet, and open the sign-in page saying why. Whatever the server would
    /// still accept was sent first (`sync::run`).
    pub async fn account_disabled(&self) {
        if let Some(store) = self.store() {
            // If erasing fails the page still reloads; the next contact erases again.
            let _ = store.wipe_all().await;
        }
        platform::reload("/?notice=account-disabled");
    }

    /// Signs out and erases this tablet's records, session and data key. The caller has warned
    /// about (and had confirmed) any unsynced changes.
    pub async fn sign_out(&self) -> Result<(), String> {
        let store = self.store().ok_or("the app has not finished loading")?;
        let token = self.session.get_untracked().and_then(|s| s.token);
        if let Some(token) = token {
            // Best effort: offline, the tokens simply expire on the server.
            let _ = crate::api::logout(&token).await;
        }
        store.wipe_all().await.map_err(|e| e.to_string())?;
        // A fresh page holds nothing of the erased records in memory either.
        platform::reload("/");
        Ok(())
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_app() -> AppState {
    expect_context::<AppState>()
}
