//! Recovery after the server refuses a child's changes: the tablet's valid work is written again
//! on top of what the server holds, under a fresh actor, and whatever cannot be is reported.
//!
//! Why: the server refuses a child's whole batch when any change breaks its policy
//! ([`crate::validate`]). Automerge changes are hash-chained, so resending the same changes is
//! refused forever and one bad change blocks every later change of its actor. Re-issuing turns
//! the tablet's own work into new changes, each checked locally with the server's own
//! [`validate::check`] before it is kept, so an honest user loses nothing to a rejection and
//! nothing the server would refuse is dropped silently.
//!
//! How: the record is forked at the heads the server acknowledged. Walking the local record
//! against that fork, every value present locally but absent or different there becomes one
//! change: a new entry; the changed fields of an existing entry (together, or one field per
//! change if together they are refused); a new stamped value; a root value such as the plan.
//! Objects the fork holds have the same ids in both copies (they share that history), so values
//! are compared by operation id and deep-copied only where new. Observations go first because
//! corrections point at them.
//!
//! Limits: a re-issued value is written after everything the server acknowledged. A local value
//! that was concurrent with one already on the server therefore supersedes it instead of
//! standing beside it as a conflict, and a second concurrent entry under one key (two
//! withdrawals of one observation) is refused as a replacement and reported.
//!
//! tidy: long file — one algorithm (walk the local record against the fork, re-issue each
//! difference) whose helpers nothing else uses, and about 100 lines of unit tests.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{
    ActorId, Automerge, AutomergeError, ChangeHash, ObjId, ObjType, Prop, ReadDoc, Value, ROOT,
};

use crate::record;
use crate::validate::{self, Policy, Rejection, Sender};

/// The record rebuilt on the server's heads.
#[derive(Debug)]
pub struct Reissued {
    /// The local record forked at the server's heads, plus one change per re-issued item,
    /// written by the fresh actor (which it keeps for later writes).
    pub doc: Automerge,
    /// Changes written, each accepted by the server's policy.
    pub reissued: usize,
    /// Local work the server's policy refuses, in the order it was met.
    pub dropped: Vec<Dropped>,
}

/// One item that could not be re-issued. Names ids and keys only, never record content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The root map holding the entry (`observations`, `people`, ...), or the root key of a
    /// value kept at the root (`plan`).
    pub map: String,
    /// The entry's id; empty for a value kept at the root.
    pub entry: String,
    /// The field, when only that field of an existing entry was refused.
    pub field: Option<String>,
    pub reason: Rejection,
}

#[derive(Debug, thiserror::Error)]
pub enum ReissueError {
    #[error("the server's heads are not in the local record")]
    UnknownServerHeads,
    #[error("the new actor does not belong to this device")]
    ForeignActor,
    #[error("the new actor already wrote changes the server has not stored")]
    ActorNotFresh,
    #[error("automerge: {0}")]
    Automerge(#[from] AutomergeError),
}

/// Rebuilds `local` on `server_heads`: see the module docs. `actor` must start with the
/// sender's device prefix and must not have written any change the server lacks; `sender` and
/// `policy` are what the server checks the changes against.
pub fn reissue(
    local: &Automerge,
    server_heads: &[ChangeHash],
    sender: &Sender,
    actor: ActorId,
    policy: Policy,
) -> Result<Reissued, ReissueError> {
    if sender.actor_prefix.is_empty() || !actor.to_bytes().starts_with(&sender.actor_prefix) {
        return Err(ReissueError::ForeignActor);
    }
    let mut base = local
        .fork_at(server_heads)
        .map_err(|_| ReissueError::UnknownServerHeads)?
        .with_actor(actor.clone());
    // The maps added after genesis come by their one canonical change, never re-issued.
    if record::schema::is_upgraded(local) {
        record::schema::upgrade(&mut base).map_err(|_| ReissueError::UnknownServerHeads)?;
    }
    let unacknowledged = local.get_changes_meta(server_heads);
    if unacknowledged.iter().any(|m| *m.actor == actor) {
        return Err(ReissueError::ActorNotFresh);
    }
    let origins: Vec<Origin> = unacknowledged
        .iter()
        .map(|m| Origin {
            actor: m.actor.clone().into_owned(),
            ops: m.start_op..=m.max_op,
            time: m.timestamp,
            message: m.message.as_deref().map(str::to_owned),
        })
        .collect();
    let seq = base
        .get_changes_meta(&[])
        .iter()
        .filter(|m| *m.actor == actor)
        .map(|m| m.seq)
        .max()
        .unwrap_or(0);
    let mut run = Run {
        local,
        sender,
        policy,
        fallback_time: origins.iter().map(|o| o.time).max().unwrap_or(0),
        origins,
        base,
        seq,
        reissued: 0,
        dropped: Vec::new(),
    };
    run.root()?;
    Ok(Reissued {
        doc: run.base,
        reissued: run.reissued,
        dropped: run.dropped,
    })
}

/// A local change the server lacks: re-issued values keep its time and message.
struct Origin {
    actor: ActorId,
    ops: RangeInclusive<u64>,
    time: i64,
    message: Option<String>,
}

/// Where an item sits, for the report.
#[derive(Clone)]
struct Place {
    map: String,
    entry: String,
    field: Option<String>,
}

/// One write, replayed from the local copy.
#[derive(Clone)]
enum Edit {
    /// Put the local value `id` (deep-copied if an object) at `key` of `parent`.
    Put {
        parent: ObjId,
        key: String,
        id: ObjId,
        value: Value<'static>,
    },
    /// Delete `key` of `parent`.
    Delete { parent: ObjId, key: String },
    /// Make `obj`, which both copies hold, match the local copy.
    Match { obj: ObjId },
}

/// How a key differs between the local copy and the fork.
#[derive(Default)]
struct KeyDiff {
    /// Values to write (or the delete), each an item on its own where items are per key.
    edits: Vec<Edit>,
    /// The visible value is an object both copies hold: look inside it.
    same_object: Option<ObjId>,
}

enum Outcome {
    Kept,
    Unchanged,
    Refused(Rejection),
}

struct Run<'a> {
    local: &'a Automerge,
    sender: &'a Sender,
    policy: Policy,
    origins: Vec<Origin>,
    fallback_time: i64,
    /// The fork with every accepted item applied; its actor is the fresh one.
    base: Automerge,
    /// The fresh actor's last sequence number in `base`.
    seq: u64,
    reissued: usize,
    dropped: Vec<Dropped>,
}

