//! The child's episodes on the tablet: every plan period, looked-after period and
//! pre-proceedings, newest first, with the forms a manager starts, ends and adds to one with.
//! Recorded offline like everything else; the server accepts them from managers only.

use leptos::prelude::*;
use shared::calendar::Date;
use shared::record::episodes::{
    self, EndReason, EpisodeBase, EpisodeEnding, EpisodeEvent, EpisodeKind, EventKind, PlanCategory,
};
use shared::record::Record;
use shared::ChildId;

use super::Open;
use crate::components::draft::field;
use crate::components::form::{
    by_line, FormState, Forms, InlineForm, SelectInput, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

#[component]
pub fn Episodes(record: Memo<Record>, child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let list = Memo::new(move |_| {
        record.with(|r| {
            let mut v = shared::analytics::episodes::episodes(r);
            v.reverse();
            v
        })
    });
    let start_open = forms.shows(Open::Episode);
    let start_form = {
        let child = child.clone();
        move || view! { <StartForm child=child.clone() forms/> }
    };
    let item = move |e: shared::analytics::EpisodeView| {
        let child = child.clone();
        let open = e.ended_on.is_none();
        let id = e.id.clone();
        let end_open = forms.shows(Open::EpisodeEnd(id.clone()));
        let event_open = forms.shows(Open::EpisodeEvent(id.clone()));
        let by = record.with_untracked(|r| {
            r.episodes
                .iter()
                .find(|x| x.base.id == e.id)
                .map(|x| by_line(&x.base.added))
        });
        let event_kind = match e.kind {
            EpisodeKind::ChildProtection => Some((EventKind::CategoryChanged, "Change category")),
            EpisodeKind::LookedAfter => {
                Some((EventKind::PlacementMoved, "Record a placement move"))
            }
            _ => None,
        };
        let words = match e.ended_on {
            Some(end) => format!(
                "{} to {} ({})",
                e.started_on.dmy(),
                end.dmy(),
                e.end_reason.label().to_lowercase()
            ),
            None => format!("since {}", e.started_on.dmy()),
        };
        let manager = app.is_manager() && !e.legacy;
        let (end_id, event_id) = (id.clone(), id.clone());
        let (c1, c2) = (child.clone(), child.clone());
        view! {
            <li data-testid="episode-item" class:current=open>
                <strong>{e.label()}</strong>" "{words}
                {e.placements.iter().map(|(d, p)| view! { <p>{format!("Placement from {}: {p}", d.dmy())}</p> }).collect_view()}
                {by.map(|b| view! { <p class="meta">{format!("Recorded by {b}")}</p> })}
                {(manager && open).then(|| view! {
                    <div class="section-actions">
                        <button type="button" class="button" data-testid="episode-end"
                            on:click=move |_| forms.open(Open::EpisodeEnd(end_id.clone()))>"End"</button>
                        {event_kind.map(|(_, label)| view! {
                            <button type="button" class="button" data-testid="episode-event"
                                on:click=move |_| forms.open(Open::EpisodeEvent(event_id.clone()))>{label}</button>
                        })}
                    </div>
                })}
                <Show when=move || end_open.get()>
                    <EndForm child=c1.clone() episode=id.clone() forms/>
                </Show>
                {event_kind.map(|(kind, _)| {
                    let id = e.id.clone();
                    view! {
                        <Show when=move || event_open.get()>
                            <EventForm child=c2.clone() episode=id.clone() kind forms/>
                        </Show>
                    }
                })}
            </li>
        }
    };
    view! {
        <h3>"Plans and episodes"</h3>
        {move || list.with(Vec::is_empty).then(|| view! { <p class="hint">"No plan or episode recorded."</p> })}
        <ol class="episode-list" reversed>
            {move || list.get().into_iter().map(item.clone()).collect_view()}
        </ol>
        {app.is_manager().then(|| view! {
            <div class="section-actions">
                <button type="button" class="button" data-testid="add-episode"
                    aria-expanded=move || start_open.get().to_string() on:click=move |_| forms.open(Open::Episode)>
                    "Start a plan or episode"
                </button>
            </div>
        })}
        <Show when=move || start_open.get()>{start_form.clone()}</Show>
    }
}

/// Starts an episode; a new one never replaces the ones before it.
#[component]
fn StartForm(child: ChildId, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let kind = RwSignal::new(EpisodeKind::ChildProtection);
    let category = RwSignal::new(PlanCategory::Neglect);
    let started = RwSignal::new(platform::today());
    let detail = RwSignal::new(String::new());
    let state = FormState::keeping(
        format!("episode:{child}"),
        vec![field("started", started), field("detail", detail)],
    );
    let on_save = Callback::new(move |()| {
        let started = started.get_untracked();
        if started.parse::<Date>().is_err() {
            return state.fail("Enter the date it started.");
        }
        let kind = kind.get_untracked();
        let category = if kind == EpisodeKind::ChildProtection {
            category.get_untracked()
        } else {
            PlanCategory::None
        };
        if kind == EpisodeKind::ChildProtection && category == PlanCategory::None {
            return state.fail("Choose the child protection plan's category.");
        }
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let base = EpisodeBase {
            id,
            kind,
            category,
            started_on: started,
            detail: detail.get_untracked().trim().to_owned(),
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| episodes::start(doc, &base),
            move || forms.saved("Started on this tablet."),
        );
    });
    view! {
        <InlineForm title="Start a plan or episode" save="Save" save_id="episode-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <SelectInput id="episode-kind" label="Kind" value=kind/>
                <Show when=move || kind.get() == EpisodeKind::ChildProtection>
                    <SelectInput id="episode-category" label="Category" value=category/>
                </Show>
                <TextInput id="episode-started" label="Started on" kind="date" value=started required=true/>
            </div>
            <TextArea id="episode-detail" label="Detail" value=detail rows=2
                hint="For a looked-after child: the legal basis and the first placement."/>
        </InlineForm>
    }
}

/// Ends an episode with the date and the reason.
#[component]
fn EndForm(child: ChildId, episode: String, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let ended = RwSignal::new(platform::today());
    let reason = RwSignal::new(EndReason::RiskReduced);
    let note = RwSignal::new(String::new());
    let state = FormState::keeping(
        format!("episode-end:{child}:{episode}"),
        vec![field("ended", ended), field("note", note)],
    );
    let on_save = Callback::new(move |()| {
        let ended = ended.get_untracked();
        if ended.parse::<Date>().is_err() {
            return state.fail("Enter the date it ended.");
        }
        if reason.get_untracked() == EndReason::Open {
            return state.fail("Choose why it ended.");
        }
        let stamp = match app.stamp() {
            Ok(s) => s,
            Err(e) => return state.fail(e),
        };
        let ending = EpisodeEnding {
            ended_on: ended,
            reason: reason.get_untracked(),
            note: note.get_untracked().trim().to_owned(),
        };
        let id = episode.clone();
        state.save(
            app,
            child.clone(),
            move |doc| episodes::end(doc, &id, &ending, &stamp),
            move || forms.saved("Ended on this tablet."),
        );
    });
    view! {
        <InlineForm title="End" save="Save ending" save_id="episode-end-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <TextInput id="episode-ended" label="Ended on" kind="date" value=ended required=true/>
                <SelectInput id="episode-reason" label="Why it ended" value=reason/>
            </div>
            <TextArea id="episode-note" label="Note" value=note rows=2/>
        </InlineForm>
    }
}

/// A category change (child protection) or a placement move (looked after).
#[component]
fn EventForm(
    child: ChildId,
    episode: String,
    kind: EventKind,
    forms: Forms<Open>,
) -> impl IntoView {
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let category = RwSignal::new(PlanCategory::Emotional);
    let note = RwSignal::new(String::new());
    let state = FormState::keeping(
        format!("episode-event:{child}:{episode}"),
        vec![field("date", date), field("note", note)],
    );
    let on_save = Callback::new(move |()| {
        let date = date.get_untracked();
        if date.parse::<Date>().is_err() {
            return state.fail("Enter the date.");
        }
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let event = EpisodeEvent {
            id,
            episode_id: episode.clone(),
            kind,
            date,
            category: if kind == EventKind::CategoryChanged {
                category.get_untracked()
            } else {
                PlanCategory::None
            },
            note: note.get_untracked().trim().to_owned(),
            added,
        };
        state.save(
            app,
            child.clone(),
            move |doc| episodes::add_event(doc, &event),
            move || forms.saved("Saved on this tablet."),
        );
    });
    let title = if kind == EventKind::CategoryChanged {
        "Change the plan's category"
    } else {
        "Placement move"
    };
    view! {
        <InlineForm title save="Save" save_id="episode-event-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <TextInput id="episode-event-date" label="Date" kind="date" value=date required=true/>
                {(kind == EventKind::CategoryChanged).then(|| view! {
                    <SelectInput id="episode-event-category" label="New category" value=category/>
                })}
            </div>
            <TextArea id="episode-event-note" label=if kind == EventKind::CategoryChanged { "Why" } else { "The new placement" } value=note rows=2/>
        </InlineForm>
    }
}
