//! Pages that change what the server holds (administration, children, core groups): run a
//! call with a fresh token and report its outcome in a live region, and reload a section after
//! a change. The call itself goes through `AppState::online`.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::state::AppState;

/// A reload counter the sections bump after a change.
#[derive(Clone, Copy)]
pub struct Refresh(pub RwSignal<u32>);

impl Refresh {
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
}

/// Runs an administrator's call and reports it: `done` on success, the server's sentence on
/// failure.
pub fn act<T: 'static>(
    app: AppState,
    message: RwSignal<Option<(bool, String)>>,
    done: String,
    call: impl AsyncFnOnce(String) -> Result<T, api::ApiError> + 'static,
    then: impl FnOnce(T) + 'static,
) {
    spawn_local(async move {
        match app.online(call).await {
            Ok(v) => {
                message.set(Some((true, done)));
                then(v);
            }
            Err(e) => message.set(Some((false, e))),
        }
    });
}

/// The outcome of the last action, in a live region.
#[component]
pub fn Outcome(
    message: RwSignal<Option<(bool, String)>>,
    /// Names the region for tests: `outcome-<testid>`.
    #[prop(into)]
    testid: String,
) -> impl IntoView {
    view! {
        <div role="status" aria-live="polite" class="status-region" data-testid=format!("outcome-{testid}")>
            {move || message.get().map(|(ok, m)| view! {
                <p class=if ok { "success" } else { "error" }>{m}</p>
            })}
        </div>
    }
}
