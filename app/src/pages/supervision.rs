//! Recording a supervision (managers): what was discussed, reflection, decisions and actions.
//!
//! Saved into the child's record on this tablet first, like an observation, so it works
//! offline; the sync takes it to the server, and its decisions join the chronology.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::calendar::Date;
use shared::record::supervision::{self, Supervision, SupervisionAction};
use shared::record::{MAX_SHORT_LEN, MAX_TEXT_LEN};
use shared::ChildId;

use crate::components::draft::{field, field_with, DraftField, DraftOffer, Drafted};
use crate::components::form::{TextArea, TextInput};
use crate::components::SignedIn;
use crate::pages::child::child_param;
use crate::platform;
use crate::state::{use_app, AppState};

#[component]
pub fn NewSupervision() -> impl IntoView {
    view! {
        <SignedIn manager_only=true>
            <SupervisionForm/>
        </SignedIn>
    }
}

/// Most a single supervision may hold; far above any real one.
const MAX_ITEMS: usize = 50;

/// One action row of the form.
#[derive(Debug, Clone, Copy)]
struct ActionRow {
    key: usize,
    what: RwSignal<String>,
    owner: RwSignal<String>,
    due: RwSignal<String>,
}

impl ActionRow {
    fn new(key: usize) -> Self {
        ActionRow {
            key,
            what: RwSignal::new(String::new()),
            owner: RwSignal::new(String::new()),
            due: RwSignal::new(String::new()),
        }
    }

    /// The element ids of the row's what, owner and due fields.
    fn ids(&self) -> [String; 3] {
        ["what", "owner", "due"].map(|f| format!("supervision-action-{f}-{}", self.key))
    }
}

/// Everything typed into the form, kept in signals so a failed save loses nothing.
#[derive(Clone, Copy)]
struct Fields {
    date: RwSignal<String>,
    discussed: RwSignal<String>,
    reflection: RwSignal<String>,
    decisions: RwSignal<String>,
    actions: RwSignal<Vec<ActionRow>>,
    next_key: RwSignal<usize>,
}

impl Fields {
    fn new() -> Self {
        Fields {
            date: RwSignal::new(platform::today()),
            discussed: RwSignal::new(String::new()),
            reflection: RwSignal::new(String::new()),
            decisions: RwSignal::new(String::new()),
            actions: RwSignal::new(vec![ActionRow::new(0)]),
            next_key: RwSignal::new(1),
        }
    }

    /// What a draft of the form keeps; action rows as (what, owner, due).
    fn draft_fields(&self) -> Vec<DraftField> {
        let (actions, next_key) = (self.actions, self.next_key);
        vec![
            field("date", self.date),
            field("discussed", self.discussed),
            field("reflection", self.reflection),
            field("decisions", self.decisions),
            field_with(
                "actions",
                move || {
                    let rows: Vec<(String, String, String)> = actions.with(|rows| {
                        rows.iter()
                            .map(|r| (r.what.get(), r.owner.get(), r.due.get()))
                            .collect()
                    });
                    serde_json::to_value(rows).unwrap_or_default()
                },
                move |v| {
                    let Ok(rows) = serde_json::from_value::<Vec<(String, String, String)>>(v)
                    else {
                        return;
                    };
                    let first = next_key.get_untracked();
                    let restored: Vec<ActionRow> = rows
                        .into_iter()
                        .take(MAX_ITEMS)
                        .enumerate()
                        .map(|(i, (what, owner, due))| {
                            let row = ActionRow::new(first + i);
                            row.what.set(what);
                            row.owner.set(owner);
                            row.due.set(due);
                            row
                        })
                        .collect();
                    next_key.set(first + restored.len());
                    actions.set(restored);
                },
            ),
        ]
    }

    fn input(&self) -> Input {
        Input {
            date: self.date.get_untracked(),
            discussed: self.discussed.get_untracked(),
            reflection: self.reflection.get_untracked(),
            decisions: self.decisions.get_untracked(),
            actions: self
                .actions
                .get_untracked()
                .iter()
                .map(|r| {
                    (
                        r.what.get_untracked(),
                        r.owner.get_untracked(),
                        r.due.get_untracked(),
                    )
                })
                .collect(),
        }
    }
}

