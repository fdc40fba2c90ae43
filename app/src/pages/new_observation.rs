//! Recording a new observation on the tablet.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::catalogue::{self, Indicator};
use shared::record::{self, BodyMark, IndicatorEntry, Observation, Source};
use shared::ChildId;

use crate::components::draft::{field, field_with, DraftField, DraftOffer, Drafted};
use crate::components::form::{CheckInput, SelectInput, TextArea, TextInput};
use crate::components::indicator_picker::{
    recent_indicators, remember, selection_from_draft, selection_to_draft,
};
use crate::components::{BodyMapEditor, IndicatorPicker, Selection, SignedIn};
use crate::pages::child::child_param;
use crate::platform;
use crate::platform::sentence;
use crate::state::{use_app, AppState};

#[component]
pub fn NewObservation() -> impl IntoView {
    view! {
        <SignedIn>
            <ObservationForm/>
        </SignedIn>
    }
}

/// Everything typed into the form, kept in signals so a failed save loses nothing.
#[derive(Clone, Copy)]
struct Fields {
    date: RwSignal<String>,
    time: RwSignal<String>,
    approx: RwSignal<bool>,
    location: RwSignal<String>,
    present: RwSignal<String>,
    source: RwSignal<Source>,
    indicators: RwSignal<Selection>,
    marks: RwSignal<Vec<BodyMark>>,
    narrative: RwSignal<String>,
    child_words: RwSignal<String>,
    action: RwSignal<String>,
}

impl Fields {
    fn new() -> Self {
        Fields {
            date: RwSignal::new(platform::today()),
            time: RwSignal::new(String::new()),
            approx: RwSignal::new(false),
            location: RwSignal::new(String::new()),
            present: RwSignal::new(String::new()),
            source: RwSignal::new(Source::Observed),
            indicators: RwSignal::new(Selection::new()),
            marks: RwSignal::new(Vec::new()),
            narrative: RwSignal::new(String::new()),
            child_words: RwSignal::new(String::new()),
            action: RwSignal::new(String::new()),
        }
    }

    /// What a draft of the form keeps: everything typed, ticked and marked.
    fn draft_fields(&self) -> Vec<DraftField> {
        let indicators = self.indicators;
        vec![
            field("date", self.date),
            field("time", self.time),
            field("approx", self.approx),
            field("location", self.location),
            field("present", self.present),
            field("source", self.source),
            field_with(
                "indicators",
                move || indicators.with(selection_to_draft),
                move |v| {
                    if let Some(s) = selection_from_draft(v) {
                        indicators.set(s);
                    }
                },
            ),
            field("marks", self.marks),
            field("narrative", self.narrative),
            field("child_words", self.child_words),
            field("action", self.action),
        ]
    }

    /// Builds the observation; the caller validates it.
    fn observation(&self, app: &AppState, id: String) -> Result<Observation, String> {
        let session = app
            .session
            .get_untracked()
            .ok_or("You are signed out. Sign in again to record.")?;
        let date = self.date.get_untracked().trim().to_owned();
        let time = self.time.get_untracked().trim().to_owned();
        // Browsers may report seconds (HH:MM:SS); the record keeps minutes.
        let time: String = time.chars().take(5).collect();
        let occurred = if time.is_empty() {
            date
        } else {
            format!("{date}T{time}")
        };
        let selected = self.indicators.get_untracked();
        let indicators = catalogue::INDICATORS
            .iter()
            .filter_map(|ind| {
                selected.get(ind.code).map(|t| IndicatorEntry {
                    code: ind.code.to_owned(),
                    level: t.level,
                    explanation: t.explanation.trim().to_owned(),
                    explanation_suitable: t.suitable,
                })
            })
            .collect();
        Ok(Observation {
            id: id
                .parse()
                .map_err(|_| "This tablet could not make an id for the observation.")?,
            occurred,
            occurred_approx: self.approx.get_untracked(),
            recorded_at_ms: platform::now_ms() as i64,
            author_id: session.user.id.clone(),
            author_name: session.user.display_name.clone(),
            agency: session.user.agency.clone(),
            location: self.location.get_untracked().trim().to_owned(),
            present: split_people(&self.present.get_untracked()),
            indicators,
            source: self.source.get_untracked(),
            narrative: self.narrative.get_untracked().trim().to_owned(),
            child_words: self.child_words.get_untracked().trim().to_owned(),
            action_taken: self.action.get_untracked().trim().to_owned(),
            body_marks: self.marks.get_untracked(),
        })
    }
}

