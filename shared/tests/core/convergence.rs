//! Simulated network: several offline tablets and one server exchange caseload syncs whose
//! requests are processed out of order and whose responses are shuffled, duplicated, delayed
//! and dropped. After the network quiesces every replica must hold identical heads and content,
//! and every observation any tablet recorded must be on the server.

use automerge::ActorId;
use proptest::prelude::*;
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::sync::{Caseload, ChildResult, SyncRequest, SyncResponse};
use shared::testing::MemoryServer;
use shared::ChildId;

struct Tablet {
    caseload: Caseload,
    actor: ActorId,
    recorded: Vec<String>,
}

#[derive(Debug, Clone)]
enum Step {
    /// Tablet records an observation for child (index modulo caseload).
    Record { tablet: usize, child: usize },
    /// Tablet sends a sync request into the network.
    Send { tablet: usize },
    /// The server processes one queued request (chosen by index), answering into the network.
    Process { pick: usize },
    /// One response in flight is delivered (and, if `duplicate`, stays in flight to arrive again).
    Deliver { pick: usize, duplicate: bool },
    /// One response in flight is lost.
    Drop { pick: usize },
    /// A tablet loses track of its server heads (e.g. storage restored), forcing fallback.
    Forget { tablet: usize, child: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..3usize).prop_map(|(tablet, child)| Step::Record { tablet, child }),
        3 => (0..3usize).prop_map(|tablet| Step::Send { tablet }),
        3 => (0..8usize).prop_map(|pick| Step::Process { pick }),
        3 => (0..8usize, any::<bool>()).prop_map(|(pick, duplicate)| Step::Deliver { pick, duplicate }),
        1 => (0..8usize).prop_map(|pick| Step::Drop { pick }),
        1 => (0..3usize, 0..3usize).prop_map(|(tablet, child)| Step::Forget { tablet, child }),
    ]
}

fn observation(id: &str, author: usize) -> Observation {
    Observation {
        id: id.parse().expect("a valid id"),
        occurred: "2026-05-01".into(),
        occurred_approx: false,
        recorded_at_ms: 1,
        author_id: format!("user{author}").parse().expect("a valid id"),
        author_name: format!("User {author}"),
        agency: "Health".into(),
        location: "Home".into(),
        present: vec!["Mother".into()],
        indicators: vec![IndicatorEntry {
            code: "NEG-HUNGRY-TIRED".into(),
            level: Level::Consider,
            ..Default::default()
        }],
        source: Source::ChildSaid,
        narrative: format!("entry {id}"),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    }
}

