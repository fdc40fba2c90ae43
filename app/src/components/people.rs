//! People around the child: who they are, whether they live there, known risk information and
//! an assessment status. Adults nobody has assessed are flagged until someone does.

use leptos::prelude::*;
use shared::choice::Choice as _;
use shared::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, Person, PersonDetails,
};
use shared::record::Record;
use shared::ChildId;

use crate::components::conflict::{Choice, ConflictView};
use crate::components::form::{
    by_line, content_key, refresh, show_date, FormError, FormState, SavedMessage, SelectInput,
    SelectText, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

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

#[derive(Debug, Clone, PartialEq)]
enum Open {
    Add,
    Edit(String),
    Assess(String),
}

/// Everything the section's forms hold; one form is open at a time.
#[derive(Debug, Clone, Copy)]
struct Forms {
    open: RwSignal<Option<Open>>,
    name: RwSignal<String>,
    relationship: RwSignal<String>,
    age_group: RwSignal<AgeGroup>,
    household: RwSignal<Household>,
    risk: RwSignal<String>,
    contact: RwSignal<String>,
    linked: RwSignal<String>,
    status: RwSignal<AssessmentStatus>,
    assessed_on: RwSignal<String>,
    note: RwSignal<String>,
    state: FormState,
    saved: RwSignal<Option<String>>,
}

impl Forms {
    fn new() -> Self {
        Forms {
            open: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            relationship: RwSignal::new(String::new()),
            age_group: RwSignal::new(AgeGroup::Adult),
            household: RwSignal::new(Household::LivesWithChild),
            risk: RwSignal::new(String::new()),
            contact: RwSignal::new(String::new()),
            linked: RwSignal::new(String::new()),
            status: RwSignal::new(AssessmentStatus::NotYetAssessed),
            assessed_on: RwSignal::new(String::new()),
            note: RwSignal::new(String::new()),
            state: FormState::new(),
            saved: RwSignal::new(None),
        }
    }

    fn fill_details(&self, d: Option<&PersonDetails>) {
        self.name.set(d.map(|d| d.name.clone()).unwrap_or_default());
        self.relationship
            .set(d.map(|d| d.relationship.clone()).unwrap_or_default());
        self.age_group
            .set(d.map_or(AgeGroup::Adult, |d| d.age_group));
        self.household
            .set(d.map_or(Household::LivesWithChild, |d| d.household));
        self.risk
            .set(d.map(|d| d.risk_info.clone()).unwrap_or_default());
        self.contact
            .set(d.map(|d| d.contact.clone()).unwrap_or_default());
        self.linked
            .set(d.map(|d| d.linked_child_id.clone()).unwrap_or_default());
    }

    fn open(&self, open: Open) {
        self.state.error.set(None);
        self.saved.set(None);
        self.open.set(Some(open));
    }

    fn details(&self) -> Result<PersonDetails, String> {
        refresh(&[
            ("person-name", self.name),
            ("person-relationship", self.relationship),
            ("person-risk", self.risk),
            ("person-contact", self.contact),
            ("person-linked-child", self.linked),
        ]);
        let name = self.name.get_untracked().trim().to_owned();
        if name.is_empty() {
            return Err("Enter the person's name.".to_owned());
        }
        let details = PersonDetails {
            name,
            relationship: self.relationship.get_untracked().trim().to_owned(),
            age_group: self.age_group.get_untracked(),
            household: self.household.get_untracked(),
            risk_info: self.risk.get_untracked().trim().to_owned(),
            contact: self.contact.get_untracked().trim().to_owned(),
            linked_child_id: self.linked.get_untracked().trim().to_owned(),
        };
        if [&details.name, &details.relationship]
            .iter()
            .any(|t| t.len() > shared::record::MAX_SHORT_LEN)
        {
            return Err("The name and relationship are each limited to 200 characters.".to_owned());
        }
        Ok(details)
    }
}

#[component]
pub fn PeopleSection(record: Memo<Record>, child: ChildId) -> impl IntoView {
    let app = use_app();
    let forms = Forms::new();
    let list = Memo::new(move |_| record.with(|r| r.people.clone()));

    let open_add = move |_| {
        forms.fill_details(None);
        forms.status.set(AssessmentStatus::NotYetAssessed);
        forms.open(Open::Add);
    };

    let add_form = {
        let child = child.clone();
        move || {
            let child = child.clone();
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let details = match forms.details() {
                    Ok(d) => d,
                    Err(e) => return forms.state.fail(e),
                };
                let status = forms.status.get_untracked();
                let (stamp, id) = match (app.stamp(), platform::new_id()) {
                    (Ok(s), Ok(id)) => (s, id),
                    (Err(e), _) | (_, Err(e)) => return forms.state.fail(e),
                };
                let assessment = (status != AssessmentStatus::NotYetAssessed).then(|| Assessment {
                    status,
                    date: platform::today(),
                    note: String::new(),
                });
                let name = details.name.clone();
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| people::add(doc, &id, &details, assessment.as_ref(), &stamp),
                    move || {
                        forms.open.set(None);
                        forms
                            .saved
                            .set(Some(format!("{name} added on this tablet.")));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h3>"Add a person"</h3>
                    <DetailFields forms/>
                    <SelectInput id="person-status" label="Assessment status" value=forms.status
                        hint="Leave as “not yet assessed” until someone has assessed them; the record flags unassessed adults."/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="person-save" disabled=move || forms.state.saving.get()>"Save person"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    view! {
        <SavedMessage message=forms.saved/>
        {move || list.with(Vec::is_empty).then(|| view! { <p class="notice">"Nobody is recorded around this child yet."</p> })}
        <ul class="people-list">
            <For
                each=move || list.get()
                key=|p: &Person| content_key(p)
                children=move |person| {
                    let child = child.clone();
                    view! { <PersonItem person forms child/> }
                }
            />
        </ul>
        <div class="section-actions">
            <button type="button" class="button" data-testid="add-person"
                aria-expanded=move || (forms.open.get() == Some(Open::Add)).to_string()
                on:click=open_add>
                "Add person"
            </button>
        </div>
        <Show when=move || forms.open.get() == Some(Open::Add)>{add_form.clone()}</Show>
    }
}

/// The detail controls shared by the add and edit forms.
#[component]
fn DetailFields(forms: Forms) -> impl IntoView {
    view! {
        <div class="field-row">
            <TextInput id="person-name" label="Name" value=forms.name required=true/>
            <TextInput id="person-relationship" label="Relationship to the child" value=forms.relationship
                hint="e.g. mother's partner, father of half-sibling, lodger"/>
        </div>
        <div class="field-row">
            <SelectInput id="person-age-group" label="Age group" value=forms.age_group/>
            <SelectInput id="person-household" label="Household" value=forms.household/>
        </div>
        <TextArea id="person-risk" label="Known risk information" value=forms.risk
            hint="Convictions, allegations or concerns, stated factually."/>
        <TextArea id="person-contact" label="Contact with the child" value=forms.contact rows=2/>
        <SiblingLink forms=forms/>
    }
}

/// Links a sibling to their own record: any other child on this tablet's caseload.
#[component]
fn SiblingLink(forms: Forms) -> impl IntoView {
    let app = use_app();
    let mut options = vec![(String::new(), "No linked record".to_owned())];
    options.extend(app.entries.get_untracked().into_iter().map(|e| {
        (
            e.child_id.to_string(),
            format!("{} (born {})", e.display_name, e.date_of_birth),
        )
    }));
    view! {
        <SelectText id="person-linked-child" label="Sibling's own record" value=forms.linked
            options=options hint="For a brother or sister with their own record: links the two records."/>
    }
}

#[component]
fn PersonItem(person: Person, forms: Forms, child: ChildId) -> impl IntoView {
    let app = use_app();
    let id = person.id.clone();
    let status = person.status();
    let name = person.name().to_owned();
    let latest_details = person.details.latest().map(|d| d.value.clone());
    let assessment = person.assessment.clone();

    let edit_open = {
        let id = id.clone();
        Memo::new(move |_| {
            forms
                .open
                .with(|o| matches!(o, Some(Open::Edit(x)) if *x == id))
        })
    };
    let assess_open = {
        let id = id.clone();
        Memo::new(move |_| {
            forms
                .open
                .with(|o| matches!(o, Some(Open::Assess(x)) if *x == id))
        })
    };

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
            forms.state.save(
                app,
                child.clone(),
                move |doc| people::edit_details(doc, &id, &details, &stamp),
                move || {
                    forms
                        .saved
                        .set(Some("Conflict resolved on this tablet.".to_owned()))
                },
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
            forms.state.save(
                app,
                child.clone(),
                move |doc| people::assess(doc, &id, &a, &stamp),
                move || {
                    forms
                        .saved
                        .set(Some("Conflict resolved on this tablet.".to_owned()))
                },
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
        let d = latest_details.clone();
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
                        let name = id.map(|c| use_app().child_name(&c)).unwrap_or_default();
                        view! { <div><dt>"Sibling's record"</dt><dd><a href=href data-testid="sibling-link">{name}</a></dd></div> }
                    })}
                })}
            </dl>
        }
        .into_any()
    };

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

    let open_edit = {
        let id = id.clone();
        let d = latest_details.clone();
        move |_| {
            forms.fill_details(d.as_ref());
            forms.open(Open::Edit(id.clone()));
        }
    };
    let open_assess = {
        let id = id.clone();
        let current = assessment.latest().map(|a| a.value.clone());
        move |_| {
            let status = current
                .as_ref()
                .map_or(AssessmentStatus::NotYetAssessed, |a| a.status);
            forms.status.set(status);
            forms.assessed_on.set(platform::today());
            forms.note.set(String::new());
            forms.open(Open::Assess(id.clone()));
        }
    };

    let edit_form = {
        let (child, id) = (child.clone(), id.clone());
        move || {
            let (child, id) = (child.clone(), id.clone());
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let details = match forms.details() {
                    Ok(d) => d,
                    Err(e) => return forms.state.fail(e),
                };
                let stamp = match app.stamp() {
                    Ok(s) => s,
                    Err(e) => return forms.state.fail(e),
                };
                let id = id.clone();
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| people::edit_details(doc, &id, &details, &stamp),
                    move || {
                        forms.open.set(None);
                        forms
                            .saved
                            .set(Some("Details saved on this tablet.".to_owned()));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h4>"Edit details"</h4>
                    <DetailFields forms/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="person-save" disabled=move || forms.state.saving.get()>"Save details"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    let assess_form = {
        let (child, id) = (child.clone(), id.clone());
        move || {
            let (child, id) = (child.clone(), id.clone());
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                refresh(&[
                    ("assessment-date", forms.assessed_on),
                    ("assessment-note", forms.note),
                ]);
                let date = forms.assessed_on.get_untracked();
                if date.parse::<shared::calendar::Date>().is_err() {
                    return forms.state.fail("Enter the date of the assessment.");
                }
                let status = forms.status.get_untracked();
                let stamp = match app.stamp() {
                    Ok(s) => s,
                    Err(e) => return forms.state.fail(e),
                };
                let a = Assessment {
                    status,
                    date,
                    note: forms.note.get_untracked().trim().to_owned(),
                };
                let id = id.clone();
                forms.state.save(
                    app,
                    child.clone(),
                    move |doc| people::assess(doc, &id, &a, &stamp),
                    move || {
                        forms.open.set(None);
                        forms
                            .saved
                            .set(Some("Assessment saved on this tablet.".to_owned()));
                    },
                );
            };
            view! {
                <form class="inline-form" on:submit=submit novalidate autocomplete="off">
                    <h4>"Record assessment"</h4>
                    <div class="field-row">
                        <SelectInput id="assessment-status" label="Assessed as" value=forms.status/>
                        <TextInput id="assessment-date" label="Date of assessment" kind="date" value=forms.assessed_on required=true/>
                    </div>
                    <TextArea id="assessment-note" label="Note" value=forms.note rows=2/>
                    <FormError state=forms.state/>
                    <div class="form-actions">
                        <button type="submit" class="button primary" data-testid="assessment-save" disabled=move || forms.state.saving.get()>"Save assessment"</button>
                        <button type="button" class="button secondary" on:click=move |_| forms.open.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };

    let added = format!("Added by {}", by_line(&person.added));
    view! {
        <li data-testid="person-item" class="person">
            <div class="person-head">
                <h3>{name.clone()}</h3>
                <span class=format!("badge status status-{}", status.code()) data-testid="person-status-badge">
                    {status.label()}
                </span>
            </div>
            {details_view}
            {assessment_view}
            <p class="meta">{added}</p>
            <div class="entry-actions">
                <button type="button" class="button secondary" data-testid=format!("person-edit-{id}")
                    aria-expanded=move || edit_open.get().to_string() on:click=open_edit>
                    "Edit details"
                </button>
                <button type="button" class="button secondary" data-testid=format!("person-assess-{id}")
                    aria-expanded=move || assess_open.get().to_string() on:click=open_assess>
                    "Record assessment"
                </button>
            </div>
            <Show when=move || edit_open.get()>{edit_form.clone()}</Show>
            <Show when=move || assess_open.get()>{assess_form.clone()}</Show>
        </li>
    }
}
