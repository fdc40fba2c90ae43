//! A child's full record on this tablet, read from the local document so it works offline: the
//! overview of what must not be missed first, then observations, body map, people, plan, safety
//! scale and neglect assessments, each with its forms; `child/index.rs` is the section index.

mod index;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::analytics;
use shared::record::Record;
use shared::ChildId;

use crate::components::body_map::{BodyMapCompare, DatedMark};
use crate::components::form::today;
use crate::components::{
    ConcernsSection, EscalationSection, NeglectSection, ObservationsSection, OverviewPanel,
    PeopleSection, PlanSection, ScalingSection, SignedIn, VisitsSection,
};
use crate::state::use_app;
use index::{NewSinceNote, SectionIndex};

/// The `:id` route parameter as a child id, if it is one.
pub fn child_param() -> Memo<Option<ChildId>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<ChildId>().ok())
    })
}

#[component]
pub fn ChildRecord() -> impl IntoView {
    view! {
        <SignedIn>
            <ChildView/>
        </SignedIn>
    }
}

/// Whether the record can be shown; changes only on these transitions, so sections (and any
/// form being typed into) are not redrawn every time the record changes.
#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    NotOnTablet,
    Unreadable(String),
    Ready,
}

/// Every body-map mark of every observation that has not been withdrawn.
fn dated_marks(record: &Record) -> Vec<DatedMark> {
    record
        .observations
        .iter()
        .filter(|o| !record.is_withdrawn(&o.id))
        .flat_map(|o| {
            let date = o.occurred.get(..10).unwrap_or(&o.occurred).to_owned();
            o.body_marks.iter().map(move |m| DatedMark {
                date: date.clone(),
                author: o.author_name.clone(),
                mark: m.clone(),
            })
        })
        .collect()
}

/// The sections, in page order: (anchor id, heading, test id).
const SECTIONS: &[(&str, &str, &str)] = &[
    ("observations", "Observations", "observations-section"),
    (
        "concerns",
        "Concerns, strategy and sharing",
        "concerns-section",
    ),
    ("visits", "Visits", "visits-section"),
    ("body-map", "Body map", "body-map-section"),
    ("people", "People around the child", "people-section"),
    ("plan", "Plan", "plan-section"),
    ("safety-scale", "Safety scale", "scaling-section"),
    ("neglect", "Neglect assessments", "neglect-section"),
    ("escalation", "Drift and challenges", "escalation-section"),
];

fn section(anchor: &'static str, body: impl IntoView + 'static) -> impl IntoView {
    let (_, heading, testid) = SECTIONS
        .iter()
        .copied()
        .find(|(a, _, _)| *a == anchor)
        .unwrap_or((anchor, anchor, anchor));
    let heading_id = format!("{anchor}-heading");
    let labelled_by = heading_id.clone();
    view! {
        <section id=anchor class="record-section" data-testid=testid aria-labelledby=labelled_by>
            <h2 id=heading_id tabindex="-1">{heading}</h2>
            {body}
        </section>
    }
}

