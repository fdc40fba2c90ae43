//! Visits on the tablet: whether the child was seen, seen alone, at home, the bedroom, in the
//! child's words, and, one tap each, what made a visit hostile or difficult. A difficult
//! visit shows its debrief, due from the practitioner's manager, who records it here.
//! Recorded offline like everything else.

use leptos::prelude::*;
use shared::analytics::lessons::{DebriefTask, Lessons};
use shared::calendar::Date;
use shared::choice::Choice;
use shared::record::visits::{self, Debrief, Difficulty, Visit, VisitPlace};
use shared::record::Record;
use shared::ChildId;

use crate::components::draft::field;
use crate::components::form::{
    by_line, CheckInput, FormState, Forms, InlineForm, SavedMessage, SelectInput, TextArea,
    TextInput,
};
use crate::platform;
use crate::state::use_app;

#[derive(Debug, Clone, PartialEq)]
enum Open {
    Visit,
    /// Debriefing the visit with this id.
    Debrief(String),
}

#[component]
pub fn VisitsSection(
    record: Memo<Record>,
    lessons: Memo<Option<Lessons>>,
    child: ChildId,
) -> impl IntoView {
    let app = use_app();
    let forms: Forms<Open> = Forms::new();
    let list = Memo::new(move |_| {
        record.with(|r| {
            let mut v = r.visits.clone();
            v.reverse();
            v
        })
    });
    let task = move |id: &str| -> Option<DebriefTask> {
        lessons.with(|l| {
            l.as_ref()
                .and_then(|l| l.debriefs.iter().find(|d| d.visit_id == id).cloned())
        })
    };
    let record_open = forms.shows(Open::Visit);
    let item = {
        let child = child.clone();
        move |v: Visit| {
            let child = child.clone();
            let id = v.id.clone();
            let debrief_open = forms.shows(Open::Debrief(id.clone()));
            let t = task(&v.id);
            let debriefs: Vec<Debrief> = record.with_untracked(|r| {
                r.debriefs
                    .iter()
                    .filter(|d| d.visit_id == v.id)
                    .cloned()
                    .collect()
            });
            let due = t
                .as_ref()
                .filter(|t| t.done_on.is_none())
                .map(|t| format!("Debrief due {} (team manager)", t.due.dmy()));
            let can_debrief = app.is_manager() && due.is_some();
            let open_id = id.clone();
            view! {
                <li data-testid="visit-item" class:difficult=v.is_difficult()>
                    <strong>{platform::format_occurred(&v.date)}</strong>" "{v.headline()}
                    {(!v.child_words.is_empty()).then(|| view! {
                        <blockquote class="child-words">{format!("“{}”", v.child_words)}</blockquote>
                    })}
                    {(!v.note.is_empty()).then(|| view! { <p>{v.note.clone()}</p> })}
                    <p class="meta">{format!("{} ({})", by_line(&v.added), v.agency)}</p>
                    {due.map(|d| view! { <p class="warning" data-testid="debrief-due">{d}</p> })}
                    {debriefs.into_iter().map(|d| view! {
                        <p class="success" data-testid="debrief-done">
                            {format!("Debriefed {}: {} ({})", platform::format_occurred(&d.date), d.note, by_line(&d.added))}
                        </p>
                    }).collect_view()}
                    {can_debrief.then(|| view! {
                        <div class="section-actions">
                            <button type="button" class="button" data-testid="debrief-open"
                                on:click=move |_| forms.open(Open::Debrief(open_id.clone()))>"Record the debrief"</button>
                        </div>
                    })}
                    <Show when=move || debrief_open.get()>
                        <DebriefForm child=child.clone() visit=id.clone() forms/>
                    </Show>
                </li>
            }
        }
    };
    let form = {
        let child = child.clone();
        move || view! { <VisitForm child=child.clone() forms/> }
    };
    view! {
        <p class="hint">"Every visit, by any agency: was the child seen, seen alone, seen at home, and was their bedroom seen?"</p>
        {move || list.with(Vec::is_empty).then(|| view! { <p class="hint">"No visit recorded."</p> })}
        <ol class="visit-list" data-testid="visit-list">
            {move || list.get().into_iter().map(item.clone()).collect_view()}
        </ol>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-visit"
                aria-expanded=move || record_open.get().to_string() on:click=move |_| forms.open(Open::Visit)>
                "Record a visit"
            </button>
        </div>
        <Show when=move || record_open.get()>{form.clone()}</Show>
        <SavedMessage message=forms.saved/>
    }
}

