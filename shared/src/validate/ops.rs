//! Judging every operation of every change: where it writes, what kind of operation it is, and
//! which earlier operations it overwrites (its `pred`). Winning or losing a conflict does not
//! matter here; the operation itself does.

use std::collections::{HashMap, HashSet};

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{ActorId, Automerge, Change, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ROOT};

use super::{Rejection, Sender, MAX_DEPTH};
use crate::record::{self, corrections, episodes, people, plan};

/// An entry or stamped value the changes made, for [`super::values`] to read back and judge.
#[derive(Debug)]
pub(super) enum Written {
    /// A new entry at `key` of the root map `map`.
    Entry {
        map: &'static str,
        key: String,
        obj: ObjId,
    },
    /// A new stamped value superseding an existing one (or set for the first time).
    Stamped { kind: StampedKind, obj: ObjId },
}

/// The fields written as stamped values (see `record::stamped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StampedKind {
    Plan,
    PersonDetails,
    PersonAssessment,
    ActionStatus,
    EpisodeEnding,
}

/// The stamped field at `key` of an entry in `map`, if there is one.
pub(super) fn stamped_kind(map: &str, key: &str) -> Option<StampedKind> {
    match (map, key) {
        (people::MAP, "details") => Some(StampedKind::PersonDetails),
        (people::MAP, "assessment") => Some(StampedKind::PersonAssessment),
        (plan::ACTIONS, "status") => Some(StampedKind::ActionStatus),
        (episodes::EPISODES, "ending") => Some(StampedKind::EpisodeEnding),
        _ => None,
    }
}

/// An object made earlier in the change being judged.
struct Made {
    /// 1 for a new entry or stamped value, one more for each level below.
    depth: usize,
    list: bool,
    /// Map keys written so far (each once).
    keys: HashSet<String>,
    /// List items inserted so far, by counter (the change's own actor).
    items: HashSet<u64>,
}

impl Made {
    fn new(depth: usize, typ: ObjType) -> Self {
        Made {
            depth,
            list: typ == ObjType::List,
            keys: HashSet::new(),
            items: HashSet::new(),
        }
    }
}

type OpKey = (u64, ActorId);

