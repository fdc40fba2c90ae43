//! People around the child: who they are, whether they live there, known risk information and
//! an assessment status. Adults nobody has assessed are flagged until someone does. The forms
//! are in [`forms`].

mod forms;

use leptos::prelude::*;
use shared::choice::Choice as _;
use shared::record::people::{self, Assessment, AssessmentStatus, Person, PersonDetails};
use shared::record::Record;
use shared::ChildId;

use crate::components::conflict::{Choice, ConflictView};
use crate::components::form::{by_id, by_line, item, show_date, FormError, Forms, SavedMessage};
use crate::state::use_app;
use forms::{AssessForm, PersonForm};

fn detail_lines(d: &PersonDetails) -> Vec<(&'static str, String)> {
    vec![
        ("Name", d.name.clone()),
        ("Relationship to the child", d.relationship.clone()),
        ("Age group", d.age_group.label().to_owned()),
        ("Household", d.household.label().to_owned()),
        ("Known risk information", d.risk_info.clone()),
        ("Contact with the child", d.contact.clone()),
    ]
}

fn assessment_lines(a: &Assessment) -> Vec<(&'static str, String)> {
    vec![
        ("Status", a.status.label().to_owned()),
        ("Date", show_date(&a.date)),
        ("Note", a.note.clone()),
    ]
}

/// The section's forms; one is open at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Open {
    Add,
    Edit(String),
    Assess(String),
}

#[component]
pub fn PeopleSection(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let forms: Forms<Open> = Forms::new();
    let list = Memo::new(move |_| record.with(|r| r.people.clone()));
    let (ids, people) = by_id(list, |p: &Person| p.id.clone());
    let add_open = forms.shows(Open::Add);
    let add_form = {
        let child = child.clone();
        move || view! { <PersonForm child=child.clone() person=None current=None forms/> }
    };

    view! {
        <SavedMessage message=forms.saved/>
        <FormError state=forms.state/>
        {move || list.with(Vec::is_empty).then(|| view! { <p class="notice">"Nobody is recorded around this child yet."</p> })}
        <ul class="people-list">
            <For
                each=move || ids.get()
                key=String::clone
                children=move |id| {
                    let child = child.clone();
                    view! { <PersonItem person=item(people, id) forms child/> }
                }
            />
        </ul>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-person"
                aria-expanded=move || add_open.get().to_string()
                on:click=move |_| forms.open(Open::Add)>
                "Add person"
            </button>
        </div>
        <Show when=move || add_open.get()>{add_form.clone()}</Show>
    }
}

/// One person; `person` follows the record while the item (and any open form) stays.
#[component]
fn PersonItem(person: Memo<Option<Person>>, forms: Forms<Open>, child: ChildId) -> impl IntoView {
    let Some(id) = person.with_untracked(|p| p.as_ref().map(|p| p.id.clone())) else {
        return ().into_any();
    };
    let edit_open = forms.shows(Open::Edit(id.clone()));
    let assess_open = forms.shows(Open::Assess(id.clone()));
    let name = move || person.with(|p| p.as_ref().map(|p| p.name().to_owned()).unwrap_or_default());
    let status = Memo::new(move |_| person.with(|p| p.as_ref().map(Person::status)));
    let shown = {
        let child = child.clone();
        move || {
            person.get().map(|p| {
                let child = child.clone();
                view! { <PersonDetailsView person=p forms child/> }
            })
        }
    };
    let edit_form = {
        let (child, id) = (child.clone(), id.clone());
        move || {
            let current = person.with_untracked(|p| {
                p.as_ref()
                    .and_then(|p| p.details.latest().map(|d| d.value.clone()))
            });
            view! { <PersonForm child=child.clone() person=Some(id.clone()) current forms/> }
        }
    };
    let assess_form = {
        let (child, id) = (child.clone(), id.clone());
        move || {
            let current = person.with_untracked(|p| {
                p.as_ref()
                    .and_then(|p| p.assessment.latest().map(|a| a.value.status))
                    .unwrap_or(AssessmentStatus::NotYetAssessed)
            });
            view! { <AssessForm child=child.clone() person=id.clone() current forms/> }
        }
    };
    view! {
        <li data-testid="person-item" class="person">
            <div class="person-head">
                <h3>{name}</h3>
                {move || status.get().map(|status| view! {
                    <span class=format!("badge status status-{}", status.code()) data-testid="person-status-badge">
                        {status.label()}
                    </span>
                })}
            </div>
            {shown}
            <div class="entry-actions">
                <button type="button" class="button secondary" data-testid=format!("person-edit-{id}")
                    aria-expanded=move || edit_open.get().to_string()
                    on:click={
                        let id = id.clone();
                        move |_| forms.open(Open::Edit(id.clone()))
                    }>
                    "Edit details"
                </button>
                <button type="button" class="button secondary" data-testid=format!("person-assess-{id}")
                    aria-expanded=move || assess_open.get().to_string()
                    on:click={
                        let id = id.clone();
                        move |_| forms.open(Open::Assess(id.clone()))
                    }>
                    "Record assessment"
                </button>
            </div>
            <Show when=move || edit_open.get()>{edit_form.clone()}</Show>
            <Show when=move || assess_open.get()>{assess_form.clone()}</Show>
        </li>
    }
    .into_any()
}

