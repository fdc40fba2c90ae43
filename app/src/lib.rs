//! Quilt's client: an offline-first Leptos app practitioners and managers use on tablets.
//!
//! Architecture invariant: every record lives in IndexedDB first; the server is only reached by
//! the `sync` module and by the manager pages' reads: the dashboard and CSV export need a
//! connection; the child overview falls back to the tablet's copy. Supervision records are written
//! locally like observations. The app opens, shows and records with the network gone.
//!
//! Everything stored is encrypted (`storage::vault`); the app starts locked and locks itself
//! after idle time, and the owner's password unlocks it offline.

// Every form writes through `AppState::change_record` with a closure returning
// `shared::record::RecordError`, which is only "large" on 64-bit hosts (native clippy); it is
// passed straight to one place that turns it into a sentence, so boxing it at each form is noise.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod components;
pub mod engine;
pub mod pages;
pub mod platform;
pub mod state;
pub mod storage;
pub mod sync;

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::{use_app, AppState, Lock};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    platform::register_service_worker();
    leptos::mount::mount_to_body(App);
}

/// Time without a touch, click or key press before the app locks itself.
const IDLE_LOCK_MS: f64 = 15.0 * 60_000.0;

/// How long before the idle lock the app warns that it is coming.
const IDLE_WARNING_MS: f64 = 60_000.0;

/// The idle lock's delay. A test may shorten it (never lengthen it) with the
/// `quilt.idle_lock_seconds` setting in `localStorage`, which holds nothing about anyone.
fn idle_lock_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("quilt.idle_lock_seconds").ok().flatten())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(IDLE_LOCK_MS, |s| (s * 1000.0).clamp(5_000.0, IDLE_LOCK_MS))
}

/// Locks the app after [`idle_lock_ms`] without input while it is unlocked, warning a minute
/// before (or, for a shorter delay, half of it before); any input puts the lock off again.
fn start_idle_lock(app: AppState) {
    let last_input = Rc::new(std::cell::Cell::new(platform::now_ms()));
    for event in ["pointerdown", "keydown", "touchstart", "wheel"] {
        let last_input = last_input.clone();
        let handler = Closure::<dyn Fn()>::new(move || {
            last_input.set(platform::now_ms());
            if app.locking_in.get_untracked().is_some() {
                app.locking_in.set(None);
            }
        });
        if let Some(window) = web_sys::window() {
            // Passive, capturing listeners that live as long as the page.
            let _ = window.add_event_listener_with_callback_and_bool(
                event,
                handler.as_ref().unchecked_ref(),
                true,
            );
        }
        handler.forget();
    }
    let limit = idle_lock_ms();
    let warn_from = limit - IDLE_WARNING_MS.min(limit / 2.0);
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(1_000).await;
            if app.lock.get_untracked() != Lock::Unlocked {
                continue;
            }
            let idle = platform::now_ms() - last_input.get();
            if idle > limit {
                app.locking_in.set(None);
                app.lock_now();
            } else if idle > warn_from {
                app.locking_in
                    .set(Some(((limit - idle) / 1000.0).ceil() as u32));
            }
        }
    });
}

/// The warning that the idle lock is coming.
#[component]
fn IdleWarning() -> impl IntoView {
    let app = use_app();
    move || {
        app.locking_in.get().map(|s| {
            view! {
                <div class="idle-warning" role="alert" data-testid="idle-warning">
                    {format!("Quilt locks in {s} seconds because nothing has been touched. Touch the screen or press a key to keep working; anything typed is kept.")}
                </div>
            }
        })
    }
}

/// Which screen the whole app shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Opening,
    Locked,
    /// Signing in (no data on the tablet) or working (unlocked).
    App,
}

#[component]
pub fn App() -> impl IntoView {
    let app = AppState::new();
    provide_context(app);
    let failed = RwSignal::new(None::<String>);
    sync::watch_requests(app);

    spawn_local(async move {
        match app.open_storage().await {
            Ok(()) => {
                sync::start_triggers(app);
                start_idle_lock(app);
            }
            Err(e) => failed.set(Some(e)),
        }
    });

    let screen = Memo::new(move |_| match app.lock.get() {
        Lock::Opening => Screen::Opening,
        Lock::Locked(_) => Screen::Locked,
        Lock::NoData | Lock::Unlocked => Screen::App,
    });

    move || {
        if let Some(e) = failed.get() {
            return view! {
                <main class="boot" id="main">
                    <h1>"Quilt could not open"</h1>
                    <p role="alert">{e}</p>
                    <p>"Records stay in this browser's storage. Close other Quilt tabs and reload the page."</p>
                </main>
            }
            .into_any();
        }
        match screen.get() {
            Screen::Opening => view! {
                <main class="boot" id="main">
                    <p role="status">"Opening Quilt…"</p>
                </main>
            }
            .into_any(),
            Screen::Locked => match app.lock.get_untracked() {
                Lock::Locked(header) => view! { <pages::Unlock header/> }.into_any(),
                _ => ().into_any(),
            },
            Screen::App => view! {
                <div class="app" data-testid="app-ready">
                    <IdleWarning/>
                    <Router>
                        <Routes fallback=|| view! { <pages::NotFound/> }>
                            <Route path=path!("/") view=pages::Login/>
                            <Route path=path!("/caseload") view=pages::Caseload/>
                            <Route path=path!("/child/:id") view=pages::ChildRecord/>
                            <Route path=path!("/child/:id/new") view=pages::NewObservation/>
                            <Route path=path!("/team") view=pages::Team/>
                            <Route path=path!("/team/child/:id") view=pages::TeamChildOverview/>
                            <Route path=path!("/team/child/:id/supervision") view=pages::NewSupervision/>
                            <Route path=path!("/team/child/:id/group") view=pages::CoreGroupPage/>
                            <Route path=path!("/team/child/:id/print") view=pages::PrintChronology/>
                            <Route path=path!("/children") view=pages::Children/>
                            <Route path=path!("/admin") view=pages::Admin/>
                            <Route path=path!("/agencies") view=pages::Agencies/>
                            <Route path=path!("/concerns") view=pages::Concerns/>
                            <Route path=path!("/front-door") view=pages::FrontDoor/>
                        </Routes>
                    </Router>
                </div>
            }
            .into_any(),
        }
    }
}
