//! A record's concerns, strategy discussions and information-sharing decisions, on the
//! tablet: each concern the front door matched to the child (from whom, when, what was said)
//! with whether it has been answered, and a form to answer it; strategy discussions as
//! minuted, with who took part from which agency and a warning, as the attendees are entered,
//! when a core agency is missing; and decisions to share or not to share, with the lawful
//! basis, consent and the reasons.

use leptos::prelude::*;
use shared::analytics::Overview;
use shared::record::front_door::{self, ConcernResponse, Decision};
use shared::record::sharing::{self, Consent, LawfulBasis, SharingDecision};
use shared::record::strategy::{self, Attendee, AttendeeRole, StrategyRecord};
use shared::record::Record;
use shared::ChildId;

use crate::components::form::{
    by_line, CheckInput, FormState, Forms, InlineForm, SavedMessage, SelectInput, SelectText,
    TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

#[derive(Debug, Clone, PartialEq)]
enum Open {
    /// An answer to the concern with this id.
    Answer(String),
    Strategy,
    Sharing,
}

#[component]
pub fn ConcernsSection(
    record: Memo<Record>,
    overview: Memo<Option<Overview>>,
    child: ChildId,
) -> impl IntoView {
    let forms: Forms<Open> = Forms::new();
    let concerns = Memo::new(move |_| {
        overview.with(|o| o.as_ref().map(|o| o.concerns.clone()).unwrap_or_default())
    });
    let strategy_open = forms.shows(Open::Strategy);
    let sharing_open = forms.shows(Open::Sharing);
    let (c1, c2, c3) = (child.clone(), child.clone(), child.clone());
    view! {
        <h3>"Concerns from the front door"</h3>
        {move || concerns.with(Vec::is_empty).then(|| view! { <p class="hint">"No concern has come through the front door."</p> })}
        <ol class="concern-list" data-testid="concern-list">
            {move || concerns.get().into_iter().map(|c| {
                let full = record.with(|r| r.concerns.iter().find(|x| x.id == c.id).cloned());
                let shows = forms.shows(Open::Answer(c.id.clone()));
                let (id, child) = (c.id.clone(), c1.clone());
                let answer = match c.answer {
                    Some((d, on)) => format!("Answered {}: {}", on.dmy(), d.label()),
                    None => format!("Not answered: response due {} ({})", c.due.dmy(), c.owner_name),
                };
                view! {
                    <li data-testid="concern-item" class=if c.is_unanswered() { "unanswered" } else { "" }>
                        <strong>{format!("{} — received {}", c.headline, c.received_on.dmy())}</strong>
                        {full.map(|f| view! {
                            <p>{f.narrative.clone()}</p>
                            {(!f.child_words.is_empty()).then(|| view! { <p class="child-words">{format!("“{}”", f.child_words)}</p> })}
                        })}
                        <p data-testid="concern-answer" class=if c.is_unanswered() { "warning" } else { "" }>{answer}</p>
                        <div class="section-actions">
                            <button type="button" class="button" data-testid=format!("answer-{}", c.id)
                                on:click={let id = id.clone(); move |_| forms.open(Open::Answer(id.clone()))}>"Record a response"</button>
                        </div>
                        <Show when=move || shows.get()>
                            <AnswerForm child=child.clone() concern=id.clone() forms/>
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ol>
        <h3>"Strategy discussions"</h3>
        <ol class="strategy-list" data-testid="strategy-list">
            {move || record.with(|r| r.strategy_discussions.clone()).into_iter().map(|s| {
                let missing = s.missing_core();
                view! {
                    <li data-testid="strategy-item">
                        <strong>{format!("{}: {}", platform::format_occurred(&s.date), s.headline())}</strong>
                        <p>{s.attendees.iter().map(|a| format!("{} ({}, {})", a.name, a.agency, a.role.label())).collect::<Vec<_>>().join("; ")}</p>
                        {(!missing.is_empty()).then(|| view! {
                            <p class="warning" data-testid="strategy-missing">{missing_words(&missing)}</p>
                        })}
                        {s.section_47.then(|| s.date.parse::<shared::calendar::Date>().ok().map(|d| view! {
                            <p>{format!("Initial child protection conference due {}", d.add_working_days(shared::analytics::front_door::INITIAL_CONFERENCE_WORKING_DAYS).dmy())}</p>
                        }))}
                        <p class="hint">{by_line(&s.added)}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
        <div class="section-actions">
            <button type="button" class="button" data-testid="record-strategy"
                aria-expanded=move || strategy_open.get().to_string() on:click=move |_| forms.open(Open::Strategy)>
                "Record a strategy discussion"
            </button>
        </div>
        <Show when=move || strategy_open.get()>
            <StrategyForm child=c2.clone() record forms/>
        </Show>
        <h3>"Information sharing"</h3>
        <ol class="sharing-list" data-testid="sharing-list">
            {move || record.with(|r| r.sharing_decisions.clone()).into_iter().map(|d| view! {
                <li data-testid="sharing-item">
                    <strong>{format!("{}: {}", platform::format_occurred(&d.date), d.headline())}</strong>
                    <p>{format!("What: {}", d.what)}</p>
                    <p>{format!("Why: {}", d.purpose)}</p>
                    <p>{format!("Lawful basis: {}. Consent: {}{}", d.basis.label(), d.consent.label().to_lowercase(),
                        if d.consent_reason.is_empty() { String::new() } else { format!(" ({})", d.consent_reason) })}</p>
                    <p class="hint">{format!("{} ({})", by_line(&d.added), d.agency)}</p>
                </li>
            }).collect_view()}
        </ol>
        <div class="section-actions">
            <button type="button" class="button" data-testid="record-sharing"
                aria-expanded=move || sharing_open.get().to_string() on:click=move |_| forms.open(Open::Sharing)>
                "Record a sharing decision"
            </button>
        </div>
        <Show when=move || sharing_open.get()>
            <SharingForm child=c3.clone() record forms/>
        </Show>
        <SavedMessage message=forms.saved/>
    }
}

/// "Nobody from police or health took part: a strategy discussion needs every core agency."
fn missing_words(missing: &[AttendeeRole]) -> String {
    let names: Vec<String> = missing.iter().map(|r| r.label().to_lowercase()).collect();
    format!(
        "Nobody from {} took part: a strategy discussion needs social care, police, health and education.",
        names.join(", ")
    )
}

#[component]
fn AnswerForm(child: ChildId, concern: String, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let decision = RwSignal::new(Decision::Assessment);
    let note = RwSignal::new(String::new());
    let date = RwSignal::new(platform::today());
    let state = FormState::new();
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let response = ConcernResponse {
            id,
            concern_id: concern.clone(),
            decision: decision.get_untracked(),
            note: note.get_untracked().trim().to_owned(),
            date: date.get_untracked(),
            agency: app.agency(),
            added,
        };
        if let Err(e) = response.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| front_door::add_response(doc, &response),
            move || forms.saved("Response saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Respond to the concern" level=4 save="Save response" save_id="answer-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <SelectInput id="answer-decision" label="What was done" value=decision/>
                <TextInput id="answer-date" label="Date" kind="date" value=date required=true/>
            </div>
            <TextArea id="answer-note" label="Why, and what happens next" value=note rows=3 required=true/>
        </InlineForm>
    }
}

fn role_options() -> Vec<(String, String)> {
    use shared::choice::Choice;
    AttendeeRole::ALL
        .iter()
        .map(|r| (r.code().to_owned(), r.label().to_owned()))
        .collect()
}

#[component]
fn StrategyForm(child: ChildId, record: Memo<Record>, forms: Forms<Open>) -> impl IntoView {
    use shared::choice::Choice;
    let app = use_app();
    let date = RwSignal::new(platform::today());
    let s47 = RwSignal::new(true);
    let reasons = RwSignal::new(String::new());
    let concern = RwSignal::new(String::new());
    // Attendees as entered: one row each of name, agency and part.
    let rows: Vec<(RwSignal<String>, RwSignal<String>, RwSignal<String>)> = AttendeeRole::CORE
        .iter()
        .map(|r| {
            (
                RwSignal::new(String::new()),
                RwSignal::new(r.label().to_owned()),
                RwSignal::new(r.code().to_owned()),
            )
        })
        .chain((0..2).map(|_| {
            (
                RwSignal::new(String::new()),
                RwSignal::new(String::new()),
                RwSignal::new(AttendeeRole::Referrer.code().to_owned()),
            )
        }))
        .collect();
    let rows = StoredValue::new(rows);
    let attendees = move || -> Vec<Attendee> {
        rows.with_value(|rows| {
            rows.iter()
                .filter(|(n, _, _)| !n.get().trim().is_empty())
                .filter_map(|(n, a, r)| {
                    Some(Attendee {
                        name: n.get().trim().to_owned(),
                        agency: a.get().trim().to_owned(),
                        role: AttendeeRole::from_code(&r.get())?,
                    })
                })
                .collect()
        })
    };
    let missing = move || {
        let list = attendees();
        let probe = StrategyRecord {
            id: String::new(),
            date: String::new(),
            attendees: list,
            section_47: false,
            reasons: String::new(),
            concern_id: String::new(),
            agency: String::new(),
            added: shared::record::stamped::Stamp {
                by: "x".parse().expect("a valid id"),
                by_name: String::new(),
                at_ms: 0,
            },
        };
        probe.missing_core()
    };
    let concern_options = move || {
        let mut options = vec![(String::new(), "None".to_owned())];
        record.with(|r| {
            options.extend(r.concerns.iter().map(|c| {
                (
                    c.id.clone(),
                    format!("{} ({})", c.headline(), c.received_on),
                )
            }))
        });
        options
    };
    let state = FormState::new();
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let minuted = StrategyRecord {
            id,
            date: date.get_untracked(),
            attendees: untrack(attendees),
            section_47: s47.get_untracked(),
            reasons: reasons.get_untracked().trim().to_owned(),
            concern_id: concern.get_untracked(),
            agency: app.agency(),
            added,
        };
        if let Err(e) = minuted.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| strategy::add_strategy(doc, &minuted),
            move || forms.saved("Strategy discussion saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Record a strategy discussion" level=4 save="Save" save_id="strategy-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <TextInput id="strategy-date" label="Date" kind="date" value=date required=true/>
            <fieldset>
                <legend>"Who took part"</legend>
                {rows.get_value().into_iter().enumerate().map(|(i, (name, agency, role))| view! {
                    <div class="field-row">
                        <TextInput id=format!("attendee-{i}-name") label="Name" value=name/>
                        <TextInput id=format!("attendee-{i}-agency") label="Agency" value=agency/>
                        <SelectText id=format!("attendee-{i}-role") label="Part" value=role options=role_options()/>
                    </div>
                }).collect_view()}
            </fieldset>
            {move || {
                let m = missing();
                (!m.is_empty()).then(|| view! { <p class="warning" role="status" data-testid="strategy-missing-live">{missing_words(&m)}</p> })
            }}
            <CheckInput id="strategy-s47" label="Section 47 enquiries start" value=s47/>
            <SelectText id="strategy-concern" label="The concern it was convened on" value=concern options=untrack(concern_options)/>
            <TextArea id="strategy-reasons" label="The reasons for the decision" value=reasons rows=3 required=true/>
        </InlineForm>
    }
}

fn about_options(record: &Record) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "The child as a whole".to_owned())];
    for o in &record.observations {
        options.push((
            format!("observations/{}", o.id),
            format!(
                "Observation of {} by {}",
                o.occurred.get(..10).unwrap_or(&o.occurred),
                o.author_name
            ),
        ));
    }
    for c in &record.concerns {
        options.push((
            format!("concerns/{}", c.id),
            format!("{} ({})", c.headline(), c.received_on),
        ));
    }
    for v in &record.visits {
        options.push((format!("visits/{}", v.id), format!("Visit of {}", v.date)));
    }
    options
}

#[component]
fn SharingForm(child: ChildId, record: Memo<Record>, forms: Forms<Open>) -> impl IntoView {
    let app = use_app();
    let about = RwSignal::new(String::new());
    let shared_ = RwSignal::new(true);
    let what = RwSignal::new(String::new());
    let with_whom = RwSignal::new(String::new());
    let date = RwSignal::new(platform::today());
    let purpose = RwSignal::new(String::new());
    let basis = RwSignal::new(LawfulBasis::PublicTask);
    let consent = RwSignal::new(Consent::Given);
    let consent_reason = RwSignal::new(String::new());
    let detrimental = RwSignal::new(false);
    let protect = RwSignal::new(String::new());
    let options = record.with_untracked(about_options);
    let state = FormState::new();
    let on_save = Callback::new(move |()| {
        let (added, id) = match (app.stamp(), platform::new_id()) {
            (Ok(s), Ok(id)) => (s, id),
            (Err(e), _) | (_, Err(e)) => return state.fail(e),
        };
        let target = about.get_untracked();
        let (about_map, about_id) = target
            .split_once('/')
            .map(|(m, i)| (m.to_owned(), i.to_owned()))
            .unwrap_or_default();
        let decision = SharingDecision {
            id,
            about_map,
            about_id,
            shared: shared_.get_untracked(),
            what: what.get_untracked().trim().to_owned(),
            with_whom: with_whom.get_untracked().trim().to_owned(),
            date: date.get_untracked(),
            purpose: purpose.get_untracked().trim().to_owned(),
            basis: basis.get_untracked(),
            consent: consent.get_untracked(),
            consent_reason: consent_reason.get_untracked().trim().to_owned(),
            more_detrimental: !shared_.get_untracked() && detrimental.get_untracked(),
            protect_identity: protect.get_untracked().trim().to_owned(),
            agency: app.agency(),
            added,
        };
        if let Err(e) = decision.validate() {
            return state.fail(platform::sentence(&e.to_string()));
        }
        state.save(
            app,
            child.clone(),
            move |doc| sharing::add_sharing(doc, &decision),
            move || forms.saved("Sharing decision saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Record a sharing decision" level=4 save="Save" save_id="sharing-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <SelectText id="sharing-about" label="About" value=about options=options/>
            <CheckInput id="sharing-shared" label="Information was shared" value=shared_/>
            <TextArea id="sharing-what" label="What was shared (or not)" value=what rows=2 required=true/>
            <TextInput id="sharing-with" label="With whom (person and agency)" value=with_whom required=true/>
            <TextInput id="sharing-date" label="Date" kind="date" value=date required=true/>
            <TextArea id="sharing-purpose" label="Why" value=purpose rows=2 required=true/>
            <div class="field-row">
                <SelectInput id="sharing-basis" label="Lawful basis" value=basis/>
                <SelectInput id="sharing-consent" label="Consent" value=consent/>
            </div>
            <TextArea id="sharing-consent-reason" label="Why consent was not sought or was overridden" value=consent_reason rows=2/>
            <Show when=move || !shared_.get()>
                <CheckInput id="sharing-detrimental" label="Not shared because sharing would be more detrimental to the child" value=detrimental/>
            </Show>
            <TextInput id="sharing-protect" label="Someone whose identity must be protected, if any" value=protect/>
        </InlineForm>
    }
}
