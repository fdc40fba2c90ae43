//! The crafted-change corpus: changes a dishonest tablet could send, each with the reason the
//! change policy must refuse it, grouped by rule family, and the honest writes that must pass.
//!
//! Every case builds its changes on a record the tablet holds (a [`Target`]), so the same
//! corpus runs against the pure policy (`shared/tests/core/validate.rs`) and through the real
//! server's HTTP stack and store (`server/tests/api/malicious/`).
//!
//! tidy: long file — a table of data by nature: one builder per crafted case (the whole corpus, by
//! rule family) and the honest writes, looked up by case name; split by family, the shared builders
//! would have to move out first.

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType, SortedVec};
use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{
    ActorId, Automerge, Change, ExpandedChange, ObjId, ObjType, ReadDoc, ScalarValue, ROOT,
};
use autosurgeon::Reconcile;

use crate::record::assessments::{self, NeglectAssessment, Scaling};
use crate::record::corrections::{self, Amendment, Withdrawal};
use crate::record::people::{
    self, AgeGroup, Assessment, AssessmentStatus, Household, PersonDetails,
};
use crate::record::plan::{
    self, ActionBase, ActionState, ActionStatus, Conference, ConferenceKind, PlanDetails, PlanKind,
};
use crate::record::stamped::Stamp;
use crate::record::supervision::{self, Supervision, SupervisionAction};
use crate::record::{self, BodyMark, IndicatorEntry, Level, Observation, Suitability};
use crate::validate::{Rejection, Sender, ACTOR_SUFFIX_LEN};

mod episodes;
mod front_door;
mod lessons;
pub use episodes::target_episode;
pub use front_door::target_concern;
pub use lessons::target_visit;

/// Someone who writes to the record: their identity and their tablet's actor.
#[derive(Debug, Clone)]
pub struct Party {
    pub sender: Sender,
    pub actor: ActorId,
}

/// A record as a tablet holds it, and the people and entries the cases aim at.
pub struct Target<'a> {
    /// The record as the server holds it (the tablet's copy at the acknowledged heads).
    pub doc: &'a Automerge,
    /// An allocated practitioner, the author of `own_observation`.
    pub practitioner: Party,
    /// The team's manager.
    pub manager: Party,
    /// Another practitioner on the record, the author of `others_observation`.
    pub other: Party,
    pub own_observation: String,
    pub others_observation: String,
    /// A person, a plan action and a scaling in the record; the record also has a plan.
    pub person: String,
    pub action: String,
    pub scaling: String,
    /// An open child protection episode, started by the manager ([`target_episode`]).
    pub episode: String,
    /// A concern the front door matched to the child ([`target_concern`]), unanswered.
    pub concern: String,
}

/// Who sends a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Practitioner,
    Manager,
}

