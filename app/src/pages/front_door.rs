//! The front door (`/front-door`, front-door accounts only, online): every concern raised
//! about any child, the most overdue first; each new one with the children it may be about
//! and why (the same NHS number, a similar name and the same date of birth), to match to one
//! of them or to a new record; each matched one with its decision; and a concern taken from a
//! call (the public, a relative, an anonymous caller) with its owner and due date.

use leptos::prelude::*;
use shared::api::front_door::{
    CallerConcern, ConcernChild, ConcernSubmission, DecisionRequest, FrontDoorAnswer, MatchRequest,
    Queue, QueueItem, QueueState,
};
use shared::api::partnership::ChildFields;
use shared::record::front_door::{ConcernFrom, Decision, Urgency};
use shared::record::Source;

use crate::api;
use crate::components::form::{SelectInput, TextArea, TextInput};
use crate::components::online::{act, Outcome, Refresh};
use crate::components::SignedIn;
use crate::platform;
use crate::state::use_app;

#[component]
pub fn FrontDoor() -> impl IntoView {
    let app = use_app();
    let items = RwSignal::new(Vec::<QueueItem>::new());
    let note = RwSignal::new(None::<String>);
    let refresh = Refresh(RwSignal::new(0));
    Effect::new(move |_| {
        refresh.0.track();
        leptos::task::spawn_local(async move {
            match app
                .online(async |token| api::get_json::<Queue>(&token, "/api/front-door/queue").await)
                .await
            {
                Ok(q) => {
                    items.set(q.items);
                    note.set(None);
                }
                Err(e) => note.set(Some(e)),
            }
        });
    });
    view! {
        <SignedIn>
            <h1>"Front door"</h1>
            <p class="lede">"Every concern about any child, from any agency or caller: match it to the child, decide within one working day, and the referrer hears the decision."</p>
            {move || note.get().map(|n| view! { <p class="error" role="alert">{n}</p> })}
            <RecordCall refresh/>
            <section aria-labelledby="queue-heading">
                <h2 id="queue-heading">"Concerns"</h2>
                <Show when=move || items.with(Vec::is_empty)>
                    <p>"No concerns are waiting."</p>
                </Show>
                <ul class="card-list" data-testid="front-door-queue">
                    <For each=move || items.get() key=|i| (i.id.clone(), i.state, i.child_id.clone(), i.decision) let:item>
                        <QueueCard item refresh/>
                    </For>
                </ul>
            </section>
        </SignedIn>
    }
}

