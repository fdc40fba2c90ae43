//! The record's observations, newest first, with their corrections: amendments listed under
//! the original (which stays visible) and withdrawals shown struck through with the reason.
//! Anyone can amend; only the author or a manager can withdraw.

use leptos::prelude::*;
use shared::api::Role;
use shared::record::corrections::{self, Amendment, Withdrawal};
use shared::record::{Observation, Record};
use shared::ChildId;

use crate::components::form::{
    by_line, content_key, refresh, FormError, FormState, SavedMessage, SelectText, TextArea,
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

#[derive(Debug, Clone, PartialEq)]
enum Open {
    Amend(String),
    Withdraw(String),
}

/// The section's form state; one correction form is open at a time.
#[derive(Debug, Clone, Copy)]
struct Forms {
    open: RwSignal<Option<Open>>,
    field: RwSignal<String>,
    text: RwSignal<String>,
    reason: RwSignal<String>,
    withdraw_reason: RwSignal<String>,
    state: FormState,
    saved: RwSignal<Option<String>>,
}

#[component]
pub fn ObservationsSection(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let forms = Forms {
        open: RwSignal::new(None),
        field: RwSignal::new("narrative".to_owned()),
        text: RwSignal::new(String::new()),
        reason: RwSignal::new(String::new()),
        withdraw_reason: RwSignal::new(String::new()),
        state: FormState::new(),
        saved: RwSignal::new(None),
    };
    let list = Memo::new(move |_| record.with(entries));
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
                each=move || list.get()
                key=|e: &Entry| content_key(e)
                children=move |entry| {
                    let child = child.clone();
                    view! { <ObservationEntry entry forms child/> }
                }
            />
        </ol>
    }
}

#[component]
fn ObservationEntry(entry: Entry, forms: Forms, child: ChildId) -> impl IntoView {
    let app = use_app();
    let Entry {
        obs,
        withdrawal,
        amendments,
    } = entry;
    let id = obs.id.clone();
    let withdrawn = withdrawal.is_some();
    let may_withdraw = !withdrawn
        && app.session.with_untracked(|s| {
            s.as_ref()
                .is_some_and(|s| s.user.id == obs.author_id || s.user.role == Role::Manager)
        });

    let open_amend = {
        let id = id.clone();
        move |_| {
            forms.field.set("narrative".to_owned());
            forms.text.set(String::new());
            forms.reason.set(String::new());
            forms.state.error.set(None);
            forms.saved.set(None);
            forms.open.set(Some(Open::Amend(id.to_string())));
        }
    };
    let open_withdraw = {
        let id = id.clone();
        move |_| {
            forms.withdraw_reason.set(String::new());
            forms.state.error.set(None);
            forms.saved.set(None);
            forms.open.set(Some(Open::Withdraw(id.to_string())));
        }
    };
    let amend_open = {
        let id = id.clone();
        Memo::new(move |_| {
            forms
                .open
                .with(|o| matches!(o, Some(Open::Amend(x)) if *x == id))
        })
    };
    let withdraw_open = {
        let id = id.clone();
        Memo::new(move |_| {
            forms
                .open
                .with(|o| matches!(o, Some(Open::Withdraw(x)) if *x == id))
        })
    };

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

    let amend_form = {
        let obs = obs.clone();
        let child = child.clone();
        move || {
            let obs = obs.clone();
            let child = child.clone();
            let obs_id = obs.id.clone();
            let original = move || {
                let v = original_value(&obs, &forms.field.get());
                (!v.trim().is_empty()).then(|| view! { <p class="hint original">{format!("Original (stays visible): {v}")}</p> })
            };
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                refresh(&[
                    ("amendment-field", forms.field),
                    ("amendment-text", forms.text),
                    ("amendment-reason", forms.reason),
                ]);
                let (text, reason) = (forms.text.get_untracked(), forms.reason.get_untracked());
                if text.trim().is_empty() || reason.trim().is_empty() {
                    forms
                        .state
                        .fail("Enter the correction and the reason for it.");
                    return;
                }
                let (added, id) = match (app.stamp(), platform::new_id()) {
                    (Ok(s), Ok(id)) => (s, id),
                    (Err(e), _) | (_, Err(e)) => return forms.state.fail(e),
                };
                let amendment = Amendment {
                    id,
                    observation_id: obs_id.to_string(),
                    field: forms.field.get_untracked(),
                    corrected: text.trim().to_owned(),
                    reason: reason.trim().to_owned(),
                    added,
                };
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| corrections::amend(doc, &amendment),
                    move || {
                        forms.open.set(None);
                        forms.saved.set(Some(
                            "Correction saved on this tablet. The original stays visible."
                                .to_owned(),
                        ));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h4>"Amend this observation"</h4>
                    <p class="hint">"The original is kept; your correction is shown under it with your name and reason."</p>
                    <SelectText id="amendment-field" label="What needs correcting" value=forms.field
                        options=FIELDS.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()/>
                    {original}
                    <TextArea id="amendment-text" label="Correction" value=forms.text required=true/>
                    <TextArea id="amendment-reason" label="Reason for the correction" value=forms.reason rows=2 required=true/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="amendment-save" disabled=move || forms.state.saving.get()>"Save correction"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    let withdraw_form = {
        let child = child.clone();
        let obs_id = id.clone();
        move || {
            let child = child.clone();
            let obs_id = obs_id.clone();
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                refresh(&[("withdraw-reason", forms.withdraw_reason)]);
                let reason = forms.withdraw_reason.get_untracked();
                if reason.trim().is_empty() {
                    forms
                        .state
                        .fail("Enter the reason for withdrawing this observation.");
                    return;
                }
                let added = match app.stamp() {
                    Ok(s) => s,
                    Err(e) => return forms.state.fail(e),
                };
                let withdrawal = Withdrawal {
                    observation_id: obs_id.to_string(),
                    reason: reason.trim().to_owned(),
                    added,
                };
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| corrections::withdraw(doc, &withdrawal),
                    move || {
                        forms.open.set(None);
                        forms.saved.set(Some("Observation withdrawn on this tablet. It stays in the record, struck through.".to_owned()));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h4>"Withdraw this observation"</h4>
                    <p class="hint">"For an entry recorded in error. It stays visible, struck through, with your reason; it no longer counts towards flags."</p>
                    <TextArea id="withdraw-reason" label="Reason for withdrawing" value=forms.withdraw_reason rows=2 required=true/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="withdraw-save" disabled=move || forms.state.saving.get()>"Withdraw observation"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    view! {
        <li data-testid="observation-item" data-withdrawn=withdrawn.then_some("true") class:withdrawn=withdrawn>
            {withdrawn_note}
            <div class="observation-body">
                <ObservationCard obs/>
            </div>
            {amendment_list}
            <div class="entry-actions">
                <button type="button" class="button secondary" data-testid=format!("amend-{id}")
                    aria-expanded=move || amend_open.get().to_string() on:click=open_amend>
                    "Amend"
                </button>
                {may_withdraw.then(|| view! {
                    <button type="button" class="button secondary" data-testid=format!("withdraw-{id}")
                        aria-expanded=move || withdraw_open.get().to_string() on:click=open_withdraw>
                        "Withdraw"
                    </button>
                })}
            </div>
            <Show when=move || amend_open.get()>{amend_form.clone()}</Show>
            <Show when=move || withdraw_open.get()>{withdraw_form.clone()}</Show>
        </li>
    }
}
