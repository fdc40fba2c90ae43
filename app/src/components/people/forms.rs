//! The people section's forms: add a person or edit one's details (the same fields), and
//! record an assessment. Each owns its values from the moment it opens.

use leptos::prelude::*;
use shared::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
};
use shared::ChildId;

use super::Open;
use crate::components::draft::field;
use crate::components::form::{
    FormState, Forms, InlineForm, SelectInput, SelectText, TextArea, TextInput,
};
use crate::platform;
use crate::state::use_app;

/// The detail fields' values.
#[derive(Debug, Clone, Copy)]
struct Details {
    name: RwSignal<String>,
    relationship: RwSignal<String>,
    age_group: RwSignal<AgeGroup>,
    household: RwSignal<Household>,
    risk: RwSignal<String>,
    contact: RwSignal<String>,
    linked: RwSignal<String>,
}

impl Details {
    fn new(d: Option<&PersonDetails>) -> Self {
        let text = |f: fn(&PersonDetails) -> &String| {
            RwSignal::new(d.map(|d| f(d).clone()).unwrap_or_default())
        };
        Details {
            name: text(|d| &d.name),
            relationship: text(|d| &d.relationship),
            age_group: RwSignal::new(d.map_or(AgeGroup::Adult, |d| d.age_group)),
            household: RwSignal::new(d.map_or(Household::LivesWithChild, |d| d.household)),
            risk: text(|d| &d.risk_info),
            contact: text(|d| &d.contact),
            linked: text(|d| &d.linked_child_id),
        }
    }

    fn value(&self) -> Result<PersonDetails, String> {
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

/// Adds a person (`person` is `None`) or edits the details of `person`, whose details are
/// `current`.
#[component]
pub fn PersonForm(
    child: ChildId,
    person: Option<String>,
    current: Option<PersonDetails>,
    forms: Forms<Open>,
) -> impl IntoView {
    let app = use_app();
    let details = Details::new(current.as_ref());
    let status = RwSignal::new(AssessmentStatus::NotYetAssessed);
    let adding = person.is_none();

    let state = FormState::keeping(
        format!("person:{child}:{}", person.as_deref().unwrap_or("new")),
        vec![
            field("name", details.name),
            field("relationship", details.relationship),
            field("age_group", details.age_group),
            field("household", details.household),
            field("risk", details.risk),
            field("contact", details.contact),
            field("linked", details.linked),
            field("status", status),
        ],
    );
    let on_save = Callback::new(move |()| {
        let d = match details.value() {
            Ok(d) => d,
            Err(e) => return state.fail(e),
        };
        let stamp = match app.stamp() {
            Ok(s) => s,
            Err(e) => return state.fail(e),
        };
        if let Some(id) = person.clone() {
            return state.save(
                app,
                child.clone(),
                move |doc| people::edit_details(doc, &id, &d, &stamp),
                move || forms.saved("Details saved on this tablet."),
            );
        }
        let id = match platform::new_id() {
            Ok(id) => id,
            Err(e) => return state.fail(e),
        };
        let status = status.get_untracked();
        let assessment = (status != AssessmentStatus::NotYetAssessed).then(|| Assessment {
            status,
            date: platform::today(),
            note: String::new(),
        });
        let name = d.name.clone();
        state.save(
            app,
            child.clone(),
            move |doc| people::add(doc, &id, &d, assessment.as_ref(), &stamp),
            move || forms.saved(format!("{name} added on this tablet.")),
        );
    });
    let (title, save, level) = if adding {
        ("Add a person", "Save person", 3)
    } else {
        ("Edit details", "Save details", 4)
    };
    view! {
        <InlineForm title level save save_id="person-save" state on_save
            on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <TextInput id="person-name" label="Name" value=details.name required=true/>
                <TextInput id="person-relationship" label="Relationship to the child" value=details.relationship
                    hint="e.g. mother's partner, father of half-sibling, lodger"/>
            </div>
            <div class="field-row">
                <SelectInput id="person-age-group" label="Age group" value=details.age_group/>
                <SelectInput id="person-household" label="Household" value=details.household/>
            </div>
            <TextArea id="person-risk" label="Known risk information" value=details.risk
                hint="Convictions, allegations or concerns, stated factually."/>
            <TextArea id="person-contact" label="Contact with the child" value=details.contact rows=2/>
            <SiblingLink value=details.linked/>
            {adding.then(|| view! {
                <SelectInput id="person-status" label="Assessment status" value=status
                    hint="Leave as “not yet assessed” until someone has assessed them; the record flags unassessed adults."/>
            })}
        </InlineForm>
    }
}

/// Links a sibling to their own record: any other child on this tablet's caseload.
#[component]
fn SiblingLink(value: RwSignal<String>) -> impl IntoView {
    let app = use_app();
    let mut options = vec![(String::new(), "No linked record".to_owned())];
    options.extend(app.entries.get_untracked().into_iter().map(|e| {
        (
            e.child_id.to_string(),
            format!(
                "{} (born {})",
                e.display_name,
                platform::format_occurred(&e.date_of_birth)
            ),
        )
    }));
    view! {
        <SelectText id="person-linked-child" label="Sibling's own record" value
            options=options hint="For a brother or sister with their own record: links the two records."/>
    }
}

/// Records an assessment of `person`, starting from the status they have now.
#[component]
pub fn AssessForm(
    child: ChildId,
    person: String,
    current: AssessmentStatus,
    forms: Forms<Open>,
) -> impl IntoView {
    let app = use_app();
    let status = RwSignal::new(current);
    let date = RwSignal::new(platform::today());
    let note = RwSignal::new(String::new());

    let state = FormState::keeping(
        format!("assess:{child}:{person}"),
        vec![
            field("status", status),
            field("date", date),
            field("note", note),
        ],
    );
    let on_save = Callback::new(move |()| {
        let date = date.get_untracked();
        if date.parse::<shared::calendar::Date>().is_err() {
            return state.fail("Enter the date of the assessment.");
        }
        let stamp = match app.stamp() {
            Ok(s) => s,
            Err(e) => return state.fail(e),
        };
        let a = Assessment {
            status: status.get_untracked(),
            date,
            note: note.get_untracked().trim().to_owned(),
        };
        let id = person.clone();
        state.save(
            app,
            child.clone(),
            move |doc| people::assess(doc, &id, &a, &stamp),
            move || forms.saved("Assessment saved on this tablet."),
        );
    });
    view! {
        <InlineForm title="Record assessment" level=4 save="Save assessment" save_id="assessment-save"
            state on_save on_cancel=Callback::new(move |()| forms.close())>
            <div class="field-row">
                <SelectInput id="assessment-status" label="Assessed as" value=status/>
                <TextInput id="assessment-date" label="Date of assessment" kind="date" value=date required=true/>
            </div>
            <TextArea id="assessment-note" label="Note" value=note rows=2/>
        </InlineForm>
    }
}
