//! The change validator against crafted malicious changes: each refused with its reason.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjType, ReadDoc, ROOT};
use shared::api::Role;
use shared::record::assessments::{self, Scaling};
use shared::record::corrections::{self, Withdrawal};
use shared::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
};
use shared::record::stamped::Stamp;
use shared::record::supervision::{self, Supervision};
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::validate::{check, Policy, Rejection, Sender};
use shared::ChildId;

fn obs(id: &str, author: &str) -> Observation {
    Observation {
        id: id.into(),
        occurred: "2026-05-01".into(),
        occurred_approx: false,
        recorded_at_ms: 1,
        author_id: author.into(),
        author_name: author.into(),
        agency: "Health".into(),
        location: "Home".into(),
        present: vec![],
        indicators: vec![IndicatorEntry {
            code: "NEG-HYGIENE".into(),
            level: Level::Consider,
            ..Default::default()
        }],
        source: Source::Observed,
        narrative: "Original".into(),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    }
}

fn stamp(by: &str) -> Stamp {
    Stamp {
        by: by.into(),
        by_name: by.into(),
        at_ms: 1_000,
    }
}

/// The stored record: genesis, Alice's observation, a scaling and a person.
fn stored() -> Automerge {
    let child: ChildId = "c1".parse().expect("id");
    let mut doc = record::new_replica(&child, ActorId::from(b"dev-alice-1".to_vec()));
    record::add_observation(&mut doc, &obs("o-alice", "alice"), 1).expect("add");
    assessments::add_scaling(
        &mut doc,
        &Scaling {
            id: "s1".into(),
            date: "2026-05-01".into(),
            score: 4,
            rationale: "r".into(),
            agency: "a".into(),
            added: stamp("alice"),
        },
    )
    .expect("scaling");
    let details = PersonDetails {
        name: "Dean".into(),
        relationship: "Partner".into(),
        age_group: AgeGroup::Adult,
        household: Household::LivesWithChild,
        risk_info: String::new(),
        contact: String::new(),
        linked_child_id: String::new(),
    };
    people::add(&mut doc, "p1", &details, None, &stamp("alice")).expect("person");
    doc
}

fn sender(user: &str, role: Role) -> Sender {
    Sender {
        user_id: user.into(),
        role,
        actor_prefix: format!("dev-{user}").into_bytes(),
    }
}

/// Makes changes on a copy of the stored record with `actor`, then checks them as `who`.
fn attempt(
    actor: &str,
    who: &Sender,
    policy: Policy,
    edit: impl FnOnce(&mut Automerge),
) -> Result<(), Rejection> {
    let base = stored();
    let mut tablet = base
        .fork()
        .with_actor(ActorId::from(actor.as_bytes().to_vec()));
    edit(&mut tablet);
    let new = tablet.get_changes(&base.get_heads());
    assert!(!new.is_empty(), "the edit made no change");
    check(&base, &new, who, &|_| 0, policy).map(|_| ())
}

fn check_case(
    name: &str,
    actor: &str,
    who: Sender,
    edit: impl FnOnce(&mut Automerge),
    expected: Result<(), Rejection>,
) {
    assert_eq!(
        attempt(actor, &who, Policy::default(), edit),
        expected,
        "{name}"
    );
}

fn raw(doc: &mut Automerge, f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) {
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit_with(CommitOptions::default().with_time(1));
}

fn obs_map(doc: &Automerge) -> automerge::ObjId {
    record::entries::map_obj(doc, "observations").expect("map")
}

#[test]
fn honest_changes_pass() {
    let bob = || sender("bob", Role::Practitioner);
    check_case(
        "new observation",
        "dev-bob-1",
        bob(),
        |d| {
            record::add_observation(d, &obs("o-bob", "bob"), 2).expect("add");
        },
        Ok(()),
    );
    check_case(
        "author edits own observation",
        "dev-alice-2",
        sender("alice", Role::Practitioner),
        |d| {
            let mut o = obs("o-alice", "alice");
            o.narrative = "Typo fixed".into();
            record::add_observation(d, &o, 2).expect("edit");
        },
        Ok(()),
    );
    check_case(
        "assessing a person",
        "dev-bob-1",
        bob(),
        |d| {
            let a = Assessment {
                status: AssessmentStatus::Risk,
                date: "2026-05-02".into(),
                note: String::new(),
            };
            people::assess(d, "p1", &a, &stamp("bob")).expect("assess");
        },
        Ok(()),
    );
    check_case(
        "manager supervision",
        "dev-morgan-1",
        sender("morgan", Role::Manager),
        |d| {
            supervision::add(
                d,
                &Supervision {
                    id: "sup1".into(),
                    date: "2026-05-03".into(),
                    discussed: "x".into(),
                    reflection: "y".into(),
                    decisions: vec!["z".into()],
                    actions: vec![],
                    added: stamp("morgan"),
                },
            )
            .expect("supervision");
        },
        Ok(()),
    );
    check_case(
        "author withdraws own",
        "dev-alice-2",
        sender("alice", Role::Practitioner),
        |d| {
            corrections::withdraw(
                d,
                &Withdrawal {
                    observation_id: "o-alice".into(),
                    reason: "wrong child".into(),
                    added: stamp("alice"),
                },
            )
            .expect("withdraw");
        },
        Ok(()),
    );
}