/// The form's values as plain text, so building the record is a pure, tested function.
#[derive(Debug, Clone, Default)]
struct Input {
    date: String,
    discussed: String,
    reflection: String,
    /// One decision per line.
    decisions: String,
    /// (what, owner, due) per action row; rows left entirely blank are ignored.
    actions: Vec<(String, String, String)>,
}

/// Checks the input and builds the supervision; errors are sentences for the person.
fn build(
    input: &Input,
    id: String,
    added: shared::record::stamped::Stamp,
) -> Result<Supervision, String> {
    let date = input.date.trim();
    if date.parse::<Date>().is_err() {
        return Err("Enter the date of the supervision (day, month and year).".into());
    }
    let discussed = input.discussed.trim();
    if discussed.is_empty() {
        return Err("Say what was discussed or reviewed.".into());
    }
    let decisions: Vec<String> = input
        .decisions
        .lines()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let mut actions = Vec::new();
    for (n, (what, owner, due)) in input.actions.iter().enumerate() {
        let (what, owner, due) = (what.trim(), owner.trim(), due.trim());
        if what.is_empty() && owner.is_empty() && due.is_empty() {
            continue;
        }
        let n = n + 1;
        if what.is_empty() {
            return Err(format!("Action {n}: say what needs to be done."));
        }
        if owner.is_empty() {
            return Err(format!("Action {n}: say who owns it."));
        }
        if due.parse::<Date>().is_err() {
            return Err(format!("Action {n}: enter the date it is due by."));
        }
        if what.len() > MAX_TEXT_LEN || owner.len() > MAX_SHORT_LEN {
            return Err(format!("Action {n} is too long."));
        }
        actions.push(SupervisionAction {
            what: what.to_owned(),
            owner: owner.to_owned(),
            due: due.to_owned(),
        });
    }
    let reflection = input.reflection.trim();
    if discussed.len() > MAX_TEXT_LEN
        || reflection.len() > MAX_TEXT_LEN
        || decisions.iter().any(|d| d.len() > MAX_TEXT_LEN)
    {
        return Err("The text is too long; keep each part under 20,000 characters.".into());
    }
    if decisions.len() > MAX_ITEMS || actions.len() > MAX_ITEMS {
        return Err(format!(
            "Record at most {MAX_ITEMS} decisions and {MAX_ITEMS} actions at a time."
        ));
    }
    Ok(Supervision {
        id,
        date: date.to_owned(),
        discussed: discussed.to_owned(),
        reflection: reflection.to_owned(),
        decisions,
        actions,
        added,
    })
}

/// What this supervision must take up, from the record on this tablet: difficult visits not
/// yet debriefed, and drift no manager has answered.
fn to_bring(app: AppState, child: Option<ChildId>) -> Option<impl IntoView> {
    app.records_rev.track();
    let child = child?;
    let record = app.engine()?.read_record(&child)?.ok()?;
    let today = crate::platform::today_date();
    let o = shared::analytics::overview(&record, today, &app.thresholds(), app.born(&child));
    let mut items: Vec<String> = o
        .lessons
        .open_debriefs()
        .map(|d| {
            let what: Vec<_> = d
                .difficulties
                .iter()
                .map(|x| x.label().to_lowercase())
                .collect();
            format!(
                "Debrief {}'s visit of {} ({}), due {}",
                d.practitioner,
                d.visit_date.dmy(),
                what.join(", "),
                d.due.dmy()
            )
        })
        .collect();
    if matches!(
        o.lessons.drift,
        Some(shared::analytics::lessons::DriftState::Unanswered)
            | Some(shared::analytics::lessons::DriftState::ReviewDue { .. })
    ) {
        items.push("Drift: respond on the record (escalate, or continue with a reason)".into());
    }
    (!items.is_empty()).then(|| {
        view! {
            <section class="notice" data-testid="supervision-to-bring" aria-label="To take up in this supervision">
                <h2>"To take up in this supervision"</h2>
                <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
            </section>
        }
    })
}

