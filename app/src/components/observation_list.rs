//! The record's observations, newest first, with their corrections: amendments listed under
//! the original (which stays visible) and withdrawals shown struck through with the reason.
//! Anyone can amend; only the author or a manager can withdraw.

use leptos::prelude::*;
use shared::api::Role;
use shared::record::corrections::{self, Amendment, Withdrawal};
use shared::record::{Observation, Record};
use shared::ChildId;

use crate::components::draft;
use crate::components::form::{
    by_id, by_line, item, FormState, Forms, InlineForm, SavedMessage, SelectText, TextArea,
};
use crate::components::ObservationCard;
use crate::platform;
use crate::state::use_app;

/// Parts of an observation a correction can name: (stored name, label).
const FIELDS: &[(&str, &str)] = &[
    ("narrative", "What was seen or heard"),
    ("date", "Date it happened"),
    ("where", "Where"),
    ("who was present", "Who was present"),
    ("child's words", "The child's own words"),
    ("indicators", "Indicators"),
    ("body map", "Body map"),
    ("source", "Source"),
    ("action taken", "Action taken"),
    ("other", "Something else"),
];

fn original_value(obs: &Observation, field: &str) -> String {
    match field {
        "narrative" => obs.narrative.clone(),
        "date" => platform::format_occurred(&obs.occurred),
        "where" => obs.location.clone(),
        "who was present" => obs.present.join(", "),
        "child's words" => obs.child_words.clone(),
        "action taken" => obs.action_taken.clone(),
        "source" => obs.source.label().to_owned(),
        _ => String::new(),
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    obs: Observation,
    withdrawal: Option<Withdrawal>,
    amendments: Vec<Amendment>,
}

fn entries(record: &Record) -> Vec<Entry> {
    record
        .observations
        .iter()
        .rev()
        .map(|o| Entry {
            obs: o.clone(),
            withdrawal: record
                .withdrawals
                .iter()
                .find(|w| w.observation_id == o.id)
                .cloned(),
            amendments: record
                .amendments
                .iter()
                .filter(|a| a.observation_id == o.id)
                .cloned()
                .collect(),
        })
        .collect()
}

/// The section's forms; one correction form is open at a time.
#[derive(Debug, Clone, PartialEq)]
enum Open {
    Amend(String),
    Withdraw(String),
}

#[component]
pub fn ObservationsSection(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let forms: Forms<Open> = Forms::new();
    let list = Memo::new(move |_| record.with(entries));
    let (ids, items) = by_id(list, |e: &Entry| e.obs.id.to_string());
    let total = move || list.with(Vec::len);
    let unreadable = move || record.with(|r| r.unreadable);

    view! {
        <p class="hint">{move || {
            let n = total();
            format!("{n} observation{} on this tablet, newest first.", if n == 1 { "" } else { "s" })
        }}</p>
        {move || (unreadable() > 0).then(|| view! {
            <p class="warning">{format!(
                "{} entr{} written by a newer version of Quilt cannot be shown here. Update the app to see the whole record.",
                unreadable(),
                if unreadable() == 1 { "y" } else { "ies" }
            )}</p>
        })}
        <SavedMessage message=forms.saved/>
        <ol class="observations" data-testid="observation-list" reversed>
            <For
                each=move || ids.get()
                key=String::clone
                children=move |id| {
                    let child = child.clone();
                    view! { <ObservationEntry entry=item(items, id) forms child/> }
                }
            />
        </ol>
    }
}

/// One observation with its corrections; `entry` follows the record while the item (and any
/// open correction form) stays.
#[component]
fn ObservationEntry(
    entry: Memo<Option<Entry>>,
    forms: Forms<Open>,
    child: ChildId,
) -> impl IntoView {
    let app = use_app();
    let Some(first) = entry.get_untracked() else {
        return ().into_any();
    };
    let id = first.obs.id.to_string();
    let author = first.obs.author_id.clone();
    let withdrawn =
        Memo::new(move |_| entry.with(|e| e.as_ref().is_some_and(|e| e.withdrawal.is_some())));
    let may_withdraw = move || {
        !withdrawn.get()
            && app.session.with_untracked(|s| {
                s.as_ref()
                    .is_some_and(|s| s.user.id == author || s.user.role == Role::Manager)
            })
    };
    let amend_open = forms.shows(Open::Amend(id.clone()));
    let withdraw_open = forms.shows(Open::Withdraw(id.clone()));
    let shown = move || entry.get().map(|e| view! { <EntryView entry=e/> });
    let amend_form = {
        let child = child.clone();
        move || {
            entry
                .get_untracked()
                .map(|e| view! { <AmendForm child=child.clone() obs=e.obs forms/> })
        }
    };
    let withdraw_form = {
        let (child, id) = (child.clone(), id.clone());
        move || view! { <WithdrawForm child=child.clone() observation=id.clone() forms/> }
    };

    view! {
        <li data-testid="observation-item" data-withdrawn=move || withdrawn.get().then_some("true") class:withdrawn=move || withdrawn.get()>
            {shown}
            <div class="entry-actions">
                <button type="button" class="button secondary" data-testid=format!("amend-{id}")
                    aria-expanded=move || amend_open.get().to_string()
                    on:click={
                        let id = id.clone();
                        move |_| forms.open(Open::Amend(id.clone()))
                    }>
                    "Amend"
                </button>
                {move || may_withdraw().then(|| {
                    let id = id.clone();
                    view! {
                        <button type="button" class="button secondary" data-testid=format!("withdraw-{id}")
                            aria-expanded=move || withdraw_open.get().to_string()
                            on:click=move |_| forms.open(Open::Withdraw(id.clone()))>
                            "Withdraw"
                        </button>
                    }
                })}
            </div>
            <Show when=move || amend_open.get()>{amend_form.clone()}</Show>
            <Show when=move || withdraw_open.get()>{withdraw_form.clone()}</Show>
        </li>
    }
    .into_any()
}

/// The observation as recorded, its withdrawal if any, and its corrections.
#[component]
fn EntryView(entry: Entry) -> impl IntoView {
    let Entry {
        obs,
        withdrawal,
        amendments,
    } = entry;
    let withdrawn_note = withdrawal.map(|w| {
        view! {
            <p class="withdrawn-note" data-testid="withdrawn-note">
                <strong>"Withdrawn: "</strong>{w.reason.clone()}
                {format!(" — {}", by_line(&w.added))}
            </p>
        }
    });
    let amendment_list = (!amendments.is_empty()).then(|| {
        view! {
            <section class="amendments" aria-label="Corrections">
                <h4>"Corrections"</h4>
                <ul>
                    {amendments.into_iter().map(|a| {
                        let label = FIELDS.iter().find(|(f, _)| *f == a.field).map_or(a.field.clone(), |(_, l)| (*l).to_owned());
                        view! {
                            <li data-testid="amendment-item" class="amendment">
                                <p><strong>{format!("{label}: ")}</strong><span class="corrected">{a.corrected}</span></p>
                                <p>{format!("Reason: {}", a.reason)}</p>
                                <p class="meta">{format!("Corrected by {}", by_line(&a.added))}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    view! {
        {withdrawn_note}
        <div class="observation-body">
            <ObservationCard obs/>
        </div>
        {amendment_list}
    }
}

/// Amends one part of `obs`; the original stays visible above the correction.
#[component]
fn AmendForm(child: ChildId, obs: Observation, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let field = RwSignal::new("narrative".to_owned());
    let text = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let obs_id = obs.id.to_string();
    let original = move || {
        let v = original_value(&obs, &field.get());
        (!v.trim().is_empty()).then(
            || view! { <p class="hint original">{format!("Original (stays visible): {v}")}</p> },
        )
    };
    let state = FormState::keeping(
        format!("amend:{child}:{obs_id}"),
        vec![
            draft::field("field", field),
            draft::field("text", text),
            draft::field("reason", reason),
        ],
    );
    let on_save = Callback::new(move |()| {
        let (corrected, why) = (text.get_untracked(), reason.get_untracked());
        if corrected.trim().is_empty() || why.trim().is_empty() {
            return state.fail("Enter the correction and the reason for it.");
        }
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let amendment = Amendment {
            id,
            observation_id: obs_id.clone(),
            field: field.get_untracked(),
            corrected: corrected.trim().to_owned(),
            reason: why.trim().to_owned(),
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| corrections::amend(doc, &amendment),
            move || forms.saved("Correction saved on this tablet. The original stays visible."),
        );
    });
    view! {
        <InlineForm title="Amend this observation" level=4 save="Save correction" save_id="amendment-save"
            intro="The original is kept; your correction is shown under it with your name and reason."
            state on_save on_cancel=Callback::new(move |()| forms.close())>
            <SelectText id="amendment-field" label="What needs correcting" value=field
                options=FIELDS.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()/>
            {original}
            <TextArea id="amendment-text" label="Correction" value=text required=true/>
            <TextArea id="amendment-reason" label="Reason for the correction" value=reason rows=2 required=true/>
        </InlineForm>
    }
}

/// Withdraws `observation`, recorded in error: it stays, struck through, with the reason.
#[component]
fn WithdrawForm(child: ChildId, observation: String, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let reason = RwSignal::new(String::new());
    let state = FormState::keeping(
        format!("withdraw:{child}:{observation}"),
        vec![draft::field("reason", reason)],
    );
    let on_save = Callback::new(move |()| {
        let why = reason.get_untracked();
        if why.trim().is_empty() {
            return state.fail("Enter the reason for withdrawing this observation.");
        }
        let added = match app.stamp() {
            Ok(s) => s,
            Err(e) => return state.fail(e),
        };
        let withdrawal = Withdrawal {
            observation_id: observation.clone(),
            reason: why.trim().to_owned(),
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| corrections::withdraw(doc, &withdrawal),
            move || {
                forms.saved(
                    "Observation withdrawn on this tablet. It stays in the record, struck through.",
                )
            },
        );
    });
    view! {
        <InlineForm title="Withdraw this observation" level=4 save="Withdraw observation" save_id="withdraw-save"
            intro="For an entry recorded in error. It stays visible, struck through, with your reason; it no longer counts towards flags."
            state on_save on_cancel=Callback::new(move |()| forms.close())>
            <TextArea id="withdraw-reason" label="Reason for withdrawing" value=reason rows=2 required=true/>
        </InlineForm>
    }
}
