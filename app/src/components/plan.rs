//! The plan: its kind, start and contingency (what happens if it fails, and what triggers that),
//! SMART actions with their status, statutory timescales with due dates, and conferences.
//!
//! tidy: long file — no good reason: three inline forms live in one component. Issue 11 (one form
//! pattern) gives each form its own file.

use leptos::prelude::*;
use shared::analytics::Overview;
use shared::calendar::Date;
use shared::choice::Choice as _;
use shared::record::plan::{
    self, ActionBase, ActionState, ActionStatus, Conference, ConferenceKind, PlanAction,
    PlanDetails, PlanKind,
};
use shared::record::Record;
use shared::ChildId;

use crate::components::conflict::{Choice, ConflictView};
use crate::components::form::{
    by_line, content_key, refresh, show_date, today, FormError, FormState, SavedMessage,
    SelectInput, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

fn plan_lines(p: &PlanDetails) -> Vec<(&'static str, String)> {
    vec![
        ("Plan", p.kind.label().to_owned()),
        ("Started", show_date(&p.started_on)),
        (
            "Ended",
            if p.is_active() {
                "Active".to_owned()
            } else {
                show_date(&p.ended_on)
            },
        ),
        ("Contingency plan", p.contingency.clone()),
        ("Contingency trigger", p.contingency_trigger.clone()),
    ]
}

fn status_lines(s: &ActionStatus) -> Vec<(&'static str, String)> {
    vec![
        ("Status", s.state.label().to_owned()),
        ("Note", s.note.clone()),
    ]
}

fn date_text(d: Date) -> String {
    let (y, m, day) = d.ymd();
    format!("{day:02}/{m:02}/{y:04}")
}

#[derive(Debug, Clone, PartialEq)]
enum Open {
    Plan,
    Action,
    Conference,
}

#[derive(Debug, Clone, Copy)]
struct Forms {
    open: RwSignal<Option<Open>>,
    kind: RwSignal<PlanKind>,
    started: RwSignal<String>,
    ended: RwSignal<String>,
    contingency: RwSignal<String>,
    trigger: RwSignal<String>,
    what: RwSignal<String>,
    who: RwSignal<String>,
    due: RwSignal<String>,
    measure: RwSignal<String>,
    conference_kind: RwSignal<ConferenceKind>,
    conference_date: RwSignal<String>,
    outcome: RwSignal<String>,
    state: FormState,
    saved: RwSignal<Option<String>>,
}

impl Forms {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        Forms {
            open: RwSignal::new(None),
            kind: RwSignal::new(PlanKind::ChildInNeed),
            started: s(),
            ended: s(),
            contingency: s(),
            trigger: s(),
            what: s(),
            who: s(),
            due: s(),
            measure: s(),
            conference_kind: RwSignal::new(ConferenceKind::StrategyDiscussion),
            conference_date: s(),
            outcome: s(),
            state: FormState::new(),
            saved: RwSignal::new(None),
        }
    }

    fn open(&self, open: Open) {
        self.state.error.set(None);
        self.saved.set(None);
        self.open.set(Some(open));
    }

    fn is(&self, open: Open) -> bool {
        self.open.with(|o| o.as_ref() == Some(&open))
    }
}