impl Run<'_> {
    fn root(&mut self) -> Result<(), ReissueError> {
        let mut keys = union_keys(self.local, &self.base, &ROOT);
        // Corrections point at observations: those go first (the sort is stable).
        keys.sort_by_key(|k| k != "observations");
        for key in keys {
            let place = Place {
                map: key.clone(),
                entry: String::new(),
                field: None,
            };
            let diff = key_diff(self.local, &self.base, &ROOT, &key)?;
            for edit in diff.edits {
                self.one(&place, vec![edit])?;
            }
            if let Some(obj) = diff.same_object {
                if record::all_entry_maps().any(|m| m == key) {
                    self.entries(&key, &obj)?;
                } else if differs(self.local, &self.base, &obj)? {
                    self.one(&place, vec![Edit::Match { obj }])?;
                }
            }
        }
        Ok(())
    }

    fn entries(&mut self, map: &str, map_obj: &ObjId) -> Result<(), ReissueError> {
        for id in union_keys(self.local, &self.base, map_obj) {
            let place = Place {
                map: map.to_owned(),
                entry: id.clone(),
                field: None,
            };
            let diff = key_diff(self.local, &self.base, map_obj, &id)?;
            for edit in diff.edits {
                self.one(&place, vec![edit])?;
            }
            if let Some(obj) = diff.same_object {
                self.fields(place, &obj)?;
            }
        }
        Ok(())
    }

    /// An entry the server has: its changed fields go as one change, so an observation edit
    /// that is only valid as a whole stays whole; if that is refused, field by field.
    fn fields(&mut self, place: Place, entry: &ObjId) -> Result<(), ReissueError> {
        let mut fields: Vec<(String, Vec<Edit>)> = Vec::new();
        for key in union_keys(self.local, &self.base, entry) {
            let diff = key_diff(self.local, &self.base, entry, &key)?;
            let mut edits = diff.edits;
            if let Some(obj) = diff.same_object {
                if differs(self.local, &self.base, &obj)? {
                    edits.push(Edit::Match { obj });
                }
            }
            if !edits.is_empty() {
                fields.push((key, edits));
            }
        }
        let field_place = |key: &str| Place {
            field: Some(key.to_owned()),
            ..place.clone()
        };
        match fields.as_slice() {
            [] => {}
            [(key, edits)] => self.one(&field_place(key), edits.clone())?,
            _ => {
                let all = fields.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
                if let Outcome::Refused(_) = self.attempt(all)? {
                    for (key, edits) in fields {
                        self.one(&field_place(&key), edits)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// One item: kept, or reported.
    fn one(&mut self, place: &Place, edits: Vec<Edit>) -> Result<(), ReissueError> {
        if let Outcome::Refused(reason) = self.attempt(edits)? {
            self.dropped.push(Dropped {
                map: place.map.clone(),
                entry: place.entry.clone(),
                field: place.field.clone(),
                reason,
            });
        }
        Ok(())
    }

    /// Writes `edits` as one change on a copy of `base` and keeps it if the policy accepts it.
    fn attempt(&mut self, edits: Vec<Edit>) -> Result<Outcome, ReissueError> {
        let (time, message) = self.origin(&edits);
        let mut trial = self.base.clone();
        let mut tx = trial.transaction();
        for edit in &edits {
            apply(&mut tx, self.local, edit)?;
        }
        let (hash, _) = tx.commit_with(
            CommitOptions::default()
                .with_time(time)
                .with_message(message),
        );
        let Some(hash) = hash else {
            return Ok(Outcome::Unchanged);
        };
        let change = trial
            .get_change_by_hash(&hash)
            .ok_or(AutomergeError::InvalidHash(hash))?;
        let actor = trial.get_actor().clone();
        let seq = self.seq;
        let last_seq = move |a: &ActorId| if *a == actor { seq } else { 0 };
        match validate::check(&self.base, &[change], self.sender, &last_seq, self.policy) {
            Ok(_) => {
                self.base = trial;
                self.seq += 1;
                self.reissued += 1;
                Ok(Outcome::Kept)
            }
            Err(reason) => Ok(Outcome::Refused(reason)),
        }
    }

    /// The time and message of the local change that wrote the item's first new value.
    fn origin(&self, edits: &[Edit]) -> (i64, String) {
        let found = edits.iter().find_map(|e| match e {
            Edit::Put {
                id: ObjId::Id(counter, actor, _),
                ..
            } => self
                .origins
                .iter()
                .find(|o| o.actor == *actor && o.ops.contains(counter)),
            _ => None,
        });
        match found {
            Some(o) => (
                o.time,
                o.message.clone().unwrap_or_else(|| "re-issued".into()),
            ),
            None => (self.fallback_time, "re-issued".into()),
        }
    }
}

/// Keys of `obj` in either copy, in order.
fn union_keys(a: &Automerge, b: &Automerge, obj: &ObjId) -> Vec<String> {
    a.keys(obj)
        .chain(b.keys(obj))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn key_diff(
    local: &Automerge,
    base: &Automerge,
    parent: &ObjId,
    key: &str,
) -> Result<KeyDiff, AutomergeError> {
    let there: Vec<ObjId> = base
        .get_all(parent, key)?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let mut diff = KeyDiff::default();
    let Some((visible, visible_id)) = local.get(parent, key)? else {
        if !there.is_empty() {
            diff.edits.push(Edit::Delete {
                parent: parent.clone(),
                key: key.to_owned(),
            });
        }
        return Ok(diff);
    };
    // Values only this tablet has; the visible one last, so it stays visible.
    let mut fresh: Vec<(Value<'static>, ObjId)> = local
        .get_all(parent, key)?
        .into_iter()
        .filter(|(_, id)| !there.contains(id) && *id != visible_id)
        .map(|(v, id)| (v.into_owned(), id))
        .collect();
    if !there.contains(&visible_id) {
        fresh.push((visible.into_owned(), visible_id));
    } else if fresh.is_empty() && visible.is_object() {
        diff.same_object = Some(visible_id);
    }
    diff.edits = fresh
        .into_iter()
        .map(|(value, id)| Edit::Put {
            parent: parent.clone(),
            key: key.to_owned(),
            id,
            value,
        })
        .collect();
    Ok(diff)
}

/// Whether the object, held by both copies, differs in any value below it.
fn differs(local: &Automerge, base: &Automerge, obj: &ObjId) -> Result<bool, AutomergeError> {
    let ids = |doc: &Automerge, prop: Prop| -> Result<Vec<ObjId>, AutomergeError> {
        Ok(doc
            .get_all(obj, prop)?
            .into_iter()
            .map(|(_, id)| id)
            .collect())
    };
    let props: Vec<Prop> = match local.object_type(obj)? {
        ObjType::Map | ObjType::Table => union_keys(local, base, obj)
            .into_iter()
            .map(Prop::Map)
            .collect(),
        ObjType::List => {
            let len = local.length(obj);
            if len != base.length(obj) {
                return Ok(true);
            }
            (0..len).map(Prop::Seq).collect()
        }
        ObjType::Text => return Ok(local.text(obj)? != base.text(obj)?),
    };
    for prop in props {
        if ids(local, prop.clone())? != ids(base, prop.clone())? {
            return Ok(true);
        }
        if let Some((Value::Object(_), id)) = local.get(obj, prop)? {
            if differs(local, base, &id)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Where a copied value goes.
enum Slot {
    Put(Prop),
    Insert(usize),
}

fn apply(tx: &mut Transaction<'_>, local: &Automerge, edit: &Edit) -> Result<(), AutomergeError> {
    match edit {
        Edit::Put {
            parent,
            key,
            id,
            value,
        } => write(
            tx,
            local,
            value,
            id,
            parent,
            Slot::Put(Prop::Map(key.clone())),
        ),
        Edit::Delete { parent, key } => tx.delete(parent, key.as_str()),
        Edit::Match { obj } => match_obj(tx, local, obj),
    }
}

/// Writes the local value `src` (`value`) into `parent`, copying objects deeply.
fn write(
    tx: &mut Transaction<'_>,
    local: &Automerge,
    value: &Value<'_>,
    src: &ObjId,
    parent: &ObjId,
    slot: Slot,
) -> Result<(), AutomergeError> {
    match (value, slot) {
        (Value::Scalar(s), Slot::Put(prop)) => tx.put(parent, prop, s.clone().into_owned()),
        (Value::Scalar(s), Slot::Insert(i)) => tx.insert(parent, i, s.clone().into_owned()),
        (Value::Object(typ), slot) => {
            let new = match slot {
                Slot::Put(prop) => tx.put_object(parent, prop, *typ)?,
                Slot::Insert(i) => tx.insert_object(parent, i, *typ)?,
            };
            fill(tx, local, src, &new, *typ)
        }
    }
}

fn fill(
    tx: &mut Transaction<'_>,
    local: &Automerge,
    src: &ObjId,
    dst: &ObjId,
    typ: ObjType,
) -> Result<(), AutomergeError> {
    match typ {
        ObjType::Map | ObjType::Table => {
            for key in local.keys(src) {
                if let Some((v, id)) = local.get(src, key.as_str())? {
                    write(tx, local, &v, &id, dst, Slot::Put(Prop::Map(key)))?;
                }
            }
        }
        ObjType::List => {
            let mut at = 0;
            for i in 0..local.length(src) {
                if let Some((v, id)) = local.get(src, i)? {
                    write(tx, local, &v, &id, dst, Slot::Insert(at))?;
                    at += 1;
                }
            }
        }
        ObjType::Text => tx.splice_text(dst, 0, 0, &local.text(src)?)?,
    }
    Ok(())
}

/// Makes `obj`, which both copies hold, show what the local copy shows.
fn match_obj(
    tx: &mut Transaction<'_>,
    local: &Automerge,
    obj: &ObjId,
) -> Result<(), AutomergeError> {
    match local.object_type(obj)? {
        ObjType::Map | ObjType::Table => {
            let keys: BTreeSet<String> = local.keys(obj).chain(tx.keys(obj)).collect();
            for key in keys {
                match_slot(tx, local, obj, Prop::Map(key))?;
            }
        }
        ObjType::List => {
            let (here, there) = (local.length(obj), tx.length(obj));
            for i in 0..here.min(there) {
                match_slot(tx, local, obj, Prop::Seq(i))?;
            }
            for i in there..here {
                if let Some((v, id)) = local.get(obj, i)? {
                    write(tx, local, &v, &id, obj, Slot::Insert(i))?;
                }
            }
            for i in (here..there).rev() {
                tx.delete(obj, i)?;
            }
        }
        ObjType::Text => {
            let text = local.text(obj)?;
            if tx.text(obj)? != text {
                let len = isize::try_from(tx.length(obj)).unwrap_or(isize::MAX);
                tx.splice_text(obj, 0, len, &text)?;
            }
        }
    }
    Ok(())
}

fn match_slot(
    tx: &mut Transaction<'_>,
    local: &Automerge,
    obj: &ObjId,
    prop: Prop,
) -> Result<(), AutomergeError> {
    let there = tx
        .get(obj, prop.clone())?
        .map(|(v, id)| (v.into_owned(), id));
    match (local.get(obj, prop.clone())?, there) {
        (None, None) => Ok(()),
        (None, Some(_)) => tx.delete(obj, prop),
        (Some((v, id)), Some((_, there_id))) if id == there_id => match v {
            Value::Object(_) => match_obj(tx, local, &id),
            Value::Scalar(_) => Ok(()),
        },
        (Some((Value::Scalar(a), _)), Some((Value::Scalar(b), _))) if a == b => Ok(()),
        (Some((v, id)), _) => write(tx, local, &v, &id, obj, Slot::Put(prop)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document with every kind of value the copy has to handle.
    fn sample() -> Automerge {
        let mut doc = Automerge::new().with_actor(ActorId::from(b"a".to_vec()));
        let mut tx = doc.transaction();
        let m = tx.put_object(ROOT, "m", ObjType::Map).expect("map");
        tx.put(&m, "s", "one").expect("put");
        tx.put(&m, "n", 3u64).expect("put");
        let l = tx.put_object(&m, "l", ObjType::List).expect("list");
        for (i, w) in ["x", "y", "z"].iter().enumerate() {
            tx.insert(&l, i, *w).expect("insert");
        }
        let inner = tx.insert_object(&l, 3, ObjType::Map).expect("item");
        tx.put(&inner, "k", true).expect("put");
        let t = tx.put_object(&m, "t", ObjType::Text).expect("text");
        tx.splice_text(&t, 0, 0, "hello").expect("splice");
        tx.commit();
        doc
    }

    fn obj(doc: &Automerge, parent: &ObjId, key: &str) -> ObjId {
        match doc.get(parent, key).expect("get") {
            Some((Value::Object(_), id)) => id,
            _ => panic!("no object at {key}"),
        }
    }

    /// Edits `base` in a fork, then matches a second fork of `base` to it with `match_obj`.
    fn check_match(edit: impl FnOnce(&mut Transaction<'_>, &ObjId)) {
        let base = sample();
        let mut local = base.fork().with_actor(ActorId::from(b"b".to_vec()));
        let m = obj(&local, &ROOT, "m");
        let mut tx = local.transaction();
        edit(&mut tx, &m);
        tx.commit();
        assert!(
            differs(&local, &base, &m).expect("differs"),
            "edit changed nothing"
        );

        let mut copy = base.fork().with_actor(ActorId::from(b"c".to_vec()));
        let mut tx = copy.transaction();
        match_obj(&mut tx, &local, &m).expect("match");
        tx.commit();
        assert_eq!(json(&copy), json(&local));
    }

    fn json(doc: &Automerge) -> serde_json::Value {
        serde_json::to_value(automerge::AutoSerde::from(doc)).expect("json")
    }

    #[test]
    fn matching_copies_every_kind_of_edit() {
        check_match(|tx, m| tx.put(m, "s", "two").expect("put"));
        check_match(|tx, m| tx.delete(m, "n").expect("delete"));
        check_match(|tx, m| {
            let l = obj_tx(tx, m, "l");
            tx.delete(&l, 0).expect("delete");
            tx.insert(&l, 1, "w").expect("insert");
        });
        check_match(|tx, m| {
            let l = obj_tx(tx, m, "l");
            let Some((_, inner)) = tx.get(&l, 3).expect("get") else {
                panic!("no item")
            };
            tx.put(&inner, "k", false).expect("put");
            let o = tx.insert_object(&l, 4, ObjType::Map).expect("obj");
            let deep = tx.put_object(&o, "deep", ObjType::List).expect("list");
            tx.insert(&deep, 0, 7i64).expect("insert");
        });
        check_match(|tx, m| {
            let l = obj_tx(tx, m, "l");
            tx.delete(&l, 0).expect("delete");
            tx.delete(&l, 0).expect("delete");
        });
        check_match(|tx, m| {
            tx.put_object(m, "s", ObjType::List)
                .expect("scalar becomes list");
        });
        check_match(|tx, m| {
            let t = obj_tx(tx, m, "t");
            tx.splice_text(&t, 5, 0, ", world").expect("splice");
        });
        check_match(|tx, m| {
            let fresh = tx.put_object(m, "new", ObjType::Map).expect("map");
            let t = tx.put_object(&fresh, "text", ObjType::Text).expect("text");
            tx.splice_text(&t, 0, 0, "copied").expect("splice");
        });
    }

    fn obj_tx(tx: &Transaction<'_>, parent: &ObjId, key: &str) -> ObjId {
        match tx.get(parent, key).expect("get") {
            Some((Value::Object(_), id)) => id,
            _ => panic!("no object at {key}"),
        }
    }

    #[test]
    fn an_unchanged_object_does_not_differ() {
        let base = sample();
        let local = base.fork();
        let m = obj(&base, &ROOT, "m");
        assert!(!differs(&local, &base, &m).expect("differs"));
    }
}
