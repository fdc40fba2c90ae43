//! The print view of a child's whole chronology: every item the JSON API lists, unfiltered,
//! with every column a conference or court needs, laid out for paper. Online only, like the
//! manager's overview; nothing of it is cached.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use shared::api::ChronologyResponse;
use shared::ChildId;

use crate::api;
use crate::components::SignedIn;
use crate::platform;
use crate::state::use_app;

#[component]
pub fn PrintChronology() -> impl IntoView {
    let app = use_app();
    let params = use_params_map();
    let loaded = RwSignal::new(None::<Result<ChronologyResponse, String>>);
    Effect::new(move |_| {
        let Some(id) = params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<ChildId>().ok())
        else {
            return;
        };
        spawn_local(async move {
            let page = app
                .online(async |token| {
                    api::get_json::<ChronologyResponse>(
                        &token,
                        &format!("/api/children/{id}/chronology"),
                    )
                    .await
                })
                .await;
            loaded.set(Some(page));
        });
    });
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <SignedIn manager_only=true>
            <main id="main" class="page print-view">
                {move || match loaded.get() {
                    None => view! { <p role="status">"Loading the chronology…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                    Some(Ok(page)) => {
                        let back = format!("/team/child/{}", page.child.child_id);
                        view! {
                            <div class="record-head">
                                <h1>{format!("Chronology: {}", page.child.display_name)}</h1>
                                <div class="head-actions no-print">
                                    <button type="button" class="button" data-testid="print-now" on:click=print>"Print"</button>
                                    <a class="button secondary" href=back>"Back to the record"</a>
                                </div>
                            </div>
                            <p>{format!("{} entries, printed {}", page.total, platform::today_date().dmy())}</p>
                            <ol class="print-chronology" data-testid="print-chronology">
                                {page.entries.into_iter().map(|e| {
                                    let by = [e.author.as_str(), e.agency.as_str(), e.source.as_str()]
                                        .iter().filter(|s| !s.trim().is_empty()).copied().collect::<Vec<_>>().join(", ");
                                    view! {
                                        <li class="print-entry" class:withdrawn=e.withdrawn data-testid="print-entry" data-ref=e.ref_id.clone()>
                                            <h2 class="entry-date">
                                                {platform::format_occurred(&e.date)}
                                                {e.approximate.then_some(" (approx.)")}
                                                " — "{e.kind.label()}
                                            </h2>
                                            <p class="meta">{by}</p>
                                            {e.withdrawn.then(|| view! { <p class="warning">{format!("Withdrawn: {}", e.withdrawn_reason)}</p> })}
                                            <p><strong>{e.headline.clone()}</strong></p>
                                            {(!e.indicators.is_empty()).then(|| view! { <p>{format!("Indicators: {}", e.indicators.join("; "))}</p> })}
                                            {(!e.narrative.trim().is_empty() && e.narrative != e.headline).then(|| view! { <p>{e.narrative.clone()}</p> })}
                                            {(!e.child_words.trim().is_empty()).then(|| view! { <blockquote><p>{format!("In the child's words: {}", e.child_words)}</p></blockquote> })}
                                            {(!e.present.is_empty()).then(|| view! { <p>{format!("Present: {}", e.present.join(", "))}</p> })}
                                            {(!e.action.trim().is_empty()).then(|| view! { <p>{format!("Action: {}", e.action)}</p> })}
                                            {e.amendments.iter().map(|a| view! {
                                                <p class="hint">{format!("Amended: {} corrected to \u{201c}{}\u{201d} by {} ({})", a.field, a.corrected, a.by, a.reason)}</p>
                                            }).collect_view()}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                }}
            </main>
        </SignedIn>
    }
}
