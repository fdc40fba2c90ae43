//! Administration (role `admin`, online only): accounts (create, edit, reset a password,
//! disable a leaver, enable, release a device), teams, the agency directory and imports
//! (`admin/directory.rs`, `admin/import.rs`). Every action is audited by the server, which
//! also decides who may do it; nothing here shows a child's record.

mod directory;
mod import;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::partnership::{AccountEdit, AccountInfo, NewAccount, PasswordReset, Team};
use shared::api::Role;
use shared::UserId;

use crate::api;
use crate::components::form::{CheckInput, SelectText, TextInput};
use crate::components::online::{act, Outcome, Refresh};
use crate::components::SignedIn;
use crate::platform;
use crate::state::use_app;

fn role_options() -> Vec<(String, String)> {
    [
        (Role::Practitioner, "Practitioner"),
        (Role::Manager, "Team manager"),
        (Role::Admin, "Administrator"),
    ]
    .into_iter()
    .map(|(r, l)| (r.code().to_owned(), l.to_owned()))
    .collect()
}

fn team_options(teams: &[Team]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "No team".to_owned()))
        .chain(teams.iter().map(|t| (t.id.clone(), t.name.clone())))
        .collect()
}

#[component]
pub fn Admin() -> impl IntoView {
    let app = use_app();
    let refresh = Refresh(RwSignal::new(0));
    let accounts = RwSignal::new(Vec::<AccountInfo>::new());
    let teams = RwSignal::new(Vec::<Team>::new());
    let load_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        refresh.0.track();
        spawn_local(async move {
            let loaded = app
                .online(async |token| {
                    let a = api::get_json::<Vec<AccountInfo>>(&token, "/api/admin/users").await?;
                    let t = api::get_json::<Vec<Team>>(&token, "/api/admin/teams").await?;
                    Ok((a, t))
                })
                .await;
            match loaded {
                Ok((a, t)) => {
                    accounts.set(a);
                    teams.set(t);
                    load_error.set(None);
                }
                Err(e) => load_error.set(Some(e)),
            }
        });
    });
    view! {
        <SignedIn admin_only=true>
            <h1>"Administration"</h1>
            <p class="lede">"Accounts, teams, the agency directory and imports. Every change is recorded in the audit trail with your name."</p>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <NewAccountForm teams refresh/>
            <Accounts accounts teams refresh/>
            <directory::Teams teams refresh/>
            <directory::AgencyDirectory/>
            <import::Import/>
        </SignedIn>
    }
}