/// The server accepts supervision records from team managers only (not administrators).
fn is_team_manager(app: AppState) -> bool {
    app.session.with_untracked(|s| {
        s.as_ref()
            .is_some_and(|s| s.user.role == shared::api::Role::Manager)
    })
}

async fn save(app: AppState, child: ChildId, input: Input) -> Result<(), String> {
    if !is_team_manager(app) {
        return Err("Only team managers can record supervision.".into());
    }
    let s = build(&input, platform::new_id()?, app.stamp()?)?;
    app.change_record(&child, |doc| supervision::add(doc, &s))
        .await
}

#[component]
fn SupervisionForm() -> impl IntoView {
    let app = use_app();
    let child = child_param();
    let navigate = use_navigate();
    let fields = Fields::new();
    let error = RwSignal::new(None::<String>);
    let draft_key = child.get_untracked().map_or_else(
        || "supervision:none".to_owned(),
        |c| format!("supervision:{c}"),
    );
    let draft = Drafted::keep(draft_key, fields.draft_fields());

    let save_action = Action::new_local(move |(child, input): &(ChildId, Input)| {
        let child = child.clone();
        let input = input.clone();
        let navigate = navigate.clone();
        async move {
            match save(app, child.clone(), input).await {
                Ok(()) => {
                    error.set(None);
                    draft.saved();
                    app.flash.set(Some(
                        "Supervision saved on this tablet. It goes to the server with the next sync."
                            .to_owned(),
                    ));
                    navigate(&format!("/team/child/{child}"), Default::default());
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
                save_action.dispatch((c, fields.input()));
            }
            None => error.set(Some("This record does not exist.".to_owned())),
        }
    };

    let add_action = move |_| {
        if fields.actions.with_untracked(Vec::len) >= MAX_ITEMS {
            return;
        }
        let key = fields.next_key.get_untracked();
        fields.next_key.set(key + 1);
        fields.actions.update(|a| a.push(ActionRow::new(key)));
        // Move focus to the new row so keyboard users land where they are typing.
        request_animation_frame(move || {
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("supervision-action-what-{key}")))
            {
                use wasm_bindgen::JsCast;
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    };

    let child_name = move || child.get().map(|c| app.child_name(&c)).unwrap_or_default();
    let back = move || {
        child
            .get()
            .map(|c| format!("/team/child/{c}"))
            .unwrap_or_else(|| "/team".to_owned())
    };

    view! {
        <p class="breadcrumb"><a href=back>{move || format!("Back to {}", child_name())}</a></p>
        <h1>{move || format!("Supervision: {}", child_name())}</h1>
        <p class="hint">"Saved on this tablet first; it syncs when there is a connection. Each decision appears in the child's chronology."</p>
        {move || to_bring(app, child.get())}
        <DraftOffer draft/>
        <form class="supervision-form" on:submit=on_submit novalidate autocomplete="off" hidden=move || !draft.ready()>
            <TextInput id="supervision-date" label="Date of supervision" kind="date" value=fields.date required=true/>
            <TextArea id="supervision-discussed" label="What was discussed or reviewed" value=fields.discussed rows=5 required=true/>
            <TextArea id="supervision-reflection" label="Reflection" value=fields.reflection rows=5
                hint="What is the evidence telling us? What has changed for the child? What might we be missing?"/>
            <TextArea id="supervision-decisions" label="Decisions" value=fields.decisions rows=4
                hint="One decision per line."/>
            <fieldset class="supervision-actions">
                <legend>"Actions"</legend>
                <p class="hint">"What needs to happen, who owns it and by when. Leave a row blank to skip it."</p>
                <For each=move || fields.actions.get() key=|row| row.key let(row)>
                    {
                        let [what_id, owner_id, due_id] = row.ids();
                        let number = move || {
                            fields.actions.with(|a| a.iter().position(|r| r.key == row.key).map_or(0, |p| p + 1))
                        };
                        view! {
                            <div class="action-row" data-testid="supervision-action">
                                <p class="action-number" aria-hidden="true">{move || format!("Action {}", number())}</p>
                                <div class="field">
                                    <label for=what_id.clone()>"What"<span class="visually-hidden">{move || format!(" (action {})", number())}</span></label>
                                    <input id=what_id type="text" data-testid="supervision-action-what" bind:value=row.what
                                        on:change=move |ev| row.what.set(event_target_value(&ev))/>
                                </div>
                                <div class="field-row">
                                    <div class="field">
                                        <label for=owner_id.clone()>"Owner"<span class="visually-hidden">{move || format!(" (action {})", number())}</span></label>
                                        <input id=owner_id type="text" data-testid="supervision-action-owner" bind:value=row.owner
                                        on:change=move |ev| row.owner.set(event_target_value(&ev))/>
                                    </div>
                                    <div class="field">
                                        <label for=due_id.clone()>"Due by"<span class="visually-hidden">{move || format!(" (action {})", number())}</span></label>
                                        <input id=due_id type="date" data-testid="supervision-action-due" bind:value=row.due
                                        on:change=move |ev| row.due.set(event_target_value(&ev))/>
                                    </div>
                                </div>
                                <button type="button" class="button secondary" data-testid="supervision-action-remove"
                                    on:click=move |_| fields.actions.update(|a| a.retain(|r| r.key != row.key))>
                                    "Remove"<span class="visually-hidden">{move || format!(" action {}", number())}</span>
                                </button>
                            </div>
                        }
                    }
                </For>
                <button type="button" class="button secondary" data-testid="supervision-add-action" on:click=add_action>
                    "Add another action"
                </button>
            </fieldset>

            <div role="alert" class="error-region">
                {move || error.get().map(|e| view! { <p class="error" data-testid="form-error">{e}</p> })}
            </div>
            <div class="form-actions">
                <button type="submit" class="button primary" data-testid="supervision-save" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save supervision" }}
                </button>
                <a class="button secondary" href=back>"Cancel"</a>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::record::stamped::Stamp;

    fn stamp() -> Stamp {
        Stamp {
            by: "u".parse().expect("a valid id"),
            by_name: "Morgan".into(),
            at_ms: 1,
        }
    }

    fn input() -> Input {
        Input {
            date: "2026-03-04".into(),
            discussed: " Drift on the plan ".into(),
            reflection: String::new(),
            decisions: "Convene a strategy discussion\n\n  Assess the lodger \n".into(),
            actions: vec![
                (
                    "Book strategy meeting".into(),
                    "Sam".into(),
                    "2026-03-06".into(),
                ),
                (String::new(), " ".into(), String::new()),
            ],
        }
    }

    fn check(mutate: impl FnOnce(&mut Input), expected: Result<(), &str>) {
        let mut i = input();
        mutate(&mut i);
        let built = build(&i, "s1".into(), stamp());
        assert_eq!(built.as_ref().map(|_| ()).map_err(String::as_str), expected);
    }

    #[test]
    fn builds_a_supervision() {
        let s = build(&input(), "s1".into(), stamp()).expect("valid");
        assert_eq!(s.discussed, "Drift on the plan");
        assert_eq!(
            s.decisions,
            ["Convene a strategy discussion", "Assess the lodger"]
        );
        assert_eq!(s.actions.len(), 1, "the blank row is skipped");
        assert_eq!(s.actions[0].owner, "Sam");
    }

    #[test]
    fn validation() {
        check(|_| {}, Ok(()));
        check(
            |i| i.date = "04/03/2026".into(),
            Err("Enter the date of the supervision (day, month and year)."),
        );
        check(
            |i| i.discussed = "  ".into(),
            Err("Say what was discussed or reviewed."),
        );
        check(
            |i| i.actions[0].1.clear(),
            Err("Action 1: say who owns it."),
        );
        check(
            |i| i.actions[1].0 = "Visit".into(),
            Err("Action 2: say who owns it."),
        );
        check(
            |i| i.actions[0].2 = "soon".into(),
            Err("Action 1: enter the date it is due by."),
        );
    }
}