/// What the record says about a person now: details, assessment and who added them, with any
/// conflicting versions side by side. Drawn again whenever the person changes.
#[component]
fn PersonDetailsView(person: Person, forms: Forms<Open>, child: ChildId) -> impl IntoView {
    let app = use_app();
    let id = person.id.clone();
    let name = person.name().to_owned();

    // Keeping a version writes it again with the current user's stamp, superseding every value.
    let keep_details = {
        let values: Vec<PersonDetails> = person
            .details
            .values
            .iter()
            .map(|v| v.value.clone())
            .collect();
        let (child, id) = (child.clone(), id.clone());
        Callback::new(move |i: usize| {
            let (Some(details), Ok(stamp)) = (values.get(i).cloned(), app.stamp()) else {
                return;
            };
            let id = id.clone();
            forms.save(
                app,
                child.clone(),
                move |doc| people::edit_details(doc, &id, &details, &stamp),
                "Conflict resolved on this tablet.",
            );
        })
    };
    let keep_assessment = {
        let values: Vec<Assessment> = person
            .assessment
            .values
            .iter()
            .map(|v| v.value.clone())
            .collect();
        let (child, id) = (child.clone(), id.clone());
        Callback::new(move |i: usize| {
            let (Some(a), Ok(stamp)) = (values.get(i).cloned(), app.stamp()) else {
                return;
            };
            let id = id.clone();
            forms.save(
                app,
                child.clone(),
                move |doc| people::assess(doc, &id, &a, &stamp),
                "Conflict resolved on this tablet.",
            );
        })
    };

    let details_view = if person.details.is_conflict() {
        let choices = person
            .details
            .values
            .iter()
            .map(|v| Choice {
                lines: detail_lines(&v.value),
                stamp: v.stamp.clone(),
            })
            .collect();
        view! {
            <ConflictView what=format!("details of {name}") choices on_keep=keep_details saving=forms.state.saving/>
        }
        .into_any()
    } else {
        let d = person.details.latest().map(|d| d.value.clone());
        view! {
            <dl class="details">
                {d.map(|d| view! {
                    <div><dt>"Relationship"</dt><dd>{if d.relationship.is_empty() { "Not recorded".to_owned() } else { d.relationship.clone() }}</dd></div>
                    <div><dt>"Age group"</dt><dd>{d.age_group.label()}</dd></div>
                    <div><dt>"Household"</dt><dd>{d.household.label()}</dd></div>
                    {(!d.risk_info.is_empty()).then(|| view! { <div class="risk-info"><dt>"Known risk information"</dt><dd>{d.risk_info.clone()}</dd></div> })}
                    {(!d.contact.is_empty()).then(|| view! { <div><dt>"Contact"</dt><dd>{d.contact.clone()}</dd></div> })}
                    {(!d.linked_child_id.is_empty()).then(|| {
                        let href = format!("/child/{}", d.linked_child_id);
                        let id: Result<ChildId, _> = d.linked_child_id.parse();
                        let name = id.map(|c| app.child_name(&c)).unwrap_or_default();
                        view! { <div><dt>"Sibling's record"</dt><dd><a href=href class="target-link" data-testid="sibling-link">{name}</a></dd></div> }
                    })}
                })}
            </dl>
        }
        .into_any()
    };

    let assessment = &person.assessment;
    let assessment_view = if assessment.is_conflict() {
        let choices = assessment
            .values
            .iter()
            .map(|v| Choice {
                lines: assessment_lines(&v.value),
                stamp: v.stamp.clone(),
            })
            .collect();
        view! {
            <ConflictView what=format!("assessment of {name}") choices on_keep=keep_assessment saving=forms.state.saving/>
        }
        .into_any()
    } else {
        let text = match assessment.latest() {
            Some(a) if a.value.status != AssessmentStatus::NotYetAssessed => {
                let mut t = format!(
                    "Assessed as {} on {} by {}",
                    a.value.status.label().to_lowercase(),
                    show_date(&a.value.date),
                    a.stamp.by_name
                );
                if !a.value.note.is_empty() {
                    t.push_str(&format!(": {}", a.value.note));
                }
                t
            }
            _ => "Not yet assessed.".to_owned(),
        };
        view! { <p class="assessment-line">{text}</p> }.into_any()
    };

    view! {
        {details_view}
        {assessment_view}
        <p class="meta">{format!("Added by {}", by_line(&person.added))}</p>
    }
}
