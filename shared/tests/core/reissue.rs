//! Recovery from a rejected sync: tablets and a server that validates like the real one (the
//! real `validate::check` inside `merge_child`). A refused batch blocks every later change of its
//! actor; after `recover` the tablet's valid work reaches the server and the rest is reported.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ReadDoc};
use shared::api::Role;
use shared::record::corrections::{self, Amendment, Withdrawal};
use shared::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
};
use shared::record::plan::{self, ActionBase, ActionState, ActionStatus, PlanDetails, PlanKind};
use shared::record::stamped::Stamp;
use shared::record::{
    self, BodyMark, BodyView, IndicatorEntry, Level, MarkKind, Observation, Side, Source,
    Suitability,
};
use shared::sync::{Caseload, ChildResult, Dropped, Recovery, Replica, SyncResponse};
use shared::testing::MemoryServer;
use shared::validate::{Policy, Rejection, Sender};
use shared::ChildId;

/// A tablet: one user's caseload, written with `actor`.
struct Tablet {
    sender: Sender,
    actor: ActorId,
    caseload: Caseload,
}

impl Tablet {
    /// Signs in as `user` on device `dev-<user>` and downloads the caseload.
    fn new(user: &str, role: Role, server: &mut MemoryServer) -> Self {
        let mut t = Tablet {
            sender: shared::testing::sender(user, role),
            actor: actor(&format!("dev-{user}-1")),
            caseload: Caseload::default(),
        };
        t.sync(server);
        t
    }

    fn sync(&mut self, server: &mut MemoryServer) -> SyncResponse {
        let resp = server.handle_as(&self.caseload.request(), &self.sender);
        self.caseload.apply(&resp, &self.actor);
        resp
    }

    /// Syncs one child and returns the server's answer for it.
    fn sync_child(&mut self, server: &mut MemoryServer, child: &ChildId) -> ChildResult {
        let resp = self.sync(server);
        resp.children
            .into_iter()
            .find(|c| &c.child_id == child)
            .expect("child answered")
            .result
    }

    fn replica(&mut self, child: &ChildId) -> &mut Replica {
        self.caseload.replicas.get_mut(child).expect("on caseload")
    }

    fn doc(&mut self, child: &ChildId) -> &mut Automerge {
        &mut self.replica(child).doc
    }

    fn recover(&mut self, child: &ChildId, fresh: &str) -> Recovery {
        let sender = self.sender.clone();
        self.replica(child)
            .recover(&sender, actor(fresh), Policy::default())
            .expect("a rejection to recover from")
            .expect("recovered")
    }
}

/// `dev-<user>-<n>`: the actor of `user`'s device for page load `n` (as the app makes them);
/// anything else: an actor of no one's device.
fn actor(s: &str) -> ActorId {
    let own = s.strip_prefix("dev-").and_then(|rest| {
        let (user, n) = rest.rsplit_once('-')?;
        Some((user, n.parse::<u8>().ok()?))
    });
    match own {
        Some((user, n)) => {
            shared::testing::actor(&shared::testing::sender(user, Role::Practitioner), n)
        }
        None => ActorId::from(format!("{s:.<24}").into_bytes()),
    }
}

fn child() -> ChildId {
    "c1".parse().expect("id")
}

fn stamp(by: &str, at_ms: i64) -> Stamp {
    Stamp {
        by: by.parse().expect("a valid id"),
        by_name: shared::testing::display_name(by),
        at_ms,
    }
}

/// An observation using every part of the form.
fn observation(id: &str, author: &str) -> Observation {
    Observation {
        id: id.parse().expect("a valid id"),
        occurred: "2026-05-01T10:15".into(),
        occurred_approx: false,
        recorded_at_ms: 1_777_000_000_000,
        author_id: author.parse().expect("a valid id"),
        author_name: shared::testing::display_name(author),
        agency: shared::testing::agency(author),
        location: "Home".into(),
        present: vec!["Mother".into(), "Mother's partner".into()],
        indicators: vec![
            IndicatorEntry {
                code: "PHY-BRUISE-SOFT".into(),
                level: Level::Suspect,
                explanation: format!("Said he fell ({id})"),
                explanation_suitable: Suitability::NotSuitable,
            },
            IndicatorEntry {
                code: "NEG-HYGIENE".into(),
                level: Level::Consider,
                ..Default::default()
            },
        ],
        source: Source::Observed,
        narrative: format!("Narrative of {id}: bruising to the left cheek."),
        child_words: format!("\"Daddy was cross\" ({id})"),
        action_taken: "Discussed with safeguarding lead".into(),
        body_marks: vec![BodyMark {
            id: format!("{id}-m1"),
            view: BodyView::Front,
            x: 420,
            y: 180,
            region: "Cheek".into(),
            side: Side::Left,
            kind: MarkKind::Bruise,
            size: "2 cm x 1 cm".into(),
            colour_age: "Purple, fresh".into(),
            note: "Finger-shaped".into(),
        }],
    }
}

