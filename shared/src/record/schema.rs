//! Root maps added after the first release, and the one change that makes them.
//!
//! Genesis made the first maps; a map added later cannot simply be made by whoever writes
//! into it first, because two tablets making it offline would make two maps at one key and
//! the entries in the losing one would never show. So every added map is made by one
//! *canonical* change: written by the record's genesis actor, as its second change, on the
//! genesis alone, at time 0. Every replica that needs the maps makes the same bytes (the same
//! hash), so making it twice, on two tablets or on a tablet and the server, is one change.
//! Writers into an added map call [`upgrade`] first; the server accepts the canonical change
//! from any sender (`validate` compares its hash) and stores it like any other.

use automerge::transaction::CommitOptions;
use automerge::{AutomergeError, Change, ObjType, ReadDoc, ROOT};

use super::{Automerge, RecordError};
use crate::ids::ChildId;

/// Episodes of the child's plan history ([`super::episodes`]).
pub const EPISODES: &str = "episodes";
/// What happened within an episode: category changes, placement moves.
pub const EPISODE_EVENTS: &str = "episode_events";

/// The root maps the canonical upgrade change makes, in the order it makes them.
pub const ADDED_MAPS: &[&str] = &[EPISODES, EPISODE_EVENTS];

/// The message of the canonical change.
pub const UPGRADE_MESSAGE: &str = "schema 2";

/// The canonical change that makes [`ADDED_MAPS`] in the record of `child`.
pub fn upgrade_change(child: &ChildId) -> Change {
    let mut doc = super::genesis(child);
    let made = doc.transact_with::<_, _, AutomergeError, _>(
        |_| {
            CommitOptions::default()
                .with_time(0)
                .with_message(UPGRADE_MESSAGE)
        },
        |tx| {
            for map in ADDED_MAPS {
                automerge::transaction::Transactable::put_object(tx, ROOT, *map, ObjType::Map)?;
            }
            Ok(())
        },
    );
    // Puts on a fresh genesis document cannot fail.
    debug_assert!(made.is_ok());
    doc.get_last_local_change()
        .expect("the upgrade writes a change")
}

/// Whether `change` is the canonical upgrade change of the record `doc` holds.
pub fn is_upgrade(doc: &Automerge, change: &Change) -> bool {
    change.message().is_some_and(|m| m == UPGRADE_MESSAGE)
        && child_of(doc).is_some_and(|child| upgrade_change(&child).hash() == change.hash())
}

/// The child a record belongs to, from its genesis.
pub fn child_of(doc: &Automerge) -> Option<ChildId> {
    match doc.get(ROOT, "child_id").ok().flatten() {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().and_then(|s| s.parse().ok()),
        _ => None,
    }
}

/// Whether the record holds the added maps.
pub fn is_upgraded(doc: &Automerge) -> bool {
    matches!(
        doc.get(ROOT, EPISODES),
        Ok(Some((automerge::Value::Object(ObjType::Map), _)))
    )
}

/// Makes the added maps if the record lacks them, by applying the canonical change.
pub fn upgrade(doc: &mut Automerge) -> Result<(), RecordError> {
    if is_upgraded(doc) {
        return Ok(());
    }
    let child = child_of(doc).ok_or(RecordError::NotARecord)?;
    doc.apply_changes([upgrade_change(&child)])?;
    if is_upgraded(doc) {
        Ok(())
    } else {
        Err(RecordError::NotARecord)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upgrade_is_one_change_wherever_it_is_made() {
        let child: ChildId = "child-1".parse().expect("id");
        let mut a = super::super::new_replica(&child, automerge::ActorId::from(b"aaaa".to_vec()));
        let mut b = super::super::new_replica(&child, automerge::ActorId::from(b"bbbb".to_vec()));
        upgrade(&mut a).expect("a");
        upgrade(&mut b).expect("b");
        upgrade(&mut b).expect("twice is once");
        assert_eq!(a.get_heads(), b.get_heads());
        a.merge(&mut b).expect("merge");
        assert_eq!(a.get_changes(&[]).len(), 2, "genesis and the upgrade");
        assert!(is_upgraded(&a));
        let upgrade = upgrade_change(&child);
        assert!(is_upgrade(&a, &upgrade));
        let other: ChildId = "child-2".parse().expect("id");
        assert!(!is_upgrade(&a, &upgrade_change(&other)));
    }
}