#[component]
pub fn PlanSection(
    record: Memo<Record>,
    overview: Memo<Option<Overview>>,
    child: ChildId,
) -> impl IntoView {
    let app = use_app();
    let forms = Forms::new();
    let plan_field = Memo::new(move |_| record.with(|r| r.plan.clone()));
    let actions = Memo::new(move |_| record.with(|r| r.actions.clone()));
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
            forms.state.save(
                app,
                child.clone(),
                move |doc| plan::set_plan(doc, &p, &stamp),
                move || {
                    forms
                        .saved
                        .set(Some("Conflict resolved on this tablet.".to_owned()))
                },
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

    let open_plan = move |_| {
        let current = plan_field.with_untracked(|f| f.latest().map(|p| p.value.clone()));
        let p = current.as_ref();
        forms.kind.set(p.map_or(PlanKind::ChildInNeed, |p| p.kind));
        forms
            .started
            .set(p.map_or_else(platform::today, |p| p.started_on.clone()));
        forms
            .ended
            .set(p.map(|p| p.ended_on.clone()).unwrap_or_default());
        forms
            .contingency
            .set(p.map(|p| p.contingency.clone()).unwrap_or_default());
        forms
            .trigger
            .set(p.map(|p| p.contingency_trigger.clone()).unwrap_or_default());
        forms.open(Open::Plan);
    };

    let plan_form = {
        let child = child.clone();
        move || {
            let child = child.clone();
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                refresh(&[
                    ("plan-started", forms.started),
                    ("plan-ended", forms.ended),
                    ("plan-contingency", forms.contingency),
                    ("plan-trigger", forms.trigger),
                ]);
                let started = forms.started.get_untracked();
                if started.parse::<Date>().is_err() {
                    return forms.state.fail("Enter the date the plan started.");
                }
                let ended = forms.ended.get_untracked().trim().to_owned();
                if !ended.is_empty() && ended.parse::<Date>().is_err() {
                    return forms.state.fail("The end date is not a date.");
                }
                let stamp = match app.stamp() {
                    Ok(s) => s,
                    Err(e) => return forms.state.fail(e),
                };
                let details = PlanDetails {
                    kind: forms.kind.get_untracked(),
                    started_on: started,
                    ended_on: ended,
                    contingency: forms.contingency.get_untracked().trim().to_owned(),
                    contingency_trigger: forms.trigger.get_untracked().trim().to_owned(),
                };
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| plan::set_plan(doc, &details, &stamp),
                    move || {
                        forms.open.set(None);
                        forms
                            .saved
                            .set(Some("Plan saved on this tablet.".to_owned()));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h3>"Plan details"</h3>
                    <SelectInput id="plan-kind" label="Kind of plan" value=forms.kind/>
                    <div class="field-row">
                        <TextInput id="plan-started" label="Started on" kind="date" value=forms.started required=true/>
                        <TextInput id="plan-ended" label="Ended on" kind="date" value=forms.ended hint="Leave empty while the plan is active."/>
                    </div>
                    <TextArea id="plan-contingency" label="Contingency plan" value=forms.contingency
                        hint="What happens if the plan is not working."/>
                    <TextArea id="plan-trigger" label="Contingency trigger" value=forms.trigger rows=2
                        hint="What, by when, would start the contingency plan."/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="plan-save" disabled=move || forms.state.saving.get()>"Save plan"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    let open_action = move |_| {
        forms.what.set(String::new());
        forms.who.set(String::new());
        let due = today().add_days(28).ymd();
        forms
            .due
            .set(format!("{:04}-{:02}-{:02}", due.0, due.1, due.2));
        forms.measure.set(String::new());
        forms.open(Open::Action);
    };

    let action_form = {
        let child = child.clone();
        move || {
            let child = child.clone();
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                refresh(&[
                    ("action-what", forms.what),
                    ("action-who", forms.who),
                    ("action-due", forms.due),
                    ("action-measure", forms.measure),
                ]);
                let what = forms.what.get_untracked().trim().to_owned();
                if what.is_empty() {
                    return forms.state.fail("Say what needs to happen.");
                }
                let due = forms.due.get_untracked();
                if due.parse::<Date>().is_err() {
                    return forms.state.fail("Enter the date it is due by.");
                }
                let (added, id) = match (app.stamp(), platform::new_id()) {
                    (Ok(s), Ok(id)) => (s, id),
                    (Err(e), _) | (_, Err(e)) => return forms.state.fail(e),
                };
                let base = ActionBase {
                    id,
                    what,
                    who: forms.who.get_untracked().trim().to_owned(),
                    due,
                    success_measure: forms.measure.get_untracked().trim().to_owned(),
                    added,
                };
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| plan::add_action(doc, &base),
                    move || {
                        forms.open.set(None);
                        forms
                            .saved
                            .set(Some("Action added on this tablet.".to_owned()));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h3>"Add a SMART action"</h3>
                    <TextArea id="action-what" label="What needs to happen" value=forms.what rows=2 required=true/>
                    <div class="field-row">
                        <TextInput id="action-who" label="Who will do it" value=forms.who/>
                        <TextInput id="action-due" label="By when" kind="date" value=forms.due required=true/>
                    </div>
                    <TextArea id="action-measure" label="How success will be measured" value=forms.measure rows=2/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="action-save" disabled=move || forms.state.saving.get()>"Save action"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    let open_conference = move |_| {
        forms
            .conference_kind
            .set(ConferenceKind::StrategyDiscussion);
        forms.conference_date.set(platform::today());
        forms.outcome.set(String::new());
        forms.open(Open::Conference);
    };

    let conference_form = {
        let child = child.clone();
        move || {
            let child = child.clone();
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                refresh(&[
                    ("conference-date", forms.conference_date),
                    ("conference-outcome", forms.outcome),
                ]);
                let date = forms.conference_date.get_untracked();
                if date.parse::<Date>().is_err() {
                    return forms.state.fail("Enter the date it was held.");
                }
                let (added, id) = match (app.stamp(), platform::new_id()) {
                    (Ok(s), Ok(id)) => (s, id),
                    (Err(e), _) | (_, Err(e)) => return forms.state.fail(e),
                };
                let c = Conference {
                    id,
                    kind: forms.conference_kind.get_untracked(),
                    date,
                    outcome: forms.outcome.get_untracked().trim().to_owned(),
                    added,
                };
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| plan::add_conference(doc, &c),
                    move || {
                        forms.open.set(None);
                        forms
                            .saved
                            .set(Some("Meeting added on this tablet.".to_owned()));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h3>"Add a strategy discussion or conference"</h3>
                    <div class="field-row">
                        <SelectInput id="conference-kind" label="Meeting" value=forms.conference_kind/>
                        <TextInput id="conference-date" label="Date held" kind="date" value=forms.conference_date required=true/>
                    </div>
                    <TextArea id="conference-outcome" label="Outcome" value=forms.outcome rows=2/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="conference-save" disabled=move || forms.state.saving.get()>"Save meeting"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    let today_date = today();
    view! {
        <SavedMessage message=forms.saved/>
        <h3>"Plan details"</h3>
        {plan_view}
        <div class="section-actions">
            <button type="button" class="button" data-testid="edit-plan"
                aria-expanded=move || forms.is(Open::Plan).to_string() on:click=open_plan>
                {move || if plan_field.with(|f| f.values.is_empty()) { "Record plan" } else { "Edit plan" }}
            </button>
        </div>
        <Show when=move || forms.is(Open::Plan)>{plan_form.clone()}</Show>

        <h3>"Actions"</h3>
        {move || actions.with(Vec::is_empty).then(|| view! { <p class="hint">"No actions yet."</p> })}
        <ul class="action-list">
            <For
                each=move || actions.get()
                key=|a: &PlanAction| content_key(a)
                children=move |action| {
                    let child = child.clone();
                    view! { <ActionItem action child today=today_date/> }
                }
            />
        </ul>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-action"
                aria-expanded=move || forms.is(Open::Action).to_string() on:click=open_action>
                "Add action"
            </button>
        </div>
        <Show when=move || forms.is(Open::Action)>{action_form.clone()}</Show>

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
                aria-expanded=move || forms.is(Open::Conference).to_string() on:click=open_conference>
                "Add conference"
            </button>
        </div>
        <Show when=move || forms.is(Open::Conference)>{conference_form.clone()}</Show>
    }
}

/// One SMART action with its current status and a control to change it.
#[component]
fn ActionItem(action: PlanAction, child: ChildId, today: Date) -> impl IntoView {
    let app = use_app();
    let PlanAction { base, status } = action.clone();
    let id = base.id.clone();
    let overdue = action.is_open() && base.due.parse::<Date>().is_ok_and(|d| today > d);
    let current = status
        .latest()
        .map(|s| s.value.state)
        .unwrap_or(ActionState::NotStarted);
    let state = FormState::new();
    let saved = RwSignal::new(None::<String>);
    let new_state = RwSignal::new(current);
    let note = RwSignal::new(String::new());
    let state_id = format!("action-state-{id}");
    let note_id = format!("action-note-{id}");

    let keep = {
        let values: Vec<ActionStatus> = status.values.iter().map(|v| v.value.clone()).collect();
        let (child, id) = (child.clone(), id.clone());
        Callback::new(move |i: usize| {
            let (Some(s), Ok(stamp)) = (values.get(i).cloned(), app.stamp()) else {
                return;
            };
            let id = id.clone();
            state.save(
                app,
                child.clone(),
                move |doc| plan::set_action_status(doc, &id, &s, &stamp),
                move || saved.set(Some("Conflict resolved on this tablet.".to_owned())),
            );
        })
    };

    let status_view = if status.is_conflict() {
        let choices = status
            .values
            .iter()
            .map(|v| Choice {
                lines: status_lines(&v.value),
                stamp: v.stamp.clone(),
            })
            .collect();
        view! { <ConflictView what=format!("status of “{}”", base.what) choices on_keep=keep saving=state.saving/> }
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

    let submit = {
        let (child, id, note_id) = (child.clone(), id.clone(), note_id.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            refresh(&[(note_id.as_str(), note)]);
            let s = new_state.get_untracked();
            let stamp = match app.stamp() {
                Ok(s) => s,
                Err(e) => return state.fail(e),
            };
            let value = ActionStatus {
                state: s,
                note: note.get_untracked().trim().to_owned(),
            };
            let id = id.clone();
            state.save(
                app,
                child.clone(),
                move |doc| plan::set_action_status(doc, &id, &value, &stamp),
                move || saved.set(Some("Status saved on this tablet.".to_owned())),
            );
        }
    };

    let who = if base.who.is_empty() {
        "Not recorded".to_owned()
    } else {
        base.who.clone()
    };
    let measure = if base.success_measure.is_empty() {
        "Not recorded".to_owned()
    } else {
        base.success_measure.clone()
    };
    view! {
        <li data-testid="action-item" class="action" class:overdue=overdue>
            <div class="action-head">
                <h4>{base.what.clone()}</h4>
                {overdue.then(|| view! { <span class="badge overdue" data-testid="action-overdue">"Overdue"</span> })}
            </div>
            <dl class="details">
                <div><dt>"Who"</dt><dd>{who}</dd></div>
                <div><dt>"By when"</dt><dd>{show_date(&base.due)}</dd></div>
                <div><dt>"How success is measured"</dt><dd>{measure}</dd></div>
            </dl>
            {status_view}
            <form class="status-form" on:submit=submit novalidate autocomplete="off">
                <div class="field">
                    <label for=state_id.clone()>{format!("New status for “{}”", base.what)}</label>
                    <select id=state_id.clone() data-testid=state_id.clone()
                        prop:value=move || new_state.get().code()
                        on:change=move |ev| {
                            if let Some(s) = ActionState::from_code(&event_target_value(&ev)) {
                                new_state.set(s);
                            }
                        }>
                        {ActionState::ALL.iter().map(|&s| view! {
                            <option value=s.code() selected=s == current>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=note_id.clone()>"Note (optional)"</label>
                    <input id=note_id.clone() type="text" data-testid=note_id.clone()
                        prop:value=move || note.get()
                        on:input=move |ev| note.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="button secondary" data-testid=format!("action-status-save-{id}")
                    disabled=move || state.saving.get()>
                    "Update status"
                </button>
            </form>
            <FormError state/>
            <SavedMessage message=saved/>
        </li>
    }
}
