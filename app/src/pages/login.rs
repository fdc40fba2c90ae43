//! Sign-in. A remembered session skips straight to the caseload, so the app opens offline.
//! A first sign-in (or one after an administrator's reset) chooses the user's own password
//! before anything is stored; a disabled account's sign-in erases that user's records here.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use shared::api::LoginResponse;

use crate::api::{self, ApiError};
use crate::components::form::TextInput;
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
    // A sign-in whose password an administrator set, and that password, while a new one is chosen.
    let changing = RwSignal::new(None::<(LoginResponse, String)>);
    let disabled_notice = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.contains("notice=account-disabled"));

    let submit = Action::new_local(move |(user, pass): &(String, String)| {
        let (user, pass) = (user.clone(), pass.clone());
        async move {
            // The session is bound to this device: the server accepts changes only from actors
            // that start with its id.
            let device = app.device_id(&user).await;
            let result = match api::login(&user, &pass, device).await {
                Ok(login) if login.must_change_password => {
                    changing.set(Some((login, pass)));
                    return;
                }
                Ok(login) => app.sign_in(login, &pass).await,
                Err(ApiError::AccountDisabled(_)) => {
                    // The password was right, so this user's records on this tablet go.
                    let owner = match app.store() {
                        Some(store) => store.vault_header().await.ok().flatten(),
                        None => None,
                    };
                    if owner.is_some_and(|h| h.username == user) {
                        if let Some(store) = app.store() {
                            let _ = store.wipe_all().await;
                        }
                        Err("This account has been disabled. Quilt has erased its records                              from this tablet."
                            .to_owned())
                    } else {
                        Err("This account has been disabled. Ask your administrator.".to_owned())
                    }
                }
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
    let new_password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let choose = Action::new_local(move |new: &String| {
        let new = new.clone();
        async move {
            let Some((login, current)) = changing.get_untracked() else {
                return;
            };
            match api::change_password(&login.token, &current, &new).await {
                Ok(()) => {
                    let login = LoginResponse {
                        must_change_password: false,
                        ..login
                    };
                    match app.sign_in(login, &new).await {
                        Ok(()) => sync::request_sync(app),
                        Err(e) => error.set(Some(e)),
                    }
                }
                Err(e) => error.set(Some(platform::sentence(&e.to_string()))),
            }
        }
    });
    let on_choose = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = new_password.get_untracked();
        if new != repeat.get_untracked() {
            error.set(Some("The two new passwords are not the same.".to_owned()));
            return;
        }
        error.set(None);
        choose.dispatch(new);
    };
    let choosing = choose.pending();

    view! {
        {move || has_token.get().then(|| {
            // Administrators hold no caseload: they start at the administration page.
            let path = if app.is_admin() { "/admin" } else { "/caseload" };
            view! { <Redirect path/> }
        })}
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
                {disabled_notice.then(|| view! {
                    <p class="notice" role="alert" data-testid="account-disabled-notice">
                        "This account has been disabled. Quilt has erased its records from this tablet."
                    </p>
                })}
                <Show when=move || changing.with(Option::is_some)>
                    <form class="card login-form" on:submit=on_choose novalidate data-testid="choose-password">
                        <h2>"Choose your own password"</h2>
                        <p>"Your administrator set the password you signed in with. Choose one only you know: at least 12 characters; three random words work well."</p>
                        <TextInput id="new-password" label="New password" value=new_password kind="password" required=true/>
                        <TextInput id="repeat-password" label="The new password again" value=repeat kind="password" required=true/>
                        <div role="alert" class="error-region">
                            {move || error.get().map(|e| view! { <p class="error" data-testid="login-error">{e}</p> })}
                        </div>
                        <button type="submit" class="button primary" data-testid="choose-password-submit" disabled=move || choosing.get()>
                            "Save the new password"
                        </button>
                    </form>
                </Show>
                <Show when=move || changing.with(Option::is_none)>
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
                </Show>
        </main>
    }
}
