//! The change policy against the crafted-change corpus (`shared::testing::attacks`), the honest
//! writes it must accept, and a property test of changes from a dishonest actor: whatever it
//! sends is refused, or is something Quilt's own writers could have made for it, and the
//! record still loads, saves and syncs from scratch.
//!
//! tidy: long file — the corpus runner and the three property tests share the fixture record, the
//! judge and the whole-record checks (`whole`, `sync_from`, `honest_result`); issue 11 (one test
//! crate per package) can give the properties a module of their own.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType, SortedVec};
use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge, Change, ObjId, ObjType, ReadDoc, ScalarValue, ROOT};
use proptest::prelude::*;
use shared::api::Role;
use shared::record::assessments::{self, Scaling};
use shared::record::people::{self, AgeGroup, Household, PersonDetails};
use shared::record::plan::{self, ActionBase, PlanDetails, PlanKind};
use shared::record::{self, stamped::Stamp};
use shared::testing::attacks::{self, Party, Target};
use shared::testing::{actor, sender};
use shared::validate::{check, Policy, Rejection, CLOCK_TOLERANCE_MS};
use shared::ChildId;

const NOW: i64 = 1_795_000_000_000;

fn policy() -> Policy {
    Policy {
        latest_ms: Some(NOW + CLOCK_TOLERANCE_MS),
        ..Policy::default()
    }
}

fn party(user: &str, role: Role) -> Party {
    let sender = sender(user, role);
    let actor = actor(&sender, 1);
    Party { sender, actor }
}

fn stamp(p: &Party) -> Stamp {
    shared::testing::stamp(&p.sender, 1_780_000_000_000)
}

/// The stored record: a scaling, a person, a plan and an action by Alice, then one
/// observation each by Alice and Bob (after the rest, so a copy from before the person was
/// added has neither).
fn stored(alice: &Party, bob: &Party, morgan: &Party) -> Automerge {
    let child: ChildId = "c1".parse().expect("id");
    let mut doc = record::new_replica(&child, alice.actor.clone());
    assessments::add_scaling(
        &mut doc,
        &Scaling {
            id: "s1".into(),
            date: "2026-05-01".into(),
            score: 4,
            rationale: "r".into(),
            agency: alice.sender.agency.clone(),
            added: stamp(alice),
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
    people::add(&mut doc, "p1", &details, None, &stamp(alice)).expect("person");
    let details = PlanDetails {
        kind: PlanKind::ChildInNeed,
        started_on: "2026-01-05".into(),
        ended_on: String::new(),
        contingency: String::new(),
        contingency_trigger: String::new(),
    };
    plan::set_plan(&mut doc, &details, &stamp(alice)).expect("plan");
    let base = ActionBase {
        id: "a1".into(),
        what: "Heating".into(),
        who: "Landlord".into(),
        due: "2026-06-01".into(),
        success_measure: "Warm".into(),
        added: stamp(alice),
    };
    plan::add_action(&mut doc, &base).expect("action");
    doc.set_actor(morgan.actor.clone());
    shared::record::episodes::start(&mut doc, &attacks::target_episode(&morgan.sender))
        .expect("episode");
    let written = shared::record::front_door::as_front_door(&mut doc, &child, |d| {
        shared::record::front_door::add_concern(d, &attacks::target_concern(&morgan.sender))
            .map_err(|e| e.to_string())
    });
    written.expect("concern");
    doc.set_actor(alice.actor.clone());
    record::add_observation(&mut doc, &attacks::observation("o-alice", alice), 1).expect("add");
    doc.set_actor(bob.actor.clone());
    record::add_observation(&mut doc, &attacks::observation("o-bob", bob), 2).expect("add");
    doc
}

struct Fixture {
    doc: Automerge,
    alice: Party,
    bob: Party,
    morgan: Party,
}

fn fixture() -> Fixture {
    let alice = party("alice", Role::Practitioner);
    let bob = party("bob", Role::Practitioner);
    let morgan = party("morgan", Role::Manager);
    Fixture {
        doc: stored(&alice, &bob, &morgan),
        alice,
        bob,
        morgan,
    }
}

impl Fixture {
    fn target(&self) -> Target<'_> {
        self.target_on(&self.doc)
    }

    /// The same people and entries, aimed at `doc` (the record after more changes).
    fn target_on<'a>(&self, doc: &'a Automerge) -> Target<'a> {
        Target {
            doc,
            practitioner: self.alice.clone(),
            manager: self.morgan.clone(),
            other: self.bob.clone(),
            own_observation: "o-alice".into(),
            others_observation: "o-bob".into(),
            person: "p1".into(),
            action: "a1".into(),
            scaling: "s1".into(),
            episode: "episode-target".into(),
            concern: "concern-target".into(),
        }
    }
}

