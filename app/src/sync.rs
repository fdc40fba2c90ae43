//! Syncing the whole caseload with the server in one POST, and when to do it.
//!
//! A sync runs on the `online` event, after every save while online, every 60 s while online
//! and from the "Sync now" button. Only one runs at a time; a request made during a sync runs
//! another straight after it, so a save made mid-sync is never left waiting for the timer.

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use shared::validate::Sender;

use crate::api::{self, ApiError};
use crate::engine::Engine;
use crate::platform;
use crate::state::AppState;

/// Rounds per sync while children are still in Automerge's fallback protocol.
const MAX_ROUNDS: usize = 5;
const PERIOD_MS: u32 = 60_000;

/// Starts a sync, or asks the running one to go again when it finishes.
pub fn request_sync(app: AppState) {
    let Some(engine) = app.engine() else { return };
    if engine.running.get() {
        engine.again.set(true);
        return;
    }
    engine.running.set(true);
    app.status.in_progress.set(true);
    spawn_local(async move {
        loop {
            engine.again.set(false);
            run(app, &engine).await;
            if !engine.again.get() {
                break;
            }
        }
        engine.running.set(false);
        app.status.in_progress.set(false);
    });
}

/// Syncs if the tablet is online and someone is signed in; used by the automatic triggers.
pub fn sync_if_online(app: AppState) {
    let online = platform::is_online();
    app.status.online.set(online);
    if online && app.session.with_untracked(Option::is_some) {
        request_sync(app);
    }
}

async fn run(app: AppState, engine: &Engine) {
    // Expired tokens are refreshed here; if that is refused too, the user keeps working and
    // the work waits on the tablet until they sign in again.
    let Some(mut token) = app.access_token().await else {
        return;
    };
    let mut refreshed = false;

    for _ in 0..MAX_ROUNDS {
        let mut request = engine.request();
        match engine.concerns_to_send().await {
            Ok((concerns, awaiting)) => {
                request.concerns = concerns;
                request.awaiting_concerns = awaiting;
            }
            Err(e) => app.status.error.set(Some(format!(
                "Concerns raised on this tablet could not be read to send: {e}"
            ))),
        }
        let response = match api::sync(&token, &request).await {
            Ok(r) => r,
            Err(ApiError::Unauthorised(_)) if !refreshed => {
                // Revoked before its time: try the refresh token once.
                refreshed = true;
                app.access_refused();
                match app.access_token().await {
                    Some(t) => {
                        token = t;
                        continue;
                    }
                    None => return,
                }
            }
            Err(ApiError::Unauthorised(_)) => {
                app.token_refused().await;
                return;
            }
            // Disabled and the grace period over: nothing more is accepted.
            Err(ApiError::AccountDisabled(_)) => {
                app.account_disabled().await;
                return;
            }
            Err(e) => {
                app.status.online.set(platform::is_online());
                app.status.error.set(Some(format!("Sync failed: {e}")));
                return;
            }
        };
        if response.account_disabled {
            // A leaver's last upload was merged. Erase, unless the server could not store
            // some of it just now: then keep it and send it again at the next sync.
            let unstored = response
                .children
                .iter()
                .any(|c| matches!(c.result, shared::sync::ChildResult::Unavailable { .. }));
            if !unstored {
                app.account_disabled().await;
                return;
            }
            app.status.error.set(Some(
                "This account has been disabled. Some changes could not be stored just now;                  Quilt sends them again, then erases this tablet's records."
                    .to_owned(),
            ));
            return;
        }
        let outcome = engine.apply(&response);
        let now = platform::now_ms();
        match engine.store_concern_feedback(&response.concerns).await {
            Ok(true) => app.concerns_rev.update(|r| *r += 1),
            Ok(false) => {}
            Err(e) => app.status.error.set(Some(format!(
                "Synced, but what the front door said of your concerns was not saved: {e}"
            ))),
        }
        let stored = engine.store_outcome(&response, &outcome, now).await;
        app.status.pending.set(engine.pending());
        app.records_rev.update(|r| *r += 1);
        if let Err(e) = stored {
            app.status.error.set(Some(format!(
                "Sync received changes but could not save them on this tablet: {e}"
            )));
            return;
        }
        app.entries.set(response.caseload.clone());
        let recovered = if outcome.rejected.is_empty() {
            Vec::new()
        } else {
            recover(app, engine).await
        };
        if let Err(e) = engine.store.put_last_sync_ms(now).await {
            app.status.error.set(Some(format!(
                "Synced, but the sync time was not saved: {e}"
            )));
        } else if !outcome.unavailable.is_empty() {
            app.status.error.set(Some(
                "The server could not store some records just now. Nothing is lost: \
                 they will be sent again at the next sync."
                    .to_owned(),
            ));
        } else if outcome.rejected.is_empty() {
            app.status.error.set(None);
        } else {
            let names: Vec<String> = outcome
                .rejected
                .iter()
                .map(|(child, reason)| format!("{}: {reason}", app.child_name(child)))
                .collect();
            app.status.error.set(Some(format!(
                "The server did not accept some changes. {}. {}",
                names.join("; "),
                recovered.join(" ")
            )));
        }
        if !recovered.is_empty() {
            // Send the re-issued entries straight away.
            engine.again.set(true);
            return;
        }
        app.status.last_sync_ms.set(Some(now));
        if !outcome.needs_another_round {
            return;
        }
    }
}

/// Rebuilds refused records and re-issues their valid entries; returns a sentence per child.
async fn recover(app: AppState, engine: &Engine) -> Vec<String> {
    let Some(sender) = app.session.with_untracked(|s| {
        s.as_ref().map(|s| Sender {
            user_id: s.user.id.clone(),
            role: s.user.role,
            display_name: s.user.display_name.clone(),
            agency: s.user.agency.clone(),
            actor_prefix: crate::engine::actor_prefix(&engine.device_id),
        })
    }) else {
        return Vec::new();
    };
    let recovered = match engine.recover_rejected(&sender).await {
        Ok(r) => r,
        Err(e) => return vec![format!("Resending the accepted work failed: {e}.")],
    };
    app.status.pending.set(engine.pending());
    app.records_rev.update(|r| *r += 1);
    recovered
        .iter()
        .map(|(child, r)| {
            let mut line = format!(
                "Quilt sent {} item(s) of {}'s record again.",
                r.reissued,
                app.child_name(child)
            );
            for d in &r.dropped {
                line.push_str(&format!(
                    " One {} was not sent: it {}; it is kept on this tablet.",
                    d.map.trim_end_matches('s'),
                    d.reason
                ));
            }
            line
        })
        .collect()
}

/// Syncs whenever the state asks for one ([`AppState::sync_wanted`]: a change saved, the
/// records unlocked). Called from the root component, so the effect lives with the page.
pub fn watch_requests(app: AppState) {
    Effect::watch(
        move || app.sync_wanted.track(),
        move |_, _, _| sync_if_online(app),
        false,
    );
}

/// Registers the automatic triggers: coming online, and a timer while online.
pub fn start_triggers(app: AppState) {
    // The handles are dropped on purpose: these listeners live as long as the page.
    let _ = window_event_listener(leptos::ev::online, move |_| {
        app.status.online.set(true);
        sync_if_online(app);
    });
    let _ = window_event_listener(leptos::ev::offline, move |_| {
        app.status.online.set(false);
    });
    spawn_local(async move {
        loop {
            TimeoutFuture::new(PERIOD_MS).await;
            sync_if_online(app);
        }
    });
}
