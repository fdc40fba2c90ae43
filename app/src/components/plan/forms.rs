//! The plan section's forms: the plan's details, a new SMART action, a new strategy discussion
//! or conference. Each owns its values from the moment it opens.

use leptos::prelude::*;
use shared::calendar::Date;
use shared::record::plan::{self, ActionBase, Conference, ConferenceKind, PlanDetails, PlanKind};
use shared::ChildId;

use super::Open;
use crate::components::draft::field;
use crate::components::form::{
    today, CheckInput, FormState, Forms, InlineForm, SelectInput, SelectText, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

/// Records the plan, or edits the one `current` shows.
#[component]
pub fn PlanForm(child: ChildId, current: Option<PlanDetails>, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let p = current.as_ref();
    let kind = RwSignal::new(p.map_or(PlanKind::ChildInNeed, |p| p.kind));
    let started = RwSignal::new(p.map_or_else(platform::today, |p| p.started_on.clone()));
    let ended = RwSignal::new(p.map(|p| p.ended_on.clone()).unwrap_or_default());
    let contingency = RwSignal::new(p.map(|p| p.contingency.clone()).unwrap_or_default());
    let trigger = RwSignal::new(p.map(|p| p.contingency_trigger.clone()).unwrap_or_default());

    let state = FormState::keeping(
        format!("plan:{child}"),
        vec![
            field("kind", kind),
            field("started", started),
            field("ended", ended),
            field("contingency", contingency),
            field("trigger", trigger),
        ],
    );
    let on_save = Callback::new(move |()| {
        let started = started.get_untracked();
        if started.parse::<Date>().is_err() {
            return state.fail("Enter the date the plan started.");
        }
        let ended = ended.get_untracked().trim().to_owned();
        if !ended.is_empty() && ended.parse::<Date>().is_err() {
            return state.fail("The end date is not a date.");
        }
        let stamp = match app.stamp() {
            Ok(s) => s,
            Err(e) => return state.fail(e),
        };
        let details = PlanDetails {
            kind: kind.get_untracked(),
            started_on: started,
            ended_on: ended,
            contingency: contingency.get_untracked().trim().to_owned(),
            contingency_trigger: trigger.get_untracked().trim().to_owned(),
        };
        state.save(
            app,
            child.clone(),
            move |doc| plan::set_plan(doc, &details, &stamp),
            move || forms.saved("Plan saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Plan details" save="Save plan" save_id="plan-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <SelectInput id="plan-kind" label="Kind of plan" value=kind/>
            <div class="field-row">
                <TextInput id="plan-started" label="Started on" kind="date" value=started required=true/>
                <TextInput id="plan-ended" label="Ended on" kind="date" value=ended hint="Leave empty while the plan is active."/>
            </div>
            <TextArea id="plan-contingency" label="Contingency plan" value=contingency
                hint="What happens if the plan is not working."/>
            <TextArea id="plan-trigger" label="Contingency trigger" value=trigger rows=2
                hint="What, by when, would start the contingency plan."/>
        </InlineForm>
    }
}

/// Adds a SMART action, due in four weeks unless changed.
#[component]
pub fn ActionForm(child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let what = RwSignal::new(String::new());
    let who = RwSignal::new(String::new());
    let (y, m, d) = today().add_days(28).ymd();
    let due = RwSignal::new(format!("{y:04}-{m:02}-{d:02}"));
    let measure = RwSignal::new(String::new());

    let state = FormState::keeping(
        format!("action:{child}"),
        vec![
            field("what", what),
            field("who", who),
            field("due", due),
            field("measure", measure),
        ],
    );
    let on_save = Callback::new(move |()| {
        let what = what.get_untracked().trim().to_owned();
        if what.is_empty() {
            return state.fail("Say what needs to happen.");
        }
        let due = due.get_untracked();
        if due.parse::<Date>().is_err() {
            return state.fail("Enter the date it is due by.");
        }
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let base = ActionBase {
            id,
            what,
            who: who.get_untracked().trim().to_owned(),
            due,
            success_measure: measure.get_untracked().trim().to_owned(),
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| plan::add_action(doc, &base),
            move || forms.saved("Action added on this tablet."),
        );
    });
    view! {
        <InlineForm title="Add a SMART action" save="Save action" save_id="action-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <TextArea id="action-what" label="What needs to happen" value=what rows=2 required=true/>
            <div class="field-row">
                <TextInput id="action-who" label="Who will do it" value=who/>
                <TextInput id="action-due" label="By when" kind="date" value=due required=true/>
            </div>
            <TextArea id="action-measure" label="How success will be measured" value=measure rows=2/>
        </InlineForm>
    }
}

/// Adds a strategy discussion or conference, held today unless changed.
#[component]
pub fn ConferenceForm(child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let kind = RwSignal::new(ConferenceKind::StrategyDiscussion);
    let date = RwSignal::new(platform::today());
    let outcome = RwSignal::new(String::new());
    let nfa = RwSignal::new(false);
    let category = RwSignal::new(String::new());

    let state = FormState::keeping(
        format!("conference:{child}"),
        vec![
            field("kind", kind),
            field("date", date),
            field("outcome", outcome),
        ],
    );
    let category_options: Vec<(String, String)> =
        std::iter::once((String::new(), "Every category".to_owned()))
            .chain(
                <shared::catalogue::Category as shared::choice::Choice>::ALL
                    .iter()
                    .map(|c| {
                        (
                            shared::choice::Choice::code(*c).to_owned(),
                            c.label().to_owned(),
                        )
                    }),
            )
            .collect();
    let on_save = Callback::new(move |()| {
        let date = date.get_untracked();
        if date.parse::<Date>().is_err() {
            return state.fail("Enter the date it was held.");
        }
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let c = Conference {
            id,
            kind: kind.get_untracked(),
            date,
            outcome: outcome.get_untracked().trim().to_owned(),
            added,
            no_further_action: nfa.get_untracked(),
            categories: <shared::catalogue::Category as shared::choice::Choice>::from_code(
                &category.get_untracked(),
            )
            .into_iter()
            .collect(),
        };
        state.save(
            app,
            child.clone(),
            move |doc| plan::add_conference(doc, &c),
            move || forms.saved("Meeting added on this tablet."),
        );
    });
    view! {
        <InlineForm title="Add a strategy discussion or conference" save="Save meeting" save_id="conference-save"
            state on_save on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <SelectInput id="conference-kind" label="Meeting" value=kind/>
                <TextInput id="conference-date" label="Date held" kind="date" value=date required=true/>
            </div>
            <TextArea id="conference-outcome" label="Outcome" value=outcome rows=2/>
            <SelectText id="conference-category" label="Concern considered (strategy discussion)"
                value=category options=category_options
                hint="A strategy discussion acts on the indicators of this category up to its date; later ones can prompt again."/>
            <CheckInput id="conference-nfa" label="No further action was decided" value=nfa/>
        </InlineForm>
    }
}
