//! Escalation that must be answered, on the tablet: drift's state with a manager's response
//! (escalated, legal planning meeting, complex case panel, or continue with a reason, and a
//! review date), and professional challenges: raised by anyone on the record, moved on stage
//! by stage against their clocks, closed only with an outcome.

use leptos::prelude::*;
use shared::analytics::lessons::{ChallengeView, DriftState, Lessons, Stage};
use shared::record::escalation::{
    self, Challenge, ChallengeStep, DriftAction, DriftResponse, Outcome, StepKind,
};
use shared::ChildId;

use crate::components::draft::field;
use crate::components::form::{
    by_line, FormState, Forms, InlineForm, SavedMessage, SelectInput, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

#[derive(Debug, Clone, PartialEq)]
enum Open {
    Drift,
    Raise,
    /// A step of the challenge with this id.
    Step(String, StepKind),
}

#[component]
pub fn EscalationSection(
    lessons: Memo<Option<Lessons>>,
    drifting: Memo<bool>,
    child: ChildId,
) -> impl IntoView {
    let app = use_app();
    let forms: Forms<Open> = Forms::new();
    let drift = Memo::new(move |_| lessons.with(|l| l.as_ref().and_then(|l| l.drift.clone())));
    let challenges = Memo::new(move |_| {
        lessons.with(|l| l.as_ref().map(|l| l.challenges.clone()).unwrap_or_default())
    });
    let drift_open = forms.shows(Open::Drift);
    let raise_open = forms.shows(Open::Raise);
    let drift_words = move || {
        drift.get().map(|d| match d {
            DriftState::Unanswered => {
                "Drift: risks are not reducing and no manager has responded.".to_owned()
            }
            DriftState::Answered {
                action,
                review_on,
                responses,
            } => format!(
                "Drift answered: {}{}; review on {}.",
                action.label().to_lowercase(),
                if responses > 1 {
                    format!(" ({responses} responses)")
                } else {
                    String::new()
                },
                review_on.dmy()
            ),
            DriftState::ReviewDue { action, review_on } => format!(
                "Drift: the response ({}) was to be reviewed on {}; risks are still not reducing.",
                action.label().to_lowercase(),
                review_on.dmy()
            ),
        })
    };
    let item = {
        let child = child.clone();
        move |c: ChallengeView| challenge_item(c, child.clone(), forms)
    };
    let (c1, c2) = (child.clone(), child.clone());
    view! {
        {move || drift_words().map(|w| view! { <p class="warning" data-testid="drift-state">{w}</p> })}
        {move || (app.is_manager() && drifting.get()).then(|| view! {
            <div class="section-actions">
                <button type="button" class="button" data-testid="drift-respond"
                    aria-expanded=move || drift_open.get().to_string() on:click=move |_| forms.open(Open::Drift)>
                    "Respond to drift"
                </button>
            </div>
        })}
        <Show when=move || drift_open.get()>
            <DriftForm child=c1.clone() forms/>
        </Show>
        <h3>"Professional challenges"</h3>
        {move || challenges.with(Vec::is_empty).then(|| view! { <p class="hint">"No challenge raised."</p> })}
        <ol class="challenge-list" data-testid="challenge-list">
            {move || challenges.get().into_iter().map(item.clone()).collect_view()}
        </ol>
        <div class="section-actions">
            <button type="button" class="button" data-testid="raise-challenge"
                aria-expanded=move || raise_open.get().to_string() on:click=move |_| forms.open(Open::Raise)>
                "Challenge a decision"
            </button>
        </div>
        <Show when=move || raise_open.get()>
            <RaiseForm child=c2.clone() forms/>
        </Show>
        <SavedMessage message=forms.saved/>
    }
}

fn challenge_item(c: ChallengeView, child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let id = c.challenge.id.clone();
    let next: Vec<(StepKind, &'static str)> = match c.stage {
        Stage::Closed => Vec::new(),
        Stage::Practitioners if c.acknowledged_on.is_none() => vec![
            (StepKind::Acknowledged, "Acknowledge"),
            (StepKind::ToManagers, "Escalate to managers"),
            (StepKind::Closed, "Close with an outcome"),
        ],
        Stage::Practitioners => vec![
            (StepKind::ToManagers, "Escalate to managers"),
            (StepKind::Closed, "Close with an outcome"),
        ],
        Stage::Managers => vec![
            (StepKind::ToSenior, "Escalate to senior managers"),
            (StepKind::Closed, "Close with an outcome"),
        ],
        Stage::Senior => vec![(StepKind::Closed, "Close with an outcome")],
    };
    let due = c
        .due
        .map(|d| format!("Next step due {} ({})", d.dmy(), c.stage.owner()));
    let outcomes: Vec<String> = c.outcomes.iter().map(|o| o.label().to_owned()).collect();
    view! {
        <li data-testid="challenge-item">
            <strong>{format!("Raised {} by {}", platform::format_occurred(&c.challenge.raised_on), c.challenge.agency)}</strong>
            <p>{format!("About: {}", c.challenge.about)}</p>
            <p>{format!("Why: {}", c.challenge.reason)}</p>
            <p data-testid="challenge-stage">{format!("Now {}", c.stage.label())}
                {(!outcomes.is_empty()).then(|| format!(": {}", outcomes.join(" / ")))}</p>
            {due.map(|d| view! { <p class="warning">{d}</p> })}
            <ol class="steps">
                {c.steps.iter().map(|s| view! {
                    <li data-testid="challenge-step">{format!("{}: {}{} ({}, {})",
                        platform::format_occurred(&s.date), s.kind.label(),
                        if s.note.is_empty() { String::new() } else { format!(" — {}", s.note) },
                        by_line(&s.added), s.agency)}</li>
                }).collect_view()}
            </ol>
            <div class="section-actions">
                {next.into_iter().map(|(kind, label)| {
                    let id = id.clone();
                    view! {
                        <button type="button" class="button" data-testid=format!("challenge-{}", shared::choice::Choice::code(kind))
                            on:click=move |_| forms.open(Open::Step(id.clone(), kind))>{label}</button>
                    }
                }).collect_view()}
            </div>
            {[StepKind::Acknowledged, StepKind::ToManagers, StepKind::ToSenior, StepKind::Closed].into_iter().map(|kind| {
                let shows = forms.shows(Open::Step(id.clone(), kind));
                let (child, id) = (child.clone(), id.clone());
                view! {
                    <Show when=move || shows.get()>
                        <StepForm child=child.clone() challenge=id.clone() kind forms/>
                    </Show>
                }
            }).collect_view()}
        </li>
    }
}

/// A manager's response to drift, with the date it is looked at again.
#[component]
fn DriftForm(child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let action = RwSignal::new(DriftAction::Escalated);
    let reason = RwSignal::new(String::new());
    let date = RwSignal::new(platform::today());
    let review = RwSignal::new(String::new());
    let state = FormState::keeping(
        format!("drift:{child}"),
        vec![field("reason", reason), field("review", review)],
    );
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let response = DriftResponse {
            id,
            date: date.get_untracked(),
            action: action.get_untracked(),
            reason: reason.get_untracked().trim().to_owned(),
            review_on: review.get_untracked(),
            added,
        };
        if let Err(e) = response.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| escalation::respond_to_drift(doc, &response),
            move || forms.saved("Response to drift saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Respond to drift" save="Save response" save_id="drift-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <SelectInput id="drift-action" label="Decision" value=action/>
                <TextInput id="drift-date" label="Date" kind="date" value=date required=true/>
                <TextInput id="drift-review" label="Review on" kind="date" value=review required=true/>
            </div>
            <TextArea id="drift-reason" label="Reason (required to continue unchanged)" value=reason rows=3/>
        </InlineForm>
    }
}

/// Raises a challenge of a decision, in the user's agency.
#[component]
fn RaiseForm(child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let about = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let date = RwSignal::new(platform::today());
    let state = FormState::keeping(
        format!("challenge:{child}"),
        vec![field("about", about), field("reason", reason)],
    );
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let challenge = Challenge {
            id,
            raised_on: date.get_untracked(),
            agency: app.agency(),
            about: about.get_untracked().trim().to_owned(),
            reason: reason.get_untracked().trim().to_owned(),
            added,
        };
        if let Err(e) = challenge.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| escalation::raise(doc, &challenge),
            move || forms.saved("Challenge saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Challenge a decision" save="Raise challenge" save_id="challenge-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <TextInput id="challenge-date" label="Date" kind="date" value=date required=true/>
            <TextArea id="challenge-about" label="The decision you disagree with" value=about rows=2/>
            <TextArea id="challenge-reason" label="Why" value=reason rows=3/>
        </InlineForm>
    }
}

/// Moves a challenge on, or closes it with an outcome.
#[component]
fn StepForm(
    child: ChildId,
    challenge: String,
    kind: StepKind,
    forms: Forms<Open>,
) -> impl IntoView {
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let note = RwSignal::new(String::new());
    let outcome = RwSignal::new(Outcome::Agreed);
    let closes = kind == StepKind::Closed;
    let state = FormState::new();
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let step = ChallengeStep {
            id,
            challenge_id: challenge.clone(),
            kind,
            date: date.get_untracked(),
            outcome: if closes {
                outcome.get_untracked()
            } else {
                Outcome::None
            },
            note: note.get_untracked().trim().to_owned(),
            agency: app.agency(),
            added,
        };
        if let Err(e) = step.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| escalation::step(doc, &step),
            move || forms.saved("Challenge updated on this tablet."),
        );
    });
    view! {
        <InlineForm title=kind.label() level=4 save="Save" save_id="step-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <TextInput id="step-date" label="Date" kind="date" value=date required=true/>
            {closes.then(|| view! { <SelectInput id="step-outcome" label="Outcome" value=outcome/> })}
            <TextArea id="step-note" label=if closes { "The outcome, in words (required)" } else { "Note" } value=note rows=2/>
        </InlineForm>
    }
}