#[test]
fn malicious_changes_are_refused() {
    let mallory = || sender("mallory", Role::Practitioner);
    check_case(
        "forged actor",
        "dev-alice-9",
        mallory(),
        |d| {
            record::add_observation(d, &obs("o-m", "mallory"), 2).expect("add");
        },
        Err(Rejection::ForeignActor),
    );
    check_case(
        "forged author",
        "dev-mallory-1",
        mallory(),
        |d| {
            record::add_observation(d, &obs("o-m", "alice"), 2).expect("add");
        },
        Err(Rejection::ForgedAuthor),
    );
    check_case(
        "deleting another's observation",
        "dev-mallory-1",
        mallory(),
        |d| {
            let m = obs_map(d);
            raw(d, |tx| tx.delete(&m, "o-alice").expect("delete"));
        },
        Err(Rejection::DeletesEntry),
    );
    check_case(
        "rewriting another's field",
        "dev-mallory-1",
        mallory(),
        |d| {
            let m = obs_map(d);
            let Some((_, o)) = d.get(&m, "o-alice").expect("get") else {
                panic!("missing")
            };
            raw(d, |tx| {
                tx.put(&o, "narrative", "Nothing happened").expect("put")
            });
        },
        Err(Rejection::OthersObservation),
    );
    check_case(
        "replacing an entry",
        "dev-mallory-1",
        mallory(),
        |d| {
            let m = obs_map(d);
            raw(d, |tx| {
                tx.put_object(&m, "o-alice", ObjType::Map).expect("replace");
            });
        },
        Err(Rejection::ReplacesEntry),
    );
    check_case(
        "deleting the observations map",
        "dev-mallory-1",
        mallory(),
        |d| {
            raw(d, |tx| tx.delete(ROOT, "observations").expect("delete"));
        },
        Err(Rejection::Structure),
    );
    check_case(
        "new root key",
        "dev-mallory-1",
        mallory(),
        |d| {
            raw(d, |tx| tx.put(ROOT, "evil", 1).expect("put"));
        },
        Err(Rejection::Structure),
    );
    check_case(
        "editing a scaling",
        "dev-mallory-1",
        mallory(),
        |d| {
            let m = record::entries::map_obj(d, "scalings").expect("map");
            let Some((_, s)) = d.get(&m, "s1").expect("get") else {
                panic!("missing")
            };
            raw(d, |tx| tx.put(&s, "score", 9u64).expect("put"));
        },
        Err(Rejection::ImmutableEntry),
    );
    check_case(
        "practitioner writes supervision",
        "dev-mallory-1",
        mallory(),
        |d| {
            supervision::add(
                d,
                &Supervision {
                    id: "sup1".into(),
                    date: "2026-05-03".into(),
                    discussed: "x".into(),
                    reflection: "y".into(),
                    decisions: vec![],
                    actions: vec![],
                    added: stamp("mallory"),
                },
            )
            .expect("supervision");
        },
        Err(Rejection::ManagerOnly),
    );
    check_case(
        "withdrawing another's observation",
        "dev-mallory-1",
        mallory(),
        |d| {
            corrections::withdraw(
                d,
                &Withdrawal {
                    observation_id: "o-alice".into(),
                    reason: "spite".into(),
                    added: stamp("mallory"),
                },
            )
            .expect("withdraw");
        },
        Err(Rejection::WithdrawNotAllowed),
    );
    check_case(
        "assessment stamped as someone else",
        "dev-mallory-1",
        mallory(),
        |d| {
            let a = Assessment {
                status: AssessmentStatus::Protective,
                date: "2026-05-02".into(),
                note: String::new(),
            };
            people::assess(d, "p1", &a, &stamp("alice")).expect("assess");
        },
        Err(Rejection::ForgedAuthor),
    );
    check_case(
        "malformed observation",
        "dev-mallory-1",
        mallory(),
        |d| {
            let m = obs_map(d);
            raw(d, |tx| {
                let o = tx.put_object(&m, "o-bad", ObjType::Map).expect("obj");
                tx.put(&o, "id", "o-bad").expect("put");
            });
        },
        Err(Rejection::Malformed),
    );
    assert_eq!(
        attempt(
            "dev-mallory-1",
            &mallory(),
            Policy {
                max_ops: 5,
                ..Policy::default()
            },
            |d| {
                record::add_observation(d, &obs("o-m", "mallory"), 2).expect("add");
            }
        ),
        Err(Rejection::TooManyOps)
    );
}

#[test]
fn sequence_numbers_must_continue() {
    let base = stored();
    let mut tablet = base.fork().with_actor(ActorId::from(b"dev-bob-1".to_vec()));
    record::add_observation(&mut tablet, &obs("o1", "bob"), 2).expect("add");
    let first = tablet.get_changes(&base.get_heads());
    record::add_observation(&mut tablet, &obs("o2", "bob"), 3).expect("add");
    let all = tablet.get_changes(&base.get_heads());
    let second: Vec<_> = all.into_iter().filter(|c| c.seq() == 2).collect();
    let bob = sender("bob", Role::Practitioner);
    // Sending seq 2 when the server has nothing from this actor: a gap.
    assert_eq!(
        check(&base, &second, &bob, &|_| 0, Policy::default()).err(),
        Some(Rejection::BadSequence)
    );
    // Replaying seq 1 when the server already stored it.
    assert_eq!(
        check(&base, &first, &bob, &|_| 1, Policy::default()).err(),
        Some(Rejection::BadSequence)
    );
    assert!(check(&base, &first, &bob, &|_| 0, Policy::default()).is_ok());
}
