//! The safety scale (Signs of Safety, 0-10) and neglect assessments (four areas, 1-5), each a
//! list in date order so change over time is visible, with a form to add one.

use leptos::prelude::*;
use shared::calendar::Date;
use shared::record::assessments::{self, NeglectAssessment, Scaling};
use shared::record::Record;
use shared::ChildId;

use crate::components::draft::field;
use crate::components::form::{
    by_line, show_date, FormState, Forms, InlineForm, SavedMessage, SelectText, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

#[component]
pub fn ScalingSection(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let list = Memo::new(move |_| record.with(|r| r.scalings.clone()));
    let forms: Forms<()> = Forms::new();
    let open = forms.shows(());
    let form = move || view! { <ScalingForm child=child.clone() forms/> };

    view! {
        <SavedMessage message=forms.saved/>
        {move || list.with(Vec::is_empty).then(|| view! { <p class="hint">"No safety scalings yet."</p> })}
        <ol class="scaling-list">
            {move || {
                let items = list.get();
                let mut previous: Option<u8> = None;
                items.into_iter().map(|s| {
                    let change = match previous {
                        Some(p) if s.score > p => "up from the last scaling",
                        Some(p) if s.score < p => "down from the last scaling",
                        Some(_) => "no change from the last scaling",
                        None => "",
                    };
                    previous = Some(s.score);
                    let width = format!("width:{}%", u32::from(s.score) * 10);
                    view! {
                        <li data-testid="scaling-item" class="scaling">
                            <div class="scaling-head">
                                <span class="scaling-date">{show_date(&s.date)}</span>
                                <strong class="scaling-score">{format!("{} / 10", s.score)}</strong>
                                {(!change.is_empty()).then(|| view! { <span class="hint">{change}</span> })}
                            </div>
                            <div class="scale-bar" aria-hidden="true"><span style=width></span></div>
                            {(!s.rationale.is_empty()).then(|| view! { <p>{s.rationale.clone()}</p> })}
                            <p class="meta">{format!("{}{}", by_line(&s.added), if s.agency.is_empty() { String::new() } else { format!(", {}", s.agency) })}</p>
                        </li>
                    }
                }).collect_view()
            }}
        </ol>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-scaling"
                aria-expanded=move || open.get().to_string() on:click=move |_| forms.open(())>
                "Add scaling"
            </button>
        </div>
        <Show when=move || open.get()>{form.clone()}</Show>
    }
}

/// Area labels in the tool's order, from the shared type so they never drift apart.
fn area_labels() -> [&'static str; 4] {
    let sample = NeglectAssessment {
        id: String::new(),
        date: String::new(),
        physical_care: 1,
        care_of_safety: 1,
        emotional_care: 1,
        developmental_care: 1,
        note: String::new(),
        added: shared::record::stamped::Stamp {
            by: "sample".parse().expect("a constant, valid id"),
            by_name: String::new(),
            at_ms: 0,
        },
    };
    sample.areas().map(|(label, _)| label)
}

const AREA_IDS: [&str; 4] = [
    "neglect-physical",
    "neglect-safety",
    "neglect-emotional",
    "neglect-developmental",
];

fn score_options() -> Vec<(String, String)> {
    (1..=5u8)
        .map(|n| {
            let label = match n {
                1 => "1 (best)".to_owned(),
                5 => "5 (worst)".to_owned(),
                n => n.to_string(),
            };
            (n.to_string(), label)
        })
        .collect()
}

#[component]
pub fn NeglectSection(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let list = Memo::new(move |_| record.with(|r| r.neglect.clone()));
    let forms: Forms<()> = Forms::new();
    let open = forms.shows(());
    let form = move || view! { <NeglectForm child=child.clone() forms/> };

    view! {
        <SavedMessage message=forms.saved/>
        {move || list.with(Vec::is_empty).then(|| view! { <p class="hint">"No neglect assessments yet."</p> })}
        <ol class="neglect-list">
            {move || {
                let items = list.get();
                let mut previous: Option<u32> = None;
                items.into_iter().map(|n| {
                    let total = n.total();
                    let change = match previous {
                        Some(p) if total < p => format!("total {total}, better than the last ({p})"),
                        Some(p) if total > p => format!("total {total}, worse than the last ({p})"),
                        Some(_) => format!("total {total}, no better than the last"),
                        None => format!("total {total}"),
                    };
                    previous = Some(total);
                    view! {
                        <li data-testid="neglect-item" class="neglect">
                            <div class="scaling-head">
                                <span class="scaling-date">{show_date(&n.date)}</span>
                                <strong>{change}</strong>
                            </div>
                            <table class="neglect-scores">
                                <caption class="visually-hidden">{format!("Neglect scores on {}", show_date(&n.date))}</caption>
                                <tbody>
                                    {n.areas().into_iter().map(|(label, score)| view! {
                                        <tr><th scope="row">{label}</th><td>{format!("{score} / 5")}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {(!n.note.is_empty()).then(|| view! { <p>{n.note.clone()}</p> })}
                            <p class="meta">{by_line(&n.added)}</p>
                        </li>
                    }
                }).collect_view()
            }}
        </ol>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-neglect"
                aria-expanded=move || open.get().to_string() on:click=move |_| forms.open(())>
                "Add neglect assessment"
            </button>
        </div>
        <Show when=move || open.get()>{form.clone()}</Show>
    }
}

/// Adds a safety scaling, dated today unless changed; the agency is the user's.
#[component]
fn ScalingForm(child: ChildId, forms: Forms<()>) -> impl IntoView {
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let score = RwSignal::new(String::new());
    let rationale = RwSignal::new(String::new());

    let state = FormState::keeping(
        format!("scaling:{child}"),
        vec![
            field("date", date),
            field("score", score),
            field("rationale", rationale),
        ],
    );
    let on_save = Callback::new(move |()| {
        let d = date.get_untracked();
        if d.parse::<Date>().is_err() {
            return state.fail("Enter the date of the scaling.");
        }
        let Some(value) = score
            .get_untracked()
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|s| *s <= 10)
        else {
            return state.fail("Enter a score from 0 to 10.");
        };
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let agency = app
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.user.agency.clone()))
            .unwrap_or_default();
        let s = Scaling {
            id,
            date: d,
            score: value,
            rationale: rationale.get_untracked().trim().to_owned(),
            agency,
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| assessments::add_scaling(doc, &s),
            move || forms.saved(format!("Safety scale of {value} saved on this tablet.")),
        );
    });
    view! {
        <InlineForm title="Add a safety scaling" save="Save scaling" save_id="scaling-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <TextInput id="scaling-date" label="Date" kind="date" value=date required=true/>
                <TextInput id="scaling-score" label="Score (0 to 10)" kind="number" value=score required=true
                    hint="0: the child will certainly be harmed again. 10: safe enough to close."/>
            </div>
            <TextArea id="scaling-rationale" label="Rationale" value=rationale rows=3
                hint="Why this score: what worries you, what is working, what needs to happen."/>
        </InlineForm>
    }
}

/// Adds a neglect assessment: every area starts at 3, to be changed to what was assessed.
#[component]
fn NeglectForm(child: ChildId, forms: Forms<()>) -> impl IntoView {
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let scores: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new("3".to_owned()));
    let note = RwSignal::new(String::new());

    let state = FormState::keeping(
        format!("neglect:{child}"),
        vec![
            field("date", date),
            field("physical", scores[0]),
            field("safety", scores[1]),
            field("emotional", scores[2]),
            field("developmental", scores[3]),
            field("note", note),
        ],
    );
    let on_save = Callback::new(move |()| {
        let d = date.get_untracked();
        if d.parse::<Date>().is_err() {
            return state.fail("Enter the date of the assessment.");
        }
        let values: Vec<u8> = scores
            .iter()
            .filter_map(|s| s.get_untracked().parse::<u8>().ok())
            .filter(|v| (1..=5).contains(v))
            .collect();
        let [physical, safety, emotional, developmental] = values.as_slice() else {
            return state.fail("Score every area from 1 to 5.");
        };
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let n = NeglectAssessment {
            id,
            date: d,
            physical_care: *physical,
            care_of_safety: *safety,
            emotional_care: *emotional,
            developmental_care: *developmental,
            note: note.get_untracked().trim().to_owned(),
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| assessments::add_neglect(doc, &n),
            move || forms.saved("Neglect assessment saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Add a neglect assessment" save="Save assessment" save_id="neglect-save" state on_save
            intro="Grade each area from 1 (best) to 5 (worst). Each starts at 3: change it to what you assessed."
            on_cancel=Callback::new(move |()| forms.close())>
            <TextInput id="neglect-date" label="Date" kind="date" value=date required=true/>
            <div class="field-row">
                {AREA_IDS.into_iter().zip(scores).zip(area_labels()).map(|((id, value), label)| view! {
                    <SelectText id label value options=score_options()/>
                }).collect_view()}
            </div>
            <TextArea id="neglect-note" label="Note" value=note rows=2/>
        </InlineForm>
    }
}