/// Judges every operation of `changes` (applied to `before` to give `after`); returns what
/// they wrote.
pub(super) fn judge(
    before: &Automerge,
    after: &Automerge,
    changes: &[Change],
    sender: &Sender,
) -> Result<Vec<Written>, Rejection> {
    let maps = entry_maps(before, after)?;
    let mut created: HashSet<(&'static str, String)> = HashSet::new();
    let mut written = Vec::new();
    for change in changes {
        let ex = change.decode();
        let actor = ex.actor_id.clone();
        let start = ex.start_op.get();
        let deps = &ex.deps;
        let mut made: HashMap<u64, Made> = HashMap::new();
        for (i, op) in ex.operations.iter().enumerate() {
            let id = start + i as u64;
            let make = kind_of(&op.action)?;
            let local = match &op.obj {
                ObjectId::Id(OpId(counter, a)) if *a == actor => made.get_mut(counter),
                _ => None,
            };
            if let Some(parent) = local {
                // Inside an object this change made: a fresh value, written once.
                if make == Kind::Delete || !op.pred.is_empty() {
                    return Err(Rejection::Malformed);
                }
                if parent.list {
                    let after_item = match &op.key {
                        Key::Seq(ElementId::Head) => true,
                        Key::Seq(ElementId::Id(OpId(c, a))) => {
                            *a == actor && parent.items.contains(c)
                        }
                        Key::Map(_) => false,
                    };
                    if !op.insert || !after_item || make == Kind::Make(ObjType::List) {
                        return Err(Rejection::Malformed);
                    }
                    parent.items.insert(id);
                } else {
                    let Key::Map(k) = &op.key else {
                        return Err(Rejection::Malformed);
                    };
                    if op.insert || !parent.keys.insert(k.to_string()) {
                        return Err(Rejection::Malformed);
                    }
                }
                if let Kind::Make(typ) = make {
                    let depth = parent.depth + 1;
                    if depth > MAX_DEPTH {
                        return Err(Rejection::Malformed);
                    }
                    made.insert(id, Made::new(depth, typ));
                }
                continue;
            }
            let obj = match &op.obj {
                ObjectId::Root => ROOT,
                ObjectId::Id(OpId(c, a)) => ObjId::Id(*c, a.clone(), usize::MAX),
            };
            let key = match (&op.key, op.insert) {
                (Key::Map(k), false) => Some(k.as_str()),
                _ => None,
            };
            let target = match &op.obj {
                ObjectId::Root => Target::Root,
                ObjectId::Id(OpId(c, a)) => match maps.get(&(*c, a.clone())) {
                    Some(map) => Target::EntryMap(map),
                    None => {
                        after.object_type(&obj).map_err(|_| Rejection::Structure)?;
                        Target::Existing(path_of(after, &obj)?)
                    }
                },
            };
            match (target, key, make) {
                (Target::Root, Some("plan"), Kind::Make(ObjType::Map)) => {
                    supersedes_what_was_seen(after, &obj, "plan", deps, &op.pred)?;
                    made.insert(id, Made::new(1, ObjType::Map));
                    written.push(Written::Stamped {
                        kind: StampedKind::Plan,
                        obj: ObjId::Id(id, actor.clone(), usize::MAX),
                    });
                }
                (Target::Root, Some("plan"), Kind::Delete) => return Err(Rejection::DeletesEntry),
                (Target::Root, Some("plan"), _) => return Err(Rejection::Malformed),
                (Target::Root, ..) => return Err(Rejection::Structure),
                (Target::EntryMap(_), _, Kind::Delete) => return Err(Rejection::DeletesEntry),
                (Target::EntryMap(map), Some(key), make) => {
                    let fresh = created.insert((map, key.to_owned()));
                    if !fresh || !may_add_at(before, after, map, &obj, key, deps)? {
                        return Err(Rejection::ReplacesEntry);
                    }
                    if !op.pred.is_empty() {
                        return Err(Rejection::ForeignPredecessor);
                    }
                    if make != Kind::Make(ObjType::Map)
                        || key.parse::<crate::ObservationId>().is_err()
                    {
                        return Err(Rejection::Malformed);
                    }
                    made.insert(id, Made::new(1, ObjType::Map));
                    written.push(Written::Entry {
                        map,
                        key: key.to_owned(),
                        obj: ObjId::Id(id, actor.clone(), usize::MAX),
                    });
                }
                (Target::EntryMap(_), None, _) => return Err(Rejection::Malformed),
                (Target::Existing(path), Some(key), Kind::Make(ObjType::Map))
                    if path.len() == 2 && stamped_kind(&path[0], key).is_some() =>
                {
                    let kind = stamped_kind(&path[0], key).ok_or(Rejection::Malformed)?;
                    supersedes_what_was_seen(after, &obj, key, deps, &op.pred)?;
                    made.insert(id, Made::new(1, ObjType::Map));
                    written.push(Written::Stamped {
                        kind,
                        obj: ObjId::Id(id, actor.clone(), usize::MAX),
                    });
                }
                (Target::Existing(path), ..) => {
                    return Err(refusal_inside(before, after, &path, sender))
                }
            }
        }
    }
    Ok(written)
}

/// Where an operation outside the change's own objects writes.
enum Target {
    Root,
    /// One of the record's entry maps (made by genesis).
    EntryMap(&'static str),
    /// An object already in the record, by its path of keys from the root (`#` for a list
    /// index).
    Existing(Vec<String>),
}

/// What an operation does, with the allowed value types only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Make(ObjType),
    Put,
    Delete,
}

fn kind_of(action: &OpType) -> Result<Kind, Rejection> {
    use automerge::ScalarValue as S;
    match action {
        OpType::Make(typ @ (ObjType::Map | ObjType::List)) => Ok(Kind::Make(*typ)),
        OpType::Put(S::Str(_) | S::Int(_) | S::Uint(_) | S::Boolean(_)) => Ok(Kind::Put),
        OpType::Delete => Ok(Kind::Delete),
        // Text, tables, counters, timestamps, bytes, floats, null and marks: Quilt writes none.
        _ => Err(Rejection::Malformed),
    }
}

/// The object ids of the record's entry maps, by name: genesis's, which every record holds,
/// and the added ones if the record holds them after the changes (only the canonical upgrade
/// change can have made them: every other write at the root is refused).
fn entry_maps(
    before: &Automerge,
    after: &Automerge,
) -> Result<HashMap<OpKey, &'static str>, Rejection> {
    let mut out = HashMap::new();
    let found = |doc: &Automerge, map: &str| match doc.get(ROOT, map) {
        Ok(Some((automerge::Value::Object(ObjType::Map), ObjId::Id(c, a, _)))) => Some((c, a)),
        _ => None,
    };
    for map in record::ENTRY_MAPS {
        let id = found(before, map).ok_or(Rejection::Structure)?;
        out.insert(id, *map);
    }
    for map in record::schema::ADDED_MAPS {
        if let Some(id) = found(after, map) {
            out.insert(id, *map);
        }
    }
    Ok(out)
}

/// The path of keys from the root to `obj`, which must be in `after`.
fn path_of(after: &Automerge, obj: &ObjId) -> Result<Vec<String>, Rejection> {
    let parents = after.parents(obj).map_err(|_| Rejection::Structure)?;
    let mut path: Vec<String> = parents
        .map(|p| match p.prop {
            Prop::Map(k) => k,
            Prop::Seq(_) => "#".to_owned(),
        })
        .collect();
    path.reverse();
    Ok(path)
}

