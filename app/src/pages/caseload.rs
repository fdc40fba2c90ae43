//! The children on this tablet, from the stored caseload: each with the flags its record
//! raises (worked out on the tablet by the same analytics the manager's dashboard uses) and the
//! last time anyone recorded seeing the child, and what others added since this user last
//! opened the record (`analytics::since`, from the look kept on the tablet).

use leptos::prelude::*;
use shared::analytics::{self, Flag, Thresholds};
use shared::calendar::Date;
use shared::ChildId;

use crate::components::form::today;
use crate::components::SignedIn;
use crate::pages::team::flag_badge;
use crate::platform;
use crate::state::use_app;

/// What the caseload shows of one record: its flags and the date of its latest observation
/// that has not been withdrawn.
#[derive(Debug, Clone, PartialEq)]
struct Glance {
    flags: Vec<Flag>,
    last_visit: Option<String>,
    /// From the episodes open today; `None` keeps the directory's words.
    legal_status: Option<String>,
}

fn glance(
    record: &shared::record::Record,
    today: Date,
    thresholds: &Thresholds,
    born: Option<Date>,
) -> Glance {
    let withdrawn = |id: &shared::ObservationId| {
        record
            .withdrawals
            .iter()
            .any(|w| w.observation_id == id.as_str())
    };
    let overview = analytics::overview(record, today, thresholds, born);
    Glance {
        flags: overview.flags(),
        legal_status: overview.legal_status,
        last_visit: record
            .observations
            .iter()
            .filter(|o| !withdrawn(&o.id))
            .map(|o| o.occurred.clone())
            .chain(record.visits.iter().map(|v| v.date.clone()))
            .max(),
    }
}

#[component]
pub fn Caseload() -> impl IntoView {
    view! {
        <SignedIn>
            <CaseloadList/>
        </SignedIn>
    }
}

#[component]
fn CaseloadList() -> impl IntoView {
    let app = use_app();
    let count = move |child: &ChildId| {
        app.records_rev.track();
        app.engine().and_then(|e| e.observation_count(child))
    };
    let today = today();
    let thresholds = app.thresholds();
    let me = app.user_id().unwrap_or_default();
    view! {
        <h1>"Caseload"</h1>
        <Show when=move || app.entries.with(Vec::is_empty)>
            <p class="notice">
                {move || if app.status.online.get() {
                    "No children on this tablet yet. Use “Sync now” to download your caseload."
                } else {
                    "No children on this tablet yet. Connect to the network and sync to download your caseload."
                }}
            </p>
        </Show>
        <ul class="caseload card-list" data-testid="caseload-list">
            <For
                each=move || app.entries.get()
                key=|entry| entry.child_id.clone()
                let(entry)
            >
                {
                    let child = entry.child_id.clone();
                    let born = entry.date_of_birth.parse().ok();
                    let record = {
                        let child = child.clone();
                        Memo::new(move |_| {
                            app.records_rev.track();
                            app.engine()
                                .and_then(|e| e.read_record(&child))
                                .and_then(Result::ok)
                        })
                    };
                    let seen = Memo::new(move |_| {
                        record.with(|r| r.as_ref().map(|r| glance(r, today, &thresholds, born)))
                    });
                    // What this user saw when they last opened the record here.
                    let look = RwSignal::new(None::<Option<std::collections::BTreeSet<String>>>);
                    {
                        let child = child.clone();
                        leptos::task::spawn_local(async move {
                            if let Some(store) = app.unlocked_store() {
                                look.set(Some(store.look(&child).await.ok().flatten()));
                            }
                        });
                    }
                    let me = me.clone();
                    let new_since = Memo::new(move |_| {
                        look.with(|l| {
                            let l = l.as_ref()?;
                            record.with(|r| {
                                r.as_ref().and_then(|r| {
                                    analytics::since::new_since(r, l.as_ref(), &me).summary()
                                })
                            })
                        })
                    });
                    let new_id = format!("caseload-new-{child}");
                    let flags_id = format!("caseload-flags-{child}");
                    let href = format!("/child/{child}");
                    let testid = format!("child-link-{child}");
                    view! {
                        <li class="card">
                            <h2 class="card-title">
                                <a href=href data-testid=testid>{entry.display_name.clone()}</a>
                            </h2>
                            <dl class="details">
                                <div><dt>"Date of birth"</dt><dd>{crate::platform::format_occurred(&entry.date_of_birth)}</dd></div>
                                <div><dt>"Legal status"</dt><dd>{
                                    let directory = entry.legal_status.clone();
                                    move || seen.with(|g| g.as_ref().and_then(|g| g.legal_status.clone())).unwrap_or_else(|| directory.clone())
                                }</dd></div>
                                <div>
                                    <dt>"Last visit"</dt>
                                    <dd>{move || seen.with(|g| g.as_ref().and_then(|g| g.last_visit.as_deref()).map_or_else(|| "None recorded".to_owned(), platform::format_occurred))}</dd>
                                </div>
                                <div>
                                    <dt>"Observations on this tablet"</dt>
                                    <dd>{move || count(&child).map_or_else(|| "Not downloaded".to_owned(), |n| n.to_string())}</dd>
                                </div>
                            </dl>
                            {move || new_since.get().map(|n| view! { <p class="notice new-since" data-testid=new_id.clone()>{n}</p> })}
                            <div data-testid=flags_id>
                                {move || seen.with(|g| match g.as_ref().map(|g| g.flags.clone()) {
                                    Some(flags) if !flags.is_empty() => view! {
                                        <ul class="flag-list" aria-label="Flags">
                                            {flags.into_iter().map(|f| flag_badge(f, "caseload-flag")).collect_view()}
                                        </ul>
                                    }.into_any(),
                                    Some(_) => view! { <p class="no-flags">"No flags"</p> }.into_any(),
                                    None => ().into_any(),
                                })}
                            </div>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
