//! A child's core group (the team's manager, online): who from which agency is working with
//! the child and as what, since when; adding someone from any agency; ending an allocation,
//! which keeps it in the history. A tablet gains or drops the child at its next sync.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use shared::api::partnership::{Allocation, CoreGroup, CoreRole, NewAllocation, Person};
use shared::ChildId;

use crate::api;
use crate::components::form::{show_date, today, SelectInput, SelectText, TextInput};
use crate::components::online::{act, Outcome, Refresh};
use crate::components::SignedIn;
use crate::state::use_app;

#[component]
pub fn CoreGroupPage() -> impl IntoView {
    let app = use_app();
    let params = use_params_map();
    let child = move || {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<ChildId>().ok())
    };
    let group = RwSignal::new(None::<CoreGroup>);
    let people = RwSignal::new(Vec::<Person>::new());
    let error = RwSignal::new(None::<String>);
    let refresh = Refresh(RwSignal::new(0));
    let message = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| {
        refresh.0.track();
        let Some(id) = child() else { return };
        spawn_local(async move {
            let loaded = app
                .online(async |token| {
                    let g = api::get_json::<CoreGroup>(
                        &token,
                        &format!("/api/children/{id}/allocations"),
                    )
                    .await?;
                    let p = api::get_json::<Vec<Person>>(&token, "/api/people").await?;
                    Ok((g, p))
                })
                .await;
            match loaded {
                Ok((g, p)) => {
                    group.set(Some(g));
                    people.set(p);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let person = RwSignal::new(String::new());
    let role = RwSignal::new(CoreRole::SocialWorker);
    let start = RwSignal::new(today().to_string());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = child() else { return };
        let Ok(user_id) = person.get_untracked().parse() else {
            message.set(Some((false, "Choose who to add.".to_owned())));
            return;
        };
        let body = NewAllocation {
            user_id,
            role: role.get_untracked(),
            started_on: Some(start.get_untracked()).filter(|s| !s.is_empty()),
        };
        act(
            app,
            message,
            "Added to the core group: the child is on their tablet at its next sync.".to_owned(),
            async move |token| {
                api::send_json::<_, Allocation>(
                    &token,
                    &format!("/api/children/{id}/allocations"),
                    &body,
                    false,
                )
                .await
            },
            move |_| refresh.bump(),
        );
    };
    let end = move |allocation: Allocation| {
        let Some(id) = child() else { return };
        act(
            app,
            message,
            format!(
                "{}'s allocation has ended; it stays in the history, and the child leaves their tablet at its next sync.",
                allocation.display_name
            ),
            async move |token| {
                api::send_json::<_, serde_json::Value>(
                    &token,
                    &format!("/api/children/{id}/allocations/{}/end", allocation.id),
                    &serde_json::json!({}),
                    false,
                )
                .await
            },
            move |_| refresh.bump(),
        );
    };
    let row = move |a: Allocation, current: bool| {
        let period = match &a.ended_on {
            Some(e) => format!("{} to {}", show_date(&a.started_on), show_date(e)),
            None => format!("since {}", show_date(&a.started_on)),
        };
        let user = a.user_id.clone();
        let ending = a.clone();
        view! {
            <li data-testid=format!("member-{user}")>
                <strong>{a.display_name.clone()}</strong>
                {format!(" — {} ({}), {period} ", a.role.label(), a.agency)}
                {current.then(|| view! {
                    <button type="button" class="button secondary" data-testid=format!("end-{user}")
                        on:click=move |_| end(ending.clone())>"End allocation"</button>
                })}
            </li>
        }
    };
    view! {
        <SignedIn manager_only=true>
            <h1>"Core group"</h1>
            <p><a href=move || child().map(|c| format!("/team/child/{c}")).unwrap_or_default()>"Back to the child"</a></p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Outcome message testid="core-group"/>
            {move || group.get().map(|g| view! {
                <section class="card" aria-labelledby="current-heading">
                    <h2 id="current-heading">"Working with the child now"</h2>
                    {g.current.is_empty().then(|| view! { <p>"No one yet."</p> })}
                    <ul data-testid="core-group-current">{g.current.into_iter().map(|a| row(a, true)).collect_view()}</ul>
                </section>
                <section class="card" aria-labelledby="ended-heading">
                    <h2 id="ended-heading">"Before"</h2>
                    {g.ended.is_empty().then(|| view! { <p>"No ended allocations."</p> })}
                    <ul data-testid="core-group-ended">{g.ended.into_iter().map(|a| row(a, false)).collect_view()}</ul>
                </section>
            })}
            <section class="card" aria-labelledby="add-heading">
                <h2 id="add-heading">"Add to the core group"</h2>
                <form on:submit=add novalidate>
                    {move || {
                        let options = std::iter::once((String::new(), "Choose someone".to_owned()))
                            .chain(people.get().into_iter().map(|p| (p.id.to_string(), format!("{} — {}", p.display_name, p.agency))))
                            .collect();
                        view! { <SelectText id="member-person" label="Who" value=person options/> }
                    }}
                    <SelectInput id="member-role" label="As" value=role/>
                    <TextInput id="member-start" label="From" value=start kind="date"/>
                    <button type="submit" class="button primary" data-testid="member-add">"Add"</button>
                </form>
            </section>
        </SignedIn>
    }
}
