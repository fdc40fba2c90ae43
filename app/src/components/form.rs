//! Pieces every record form on the child's page uses: labelled controls whose `id` is also
//! their `data-testid`, one save path (through [`AppState::change_record`]), and the error and
//! saved messages in live regions.

use std::hash::{DefaultHasher, Hash, Hasher};

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::calendar::Date;
use shared::choice::Choice;
use shared::record::{Automerge, RecordError};
use shared::ChildId;

use crate::platform;
use crate::state::AppState;

/// A form's save state: a guard against double submits and the message of a failed save.
#[derive(Debug, Clone, Copy)]
pub struct FormState {
    pub saving: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl FormState {
    pub fn new() -> Self {
        FormState {
            saving: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Shows why the form cannot be saved yet.
    pub fn fail(&self, message: impl Into<String>) {
        self.error.set(Some(message.into()));
    }

    /// Writes `change` to the child's record through the app's one write path, then runs
    /// `done` (typically: close the form and say it was saved).
    pub fn save(
        self,
        app: AppState,
        child: ChildId,
        change: impl FnOnce(&mut Automerge) -> Result<(), RecordError> + 'static,
        done: impl FnOnce() + 'static,
    ) {
        if self.saving.get_untracked() {
            return;
        }
        self.saving.set(true);
        spawn_local(async move {
            match app.change_record(&child, change).await {
                Ok(()) => {
                    self.error.set(None);
                    done();
                }
                Err(e) => self.error.set(Some(e)),
            }
            self.saving.set(false);
        });
    }
}

impl Default for FormState {
    fn default() -> Self {
        Self::new()
    }
}

/// The alert region of a form; announced when an error appears.
#[component]
pub fn FormError(state: FormState) -> impl IntoView {
    view! {
        <div role="alert" class="error-region">
            {move || state.error.get().map(|e| view! { <p class="error" data-testid="form-error">{e}</p> })}
        </div>
    }
}

/// The polite status region of a section, e.g. "Person added on this tablet".
#[component]
pub fn SavedMessage(message: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <div role="status" aria-live="polite" class="status-region">
            {move || message.get().map(|m| view! { <p class="success">{m}</p> })}
        </div>
    }
}

/// A one-line text (or date, or number) input with its label and an optional hint.
#[component]
pub fn TextInput(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}{required.then_some(" (required)")}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                type=kind
                data-testid=id
                required=required
                aria-describedby=hint.map(|_| hint_id.clone())
                inputmode=(kind == "number").then_some("numeric")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:change=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

/// A multi-line text field with its label.
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}{required.then_some(" (required)")}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <textarea
                id=id
                rows=rows
                data-testid=id
                required=required
                aria-describedby=hint.map(|_| hint_id.clone())
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:change=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        </div>
    }
}

/// A select offering every value of a [`Choice`], bound to a signal of that type.
#[component]
pub fn SelectInput<T: Choice + Send + Sync>(
    id: &'static str,
    label: &'static str,
    value: RwSignal<T>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let options = T::ALL
        .iter()
        .map(|v| (v.code().to_owned(), v.label().to_owned()))
        .collect();
    let shown = Signal::derive(move || value.get().code().to_owned());
    let chosen = move |code: String| {
        if let Some(v) = T::from_code(&code) {
            value.set(v);
        }
    };
    select(id, label, hint, options, shown, chosen)
}

/// A select over values known only at run time (children, scores); `options` are
/// (value, label). Enums use [`SelectInput`].
#[component]
pub fn SelectText(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    options: Vec<(String, String)>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    select(id, label, hint, options, value.into(), move |v| {
        value.set(v)
    })
}

/// The labelled select both kinds draw; `chosen` receives the picked option's value.
fn select(
    id: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    options: Vec<(String, String)>,
    value: Signal<String>,
    chosen: impl Fn(String) + 'static,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let initial = value.get_untracked();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <select
                id=id
                data-testid=id
                aria-describedby=hint.map(|_| hint_id.clone())
                prop:value=move || value.get()
                on:change=move |ev| chosen(event_target_value(&ev))
            >
                {options.into_iter().map(|(v, l)| {
                    let selected = v == initial;
                    view! { <option value=v selected=selected>{l}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// Takes each control's value as the page shows it, so values set without an `input` event
/// (autofill, assistive tools, scripts) are saved too.
pub fn refresh(fields: &[(&str, RwSignal<String>)]) {
    for (id, signal) in fields {
        if let Some(value) = platform::control_value(id) {
            if signal.get_untracked() != value {
                signal.set(value);
            }
        }
    }
}

/// Today in England, as the server counts it.
pub fn today() -> Date {
    platform::today_date()
}

/// A key that changes whenever the item's content does, for keyed lists: unchanged items
/// keep their DOM (and focus), changed ones are drawn again.
pub fn content_key(value: &impl std::fmt::Debug) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{value:?}").hash(&mut h);
    h.finish()
}

/// `YYYY-MM-DD` as `DD/MM/YYYY`; anything else unchanged.
pub fn show_date(s: &str) -> String {
    if s.trim().is_empty() {
        "—".to_owned()
    } else {
        platform::format_occurred(s)
    }
}

/// Who set a value and when, for stamped values and entries.
pub fn by_line(stamp: &shared::record::stamped::Stamp) -> String {
    format!(
        "{}, {}",
        stamp.by_name,
        platform::format_local(stamp.at_ms as f64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_content() {
        assert_eq!(content_key(&("a", 1)), content_key(&("a", 1)));
        assert_ne!(content_key(&("a", 1)), content_key(&("a", 2)));
    }
}
