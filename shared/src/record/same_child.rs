//! A "same child" merge: two records created separately for one child become one. Every entry
//! of the record merged away (observations, corrections, people, plan actions, conferences,
//! assessments, supervisions) is copied, under its own id and with its own author and times,
//! into the record that stays; entries the staying record already has (by id) are left as
//! they are, so copying again (after a late sync into the old record) adds only what is new.
//! The record merged away is kept as it was. The child's plan (one stamped value) is copied
//! only when the staying record has none.
//!
//! Copies are written by one reserved actor ([`crate::ids::MERGE_ACTOR_PREFIX`] and the
//! staying child's id), so no tablet can write as it and the copy is deterministic.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutomergeError, ObjId, ObjType, Prop, ReadDoc, Value, ROOT};

use super::Automerge;
use crate::ids::{ChildId, MERGE_ACTOR_PREFIX};

/// What a merge copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// Entries copied, by map.
    pub entries: usize,
    /// Entries the staying record had already.
    pub already: usize,
    /// Whether the plan was copied (the staying record had none).
    pub plan: bool,
}

/// The actor copies into `into`'s record are written with.
pub fn merge_actor(into: &ChildId) -> ActorId {
    let mut bytes = MERGE_ACTOR_PREFIX.to_vec();
    bytes.extend_from_slice(into.as_str().as_bytes());
    ActorId::from(bytes)
}

/// Copies `value` (the object or scalar at `from_obj[prop]` in `from`) to `to_obj[prop]`.
fn copy(
    from: &Automerge,
    value: (Value<'_>, ObjId),
    tx: &mut impl Transactable,
    to_obj: &ObjId,
    prop: Prop,
) -> Result<(), AutomergeError> {
    match value {
        (Value::Object(kind @ (ObjType::Map | ObjType::Table)), id) => {
            let made = tx.put_object(to_obj, prop, kind)?;
            for key in from.keys(&id) {
                if let Some(v) = from.get(&id, key.as_str())? {
                    copy(from, v, tx, &made, Prop::Map(key))?;
                }
            }
        }
        (Value::Object(ObjType::List), id) => {
            let made = tx.put_object(to_obj, prop, ObjType::List)?;
            for i in 0..from.length(&id) {
                if let Some(v) = from.get(&id, i)? {
                    copy_into_list(from, v, tx, &made, i)?;
                }
            }
        }
        (Value::Object(ObjType::Text), id) => {
            let text = from.text(&id)?;
            let made = tx.put_object(to_obj, prop, ObjType::Text)?;
            tx.splice_text(&made, 0, 0, &text)?;
        }
        (Value::Scalar(s), _) => tx.put(to_obj, prop, s.into_owned())?,
    }
    Ok(())
}

fn copy_into_list(
    from: &Automerge,
    value: (Value<'_>, ObjId),
    tx: &mut impl Transactable,
    list: &ObjId,
    index: usize,
) -> Result<(), AutomergeError> {
    match value {
        (Value::Scalar(s), _) => tx.insert(list, index, s.into_owned()),
        (Value::Object(kind), id) => {
            let made = tx.insert_object(list, index, kind)?;
            match kind {
                ObjType::Map | ObjType::Table => {
                    for key in from.keys(&id) {
                        if let Some(v) = from.get(&id, key.as_str())? {
                            copy(from, v, tx, &made, Prop::Map(key))?;
                        }
                    }
                }
                ObjType::List => {
                    for i in 0..from.length(&id) {
                        if let Some(v) = from.get(&id, i)? {
                            copy_into_list(from, v, tx, &made, i)?;
                        }
                    }
                }
                ObjType::Text => {
                    let text = from.text(&id)?;
                    tx.splice_text(&made, 0, 0, &text)?;
                }
            }
            Ok(())
        }
    }
}

fn map_obj(doc: &Automerge, key: &str) -> Result<Option<ObjId>, AutomergeError> {
    Ok(match doc.get(ROOT, key)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

/// Copies every entry of `from` (the record merged away) that `into` (the record of `child`,
/// which stays) lacks, in one change at `at_ms`. Nothing is written when nothing is missing.
pub fn copy_entries(
    from: &Automerge,
    into: &mut Automerge,
    child: &ChildId,
    at_ms: i64,
) -> Result<Copied, AutomergeError> {
    let mut copied = Copied::default();
    if super::schema::is_upgraded(from) {
        super::schema::upgrade(into).map_err(|_| AutomergeError::Fail)?;
    }
    let previous = into.get_actor().clone();
    into.set_actor(merge_actor(child));
    let result = into.transact_with::<_, _, AutomergeError, _>(
        |_| CommitOptions::default().with_time(at_ms / 1000),
        |tx| {
            for map in super::all_entry_maps() {
                let (Some(source), Some(target)) = (map_obj(from, map)?, map_obj_tx(tx, map)?)
                else {
                    continue;
                };
                for key in from.keys(&source) {
                    if tx.get(&target, key.as_str())?.is_some() {
                        copied.already += 1;
                        continue;
                    }
                    if let Some(v) = from.get(&source, key.as_str())? {
                        copy(from, v, tx, &target, Prop::Map(key))?;
                        copied.entries += 1;
                    }
                }
            }
            if tx.get(ROOT, super::plan::PLAN_KEY)?.is_none() {
                if let Some(v) = from.get(ROOT, super::plan::PLAN_KEY)? {
                    copy(from, v, tx, &ROOT, Prop::Map(super::plan::PLAN_KEY.into()))?;
                    copied.plan = true;
                }
            }
            Ok(())
        },
    );
    into.set_actor(previous);
    result.map_err(|f| f.error)?;
    Ok(copied)
}

fn map_obj_tx(tx: &impl Transactable, key: &str) -> Result<Option<ObjId>, AutomergeError> {
    Ok(match tx.get(ROOT, key)? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}
