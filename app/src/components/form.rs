//! The one form pattern. A form is a component that owns its values in signals, made from the
//! record when it opens and dropped when it closes; it renders [`InlineForm`] (heading, fields,
//! error region, Save and Cancel) and saves through [`FormState::save`], the one write path
//! (through [`AppState::change_record`]). A section's [`Forms`] says which of its forms is open
//! and announces what was saved. Field components ([`TextInput`], [`TextArea`], [`SelectInput`],
//! [`SelectText`], [`CheckInput`]) are bound to a signal and label themselves; their `id` is also
//! their `data-testid`. Nothing is read back from the page. A form taking record content keeps
//! a draft of what is typed ([`FormState::keeping`], see `draft`).

use std::collections::HashMap;
use std::hash::Hash;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::calendar::Date;
use shared::choice::Choice;
use shared::record::{Automerge, RecordError};
use shared::ChildId;

use crate::components::draft::{DraftField, DraftOffer, Drafted};
use crate::platform;
use crate::state::AppState;

/// A form's save state: a guard against double submits, the message of a failed save, and
/// the draft of what is typed (see [`Drafted`]), erased once the save succeeds.
#[derive(Clone, Copy)]
pub struct FormState {
    pub saving: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub draft: Option<Drafted>,
}

impl FormState {
    pub fn new() -> Self {
        FormState {
            saving: RwSignal::new(false),
            error: RwSignal::new(None),
            draft: None,
        }
    }

    /// The state of a form taking record content: what is typed into `fields` is kept as the
    /// draft `key` (unique per child, form and entry) until it is saved.
    pub fn keeping(key: String, fields: Vec<DraftField>) -> Self {
        FormState {
            draft: Some(Drafted::keep(key, fields)),
            ..FormState::new()
        }
    }

    /// Whether the form may be shown (no stored draft is waiting for an answer; tracked).
    pub fn ready(&self) -> bool {
        self.draft.is_none_or(|d| d.ready())
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
                    if let Some(draft) = self.draft {
                        draft.saved();
                    }
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

/// Which of a section's forms is open (at most one at a time) and what the section last saved.
/// `K` names a form, e.g. "amend observation X".
pub struct Forms<K: Send + Sync + 'static> {
    open: RwSignal<Option<K>>,
    /// The section's polite status line, e.g. "Person added on this tablet".
    pub saved: RwSignal<Option<String>>,
    /// For saves made outside a form, such as keeping one side of a conflict.
    pub state: FormState,
}

impl<K: Send + Sync + 'static> Clone for Forms<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: Send + Sync + 'static> Copy for Forms<K> {}

impl<K: PartialEq + Clone + Send + Sync + 'static> Forms<K> {
    pub fn new() -> Self {
        Forms {
            open: RwSignal::new(None),
            saved: RwSignal::new(None),
            state: FormState::new(),
        }
    }

    /// Opens `form`, closing any other; the last saved message goes.
    pub fn open(&self, form: K) {
        self.saved.set(None);
        self.state.error.set(None);
        self.open.set(Some(form));
    }

    pub fn close(&self) {
        self.open.set(None);
    }

    /// Whether `form` is open (tracked).
    pub fn is_open(&self, form: &K) -> bool {
        self.open.with(|o| o.as_ref() == Some(form))
    }

    /// A tracked "is `form` open?", for `<Show>` and `aria-expanded`.
    pub fn shows(&self, form: K) -> Memo<bool> {
        let forms = *self;
        Memo::new(move |_| forms.is_open(&form))
    }

    /// After a save: closes the open form and announces `message`.
    pub fn saved(&self, message: impl Into<String>) {
        self.open.set(None);
        self.saved.set(Some(message.into()));
    }

    /// Writes a change made outside any form (keeping one side of a conflict), then announces
    /// `message`.
    pub fn save(
        self,
        app: AppState,
        child: ChildId,
        change: impl FnOnce(&mut Automerge) -> Result<(), RecordError> + 'static,
        message: &'static str,
    ) {
        self.state.save(app, child, change, move || {
            self.saved.set(Some(message.to_owned()))
        });
    }
}

