//! The malicious request corpus: crafted sync requests and Automerge changes sent through the
//! real router and store. Every one is refused with a clear reason that echoes no record
//! content, leaves every stored record exactly as it was, and is audited against the user and
//! child it targeted.

mod support;

use std::sync::Arc;

use automerge::sync::{ChunkList, Message, MessageVersion};
use automerge::transaction::{Transactable, Transaction};
use automerge::{ActorId, Automerge, Change, ChangeHash, ObjId, ObjType, ReadDoc, ROOT};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::Value;
use server::audit::Entry;
use shared::api::CaseloadEntry;
use shared::record::corrections::{self, Amendment, Withdrawal};
use shared::record::people::{self, Assessment, AssessmentStatus};
use shared::record::stamped::Stamp;
use shared::record::supervision::{self, Supervision};
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::sync::server::encode_changes;
use shared::sync::{Bytes, ChildSyncRequest, Replica, SyncRequest};
use shared::validate::Rejection;
use shared::ChildId;
use support::{Tablet, TestServer};

const SAM: &str = "user-sam-social";
const HANA: &str = "user-hana-health";
const MORGAN: &str = "user-morgan-manager";

const AVA: &str = "child-ava";
const MIA: &str = "child-mia";
const NOAH: &str = "child-noah";
const ZARA: &str = "child-zara";
/// On another team's caseload.
const SOUTH: &str = "child-south";
/// Never created.
const GHOST: &str = "child-ghost";
/// Every child whose stored record is compared before and after each case.
const ALL_CHILDREN: &[&str] = &[AVA, "child-leo", MIA, NOAH, ZARA, SOUTH, GHOST];

/// Put into every forged text, so a response or audit row that echoes content is caught.
const MARK: &str = "MALICIOUS-CONTENT";

/// Everything the cases build on, set up once through the real API.
struct Fixture {
    /// Signed in on his tablet, caseload synced, one observation of his own stored on Zara.
    sam: Tablet,
    hana: Tablet,
    morgan: Tablet,
    /// Sam signed in again from a second device.
    sam_other_device: String,
    /// Sam signed in without naming a device.
    sam_no_device: String,
    /// A session of Sam's that expired an hour ago.
    expired: String,
    /// A session of Sam's that he signed out of.
    signed_out: String,
    /// Sam's copy of Mia's record, from before she was taken off his caseload.
    sam_mia: Replica,
    /// Sam's observation on Zara as stored: his tablet actor's first change there.
    stored: Bytes,
    /// Zara's heads before that change.
    zara_before_sam: Vec<ChangeHash>,
}