#[component]
fn QueueCard(item: QueueItem, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let message = RwSignal::new(None::<(bool, String)>);
    let id = item.id.clone();
    let item_id = item.id.clone();
    let state = match item.state {
        QueueState::New => "New: match it to a child",
        QueueState::Matched => "Matched: decide",
        QueueState::Decided => "Decided",
    };
    let due = if item.overdue {
        format!("Decision overdue: was due {}", item.due.dmy())
    } else if item.state == QueueState::Decided {
        String::new()
    } else {
        format!("Decision due {}", item.due.dmy())
    };
    let from = if item.agency.is_empty() {
        format!("{} ({})", item.referrer, item.from.label())
    } else {
        format!("{}, {}", item.referrer, item.agency)
    };
    let matches = item.candidates.clone();
    let match_to = move |child: shared::ChildId, name: String| {
        let id = id.clone();
        act(
            app,
            message,
            format!("Matched to {name}: the concern is now in their record."),
            async move |token| {
                api::send_json::<_, FrontDoorAnswer>(
                    &token,
                    &format!("/api/front-door/concerns/{id}/match"),
                    &MatchRequest::Existing { child_id: child },
                    false,
                )
                .await
            },
            move |_| refresh.bump(),
        );
    };
    let c = item.concern.clone();
    let testid = format!("concern-{item_id}");
    let new_id = item_id.clone();
    let decide_id = item_id.clone();
    let outcome_id = format!("queue-{item_id}");
    let item_state = item.state;
    view! {
        <li class=if item.overdue { "card overdue" } else { "card" } data-testid=testid>
            <h3>{c.child.describe()}</h3>
            <p class="badge">{state}</p>
            <p data-testid="concern-due">{due}</p>
            <dl class="facts">
                <dt>"From"</dt><dd data-testid="concern-from">{from}</dd>
                <dt>"Received"</dt><dd>{item.received_on.dmy()}</dd>
                <dt>"Urgency"</dt><dd>{c.urgency.label()}</dd>
                <dt>"What was seen or heard"</dt><dd>{c.narrative.clone()}</dd>
                <dt>"The child's words"</dt><dd>{c.child_words.clone()}</dd>
                <dt>"Contact"</dt><dd>{item.contact.clone()}</dd>
                <dt>"Owner"</dt><dd>{item.owner_name.clone()}</dd>
            </dl>
            {item.child_name.clone().map(|n| view! { <p data-testid="concern-child">{format!("In the record of {n}")}</p> })}
            {item.decision.map(|d| view! {
                <p data-testid="concern-decision">{format!("Decided {}: {}", item.decided_on.map(|d| d.dmy()).unwrap_or_default(), d.label())}</p>
            })}
            <Show when=move || item_state == QueueState::New>
                <h4>"Who this may be"</h4>
                <ul data-testid="concern-candidates">
                    {matches.clone().into_iter().map(|m| {
                        let name = m.child.fields.display_name.clone();
                        let reasons: Vec<_> = m.reasons.iter().map(|r| r.label()).collect();
                        let child = m.child.child_id.clone();
                        let go = match_to.clone();
                        let label = format!("This is {name}");
                        let testid = format!("match-{}", m.child.child_id);
                        view! {
                            <li>
                                <p>{format!("{name}, born {}: {}", m.child.fields.date_of_birth, reasons.join("; "))}</p>
                                <button type="button" class="button" data-testid=testid on:click=move |_| go(child.clone(), name.clone())>{label}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <NewRecord concern=c.clone() id=new_id.clone() refresh/>
            </Show>
            <Show when=move || item_state == QueueState::Matched>
                <Decide id=decide_id.clone() refresh/>
            </Show>
            <Outcome message testid=outcome_id/>
        </li>
    }
}

/// A new record from what the concern says, for a child nobody has one of.
#[component]
fn NewRecord(concern: ConcernSubmission, id: String, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let open = RwSignal::new(false);
    let name = RwSignal::new(concern.child.name.clone());
    let dob = RwSignal::new(concern.child.date_of_birth.clone());
    let reason = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let nhs = concern.child.nhs_number.clone();
    let address = concern.child.address.clone();
    let school = concern.child.school.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = ChildFields {
            display_name: name.get_untracked(),
            other_names: Vec::new(),
            date_of_birth: dob.get_untracked(),
            unborn: false,
            nhs_number: nhs.clone(),
            nhs_unknown_reason: reason.get_untracked(),
            address: address.clone(),
            school: school.clone(),
            legal_status: "Referral".into(),
        };
        let id = id.clone();
        act(
            app,
            message,
            "A new record is made, holding the concern.".into(),
            async move |token| {
                api::send_json::<_, FrontDoorAnswer>(
                    &token,
                    &format!("/api/front-door/concerns/{id}/match"),
                    &MatchRequest::New {
                        fields: Box::new(fields),
                        team_id: None,
                        not_duplicates: Vec::new(),
                    },
                    false,
                )
                .await
            },
            move |_| refresh.bump(),
        );
    };
    view! {
        <Show when=move || open.get() fallback=move || view! {
            <button type="button" class="button secondary" data-testid="new-record" on:click=move |_| open.set(true)>"None of these: a new record"</button>
        }>
            <form on:submit=submit.clone() novalidate data-testid="new-record-form">
                <TextInput id="new-record-name" label="Name" value=name required=true/>
                <TextInput id="new-record-dob" label="Date of birth (or best estimate)" value=dob kind="date" required=true/>
                <TextInput id="new-record-nhs-reason" label="Why there is no NHS number, if none" value=reason/>
                <Outcome message testid="new-record"/>
                <button type="submit" class="button primary" data-testid="create-record">"Make the record"</button>
            </form>
        </Show>
    }
}

#[component]
fn Decide(id: String, refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let decision = RwSignal::new(Decision::Assessment);
    let reasons = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = DecisionRequest {
            decision: decision.get_untracked(),
            note: reasons.get_untracked(),
        };
        let id = id.clone();
        act(
            app,
            message,
            "Decided: the record and the referrer show it.".into(),
            async move |token| {
                api::send_json::<_, FrontDoorAnswer>(
                    &token,
                    &format!("/api/front-door/concerns/{id}/decision"),
                    &body,
                    false,
                )
                .await
            },
            move |_| refresh.bump(),
        );
    };
    view! {
        <form on:submit=submit novalidate data-testid="decide-form">
            <SelectInput id="decision" label="Decision" value=decision/>
            <TextArea id="decision-reasons" label="Why, and what happens next" value=reasons required=true/>
            <Outcome message testid="decision"/>
            <button type="submit" class="button primary" data-testid="decide">"Record the decision"</button>
        </form>
    }
}

/// A concern taken from a call: the public, a relative, an anonymous caller.
#[component]
fn RecordCall(refresh: Refresh) -> impl IntoView {
    let app = use_app();
    let open = RwSignal::new(false);
    let from = RwSignal::new(ConcernFrom::Anonymous);
    let caller = RwSignal::new(String::new());
    let relationship = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let narrative = RwSignal::new(String::new());
    let urgency = RwSignal::new(Urgency::Today);
    let due = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(id), Some(owner)) = (platform::new_id(), app.user_id()) else {
            message.set(Some((false, "Sign in again to record a call.".into())));
            return;
        };
        let Ok(owner) = owner.parse() else {
            return;
        };
        let call = CallerConcern {
            concern: ConcernSubmission {
                id: format!("concern-{id}"),
                raised_at_ms: platform::now_ms() as i64,
                child: ConcernChild {
                    name: name.get_untracked(),
                    date_of_birth: dob.get_untracked(),
                    age_years: None,
                    nhs_number: None,
                    address: address.get_untracked(),
                    school: String::new(),
                },
                indicators: Vec::new(),
                source: Source::ThirdParty,
                narrative: narrative.get_untracked(),
                child_words: String::new(),
                urgency: urgency.get_untracked(),
                contact: String::new(),
            },
            from: from.get_untracked(),
            caller_name: caller.get_untracked(),
            relationship: relationship.get_untracked(),
            owner,
            due: due.get_untracked(),
        };
        act(
            app,
            message,
            "The call is in the queue, owned by you.".into(),
            async move |token| {
                api::send_json::<_, FrontDoorAnswer>(
                    &token,
                    "/api/front-door/concerns",
                    &call,
                    false,
                )
                .await
            },
            move |_| {
                for s in [caller, relationship, name, dob, address, narrative, due] {
                    s.set(String::new());
                }
                refresh.bump();
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="call-heading">
            <h2 id="call-heading">"Record a call"</h2>
            <Show when=move || open.get() fallback=move || view! {
                <button type="button" class="button" data-testid="record-call" on:click=move |_| open.set(true)>"Record a concern from a call"</button>
            }>
                <form on:submit=submit novalidate data-testid="call-form">
                    <SelectInput id="call-from" label="Who called" value=from/>
                    <TextInput id="call-name" label="Their name (none for an anonymous caller)" value=caller/>
                    <TextInput id="call-relationship" label="Their relationship to the child" value=relationship/>
                    <TextInput id="call-child" label="The child's name" value=name required=true/>
                    <TextInput id="call-dob" label="The child's date of birth, if known" value=dob kind="date"/>
                    <TextInput id="call-address" label="Address" value=address/>
                    <TextArea id="call-narrative" label="What they said" value=narrative rows=4 required=true/>
                    <SelectInput id="call-urgency" label="How urgent" value=urgency/>
                    <TextInput id="call-due" label="Response due (one working day if empty)" value=due kind="date"/>
                    <Outcome message testid="call"/>
                    <button type="submit" class="button primary" data-testid="save-call">"Save the call"</button>
                </form>
            </Show>
        </section>
    }
}
