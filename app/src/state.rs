//! State shared by every page: the session, the caseload list, sync status and the engine.

use std::rc::Rc;

use leptos::prelude::*;
use shared::api::{CaseloadEntry, LoginResponse, Role};
use shared::record::stamped::Stamp;
use shared::record::{Automerge, RecordError};
use shared::ChildId;

use crate::platform;
use crate::storage::Session;
use crate::sync::{self, Engine, SyncStatus, SIGNED_OUT};

/// Copyable handle on the app's shared state, provided as context by the root component.
#[derive(Debug, Clone, Copy)]
pub struct AppState {
    pub session: RwSignal<Option<Session>>,
    /// Children on this tablet, as the server last described them.
    pub entries: RwSignal<Vec<CaseloadEntry>>,
    /// Bumped whenever any local record changes, so record views re-read.
    pub records_rev: RwSignal<u64>,
    pub status: SyncStatus,
    /// A one-off confirmation for the next page, e.g. "Saved on this tablet".
    pub flash: RwSignal<Option<String>>,
    engine: StoredValue<Option<Rc<Engine>>, LocalStorage>,
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            session: RwSignal::new(None),
            entries: RwSignal::new(Vec::new()),
            records_rev: RwSignal::new(0),
            status: SyncStatus::new(),
            flash: RwSignal::new(None),
            engine: StoredValue::new_local(None),
        }
    }

    pub fn engine(&self) -> Option<Rc<Engine>> {
        self.engine.try_get_value().flatten()
    }

    pub fn set_engine(&self, engine: Rc<Engine>) {
        self.engine.set_value(Some(engine));
    }

    pub fn is_manager(&self) -> bool {
        self.session.with(|s| {
            s.as_ref()
                .is_some_and(|s| matches!(s.user.role, Role::Manager | Role::Admin))
        })
    }

    /// Who is writing, and when: the author of every entry and stamped value.
    pub fn stamp(&self) -> Result<Stamp, String> {
        self.session.with_untracked(|s| {
            s.as_ref()
                .map(|s| Stamp {
                    by: s.user.id.to_string(),
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
        if platform::is_online() {
            sync::request_sync(*self);
        }
        Ok(())
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

    /// The server refused the token: keep every record and the user, drop the token.
    pub async fn token_refused(&self) {
        let had_token = self
            .session
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.token.is_some()));
        if had_token {
            let session = self
                .session
                .get_untracked()
                .map(|s| Session { token: None, ..s });
            if let (Some(session), Some(engine)) = (&session, self.engine()) {
                // If this write fails, the stale token is simply refused again next time.
                let _ = engine.store.put_session(session).await;
            }
            self.session.set(session);
        }
        self.status.error.set(Some(SIGNED_OUT.to_owned()));
    }

    /// Stores a fresh sign-in. Records belonging to a different user are removed first; if that
    /// user still has unsynced changes the sign-in is refused so nothing is lost.
    pub async fn sign_in(&self, login: LoginResponse) -> Result<(), String> {
        let engine = self.engine().ok_or("the app has not finished loading")?;
        let owner = engine.store.owner().await.map_err(|e| e.to_string())?;
        let same_user = owner.as_deref() == Some(login.user.id.as_str());
        if !same_user {
            let pending = engine.pending();
            if owner.is_some() && pending > 0 {
                return Err(format!(
                    "This tablet holds {pending} unsynced change(s) made by another user. \
                     They must sign in and sync before anyone else signs in here."
                ));
            }
            engine
                .store
                .wipe_records()
                .await
                .map_err(|e| e.to_string())?;
            engine.reset();
            self.entries.set(Vec::new());
            self.status.last_sync_ms.set(None);
            self.status.pending.set(0);
            self.records_rev.update(|r| *r += 1);
            engine
                .store
                .put_owner(login.user.id.as_str())
                .await
                .map_err(|e| e.to_string())?;
        }
        let session = Session {
            token: Some(login.token),
            expires_at_ms: login.expires_at_ms,
            user: login.user,
        };
        engine
            .store
            .put_session(&session)
            .await
            .map_err(|e| e.to_string())?;
        self.session.set(Some(session));
        self.status.error.set(None);
        Ok(())
    }

    /// Signs out. Records are removed from the tablet unless they hold unsynced changes, which
    /// stay (unreadable through the app) until the same user signs in and syncs.
    pub async fn sign_out(&self) -> Result<(), String> {
        let engine = self.engine().ok_or("the app has not finished loading")?;
        let token = self.session.get_untracked().and_then(|s| s.token);
        if let Some(token) = token {
            // Best effort: offline, the token simply expires on the server.
            let _ = crate::api::logout(&token).await;
        }
        engine
            .store
            .clear_session()
            .await
            .map_err(|e| e.to_string())?;
        if engine.pending() == 0 {
            engine
                .store
                .wipe_records()
                .await
                .map_err(|e| e.to_string())?;
            engine.reset();
            self.entries.set(Vec::new());
            self.status.last_sync_ms.set(None);
            self.records_rev.update(|r| *r += 1);
        }
        self.session.set(None);
        self.status.error.set(None);
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
