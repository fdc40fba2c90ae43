//! Merge rules: amendments and withdrawals keep the original; concurrent edits of one field
//! stay visible side by side with author and time until someone resolves them.

use automerge::{ActorId, Automerge};
use shared::record::corrections::{self, Amendment, Withdrawal};
use shared::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
};
use shared::record::plan::{self, ActionBase, ActionState, ActionStatus, PlanDetails, PlanKind};
use shared::record::stamped::Stamp;
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::ChildId;

fn tablets() -> (Automerge, Automerge) {
    let child: ChildId = "c1".parse().expect("id");
    (
        record::new_replica(&child, ActorId::from(b"tablet-a".to_vec())),
        record::new_replica(&child, ActorId::from(b"tablet-b".to_vec())),
    )
}

fn stamp(by: &str, at_ms: i64) -> Stamp {
    Stamp {
        by: by.parse().expect("a valid id"),
        by_name: format!("{by} name"),
        at_ms,
    }
}

fn sync(a: &mut Automerge, b: &mut Automerge) {
    a.merge(b).expect("merge");
    b.merge(a).expect("merge");
    assert_eq!(a.get_heads(), b.get_heads());
}

fn obs(id: &str) -> Observation {
    Observation {
        id: id.parse().expect("a valid id"),
        occurred: "2026-05-01".into(),
        occurred_approx: false,
        recorded_at_ms: 1,
        author_id: "u1".parse().expect("a valid id"),
        author_name: "U One".into(),
        agency: "Health".into(),
        location: "Home".into(),
        present: vec![],
        indicators: vec![IndicatorEntry {
            code: "NEG-HYGIENE".into(),
            level: Level::Consider,
            ..Default::default()
        }],
        source: Source::Observed,
        narrative: "Original words".into(),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    }
}

#[test]
fn amendment_keeps_the_original_visible() {
    let (mut a, mut b) = tablets();
    record::add_observation(&mut a, &obs("o1"), 1).expect("add");
    sync(&mut a, &mut b);
    corrections::amend(
        &mut b,
        &Amendment {
            id: "am1".into(),
            observation_id: "o1".into(),
            field: "narrative".into(),
            corrected: "Corrected words".into(),
            reason: "Misheard the address".into(),
            added: stamp("u2", 50_000),
        },
    )
    .expect("amend");
    sync(&mut a, &mut b);
    let r = record::read_record(&a).expect("read");
    assert_eq!(
        r.observations[0].narrative, "Original words",
        "original untouched"
    );
    assert_eq!(r.amendments.len(), 1);
    assert_eq!(r.amendments[0].added.by, "u2");
    assert!(corrections::amend(
        &mut a,
        &Amendment {
            id: "am2".into(),
            observation_id: "nope".into(),
            field: "narrative".into(),
            corrected: "x".into(),
            reason: "y".into(),
            added: stamp("u2", 1),
        }
    )
    .is_err());
}

#[test]
fn withdrawal_keeps_the_entry_in_history() {
    let (mut a, mut b) = tablets();
    record::add_observation(&mut a, &obs("o1"), 1).expect("add");
    sync(&mut a, &mut b);
    corrections::withdraw(
        &mut b,
        &Withdrawal {
            observation_id: "o1".into(),
            reason: "Recorded on the wrong child".into(),
            added: stamp("u1", 9),
        },
    )
    .expect("withdraw");
    assert!(
        corrections::withdraw(
            &mut b,
            &Withdrawal {
                observation_id: "o1".into(),
                reason: "  ".into(),
                added: stamp("u1", 9)
            }
        )
        .is_err(),
        "a reason is required"
    );
    sync(&mut a, &mut b);
    let r = record::read_record(&a).expect("read");
    assert_eq!(r.observations.len(), 1, "still in the record");
    assert!(r.is_withdrawn("o1"));
}

fn details(name: &str, relationship: &str) -> PersonDetails {
    PersonDetails {
        name: name.into(),
        relationship: relationship.into(),
        age_group: AgeGroup::Adult,
        household: Household::VisitsRegularly,
        risk_info: String::new(),
        contact: String::new(),
        linked_child_id: String::new(),
    }
}

