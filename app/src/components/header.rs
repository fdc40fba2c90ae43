//! The header on every signed-in page: who is signed in, connectivity and sync status.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::platform;
use crate::state::use_app;
use crate::state::SIGNED_OUT;
use crate::sync;

#[component]
pub fn Header() -> impl IntoView {
    let app = use_app();
    let status = app.status;
    let signing_out = RwSignal::new(false);

    let user_name = move || {
        app.session.with(|s| {
            s.as_ref()
                .map(|s| s.user.display_name.clone())
                .unwrap_or_default()
        })
    };
    let agency = move || {
        app.session.with(|s| {
            s.as_ref()
                .map(|s| s.user.agency.clone())
                .unwrap_or_default()
        })
    };
    let manager = Memo::new(move |_| app.is_manager());
    let admin = Memo::new(move |_| app.is_admin());
    let front_door = Memo::new(move |_| app.is_front_door());
    let online_text = move || {
        if status.online.get() {
            "Online"
        } else {
            "Offline"
        }
    };
    let last_sync = move || {
        status
            .last_sync_ms
            .get()
            .map_or_else(|| "Never".to_owned(), platform::format_local)
    };

    // Signing out erases the tablet, so it is always confirmed; `true` while asking.
    let confirming = RwSignal::new(false);
    let do_sign_out = move || {
        if signing_out.get_untracked() {
            return;
        }
        signing_out.set(true);
        spawn_local(async move {
            if let Err(e) = app.sign_out().await {
                app.status
                    .error
                    .set(Some(format!("Signing out failed: {e}")));
            }
            signing_out.set(false);
        });
    };
    let records = move || app.entries.with(Vec::len);

    view! {
        <header class="site-header">
            <div class="brand-row">
                <a class="app-name" href="/caseload">"Quilt"</a>
                <p class="who">
                    <span class="user-name">{user_name}</span>
                    <span class="agency">{agency}</span>
                </p>
                <button type="button" class="button secondary" data-testid="lock" on:click=move |_| app.lock_now()>
                    "Lock"
                </button>
            </div>
            <nav aria-label="Main">
                <ul class="nav-list">
                    <Show when=move || !admin.get()>
                        <li><a href="/caseload" data-testid="nav-caseload">"Caseload"</a></li>
                    </Show>
                    <Show when=move || manager.get()>
                        <li><a href="/team" data-testid="nav-team">"Team"</a></li>
                    </Show>
                    <Show when=move || admin.get()>
                        <li><a href="/admin" data-testid="nav-admin">"Administration"</a></li>
                    </Show>
                    <Show when=move || manager.get() || admin.get()>
                        <li><a href="/children" data-testid="nav-children">"Children"</a></li>
                    </Show>
                    <Show when=move || !admin.get()>
                        <li><a href="/concerns" data-testid="nav-concerns">"Concerns"</a></li>
                    </Show>
                    <Show when=move || front_door.get()>
                        <li><a href="/front-door" data-testid="nav-front-door">"Front door"</a></li>
                    </Show>
                    <li><a href="/agencies" data-testid="nav-agencies">"Agencies"</a></li>
                </ul>
            </nav>
            <div class="sync-row">
                <dl class="sync-status">
                    <div>
                        <dt>"Connection"</dt>
                        <dd>
                            <span data-testid="online-status" class=move || if status.online.get() { "badge online" } else { "badge offline" }>
                                {online_text}
                            </span>
                        </dd>
                    </div>
                    <div>
                        <dt>"Changes not yet synced"</dt>
                        <dd data-testid="pending-count">{move || status.pending.get().to_string()}</dd>
                    </div>
                    <div>
                        <dt>"Last sync"</dt>
                        <dd data-testid="last-sync">{last_sync}</dd>
                    </div>
                </dl>
                <button type="button" class="button" data-testid="sync-now" aria-describedby="sync-progress" on:click=move |_| sync::request_sync(app)>
                    "Sync now"
                </button>
                <p id="sync-progress" class="sync-progress" role="status" aria-live="polite">
                    {move || if status.in_progress.get() { "Syncing…" } else { "" }}
                </p>
            </div>
            <div class="sign-out-row">
                <button type="button" class="button danger-outline" data-testid="logout"
                    aria-expanded=move || confirming.get().to_string()
                    on:click=move |_| confirming.set(true) disabled=move || signing_out.get()>
                    "Sign out and erase this tablet"
                </button>
            </div>
            <Show when=move || confirming.get()>
                <div class="card warning signout-confirm" role="alertdialog" aria-labelledby="signout-warning"
                    aria-describedby="signout-detail" data-testid="signout-warning">
                    <h2 id="signout-warning">"Sign out and erase this tablet?"</h2>
                    <p id="signout-detail">
                        {move || {
                            let n = records();
                            let unsynced = app.unsynced();
                            let mut text = format!(
                                "Signing out erases every Quilt record on this tablet ({n} child record{}), with any drafts not yet saved. Records already synced are safe on the server.",
                                if n == 1 { "" } else { "s" }
                            );
                            if unsynced > 0 {
                                text.push_str(&format!(" {unsynced} change(s) have not synced yet and will be lost for good."));
                            }
                            text
                        }}
                    </p>
                    <div class="form-actions">
                        <button type="button" class="button secondary" data-testid="signout-cancel"
                            on:click=move |_| confirming.set(false)>
                            "No, keep everything"
                        </button>
                        {move || (app.unsynced() > 0).then(|| view! {
                            <button type="button" class="button" data-testid="signout-sync-first"
                                on:click=move |_| { confirming.set(false); sync::request_sync(app); }>
                                "Keep them and sync first"
                            </button>
                        })}
                        <button type="button" class="button danger" data-testid="signout-confirm"
                            on:click=move |_| { confirming.set(false); do_sign_out(); }>
                            "Sign out and erase"
                        </button>
                    </div>
                </div>
            </Show>
            {move || status.error.get().map(|e| {
                let signed_out = e == SIGNED_OUT;
                view! {
                    <p class="sync-error" role="alert" data-testid="sync-error">
                        {e}
                        {signed_out.then(|| view! { " " <a href="/">"Sign in"</a> })}
                    </p>
                }
            })}
        </header>
    }
}