fn details(name: &str) -> PersonDetails {
    PersonDetails {
        name: name.into(),
        relationship: "Mother's partner".into(),
        age_group: AgeGroup::Adult,
        household: Household::LivesWithChild,
        risk_info: String::new(),
        contact: "Daily".into(),
        linked_child_id: String::new(),
    }
}

/// Rewrites a field of someone else's observation directly, as a modified client could.
fn forge_narrative(doc: &mut Automerge, id: &str, narrative: &str) {
    let map = record::entries::map_obj(doc, "observations").expect("map");
    let Some((_, obs)) = doc.get(&map, id).expect("get") else {
        panic!("no observation {id}")
    };
    let mut tx = doc.transaction();
    tx.put(&obs, "narrative", narrative).expect("put");
    tx.commit_with(
        CommitOptions::default()
            .with_time(1)
            .with_message("observation"),
    );
}

fn rejected_because(result: &ChildResult, reason: Rejection) {
    assert_eq!(
        result,
        &ChildResult::Rejected {
            reason: reason.to_string()
        }
    );
}

fn merged(result: &ChildResult) -> usize {
    match result {
        ChildResult::Merged { accepted, .. } => *accepted,
        other => panic!("expected a merge, got {other:?}"),
    }
}

/// Alice's observation is on the server and Bob's tablet has it.
fn alice_and_bob() -> (MemoryServer, Tablet, Tablet) {
    let c = child();
    let mut server = MemoryServer::new(std::slice::from_ref(&c));
    let mut alice = Tablet::new("alice", Role::Practitioner, &mut server);
    record::add_observation(alice.doc(&c), &observation("o-alice", "alice"), 1).expect("add");
    merged(&alice.sync_child(&mut server, &c));
    let bob = Tablet::new("bob", Role::Practitioner, &mut server);
    (server, alice, bob)
}

