//! The partnership's agency directory: each agency's part, remit, contact route and what it
//! can and cannot do ("find out about the agencies you work with"). Read from the server when
//! online and kept sealed on the tablet, so it opens offline too.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::partnership::Agency;

use crate::api;
use crate::components::SignedIn;
use crate::state::use_app;

#[component]
pub fn Agencies() -> impl IntoView {
    let app = use_app();
    let agencies = RwSignal::new(Vec::<Agency>::new());
    let note = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Some(store) = app.unlocked_store() {
            if let Ok(kept) = store.agencies().await {
                agencies.set(kept);
            }
        }
        match app
            .online(async |token| api::get_json::<Vec<Agency>>(&token, "/api/agencies").await)
            .await
        {
            Ok(fresh) => {
                if let Some(store) = app.unlocked_store() {
                    // Kept for offline reading; if this fails the page still shows it now.
                    let _ = store.put_agencies(&fresh).await;
                }
                agencies.set(fresh);
                note.set(None);
            }
            Err(e) => note.set(Some(format!("Showing the directory as last synced. {e}"))),
        }
    });
    view! {
        <SignedIn>
            <h1>"Agencies"</h1>
            <p class="lede">"Who does what in this partnership, and how to reach them about a child."</p>
            {move || note.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <Show when=move || agencies.with(Vec::is_empty)>
                <p>"No agencies are listed yet. Your administrator adds them."</p>
            </Show>
            <ul class="card-list" data-testid="agency-list">
                <For each=move || agencies.get() key=|a| (a.id.clone(), a.name.clone(), a.remit.clone(), a.contact.clone(), a.can_do.clone(), a.cannot_do.clone()) let:a>
                    <li class="card" data-testid=format!("agency-{}", a.id)>
                        <h2>{a.name.clone()}</h2>
                        <p class="hint">{a.kind.clone()}</p>
                        <dl class="facts">
                            <dt>"Remit"</dt><dd>{a.remit.clone()}</dd>
                            <dt>"Contact"</dt><dd>{a.contact.clone()}</dd>
                            <dt>"Can do"</dt><dd>{a.can_do.clone()}</dd>
                            <dt>"Cannot do"</dt><dd>{a.cannot_do.clone()}</dd>
                        </dl>
                    </li>
                </For>
            </ul>
        </SignedIn>
    }
}
