//! Merges of the lessons' entries: two managers answering one drift flag offline, two people
//! moving one challenge on at once, two tablets recording visits into a record neither had
//! upgraded. Both sides stay visible; the analytics read them the same way on every replica.

use automerge::{ActorId, Automerge};
use shared::analytics::lessons::{lessons, DriftState, Practice, Stage};
use shared::analytics::{self, Drift, ItemKind};
use shared::calendar::Date;
use shared::record::escalation::{
    self, Challenge, ChallengeStep, DriftAction, DriftResponse, Outcome, StepKind,
};
use shared::record::stamped::Stamp;
use shared::record::visits::{self, Visit, VisitPlace};
use shared::record::{self, Record};
use shared::ChildId;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn stamp(by: &str) -> Stamp {
    Stamp {
        by: by.parse().expect("id"),
        by_name: by.to_uppercase(),
        at_ms: 1_790_000_000_000,
    }
}

fn replicas() -> (Automerge, Automerge) {
    let child: ChildId = "child-kai".parse().expect("id");
    let a = record::new_replica(&child, ActorId::from(b"tablet-a".to_vec()));
    let b = record::new_replica(&child, ActorId::from(b"tablet-b".to_vec()));
    (a, b)
}

fn merged(a: &mut Automerge, b: &mut Automerge) -> Record {
    a.merge(b).expect("merge");
    b.merge(a).expect("merge back");
    assert_eq!(a.get_heads(), b.get_heads());
    let ra = record::read_record(a).expect("read");
    assert_eq!(ra, record::read_record(b).expect("read"));
    ra
}

fn response(id: &str, by: &str, action: DriftAction, review: &str) -> DriftResponse {
    DriftResponse {
        id: id.into(),
        date: "2026-03-10".into(),
        action,
        reason: "Reviewed in supervision".into(),
        review_on: review.into(),
        added: stamp(by),
    }
}

#[test]
fn two_managers_answering_one_drift_flag_offline_both_show() {
    let (mut a, mut b) = replicas();
    escalation::respond_to_drift(
        &mut a,
        &response("r-a", "user-priya", DriftAction::Escalated, "2026-04-10"),
    )
    .expect("a");
    escalation::respond_to_drift(
        &mut b,
        &response(
            "r-b",
            "user-omar",
            DriftAction::LegalPlanningMeeting,
            "2026-05-01",
        ),
    )
    .expect("b");
    let r = merged(&mut a, &mut b);
    assert_eq!(r.drift_responses.len(), 2);
    let chronology = analytics::chronology(&r);
    let answers: Vec<_> = chronology
        .iter()
        .filter(|i| i.kind == ItemKind::DriftResponse)
        .map(|i| (i.author.as_str(), i.action.as_str()))
        .collect();
    assert_eq!(
        answers,
        [
            ("USER-PRIYA", "Review on 2026-04-10"),
            ("USER-OMAR", "Review on 2026-05-01")
        ]
    );
    let drift = Drift {
        reasons: vec!["stalled".into()],
        since: d("2026-03-01"),
    };
    let state = lessons(
        &r,
        d("2026-03-20"),
        None,
        Some(&drift),
        &Practice::default(),
    )
    .drift;
    assert_eq!(
        state,
        Some(DriftState::Answered {
            action: DriftAction::LegalPlanningMeeting,
            review_on: d("2026-05-01"),
            responses: 2
        }),
        "both answers count; the later review stands"
    );
}

fn step(id: &str, kind: StepKind, by: &str) -> ChallengeStep {
    ChallengeStep {
        id: id.into(),
        challenge_id: "ch-1".into(),
        kind,
        date: "2026-03-12".into(),
        outcome: if kind == StepKind::Closed {
            Outcome::DecisionUpheld
        } else {
            Outcome::None
        },
        note: "Not resolved between us".into(),
        agency: "Police".into(),
        added: stamp(by),
    }
}

#[test]
fn concurrent_moves_of_one_challenge_both_show_and_the_furthest_stage_stands() {
    let (mut a, mut b) = replicas();
    escalation::raise(
        &mut a,
        &Challenge {
            id: "ch-1".into(),
            raised_on: "2026-03-09".into(),
            agency: "Police".into(),
            about: "No strategy discussion".into(),
            reason: "A second injury in a month".into(),
            added: stamp("user-dc"),
        },
    )
    .expect("raise");
    b.merge(&mut a).expect("b has it");
    escalation::step(&mut a, &step("s-a", StepKind::ToManagers, "user-dc")).expect("a");
    escalation::step(&mut b, &step("s-b", StepKind::ToSenior, "user-sgt")).expect("b");
    let r = merged(&mut a, &mut b);
    let view = lessons(&r, d("2026-03-12"), None, None, &Practice::default())
        .challenges
        .remove(0);
    assert_eq!(view.steps.len(), 2, "both moves show");
    assert_eq!(view.stage, Stage::Senior);
    let items = analytics::chronology(&r)
        .into_iter()
        .filter(|i| i.kind == ItemKind::Challenge)
        .count();
    assert_eq!(items, 3, "raised, and both moves");
    // A close made offline beside an escalation: closed, with its outcome, and both show.
    escalation::step(&mut a, &step("s-close", StepKind::Closed, "user-dc")).expect("close");
    escalation::step(&mut b, &step("s-more", StepKind::Acknowledged, "user-sgt")).expect("ack");
    let r = merged(&mut a, &mut b);
    let view = lessons(&r, d("2026-03-12"), None, None, &Practice::default())
        .challenges
        .remove(0);
    assert_eq!((view.stage, view.due), (Stage::Closed, None));
    assert_eq!(view.outcomes, vec![Outcome::DecisionUpheld]);
    assert_eq!(view.steps.len(), 4);
}

#[test]
fn two_tablets_recording_the_first_visits_offline_upgrade_to_one_map() {
    let (mut a, mut b) = replicas();
    let visit = |id: &str, by: &str| Visit {
        id: id.into(),
        date: "2026-03-02".into(),
        place: VisitPlace::Home,
        seen: true,
        seen_alone: true,
        bedroom_seen: true,
        child_words: String::new(),
        difficulties: Vec::new(),
        note: String::new(),
        agency: "Health".into(),
        added: stamp(by),
    };
    visits::add_visit(&mut a, &visit("v-a", "user-hv")).expect("a");
    visits::add_visit(&mut b, &visit("v-b", "user-sw")).expect("b");
    let r = merged(&mut a, &mut b);
    assert_eq!(r.visits.len(), 2, "no visit hidden in a losing map");
    assert_eq!(r.unreadable, 0);
}