#[component]
fn NewAccountForm(teams: RwSignal<Vec<Team>>, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let agency = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Practitioner.code().to_owned());
    let team = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let front_door = RwSignal::new(false);
    let message = RwSignal::new(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewAccount {
            username: username.get_untracked().trim().to_owned(),
            display_name: display_name.get_untracked(),
            agency: agency.get_untracked(),
            role: Role::from_code(&role.get_untracked()).unwrap_or(Role::Practitioner),
            team_id: Some(team.get_untracked()).filter(|t| !t.is_empty()),
            password: password.get_untracked(),
            front_door: front_door.get_untracked(),
        };
        let done = format!(
            "Account {} created. Give them the first password in person; they choose their own when they first sign in.",
            new.username
        );
        act(
            app,
            message,
            done,
            async move |token| {
                api::send_json::<_, UserId>(&token, "/api/admin/users", &new, false).await
            },
            move |_| {
                username.set(String::new());
                display_name.set(String::new());
                password.set(String::new());
                refresh.bump();
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="new-account-heading">
            <h2 id="new-account-heading">"New account"</h2>
            <form on:submit=submit novalidate data-testid="new-account">
                <TextInput id="new-username" label="Username" value=username required=true hint="Lowercase letters, digits and dots, e.g. jo.smith"/>
                <TextInput id="new-display-name" label="Full name" value=display_name required=true/>
                <TextInput id="new-agency" label="Agency" value=agency required=true hint="As the agency directory names it"/>
                <SelectText id="new-role" label="Role" value=role options=role_options()/>
                {move || view! { <SelectText id="new-team" label="Team" value=team options=team_options(&teams.get())/> }}
                <TextInput id="new-password" label="First password" value=password kind="password" required=true hint="At least 12 characters; they change it at first sign-in"/>
                <CheckInput id="new-front-door" label="Works the front door (sees every concern raised, matches and decides them)" value=front_door/>
                <Outcome message testid="new-account"/>
                <button type="submit" class="button primary" data-testid="create-account">"Create the account"</button>
            </form>
        </section>
    }
}

#[component]
fn Accounts(
    accounts: RwSignal<Vec<AccountInfo>>,
    teams: RwSignal<Vec<Team>>,
    refresh: Refresh,
) -> impl IntoView {
    let message = RwSignal::new(None::<(bool, String)>);
    view! {
        <section class="card" aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">"Accounts"</h2>
            <Outcome message testid="accounts"/>
            <ul class="card-list">
                <For each=move || accounts.get() key=|a| format!("{a:?}") let:account>
                    <AccountRow account teams refresh message/>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn AccountRow(
    account: AccountInfo,
    teams: RwSignal<Vec<Team>>,
    refresh: Refresh,
    message: RwSignal<Option<(bool, String)>>,
) -> impl IntoView {
    let app = use_app();
    let editing = RwSignal::new(false);
    let resetting = RwSignal::new(false);
    let id = account.id.clone();
    let username = account.username.clone();
    let state = match (account.disabled_at_ms, account.must_change_password) {
        (Some(at), _) => format!("Disabled {}", platform::format_local(at as f64)),
        (None, true) => "Active: must choose a new password".to_owned(),
        (None, false) => "Active".to_owned(),
    };
    let team_name = account
        .team_id
        .as_ref()
        .map(|t| {
            teams.with_untracked(|ts| {
                ts.iter()
                    .find(|x| &x.id == t)
                    .map_or_else(|| t.clone(), |x| x.name.clone())
            })
        })
        .unwrap_or_else(|| "no team".to_owned());
    let disabled = account.disabled_at_ms.is_some();
    let toggle = {
        let (id, username) = (id.clone(), username.clone());
        move |_| {
            let (id, username) = (id.clone(), username.clone());
            let (verb, done) = if disabled {
                (
                    "enable",
                    format!("{username} is enabled; they sign in afresh."),
                )
            } else {
                (
                    "disable",
                    format!("{username} is disabled. Their tablet sends what it holds and erases its records at its next contact (within 72 hours; later, it erases without sending)."),
                )
            };
            act(
                app,
                message,
                done,
                async move |token| {
                    api::send_json::<_, serde_json::Value>(
                        &token,
                        &format!("/api/admin/users/{id}/{verb}"),
                        &serde_json::json!({}),
                        false,
                    )
                    .await
                },
                move |_| refresh.bump(),
            );
        }
    };
    let devices = account.devices.clone();
    let (reset_id, reset_name) = (id.clone(), username.clone());
    let edited = account.clone();
    view! {
        <li class="card" data-testid=format!("account-{username}")>
            <h3>{account.display_name.clone()} " (" {username.clone()} ")"</h3>
            <p>{format!("{} · {} · {}", role_label(account.role), account.agency, team_name)}</p>
            <p data-testid=format!("account-state-{username}")>{state}</p>
            <p class="hint">{format!("In {} children's core groups now", account.open_allocations)}</p>
            <div class="button-row">
                <button type="button" class="button secondary" data-testid=format!("edit-{username}") on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                <button type="button" class="button secondary" data-testid=format!("reset-{username}") on:click=move |_| resetting.update(|e| *e = !*e)>"Reset password"</button>
                <button type="button" class="button secondary" data-testid=format!("toggle-{username}") on:click=toggle>
                    {if disabled { "Enable" } else { "Disable (leaver)" }}
                </button>
            </div>
            {devices.into_iter().map(|d| {
                let device = d.device_id.clone();
                let release = move |_| {
                    let device = device.clone();
                    act(app, message, "The device is released: anyone can sign in on it now.".to_owned(),
                        async move |token| api::send_json::<_, serde_json::Value>(&token, &format!("/api/admin/devices/{device}/release"), &serde_json::json!({}), false).await,
                        move |_| refresh.bump());
                };
                view! {
                    <p class="hint">
                        {format!("Tablet {} (first used {}) ", &d.device_id[..8.min(d.device_id.len())], platform::format_local(d.first_seen_ms as f64))}
                        <button type="button" class="button secondary" data-testid=format!("release-{}", d.device_id) on:click=release>"Release"</button>
                    </p>
                }
            }).collect_view()}
            <Show when=move || editing.get()>
                <EditAccount account=edited.clone() teams refresh message editing/>
            </Show>
            <Show when=move || resetting.get()>
                <ResetPassword id=reset_id.clone() username=reset_name.clone() refresh message resetting/>
            </Show>
        </li>
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Practitioner => "Practitioner",
        Role::Manager => "Team manager",
        Role::Admin => "Administrator",
    }
}

#[component]
fn EditAccount(
    account: AccountInfo,
    teams: RwSignal<Vec<Team>>,
    refresh: Refresh,
    message: RwSignal<Option<(bool, String)>>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let app = use_app();
    let name = RwSignal::new(account.display_name.clone());
    let agency = RwSignal::new(account.agency.clone());
    let role = RwSignal::new(account.role.code().to_owned());
    let team = RwSignal::new(account.team_id.clone().unwrap_or_default());
    let front_door = RwSignal::new(account.front_door);
    let key = account.username.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let edit = AccountEdit {
            display_name: name.get_untracked(),
            agency: agency.get_untracked(),
            role: Role::from_code(&role.get_untracked()).unwrap_or(Role::Practitioner),
            team_id: Some(team.get_untracked()).filter(|t| !t.is_empty()),
            front_door: front_door.get_untracked(),
        };
        let id = account.id.clone();
        act(
            app,
            message,
            format!("{} is saved.", account.username),
            async move |token| {
                api::send_json::<_, serde_json::Value>(
                    &token,
                    &format!("/api/admin/users/{id}"),
                    &edit,
                    true,
                )
                .await
            },
            move |_| {
                editing.set(false);
                refresh.bump();
            },
        );
    };
    view! {
        <form on:submit=submit novalidate>
            <TextInput id=format!("edit-name-{key}") label="Full name" value=name required=true/>
            <TextInput id=format!("edit-agency-{key}") label="Agency" value=agency required=true/>
            <SelectText id=format!("edit-role-{key}") label="Role" value=role options=role_options()/>
            <SelectText id=format!("edit-team-{key}") label="Team" value=team options=team_options(&teams.get_untracked())/>
            <CheckInput id=format!("edit-front-door-{key}") label="Works the front door" value=front_door/>
            <button type="submit" class="button primary" data-testid=format!("save-{key}")>"Save"</button>
        </form>
    }
}

#[component]
fn ResetPassword(
    id: UserId,
    username: String,
    refresh: Refresh,
    message: RwSignal<Option<(bool, String)>>,
    resetting: RwSignal<bool>,
) -> impl IntoView {
    let app = use_app();
    let password = RwSignal::new(String::new());
    let key = username.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PasswordReset {
            password: password.get_untracked(),
        };
        let id = id.clone();
        act(
            app,
            message,
            format!("{username}'s password is reset: every session of theirs is ended, and they choose a new password when they next sign in."),
            async move |token| {
                api::send_json::<_, serde_json::Value>(&token, &format!("/api/admin/users/{id}/password"), &body, false).await
            },
            move |_| {
                resetting.set(false);
                refresh.bump();
            },
        );
    };
    view! {
        <form on:submit=submit novalidate>
            <TextInput id=format!("reset-password-{key}") label="New first password" value=password kind="password" required=true/>
            <button type="submit" class="button primary" data-testid=format!("reset-save-{key}")>"Set the password"</button>
        </form>
    }
}
