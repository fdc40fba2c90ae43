//! One SMART action: what, who, by when and how success is measured, its current status (or
//! the conflicting ones), and its status form, which keeps what was typed while the action
//! changes underneath it.

use leptos::prelude::*;
use shared::calendar::Date;
use shared::record::plan::{self, ActionState, ActionStatus, PlanAction};
use shared::ChildId;

use crate::components::conflict::{Choice, ConflictView};
use crate::components::form::{
    by_line, show_date, FormError, Forms, SavedMessage, SelectInput, TextInput,
};
use crate::state::use_app;

fn status_lines(s: &ActionStatus) -> Vec<(&'static str, String)> {
    vec![
        ("Status", s.state.label().to_owned()),
        ("Note", s.note.clone()),
    ]
}

fn current_state(action: &PlanAction) -> ActionState {
    action
        .status
        .latest()
        .map(|s| s.value.state)
        .unwrap_or(ActionState::NotStarted)
}

/// `action` follows the record; the item itself (and its form) stays while it changes.
#[component]
pub fn ActionItem(action: Memo<Option<PlanAction>>, child: ChildId, today: Date) -> impl IntoView {
    let Some(first) = action.get_untracked() else {
        return ().into_any();
    };
    let id = first.base.id.clone();
    let what = first.base.what.clone();
    let forms: Forms<()> = Forms::new();
    let overdue = move || {
        action.with(|a| {
            a.as_ref()
                .is_some_and(|a| a.is_open() && a.base.due.parse::<Date>().is_ok_and(|d| today > d))
        })
    };
    let shown = {
        let child = child.clone();
        move || {
            action.get().map(|a| {
                let child = child.clone();
                view! { <ActionDetails action=a child forms/> }
            })
        }
    };
    view! {
        <li data-testid="action-item" class="action" class:overdue=overdue>
            <div class="action-head">
                <h4>{what.clone()}</h4>
                {move || overdue().then(|| view! { <span class="badge overdue" data-testid="action-overdue">"Overdue"</span> })}
            </div>
            {shown}
            <StatusForm id what child initial=current_state(&first) forms/>
            <FormError state=forms.state/>
            <SavedMessage message=forms.saved/>
        </li>
    }
    .into_any()
}

/// What the action says now; drawn again whenever it changes.
#[component]
fn ActionDetails(action: PlanAction, child: ChildId, forms: Forms<()>) -> impl IntoView {
    let app = use_app();
    let PlanAction { base, status } = action;
    let or_not_recorded = |s: &str| {
        if s.is_empty() {
            "Not recorded".to_owned()
        } else {
            s.to_owned()
        }
    };
    let status_view = if status.is_conflict() {
        let values: Vec<ActionStatus> = status.values.iter().map(|v| v.value.clone()).collect();
        let id = base.id.clone();
        // Keeping a version writes it again with the current user's stamp, superseding both.
        let keep = Callback::new(move |i: usize| {
            let (Some(s), Ok(stamp)) = (values.get(i).cloned(), app.stamp()) else {
                return;
            };
            let id = id.clone();
            forms.save(
                app,
                child.clone(),
                move |doc| plan::set_action_status(doc, &id, &s, &stamp),
                "Conflict resolved on this tablet.",
            );
        });
        let choices = status
            .values
            .iter()
            .map(|v| Choice {
                lines: status_lines(&v.value),
                stamp: v.stamp.clone(),
            })
            .collect();
        view! { <ConflictView what=format!("status of “{}”", base.what) choices on_keep=keep saving=forms.state.saving/> }
            .into_any()
    } else {
        let text = status.latest().map_or_else(
            || "Not started".to_owned(),
            |s| {
                let mut t = format!("{} (set by {})", s.value.state.label(), by_line(&s.stamp));
                if !s.value.note.is_empty() {
                    t.push_str(&format!(": {}", s.value.note));
                }
                t
            },
        );
        view! { <p class="action-status"><strong>"Status: "</strong>{text}</p> }.into_any()
    };
    view! {
        <dl class="details">
            <div><dt>"Who"</dt><dd>{or_not_recorded(&base.who)}</dd></div>
            <div><dt>"By when"</dt><dd>{show_date(&base.due)}</dd></div>
            <div><dt>"How success is measured"</dt><dd>{or_not_recorded(&base.success_measure)}</dd></div>
        </dl>
        {status_view}
    }
}

/// Sets the action's status, with an optional note.
#[component]
fn StatusForm(
    id: String,
    what: String,
    child: ChildId,
    initial: ActionState,
    forms: Forms<()>,
) -> impl IntoView {
    let app = use_app();
    let state = forms.state;
    let new_state = RwSignal::new(initial);
    let note = RwSignal::new(String::new());
    let submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let stamp = match app.stamp() {
                Ok(s) => s,
                Err(e) => return state.fail(e),
            };
            let value = ActionStatus {
                state: new_state.get_untracked(),
                note: note.get_untracked().trim().to_owned(),
            };
            let id = id.clone();
            state.save(
                app,
                child.clone(),
                move |doc| plan::set_action_status(doc, &id, &value, &stamp),
                move || {
                    note.set(String::new());
                    forms.saved("Status saved on this tablet.");
                },
            );
        }
    };
    view! {
        <form class="status-form" on:submit=submit novalidate autocomplete="off">
            <SelectInput id=format!("action-state-{id}") label=format!("New status for “{what}”") value=new_state/>
            <TextInput id=format!("action-note-{id}") label="Note (optional)" value=note/>
            <button type="submit" class="button secondary" data-testid=format!("action-status-save-{id}")
                disabled=move || state.saving.get()>
                "Update status"
            </button>
        </form>
    }
}