#[test]
fn forged_edit_is_dropped_and_honest_observations_reach_the_server() {
    let c = child();
    let (mut server, _alice, mut bob) = alice_and_bob();
    let first = observation("o-bob-1", "bob");
    let second = observation("o-bob-2", "bob");
    record::add_observation(bob.doc(&c), &first, 1_777_000_010_000).expect("add");
    forge_narrative(bob.doc(&c), "o-alice", "Nothing happened");
    record::add_observation(bob.doc(&c), &second, 1_777_000_020_000).expect("add");

    rejected_because(
        &bob.sync_child(&mut server, &c),
        Rejection::OthersObservation,
    );
    // The bad change blocks the good ones after it, however often the tablet retries.
    rejected_because(
        &bob.sync_child(&mut server, &c),
        Rejection::OthersObservation,
    );
    assert_eq!(
        record::read(&server.docs()[&c])
            .expect("read")
            .observations
            .len(),
        1
    );

    let recovery = bob.recover(&c, "dev-bob-2");
    assert_eq!(recovery.reissued, 2);
    assert_eq!(
        recovery.dropped,
        [Dropped {
            map: "observations".into(),
            entry: "o-alice".into(),
            field: Some("narrative".into()),
            reason: Rejection::OthersObservation,
        }]
    );
    assert_eq!(recovery.rejection, Rejection::OthersObservation.to_string());
    let original = Automerge::load(&recovery.original).expect("original kept");
    assert_eq!(
        record::observation(&original, "o-alice")
            .expect("read")
            .expect("there")
            .narrative,
        "Nothing happened",
        "the caller can quarantine the refused record as it was"
    );
    let replica = bob.replica(&c);
    assert_eq!(replica.last_rejection, None);
    assert_eq!(replica.pending(), 2);
    assert_eq!(replica.doc.get_actor(), &actor("dev-bob-2"));

    assert_eq!(merged(&bob.sync_child(&mut server, &c)), 2);
    let stored = &server.docs()[&c];
    for obs in [&first, &second] {
        assert_eq!(
            record::observation(stored, &obs.id).expect("read").as_ref(),
            Some(obs),
            "{} arrives whole",
            obs.id
        );
    }
    assert_eq!(
        record::observation(stored, "o-alice").expect("read"),
        Some(observation("o-alice", "alice")),
        "the forged edit never reaches the server"
    );
    assert_eq!(bob.doc(&c).get_heads(), stored.get_heads());
    assert_eq!(bob.replica(&c).pending(), 0);
    // Re-issued changes keep the time and message of the ones they replace.
    let reissued: Vec<(u64, i64, String)> = stored
        .get_changes_meta(&[])
        .iter()
        .filter(|m| *m.actor == actor("dev-bob-2"))
        .map(|m| {
            (
                m.seq,
                m.timestamp,
                m.message.as_deref().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reissued,
        [
            (1, 1_777_000_010, "observation".into()),
            (2, 1_777_000_020, "observation".into())
        ]
    );
}

#[test]
fn honest_batch_refused_for_its_actor_is_reissued_whole() {
    let c = child();
    let (mut server, mut alice, mut bob) = alice_and_bob();
    people::add(
        alice.doc(&c),
        "p1",
        &details("Dean"),
        None,
        &stamp("alice", 2),
    )
    .expect("person");
    plan::add_action(
        alice.doc(&c),
        &ActionBase {
            id: "a1".into(),
            what: "Weekly home visits".into(),
            who: "Health visitor".into(),
            due: "2026-07-01".into(),
            success_measure: "Visits happen".into(),
            added: stamp("alice", 3),
        },
    )
    .expect("action");
    merged(&alice.sync_child(&mut server, &c));
    // An observation of Bob's holding only the child's words, already on the server.
    let mut words_only = observation("o-bob-old", "bob");
    words_only.indicators.clear();
    words_only.body_marks.clear();
    words_only.narrative.clear();
    record::add_observation(bob.doc(&c), &words_only, 4).expect("add");
    merged(&bob.sync_child(&mut server, &c));

    // Offline, under an actor the server does not bind to Bob's device (say, restored from
    // another tablet's backup): every change below is honest, the whole batch is refused.
    bob.doc(&c).set_actor(actor("restored-device-1"));
    let doc = bob.doc(&c);
    let new = observation("o-bob-new", "bob");
    record::add_observation(doc, &new, 10).expect("add");
    corrections::amend(
        doc,
        &Amendment {
            id: "am1".into(),
            observation_id: "o-bob-new".into(),
            field: "narrative".into(),
            corrected: "Right cheek, not left".into(),
            reason: "Misread my notes".into(),
            added: stamp("bob", 11),
        },
    )
    .expect("amend");
    corrections::withdraw(
        doc,
        &Withdrawal {
            observation_id: "o-bob-new".into(),
            reason: "Recorded on the wrong child".into(),
            added: stamp("bob", 12),
        },
    )
    .expect("withdraw");
    let assessment = Assessment {
        status: AssessmentStatus::Risk,
        date: "2026-05-02".into(),
        note: "Seen shouting at the child".into(),
    };
    people::add(
        doc,
        "p-bob",
        &details("Lee"),
        Some(&assessment),
        &stamp("bob", 13),
    )
    .expect("person");
    people::assess(doc, "p1", &assessment, &stamp("bob", 14)).expect("assess");
    // Observations are never edited in place: the correction is an amendment.
    corrections::amend(
        doc,
        &Amendment {
            id: "am-words".into(),
            observation_id: words_only.id.to_string(),
            field: "narrative".into(),
            corrected: "Told me about the shouting at home.".into(),
            reason: "Written in the wrong box".into(),
            added: stamp("bob", 15),
        },
    )
    .expect("amend own");
    plan::set_plan(
        doc,
        &PlanDetails {
            kind: PlanKind::ChildProtectionPhysical,
            started_on: "2026-05-03".into(),
            ended_on: String::new(),
            contingency: "Legal planning meeting".into(),
            contingency_trigger: "Further injury".into(),
        },
        &stamp("bob", 16),
    )
    .expect("plan");
    plan::set_action_status(
        doc,
        "a1",
        &ActionStatus {
            state: ActionState::InProgress,
            note: "First visit done".into(),
        },
        &stamp("bob", 17),
    )
    .expect("status");
    let expected = record::read_record(doc).expect("read");

    rejected_because(&bob.sync_child(&mut server, &c), Rejection::ForeignActor);
    let recovery = bob.recover(&c, "dev-bob-2");
    assert_eq!(recovery.dropped, []);
    assert_eq!(recovery.reissued, 8, "one change per item");
    assert_eq!(merged(&bob.sync_child(&mut server, &c)), 8);

    let stored = record::read_record(&server.docs()[&c]).expect("read");
    assert_eq!(stored, expected, "everything Bob did is on the server");
    assert!(stored.is_withdrawn("o-bob-new"));
    assert_eq!(
        record::observation(&server.docs()[&c], &words_only.id).expect("read"),
        Some(words_only.clone())
    );
    assert!(stored.amendments.iter().any(|a| a.id == "am-words"));
    assert_eq!(bob.doc(&c).get_heads(), server.docs()[&c].get_heads());
}

#[test]
fn recover_acts_only_after_a_rejection_on_known_heads() {
    let c = child();
    let (mut server, _alice, mut bob) = alice_and_bob();
    let bob_sender = bob.sender.clone();
    let fresh = || actor("dev-bob-2");

    record::add_observation(bob.doc(&c), &observation("o-bob", "bob"), 10).expect("add");
    let heads = bob.doc(&c).get_heads();
    assert!(bob
        .replica(&c)
        .recover(&bob_sender, fresh(), Policy::default())
        .is_none());
    assert!(bob
        .caseload
        .recover_rejected(&bob_sender, &fresh(), Policy::default())
        .is_empty());
    assert_eq!(bob.doc(&c).get_heads(), heads, "nothing to recover from");

    forge_narrative(bob.doc(&c), "o-alice", "Nothing happened");
    rejected_because(
        &bob.sync_child(&mut server, &c),
        Rejection::OthersObservation,
    );
    let heads = bob.doc(&c).get_heads();
    let replica = bob.replica(&c);
    let server_heads = replica.server_heads.take();
    assert!(
        replica
            .recover(&bob_sender, fresh(), Policy::default())
            .is_none(),
        "no acknowledged heads to build on"
    );
    replica.server_heads = server_heads;

    // Actors that cannot be used leave everything as it was.
    let outcome = replica.recover(&bob_sender, actor("dev-mallory-1"), Policy::default());
    assert!(matches!(
        outcome,
        Some(Err(shared::sync::ReissueError::ForeignActor))
    ));
    let outcome = replica.recover(&bob_sender, actor("dev-bob-1"), Policy::default());
    assert!(matches!(
        outcome,
        Some(Err(shared::sync::ReissueError::ActorNotFresh))
    ));
    assert_eq!(replica.doc.get_heads(), heads);
    assert!(replica.last_rejection.is_some());

    let recovered = bob
        .caseload
        .recover_rejected(&bob_sender, &fresh(), Policy::default());
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].0, c);
    assert!(recovered[0].1.is_ok());
    assert!(bob
        .replica(&c)
        .recover(&bob_sender, fresh(), Policy::default())
        .is_none());
}

