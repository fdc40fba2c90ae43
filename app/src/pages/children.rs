//! Finding and adding children (managers and administrators, online): search by name, date of
//! birth or NHS number, and a new record whose likely duplicates are shown, each to be judged
//! a different child, before it is created. A manager then builds its core group.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::partnership::{
    ChildDetails, ChildFields, ChildMatch, ChildSearch, ChildSearchResponse, NewChildRequest, Team,
};
use shared::ChildId;

use crate::api::{self, ApiError};
use crate::components::form::{CheckInput, SelectText, TextInput};
use crate::components::SignedIn;
use crate::state::use_app;

/// A child's details as a form holds them: one signal per field.
#[derive(Clone, Copy)]
struct DetailFields {
    name: RwSignal<String>,
    other: RwSignal<String>,
    dob: RwSignal<String>,
    unborn: RwSignal<bool>,
    nhs: RwSignal<String>,
    reason: RwSignal<String>,
    address: RwSignal<String>,
    school: RwSignal<String>,
    status: RwSignal<String>,
}

impl DetailFields {
    fn new(f: &ChildFields) -> Self {
        DetailFields {
            name: RwSignal::new(f.display_name.clone()),
            other: RwSignal::new(f.other_names.join("; ")),
            dob: RwSignal::new(f.date_of_birth.clone()),
            unborn: RwSignal::new(f.unborn),
            nhs: RwSignal::new(
                f.nhs_number
                    .as_ref()
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ),
            reason: RwSignal::new(f.nhs_unknown_reason.clone()),
            address: RwSignal::new(f.address.clone()),
            school: RwSignal::new(f.school.clone()),
            status: RwSignal::new(f.legal_status.clone()),
        }
    }

    /// The details typed, checked as the server checks them, or why they cannot be saved.
    fn read(&self) -> Result<ChildFields, String> {
        let nhs_text = self.nhs.get_untracked();
        let nhs_number = if nhs_text.trim().is_empty() {
            None
        } else {
            Some(nhs_text.parse().map_err(|e| format!("{e}."))?)
        };
        let fields = ChildFields {
            display_name: self.name.get_untracked(),
            other_names: self
                .other
                .get_untracked()
                .split(';')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            date_of_birth: self.dob.get_untracked(),
            unborn: self.unborn.get_untracked(),
            nhs_number,
            nhs_unknown_reason: self.reason.get_untracked(),
            address: self.address.get_untracked(),
            school: self.school.get_untracked(),
            legal_status: self.status.get_untracked(),
        };
        fields
            .validate(crate::components::form::today())
            .map_err(|e| format!("{}.", e.0))?;
        Ok(fields)
    }

    /// The fields; `key` keeps their ids apart when several forms are on the page.
    fn view(self, key: &str) -> impl IntoView {
        view! {
            <TextInput id=format!("{key}name") label="Name" value=self.name required=true hint="For an unborn child, \"Unborn\" and the mother's surname"/>
            <TextInput id=format!("{key}other-names") label="Other names" value=self.other hint="Previous names, other spellings; separate with ;"/>
            <TextInput id=format!("{key}dob") label="Date of birth (or expected date of birth)" value=self.dob kind="date" required=true/>
            <CheckInput id=format!("{key}unborn") label="Not born yet: the date is the expected date of birth" value=self.unborn/>
            <TextInput id=format!("{key}nhs") label="NHS number" value=self.nhs hint="10 digits; checked as you save"/>
            <TextInput id=format!("{key}nhs-reason") label="If the NHS number is not known, why" value=self.reason/>
            <TextInput id=format!("{key}address") label="Address" value=self.address/>
            <TextInput id=format!("{key}school") label="School or nursery" value=self.school/>
            <TextInput id=format!("{key}status") label="Legal status" value=self.status/>
        }
    }
}

#[component]
pub fn Children() -> impl IntoView {
    view! {
        <SignedIn staff_only=true>
            <h1>"Children"</h1>
            <p class="lede">"Find a child's record before adding one: a second record for the same child splits their history."</p>
            <Search/>
            <NewChild/>
        </SignedIn>
    }
}

/// One found child, with why they may be the one.
fn match_view(m: ChildMatch, manager: bool) -> impl IntoView {
    let c = m.child;
    let reasons: Vec<&str> = m.reasons.iter().map(|r| r.label()).collect();
    let nhs = c.fields.nhs_number.as_ref().map_or_else(
        || "NHS number not known".to_owned(),
        |n| format!("NHS {}", n.spaced()),
    );
    let born = if c.fields.unborn { "expected" } else { "born" };
    let id = c.child_id.clone();
    view! {
        <li class="card" data-testid=format!("found-{}", c.child_id)>
            <h3>{c.fields.display_name.clone()}</h3>
            <p>{format!("{born} {} · {nhs} · {}", crate::components::form::show_date(&c.fields.date_of_birth), c.fields.school)}</p>
            {(!c.fields.other_names.is_empty()).then(|| view! { <p class="hint">{format!("Also known as {}", c.fields.other_names.join(", "))}</p> })}
            {(!reasons.is_empty()).then(|| view! { <p class="badge" data-testid=format!("reasons-{id}")>{format!("Likely the same child: {}", reasons.join("; "))}</p> })}
            {manager.then(|| view! { <p><a href=format!("/team/child/{id}/group") data-testid=format!("group-{id}")>"Core group"</a></p> })}
            <details>
                <summary data-testid=format!("edit-{}", c.child_id)>"Edit details"</summary>
                <EditChild child=c.clone()/>
            </details>
        </li>
    }
}

