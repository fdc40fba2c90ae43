//! Sign-in. A remembered session skips straight to the caseload, so the app opens offline.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::{self, ApiError};
use crate::platform;
use crate::state::use_app;
use crate::sync;

#[component]
pub fn Login() -> impl IntoView {
    let app = use_app();
    // A session whose token the server refused keeps the user (and their records) but must sign
    // in again before it can sync.
    let has_token = Memo::new(move |_| {
        app.session
            .with(|s| s.as_ref().is_some_and(|s| s.can_sync(platform::now_ms())))
    });
    let remembered = app
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.user.username.clone()));

    let username = RwSignal::new(remembered.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let submit = Action::new_local(move |(user, pass): &(String, String)| {
        let (user, pass) = (user.clone(), pass.clone());
        async move {
            // The session is bound to this device: the server accepts changes only from actors
            // that start with its id.
            let device = app.device_id(&user).await;
            let result = match api::login(&user, &pass, device).await {
                Ok(login) => app.sign_in(login, &pass).await,
                Err(ApiError::Unauthorised(_)) => {
                    Err("The username or password is not right.".to_owned())
                }
                Err(ApiError::Forbidden(_)) => Err(
                    "This tablet is registered to another user on the server. Ask your \
                     administrator before signing in here."
                        .to_owned(),
                ),
                Err(e) => Err(format!("Signing in failed: {e}")),
            };
            match result {
                // The stored session now has a token, which redirects to the caseload.
                Ok(()) => sync::request_sync(app),
                Err(e) => error.set(Some(e)),
            }
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = username.get_untracked().trim().to_owned();
        let pass = password.get_untracked();
        if user.is_empty() || pass.is_empty() {
            error.set(Some("Enter your username and password.".to_owned()));
            return;
        }
        submit.dispatch((user, pass));
    };
    let pending = submit.pending();

    view! {
        {move || has_token.get().then(|| view! { <Redirect path="/caseload"/> })}
        <main id="main" class="page login">
                <h1>"Quilt"</h1>
                <p class="lede">"Sign in to record and sync safeguarding observations."</p>
                {move || app.flash.get().map(|m| view! { <p class="notice" role="alert" data-testid="login-notice">{m}</p> })}
                {remembered.is_some().then(|| view! {
                    <p class="notice">
                        "Signed out: sign in again to sync. Your records stay on this tablet. "
                        <a href="/caseload">"Continue offline"</a>
                    </p>
                })}
                <form class="card login-form" on:submit=on_submit novalidate>
                    <div class="field">
                        <label for="login-username">"Username"</label>
                        <input id="login-username" type="text" data-testid="login-username"
                            autocomplete="username" autocapitalize="none" spellcheck="false" required
                            bind:value=username
                            on:change=move |ev| username.set(event_target_value(&ev))/>
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input id="login-password" type="password" data-testid="login-password"
                            autocomplete="current-password" required
                            bind:value=password
                            on:change=move |ev| password.set(event_target_value(&ev))/>
                    </div>
                    <div role="alert" class="error-region">
                        {move || error.get().map(|e| view! { <p class="error" data-testid="login-error">{e}</p> })}
                    </div>
                    <button type="submit" class="button primary" data-testid="login-submit" disabled=move || pending.get()>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
        </main>
    }
}
