//! The children on this tablet, from the stored caseload.

use leptos::prelude::*;

use crate::components::SignedIn;
use crate::state::use_app;

#[component]
pub fn Caseload() -> impl IntoView {
    view! {
        <SignedIn>
            <CaseloadList/>
        </SignedIn>
    }
}

#[component]
fn CaseloadList() -> impl IntoView {
    let app = use_app();
    let count = move |child: &shared::ChildId| {
        app.records_rev.track();
        app.engine().and_then(|e| e.observation_count(child))
    };
    view! {
        <h1>"Caseload"</h1>
        <Show when=move || app.entries.with(Vec::is_empty)>
            <p class="notice">
                {move || if app.status.online.get() {
                    "No children on this tablet yet. Use “Sync now” to download your caseload."
                } else {
                    "No children on this tablet yet. Connect to the network and sync to download your caseload."
                }}
            </p>
        </Show>
        <ul class="caseload card-list" data-testid="caseload-list">
            <For
                each=move || app.entries.get()
                key=|entry| entry.child_id.clone()
                let(entry)
            >
                {
                    let child = entry.child_id.clone();
                    let href = format!("/child/{child}");
                    let testid = format!("child-link-{child}");
                    view! {
                        <li class="card">
                            <h2 class="card-title">
                                <a href=href data-testid=testid>{entry.display_name.clone()}</a>
                            </h2>
                            <dl class="details">
                                <div><dt>"Date of birth"</dt><dd>{crate::platform::format_occurred(&entry.date_of_birth)}</dd></div>
                                <div><dt>"Legal status"</dt><dd>{entry.legal_status.clone()}</dd></div>
                                <div>
                                    <dt>"Observations on this tablet"</dt>
                                    <dd>{move || count(&child).map_or_else(|| "Not downloaded".to_owned(), |n| n.to_string())}</dd>
                                </div>
                            </dl>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
