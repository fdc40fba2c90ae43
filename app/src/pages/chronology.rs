//! A child's chronology for managers: every author's entries in one list, in date order,
//! printable for conferences and courts.

use leptos::prelude::*;
use shared::chronology::ChronologyEntry;

use crate::api;
use crate::components::SignedIn;
use crate::pages::child::child_param;
use crate::pages::team::with_token;
use crate::platform;
use crate::state::use_app;

#[component]
pub fn TeamChronology() -> impl IntoView {
    view! {
        <SignedIn manager_only=true>
            <ChronologyView/>
        </SignedIn>
    }
}

#[component]
fn ChronologyView() -> impl IntoView {
    let app = use_app();
    let child = child_param();
    let data = LocalResource::new(move || {
        let child = child.get();
        async move {
            let child = child.ok_or("This record does not exist.")?;
            with_token(
                app,
                |token| async move { api::chronology(&token, &child).await },
            )
            .await
        }
    });
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };

    view! {
        <p class="breadcrumb no-print"><a href="/team">"Team caseload"</a></p>
        {move || match data.get() {
            None => view! { <p role="status">"Loading the chronology…"</p> }.into_any(),
            Some(Err(e)) => view! { <h1>"Chronology"</h1><p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(chronology)) => {
                let mut entries = chronology.entries;
                entries.sort_by(|a, b| {
                    (a.occurred.as_str(), a.recorded_at_ms, a.observation_id.as_str())
                        .cmp(&(b.occurred.as_str(), b.recorded_at_ms, b.observation_id.as_str()))
                });
                let total = entries.len();
                view! {
                    <div class="record-head">
                        <h1>{format!("Chronology: {}", chronology.child.display_name)}</h1>
                        <button type="button" class="button secondary no-print" on:click=print>"Print"</button>
                    </div>
                    <dl class="details child-details">
                        <div><dt>"Date of birth"</dt><dd>{platform::format_occurred(&chronology.child.date_of_birth)}</dd></div>
                        <div><dt>"Legal status"</dt><dd>{chronology.child.legal_status.clone()}</dd></div>
                        <div><dt>"Entries"</dt><dd>{total}</dd></div>
                    </dl>
                    <ol class="chronology" data-testid="chronology">
                        {entries.into_iter().map(entry).collect_view()}
                    </ol>
                }.into_any()
            }
        }}
    }
}

fn entry(e: ChronologyEntry) -> impl IntoView {
    view! {
        <li class="chronology-entry" data-testid="chronology-entry">
            <article>
                <h2 class="entry-date">
                    {platform::format_occurred(&e.occurred)}
                    {e.occurred_approx.then(|| view! { " " <span class="approx">"approx."</span> })}
                </h2>
                <p class="observation-meta">
                    <span class="author">{e.author_name}</span>", "
                    <span class="agency">{e.agency}</span>
                    <span class="visually-hidden">". Source: "</span>
                    <span class="source-label">{e.source}</span>
                </p>
                {(!e.headline.is_empty()).then(|| view! { <p class="headline">{e.headline.clone()}</p> })}
                {(!e.indicators.is_empty()).then(|| view! {
                    <ul class="indicator-tags" aria-label="Indicators">
                        {e.indicators.into_iter().map(|i| view! { <li class="tag">{i}</li> }).collect_view()}
                    </ul>
                })}
                {(!e.narrative.trim().is_empty() && e.narrative.trim() != e.headline).then(|| view! {
                    <p class="narrative">{e.narrative}</p>
                })}
                {(!e.child_words.trim().is_empty()).then(|| view! {
                    <figure class="child-words">
                        <figcaption>"In the child's own words"</figcaption>
                        <blockquote><p>{e.child_words}</p></blockquote>
                    </figure>
                })}
            </article>
        </li>
    }
}
