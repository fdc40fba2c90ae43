//! Writing and reading entries kept in root-level maps keyed by entry id.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ROOT};
use autosurgeon::{Hydrate, Reconcile};

use super::RecordError;

/// The object id of a root-level entry map (created by genesis).
pub fn map_obj<D: ReadDoc>(doc: &D, key: &str) -> Result<ObjId, RecordError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(RecordError::NotARecord),
    }
}

/// Runs `f` in one transaction committed as one change stamped with `now_ms`.
pub fn change<T>(
    doc: &mut Automerge,
    now_ms: i64,
    message: &str,
    f: impl FnOnce(&mut Transaction<'_>) -> Result<T, RecordError>,
) -> Result<(T, ChangeHash), RecordError> {
    let mut tx = doc.transaction();
    let out = match f(&mut tx) {
        Ok(v) => v,
        Err(e) => {
            tx.rollback();
            return Err(e);
        }
    };
    let (hash, _) = tx.commit_with(
        CommitOptions::default()
            .with_time(now_ms / 1000)
            .with_message(message),
    );
    hash.map(|h| (out, h)).ok_or(RecordError::NoChange)
}

/// Writes `value` as a new entry `id` in the root map `map`. Entries are never rewritten, so
/// an id the record already holds is refused (the server would refuse the change).
pub fn put<T: Reconcile>(
    tx: &mut Transaction<'_>,
    map: &str,
    id: &str,
    value: &T,
) -> Result<(), RecordError> {
    let obj = map_obj(tx, map)?;
    if tx.get(&obj, id)?.is_some() {
        return Err(RecordError::Exists);
    }
    autosurgeon::reconcile_prop(tx, &obj, id, value)?;
    Ok(())
}

/// Creates the map object for the new entry `id` in the root map `map`.
pub fn entry_obj(tx: &mut Transaction<'_>, map: &str, id: &str) -> Result<ObjId, RecordError> {
    let obj = map_obj(tx, map)?;
    if tx.get(&obj, id)?.is_some() {
        return Err(RecordError::Exists);
    }
    Ok(tx.put_object(&obj, id, ObjType::Map)?)
}

/// Whether the root map `map` holds an entry `id`.
pub fn contains<D: ReadDoc>(doc: &D, map: &str, id: &str) -> Result<bool, RecordError> {
    let obj = map_obj(doc, map)?;
    Ok(doc.get(&obj, id)?.is_some())
}

/// Reads every entry of the added map `map` ([`super::schema`]) sorted by `key`; a record
/// without the map (never upgraded, or by an older release) has none.
pub fn read_added<T: Hydrate, K: Ord>(
    doc: &Automerge,
    map: &str,
    key: impl Fn(&T) -> K,
) -> Result<(Vec<T>, usize), RecordError> {
    if !super::schema::has_map(doc, map) {
        return Ok((Vec::new(), 0));
    }
    let (mut v, bad) = read_all::<T>(doc, map)?;
    v.sort_by_key(|e| key(e));
    Ok((v, bad))
}

/// Reads every entry of the root map `map`; returns them with the count that could not be read.
pub fn read_all<T: Hydrate>(doc: &Automerge, map: &str) -> Result<(Vec<T>, usize), RecordError> {
    let obj = map_obj(doc, map)?;
    let mut out = Vec::new();
    let mut unreadable = 0;
    let keys: Vec<String> = doc.keys(&obj).collect();
    for key in keys {
        match autosurgeon::hydrate_prop::<_, T, _, _>(doc, &obj, key.as_str()) {
            Ok(v) => out.push(v),
            Err(_) => unreadable += 1,
        }
    }
    Ok((out, unreadable))
}