#[component]
fn ChildView() -> impl IntoView {
    let app = use_app();
    let child = child_param();

    // The confirmation is set by the form just before navigating here; it is moved into a live
    // region that already exists, so screen readers announce it.
    let saved = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(message) = app.flash.get_untracked() {
            app.flash.set(None);
            saved.set(Some(message));
        }
    });

    let entry = move || {
        child.get().and_then(|c| {
            app.entries
                .with(|es| es.iter().find(|e| e.child_id == c).cloned())
        })
    };
    // Re-read whenever any local record changes; the memo only notifies when this one did.
    let read = Memo::new(move |_| {
        app.records_rev.track();
        let c = child.get()?;
        app.engine()?.read_record(&c)
    });
    let loaded = Memo::new(move |_| {
        read.with(|r| match r {
            None => Loaded::NotOnTablet,
            Some(Err(e)) => Loaded::Unreadable(e.clone()),
            Some(Ok(_)) => Loaded::Ready,
        })
    });
    let record = Memo::new(move |_| {
        read.with(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .cloned()
                .unwrap_or_default()
        })
    });
    let today = today();
    let thresholds = app.thresholds();
    let overview = Memo::new(move |_| {
        let born = child.get().and_then(|c| app.born(&c));
        (loaded.get() == Loaded::Ready)
            .then(|| record.with(|r| analytics::overview(r, today, &thresholds, born)))
    });
    let lessons = Memo::new(move |_| overview.with(|o| o.as_ref().map(|o| o.lessons.clone())));
    let drifting =
        Memo::new(move |_| overview.with(|o| o.as_ref().is_some_and(|o| o.drift.is_some())));
    let marks = Signal::derive(move || record.with(dated_marks));
    let rejection = move || {
        app.records_rev.track();
        app.status.last_sync_ms.track();
        let c = child.get()?;
        app.engine()?.rejection(&c)
    };

    view! {
        {move || match child.get() {
            None => view! {
                <h1>"Record not found"</h1>
                <p><a href="/caseload">"Back to the caseload"</a></p>
            }.into_any(),
            Some(id) => {
                let name = move || entry().map_or_else(|| "Child record".to_owned(), |e| e.display_name);
                let body = {
                    let id = id.clone();
                    move || match loaded.get() {
                        Loaded::NotOnTablet => view! {
                            <p class="notice">"This record is not on this tablet yet. Sync to download it."</p>
                            <ol class="observations" data-testid="observation-list"></ol>
                        }.into_any(),
                        Loaded::Unreadable(e) => view! {
                            <p class="error" role="alert">{format!("This record could not be read: {e}")}</p>
                        }.into_any(),
                        Loaded::Ready => view! {
                            <NewSinceNote record child=id.clone()/>
                            <OverviewPanel overview/>
                            <div class="record-body">
                            <SectionIndex record child=id.clone() sections=SECTIONS/>
                            <div class="record-sections">
                            {section("observations", view! { <ObservationsSection record child=id.clone()/> })}
                            {section("concerns", view! { <ConcernsSection record overview child=id.clone()/> })}
                            {section("visits", view! { <VisitsSection record lessons child=id.clone()/> })}
                            {section("body-map", view! {
                                <p class="hint">"Every mark from every observation that has not been withdrawn. Choose dates to compare."</p>
                                <BodyMapCompare marks/>
                            })}
                            {section("people", view! { <PeopleSection record child=id.clone()/> })}
                            {section("plan", view! { <PlanSection record overview child=id.clone()/> })}
                            {section("safety-scale", view! { <ScalingSection record child=id.clone()/> })}
                            {section("neglect", view! { <NeglectSection record child=id.clone()/> })}
                            {section("escalation", view! { <EscalationSection lessons drifting child=id.clone()/> })}
                            </div>
                            </div>
                        }.into_any(),
                    }
                };
                view! {
                    <p class="breadcrumb"><a href="/caseload">"Caseload"</a></p>
                    <div class="record-head">
                        <h1 data-testid="child-name">{name}</h1>
                        <a class="button primary" data-testid="new-observation" href=format!("/child/{id}/new")>
                            "New observation"
                        </a>
                    </div>
                    {move || entry().map(|e| view! {
                        <dl class="details child-details">
                            <div><dt>"Date of birth"</dt><dd>{crate::platform::format_occurred(&e.date_of_birth)}</dd></div>
                            <div><dt>"Legal status"</dt><dd data-testid="legal-status">{
                                let directory = e.legal_status.clone();
                                move || overview.with(|o| o.as_ref().and_then(|o| o.legal_status.clone())).unwrap_or_else(|| directory.clone())
                            }</dd></div>
                        </dl>
                    })}
                    <div role="status" aria-live="polite" class="status-region">
                        {move || saved.get().map(|m| view! { <p class="success" data-testid="saved-message">{m}</p> })}
                    </div>
                    {move || rejection().map(|r| view! {
                        <p class="warning" role="alert">{format!("The server did not accept the latest changes to this record: {r}")}</p>
                    })}
                    {body}
                }.into_any()
            }
        }}
    }
}
