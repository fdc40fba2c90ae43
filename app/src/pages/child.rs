//! A child's record on this tablet: details and every observation, newest first.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::ChildId;

use crate::components::{ObservationCard, SignedIn};
use crate::state::use_app;

/// The `:id` route parameter as a child id, if it is one.
pub fn child_param() -> Memo<Option<ChildId>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<ChildId>().ok())
    })
}

#[component]
pub fn ChildRecord() -> impl IntoView {
    view! {
        <SignedIn>
            <ChildView/>
        </SignedIn>
    }
}

#[component]
fn ChildView() -> impl IntoView {
    let app = use_app();
    let child = child_param();

    // The confirmation is set by the form just before navigating here; it is moved into a live
    // region that already exists, so screen readers announce it.
    let saved = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(message) = app.flash.get_untracked() {
            app.flash.set(None);
            saved.set(Some(message));
        }
    });

    let entry = move || {
        child.get().and_then(|c| {
            app.entries
                .with(|es| es.iter().find(|e| e.child_id == c).cloned())
        })
    };
    let view_data = move || {
        app.records_rev.track();
        let c = child.get()?;
        app.engine()?.read(&c)
    };
    let rejection = move || {
        app.records_rev.track();
        app.status.last_sync_ms.track();
        let c = child.get()?;
        app.engine()?.rejection(&c)
    };

    view! {
        {move || match child.get() {
            None => view! {
                <h1>"Record not found"</h1>
                <p><a href="/caseload">"Back to the caseload"</a></p>
            }.into_any(),
            Some(id) => {
                let name = move || entry().map_or_else(|| "Child record".to_owned(), |e| e.display_name);
                view! {
                    <p class="breadcrumb"><a href="/caseload">"Caseload"</a></p>
                    <div class="record-head">
                        <h1 data-testid="child-name">{name}</h1>
                        <a class="button primary" data-testid="new-observation" href=format!("/child/{id}/new")>
                            "New observation"
                        </a>
                    </div>
                    {move || entry().map(|e| view! {
                        <dl class="details child-details">
                            <div><dt>"Date of birth"</dt><dd>{crate::platform::format_occurred(&e.date_of_birth)}</dd></div>
                            <div><dt>"Legal status"</dt><dd>{e.legal_status}</dd></div>
                        </dl>
                    })}
                    <div role="status" aria-live="polite" class="status-region">
                        {move || saved.get().map(|m| view! { <p class="success" data-testid="saved-message">{m}</p> })}
                    </div>
                    {move || rejection().map(|r| view! {
                        <p class="warning" role="alert">{format!("The server did not accept the latest changes to this record: {r}")}</p>
                    })}
                    <h2>"Observations"</h2>
                    {move || match view_data() {
                        None => view! {
                            <p class="notice">"This record is not on this tablet yet. Sync to download it."</p>
                            <ol class="observations" data-testid="observation-list"></ol>
                        }.into_any(),
                        Some(Err(e)) => view! {
                            <p class="error" role="alert">{format!("This record could not be read: {e}")}</p>
                        }.into_any(),
                        Some(Ok(record)) => {
                            let unreadable = record.unreadable;
                            let total = record.observations.len();
                            let items = record.observations.into_iter().rev().map(|obs| view! {
                                <li data-testid="observation-item"><ObservationCard obs/></li>
                            }).collect_view();
                            view! {
                                <p class="hint">{format!("{total} observation{} on this tablet, newest first.", if total == 1 { "" } else { "s" })}</p>
                                {(unreadable > 0).then(|| view! {
                                    <p class="warning">{format!(
                                        "{unreadable} entr{} written by a newer version of Quilt cannot be shown here. Update the app to see the whole record.",
                                        if unreadable == 1 { "y" } else { "ies" }
                                    )}</p>
                                })}
                                <ol class="observations" data-testid="observation-list" reversed>{items}</ol>
                            }.into_any()
                        }
                    }}
                }.into_any()
            }
        }}
    }
}
