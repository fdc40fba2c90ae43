//! The plan: its kind, start and contingency (what happens if it fails, and what triggers that),
//! SMART actions with their status, statutory timescales with due dates, and conferences.
//! The section shows; its forms are in [`forms`], each action in [`action_item`].

mod action_item;
mod episodes;
mod forms;

use leptos::prelude::*;
use shared::analytics::Overview;
use shared::calendar::Date;
use shared::record::plan::{self, PlanAction, PlanDetails};
use shared::record::Record;
use shared::ChildId;

use crate::components::conflict::{Choice, ConflictView};
use crate::components::form::{
    by_id, by_line, item, show_date, today, FormError, Forms, SavedMessage,
};
use crate::state::use_app;
use action_item::ActionItem;
use forms::{ActionForm, ConferenceForm, PlanForm};

fn plan_lines(p: &PlanDetails) -> Vec<(&'static str, String)> {
    vec![
        ("Plan", p.kind.label().to_owned()),
        ("Started", show_date(&p.started_on)),
        if p.is_active() {
            ("Status", "Active: not ended".to_owned())
        } else {
            ("Ended", show_date(&p.ended_on))
        },
        ("Contingency plan", p.contingency.clone()),
        ("Contingency trigger", p.contingency_trigger.clone()),
    ]
}

fn date_text(d: Date) -> String {
    d.dmy()
}

/// The section's forms; one is open at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Open {
    Plan,
    Action,
    Conference,
    Episode,
    /// Ending the episode with this id.
    EpisodeEnd(String),
    /// A category change or placement move of the episode with this id.
    EpisodeEvent(String),
}

