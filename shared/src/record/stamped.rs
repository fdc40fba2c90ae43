//! Fields several people may edit, kept so that concurrent edits stay visible.
//!
//! Each write puts a *new* map object at the field's key holding the value and who set it and
//! when. Two offline edits of the same field therefore become two concurrent objects at that
//! key, which Automerge keeps as a conflict: [`read`] returns both, with author and time, until
//! someone writes again after seeing them (which supersedes both).

use automerge::transaction::Transactable;
use automerge::transaction::Transaction;
use automerge::{Automerge, ObjId, ObjType, ReadDoc, Value};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::RecordError;

/// Who set a value, and when (milliseconds since the Unix epoch, from the device's clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Stamp {
    pub by: crate::ids::UserId,
    pub by_name: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub value: T,
    pub stamp: Stamp,
}

/// Every current value of a field: one when settled, several when people disagreed offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    /// Oldest first. Empty if the field was never set.
    pub values: Vec<Stamped<T>>,
}

impl<T> Default for Field<T> {
    fn default() -> Self {
        Field { values: Vec::new() }
    }
}

impl<T> Field<T> {
    pub fn is_conflict(&self) -> bool {
        self.values.len() > 1
    }

    /// The most recently stamped value, for places that need one (analytics treat a
    /// conflict conservatively where it matters, see their docs).
    pub fn latest(&self) -> Option<&Stamped<T>> {
        self.values.last()
    }
}

/// Sets `key` on `parent` to a fresh stamped object.
pub fn write<T: Reconcile>(
    tx: &mut Transaction<'_>,
    parent: &ObjId,
    key: &str,
    value: &T,
    stamp: &Stamp,
) -> Result<(), RecordError> {
    let obj = tx.put_object(parent, key, ObjType::Map)?;
    autosurgeon::reconcile_prop(tx, &obj, "value", value)?;
    autosurgeon::reconcile_prop(tx, &obj, "stamp", stamp)?;
    Ok(())
}

/// Reads every concurrent value of `key`; values this version cannot read are skipped.
pub fn read<T: Hydrate>(
    doc: &Automerge,
    parent: &ObjId,
    key: &str,
) -> Result<Field<T>, RecordError> {
    let mut values = Vec::new();
    for (value, id) in doc.get_all(parent, key)? {
        if !matches!(value, Value::Object(ObjType::Map)) {
            continue;
        }
        let v = autosurgeon::hydrate_prop::<_, T, _, _>(doc, &id, "value");
        let s = autosurgeon::hydrate_prop::<_, Stamp, _, _>(doc, &id, "stamp");
        if let (Ok(value), Ok(stamp)) = (v, s) {
            values.push(Stamped { value, stamp });
        }
    }
    values.sort_by(|a, b| (a.stamp.at_ms, &a.stamp.by).cmp(&(b.stamp.at_ms, &b.stamp.by)));
    Ok(Field { values })
}