#[test]
fn concurrent_assessments_are_both_shown_until_resolved() {
    let (mut a, mut b) = tablets();
    people::add(
        &mut a,
        "p1",
        &details("Dean", "Mother's partner"),
        None,
        &stamp("u1", 10),
    )
    .expect("add");
    sync(&mut a, &mut b);
    let risk = Assessment {
        status: AssessmentStatus::Risk,
        date: "2026-05-02".into(),
        note: "Conviction".into(),
    };
    let prot = Assessment {
        status: AssessmentStatus::Protective,
        date: "2026-05-02".into(),
        note: "Supportive".into(),
    };
    people::assess(&mut a, "p1", &risk, &stamp("u1", 20)).expect("assess");
    people::assess(&mut b, "p1", &prot, &stamp("u2", 30)).expect("assess");
    sync(&mut a, &mut b);

    let (ps, _) = people::read(&a).expect("read");
    let p = &ps[0];
    assert!(p.assessment.is_conflict(), "both values visible");
    let shown: Vec<(AssessmentStatus, &str, i64)> = p
        .assessment
        .values
        .iter()
        .map(|v| (v.value.status, v.stamp.by.as_str(), v.stamp.at_ms))
        .collect();
    assert_eq!(
        shown,
        [
            (AssessmentStatus::Risk, "u1", 20),
            (AssessmentStatus::Protective, "u2", 30)
        ]
    );
    assert_eq!(
        p.status(),
        AssessmentStatus::NotYetAssessed,
        "a disagreement is not an assessment"
    );

    // Someone who has seen both resolves it; the resolution supersedes both everywhere.
    let both = Assessment {
        status: AssessmentStatus::Both,
        date: "2026-05-03".into(),
        note: "Agreed at supervision".into(),
    };
    people::assess(&mut b, "p1", &both, &stamp("u3", 40)).expect("resolve");
    sync(&mut a, &mut b);
    let (ps, _) = people::read(&a).expect("read");
    assert!(!ps[0].assessment.is_conflict());
    assert_eq!(ps[0].status(), AssessmentStatus::Both);
}

#[test]
fn concurrent_people_and_details_edits_lose_nothing() {
    let (mut a, mut b) = tablets();
    people::add(
        &mut a,
        "p1",
        &details("Dean", "Mother's partner"),
        None,
        &stamp("u1", 10),
    )
    .expect("add");
    people::add(
        &mut b,
        "p2",
        &details("Lee", "Father of half-sibling"),
        None,
        &stamp("u2", 11),
    )
    .expect("add");
    sync(&mut a, &mut b);
    people::edit_details(
        &mut a,
        "p1",
        &details("Dean Smith", "Mother's partner"),
        &stamp("u1", 12),
    )
    .expect("edit");
    people::edit_details(&mut b, "p1", &details("Dean", "Lodger"), &stamp("u2", 13)).expect("edit");
    sync(&mut a, &mut b);
    let (ps, _) = people::read(&b).expect("read");
    assert_eq!(ps.len(), 2);
    let p1 = ps.iter().find(|p| p.id == "p1").expect("p1");
    let versions: Vec<&str> = p1
        .details
        .values
        .iter()
        .map(|d| d.value.relationship.as_str())
        .collect();
    assert_eq!(versions, ["Mother's partner", "Lodger"]);
}

#[test]
fn concurrent_plan_edits_and_action_status() {
    let (mut a, mut b) = tablets();
    let plan = PlanDetails {
        kind: PlanKind::ChildProtectionNeglect,
        started_on: "2026-01-10".into(),
        ended_on: String::new(),
        contingency: "Legal planning meeting".into(),
        contingency_trigger: "No improvement in home conditions by review".into(),
    };
    plan::set_plan(&mut a, &plan, &stamp("u1", 1)).expect("plan");
    plan::add_action(
        &mut a,
        &ActionBase {
            id: "act1".into(),
            what: "Register Leo with a dentist".into(),
            who: "Mother".into(),
            due: "2026-02-01".into(),
            success_measure: "Appointment attended".into(),
            added: stamp("u1", 2),
        },
    )
    .expect("action");
    sync(&mut a, &mut b);
    let done = ActionStatus {
        state: ActionState::Achieved,
        note: String::new(),
    };
    let not = ActionStatus {
        state: ActionState::InProgress,
        note: "Waiting list".into(),
    };
    plan::set_action_status(&mut a, "act1", &done, &stamp("u1", 5)).expect("status");
    plan::set_action_status(&mut b, "act1", &not, &stamp("u2", 6)).expect("status");
    let mut changed = plan.clone();
    changed.contingency = "Consider care proceedings".into();
    plan::set_plan(&mut b, &changed, &stamp("u2", 7)).expect("plan");
    sync(&mut a, &mut b);
    let r = record::read_record(&a).expect("read");
    assert!(r.actions[0].status.is_conflict());
    assert!(r.actions[0].is_open(), "a disputed action stays open");
    assert!(
        !r.plan.is_conflict(),
        "b edited after seeing a's plan: no conflict"
    );
    assert_eq!(
        r.plan.latest().expect("plan").value.contingency,
        "Consider care proceedings"
    );
}

#[test]
fn sibling_records_are_linked() {
    let (mut a, _) = tablets();
    let mut d = details("Leo", "Brother");
    d.age_group = AgeGroup::YoungPerson;
    d.linked_child_id = "child-leo".into();
    people::add(&mut a, "p-leo", &d, None, &stamp("u1", 1)).expect("add");
    let rec = record::read_record(&a).expect("read");
    let linked = &rec.people[0]
        .details
        .latest()
        .expect("details")
        .value
        .linked_child_id;
    assert_eq!(linked, "child-leo");
    assert!(
        shared::analytics::unassessed_adults(&rec).is_empty(),
        "a young sibling is not an unassessed adult"
    );
}
