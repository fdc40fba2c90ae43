//! The lock screen: shown on start and after idle time whenever this tablet holds records.
//! The owner's password unlocks them offline; ten wrong passwords erase them.

use leptos::prelude::*;

use crate::state::{use_app, Lock};
use crate::storage::VaultHeader;

#[component]
pub fn Unlock(header: VaultHeader) -> impl IntoView {
    let app = use_app();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let confirming_erase = RwSignal::new(false);

    let submit = Action::new_local(move |pass: &String| {
        let pass = pass.clone();
        async move {
            if let Err(e) = app.unlock(&pass).await {
                password.set(String::new());
                error.set(Some(e));
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pass = password.get_untracked();
        if pass.is_empty() {
            error.set(Some("Enter your password.".to_owned()));
            return;
        }
        submit.dispatch(pass);
    };
    let pending = submit.pending();

    let erase = Action::new_local(move |_: &()| async move {
        let Some(store) = app.store() else { return };
        match store.wipe_all().await {
            Ok(()) => app.lock.set(Lock::NoData),
            Err(e) => error.set(Some(format!("Erasing failed: {e}"))),
        }
    });

    let username = header.username.clone();
    view! {
        <main id="main" class="page login" data-testid="lock-screen">
            <h1>"Quilt is locked"</h1>
            <p class="lede">
                "Records on this tablet are encrypted. "
                <strong>{username.clone()}</strong>
                ", enter your password to unlock them. This works without a connection."
            </p>
            <form class="card login-form" on:submit=on_submit novalidate>
                <div class="field">
                    <label for="unlock-password">"Password"</label>
                    <input id="unlock-password" type="password" data-testid="unlock-password"
                        autocomplete="current-password" required bind:value=password
                            on:change=move |ev| password.set(event_target_value(&ev))/>
                </div>
                <div role="alert" class="error-region">
                    {move || error.get().map(|e| view! { <p class="error" data-testid="unlock-error">{e}</p> })}
                </div>
                <button type="submit" class="button primary" data-testid="unlock-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Unlocking…" } else { "Unlock" }}
                </button>
            </form>
            <section class="card">
                <h2>"Not " {username}"?"</h2>
                <Show
                    when=move || confirming_erase.get()
                    fallback=move || view! {
                        <button type="button" class="button secondary" data-testid="unlock-erase"
                            on:click=move |_| confirming_erase.set(true)>
                            "Erase this tablet's Quilt records and sign in"
                        </button>
                    }
                >
                    <p class="warning" role="alert">
                        "Anything recorded on this tablet that has not synced will be lost for good."
                    </p>
                    <button type="button" class="button danger" data-testid="erase-confirm"
                        on:click=move |_| { erase.dispatch(()); }>
                        "Erase and continue"
                    </button>
                    <button type="button" class="button secondary" on:click=move |_| confirming_erase.set(false)>
                        "Keep the records"
                    </button>
                </Show>
            </section>
        </main>
    }
}
