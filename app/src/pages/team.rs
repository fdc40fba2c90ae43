//! The manager's team caseload, fetched from the server (online only).

use leptos::prelude::*;
use shared::api::TeamCaseloadRow;

use crate::api::{self, ApiError};
use crate::components::SignedIn;
use crate::platform;
use crate::state::{use_app, AppState};

#[component]
pub fn Team() -> impl IntoView {
    view! {
        <SignedIn manager_only=true>
            <TeamList/>
        </SignedIn>
    }
}

/// Runs an online-only call with the session's token, turning a refused token into the
/// signed-out state.
pub async fn with_token<T, F, Fut>(app: AppState, call: F) -> Result<T, String>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let token = app.session.with_untracked(|s| {
        s.as_ref()
            .and_then(|s| s.usable_token(platform::now_ms()).map(str::to_owned))
    });
    let Some(token) = token else {
        return Err(crate::sync::SIGNED_OUT.to_owned());
    };
    match call(token).await {
        Ok(v) => Ok(v),
        Err(ApiError::Unauthorised(_)) => {
            app.token_refused().await;
            Err(crate::sync::SIGNED_OUT.to_owned())
        }
        Err(ApiError::Network) => Err("This page needs a connection. Records on this tablet are still available from the caseload.".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

#[component]
fn TeamList() -> impl IntoView {
    let app = use_app();
    let rows =
        LocalResource::new(move || with_token(app, |token| async move { api::team(&token).await }));

    view! {
        <div class="record-head">
            <h1>"Team caseload"</h1>
            <button type="button" class="button secondary" on:click=move |_| rows.refetch()>"Refresh"</button>
        </div>
        {move || match rows.get() {
            None => view! { <p role="status">"Loading the team caseload…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(rows)) if rows.is_empty() => view! {
                <p class="notice">"No children are allocated to your team."</p>
                <ul class="card-list" data-testid="team-list"></ul>
            }.into_any(),
            Some(Ok(rows)) => view! {
                <ul class="card-list team" data-testid="team-list">
                    {rows.into_iter().map(team_row).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn team_row(row: TeamCaseloadRow) -> impl IntoView {
    let id = row.child.child_id.clone();
    view! {
        <li class="card">
            <h2 class="card-title">
                <a href=format!("/team/child/{id}") data-testid=format!("team-child-{id}")>
                    <span class="name">{row.child.display_name.clone()}</span>
                    <span class="count">{plural(row.observation_count, "observation", "observations")}</span>
                </a>
            </h2>
            <dl class="details">
                <div><dt>"Legal status"</dt><dd>{row.child.legal_status.clone()}</dd></div>
                <div><dt>"Allocated to"</dt><dd>{if row.allocated_to.is_empty() { "Nobody".to_owned() } else { row.allocated_to.join(", ") }}</dd></div>
                <div><dt>"Indicators recorded"</dt><dd>{row.indicator_count}</dd></div>
                <div><dt>"Authors"</dt><dd>{row.authors}</dd></div>
                <div><dt>"Latest event"</dt><dd>{row.last_occurred.as_deref().map_or_else(|| "None yet".to_owned(), platform::format_occurred)}</dd></div>
            </dl>
        </li>
    }
}
