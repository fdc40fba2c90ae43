//! Administration of teams and of the agency directory.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::partnership::{Agency, Team};

use crate::api;
use crate::components::form::{TextArea, TextInput};
use crate::components::online::{act, Outcome, Refresh};
use crate::state::use_app;

#[component]
pub fn Teams(teams: RwSignal<Vec<Team>>, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({ "name": name.get_untracked() });
        act(
            app,
            message,
            format!("Team {} created.", name.get_untracked()),
            async move |token| {
                api::send_json::<_, Team>(&token, "/api/admin/teams", &body, false).await
            },
            move |_| {
                name.set(String::new());
                refresh.bump();
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="teams-heading">
            <h2 id="teams-heading">"Teams"</h2>
            <ul class="card-list" data-testid="team-list">
                <For each=move || teams.get() key=|t| (t.id.clone(), t.name.clone()) let:t>
                    <li>
                        <details>
                            <summary>{t.name.clone()}</summary>
                            <RenameTeam team=t.clone() refresh/>
                        </details>
                    </li>
                </For>
            </ul>
            <form on:submit=submit novalidate>
                <TextInput id="new-team-name" label="New team's name" value=name required=true/>
                <Outcome message testid="teams"/>
                <button type="submit" class="button primary" data-testid="create-team">"Create the team"</button>
            </form>
        </section>
    }
}

#[component]
fn RenameTeam(team: Team, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let name = RwSignal::new(team.name.clone());
    let message = RwSignal::new(None::<(bool, String)>);
    let id = team.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({ "name": name.get_untracked() });
        let id = id.clone();
        act(
            app,
            message,
            format!("The team is now called {}.", name.get_untracked()),
            async move |token| {
                api::send_json::<_, serde_json::Value>(
                    &token,
                    &format!("/api/admin/teams/{id}"),
                    &body,
                    true,
                )
                .await
            },
            move |_| refresh.bump(),
        );
    };
    view! {
        <form on:submit=submit novalidate>
            <TextInput id=format!("team-name-{}", team.id) label="Team's name" value=name required=true/>
            <Outcome message testid=format!("team-{}", team.id)/>
            <button type="submit" class="button primary" data-testid=format!("team-save-{}", team.id)>"Rename"</button>
        </form>
    }
}

#[component]
pub fn AgencyDirectory() -> impl IntoView {
    let app = use_app();
    let agencies = RwSignal::new(Vec::<Agency>::new());
    let refresh = Refresh(RwSignal::new(0));
    Effect::new(move |_| {
        refresh.0.track();
        spawn_local(async move {
            if let Ok(list) = app
                .online(async |token| api::get_json::<Vec<Agency>>(&token, "/api/agencies").await)
                .await
            {
                agencies.set(list);
            }
        });
    });
    view! {
        <section class="card" aria-labelledby="agencies-heading">
            <h2 id="agencies-heading">"Agency directory"</h2>
            <p class="hint">"Everyone signed in can read this, offline too."</p>
            <ul class="card-list">
                <For each=move || agencies.get() key=|a| format!("{a:?}") let:a>
                    <li>
                        <details>
                            <summary>{a.name.clone()} " — " {a.kind.clone()}</summary>
                            <AgencyForm agency=a.clone() refresh/>
                        </details>
                    </li>
                </For>
            </ul>
            <details>
                <summary data-testid="new-agency">"Add an agency"</summary>
                <AgencyForm agency=Agency::default() refresh/>
            </details>
        </section>
    }
}

#[component]
fn AgencyForm(agency: Agency, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let key = if agency.id.is_empty() {
        "new".to_owned()
    } else {
        agency.id.clone()
    };
    let name = RwSignal::new(agency.name.clone());
    let kind = RwSignal::new(agency.kind.clone());
    let remit = RwSignal::new(agency.remit.clone());
    let contact = RwSignal::new(agency.contact.clone());
    let can_do = RwSignal::new(agency.can_do.clone());
    let cannot_do = RwSignal::new(agency.cannot_do.clone());
    let message = RwSignal::new(None::<(bool, String)>);
    let id = agency.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = Agency {
            id: id.clone(),
            name: name.get_untracked(),
            kind: kind.get_untracked(),
            remit: remit.get_untracked(),
            contact: contact.get_untracked(),
            can_do: can_do.get_untracked(),
            cannot_do: cannot_do.get_untracked(),
        };
        let (path, put) = if id.is_empty() {
            ("/api/admin/agencies".to_owned(), false)
        } else {
            (format!("/api/admin/agencies/{id}"), true)
        };
        act(
            app,
            message,
            format!("{} is saved in the directory.", body.name),
            async move |token| api::send_json::<_, Agency>(&token, &path, &body, put).await,
            move |_| refresh.bump(),
        );
    };
    view! {
        <form on:submit=submit novalidate>
            <TextInput id=format!("agency-name-{key}") label="Name" value=name required=true/>
            <TextInput id=format!("agency-kind-{key}") label="Its part in safeguarding" value=kind hint="e.g. Children's social care, Health visiting, Police, School"/>
            <TextArea id=format!("agency-remit-{key}") label="Remit" value=remit/>
            <TextArea id=format!("agency-contact-{key}") label="How to reach it about a child" value=contact hint="In and out of hours"/>
            <TextArea id=format!("agency-can-{key}") label="What it can do" value=can_do/>
            <TextArea id=format!("agency-cannot-{key}") label="What it cannot do" value=cannot_do/>
            <Outcome message testid=format!("agency-{key}")/>
            <button type="submit" class="button primary" data-testid=format!("agency-save-{key}")>"Save"</button>
        </form>
    }
}
