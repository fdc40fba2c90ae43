//! Quilt's client: an offline-first Leptos app practitioners and managers use on tablets.
//!
//! Architecture invariant: every record lives in IndexedDB first; the server is only reached by
//! the `sync` module and by the manager pages' reads: the dashboard and CSV export need a
//! connection; the child overview falls back to the tablet's copy. Supervision records are written
//! locally like observations. The app opens, shows and records with the network gone.

// Every form writes through `AppState::change_record` with a closure returning
// `shared::record::RecordError`, which is only "large" on 64-bit hosts (native clippy); it is
// passed straight to one place that turns it into a sentence, so boxing it at each form is noise.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod components;
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

use crate::state::AppState;
use crate::storage::Store;
use crate::sync::Engine;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    platform::register_service_worker();
    leptos::mount::mount_to_body(App);
}

/// Loading state of the tablet's storage.
#[derive(Debug, Clone, PartialEq)]
enum Boot {
    Loading,
    Ready,
    Failed(String),
}

/// Opens storage, restores the session and every record, then starts syncing.
async fn boot(app: AppState) -> Result<Vec<String>, String> {
    let store = Store::open().await.map_err(|e| e.to_string())?;
    let session = store.session().await.map_err(|e| e.to_string())?;
    let last_sync = store.last_sync_ms().await.map_err(|e| e.to_string())?;
    let (engine, warnings) = Engine::start(store).await?;
    app.entries.set(engine.entries());
    app.status.pending.set(engine.pending());
    app.status.last_sync_ms.set(last_sync);
    app.session.set(session);
    app.set_engine(Rc::new(engine));
    Ok(warnings)
}

#[component]
pub fn App() -> impl IntoView {
    let app = AppState::new();
    provide_context(app);
    let boot_state = RwSignal::new(Boot::Loading);

    spawn_local(async move {
        match boot(app).await {
            Ok(warnings) => {
                if !warnings.is_empty() {
                    app.status.error.set(Some(warnings.join(". ")));
                }
                boot_state.set(Boot::Ready);
                sync::start_triggers(app);
                sync::sync_if_online(app);
            }
            Err(e) => boot_state.set(Boot::Failed(e)),
        }
    });

    move || {
        match boot_state.get() {
        Boot::Loading => view! {
            <main class="boot" id="main">
                <p role="status">"Opening Quilt…"</p>
            </main>
        }
        .into_any(),
        Boot::Failed(e) => view! {
            <main class="boot" id="main">
                <h1>"Quilt could not open"</h1>
                <p role="alert">{e}</p>
                <p>"Records stay in this browser's storage. Close other Quilt tabs and reload the page."</p>
            </main>
        }
        .into_any(),
        Boot::Ready => view! {
            <div class="app" data-testid="app-ready">
                <Router>
                    <Routes fallback=|| view! { <pages::NotFound/> }>
                        <Route path=path!("/") view=pages::Login/>
                        <Route path=path!("/caseload") view=pages::Caseload/>
                        <Route path=path!("/child/:id") view=pages::ChildRecord/>
                        <Route path=path!("/child/:id/new") view=pages::NewObservation/>
                        <Route path=path!("/team") view=pages::Team/>
                        <Route path=path!("/team/child/:id") view=pages::TeamChildOverview/>
                        <Route path=path!("/team/child/:id/supervision") view=pages::NewSupervision/>
                    </Routes>
                </Router>
            </div>
        }
        .into_any(),
    }
    }
}