/// One crafted sync of one child's changes.
pub struct Attack {
    pub family: &'static str,
    pub name: &'static str,
    pub by: By,
    pub expect: Rejection,
    pub build: fn(&Target<'_>, &Party) -> Vec<Change>,
}

/// One honest write, which must be accepted.
pub struct Honest {
    pub name: &'static str,
    pub by: By,
    pub build: fn(&Target<'_>, &Party) -> Vec<Change>,
}

impl Target<'_> {
    pub fn party(&self, by: By) -> &Party {
        match by {
            By::Practitioner => &self.practitioner,
            By::Manager => &self.manager,
        }
    }
}

const T: i64 = 1_790_000_000_000;

/// The changes `edit` makes on the tablet's copy, written by `p`'s actor.
pub fn write(t: &Target<'_>, p: &Party, edit: impl FnOnce(&mut Automerge)) -> Vec<Change> {
    let mut doc = t.doc.fork().with_actor(p.actor.clone());
    let heads = doc.get_heads();
    edit(&mut doc);
    doc.get_changes(&heads)
}

/// [`write`] from an older state of the record: the record when it held only the changes up
/// to the first one with `message` (exclusive). Operations written there lose conflicts with
/// later ones.
fn write_before(
    t: &Target<'_>,
    p: &Party,
    message: &str,
    edit: impl FnOnce(&mut Automerge),
) -> Vec<Change> {
    let first = t
        .doc
        .get_changes(&[])
        .into_iter()
        .find(|c| c.message() == Some(message))
        .map(|c| c.deps().to_vec())
        .unwrap_or_default();
    // A fresh actor, as after a reload: the party's usual one may have written since.
    let mut doc = t
        .doc
        .fork_at(&first)
        .unwrap_or_else(|_| t.doc.fork())
        .with_actor(actor_with_suffix(p, ACTOR_SUFFIX_LEN));
    let heads = doc.get_heads();
    edit(&mut doc);
    doc.get_changes(&heads)
}

/// One hand-made transaction, committed with a message Quilt's writers use, so only what the
/// transaction does is judged.
fn raw(doc: &mut Automerge, f: impl FnOnce(&mut Transaction<'_>)) {
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit_with(
        CommitOptions::default()
            .with_message("observation")
            .with_time(T / 1000),
    );
}

/// The first change of `changes`, decoded, changed by `f` and encoded again.
fn mutate(changes: Vec<Change>, f: impl FnOnce(&mut ExpandedChange)) -> Vec<Change> {
    let mut out = changes;
    if let Some(first) = out.first_mut() {
        let mut e = first.decode();
        f(&mut e);
        e.hash = None;
        *first = Change::from(e);
    }
    out
}

fn map(doc: &Automerge, name: &str) -> ObjId {
    record::entries::map_obj(doc, name).unwrap_or(ROOT)
}

fn child(doc: &Automerge, parent: &ObjId, key: &str) -> ObjId {
    doc.get(parent, key)
        .ok()
        .flatten()
        .map_or(ROOT, |(_, id)| id)
}

fn entry(doc: &Automerge, map_name: &str, id: &str) -> ObjId {
    child(doc, &map(doc, map_name), id)
}

/// The legacy form of an object id.
fn legacy(obj: &ObjId) -> ObjectId {
    match obj {
        ObjId::Root => ObjectId::Root,
        ObjId::Id(c, a, _) => ObjectId::Id(OpId(*c, a.clone())),
    }
}

fn stamp(p: &Party) -> Stamp {
    Stamp {
        by: p.sender.user_id.clone(),
        by_name: p.sender.display_name.clone(),
        at_ms: T,
    }
}

pub fn observation(id: &str, p: &Party) -> Observation {
    let mut o = super::observation(id, &p.sender);
    o.recorded_at_ms = T;
    o
}

fn put_entry<V: Reconcile>(doc: &mut Automerge, map_name: &str, key: &str, value: &V) {
    let m = map(doc, map_name);
    raw(doc, |tx| {
        let _ = autosurgeon::reconcile_prop(tx, &m, key, value);
    });
}

/// `value` put by hand at `key` of the added map `map` (upgrading first, as a writer does).
fn crafted<V: Reconcile>(doc: &mut Automerge, map: &str, key: &str, value: &V) {
    let _ = record::schema::upgrade(doc);
    put_entry(doc, map, key, value);
}

/// Reconciles `value` as a new entry and lets `f` add to it in the same change.
fn put_entry_then<V: Reconcile>(
    doc: &mut Automerge,
    map_name: &str,
    key: &str,
    value: &V,
    f: impl FnOnce(&mut Transaction<'_>, &ObjId),
) {
    let m = map(doc, map_name);
    raw(doc, |tx| {
        let _ = autosurgeon::reconcile_prop(tx, &m, key, value);
        if let Ok(Some((_, obj))) = tx.get(&m, key) {
            f(tx, &obj);
        }
    });
}

fn observation_with(t: &Target<'_>, p: &Party, f: fn(&mut Observation)) -> Vec<Change> {
    write(t, p, |d| {
        let mut o = observation("crafted-obs", p);
        f(&mut o);
        put_entry(d, "observations", "crafted-obs", &o);
    })
}

fn scaling(p: &Party) -> Scaling {
    Scaling {
        id: "crafted-scale".into(),
        date: "2026-11-20".into(),
        score: 5,
        rationale: "Seen twice this week.".into(),
        agency: p.sender.agency.clone(),
        added: stamp(p),
    }
}

fn neglect(p: &Party) -> NeglectAssessment {
    NeglectAssessment {
        id: "crafted-neglect".into(),
        date: "2026-11-20".into(),
        physical_care: 3,
        care_of_safety: 3,
        emotional_care: 2,
        developmental_care: 2,
        note: String::new(),
        added: stamp(p),
    }
}

fn amendment(t: &Target<'_>, p: &Party) -> Amendment {
    Amendment {
        id: "crafted-amend".into(),
        observation_id: t.others_observation.clone(),
        field: "narrative".into(),
        corrected: "The visit was on Tuesday.".into(),
        reason: "Wrong day recorded.".into(),
        added: stamp(p),
    }
}

fn withdrawal(observation_id: &str, p: &Party) -> Withdrawal {
    Withdrawal {
        observation_id: observation_id.into(),
        reason: "Recorded on the wrong child.".into(),
        added: stamp(p),
    }
}

fn supervision(p: &Party) -> Supervision {
    Supervision {
        id: "crafted-sup".into(),
        date: "2026-11-20".into(),
        discussed: "Home conditions.".into(),
        reflection: "Drift since the conference.".into(),
        decisions: vec!["Escalate to legal planning.".into()],
        actions: vec![SupervisionAction {
            what: "Book the meeting".into(),
            owner: "Sam".into(),
            due: "2026-12-01".into(),
        }],
        added: stamp(p),
    }
}

fn conference(p: &Party) -> Conference {
    Conference {
        id: "crafted-conf".into(),
        kind: ConferenceKind::CoreGroup,
        date: "2026-11-20".into(),
        outcome: "Plan continues.".into(),
        added: stamp(p),
        no_further_action: false,
        categories: Vec::new(),
    }
}

fn details() -> PersonDetails {
    PersonDetails {
        name: "Jay".into(),
        relationship: "Mother's new partner".into(),
        age_group: AgeGroup::Adult,
        household: Household::VisitsRegularly,
        risk_info: String::new(),
        contact: "Stays most weekends".into(),
        linked_child_id: String::new(),
    }
}

fn assessment() -> Assessment {
    Assessment {
        status: AssessmentStatus::Risk,
        date: "2026-11-20".into(),
        note: String::new(),
    }
}

fn plan_details() -> PlanDetails {
    PlanDetails {
        kind: PlanKind::ChildProtectionNeglect,
        started_on: "2026-11-20".into(),
        ended_on: String::new(),
        contingency: "Legal planning meeting".into(),
        contingency_trigger: "No improvement by review".into(),
    }
}

fn action_base(p: &Party) -> ActionBase {
    ActionBase {
        id: "crafted-action".into(),
        what: "Fix the heating".into(),
        who: "Landlord".into(),
        due: "2026-12-20".into(),
        success_measure: "Warm home at next visit".into(),
        added: stamp(p),
    }
}

/// A stamped value written by hand at `key` of `parent`: `value` and `stamp` reconciled into
/// a fresh map, then `f` adds to it in the same change.
fn stamped_then<V: Reconcile>(
    doc: &mut Automerge,
    parent: &ObjId,
    key: &str,
    value: &V,
    stamp: &Stamp,
    f: impl FnOnce(&mut Transaction<'_>, &ObjId),
) {
    raw(doc, |tx| {
        if let Ok(obj) = tx.put_object(parent, key, ObjType::Map) {
            let _ = autosurgeon::reconcile_prop(tx, &obj, "value", value);
            let _ = autosurgeon::reconcile_prop(tx, &obj, "stamp", stamp);
            f(tx, &obj);
        }
    });
}

fn no_more(_: &mut Transaction<'_>, _: &ObjId) {}

/// An actor of `p`'s device with a suffix of `len` bytes.
fn actor_with_suffix(p: &Party, len: usize) -> ActorId {
    let mut bytes = p.sender.actor_prefix.clone();
    bytes.extend(std::iter::repeat_n(7u8, len));
    ActorId::from(bytes)
}

fn as_actor(t: &Target<'_>, p: &Party, actor: ActorId) -> Vec<Change> {
    let q = Party {
        sender: p.sender.clone(),
        actor,
    };
    write(t, &q, |d| {
        let _ = record::add_observation(d, &observation("as-actor", p), T);
    })
}

fn honest_observation(t: &Target<'_>, p: &Party) -> Vec<Change> {
    write(t, p, |d| {
        let _ = record::add_observation(d, &observation("honest-obs", p), T);
    })
}

/// Custom shapes with the right keys and the wrong Automerge types.
#[derive(Reconcile)]
struct ScalingWithIntScore {
    id: String,
    date: String,
    score: i64,
    rationale: String,
    agency: String,
    added: Stamp,
}

#[derive(Reconcile)]
struct ObservationWithUintTime {
    id: String,
    occurred: String,
    occurred_approx: bool,
    recorded_at_ms: u64,
    author_id: String,
    author_name: String,
    agency: String,
    location: String,
    present: Vec<String>,
    indicators: Vec<IndicatorEntry>,
    source: crate::record::Source,
    narrative: String,
    child_words: String,
}

type Build = fn(&Target<'_>, &Party) -> Vec<Change>;

fn a(family: &'static str, name: &'static str, by: By, expect: Rejection, build: Build) -> Attack {
    Attack {
        family,
        name,
        by,
        expect,
        build,
    }
}

fn h(name: &'static str, by: By, build: Build) -> Honest {
    Honest { name, by, build }
}

/// The crafted changes, each with the reason it must be refused.
pub fn attacks() -> Vec<Attack> {
    use By::*;
    use Rejection::*;
    vec![
        // ----- actors: every change is the sending device's, with the honest suffix -----
        a(
            "actors",
            "an actor of another device",
            Practitioner,
            ForeignActor,
            |t, p| {
                let mut bytes = b"mallory-device-0".to_vec();
                bytes.extend([1; ACTOR_SUFFIX_LEN]);
                as_actor(t, p, ActorId::from(bytes))
            },
        ),
        a(
            "actors",
            "another user's tablet actor",
            Practitioner,
            ForeignActor,
            |t, p| as_actor(t, p, t.other.actor.clone()),
        ),
        a(
            "actors",
            "the record's genesis actor",
            Practitioner,
            ForeignActor,
            |t, p| {
                let genesis = t
                    .doc
                    .get_changes(&[])
                    .first()
                    .map(|c| c.actor_id().clone())
                    .unwrap_or_else(|| ActorId::from(b"quilt-genesis:x".to_vec()));
                as_actor(t, p, genesis)
            },
        ),
        a(
            "actors",
            "the device id with a short suffix",
            Practitioner,
            ForeignActor,
            |t, p| as_actor(t, p, actor_with_suffix(p, 4)),
        ),
        a(
            "actors",
            "the device id with a long suffix",
            Practitioner,
            ForeignActor,
            |t, p| as_actor(t, p, actor_with_suffix(p, 16)),
        ),
        a(
            "actors",
            "the bare device id",
            Practitioner,
            ForeignActor,
            |t, p| as_actor(t, p, actor_with_suffix(p, 0)),
        ),
        a(
            "actors",
            "a prefix of the device id",
            Practitioner,
            ForeignActor,
            |t, p| {
                let mut bytes = p.sender.actor_prefix[..8].to_vec();
                bytes.extend([2; 16]);
                as_actor(t, p, ActorId::from(bytes))
            },
        ),
        a(
            "actors",
            "the manager's actor sent by a practitioner",
            Practitioner,
            ForeignActor,
            |t, p| as_actor(t, p, t.manager.actor.clone()),
        ),
        // ----- header: counters, sequence, message and the rest of the header -----
        a(
            "header",
            "a gap in the sequence numbers",
            Practitioner,
            BadSequence,
            |t, p| mutate(honest_observation(t, p), |e| e.seq += 3),
        ),
        a(
            "header",
            "a second change replaying the first's sequence number",
            Practitioner,
            BadSequence,
            |t, p| {
                let mut first = honest_observation(t, p);
                let second = mutate(
                    write(t, p, |d| {
                        let _ = record::add_observation(d, &observation("replay-two", p), T);
                    }),
                    |e| e.message = Some("observation".into()),
                );
                first.extend(second);
                first
            },
        ),
        a(
            "header",
            "a start counter jumped ahead",
            Practitioner,
            BadOpCounter,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.start_op = e.start_op.saturating_add(1000);
                })
            },
        ),
        a(
            "header",
            "a start counter near 2^32",
            Practitioner,
            BadOpCounter,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.start_op =
                        std::num::NonZeroU64::new(u64::from(u32::MAX) - 2).unwrap_or(e.start_op);
                })
            },
        ),
        a(
            "header",
            "a start counter below what it depends on",
            Practitioner,
            BadOpCounter,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.start_op =
                        std::num::NonZeroU64::new(e.start_op.get() - 1).unwrap_or(e.start_op);
                })
            },
        ),
        a(
            "header",
            "a start counter of 1 on a long record",
            Practitioner,
            BadOpCounter,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.start_op = std::num::NonZeroU64::MIN
                })
            },
        ),
        a(
            "header",
            "a change with no operations",
            Practitioner,
            Malformed,
            |t, p| mutate(honest_observation(t, p), |e| e.operations.clear()),
        ),
        a(
            "header",
            "a change that depends on nothing",
            Practitioner,
            Malformed,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.deps.clear();
                    e.start_op = std::num::NonZeroU64::MIN;
                })
            },
        ),
        a(
            "header",
            "a message Quilt never writes",
            Practitioner,
            Malformed,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.message = Some("MALICIOUS-CONTENT".into())
                })
            },
        ),
        a("header", "no message", Practitioner, Malformed, |t, p| {
            mutate(honest_observation(t, p), |e| e.message = None)
        }),
        a(
            "header",
            "extra bytes after the operations",
            Practitioner,
            Malformed,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    e.extra_bytes = b"MALICIOUS-CONTENT".to_vec()
                })
            },
        ),
        // ----- structure: the root and the entry maps are fixed -----
        a(
            "structure",
            "a new key at the root",
            Practitioner,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put(ROOT, "evil", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "structure",
            "changing the schema version",
            Practitioner,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put(ROOT, "schema", 99u64);
                    })
                })
            },
        ),
        a(
            "structure",
            "changing the record's child id",
            Practitioner,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put(ROOT, "child_id", "child-other");
                    })
                })
            },
        ),
        a(
            "structure",
            "deleting an entry map",
            Practitioner,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.delete(ROOT, "observations");
                    })
                })
            },
        ),
        a(
            "structure",
            "replacing an entry map with an empty one",
            Practitioner,
            Structure,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put_object(ROOT, "people", ObjType::Map);
                    })
                })
            },
        ),
        a(
            "structure",
            "deleting the plan",
            Practitioner,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.delete(ROOT, "plan");
                    })
                })
            },
        ),
        a(
            "structure",
            "a plain value as the plan",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put(ROOT, "plan", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "structure",
            "a list as the plan",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put_object(ROOT, "plan", ObjType::List);
                    })
                })
            },
        ),
        a(
            "structure",
            "text as the plan",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    raw(d, |tx| {
                        let _ = tx.put_object(ROOT, "plan", ObjType::Text);
                    })
                })
            },
        ),
        a(
            "structure",
            "a counter in a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "visits", ScalarValue::counter(1));
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "incrementing a counter",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "visits", ScalarValue::counter(1));
                            let _ = tx.increment(o, "visits", 5);
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "a float in a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "weight", 1.5f64);
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "a timestamp in a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "when", ScalarValue::Timestamp(T));
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "bytes in a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(
                                o,
                                "blob",
                                ScalarValue::Bytes(b"MALICIOUS-CONTENT".to_vec()),
                            );
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "null in a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "nothing", ScalarValue::Null);
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "text inside a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put_object(o, "notes", ObjType::Text);
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "a mark on text inside a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            if let Ok(text) = tx.put_object(o, "notes", ObjType::Text) {
                                let _ = tx.splice_text(&text, 0, 0, "abc");
                                let _ = tx.mark(
                                    &text,
                                    automerge::marks::Mark::new("bold".into(), true, 0, 2),
                                    automerge::marks::ExpandMark::None,
                                );
                            }
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "an operation on an object the record does not have",
            Practitioner,
            Structure,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    let ghost = ObjectId::Id(OpId(999_999, e.actor_id.clone()));
                    if let Some(op) = e.operations.get_mut(1) {
                        op.obj = ghost;
                    }
                })
            },
        ),
        a(
            "structure",
            "a list insert into an entry map",
            Practitioner,
            Malformed,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    if let Some(op) = e.operations.first_mut() {
                        op.insert = true;
                        op.key = Key::Seq(ElementId::Head);
                    }
                })
            },
        ),
        a(
            "structure",
            "an object nested deeper than Quilt writes",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let mut at = o.clone();
                            for _ in 0..6 {
                                match tx.put_object(&at, "deeper", ObjType::Map) {
                                    Ok(next) => at = next,
                                    Err(_) => break,
                                }
                            }
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "one key written twice in a new entry",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "narrative", "MALICIOUS-CONTENT");
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "a list item overwritten in a new entry",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            if let Ok(Some((_, present))) = tx.get(o, "present") {
                                let _ = tx.put(&present, 0, "MALICIOUS-CONTENT");
                            }
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "a list item deleted in a new entry",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            if let Ok(Some((_, present))) = tx.get(o, "present") {
                                let _ = tx.delete(&present, 0);
                            }
                        },
                    )
                })
            },
        ),
        a(
            "structure",
            "a list item inserted after another list's item",
            Practitioner,
            Malformed,
            |t, p| {
                mutate(honest_observation(t, p), |e| {
                    // The first list insert is made to follow an element of a list elsewhere.
                    if let Some(op) = e.operations.iter_mut().find(|op| op.insert) {
                        op.key =
                            Key::Seq(ElementId::Id(OpId(1, ActorId::from(b"elsewhere".to_vec()))));
                    }
                })
            },
        ),
        // ----- entries: never deleted, rewritten or replaced -----
        a(
            "entries",
            "deleting another's observation",
            Practitioner,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let _ = tx.delete(&m, t.others_observation.as_str());
                    })
                })
            },
        ),
        a(
            "entries",
            "deleting one's own observation",
            Practitioner,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let _ = tx.delete(&m, t.own_observation.as_str());
                    })
                })
            },
        ),
        a(
            "entries",
            "a manager deleting an observation",
            Manager,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let _ = tx.delete(&m, t.others_observation.as_str());
                    })
                })
            },
        ),
        a(
            "entries",
            "deleting a person",
            Practitioner,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "people");
                    raw(d, |tx| {
                        let _ = tx.delete(&m, t.person.as_str());
                    })
                })
            },
        ),
        a(
            "entries",
            "deleting a scaling",
            Practitioner,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "scalings");
                    raw(d, |tx| {
                        let _ = tx.delete(&m, t.scaling.as_str());
                    })
                })
            },
        ),
        a(
            "entries",
            "deleting a plan action",
            Practitioner,
            DeletesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "plan_actions");
                    raw(d, |tx| {
                        let _ = tx.delete(&m, t.action.as_str());
                    })
                })
            },
        ),
        a(
            "entries",
            "rewriting a field of another's observation",
            Practitioner,
            OthersObservation,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.others_observation);
                    raw(d, |tx| {
                        let _ = tx.put(&o, "narrative", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "entries",
            "a manager rewriting a practitioner's observation",
            Manager,
            OthersObservation,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.own_observation);
                    raw(d, |tx| {
                        let _ = tx.put(&o, "child_words", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "entries",
            "rewriting one's own observation in place",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.own_observation);
                    raw(d, |tx| {
                        let _ = tx.put(&o, "narrative", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "entries",
            "handing one's own observation to another author",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.own_observation);
                    let other = t.other.sender.user_id.to_string();
                    raw(d, |tx| {
                        let _ = tx.put(&o, "author_id", other);
                    })
                })
            },
        ),
        a(
            "entries",
            "deleting a field of another's observation",
            Practitioner,
            OthersObservation,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.others_observation);
                    raw(d, |tx| {
                        let _ = tx.delete(&o, "narrative");
                    })
                })
            },
        ),
        a(
            "entries",
            "adding an indicator to another's observation",
            Practitioner,
            OthersObservation,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.others_observation);
                    let list = child(d, &o, "indicators");
                    raw(d, |tx| {
                        if let Ok(item) = tx.insert_object(&list, 0, ObjType::Map) {
                            let _ = tx.put(&item, "code", "SEX-KNOWLEDGE");
                            let _ = tx.put(&item, "level", "Suspect");
                        }
                    })
                })
            },
        ),
        a(
            "entries",
            "a new key inside another's observation",
            Practitioner,
            OthersObservation,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.others_observation);
                    raw(d, |tx| {
                        let _ = tx.put(&o, "evil", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "entries",
            "replacing another's observation with a new one",
            Practitioner,
            ReplacesEntry,
            |t, p| {
                write(t, p, |d| {
                    let o = observation(&t.others_observation, p);
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        // A fresh map at the key, then the whole entry written into it.
                        let _ = tx.put_object(&m, o.id.as_str(), ObjType::Map);
                        let _ = autosurgeon::reconcile_prop(tx, &m, o.id.as_str(), &o);
                    });
                })
            },
        ),
        a(
            "entries",
            "replacing one's own observation",
            Practitioner,
            ReplacesEntry,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let _ = tx.put_object(&m, t.own_observation.as_str(), ObjType::Map);
                    })
                })
            },
        ),
        a(
            "entries",
            "a concurrent observation at an existing key that loses the conflict",
            Practitioner,
            ReplacesEntry,
            |t, p| {
                let key = t.others_observation.clone();
                write_before(t, p, "observation", |d| {
                    let o = observation(&key, p);
                    put_entry(d, "observations", &key, &o);
                })
            },
        ),
        a(
            "entries",
            "the same new entry twice in one sync",
            Practitioner,
            ReplacesEntry,
            |t, p| {
                let mut first = honest_observation(t, p);
                let mut doc = t.doc.fork().with_actor(p.actor.clone());
                let _ = doc.apply_changes(first.clone());
                let heads = doc.get_heads();
                put_entry(
                    &mut doc,
                    "observations",
                    "honest-obs-again",
                    &observation("honest-obs-again", p),
                );
                // The second change makes its entry at the first one's key.
                let second = mutate(doc.get_changes(&heads), |e| {
                    if let Some(op) = e.operations.first_mut() {
                        op.key = Key::Map("honest-obs".into());
                    }
                });
                first.extend(second);
                first
            },
        ),
        a(
            "entries",
            "a new entry overwriting another operation",
            Practitioner,
            ForeignPredecessor,
            |t, p| {
                let target = legacy(&entry(t.doc, "observations", &t.others_observation));
                mutate(honest_observation(t, p), |e| {
                    if let (Some(op), ObjectId::Id(id)) = (e.operations.first_mut(), target) {
                        op.pred = SortedVec::from(vec![id]);
                    }
                })
            },
        ),
        a(
            "entries",
            "an entry whose key is not an id",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let o = observation("crafted-obs", p);
                    put_entry(d, "observations", "../MALICIOUS CONTENT", &o);
                })
            },
        ),
        a(
            "entries",
            "a list as an entry",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let _ = tx.put_object(&m, "crafted-list", ObjType::List);
                    })
                })
            },
        ),
        a(
            "entries",
            "a plain value as an entry",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let _ = tx.put(&m, "crafted-value", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "entries",
            "editing an entry made earlier in the same sync",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                let mut first = honest_observation(t, p);
                let mut doc = t.doc.fork().with_actor(p.actor.clone());
                let _ = doc.apply_changes(first.clone());
                let heads = doc.get_heads();
                let o = entry(&doc, "observations", "honest-obs");
                raw(&mut doc, |tx| {
                    let _ = tx.put(&o, "narrative", "MALICIOUS-CONTENT");
                });
                first.extend(doc.get_changes(&heads));
                first
            },
        ),
        a(
            "entries",
            "editing a scaling's score",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let s = entry(d, "scalings", &t.scaling);
                    raw(d, |tx| {
                        let _ = tx.put(&s, "score", 10u64);
                    })
                })
            },
        ),
        a(
            "entries",
            "editing who added a person",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    let base = child(d, &person, "base");
                    let added = child(d, &base, "added");
                    let other = t.other.sender.user_id.to_string();
                    raw(d, |tx| {
                        let _ = tx.put(&added, "by", other);
                    })
                })
            },
        ),
        a(
            "entries",
            "moving a plan action's due date",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let action = entry(d, "plan_actions", &t.action);
                    let base = child(d, &action, "base");
                    raw(d, |tx| {
                        let _ = tx.put(&base, "due", "2030-01-01");
                    })
                })
            },
        ),
        a(
            "entries",
            "a new base for an existing person",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    raw(d, |tx| {
                        let _ = tx.put_object(&person, "base", ObjType::Map);
                    })
                })
            },
        ),
        // ----- stamped values: superseded by a new stamped value, never edited in place -----
        a(
            "stamped",
            "rewriting a person's details in place",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    let value = child(d, &child(d, &person, "details"), "value");
                    raw(d, |tx| {
                        let _ = tx.put(&value, "risk_info", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "stamped",
            "rewriting an assessment in place",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    let value = child(d, &child(d, &person, "assessment"), "value");
                    raw(d, |tx| {
                        let _ = tx.put(&value, "status", "Protective");
                    })
                })
            },
        ),
        a(
            "stamped",
            "rewriting the plan in place",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let value = child(d, &child(d, &ROOT, "plan"), "value");
                    raw(d, |tx| {
                        let _ = tx.put(&value, "contingency", "MALICIOUS-CONTENT");
                    })
                })
            },
        ),
        a(
            "stamped",
            "rewriting an action's status in place",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let action = entry(d, "plan_actions", &t.action);
                    let value = child(d, &child(d, &action, "status"), "value");
                    raw(d, |tx| {
                        let _ = tx.put(&value, "state", "Achieved");
                    })
                })
            },
        ),
        a(
            "stamped",
            "restamping an existing value",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let stamp = child(d, &child(d, &ROOT, "plan"), "stamp");
                    let other = t.other.sender.user_id.to_string();
                    raw(d, |tx| {
                        let _ = tx.put(&stamp, "by", other);
                    })
                })
            },
        ),
        a(
            "stamped",
            "an assessment stamped as someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let _ = people::assess(d, &t.person, &assessment(), &stamp(&t.other));
                })
            },
        ),
        a(
            "stamped",
            "a plan stamped as someone else, sent as a losing concurrent value",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write_before(t, p, "person", |d| {
                    let _ = plan::set_plan(d, &plan_details(), &stamp(&t.manager));
                })
            },
        ),
        a(
            "stamped",
            "a plan with someone else's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let mut s = stamp(p);
                    s.by_name = "MALICIOUS-CONTENT".into();
                    let _ = plan::set_plan(d, &plan_details(), &s);
                })
            },
        ),
        a(
            "stamped",
            "an action status stamped as someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let status = ActionStatus {
                        state: ActionState::Achieved,
                        note: String::new(),
                    };
                    let _ = plan::set_action_status(d, &t.action, &status, &stamp(&t.manager));
                })
            },
        ),
        a(
            "stamped",
            "a concurrent value beside the one the sender saw",
            Practitioner,
            ForeignPredecessor,
            |t, p| {
                mutate(
                    write(t, p, |d| {
                        let _ = people::assess(d, &t.person, &assessment(), &stamp(p));
                    }),
                    |e| {
                        if let Some(op) = e.operations.first_mut() {
                            op.pred = SortedVec::new();
                        }
                    },
                )
            },
        ),
        a(
            "stamped",
            "superseding an operation at another key",
            Practitioner,
            ForeignPredecessor,
            |t, p| {
                let elsewhere = legacy(&entry(t.doc, "observations", &t.others_observation));
                mutate(
                    write(t, p, |d| {
                        let _ = people::assess(d, &t.person, &assessment(), &stamp(p));
                    }),
                    |e| {
                        if let (Some(op), ObjectId::Id(id)) = (e.operations.first_mut(), elsewhere)
                        {
                            op.pred = SortedVec::from(vec![id]);
                        }
                    },
                )
            },
        ),
        a(
            "stamped",
            "superseding an operation that does not exist",
            Practitioner,
            ForeignPredecessor,
            |t, p| {
                mutate(
                    write(t, p, |d| {
                        let _ = people::assess(d, &t.person, &assessment(), &stamp(p));
                    }),
                    |e| {
                        if let Some(op) = e.operations.first_mut() {
                            op.pred = SortedVec::from(vec![OpId(424_242, e.actor_id.clone())]);
                        }
                    },
                )
            },
        ),
        a(
            "stamped",
            "superseding the plan without having seen it",
            Practitioner,
            ForeignPredecessor,
            |t, p| {
                mutate(
                    write(t, p, |d| {
                        let _ = plan::set_plan(d, &plan_details(), &stamp(p));
                    }),
                    |e| {
                        if let Some(op) = e.operations.first_mut() {
                            op.pred = SortedVec::new();
                        }
                    },
                )
            },
        ),
        a(
            "stamped",
            "a stamped value at a person's non-stamped key",
            Practitioner,
            ImmutableEntry,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    stamped_then(d, &person, "nickname", &details(), &stamp(p), no_more);
                })
            },
        ),
        a(
            "stamped",
            "a stamped value inside an observation",
            Practitioner,
            OthersObservation,
            |t, p| {
                write(t, p, |d| {
                    let o = entry(d, "observations", &t.others_observation);
                    stamped_then(d, &o, "details", &details(), &stamp(p), no_more);
                })
            },
        ),
        a(
            "stamped",
            "a stamped value with an extra key",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    stamped_then(d, &person, "details", &details(), &stamp(p), |tx, o| {
                        let _ = tx.put(o, "evil", "MALICIOUS-CONTENT");
                    });
                })
            },
        ),
        a(
            "stamped",
            "a stamped value with an extra key in its value",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    stamped_then(d, &person, "details", &details(), &stamp(p), |tx, o| {
                        if let Ok(Some((_, value))) = tx.get(o, "value") {
                            let _ = tx.put(&value, "evil", "MALICIOUS-CONTENT");
                        }
                    });
                })
            },
        ),
        a(
            "stamped",
            "a stamped value without its stamp",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&person, "details", ObjType::Map) {
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "value", details());
                        }
                    });
                })
            },
        ),
        a(
            "stamped",
            "a stamped value whose value is plain text",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    let s = stamp(p);
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&person, "details", ObjType::Map) {
                            let _ = tx.put(&obj, "value", "MALICIOUS-CONTENT");
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "stamp", &s);
                        }
                    });
                })
            },
        ),
        a(
            "stamped",
            "an unknown assessment status",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let person = entry(d, "people", &t.person);
                    stamped_then(d, &person, "assessment", &assessment(), &stamp(p), no_more);
                })
                .into_iter()
                .map(|c| {
                    let mut e = c.decode();
                    for op in &mut e.operations {
                        if op.action == OpType::Put(ScalarValue::Str("Risk".into())) {
                            op.action = OpType::Put(ScalarValue::Str("Harmless".into()));
                        }
                    }
                    e.hash = None;
                    Change::from(e)
                })
                .collect()
            },
        ),
        a(
            "stamped",
            "a plan that starts on no real date",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let mut details = plan_details();
                    details.started_on = "2026-02-30".into();
                    stamped_then(d, &ROOT, "plan", &details, &stamp(p), no_more);
                })
            },
        ),
        a(
            "stamped",
            "a plan that ended 'soon'",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let mut details = plan_details();
                    details.ended_on = "soon".into();
                    stamped_then(d, &ROOT, "plan", &details, &stamp(p), no_more);
                })
            },
        ),
        a(
            "stamped",
            "a stamp from the far future",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let mut s = stamp(p);
                    s.at_ms = 4_000_000_000_000;
                    let _ = plan::set_plan(d, &plan_details(), &s);
                })
            },
        ),
        a(
            "stamped",
            "a stamp from before 1970",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let mut s = stamp(p);
                    s.at_ms = -5;
                    stamped_then(d, &ROOT, "plan", &plan_details(), &s, no_more);
                })
            },
        ),
        a(
            "stamped",
            "a person whose name is too long",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let mut v = details();
                    v.name = "x".repeat(record::MAX_SHORT_LEN + 1);
                    let person = entry(d, "people", &t.person);
                    stamped_then(d, &person, "details", &v, &stamp(p), no_more);
                })
            },
        ),
        a(
            "stamped",
            "a person linked to a child id that is not an id",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let mut v = details();
                    v.linked_child_id = "../other".into();
                    let person = entry(d, "people", &t.person);
                    stamped_then(d, &person, "details", &v, &stamp(p), no_more);
                })
            },
        ),
        // ----- new people and actions: the whole entry in Quilt's shape -----
        a(
            "people",
            "a new person assessed in someone else's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "people");
                    let (mine, theirs) = (stamp(p), stamp(&t.other));
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&m, "crafted-person", ObjType::Map) {
                            let base = people::PersonBase {
                                id: "crafted-person".into(),
                                added: mine.clone(),
                            };
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", &base);
                            let _ = record::stamped::write(tx, &obj, "details", &details(), &mine);
                            let _ = record::stamped::write(
                                tx,
                                &obj,
                                "assessment",
                                &assessment(),
                                &theirs,
                            );
                        }
                    });
                })
            },
        ),
        a(
            "people",
            "a new person without an assessment",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "people");
                    let mine = stamp(p);
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&m, "crafted-person", ObjType::Map) {
                            let base = people::PersonBase {
                                id: "crafted-person".into(),
                                added: mine.clone(),
                            };
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", &base);
                            let _ = record::stamped::write(tx, &obj, "details", &details(), &mine);
                        }
                    });
                })
            },
        ),
        a(
            "people",
            "a new person with an extra key",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let _ = people::add(d, "crafted-person", &details(), None, &stamp(p));
                })
                .into_iter()
                .map(|c| {
                    let mut e = c.decode();
                    // One more field at the entry, written after the rest.
                    let entry = OpId(e.start_op.get(), e.actor_id.clone());
                    e.operations.push(automerge::legacy::Op {
                        action: OpType::Put(ScalarValue::Str("MALICIOUS-CONTENT".into())),
                        obj: ObjectId::Id(entry),
                        key: Key::Map("evil".into()),
                        pred: SortedVec::new(),
                        insert: false,
                    });
                    e.hash = None;
                    Change::from(e)
                })
                .collect()
            },
        ),
        a(
            "people",
            "a new person whose inner id is not its key",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "people");
                    let mine = stamp(p);
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&m, "crafted-person", ObjType::Map) {
                            let base = people::PersonBase {
                                id: t.person.clone(),
                                added: mine.clone(),
                            };
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", &base);
                            let _ = record::stamped::write(tx, &obj, "details", &details(), &mine);
                            let _ = record::stamped::write(
                                tx,
                                &obj,
                                "assessment",
                                &assessment(),
                                &mine,
                            );
                        }
                    });
                })
            },
        ),
        a(
            "people",
            "a new person added in someone else's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let _ = people::add(d, "crafted-person", &details(), None, &stamp(&t.other));
                })
            },
        ),
        a(
            "people",
            "a new plan action with its status stamped by someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "plan_actions");
                    let (base, theirs) = (action_base(p), stamp(&t.manager));
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&m, "crafted-action", ObjType::Map) {
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", &base);
                            let status = ActionStatus {
                                state: ActionState::Achieved,
                                note: String::new(),
                            };
                            let _ = record::stamped::write(tx, &obj, "status", &status, &theirs);
                        }
                    });
                })
            },
        ),
        a(
            "people",
            "a new plan action due on no real date",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let m = map(d, "plan_actions");
                    let mut base = action_base(p);
                    base.due = "2026-13-01".into();
                    let mine = stamp(p);
                    raw(d, |tx| {
                        if let Ok(obj) = tx.put_object(&m, "crafted-action", ObjType::Map) {
                            let _ = autosurgeon::reconcile_prop(tx, &obj, "base", &base);
                            let status = ActionStatus {
                                state: ActionState::NotStarted,
                                note: String::new(),
                            };
                            let _ = record::stamped::write(tx, &obj, "status", &status, &mine);
                        }
                    });
                })
            },
        ),
        // ----- observations: every value in range, the author the sender -----
        a(
            "observations",
            "a new observation in someone else's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                let other = t.other.sender.user_id.to_string();
                write(t, p, |d| {
                    let mut o = observation("crafted-obs", p);
                    o.author_id = other.parse().expect("id");
                    put_entry(d, "observations", "crafted-obs", &o);
                })
            },
        ),
        a(
            "observations",
            "a forged author name",
            Practitioner,
            ForgedAuthor,
            |t, p| observation_with(t, p, |o| o.author_name = "MALICIOUS-CONTENT".into()),
        ),
        a(
            "observations",
            "a forged agency",
            Practitioner,
            ForgedAuthor,
            |t, p| observation_with(t, p, |o| o.agency = "Police".into()),
        ),
        a(
            "observations",
            "an inner id that is not its key",
            Practitioner,
            Malformed,
            |t, p| observation_with(t, p, |o| o.id = "some-other-id".parse().expect("id")),
        ),
        a(
            "observations",
            "an unknown field",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            let _ = tx.put(o, "evil", "MALICIOUS-CONTENT");
                        },
                    )
                })
            },
        ),
        a(
            "observations",
            "an unknown field in an indicator",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            if let Ok(Some((_, list))) = tx.get(o, "indicators") {
                                if let Ok(item) = tx.insert_object(&list, 1, ObjType::Map) {
                                    let _ = tx.put(&item, "code", "NEG-HUNGRY-TIRED");
                                    let _ = tx.put(&item, "level", "Consider");
                                    let _ = tx.put(&item, "evil", "MALICIOUS-CONTENT");
                                }
                            }
                        },
                    )
                })
            },
        ),
        a(
            "observations",
            "a map where a list of names holds text",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    put_entry_then(
                        d,
                        "observations",
                        "crafted-obs",
                        &observation("crafted-obs", p),
                        |tx, o| {
                            if let Ok(Some((_, list))) = tx.get(o, "present") {
                                if let Ok(item) = tx.insert_object(&list, 1, ObjType::Map) {
                                    let _ = tx.put(&item, "who", "MALICIOUS-CONTENT");
                                }
                            }
                        },
                    )
                })
            },
        ),
        a(
            "observations",
            "a field deleted inside a new observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let mut o = observation("crafted-obs", p);
                    o.narrative.clear();
                    put_entry_then(d, "observations", "crafted-obs", &o, |tx, obj| {
                        // The reconciled empty narrative was written; a new object has it once.
                        let _ = tx.delete(obj, "narrative");
                    })
                })
            },
        ),
        a(
            "observations",
            "the recording time as an unsigned integer",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let o = observation("crafted-obs", p);
                    let v = ObservationWithUintTime {
                        id: o.id.to_string(),
                        occurred: o.occurred.clone(),
                        occurred_approx: false,
                        recorded_at_ms: T as u64,
                        author_id: o.author_id.to_string(),
                        author_name: o.author_name.clone(),
                        agency: o.agency.clone(),
                        location: o.location.clone(),
                        present: o.present.clone(),
                        indicators: o.indicators.clone(),
                        source: o.source,
                        narrative: o.narrative.clone(),
                        child_words: String::new(),
                    };
                    put_entry(d, "observations", "crafted-obs", &v);
                })
            },
        ),
        a(
            "observations",
            "a date that is not in the calendar",
            Practitioner,
            Malformed,
            |t, p| observation_with(t, p, |o| o.occurred = "2026-02-30".into()),
        ),
        a(
            "observations",
            "a date in words",
            Practitioner,
            Malformed,
            |t, p| observation_with(t, p, |o| o.occurred = "yesterday".into()),
        ),
        a(
            "observations",
            "a time of 25 o'clock",
            Practitioner,
            Malformed,
            |t, p| observation_with(t, p, |o| o.occurred = "2026-11-20T25:00".into()),
        ),
        a(
            "observations",
            "a narrative over the limit",
            Practitioner,
            OutOfRange,
            |t, p| observation_with(t, p, |o| o.narrative = "x".repeat(record::MAX_TEXT_LEN + 1)),
        ),
        a(
            "observations",
            "the child's words over the limit",
            Practitioner,
            OutOfRange,
            |t, p| {
                observation_with(t, p, |o| {
                    o.child_words = "x".repeat(record::MAX_TEXT_LEN + 1)
                })
            },
        ),
        a(
            "observations",
            "a location over the limit",
            Practitioner,
            OutOfRange,
            |t, p| observation_with(t, p, |o| o.location = "x".repeat(record::MAX_SHORT_LEN + 1)),
        ),
        a(
            "observations",
            "too many people present",
            Practitioner,
            OutOfRange,
            |t, p| {
                observation_with(t, p, |o| {
                    o.present = vec!["Someone".into(); record::MAX_PRESENT + 1]
                })
            },
        ),
        a(
            "observations",
            "an indicator not in the catalogue",
            Practitioner,
            Malformed,
            |t, p| observation_with(t, p, |o| o.indicators[0].code = "MALICIOUS-CONTENT".into()),
        ),
        a(
            "observations",
            "one indicator twice",
            Practitioner,
            Malformed,
            |t, p| {
                observation_with(t, p, |o| {
                    let again = o.indicators[0].clone();
                    o.indicators.push(again);
                })
            },
        ),
        a(
            "observations",
            "an explanation over the limit",
            Practitioner,
            OutOfRange,
            |t, p| {
                observation_with(t, p, |o| {
                    o.indicators[0].explanation = "x".repeat(record::MAX_TEXT_LEN + 1);
                    o.indicators[0].explanation_suitable = Suitability::NotSuitable;
                })
            },
        ),
        a(
            "observations",
            "a body-map mark off the outline",
            Practitioner,
            OutOfRange,
            |t, p| {
                observation_with(t, p, |o| {
                    o.body_marks.push(BodyMark {
                        id: "m1".into(),
                        x: 1001,
                        y: 10,
                        ..Default::default()
                    })
                })
            },
        ),
        a(
            "observations",
            "an observation with nothing in it",
            Practitioner,
            Malformed,
            |t, p| {
                observation_with(t, p, |o| {
                    o.narrative.clear();
                    o.child_words.clear();
                    o.indicators.clear();
                })
            },
        ),
        a(
            "observations",
            "a source Quilt does not know",
            Practitioner,
            Malformed,
            |t, p| {
                observation_with(t, p, |o| o.narrative = "Seen at home.".into())
                    .into_iter()
                    .map(|c| {
                        let mut e = c.decode();
                        for op in &mut e.operations {
                            if op.action == OpType::Put(ScalarValue::Str("Observed".into())) {
                                op.action = OpType::Put(ScalarValue::Str("Rumour".into()));
                            }
                        }
                        e.hash = None;
                        Change::from(e)
                    })
                    .collect()
            },
        ),
        a(
            "observations",
            "an indicator level Quilt does not know",
            Practitioner,
            Malformed,
            |t, p| {
                observation_with(t, p, |_| {})
                    .into_iter()
                    .map(|c| {
                        let mut e = c.decode();
                        for op in &mut e.operations {
                            if op.action == OpType::Put(ScalarValue::Str("Consider".into())) {
                                op.action = OpType::Put(ScalarValue::Str("Certain".into()));
                            }
                        }
                        e.hash = None;
                        Change::from(e)
                    })
                    .collect()
            },
        ),
        a(
            "observations",
            "recorded in the far future",
            Practitioner,
            OutOfRange,
            |t, p| observation_with(t, p, |o| o.recorded_at_ms = 4_000_000_000_000),
        ),
        a(
            "observations",
            "recorded before 1970",
            Practitioner,
            OutOfRange,
            |t, p| observation_with(t, p, |o| o.recorded_at_ms = -1),
        ),
        // ----- corrections, assessments, conferences and supervision -----
        a(
            "corrections",
            "an amendment of an observation that does not exist",
            Practitioner,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    let mut a = amendment(t, p);
                    a.observation_id = "no-such-observation".into();
                    put_entry(d, "amendments", &a.id.clone(), &a);
                })
            },
        ),
        a(
            "corrections",
            "an amendment stamped as someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let a = Amendment {
                        added: stamp(&t.other),
                        ..amendment(t, p)
                    };
                    let _ = corrections::amend(d, &a);
                })
            },
        ),
        a(
            "corrections",
            "an amendment of an unknown part",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let a = Amendment {
                        field: "MALICIOUS-CONTENT".into(),
                        ..amendment(t, p)
                    };
                    put_entry(d, "amendments", &a.id.clone(), &a);
                })
            },
        ),
        a(
            "corrections",
            "an amendment under another key",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let a = amendment(t, p);
                    put_entry(d, "amendments", "another-key", &a);
                })
            },
        ),
        a(
            "corrections",
            "an amendment with no reason",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let a = Amendment {
                        reason: " ".into(),
                        ..amendment(t, p)
                    };
                    put_entry(d, "amendments", &a.id.clone(), &a);
                })
            },
        ),
        a(
            "corrections",
            "a withdrawal keyed by another observation",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let w = withdrawal(&t.own_observation, p);
                    put_entry(d, "withdrawals", &t.others_observation, &w);
                })
            },
        ),
        a(
            "corrections",
            "a withdrawal of an observation that does not exist",
            Practitioner,
            UnknownEntry,
            |t, p| {
                write(t, p, |d| {
                    let w = withdrawal("no-such-observation", p);
                    put_entry(d, "withdrawals", "no-such-observation", &w);
                })
            },
        ),
        a(
            "corrections",
            "a practitioner withdrawing someone else's observation",
            Practitioner,
            WithdrawNotAllowed,
            |t, p| {
                write(t, p, |d| {
                    let _ = corrections::withdraw(d, &withdrawal(&t.others_observation, p));
                })
            },
        ),
        a(
            "corrections",
            "a withdrawal stamped as someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let w = withdrawal(&t.own_observation, &t.other);
                    put_entry(d, "withdrawals", &t.own_observation, &w);
                })
            },
        ),
        a(
            "corrections",
            "withdrawing one observation twice in one sync",
            Practitioner,
            ReplacesEntry,
            |t, p| {
                let mut first = write(t, p, |d| {
                    let _ = corrections::withdraw(d, &withdrawal(&t.own_observation, p));
                });
                let mut doc = t.doc.fork().with_actor(p.actor.clone());
                let _ = doc.apply_changes(first.clone());
                let heads = doc.get_heads();
                let w = withdrawal(&t.own_observation, p);
                let m = map(&doc, "withdrawals");
                raw(&mut doc, |tx| {
                    if let Ok(obj) = tx.put_object(&m, t.own_observation.as_str(), ObjType::Map) {
                        let _ = autosurgeon::reconcile_prop(
                            tx,
                            &obj,
                            "observation_id",
                            &w.observation_id,
                        );
                    }
                });
                first.extend(doc.get_changes(&heads));
                first
            },
        ),
        a(
            "assessments",
            "a safety scale of 11",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let s = Scaling {
                        score: 11,
                        ..scaling(p)
                    };
                    put_entry(d, "scalings", "crafted-scale", &s);
                })
            },
        ),
        a(
            "assessments",
            "a safety scale as a signed integer",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let s = scaling(p);
                    let v = ScalingWithIntScore {
                        id: s.id.clone(),
                        date: s.date.clone(),
                        score: 5,
                        rationale: s.rationale.clone(),
                        agency: s.agency.clone(),
                        added: s.added.clone(),
                    };
                    put_entry(d, "scalings", "crafted-scale", &v);
                })
            },
        ),
        a(
            "assessments",
            "a scaling in another agency's name",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let s = Scaling {
                        agency: "Police".into(),
                        ..scaling(p)
                    };
                    let _ = assessments::add_scaling(d, &s);
                })
            },
        ),
        a(
            "assessments",
            "a scaling stamped as someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let s = Scaling {
                        added: stamp(&t.other),
                        ..scaling(p)
                    };
                    let _ = assessments::add_scaling(d, &s);
                })
            },
        ),
        a(
            "assessments",
            "a neglect area scored 0",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let n = NeglectAssessment {
                        physical_care: 0,
                        ..neglect(p)
                    };
                    put_entry(d, "neglect_assessments", "crafted-neglect", &n);
                })
            },
        ),
        a(
            "assessments",
            "a neglect area scored 6",
            Practitioner,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let n = NeglectAssessment {
                        emotional_care: 6,
                        ..neglect(p)
                    };
                    put_entry(d, "neglect_assessments", "crafted-neglect", &n);
                })
            },
        ),
        a(
            "assessments",
            "a neglect assessment on no real date",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let n = NeglectAssessment {
                        date: "2026-04-31".into(),
                        ..neglect(p)
                    };
                    put_entry(d, "neglect_assessments", "crafted-neglect", &n);
                })
            },
        ),
        a(
            "assessments",
            "a conference on no real date",
            Practitioner,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let c = Conference {
                        date: "next week".into(),
                        ..conference(p)
                    };
                    put_entry(d, "conferences", "crafted-conf", &c);
                })
            },
        ),
        a(
            "assessments",
            "a conference stamped as someone else",
            Practitioner,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let c = Conference {
                        added: stamp(&t.manager),
                        ..conference(p)
                    };
                    let _ = plan::add_conference(d, &c);
                })
            },
        ),
        a(
            "supervision",
            "a practitioner writing supervision",
            Practitioner,
            ManagerOnly,
            |t, p| {
                write(t, p, |d| {
                    let _ = supervision::add(d, &supervision(p));
                })
            },
        ),
        a(
            "supervision",
            "supervision in another manager's name",
            Manager,
            ForgedAuthor,
            |t, p| {
                write(t, p, |d| {
                    let s = Supervision {
                        added: stamp(&t.other),
                        ..supervision(p)
                    };
                    let _ = supervision::add(d, &s);
                })
            },
        ),
        a(
            "supervision",
            "a supervision action due on no real date",
            Manager,
            Malformed,
            |t, p| {
                write(t, p, |d| {
                    let mut s = supervision(p);
                    s.actions[0].due = "2026-00-10".into();
                    put_entry(d, "supervisions", "crafted-sup", &s);
                })
            },
        ),
        a(
            "supervision",
            "supervision with too many decisions",
            Manager,
            OutOfRange,
            |t, p| {
                write(t, p, |d| {
                    let mut s = supervision(p);
                    s.decisions = vec!["Decided.".into(); supervision::MAX_ITEMS + 1];
                    put_entry(d, "supervisions", "crafted-sup", &s);
                })
            },
        ),
    ]
    .into_iter()
    .chain(episodes::attacks())
    .chain(lessons::attacks())
    .chain(front_door::attacks())
    .collect()
}