#[test]
fn recovered_tablet_converges_with_another() {
    let c = child();
    let (mut server, mut alice, mut bob) = alice_and_bob();
    let mut carol = Tablet::new("carol", Role::Manager, &mut server);

    // Both offline: Bob's batch has a forged edit; Carol records, assesses and supervises.
    record::add_observation(bob.doc(&c), &observation("o-bob", "bob"), 10).expect("add");
    forge_narrative(bob.doc(&c), "o-alice", "Nothing happened");
    people::add(
        bob.doc(&c),
        "p-bob",
        &details("Lee"),
        None,
        &stamp("bob", 11),
    )
    .expect("person");
    record::add_observation(carol.doc(&c), &observation("o-carol", "carol"), 12).expect("add");

    // Carol syncs first; Bob is refused, recovers, and syncs on top of heads now stale.
    merged(&carol.sync_child(&mut server, &c));
    rejected_because(
        &bob.sync_child(&mut server, &c),
        Rejection::OthersObservation,
    );
    let sender = bob.sender.clone();
    let recovered = bob
        .caseload
        .recover_rejected(&sender, &actor("dev-bob-2"), Policy::default());
    let [(id, Ok(recovery))] = recovered.as_slice() else {
        panic!("one child recovered: {recovered:?}")
    };
    assert_eq!(id, &c);
    assert_eq!(recovery.reissued, 2);
    assert_eq!(recovery.dropped.len(), 1);

    for _ in 0..2 {
        for t in [&mut bob, &mut carol, &mut alice] {
            t.sync(&mut server);
        }
    }
    let stored = &server.docs()[&c];
    let expected = record::read_record(stored).expect("read");
    for t in [&mut bob, &mut carol, &mut alice] {
        assert_eq!(
            t.doc(&c).get_heads(),
            stored.get_heads(),
            "{}",
            t.sender.user_id
        );
        assert_eq!(record::read_record(t.doc(&c)).expect("read"), expected);
        assert_eq!(t.replica(&c).pending(), 0);
        assert_eq!(t.replica(&c).last_rejection, None);
    }
    let ids: Vec<String> = expected
        .observations
        .iter()
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    for id in ["o-alice", "o-bob", "o-carol"] {
        assert!(ids.contains(&id.to_string()), "{id}");
    }
    assert_eq!(
        record::observation(stored, "o-alice").expect("read"),
        Some(observation("o-alice", "alice"))
    );
    assert_eq!(expected.people.len(), 1);
}