/// Records a visit: the sighting first, then what made it hard, one tap each.
#[component]
fn VisitForm(child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let place = RwSignal::new(VisitPlace::Home);
    let seen = RwSignal::new(true);
    let alone = RwSignal::new(false);
    let bedroom = RwSignal::new(false);
    let words = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let hard: Vec<(Difficulty, RwSignal<bool>)> = Difficulty::ALL
        .iter()
        .map(|d| (*d, RwSignal::new(false)))
        .collect();
    let state = FormState::keeping(
        format!("visit:{child}"),
        vec![
            field("date", date),
            field("words", words),
            field("note", note),
        ],
    );
    let chosen = hard.clone();
    let on_save = Callback::new(move |()| {
        let date = date.get_untracked();
        if date.parse::<Date>().is_err() {
            return state.fail("Enter the date of the visit.");
        }
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let seen = seen.get_untracked();
        let at_home = place.get_untracked() == VisitPlace::Home;
        let visit = Visit {
            id,
            date,
            place: place.get_untracked(),
            seen,
            seen_alone: seen && alone.get_untracked(),
            bedroom_seen: at_home && bedroom.get_untracked(),
            child_words: words.get_untracked().trim().to_owned(),
            difficulties: chosen
                .iter()
                .filter(|(_, on)| on.get_untracked())
                .map(|(d, _)| *d)
                .collect(),
            note: note.get_untracked().trim().to_owned(),
            agency: app.agency(),
            added,
        };
        if let Err(e) = visit.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        let difficult = visit.is_difficult();
        state.save(
            app,
            child.clone(),
            move |doc| visits::add_visit(doc, &visit),
            move || {
                forms.saved(if difficult {
                    "Visit saved on this tablet. Your manager will be asked to debrief it with you."
                } else {
                    "Visit saved on this tablet."
                })
            },
        );
    });
    view! {
        <InlineForm title="Record a visit" save="Save visit" save_id="visit-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <TextInput id="visit-date" label="Date" kind="date" value=date required=true/>
                <SelectInput id="visit-place" label="Where" value=place/>
            </div>
            <fieldset class="checks">
                <legend>"The child"</legend>
                <CheckInput id="visit-seen" label="Seen" value=seen/>
                <CheckInput id="visit-alone" label="Seen alone" value=alone/>
                <Show when=move || place.get() == VisitPlace::Home>
                    <CheckInput id="visit-bedroom" label="Bedroom seen" value=bedroom/>
                </Show>
            </fieldset>
            <TextArea id="visit-words" label="The child's own words" value=words rows=2/>
            <fieldset class="checks difficulties">
                <legend>"Was the visit hostile or difficult? Tap what happened."</legend>
                {hard.iter().map(|(d, on)| view! {
                    <CheckInput id=format!("visit-{}", d.code()) label=d.label() value=*on/>
                }).collect_view()}
            </fieldset>
            <TextArea id="visit-note" label="What happened" value=note rows=3/>
        </InlineForm>
    }
}

/// A manager's debrief of a difficult visit with the practitioner.
#[component]
fn DebriefForm(child: ChildId, visit: String, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let note = RwSignal::new(String::new());
    let state = FormState::keeping(
        format!("debrief:{child}:{visit}"),
        vec![field("date", date), field("note", note)],
    );
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let debrief = Debrief {
            id,
            visit_id: visit.clone(),
            date: date.get_untracked(),
            note: note.get_untracked().trim().to_owned(),
            added,
        };
        if let Err(e) = debrief.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| visits::add_debrief(doc, &debrief),
            move || forms.saved("Debrief saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Debrief the visit" level=4 save="Save debrief" save_id="debrief-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <TextInput id="debrief-date" label="Date" kind="date" value=date required=true/>
            <TextArea id="debrief-note" label="What was talked through, and what changes in how the family is visited" value=note rows=3/>
        </InlineForm>
    }
}