/// Changing a child's details (a move, a new school, a legal status, an NHS number found).
#[component]
fn EditChild(child: ChildDetails) -> impl IntoView {
    let app = use_app();
    let fields = DetailFields::new(&child.fields);
    let message = RwSignal::new(None::<(bool, String)>);
    let id = child.child_id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = match fields.read() {
            Ok(f) => f,
            Err(e) => {
                message.set(Some((false, e)));
                return;
            }
        };
        let id = id.clone();
        crate::components::online::act(
            app,
            message,
            "The details are saved.".to_owned(),
            async move |token| {
                api::send_json::<_, serde_json::Value>(
                    &token,
                    &format!("/api/children/{id}/details"),
                    &body,
                    true,
                )
                .await
            },
            |_| {},
        );
    };
    let key = format!("edit-{}-", child.child_id);
    view! {
        <form on:submit=submit novalidate>
            {fields.view(&key)}
            <crate::components::online::Outcome message testid=key.clone()/>
            <button type="submit" class="button primary" data-testid=format!("{key}save")>"Save the details"</button>
        </form>
    }
}

#[component]
fn Search() -> impl IntoView {
    let app = use_app();
    let name = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let nhs = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Vec<ChildMatch>>);
    let error = RwSignal::new(None::<String>);
    let manager = app.is_manager();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = ChildSearch {
            name: name.get_untracked(),
            dob: dob.get_untracked(),
            nhs: nhs.get_untracked(),
        };
        spawn_local(async move {
            // A search is a POST: names and NHS numbers never go in a URL.
            match app
                .online(async |token| {
                    api::send_json::<_, ChildSearchResponse>(
                        &token,
                        "/api/children/search",
                        &q,
                        false,
                    )
                    .await
                })
                .await
            {
                Ok(r) => {
                    found.set(Some(r.matches));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="search-heading">
            <h2 id="search-heading">"Find a child"</h2>
            <form on:submit=submit novalidate>
                <TextInput id="search-name" label="Name" value=name/>
                <TextInput id="search-dob" label="Date of birth" value=dob kind="date"/>
                <TextInput id="search-nhs" label="NHS number" value=nhs/>
                <button type="submit" class="button primary" data-testid="search-submit">"Search"</button>
            </form>
            <div role="status" aria-live="polite" class="status-region">
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                {move || found.get().map(|list| view! {
                    <p>{format!("{} found", list.len())}</p>
                    <ul class="card-list" data-testid="search-results">
                        {list.into_iter().map(|m| match_view(m, manager)).collect_view()}
                    </ul>
                })}
            </div>
            <Show when=move || found.with(|f| f.as_ref().is_some_and(|l| l.len() >= 2))>
                <SameChild found/>
            </Show>
        </section>
    }
}

/// "Same child": two records found that are one child become one. Every entry of the record
/// merged away is copied into the one that stays; the old record's address redirects; the
/// core group moves; tablets holding either converge at their next sync. Audited.
#[component]
fn SameChild(found: RwSignal<Option<Vec<ChildMatch>>>) -> impl IntoView {
    let app = use_app();
    let from = RwSignal::new(String::new());
    let into = RwSignal::new(String::new());
    let sure = RwSignal::new(false);
    let message = RwSignal::new(None::<(bool, String)>);
    let options = move || {
        std::iter::once((String::new(), "Choose a record".to_owned()))
            .chain(found.get().unwrap_or_default().into_iter().map(|m| {
                let c = m.child;
                (
                    c.child_id.to_string(),
                    format!(
                        "{} (born {})",
                        c.fields.display_name, c.fields.date_of_birth
                    ),
                )
            }))
            .collect::<Vec<_>>()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (goes, stays) = (from.get_untracked(), into.get_untracked());
        if goes.is_empty() || stays.is_empty() || goes == stays {
            message.set(Some((false, "Choose two different records.".to_owned())));
            return;
        }
        if !sure.get_untracked() {
            message.set(Some((
                false,
                "Confirm that you have checked they are the same child.".to_owned(),
            )));
            return;
        }
        let body = serde_json::json!({ "into": stays });
        crate::components::online::act(
            app,
            message,
            "Merged: one record now holds every entry, and the old record's address leads to it."
                .to_owned(),
            async move |token| {
                api::send_json::<_, serde_json::Value>(
                    &token,
                    &format!("/api/children/{goes}/merge"),
                    &body,
                    false,
                )
                .await
            },
            |_| {},
        );
    };
    view! {
        <form on:submit=submit novalidate data-testid="same-child">
            <h3>"Two records of the same child?"</h3>
            <p class="hint">"Check names, dates of birth, addresses and family before merging: it cannot be undone from the page."</p>
            {move || view! {
                <SelectText id="merge-from" label="Merge this record" value=from options=options()/>
                <SelectText id="merge-into" label="into this one, which stays" value=into options=options()/>
            }}
            <CheckInput id="merge-confirm" label="I have checked these are the same child" value=sure/>
            <crate::components::online::Outcome message testid="same-child"/>
            <button type="submit" class="button primary" data-testid="merge-submit">"Merge the records"</button>
        </form>
    }
}

#[component]
fn NewChild() -> impl IntoView {
    let app = use_app();
    let fields = DetailFields::new(&ChildFields {
        legal_status: "Child in need".into(),
        ..Default::default()
    });
    let team = RwSignal::new(String::new());
    let teams = RwSignal::new(Vec::<Team>::new());
    let duplicates = RwSignal::new(Vec::<ChildMatch>::new());
    let judged = RwSignal::new(Vec::<ChildId>::new());
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<ChildDetails>);
    let admin = app.is_admin();
    let manager = app.is_manager();
    if admin {
        spawn_local(async move {
            if let Ok(list) = app
                .online(async |token| api::get_json::<Vec<Team>>(&token, "/api/admin/teams").await)
                .await
            {
                if let Some(first) = list.first() {
                    team.set(first.id.clone());
                }
                teams.set(list);
            }
        });
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = match fields.read() {
            Ok(f) => f,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let req = NewChildRequest {
            fields,
            team_id: admin.then(|| team.get_untracked()),
            not_duplicates: judged.get_untracked(),
        };
        spawn_local(async move {
            let result = app
                .online(async |token| {
                    match api::send_json::<_, ChildDetails>(&token, "/api/children", &req, false)
                        .await
                    {
                        Err(ApiError::Conflict(message, body))
                            if body["error"] == "likely_duplicates" =>
                        {
                            let found: ChildSearchResponse =
                                serde_json::from_value(body).unwrap_or_default();
                            duplicates.set(found.matches);
                            Err(ApiError::Invalid(message))
                        }
                        other => other,
                    }
                })
                .await;
            match result {
                Ok(details) => {
                    created.set(Some(details));
                    duplicates.set(Vec::new());
                    judged.set(Vec::new());
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="new-child-heading">
            <h2 id="new-child-heading">"Add a child"</h2>
            <form on:submit=submit novalidate data-testid="new-child">
                {fields.view("child-")}
                {admin.then_some(move || {
                    let options = teams.get().into_iter().map(|t| (t.id, t.name)).collect();
                    view! { <SelectText id="child-team" label="Team that holds the record" value=team options/> }
                })}
                <Show when=move || duplicates.with(|d| !d.is_empty())>
                    <div class="notice" role="alert" data-testid="likely-duplicates">
                        <p>"These records may be the same child. Open them first; tick each one that is a different child to create a new record."</p>
                        <ul class="card-list">
                            <For each=move || duplicates.get() key=|m| m.child.child_id.clone() let:m>
                                {
                                    let id = m.child.child_id.clone();
                                    let ticked = RwSignal::new(judged.with_untracked(|j| j.contains(&id)));
                                    Effect::new(move |_| {
                                        let on = ticked.get();
                                        let id = id.clone();
                                        judged.update(|j| {
                                            j.retain(|x| x != &id);
                                            if on {
                                                j.push(id);
                                            }
                                        });
                                    });
                                    view! {
                                        {match_view(m.clone(), manager)}
                                        <CheckInput id=format!("not-duplicate-{}", m.child.child_id) label="This is a different child" value=ticked/>
                                    }
                                }
                            </For>
                        </ul>
                    </div>
                </Show>
                <div role="alert" class="error-region">
                    {move || error.get().map(|e| view! { <p class="error" data-testid="new-child-error">{e}</p> })}
                </div>
                <button type="submit" class="button primary" data-testid="create-child">"Create the record"</button>
            </form>
            <div role="status" aria-live="polite" class="status-region">
                {move || created.get().map(|c| view! {
                    <p class="success" data-testid="child-created">
                        {format!("{}'s record is created. ", c.fields.display_name)}
                        {manager.then(|| view! { <a href=format!("/team/child/{}/group", c.child_id) data-testid="created-group">"Build the core group"</a> })}
                    </p>
                })}
            </div>
        </section>
    }
}