/// Honest writes through Quilt's own writers, each of which must be accepted.
pub fn honest() -> Vec<Honest> {
    use By::*;
    vec![
        h("a new observation", Practitioner, honest_observation),
        h(
            "an observation with a body map and explanations",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let mut o = observation("honest-marks", p);
                    o.indicators[0].explanation = "Said he fell".into();
                    o.indicators[0].explanation_suitable = Suitability::NotSuitable;
                    o.indicators.push(IndicatorEntry {
                        code: "NEG-HUNGRY-TIRED".into(),
                        level: Level::Suspect,
                        ..Default::default()
                    });
                    o.body_marks.push(BodyMark {
                        id: "m1".into(),
                        x: 400,
                        y: 200,
                        region: "Cheek".into(),
                        size: "2 cm".into(),
                        ..Default::default()
                    });
                    o.occurred = "2026-11-20T09:30".into();
                    let _ = record::add_observation(d, &o, T);
                })
            },
        ),
        h("two observations in one sync", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = record::add_observation(d, &observation("honest-one", p), T);
                let _ = record::add_observation(d, &observation("honest-two", p), T);
            })
        }),
        h(
            "an amendment of another's observation",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let _ = corrections::amend(d, &amendment(t, p));
                })
            },
        ),
        h("withdrawing one's own observation", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = corrections::withdraw(d, &withdrawal(&t.own_observation, p));
            })
        }),
        h("a manager withdrawing an observation", Manager, |t, p| {
            write(t, p, |d| {
                let _ = corrections::withdraw(d, &withdrawal(&t.others_observation, p));
            })
        }),
        h("supervision by a manager", Manager, |t, p| {
            write(t, p, |d| {
                let _ = supervision::add(d, &supervision(p));
            })
        }),
        h("a conference", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = plan::add_conference(d, &conference(p));
            })
        }),
        h("a scaling", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = assessments::add_scaling(d, &scaling(p));
            })
        }),
        h("a neglect assessment", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = assessments::add_neglect(d, &neglect(p));
            })
        }),
        h("a new person", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = people::add(
                    d,
                    "honest-person",
                    &details(),
                    Some(&assessment()),
                    &stamp(p),
                );
            })
        }),
        h(
            "a new person, then their details edited, in one sync",
            Practitioner,
            |t, p| {
                write(t, p, |d| {
                    let _ = people::add(d, "honest-person-2", &details(), None, &stamp(p));
                    let mut v = details();
                    v.risk_info = "Caution recorded".into();
                    let _ = people::edit_details(d, "honest-person-2", &v, &stamp(p));
                })
            },
        ),
        h("editing a person's details", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = people::edit_details(d, &t.person, &details(), &stamp(p));
            })
        }),
        h("assessing a person", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = people::assess(d, &t.person, &assessment(), &stamp(p));
            })
        }),
        h("a manager assessing a person", Manager, |t, p| {
            write(t, p, |d| {
                let _ = people::assess(d, &t.person, &assessment(), &stamp(p));
            })
        }),
        h("a new plan", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = plan::set_plan(d, &plan_details(), &stamp(p));
            })
        }),
        h("a plan set twice in one sync", Manager, |t, p| {
            write(t, p, |d| {
                let _ = plan::set_plan(d, &plan_details(), &stamp(p));
                let mut ended = plan_details();
                ended.ended_on = "2026-11-21".into();
                let _ = plan::set_plan(d, &ended, &stamp(p));
            })
        }),
        h(
            "a plan edited offline from an older copy",
            Practitioner,
            |t, p| {
                write_before(t, p, "person", |d| {
                    let _ = plan::set_plan(d, &plan_details(), &stamp(p));
                })
            },
        ),
        h("a new plan action", Practitioner, |t, p| {
            write(t, p, |d| {
                let _ = plan::add_action(d, &action_base(p));
            })
        }),
        h("an action's status", Practitioner, |t, p| {
            write(t, p, |d| {
                let status = ActionStatus {
                    state: ActionState::InProgress,
                    note: "Landlord called".into(),
                };
                let _ = plan::set_action_status(d, &t.action, &status, &stamp(p));
            })
        }),
    ]
    .into_iter()
    .chain(episodes::honest())
    .chain(lessons::honest())
    .chain(front_door::honest())
    .collect()
}