fn run(steps: Vec<Step>) {
    let children: Vec<ChildId> = ["c0", "c1", "c2"]
        .iter()
        .map(|c| c.parse().expect("id"))
        .collect();
    let mut server = MemoryServer::new(&children);
    let mut tablets: Vec<Tablet> = (0..3)
        .map(|i| Tablet {
            caseload: Caseload::default(),
            actor: ActorId::from(format!("tablet-{i}").into_bytes()),
            recorded: Vec::new(),
        })
        .collect();
    // Every tablet first downloads its caseload while in the office.
    for t in &mut tablets {
        let req = t.caseload.request();
        let resp = server.handle(&req);
        t.caseload.apply(&resp, &t.actor);
    }
    let mut requests: Vec<(usize, SyncRequest)> = Vec::new();
    let mut responses: Vec<(usize, SyncResponse)> = Vec::new();
    let mut counter = 0;

    for s in steps {
        match s {
            Step::Record { tablet, child } => {
                counter += 1;
                let id = format!("t{tablet}-{counter}");
                let t = &mut tablets[tablet];
                let child = &children[child];
                let replica = t.caseload.replicas.get_mut(child).expect("downloaded");
                record::add_observation(&mut replica.doc, &observation(&id, tablet), counter)
                    .expect("add");
                t.recorded.push(id);
            }
            Step::Send { tablet } => {
                let req = tablets[tablet].caseload.request();
                requests.push((tablet, req));
            }
            Step::Process { pick } => {
                if !requests.is_empty() {
                    let (tablet, req) = requests.remove(pick % requests.len());
                    responses.push((tablet, server.handle(&req)));
                }
            }
            Step::Deliver { pick, duplicate } => {
                if !responses.is_empty() {
                    let i = pick % responses.len();
                    let (tablet, resp) = if duplicate {
                        responses[i].clone()
                    } else {
                        responses.remove(i)
                    };
                    let t = &mut tablets[tablet];
                    t.caseload.apply(&resp, &t.actor);
                }
            }
            Step::Drop { pick } => {
                if !responses.is_empty() {
                    responses.remove(pick % responses.len());
                }
            }
            Step::Forget { tablet, child } => {
                if let Some(r) = tablets[tablet].caseload.replicas.get_mut(&children[child]) {
                    r.server_heads = None;
                }
            }
        }
    }

    // run_until_quiescent: late responses arrive, then every tablet syncs until nothing moves.
    for (tablet, resp) in std::mem::take(&mut responses) {
        let t = &mut tablets[tablet];
        t.caseload.apply(&resp, &t.actor);
    }
    for _ in 0..6 {
        for t in &mut tablets {
            let req = t.caseload.request();
            let resp = server.handle(&req);
            t.caseload.apply(&resp, &t.actor);
        }
    }

    for child in &children {
        let server_doc = &server.docs()[child];
        let expected = record::read(server_doc).expect("server record");
        for t in &tablets {
            let replica = &t.caseload.replicas[child];
            assert_eq!(
                replica.doc.get_heads(),
                server_doc.get_heads(),
                "heads of {child}"
            );
            assert_eq!(
                record::read(&replica.doc).expect("read"),
                expected,
                "content of {child}"
            );
            assert_eq!(replica.pending(), 0, "nothing left unacknowledged");
        }
    }
    let on_server: Vec<String> = children
        .iter()
        .flat_map(|c| record::read(&server.docs()[c]).expect("read").observations)
        .map(|o| o.id.to_string())
        .collect();
    for t in &tablets {
        for id in &t.recorded {
            assert!(on_server.contains(id), "observation {id} lost");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn tablets_converge_whatever_the_network_does(steps in prop::collection::vec(step(), 0..50)) {
        run(steps);
    }
}

#[test]
fn two_offline_tablets_then_sync_in_either_order() {
    use Step::*;
    run(vec![
        Record {
            tablet: 0,
            child: 0,
        },
        Record {
            tablet: 1,
            child: 0,
        },
        Send { tablet: 1 },
        Send { tablet: 0 },
        Process { pick: 0 },
        Process { pick: 0 },
        Deliver {
            pick: 1,
            duplicate: true,
        },
        Deliver {
            pick: 0,
            duplicate: false,
        },
    ]);
}

#[test]
fn healthy_caseload_sync_is_one_round_trip() {
    let children: Vec<ChildId> = (0..5)
        .map(|i| format!("c{i}").parse().expect("id"))
        .collect();
    let mut server = MemoryServer::new(&children);
    let actor = ActorId::from(b"tablet".to_vec());
    let mut caseload = Caseload::default();
    let first = server.handle(&caseload.request());
    assert!(!caseload.apply(&first, &actor).needs_another_round);
    for (n, c) in children.iter().enumerate() {
        let doc = &mut caseload.replicas.get_mut(c).expect("child").doc;
        record::add_observation(doc, &observation(&format!("o{n}"), 0), 1).expect("add");
    }
    assert_eq!(caseload.pending(), 5);
    let req = caseload.request();
    assert_eq!(req.children.len(), 5, "the whole caseload in one request");
    let outcome = caseload.apply(&server.handle(&req), &actor);
    assert!(!outcome.needs_another_round, "one round trip");
    assert_eq!(caseload.pending(), 0);
    assert!(req.children.iter().all(|c| c.sync_message.is_none()));
    let _ = ChildResult::Revoked;
}

#[test]
fn fallback_recovers_unknown_server_heads() {
    let c: ChildId = "c0".parse().expect("id");
    let mut server = MemoryServer::new(std::slice::from_ref(&c));
    let actor = ActorId::from(b"tablet".to_vec());
    let mut caseload = Caseload::default();
    let req = caseload.request();
    caseload.apply(&server.handle(&req), &actor);
    let replica = caseload.replicas.get_mut(&c).expect("child");
    record::add_observation(&mut replica.doc, &observation("x", 0), 1).expect("add");
    replica.server_heads = None;
    let mut rounds = 0;
    loop {
        rounds += 1;
        let req = caseload.request();
        let outcome = caseload.apply(&server.handle(&req), &actor);
        if !outcome.needs_another_round && caseload.pending() == 0 {
            break;
        }
        assert!(rounds < 5, "fallback must converge in a few rounds");
    }
    assert_eq!(
        record::read(&server.docs()[&c])
            .expect("read")
            .observations
            .len(),
        1
    );
}