fn last_seqs(doc: &Automerge) -> HashMap<ActorId, u64> {
    let mut out = HashMap::new();
    for meta in doc.get_changes_meta(&[]) {
        let seq = out.entry(meta.actor.clone().into_owned()).or_insert(0);
        *seq = (*seq).max(meta.seq);
    }
    out
}

/// The policy's verdict; a panic while checking counts as a refusal (the server's panic
/// boundary refuses it), reported as `None`.
fn judge(base: &Automerge, changes: &[Change], p: &Party) -> Option<Result<Automerge, Rejection>> {
    let seqs = last_seqs(base);
    catch_unwind(AssertUnwindSafe(|| {
        check(
            base,
            changes,
            &p.sender,
            &|a| seqs.get(a).copied().unwrap_or(0),
            policy(),
        )
    }))
    .ok()
}

#[test]
fn every_crafted_change_is_refused_with_its_reason() {
    let f = fixture();
    let t = f.target();
    let corpus = attacks::attacks();
    assert!(corpus.len() >= 120, "{} cases", corpus.len());
    let mut names = std::collections::HashSet::new();
    assert!(corpus.iter().all(|c| names.insert(c.name)), "names unique");
    let mut wrong = Vec::new();
    for case in &corpus {
        let p = t.party(case.by);
        let changes = (case.build)(&t, p);
        if changes.is_empty() {
            wrong.push(format!("{}: {}: made no change", case.family, case.name));
            continue;
        }
        match judge(&f.doc, &changes, p) {
            Some(Err(r)) if r == case.expect => {}
            other => wrong.push(format!(
                "{}: {}: expected {:?}, got {:?}",
                case.family,
                case.name,
                case.expect,
                other.map(|r| r.map(|_| "accepted"))
            )),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        corpus.len(),
        wrong.join("\n")
    );
}

#[test]
fn honest_writes_are_accepted_and_the_record_stays_whole() {
    let f = fixture();
    let t = f.target();
    let mut wrong = Vec::new();
    for case in attacks::honest() {
        let p = t.party(case.by);
        let changes = (case.build)(&t, p);
        assert!(!changes.is_empty(), "{}: made no change", case.name);
        match judge(&f.doc, &changes, p) {
            Some(Ok(after)) => {
                if let Err(e) = whole(&after) {
                    wrong.push(format!("{}: {e}", case.name));
                }
            }
            other => wrong.push(format!("{}: {:?}", case.name, other.map(|r| r.err()))),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn sequence_numbers_must_continue() {
    let f = fixture();
    let mut tablet = f.doc.fork().with_actor(actor(&f.bob.sender, 2));
    let o = |id| attacks::observation(id, &f.bob);
    record::add_observation(&mut tablet, &o("o1"), 2).expect("add");
    let first = tablet.get_changes(&f.doc.get_heads());
    record::add_observation(&mut tablet, &o("o2"), 3).expect("add");
    let all = tablet.get_changes(&f.doc.get_heads());
    let second: Vec<_> = all.into_iter().filter(|c| c.seq() == 2).collect();
    let bob = &f.bob.sender;
    // Sending seq 2 when the server has nothing from this actor: a gap.
    assert_eq!(
        check(&f.doc, &second, bob, &|_| 0, policy()).err(),
        Some(Rejection::BadSequence)
    );
    // Replaying seq 1 when the server already stored it.
    assert_eq!(
        check(&f.doc, &first, bob, &|_| 1, policy()).err(),
        Some(Rejection::BadSequence)
    );
    assert!(check(&f.doc, &first, bob, &|_| 0, policy()).is_ok());
}

/// Loads again from its saved bytes, rebuilds from its changes one by one, and syncs from
/// nothing and from the shared genesis with Automerge's sync protocol.
fn whole(doc: &Automerge) -> Result<(), String> {
    let heads = doc.get_heads();
    let saved = doc.save();
    let loaded = Automerge::load(&saved).map_err(|e| format!("does not load: {e}"))?;
    if loaded.get_heads() != heads || Automerge::load(&loaded.save()).is_err() {
        return Err("does not save and load again".into());
    }
    let mut replayed = Automerge::new();
    replayed
        .apply_changes(doc.get_changes(&[]))
        .map_err(|e| format!("history does not apply: {e}"))?;
    if replayed.get_heads() != heads {
        return Err("history does not rebuild it".into());
    }
    let child: ChildId = "c1".parse().expect("id");
    for start in [Automerge::new(), record::genesis(&child)] {
        let synced = sync_from(doc, start)?;
        if synced.get_heads() != heads {
            return Err("sync does not converge".into());
        }
    }
    record::read_record(&loaded).map_err(|e| format!("does not read: {e}"))?;
    Ok(())
}

fn sync_from(doc: &Automerge, mut peer: Automerge) -> Result<Automerge, String> {
    let mut ours = doc.clone();
    let (mut a, mut b) = (sync::State::new(), sync::State::new());
    for _ in 0..30 {
        let to_peer = ours.generate_sync_message(&mut a);
        let quiet = to_peer.is_none();
        if let Some(m) = to_peer {
            peer.receive_sync_message(&mut b, m)
                .map_err(|e| format!("sync: {e}"))?;
        }
        let to_us = peer.generate_sync_message(&mut b);
        if let Some(m) = to_us {
            ours.receive_sync_message(&mut a, m)
                .map_err(|e| format!("sync: {e}"))?;
        } else if quiet {
            return Ok(peer);
        }
    }
    Err("sync did not finish".into())
}

/// Every author id and stamp (`by`) anywhere in the record, as JSON text.
fn authorship(doc: &Automerge) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if m.contains_key("by") || m.contains_key("author_id") {
                    out.push(v.to_string());
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(r) = record::read_record(doc) {
        walk(&serde_json::to_value(&r).unwrap_or_default(), &mut out);
    }
    out
}

/// What an accepted change may have done: the record reads whole, nothing it holds is
/// unreadable, and every authorship it adds names the sender.
fn honest_result(before: &Automerge, after: &Automerge, p: &Party) -> Result<(), String> {
    whole(after)?;
    let record = record::read_record(after).map_err(|e| e.to_string())?;
    if record.unreadable != 0 {
        return Err(format!("{} unreadable entries", record.unreadable));
    }
    let mut old = authorship(before);
    for a in authorship(after) {
        if let Some(i) = old.iter().position(|o| *o == a) {
            old.swap_remove(i);
        } else if !a.contains(&format!("\"{}\"", p.sender.user_id)) {
            return Err(format!("adds authorship not the sender's: {a}"));
        }
    }
    // What is left of `old` was superseded (stamped values); entries themselves never go.
    let was = record::read_record(before).map_err(|e| e.to_string())?;
    let counts = |r: &record::Record| {
        [
            r.observations.len(),
            r.amendments.len(),
            r.withdrawals.len(),
            r.people.len(),
            r.actions.len(),
            r.conferences.len(),
            r.scalings.len(),
            r.neglect.len(),
            r.supervisions.len(),
        ]
    };
    if counts(&record)
        .iter()
        .zip(counts(&was))
        .any(|(now, then)| *now < then)
    {
        return Err("an entry disappeared".into());
    }
    Ok(())
}

/// One way to spoil an operation of an honest change.
#[derive(Debug, Clone)]
enum Spoil {
    Obj(u8),
    Key(u8),
    Action(u8),
    Pred(u8),
    Insert,
    Drop,
    Duplicate,
    StartOp(i8),
    Seq(i8),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        any::<u8>().prop_map(Spoil::Obj),
        any::<u8>().prop_map(Spoil::Key),
        any::<u8>().prop_map(Spoil::Action),
        any::<u8>().prop_map(Spoil::Pred),
        Just(Spoil::Insert),
        Just(Spoil::Drop),
        Just(Spoil::Duplicate),
        any::<i8>().prop_map(Spoil::StartOp),
        any::<i8>().prop_map(Spoil::Seq),
    ]
}

const KEYS: &[&str] = &[
    "plan",
    "narrative",
    "evil",
    "id",
    "base",
    "details",
    "assessment",
    "status",
    "value",
    "stamp",
    "by",
    "observations",
    "o-bob",
    "o-alice",
    "p1",
    "score",
    "author_id",
    "present",
];

/// Every object in the record and every operation id that wrote a visible value, to aim at.
fn targets(doc: &Automerge) -> (Vec<ObjectId>, Vec<OpId>) {
    fn legacy(id: &ObjId) -> Option<OpId> {
        match id {
            ObjId::Id(c, a, _) => Some(OpId(*c, a.clone())),
            ObjId::Root => None,
        }
    }
    let mut objs = vec![ObjectId::Root];
    let mut ops = Vec::new();
    let mut stack = vec![ROOT];
    while let Some(obj) = stack.pop() {
        let props: Vec<automerge::Prop> = match doc.object_type(&obj) {
            Ok(ObjType::List) => (0..doc.length(&obj)).map(automerge::Prop::Seq).collect(),
            _ => doc.keys(&obj).map(automerge::Prop::Map).collect(),
        };
        for prop in props {
            for (value, id) in doc.get_all(&obj, prop).unwrap_or_default() {
                if let Some(op) = legacy(&id) {
                    ops.push(op.clone());
                    if value.is_object() {
                        objs.push(ObjectId::Id(op));
                        stack.push(id);
                    }
                }
            }
        }
    }
    (objs, ops)
}

fn apply_spoil(e: &mut automerge::ExpandedChange, s: &Spoil, at: usize, doc: &Automerge) {
    let (objs, ops) = targets(doc);
    let n = e.operations.len().max(1);
    let i = at % n;
    let pick = |k: u8, len: usize| usize::from(k) % len.max(1);
    match s {
        Spoil::StartOp(d) => {
            let v = (e.start_op.get() as i64 + i64::from(*d)).max(1) as u64;
            e.start_op = std::num::NonZeroU64::new(v).unwrap_or(e.start_op);
        }
        Spoil::Seq(d) => e.seq = (e.seq as i64 + i64::from(*d)).max(1) as u64,
        Spoil::Drop => {
            if !e.operations.is_empty() {
                e.operations.remove(i);
            }
        }
        Spoil::Duplicate => {
            if let Some(op) = e.operations.get(i).cloned() {
                e.operations.push(op);
            }
        }
        _ => {
            let Some(op) = e.operations.get_mut(i) else {
                return;
            };
            match s {
                Spoil::Obj(k) => {
                    let choice = pick(*k, objs.len() + 1);
                    op.obj = objs
                        .get(choice)
                        .cloned()
                        .unwrap_or(ObjectId::Id(OpId(u64::from(*k) + 1, e.actor_id.clone())));
                }
                Spoil::Key(k) => {
                    op.key = if *k % 7 == 0 {
                        Key::Seq(ElementId::Head)
                    } else {
                        Key::Map(KEYS[pick(*k, KEYS.len())].into())
                    };
                }
                Spoil::Action(k) => {
                    op.action = match k % 12 {
                        0 => OpType::Delete,
                        1 => OpType::Make(ObjType::Map),
                        2 => OpType::Make(ObjType::List),
                        3 => OpType::Make(ObjType::Text),
                        4 => OpType::Make(ObjType::Table),
                        5 => OpType::Put(ScalarValue::Str("MALICIOUS".into())),
                        6 => OpType::Put(ScalarValue::Int(i64::from(*k))),
                        7 => OpType::Put(ScalarValue::Uint(u64::from(*k))),
                        8 => OpType::Put(ScalarValue::F64(1.5)),
                        9 => OpType::Put(ScalarValue::Counter(3.into())),
                        10 => OpType::Put(ScalarValue::Null),
                        _ => OpType::Put(ScalarValue::Boolean(true)),
                    };
                }
                Spoil::Pred(k) => {
                    op.pred = if *k % 5 == 0 || ops.is_empty() {
                        SortedVec::new()
                    } else {
                        SortedVec::from(vec![ops[pick(*k, ops.len())].clone()])
                    };
                }
                Spoil::Insert => op.insert = !op.insert,
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// An honest write with one part spoiled: refused, or still something Quilt's writers
    /// could have made for the sender, and the record whole.
    #[test]
    fn a_spoiled_honest_change_is_refused_or_harmless(
        which in 0usize..64,
        by_manager in any::<bool>(),
        spoils in proptest::collection::vec((spoil(), 0usize..64), 1..3),
    ) {
        let f = fixture();
        let t = f.target();
        let honest = attacks::honest();
        let case = &honest[which % honest.len()];
        let p = if by_manager { &f.morgan } else { t.party(case.by) };
        let mut changes = (case.build)(&t, p);
        let Some(first) = changes.first_mut() else { return Ok(()) };
        let mut e = first.decode();
        for (s, at) in &spoils {
            apply_spoil(&mut e, s, *at, &f.doc);
        }
        e.hash = None;
        let Ok(spoiled) = catch_unwind(AssertUnwindSafe(|| Change::from(e))) else {
            return Ok(());
        };
        *first = spoiled;
        if let Some(Ok(after)) = judge(&f.doc, &changes, p) {
            prop_assert_eq!(honest_result(&f.doc, &after, p), Ok(()));
        }
    }

    /// Operations made up from nothing, aimed at anything in the record: refused, or harmless.
    #[test]
    fn made_up_operations_are_refused_or_harmless(
        ops in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>(), any::<bool>()), 1..6),
        counter_shift in -2i64..3,
    ) {
        let f = fixture();
        let p = &f.alice;
        let (objs, existing) = targets(&f.doc);
        let start = f.doc.get_changes_meta(&[]).iter().map(|m| m.max_op).max().unwrap_or(0) + 1;
        let seqs = last_seqs(&f.doc);
        let mut operations = Vec::new();
        for (i, (o, k, a, pr, insert)) in ops.iter().enumerate() {
            // Objects made earlier in this change are targets too.
            let own = ObjectId::Id(OpId(start + i as u64 - 1, p.actor.clone()));
            let obj = if i > 0 && o % 3 == 0 { own } else { objs[usize::from(*o) % objs.len()].clone() };
            let key = if *insert { Key::Seq(ElementId::Head) } else { Key::Map(KEYS[usize::from(*k) % KEYS.len()].into()) };
            let action = match a % 6 {
                0 => OpType::Make(ObjType::Map),
                1 => OpType::Make(ObjType::List),
                2 => OpType::Put(ScalarValue::Str("MALICIOUS".into())),
                3 => OpType::Put(ScalarValue::Uint(u64::from(*a))),
                4 => OpType::Delete,
                _ => OpType::Put(ScalarValue::Int(-1)),
            };
            let pred = if pr % 3 == 0 || existing.is_empty() {
                SortedVec::new()
            } else {
                SortedVec::from(vec![existing[usize::from(*pr) % existing.len()].clone()])
            };
            operations.push(automerge::legacy::Op { action, obj, key, pred, insert: *insert });
        }
        let e = automerge::ExpandedChange {
            operations,
            actor_id: p.actor.clone(),
            hash: None,
            seq: seqs.get(&p.actor).copied().unwrap_or(0) + 1,
            start_op: std::num::NonZeroU64::new((start as i64 + counter_shift).max(1) as u64)
                .unwrap_or(std::num::NonZeroU64::MIN),
            time: 0,
            message: Some("observation".into()),
            deps: f.doc.get_heads(),
            extra_bytes: Vec::new(),
            author: None,
        };
        let Ok(change) = catch_unwind(AssertUnwindSafe(|| Change::from(e))) else {
            return Ok(());
        };
        if let Some(Ok(after)) = judge(&f.doc, &[change], p) {
            prop_assert_eq!(honest_result(&f.doc, &after, p), Ok(()));
        }
    }

    /// Changes from every party, honest or spoiled, one after another on the same record:
    /// whatever is accepted, in whatever order, leaves it whole.
    #[test]
    fn accepted_changes_one_after_another_keep_the_record_whole(
        steps in proptest::collection::vec(
            (0usize..64, 0u8..3, proptest::option::of((spoil(), 0usize..64))),
            1..8,
        ),
    ) {
        let f = fixture();
        let honest = attacks::honest();
        let mut doc = f.doc.clone();
        for (which, who, spoiled) in steps {
            let p = match who {
                0 => &f.alice,
                1 => &f.bob,
                _ => &f.morgan,
            };
            let mut changes = {
                let t = f.target_on(&doc);
                (honest[which % honest.len()].build)(&t, p)
            };
            let Some(first) = changes.first_mut() else { continue };
            if let Some((s, at)) = &spoiled {
                let mut e = first.decode();
                apply_spoil(&mut e, s, *at, &doc);
                e.hash = None;
                let Ok(c) = catch_unwind(AssertUnwindSafe(|| Change::from(e))) else { continue };
                *first = c;
            }
            if let Some(Ok(after)) = judge(&doc, &changes, p) {
                prop_assert_eq!(honest_result(&doc, &after, p), Ok(()));
                doc = after;
            }
        }
        prop_assert_eq!(whole(&doc), Ok(()));
    }
}

/// A record from before the added maps: the first episode a manager's tablet writes carries
/// the canonical upgrade change, which the policy accepts from anyone; the same maps made by
/// any other change are refused, and two tablets upgrading offline converge on one map.
#[test]
fn the_canonical_upgrade_is_accepted_and_nothing_else_makes_root_maps() {
    use shared::record::{episodes, schema};
    let f = fixture();
    let child: ChildId = "c2".parse().expect("id");
    let mut server = record::new_replica(&child, f.alice.actor.clone());
    record::add_observation(&mut server, &attacks::observation("o-1", &f.alice), 1).expect("add");
    assert!(!schema::is_upgraded(&server));
    let heads = server.get_heads();

    let mut manager = server.fork().with_actor(f.morgan.actor.clone());
    let mut base = attacks::target_episode(&f.morgan.sender);
    base.id = "episode-1".into();
    episodes::start(&mut manager, &base).expect("episode");
    let sent = manager.get_changes(&heads);
    assert_eq!(
        sent.len(),
        schema::STEPS.len() + 1,
        "the upgrade (one change per step) and the episode"
    );
    let after = judge(&server, &sent, &f.morgan)
        .expect("no panic")
        .expect("accepted");
    assert_eq!(record::read_record(&after).expect("read").episodes.len(), 1);

    // A practitioner's tablet may pass the upgrade on too (it carries no entry of its own).
    let mut practitioner = server.fork().with_actor(f.alice.actor.clone());
    schema::upgrade(&mut practitioner).expect("upgrade");
    let only_upgrade = practitioner.get_changes(&heads);
    assert!(judge(&server, &only_upgrade, &f.alice)
        .expect("no panic")
        .is_ok());

    // The same maps made by the sender's own change: refused.
    let mut forged = server.fork().with_actor(actor(&f.morgan.sender, 3));
    let mut tx = forged.transaction();
    for map in schema::ADDED_MAPS {
        automerge::transaction::Transactable::put_object(
            &mut tx,
            automerge::ROOT,
            *map,
            automerge::ObjType::Map,
        )
        .expect("map");
    }
    tx.commit_with(automerge::transaction::CommitOptions::default().with_message("episode"));
    let forged = forged.get_changes(&heads);
    assert_eq!(
        judge(&server, &forged, &f.morgan).expect("no panic").err(),
        Some(Rejection::Structure)
    );

    // Two tablets that upgraded offline, one with an episode: one map, every entry shows.
    let mut merged = after.clone();
    merged.merge(&mut practitioner).expect("merge");
    assert_eq!(
        record::read_record(&merged).expect("read").episodes.len(),
        1
    );

    // A record an older release upgraded (episodes only): a practitioner's first visit
    // carries the later step, accepted; the later step's maps made by hand are not.
    let mut older = server.fork();
    older
        .apply_changes([schema::upgrade_change(&child)])
        .expect("schema 2");
    let older_heads = older.get_heads();
    let mut tablet = older.fork().with_actor(f.alice.actor.clone());
    let mut v = attacks::target_visit(&f.alice.sender);
    v.id = "visit-1".into();
    shared::record::visits::add_visit(&mut tablet, &v).expect("visit");
    let sent = tablet.get_changes(&older_heads);
    assert_eq!(sent.len(), 3, "schema 3, schema 4 and the visit");
    let after = judge(&older, &sent, &f.alice)
        .expect("no panic")
        .expect("accepted");
    assert_eq!(record::read_record(&after).expect("read").visits.len(), 1);
    let mut forged = older.fork().with_actor(actor(&f.alice.sender, 3));
    let mut tx = forged.transaction();
    automerge::transaction::Transactable::put_object(
        &mut tx,
        automerge::ROOT,
        schema::VISITS,
        automerge::ObjType::Map,
    )
    .expect("map");
    tx.commit_with(automerge::transaction::CommitOptions::default().with_message("visit"));
    assert_eq!(
        judge(&older, &forged.get_changes(&older_heads), &f.alice)
            .expect("no panic")
            .err(),
        Some(Rejection::Structure)
    );
}