impl<K: PartialEq + Clone + Send + Sync + 'static> Default for Forms<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// The frame of every inline form: heading, the fields, the error region, Save and Cancel.
#[component]
pub fn InlineForm(
    #[prop(into)] title: String,
    /// Heading level: 3 in a section, 4 inside an entry of one.
    #[prop(default = 3)]
    level: u8,
    /// A line under the heading saying what saving does.
    #[prop(optional)]
    intro: Option<&'static str>,
    /// The Save button's words and test id.
    save: &'static str,
    save_id: &'static str,
    state: FormState,
    on_save: Callback<()>,
    on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    let heading = if level <= 3 {
        view! { <h3>{title}</h3> }.into_any()
    } else {
        view! { <h4>{title}</h4> }.into_any()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !state.saving.get_untracked() {
            on_save.run(());
        }
    };
    view! {
        <form class="inline-form" on:submit=submit novalidate autocomplete="off">
            {heading}
            {state.draft.map(|draft| view! { <DraftOffer draft/> })}
            <div class="form-body" hidden=move || !state.ready()>
                {intro.map(|i| view! { <p class="hint">{i}</p> })}
                {children()}
                <FormError state/>
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid=save_id disabled=move || state.saving.get()>{save}</button>
                    <button type="button" class="button secondary" data-testid=save_id.replace("-save", "-cancel")
                        on:click=move |_| on_cancel.run(())>"Cancel"</button>
                </div>
            </div>
        </form>
    }
}

/// A list's items by id, for a `<For>` keyed by id whose items each follow their own value
/// ([`item`]): an item keeps its DOM, its focus and its open form's typing when its content
/// changes, and only what shows the content is drawn again.
pub fn by_id<T, I>(list: Memo<Vec<T>>, id: fn(&T) -> I) -> (Memo<Vec<I>>, Memo<HashMap<I, T>>)
where
    T: Clone + PartialEq + Send + Sync + 'static,
    I: Clone + Eq + Hash + Send + Sync + 'static,
{
    let ids = Memo::new(move |_| list.with(|l| l.iter().map(id).collect::<Vec<_>>()));
    let items = Memo::new(move |_| {
        list.with(|l| {
            l.iter()
                .map(|t| (id(t), t.clone()))
                .collect::<HashMap<_, _>>()
        })
    });
    (ids, items)
}

/// One item of [`by_id`]'s map as its own signal; `None` once it has gone from the list.
pub fn item<T, I>(items: Memo<HashMap<I, T>>, id: I) -> Memo<Option<T>>
where
    T: Clone + PartialEq + Send + Sync + 'static,
    I: Clone + Eq + Hash + Send + Sync + 'static,
{
    Memo::new(move |_| items.with(|m| m.get(&id).cloned()))
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
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}{required.then_some(" (required)")}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id.clone()
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
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}{required.then_some(" (required)")}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <textarea
                id=id.clone()
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

/// A checkbox with its label after it.
#[component]
pub fn CheckInput(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="field check">
            <input
                id=id.clone()
                type="checkbox"
                data-testid=id.clone()
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
            <label for=id>{label}</label>
        </div>
    }
}

/// A select offering every value of a [`Choice`], bound to a signal of that type.
#[component]
pub fn SelectInput<T: Choice + Send + Sync>(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
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
    #[prop(into)] id: String,
    #[prop(into)] label: String,
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
    id: String,
    label: String,
    hint: Option<&'static str>,
    options: Vec<(String, String)>,
    value: Signal<String>,
    chosen: impl Fn(String) + 'static,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let initial = value.get_untracked();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <select
                id=id.clone()
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

/// Today in England, as the server counts it.
pub fn today() -> Date {
    platform::today_date()
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
