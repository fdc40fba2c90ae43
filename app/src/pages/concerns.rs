//! Concerns about any child (`/concerns`): anyone signed in raises one, offline too, about a
//! child who may have no record or be on nobody's caseload here. It is kept sealed on the
//! tablet and sent with the next sync; the list says where each stands: waiting to send, at
//! the front door, or the decision and its date (nothing more of the child's record).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::front_door::{ConcernChild, ConcernOutcome, ConcernSubmission};
use shared::record::front_door::Urgency;
use shared::record::Source;

use crate::components::form::{show_date, SelectInput, TextArea, TextInput};
use crate::components::indicator_picker::{IndicatorPicker, Selection};
use crate::components::SignedIn;
use crate::platform;
use crate::state::use_app;
use crate::storage::LocalConcern;

#[component]
pub fn Concerns() -> impl IntoView {
    let app = use_app();
    let kept = RwSignal::new(Vec::<LocalConcern>::new());
    Effect::new(move |_| {
        app.concerns_rev.track();
        spawn_local(async move {
            if let Some(store) = app.unlocked_store() {
                if let Ok(list) = store.concerns().await {
                    kept.set(list);
                }
            }
        });
    });
    view! {
        <SignedIn>
            <h1>"Concerns"</h1>
            <p class="lede">"Worried about a child, whoever they are and whether or not anyone here knows them? Record what you saw or heard. It goes to the front door with your next sync, and you will see what was decided."</p>
            <RaiseConcern/>
            <section class="card" aria-labelledby="raised-heading">
                <h2 id="raised-heading">"Concerns you raised"</h2>
                <Show when=move || kept.with(Vec::is_empty)>
                    <p>"None yet."</p>
                </Show>
                <ul class="card-list" data-testid="raised-concerns">
                    <For each=move || kept.get() key=|c| (c.submission.id.clone(), c.outcome.clone()) let:c>
                        <li class="card" data-testid=format!("raised-{}", c.submission.id)>
                            <h3>{c.submission.child.describe()}</h3>
                            <p>{format!("Raised {}", platform::format_local(c.submission.raised_at_ms as f64))}</p>
                            <p class="concern-outcome" data-testid="concern-outcome">{outcome_words(&c)}</p>
                        </li>
                    </For>
                </ul>
            </section>
        </SignedIn>
    }
}

/// Where a concern stands, in words.
fn outcome_words(c: &LocalConcern) -> String {
    match &c.outcome {
        None => "Waiting to send: it goes with the next sync.".into(),
        Some(ConcernOutcome::Received { received_on }) => format!(
            "At the front door since {}; a decision is due within one working day.",
            received_on.dmy()
        ),
        Some(ConcernOutcome::Decided {
            decision,
            decided_on,
            ..
        }) => format!("Decided {}: {}", decided_on.dmy(), decision.label()),
        Some(ConcernOutcome::Refused { reason }) => {
            format!("Not accepted: {}", platform::sentence(reason))
        }
    }
}

#[component]
fn RaiseConcern() -> impl IntoView {
    let app = use_app();
    let name = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let age = RwSignal::new(String::new());
    let nhs = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let school = RwSignal::new(String::new());
    let narrative = RwSignal::new(String::new());
    let words = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let source = RwSignal::new(Source::Observed);
    let urgency = RwSignal::new(Urgency::Routine);
    let selected = RwSignal::new(Selection::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let clear = move || {
        for s in [name, dob, age, nhs, address, school, narrative, words] {
            s.set(String::new());
        }
        selected.set(Selection::new());
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let nhs_text = nhs.get_untracked();
        let nhs_number = if nhs_text.trim().is_empty() {
            None
        } else {
            match nhs_text.parse() {
                Ok(n) => Some(n),
                Err(e) => {
                    message.set(Some((false, platform::sentence(&format!("{e}")))));
                    return;
                }
            }
        };
        let age_text = age.get_untracked();
        let age_years = match age_text.trim() {
            "" => None,
            a => match a.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    message.set(Some((false, "The age is a number of years.".into())));
                    return;
                }
            },
        };
        let Ok(id) = platform::new_id() else {
            message.set(Some((false, "The tablet could not make an id.".into())));
            return;
        };
        let submission = ConcernSubmission {
            id: format!("concern-{id}"),
            raised_at_ms: platform::now_ms() as i64,
            child: ConcernChild {
                name: name.get_untracked().trim().to_owned(),
                date_of_birth: dob.get_untracked(),
                age_years,
                nhs_number,
                address: address.get_untracked(),
                school: school.get_untracked(),
            },
            indicators: selected.with_untracked(|s| s.keys().map(|k| (*k).to_owned()).collect()),
            source: source.get_untracked(),
            narrative: narrative.get_untracked(),
            child_words: words.get_untracked(),
            urgency: urgency.get_untracked(),
            contact: contact.get_untracked(),
        };
        spawn_local(async move {
            match app.raise_concern(submission).await {
                Ok(()) => {
                    message.set(Some((
                        true,
                        "Kept on this tablet, sealed. It goes to the front door with the next sync."
                            .into(),
                    )));
                    clear();
                }
                Err(e) => message.set(Some((false, e))),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="raise-heading">
            <h2 id="raise-heading">"Raise a concern"</h2>
            <p class="hint">"If the child is in immediate danger, call the police on 999 first."</p>
            <form on:submit=submit novalidate data-testid="raise-concern">
                <fieldset>
                    <legend>"The child"</legend>
                    <TextInput id="concern-name" label="Name" value=name required=true hint="As you know them; spelling need not be exact"/>
                    <TextInput id="concern-dob" label="Date of birth" value=dob kind="date"/>
                    <TextInput id="concern-age" label="Age in years, if you do not know the date of birth" value=age kind="number"/>
                    <TextInput id="concern-nhs" label="NHS number, if known" value=nhs/>
                    <TextInput id="concern-address" label="Address" value=address/>
                    <TextInput id="concern-school" label="School or nursery" value=school/>
                </fieldset>
                <TextArea id="concern-narrative" label="What you saw or heard" value=narrative rows=5 hint="In your own words: what, when, where. No formal disclosure is needed."/>
                <TextArea id="concern-words" label="The child's own words" value=words hint="Exactly as said, if the child said anything"/>
                <SelectInput id="concern-source" label="Where this comes from" value=source/>
                <IndicatorPicker selected recent=Vec::new() suggest_from=Signal::derive(move || narrative.get())/>
                <SelectInput id="concern-urgency" label="How urgent" value=urgency/>
                <TextInput id="concern-contact" label="How the front door can reach you" value=contact hint="A phone number or email address"/>
                {move || message.get().map(|(ok, m)| view! {
                    <p class=if ok { "notice" } else { "error" } role=if ok { "status" } else { "alert" } data-testid="concern-message">{m}</p>
                })}
                <button type="submit" class="button primary" data-testid="save-concern">"Save the concern"</button>
            </form>
            <p class="hint">{move || format!("Today is {}.", show_date(&crate::components::form::today().to_string()))}</p>
        </section>
    }
}