#[component]
pub fn PlanSection(
    record: Memo<Record>,
    overview: Memo<Option<Overview>>,
    child: ChildId,
) -> impl IntoView {
    let app = use_app();
    let forms: Forms<Open> = Forms::new();
    let plan_field = Memo::new(move |_| record.with(|r| r.plan.clone()));
    let actions = Memo::new(move |_| record.with(|r| r.actions.clone()));
    let (action_ids, action_items) = by_id(actions, |a: &PlanAction| a.base.id.clone());
    let conferences = Memo::new(move |_| record.with(|r| r.conferences.clone()));
    let timescales = Memo::new(move |_| {
        overview.with(|o| o.as_ref().map(|o| o.timescales.clone()).unwrap_or_default())
    });

    let keep_plan = {
        let child = child.clone();
        Callback::new(move |i: usize| {
            let (Some(p), Ok(stamp)) = (
                plan_field.with_untracked(|f| f.values.get(i).map(|v| v.value.clone())),
                app.stamp(),
            ) else {
                return;
            };
            forms.save(
                app,
                child.clone(),
                move |doc| plan::set_plan(doc, &p, &stamp),
                "Conflict resolved on this tablet.",
            );
        })
    };

    let plan_view = move || {
        let field = plan_field.get();
        if field.is_conflict() {
            let choices = field
                .values
                .iter()
                .map(|v| Choice {
                    lines: plan_lines(&v.value),
                    stamp: v.stamp.clone(),
                })
                .collect();
            return view! {
                <ConflictView what="the plan" choices on_keep=keep_plan saving=forms.state.saving/>
            }
            .into_any();
        }
        match field.latest() {
            None => view! {
                <p class="notice" data-testid="no-plan">"No plan is recorded. A plan needs SMART actions and a contingency plan with its trigger."</p>
            }
            .into_any(),
            Some(p) => {
                let missing_contingency = p.value.contingency.trim().is_empty();
                view! {
                    <dl class="details plan-details" data-testid="plan-details">
                        {plan_lines(&p.value).into_iter().map(|(l, v)| view! {
                            <div><dt>{l}</dt><dd>{if v.trim().is_empty() { "Not recorded".to_owned() } else { v }}</dd></div>
                        }).collect_view()}
                        <div><dt>"Last set by"</dt><dd>{by_line(&p.stamp)}</dd></div>
                    </dl>
                    {missing_contingency.then(|| view! {
                        <p class="warning">"There is no contingency plan: say what happens if this plan does not work, and what triggers it."</p>
                    })}
                }
                .into_any()
            }
        }
    };

    let (plan_open, action_open, conference_open) = (
        forms.shows(Open::Plan),
        forms.shows(Open::Action),
        forms.shows(Open::Conference),
    );
    let plan_form = {
        let child = child.clone();
        move || {
            let current = plan_field.with_untracked(|f| f.latest().map(|p| p.value.clone()));
            view! { <PlanForm child=child.clone() current forms/> }
        }
    };
    let action_form = {
        let child = child.clone();
        move || view! { <ActionForm child=child.clone() forms/> }
    };
    let conference_form = {
        let child = child.clone();
        move || view! { <ConferenceForm child=child.clone() forms/> }
    };

    let today_date = today();
    view! {
        <SavedMessage message=forms.saved/>
        <FormError state=forms.state/>
        <episodes::Episodes record child=child.clone() forms/>
        <h3>"Plan details"</h3>
        {plan_view}
        <div class="section-actions">
            <button type="button" class="button" data-testid="edit-plan"
                aria-expanded=move || plan_open.get().to_string() on:click=move |_| forms.open(Open::Plan)>
                {move || if plan_field.with(|f| f.values.is_empty()) { "Record plan" } else { "Edit plan" }}
            </button>
        </div>
        <Show when=move || plan_open.get()>{plan_form.clone()}</Show>

        <h3>"Actions"</h3>
        {move || actions.with(Vec::is_empty).then(|| view! { <p class="hint">"No actions yet."</p> })}
        <ul class="action-list">
            <For
                each=move || action_ids.get()
                key=String::clone
                children=move |id| {
                    let child = child.clone();
                    view! { <ActionItem action=item(action_items, id) child today=today_date/> }
                }
            />
        </ul>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-action"
                aria-expanded=move || action_open.get().to_string() on:click=move |_| forms.open(Open::Action)>
                "Add action"
            </button>
        </div>
        <Show when=move || action_open.get()>{action_form.clone()}</Show>

        <h3>"Timescales"</h3>
        {move || timescales.with(Vec::is_empty).then(|| view! {
            <p class="hint">"No statutory dates or action due dates yet."</p>
        })}
        <ul class="timescale-list">
            {move || timescales.get().into_iter().map(|t| {
                let state = match (t.overdue, t.done_on) {
                    (true, _) => view! { <span class="badge overdue">"Overdue"</span> }.into_any(),
                    (false, Some(d)) => view! { <span class="badge done">{format!("Done {}", date_text(d))}</span> }.into_any(),
                    (false, None) => view! { <span class="badge due">"Due"</span> }.into_any(),
                };
                view! {
                    <li data-testid="timescale-item" class:overdue=t.overdue data-overdue=t.overdue.to_string()>
                        <span class="timescale-what">{t.what.clone()}</span>
                        <span class="timescale-due">{format!("Due {}", date_text(t.due))}</span>
                        {state}
                    </li>
                }
            }).collect_view()}
        </ul>

        <h3>"Strategy discussions and conferences"</h3>
        {move || conferences.with(Vec::is_empty).then(|| view! { <p class="hint">"None recorded."</p> })}
        <ul class="conference-list">
            {move || conferences.get().into_iter().map(|c| view! {
                <li data-testid="conference-item">
                    <strong>{c.kind.label()}</strong>
                    {format!(" — {}", show_date(&c.date))}
                    {(!c.outcome.is_empty()).then(|| view! { <p>{format!("Outcome: {}", c.outcome)}</p> })}
                    <p class="meta">{format!("Recorded by {}", by_line(&c.added))}</p>
                </li>
            }).collect_view()}
        </ul>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-conference"
                aria-expanded=move || conference_open.get().to_string() on:click=move |_| forms.open(Open::Conference)>
                "Add conference"
            </button>
        </div>
        <Show when=move || conference_open.get()>{conference_form.clone()}</Show>
    }
}