/// What a refusal looks like.
#[derive(Debug)]
enum Expect {
    /// Refused by the HTTP layer before any child was looked at: status, error code, message.
    Http(StatusCode, &'static str, &'static str),
    /// 200, and this child's changes rejected with this reason.
    Rejected(&'static str, Reason),
    /// 200, and this child answered `revoked`: not the user's to sync.
    Revoked(&'static str),
    /// 200, this child answered with this status and nothing accepted: a duplicate or
    /// undeliverable change has no effect.
    NoEffect(&'static str, &'static str),
}
use Expect::*;

#[derive(Debug)]
enum Reason {
    /// The change policy's reason.
    Policy(Rejection),
    /// A reason from decoding, applying or bounding the request.
    Text(&'static str),
}

impl Reason {
    fn text(&self) -> String {
        match self {
            Reason::Policy(r) => r.to_string(),
            Reason::Text(t) => (*t).to_owned(),
        }
    }
}

fn policy(r: Rejection) -> Reason {
    Reason::Policy(r)
}

struct Case {
    name: &'static str,
    /// Who sends it (`None`: nobody is signed in); the audit row about the child names them.
    user: Option<&'static str>,
    expect: Expect,
    build: fn(&Fixture) -> Request<Body>,
}

fn case(
    name: &'static str,
    user: Option<&'static str>,
    expect: Expect,
    build: fn(&Fixture) -> Request<Body>,
) -> Case {
    Case {
        name,
        user,
        expect,
        build,
    }
}

fn id(child: &str) -> ChildId {
    child.parse().expect("child id")
}

fn observation(obs_id: &str, author: &str) -> Observation {
    Observation {
        id: obs_id.into(),
        occurred: "2026-11-20".into(),
        occurred_approx: false,
        recorded_at_ms: 1_790_000_000_000,
        author_id: author.into(),
        author_name: MARK.into(),
        agency: "Test agency".into(),
        location: "Home".into(),
        present: vec!["Child".into()],
        indicators: vec![IndicatorEntry {
            code: "NEG-HYGIENE".into(),
            level: Level::Consider,
            ..Default::default()
        }],
        source: Source::Observed,
        narrative: format!("{MARK} {obs_id}"),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    }
}

fn stamp(by: &str) -> Stamp {
    Stamp {
        by: by.into(),
        by_name: MARK.into(),
        at_ms: 1_790_000_000_000,
    }
}

fn add(doc: &mut Automerge, obs: &Observation) {
    record::add_observation(doc, obs, obs.recorded_at_ms).expect("add observation");
}

/// One raw transaction, as a hand-crafted client would write it.
fn raw(doc: &mut Automerge, f: impl FnOnce(&mut Transaction<'_>)) {
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit();
}

fn map(doc: &Automerge, name: &str) -> ObjId {
    record::entries::map_obj(doc, name).expect("entry map")
}

fn child_obj(doc: &Automerge, parent: &ObjId, key: &str) -> ObjId {
    doc.get(parent, key).expect("get").expect("present").1
}

fn entry(doc: &Automerge, map_name: &str, entry_id: &str) -> ObjId {
    child_obj(doc, &map(doc, map_name), entry_id)
}

fn replica<'a>(tablet: &'a Tablet, child: &str) -> &'a Replica {
    tablet
        .caseload
        .replicas
        .get(&id(child))
        .expect("child on the tablet")
}

/// The changes `edit` makes, written by `actor` on top of what the server acknowledged to the
/// tablet: this child's part of a sync request.
fn changes_on(
    tablet: &Tablet,
    child: &str,
    actor: &ActorId,
    edit: impl FnOnce(&mut Automerge),
) -> ChildSyncRequest {
    changes_to(replica(tablet, child), actor, edit)
}

/// The same, on a replica held outside a tablet.
fn changes_to(
    replica: &Replica,
    actor: &ActorId,
    edit: impl FnOnce(&mut Automerge),
) -> ChildSyncRequest {
    let mut doc = replica.doc.fork().with_actor(actor.clone());
    let heads = doc.get_heads();
    edit(&mut doc);
    let changes = doc.get_changes(&heads);
    assert!(!changes.is_empty(), "the edit made no change");
    ChildSyncRequest {
        child_id: replica.child_id.clone(),
        server_heads: replica.server_heads_hex(),
        changes: encode_changes(changes),
        sync_message: None,
    }
}

/// A child the tablet does not hold, made up from the shared genesis.
fn made_up(child: &str, actor: &ActorId, obs: &Observation) -> ChildSyncRequest {
    let mut replica = Replica::new(id(child), actor.clone());
    add(&mut replica.doc, obs);
    replica.request()
}

fn post(token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut req = Request::post("/api/sync").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    req.body(body.into()).expect("request")
}

/// A sync from `tablet` carrying `children`, naming the rest of its caseload with nothing new,
/// as the app does.
fn sync(tablet: &Tablet, children: Vec<ChildSyncRequest>) -> Request<Body> {
    sync_with(&tablet.token, tablet, children)
}

/// The same, sent with another token.
fn sync_with(token: &str, tablet: &Tablet, mut children: Vec<ChildSyncRequest>) -> Request<Body> {
    for (child, replica) in &tablet.caseload.replicas {
        if !children.iter().any(|c| c.child_id == *child) {
            children.push(ChildSyncRequest {
                child_id: child.clone(),
                server_heads: replica.server_heads_hex(),
                changes: vec![],
                sync_message: None,
            });
        }
    }
    post(
        Some(token),
        serde_json::to_vec(&SyncRequest { children }).expect("json"),
    )
}

/// Sam's tablet adds an observation in Hana's name: refused whatever path it arrives by.
fn forged_author(f: &Fixture) -> ChildSyncRequest {
    changes_on(&f.sam, AVA, &f.sam.actor, |d| {
        add(d, &observation("forged-author", HANA))
    })
}

/// Sam's next change on Zara with its sequence number inflated from 2 to 5; its dependencies
/// are all stored, so only the gap is wrong.
fn after_a_gap(f: &Fixture) -> ChildSyncRequest {
    let mut req = changes_on(&f.sam, ZARA, &f.sam.actor, |d| {
        add(d, &observation("after-a-gap", SAM))
    });
    let honest = Change::from_bytes(req.changes[0].0.clone()).expect("change");
    assert_eq!(honest.seq(), 2, "continues Sam's stored change");
    let mut expanded = honest.decode();
    expanded.seq = 5;
    expanded.hash = None;
    req.changes = encode_changes(vec![Change::from(expanded)]);
    req
}

/// A fallback request whose sync message carries `changes`.
fn in_sync_message(child: &str, changes: &[Bytes]) -> ChildSyncRequest {
    let heads = changes
        .iter()
        .map(|c| Change::from_bytes(c.0.clone()).expect("change").hash())
        .collect();
    let message = Message {
        heads,
        need: vec![],
        have: vec![],
        changes: ChunkList::from(changes.iter().map(|c| c.0.clone()).collect::<Vec<_>>()),
        flags: None,
        version: MessageVersion::V1,
    };
    ChildSyncRequest {
        child_id: id(child),
        server_heads: None,
        changes: vec![],
        sync_message: Some(Bytes(message.encode())),
    }
}

fn the_corpus() -> Vec<Case> {
    vec![
        // Who wrote it: every actor must belong to the session's device.
        case(
            "forged actor: not the sending device's",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let actor = ActorId::from(b"mallory-device-0001".to_vec());
                let req = changes_on(&f.sam, AVA, &actor, |d| {
                    add(d, &observation("forged-actor", SAM))
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "another user's device actor",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.hana.actor, |d| {
                    add(d, &observation("hanas-actor", SAM))
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "the record's genesis actor",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let actor = record::genesis_actor(&id(AVA));
                let req = changes_on(&f.sam, AVA, &actor, |d| {
                    add(d, &observation("genesis-actor", SAM))
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a token from another device with the first device's actors",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    add(d, &observation("other-device", SAM))
                });
                sync_with(&f.sam_other_device, &f.sam, vec![req])
            },
        ),
        case(
            "a session bound to no device",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    add(d, &observation("no-device", SAM))
                });
                sync_with(&f.sam_no_device, &f.sam, vec![req])
            },
        ),
        // Entries: never deleted or replaced; observations changed only by their author.
        case(
            "deleting another's observation",
            Some(SAM),
            Rejected(AVA, policy(Rejection::DeletesEntry)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| tx.delete(&m, "demo-0").expect("delete"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "deleting own observation",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::DeletesEntry)),
            |f| {
                let req = changes_on(&f.sam, ZARA, &f.sam.actor, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| tx.delete(&m, "sam-own").expect("delete"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "rewriting a field of another's observation",
            Some(SAM),
            Rejected(AVA, policy(Rejection::OthersObservation)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let o = entry(d, "observations", "demo-0");
                    raw(d, |tx| tx.put(&o, "narrative", MARK).expect("put"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a manager rewriting a practitioner's observation",
            Some(MORGAN),
            Rejected(AVA, policy(Rejection::OthersObservation)),
            |f| {
                let req = changes_on(&f.morgan, AVA, &f.morgan.actor, |d| {
                    let o = entry(d, "observations", "demo-0");
                    raw(d, |tx| tx.put(&o, "child_words", MARK).expect("put"));
                });
                sync(&f.morgan, vec![req])
            },
        ),
        case(
            "replacing an entry",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ReplacesEntry)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        tx.put_object(&m, "demo-0", ObjType::Map).expect("replace");
                    });
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a new observation in someone else's name",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| sync(&f.sam, vec![forged_author(f)]),
        ),
        case(
            "handing own observation to another author",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = changes_on(&f.sam, ZARA, &f.sam.actor, |d| {
                    let mut own = record::observation(d, "sam-own")
                        .expect("read")
                        .expect("stored");
                    own.author_id = HANA.into();
                    add(d, &own);
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a person assessment stamped as someone else",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let a = Assessment {
                        status: AssessmentStatus::Protective,
                        date: "2026-11-20".into(),
                        note: MARK.into(),
                    };
                    people::assess(d, "person-dean", &a, &stamp(HANA)).expect("assess");
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "an amendment stamped as someone else",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let a = Amendment {
                        id: "amend-forged".into(),
                        observation_id: "demo-1".into(),
                        field: "narrative".into(),
                        corrected: MARK.into(),
                        reason: MARK.into(),
                        added: stamp(HANA),
                    };
                    corrections::amend(d, &a).expect("amend");
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a practitioner writing supervision",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ManagerOnly)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let s = Supervision {
                        id: "sup-forged".into(),
                        date: "2026-11-20".into(),
                        discussed: MARK.into(),
                        reflection: MARK.into(),
                        decisions: vec![MARK.into()],
                        actions: vec![],
                        added: stamp(SAM),
                    };
                    supervision::add(d, &s).expect("supervision");
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "withdrawal by a practitioner who is not the author",
            Some(HANA),
            Rejected(AVA, policy(Rejection::WithdrawNotAllowed)),
            |f| {
                let req = changes_on(&f.hana, AVA, &f.hana.actor, |d| {
                    let w = Withdrawal {
                        observation_id: "demo-1".into(),
                        reason: MARK.into(),
                        added: stamp(HANA),
                    };
                    corrections::withdraw(d, &w).expect("withdraw");
                });
                sync(&f.hana, vec![req])
            },
        ),
        case(
            "editing an append-only entry (a scaling's score)",
            Some(HANA),
            Rejected(AVA, policy(Rejection::ImmutableEntry)),
            |f| {
                let req = changes_on(&f.hana, AVA, &f.hana.actor, |d| {
                    let s = entry(d, "scalings", "scale-3");
                    raw(d, |tx| tx.put(&s, "score", 10u64).expect("put"));
                });
                sync(&f.hana, vec![req])
            },
        ),
        case(
            "rewriting a person's stamped details in place",
            Some(HANA),
            Rejected(AVA, policy(Rejection::ImmutableEntry)),
            |f| {
                let req = changes_on(&f.hana, AVA, &f.hana.actor, |d| {
                    let person = entry(d, "people", "person-dean");
                    let details = child_obj(d, &person, "details");
                    let value = child_obj(d, &details, "value");
                    raw(d, |tx| tx.put(&value, "risk_info", MARK).expect("put"));
                });
                sync(&f.hana, vec![req])
            },
        ),
        case(
            "an observation not in Quilt's shape",
            Some(SAM),
            Rejected(AVA, policy(Rejection::Malformed)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let o = tx.put_object(&m, "half-entry", ObjType::Map).expect("obj");
                        tx.put(&o, "id", "half-entry").expect("put");
                        tx.put(&o, "narrative", MARK).expect("put");
                    });
                });
                sync(&f.sam, vec![req])
            },
        ),
        // The record's structure is fixed.
        case(
            "a new key at the root",
            Some(SAM),
            Rejected(AVA, policy(Rejection::Structure)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    raw(d, |tx| tx.put(ROOT, "evil", MARK).expect("put"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "changing the schema version",
            Some(SAM),
            Rejected(AVA, policy(Rejection::Structure)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    raw(d, |tx| tx.put(ROOT, "schema", 99u64).expect("put"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "deleting an entry map at the root",
            Some(SAM),
            Rejected(AVA, policy(Rejection::Structure)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    raw(d, |tx| tx.delete(ROOT, "observations").expect("delete"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "deleting the plan",
            Some(SAM),
            Rejected(AVA, policy(Rejection::DeletesEntry)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    raw(d, |tx| tx.delete(ROOT, "plan").expect("delete"));
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "replacing the plan with an unstamped value",
            Some(HANA),
            Rejected(AVA, policy(Rejection::Malformed)),
            |f| {
                let req = changes_on(&f.hana, AVA, &f.hana.actor, |d| {
                    raw(d, |tx| tx.put(ROOT, "plan", MARK).expect("put"));
                });
                sync(&f.hana, vec![req])
            },
        ),
        case(
            "rewriting the stamped plan in place",
            Some(HANA),
            Rejected(AVA, policy(Rejection::ImmutableEntry)),
            |f| {
                let req = changes_on(&f.hana, AVA, &f.hana.actor, |d| {
                    let plan = child_obj(d, &ROOT, "plan");
                    let value = child_obj(d, &plan, "value");
                    raw(d, |tx| tx.put(&value, "contingency", MARK).expect("put"));
                });
                sync(&f.hana, vec![req])
            },
        ),
        case(
            "a plan stamped as someone else, sent as a losing concurrent value",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let tablet = replica(&f.sam, AVA);
                // Written as if before the demo's people, conferences and plan were recorded:
                // its operation counter is lower than the stored plan's, so it loses.
                let first_person = tablet
                    .doc
                    .get_changes(&[])
                    .into_iter()
                    .find(|c| c.message() == Some("person"))
                    .expect("the seeded people");
                let mut doc = tablet
                    .doc
                    .fork_at(first_person.deps())
                    .expect("fork")
                    .with_actor(f.sam.actor.clone());
                let heads = doc.get_heads();
                let details = record::plan::PlanDetails {
                    kind: record::plan::PlanKind::ChildInNeed,
                    started_on: "2026-11-20".into(),
                    ended_on: String::new(),
                    contingency: MARK.into(),
                    contingency_trigger: MARK.into(),
                };
                record::plan::set_plan(&mut doc, &details, &stamp(MORGAN)).expect("plan");
                let changes = doc.get_changes(&heads);
                // Merged, the stored plan still wins and the forged one stands beside it.
                let mut merged = tablet.doc.clone();
                merged.apply_changes(changes.clone()).expect("apply");
                let plan = record::plan::read_plan(&merged).expect("plan");
                assert_eq!(plan.values.len(), 2, "a conflict");
                assert_eq!(
                    merged.get(ROOT, "plan").expect("get"),
                    tablet.doc.get(ROOT, "plan").expect("get"),
                    "the stored plan wins"
                );
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: tablet.server_heads_hex(),
                    changes: encode_changes(changes),
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "rewriting a plan action's stamped status in place",
            Some(HANA),
            Rejected(AVA, policy(Rejection::ImmutableEntry)),
            |f| {
                let req = changes_on(&f.hana, AVA, &f.hana.actor, |d| {
                    let action = entry(d, "plan_actions", "action-heating");
                    let status = child_obj(d, &action, "status");
                    let value = child_obj(d, &status, "value");
                    raw(d, |tx| tx.put(&value, "note", MARK).expect("put"));
                });
                sync(&f.hana, vec![req])
            },
        ),
        // Sequence numbers continue the actor's last stored change; duplicates have no effect.
        case(
            "an inflated sequence number (a gap)",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::BadSequence)),
            |f| sync(&f.sam, vec![after_a_gap(f)]),
        ),
        case(
            "a stored sequence number reused with different content",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::BadSequence)),
            |f| {
                let tablet = replica(&f.sam, ZARA);
                let mut doc = tablet
                    .doc
                    .fork_at(&f.zara_before_sam)
                    .expect("fork")
                    .with_actor(f.sam.actor.clone());
                add(&mut doc, &observation("replayed-seq", SAM));
                let changes = doc.get_changes(&f.zara_before_sam);
                let stored = Change::from_bytes(f.stored.0.clone()).expect("stored");
                assert_eq!(
                    (changes[0].actor_id(), changes[0].seq()),
                    (stored.actor_id(), stored.seq())
                );
                assert_ne!(changes[0].hash(), stored.hash());
                let req = ChildSyncRequest {
                    child_id: id(ZARA),
                    server_heads: tablet.server_heads_hex(),
                    changes: encode_changes(changes),
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a change carrying an Automerge author",
            Some(SAM),
            Rejected(
                ZARA,
                Reason::Text("a change carries an Automerge author, which Quilt does not write"),
            ),
            |f| {
                // A fresh actor on Sam's device: Automerge only writes an author into an
                // actor's first change.
                let mut actor = f.sam.actor.to_bytes().to_vec();
                actor.extend_from_slice(b"-authored");
                let req = changes_on(&f.sam, ZARA, &ActorId::from(actor.clone()), |d| {
                    d.set_author(Some(automerge::Author::from(b"mallory".to_vec())));
                    d.set_actor(ActorId::from(actor));
                    add(d, &observation("authored", SAM))
                });
                let change = Change::from_bytes(req.changes[0].0.clone()).expect("change");
                assert!(change.author().is_some(), "the change carries an author");
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "exact replay of a stored change",
            Some(SAM),
            NoEffect(ZARA, "merged"),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(ZARA),
                    server_heads: replica(&f.sam, ZARA).server_heads_hex(),
                    changes: vec![f.stored.clone()],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a stored change twice in one request",
            Some(SAM),
            NoEffect(ZARA, "merged"),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(ZARA),
                    server_heads: replica(&f.sam, ZARA).server_heads_hex(),
                    changes: vec![f.stored.clone(), f.stored.clone()],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            // Refused for what it says, not tripped up by the repeat.
            "a forged change twice in one request",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let mut req = forged_author(f);
                req.changes.push(req.changes[0].clone());
                sync(&f.sam, vec![req])
            },
        ),
        // Floods and bounds.
        case(
            "a flood of changes whose dependencies are missing",
            Some(SAM),
            // Nothing can be stored or queued; the tablet is told to fall back.
            NoEffect(AVA, "fallback"),
            |f| {
                let mut req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    add(d, &observation("flood", SAM));
                    let o = entry(d, "observations", "flood");
                    for i in 0..300 {
                        raw(d, |tx| {
                            tx.put(&o, "narrative", format!("{MARK} {i}")).expect("put")
                        });
                    }
                });
                req.changes.remove(0);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "more changes for one child than a sync may carry",
            Some(SAM),
            // Counted before any is decoded.
            Rejected(AVA, Reason::Text("too many changes in one sync")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(vec![0]); 5_001],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "too many operations in one change",
            Some(SAM),
            Rejected(AVA, policy(Rejection::TooManyOps)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let o = tx.put_object(&m, "big", ObjType::Map).expect("obj");
                        let text = tx.put_object(&o, "narrative", ObjType::Text).expect("text");
                        // One operation per character.
                        tx.splice_text(&text, 0, 0, &"x".repeat(20_001))
                            .expect("splice");
                    });
                });
                assert_eq!(req.changes.len(), 1);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "one change larger than the server accepts",
            Some(SAM),
            Rejected(
                AVA,
                Reason::Text("a change is larger than the server accepts"),
            ),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(vec![7; 1024 * 1024 + 1])],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        // Bytes that are not changes.
        case(
            "valid base64 but not a change",
            Some(SAM),
            Rejected(AVA, Reason::Text("a change could not be decoded")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(format!("{MARK} not a change").into_bytes())],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "truncated change bytes",
            Some(SAM),
            Rejected(AVA, Reason::Text("a change could not be decoded")),
            |f| {
                let mut req = forged_author(f);
                let bytes = &mut req.changes[0].0;
                bytes.truncate(bytes.len() / 2);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "change bytes with a flipped bit (checksum)",
            Some(SAM),
            Rejected(AVA, Reason::Text("a change could not be decoded")),
            |f| {
                let mut req = forged_author(f);
                let bytes = &mut req.changes[0].0;
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x01;
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "garbage base64",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not match what this endpoint expects",
            ),
            |f| {
                post(
                    Some(&f.sam.token),
                    r#"{"children":[{"child_id":"child-ava","server_heads":[],"changes":["!!not base64!!"]}]}"#,
                )
            },
        ),
        // Requests that are not what the endpoint takes.
        case(
            "malformed JSON",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "not well-formed JSON",
            ),
            |f| post(Some(&f.sam.token), "{children: [MALICIOUS-CONTENT"),
        ),
        case(
            "JSON of the wrong shape",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not match what this endpoint expects",
            ),
            |f| {
                post(
                    Some(&f.sam.token),
                    r#"{"children":[{"child_id":"child-ava","server_heads":"MALICIOUS-CONTENT"}]}"#,
                )
            },
        ),
        case(
            "a body not sent as JSON",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "send the request as JSON",
            ),
            |f| {
                Request::post("/api/sync")
                    .header(header::AUTHORIZATION, format!("Bearer {}", f.sam.token))
                    .body(Body::from(r#"{"children":[]}"#))
                    .expect("request")
            },
        ),
        case(
            "a child id that is a path",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not match what this endpoint expects",
            ),
            |f| {
                post(
                    Some(&f.sam.token),
                    r#"{"children":[{"child_id":"../child-noah","server_heads":null}]}"#,
                )
            },
        ),
        case(
            "a child named twice",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "a child is named twice in one sync",
            ),
            |f| {
                let forged = forged_author(f);
                let other = ChildSyncRequest {
                    changes: vec![],
                    ..forged.clone()
                };
                sync(&f.sam, vec![other, forged])
            },
        ),
        case(
            "more children than a sync may name",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "a sync may name at most 500 children",
            ),
            |f| {
                let mut children = vec![forged_author(f)];
                children.extend((0..500).map(|i| ChildSyncRequest {
                    child_id: id(&format!("child-made-up-{i}")),
                    server_heads: None,
                    changes: vec![],
                    sync_message: None,
                }));
                sync(&f.sam, children)
            },
        ),
        case(
            "an oversized body",
            Some(SAM),
            Http(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "larger than the server accepts",
            ),
            |f| {
                // One base64 change of 3 MiB: more than the 4 MiB the server is set to accept.
                let change = "A".repeat(4 * 1024 * 1024);
                post(
                    Some(&f.sam.token),
                    format!(
                        r#"{{"children":[{{"child_id":"child-ava","server_heads":[],"changes":["{change}"]}}]}}"#
                    ),
                )
            },
        ),
        // The fallback path validates what it applies, like the fast path.
        case(
            "a garbage sync message in fallback",
            Some(SAM),
            Rejected(AVA, Reason::Text("the sync message could not be decoded")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: None,
                    changes: vec![],
                    sync_message: Some(Bytes(vec![0x42, 0xff, 0xff, 0xff])),
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a forged change smuggled inside a fallback sync message",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = in_sync_message(AVA, &forged_author(f).changes);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a sequence gap inside a fallback sync message",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::BadSequence)),
            |f| {
                let req = in_sync_message(ZARA, &after_a_gap(f).changes);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a forged change with server heads that are not hashes",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = ChildSyncRequest {
                    server_heads: Some(vec!["not-a-hash".into()]),
                    ..forged_author(f)
                };
                sync(&f.sam, vec![req])
            },
        ),
        // Nobody signed in. The token is refused before the body is read, so there is no user
        // to attribute an audit row to; each of these must store nothing.
        case(
            "no token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| {
                post(
                    None,
                    serde_json::to_vec(&SyncRequest {
                        children: vec![forged_author(f)],
                    })
                    .expect("json"),
                )
            },
        ),
        case(
            "a made-up token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| sync_with("0123abcd", &f.sam, vec![forged_author(f)]),
        ),
        case(
            "an expired token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| sync_with(&f.expired, &f.sam, vec![forged_author(f)]),
        ),
        case(
            "the token of a signed-out session",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| sync_with(&f.signed_out, &f.sam, vec![forged_author(f)]),
        ),
        case(
            "a password instead of a token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| {
                Request::post("/api/sync")
                    .header(header::CONTENT_TYPE, "application/json")
                    // base64 of "sam.social:quilt-demo"
                    .header(header::AUTHORIZATION, "Basic c2FtLnNvY2lhbDpxdWlsdC1kZW1v")
                    .body(Body::from(
                        serde_json::to_vec(&SyncRequest {
                            children: vec![forged_author(f)],
                        })
                        .expect("json"),
                    ))
                    .expect("request")
            },
        ),
        // Children that are not the sender's to sync: nothing stored, the tablet told to drop them.
        case(
            "a child never allocated to the sender",
            Some(SAM),
            Revoked(NOAH),
            |f| {
                let req = made_up(NOAH, &f.sam.actor, &observation("not-allocated", SAM));
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a child that does not exist",
            Some(SAM),
            Revoked(GHOST),
            |f| {
                let req = made_up(GHOST, &f.sam.actor, &observation("nobody", SAM));
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a child no longer allocated to the sender",
            Some(SAM),
            Revoked(MIA),
            |f| {
                let req = changes_to(&f.sam_mia, &f.sam.actor, |d| {
                    add(d, &observation("after-deallocation", SAM))
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a manager syncing a child outside their team",
            Some(MORGAN),
            Revoked(SOUTH),
            |f| {
                let req = made_up(SOUTH, &f.morgan.actor, &observation("other-team", MORGAN));
                sync(&f.morgan, vec![req])
            },
        ),
        case(
            "a practitioner syncing another team's child",
            Some(SAM),
            Revoked(SOUTH),
            |f| {
                let req = made_up(SOUTH, &f.sam.actor, &observation("other-team", SAM));
                sync(&f.sam, vec![req])
            },
        ),
    ]
}

async fn setup() -> (TestServer, Fixture) {
    let server = TestServer::with_config(server::Config {
        max_body_bytes: 4 * 1024 * 1024,
        ..server::Config::default()
    })
    .await;
    let store = &server.state.store;
    store
        .create_team("south-team", "South team")
        .await
        .expect("team");
    store
        .create_child(
            &CaseloadEntry {
                child_id: id(SOUTH),
                display_name: "Sol South".into(),
                date_of_birth: "2015-05-05".into(),
                legal_status: "Child in need".into(),
            },
            "south-team",
        )
        .await
        .expect("child");

    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    let mut morgan = Tablet::sign_in(&server, "morgan.manager").await;
    sam.sync(&server).await;
    hana.sync(&server).await;
    morgan.sync(&server).await;

    // Sam records a visit to Zara honestly: the stored change that replays reuse.
    let zara_before_sam = replica(&sam, ZARA).doc.get_heads();
    {
        let doc = &mut sam.caseload.replicas.get_mut(&id(ZARA)).expect("zara").doc;
        let mut own = observation("sam-own", SAM);
        own.narrative = "Honest visit note.".into();
        own.author_name = "Sam Okafor".into();
        add(doc, &own);
    }
    sam.sync(&server).await;
    assert_eq!(sam.caseload.pending(), 0, "the honest change is stored");
    let stored = encode_changes(replica(&sam, ZARA).doc.get_changes(&zara_before_sam));
    assert_eq!(stored.len(), 1);

    // Mia comes off Sam's caseload after his tablet synced her record. His tablet drops her at
    // its next sync; the copy it held is kept aside for the case that sends changes to her.
    store
        .deallocate(&id(MIA), &SAM.parse().expect("user id"))
        .await
        .expect("deallocate");
    let sam_mia = sam.caseload.replicas.remove(&id(MIA)).expect("mia");

    let sam_other_device = server
        .login_on("sam.social", Some("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"))
        .await;
    let sam_no_device = server.login("sam.social").await;
    let signed_out = server.login("sam.social").await;
    let (status, _) = server
        .post_raw("/api/logout", Some(&signed_out), Vec::new())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let expired = server::auth::new_token();
    let now = server::state::now_ms();
    store
        .create_session(
            &server::auth::token_hash(&expired),
            &SAM.parse().expect("user id"),
            Some("73616d2e736f6369616c000000000000"),
            "expired-family",
            now - 2 * 3_600_000,
            now - 3_600_000,
        )
        .await
        .expect("expired session");

    let fixture = Fixture {
        sam,
        hana,
        morgan,
        sam_other_device,
        sam_no_device,
        expired,
        signed_out,
        sam_mia,
        stored: stored[0].clone(),
        zara_before_sam,
    };
    (server, fixture)
}

/// Every child's stored document and read-model record, straight from the store (reading
/// through the API would add audit rows of its own).
async fn stored_state(server: &TestServer) -> Vec<(Option<Vec<u8>>, Vec<Vec<u8>>, String)> {
    let mut out = Vec::new();
    for child in ALL_CHILDREN {
        let (snapshot, changes) = server.stored(child).await;
        let record = server.state.store.record(&id(child)).await.expect("record");
        out.push((
            snapshot,
            changes,
            serde_json::to_string(&record).expect("json"),
        ));
    }
    out
}

/// Texts that must never appear in a response or an audit row: every stored narrative and
/// child's words, and the mark in every forged text.
async fn record_contents(server: &TestServer) -> Vec<String> {
    let mut out = vec![MARK.to_owned()];
    for child in ALL_CHILDREN {
        let record = server.state.store.record(&id(child)).await.expect("record");
        for o in record.observations {
            out.extend(
                [o.narrative, o.child_words]
                    .into_iter()
                    .filter(|t| !t.is_empty()),
            );
        }
    }
    out
}

async fn audit_trail(server: &TestServer) -> Vec<Entry> {
    server.state.store.audit_all().await.expect("audit")
}

fn result_for<'a>(body: &'a Value, child: &str) -> &'a Value {
    &body["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["child_id"] == child)
        .unwrap_or_else(|| panic!("{child} answered: {body}"))["result"]
}

async fn check(server: &TestServer, fixture: &Fixture, case: &Case, contents: &[String]) {
    let name = case.name;
    let before = stored_state(server).await;
    let audited_before = audit_trail(server).await.len();

    let (status, body) = server.request((case.build)(fixture)).await;

    // (1) A refusal with a clear reason.
    match &case.expect {
        Http(expected, code, message) => {
            assert_eq!(status, *expected, "{name}: {body}");
            assert_eq!(body["error"], *code, "{name}: {body}");
            let text = body["message"].as_str().unwrap_or_default();
            assert!(text.contains(message), "{name}: message {text:?}");
        }
        Rejected(child, reason) => {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            let result = result_for(&body, child);
            assert_eq!(result["status"], "rejected", "{name}: {result}");
            let text = result["reason"].as_str().unwrap_or_default();
            assert!(
                text.contains(&reason.text()),
                "{name}: reason {text:?}, expected {reason:?}"
            );
        }
        Revoked(child) => {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            assert_eq!(result_for(&body, child)["status"], "revoked", "{name}");
            assert!(
                !body["caseload"].to_string().contains(child),
                "{name}: {child} offered in the caseload"
            );
        }
        NoEffect(child, expected) => {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            let result = result_for(&body, child);
            assert_eq!(result["status"], *expected, "{name}: {result}");
            assert_eq!(result["accepted"], 0, "{name}: {result}");
        }
    }
    let text = body.to_string();
    for content in contents {
        assert!(
            !text.contains(content.as_str()),
            "{name}: the response echoes record content"
        );
    }

    // (2) Nothing stored, for any child.
    assert!(
        stored_state(server).await == before,
        "{name}: a stored record changed"
    );

    // (3) Audited against the user and the child.
    let trail = audit_trail(server).await;
    let new = &trail[audited_before..];
    for row in new {
        for content in contents {
            assert!(
                !row.event.detail.contains(content.as_str()),
                "{name}: record content in the audit trail"
            );
        }
    }
    let about = |child: &str| -> Vec<&Entry> {
        new.iter()
            .filter(|e| e.event.child_id.as_deref() == Some(child))
            .collect()
    };
    let (child, outcome, detail) = match &case.expect {
        // Refused before the server acted on any child: nobody signed in, or a body it could
        // not read or would not take. The server audits what it does with each child, and it
        // did nothing with any, so no row may name one; that nothing was stored is checked above.
        Http(..) => {
            assert!(
                new.iter().all(|e| e.event.child_id.is_none()),
                "{name}: {new:?}"
            );
            return;
        }
        Rejected(child, reason) => (*child, "rejected", reason.text()),
        Revoked(child) => (
            *child,
            "refused",
            "child not on this user's caseload".to_owned(),
        ),
        NoEffect(child, _) => (*child, "ok", "0 change(s) stored".to_owned()),
    };
    let rows = about(child);
    assert_eq!(rows.len(), 1, "{name}: one audit row for {child}: {rows:?}");
    let event = &rows[0].event;
    assert_eq!(event.user_id.as_deref(), case.user, "{name}");
    assert_eq!(
        (event.action.as_str(), event.outcome.as_str()),
        ("sync", outcome),
        "{name}"
    );
    assert!(
        event.detail.contains(&detail),
        "{name}: audit detail {:?}",
        event.detail
    );
}

#[tokio::test]
async fn every_malicious_request_is_refused_stores_nothing_and_is_audited() {
    let (server, fixture) = setup().await;
    let contents = Arc::new(record_contents(&server).await);
    let corpus = the_corpus();
    assert!(corpus.len() >= 30, "{} cases", corpus.len());
    let mut names = std::collections::HashSet::new();
    assert!(corpus.iter().all(|c| names.insert(c.name)), "names unique");

    // One case at a time (each compares the whole store before and after), each in its own
    // task so that one failing case does not hide the others.
    let (server, fixture) = (Arc::new(server), Arc::new(fixture));
    let mut failed = Vec::new();
    for case in corpus {
        let (s, f, c) = (server.clone(), fixture.clone(), contents.clone());
        let name = case.name;
        if tokio::spawn(async move { check(&s, &f, &case, &c).await })
            .await
            .is_err()
        {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failed cases: {failed:#?}");

    // Honest tablets are unaffected by all of it: their stamped writes, which the corpus forges
    // or edits in place, are accepted when made the way Quilt makes them.
    let Fixture {
        mut sam, mut hana, ..
    } = Arc::into_inner(fixture).expect("fixture");
    sam.sync(&server).await;
    hana.sync(&server).await;
    honest_stamped_writes(&mut sam, SAM);
    honest_stamped_writes(&mut hana, HANA);
    sam.sync(&server).await;
    hana.sync(&server).await;
    assert_eq!(
        sam.caseload.pending() + hana.caseload.pending(),
        0,
        "all accepted"
    );
    let ava = server.state.store.record(&id(AVA)).await.expect("record");
    assert_eq!(
        ava.plan.values.len(),
        2,
        "both offline plan edits kept, side by side"
    );
    assert!(ava.people.iter().all(|p| p.assessment.values.len() == 2));
    assert_eq!(server::audit::verify(&audit_trail(&server).await), Ok(()));
}

/// A new assessment of every person, a new plan and a new action status, on Ava's record.
fn honest_stamped_writes(tablet: &mut Tablet, user: &str) {
    use record::plan::{self, ActionState, ActionStatus, PlanDetails, PlanKind};
    let doc = &mut tablet.caseload.replicas.get_mut(&id(AVA)).expect("ava").doc;
    let stamp = Stamp {
        by: user.into(),
        by_name: user.into(),
        at_ms: 1_790_000_000_000,
    };
    for person in ["person-kerry", "person-sibling", "person-dean"] {
        let a = Assessment {
            status: AssessmentStatus::Risk,
            date: "2026-11-20".into(),
            note: String::new(),
        };
        people::assess(doc, person, &a, &stamp).expect("assess");
    }
    let details = PlanDetails {
        kind: PlanKind::ChildProtectionNeglect,
        started_on: "2025-11-10".into(),
        ended_on: String::new(),
        contingency: "Legal planning meeting".into(),
        contingency_trigger: format!("Reviewed by {user}"),
    };
    plan::set_plan(doc, &details, &stamp).expect("plan");
    let status = ActionStatus {
        state: ActionState::InProgress,
        note: String::new(),
    };
    plan::set_action_status(doc, "action-heating", &status, &stamp).expect("status");
}