/// One person per line or comma.
fn split_people(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn save(app: AppState, child: ChildId, fields: Fields) -> Result<(), String> {
    let id = platform::new_id()?;
    let obs = fields.observation(&app, id)?;
    obs.validate().map_err(|e| sentence(&e.to_string()))?;
    let used: Vec<&'static str> = fields
        .indicators
        .with_untracked(|s| s.keys().copied().collect());
    let now = platform::now_ms() as i64;
    app.change_record(&child, move |doc| {
        record::add_observation(doc, &obs, now).map(|_| ())
    })
    .await?;
    remember_recent(app, &used).await;
    Ok(())
}

/// Puts the indicators just used at the top of this device's recent list. Only catalogue
/// codes are stored; losing the list costs nothing, so failures are ignored.
async fn remember_recent(app: AppState, used: &[&str]) {
    if used.is_empty() {
        return;
    }
    let Some(engine) = app.engine() else { return };
    let earlier = engine.store.recent_indicators().await.unwrap_or_default();
    let _ = engine
        .store
        .put_recent_indicators(&remember(&earlier, used))
        .await;
}

#[component]
fn ObservationForm() -> impl IntoView {
    let app = use_app();
    // The recent list is read before the form is drawn, so indicators do not move under a finger.
    let recent = RwSignal::new(None::<Vec<&'static Indicator>>);
    spawn_local(async move {
        let codes = match app.engine() {
            Some(engine) => engine.store.recent_indicators().await.unwrap_or_default(),
            None => Vec::new(),
        };
        recent.set(Some(recent_indicators(&codes)));
    });
    move || {
        recent
            .get()
            .map(|recent| view! { <ObservationFormBody recent/> })
    }
}

#[component]
fn ObservationFormBody(recent: Vec<&'static Indicator>) -> impl IntoView {
    let app = use_app();
    let child = child_param();
    let navigate = use_navigate();
    let fields = Fields::new();
    let error = RwSignal::new(None::<String>);
    let draft_key = child.get_untracked().map_or_else(
        || "observation:none".to_owned(),
        |c| format!("observation:{c}"),
    );
    let draft = Drafted::keep(draft_key, fields.draft_fields());

    let save_action = Action::new_local(move |child: &ChildId| {
        let child = child.clone();
        let navigate = navigate.clone();
        async move {
            match save(app, child.clone(), fields).await {
                Ok(()) => {
                    error.set(None);
                    draft.saved();
                    app.flash.set(Some("Saved on this tablet".to_owned()));
                    navigate(&format!("/child/{child}"), Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let saving = save_action.pending();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        match child.get_untracked() {
            Some(c) => {
                save_action.dispatch(c);
            }
            None => error.set(Some("This record does not exist.".to_owned())),
        }
    };

    let child_name = move || child.get().map(|c| app.child_name(&c)).unwrap_or_default();
    let back = move || {
        child
            .get()
            .map(|c| format!("/child/{c}"))
            .unwrap_or_else(|| "/caseload".to_owned())
    };

    view! {
        <p class="breadcrumb"><a href=back>{move || format!("Back to {}", child_name())}</a></p>
        <h1>{move || format!("New observation: {}", child_name())}</h1>
        <p class="hint">"Recorded on this tablet first; it syncs when there is a connection."</p>
        <DraftOffer draft/>
        <form class="observation-form" on:submit=on_submit novalidate autocomplete="off" hidden=move || !draft.ready()>
            <fieldset>
                <legend>"What happened"</legend>
                <TextArea id="obs-narrative" label="What you saw or heard, in your own words" value=fields.narrative rows=6/>
                <TextArea id="obs-child-words" label="The child's own words" value=fields.child_words
                    hint="Exactly as the child said them."/>
            </fieldset>
            <fieldset>
                <legend>"When, where and who"</legend>
                <div class="field-row">
                    <TextInput id="obs-occurred" label="Date it happened" kind="date" value=fields.date required=true/>
                    <TextInput id="obs-time" label="Time (optional)" kind="time" value=fields.time/>
                </div>
                <CheckInput id="obs-approx" label="The date or time is approximate" value=fields.approx/>
                <TextInput id="obs-location" label="Where" value=fields.location/>
                <TextArea id="obs-present" label="Who was present" value=fields.present
                    hint="One person per line, or separate with commas."/>
                <SelectInput id="obs-source" label="Source" value=fields.source
                    hint="Where the information came from. A formal disclosure is never required."/>
            </fieldset>

            <IndicatorPicker selected=fields.indicators recent suggest_from=fields.narrative/>

            <BodyMapEditor marks=fields.marks/>

            <TextArea id="obs-action" label="Action taken" value=fields.action/>

            <div role="alert" class="error-region">
                {move || error.get().map(|e| view! { <p class="error" data-testid="form-error">{e}</p> })}
            </div>
            <div class="form-actions">
                <button type="submit" class="button primary" data-testid="obs-save" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save observation" }}
                </button>
                <a class="button secondary" href=back>"Cancel"</a>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_split_on_lines_and_commas() {
        assert_eq!(
            split_people("Mother, Father\n\n Sibling (7) \n"),
            ["Mother", "Father", "Sibling (7)"]
        );
        assert!(split_people(" , \n").is_empty());
    }
}