/// Why an operation inside an existing entry (or deeper) is refused.
fn refusal_inside(
    before: &Automerge,
    after: &Automerge,
    path: &[String],
    sender: &Sender,
) -> Rejection {
    match path {
        [map, id, ..] if map == "observations" => {
            // Whose it was before these changes (they may have rewritten its author).
            let author = |doc: &Automerge| record::observation(doc, id).ok().flatten();
            let own = author(before)
                .or_else(|| author(after))
                .is_some_and(|o| o.author_id == sender.user_id);
            if own {
                Rejection::ImmutableEntry
            } else {
                Rejection::OthersObservation
            }
        }
        [root] if !record::all_entry_maps().any(|m| m == root) && root != "plan" => {
            Rejection::Structure
        }
        _ => Rejection::ImmutableEntry,
    }
}

/// Whether a new entry may be made at `key` of the entry map `map`: the record does not hold
/// one, except a withdrawal made concurrently with another (both stay, side by side).
fn may_add_at(
    before: &Automerge,
    after: &Automerge,
    map: &str,
    map_obj: &ObjId,
    key: &str,
    deps: &[ChangeHash],
) -> Result<bool, Rejection> {
    // An added map the same batch made (by the canonical upgrade) holds nothing before.
    if before.object_type(map_obj).is_err()
        || before
            .get(map_obj, key)
            .map_err(|_| Rejection::Structure)?
            .is_none()
    {
        return Ok(true);
    }
    if map != corrections::WITHDRAWALS {
        return Ok(false);
    }
    let seen = after
        .get_at(map_obj, key, deps)
        .map_err(|_| Rejection::Unapplicable)?;
    Ok(seen.is_none())
}

/// A new stamped value must overwrite exactly the values at its key that the sender saw (the
/// values there at the change's dependencies), as Automerge's own `put` does: never fewer,
/// which an honest writer cannot do, and never any other operation.
fn supersedes_what_was_seen(
    after: &Automerge,
    obj: &ObjId,
    key: &str,
    deps: &[ChangeHash],
    pred: &automerge::legacy::SortedVec<OpId>,
) -> Result<(), Rejection> {
    let seen: HashSet<OpKey> = after
        .get_all_at(obj, key, deps)
        .map_err(|_| Rejection::Unapplicable)?
        .into_iter()
        .filter_map(|(_, id)| match id {
            ObjId::Id(c, a, _) => Some((c, a)),
            ObjId::Root => None,
        })
        .collect();
    let named: HashSet<OpKey> = pred.iter().map(|p| (p.0, p.1.clone())).collect();
    if named.len() == pred.len() && named == seen {
        Ok(())
    } else {
        Err(Rejection::ForeignPredecessor)
    }
}

/// The objects and list items a change's operations name must exist: checked before Automerge
/// applies the change, which fails on some dangling references by panicking. `made` holds the
/// objects made by changes checked before this one (of the same batch), and gains this
/// change's. Judging whether the operations are allowed comes after applying ([`judge`]).
pub(crate) fn resolvable(
    doc: &Automerge,
    change: &Change,
    made: &mut HashMap<OpKey, ObjType>,
) -> Result<(), Rejection> {
    let ex = change.decode();
    let start = ex.start_op.get();
    // List items inserted by this change, by the list they went into.
    let mut items: HashSet<(OpKey, OpKey)> = HashSet::new();
    for (i, op) in ex.operations.iter().enumerate() {
        let id: OpKey = (start + i as u64, ex.actor_id.clone());
        let typ = match &op.obj {
            ObjectId::Root => ObjType::Map,
            ObjectId::Id(OpId(c, a)) => match made.get(&(*c, a.clone())) {
                Some(t) => *t,
                None => doc
                    .object_type(ObjId::Id(*c, a.clone(), usize::MAX))
                    .map_err(|_| Rejection::Structure)?,
            },
        };
        let obj_key = match &op.obj {
            ObjectId::Root => None,
            ObjectId::Id(OpId(c, a)) => Some((*c, a.clone())),
        };
        match (typ, &op.key, op.insert) {
            (ObjType::Map | ObjType::Table, Key::Map(_), false) => {}
            (ObjType::List, Key::Seq(elem), true) => {
                let list = obj_key.clone().ok_or(Rejection::Malformed)?;
                let follows = match elem {
                    ElementId::Head => true,
                    ElementId::Id(OpId(c, a)) => items.contains(&(list.clone(), (*c, a.clone()))),
                };
                if !follows {
                    return Err(Rejection::Malformed);
                }
                items.insert((list, id.clone()));
            }
            // Setting or deleting a list item in place, a sequence key on a map, text: Quilt
            // writes none of these, and Automerge's checks of them are not all errors.
            _ => return Err(Rejection::Malformed),
        }
        if let OpType::Make(t) = op.action {
            made.insert(id, t);
        }
    }
    Ok(())
}
