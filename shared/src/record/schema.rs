//! Root maps added after the first release, and the changes that make them.
//!
//! Genesis made the first maps; a map added later cannot simply be made by whoever writes
//! into it first, because two tablets making it offline would make two maps at one key and
//! the entries in the losing one would never show. So every added map is made by a
//! *canonical* change: written by the record's genesis actor, on genesis and the earlier
//! canonical changes alone, at time 0. Each release that adds maps adds one [`Step`]: its
//! change is the genesis actor's next change. Every replica that needs the maps makes the same
//! bytes (the same hashes), so making them twice, on two tablets or on a tablet and the
//! server, is one change each. Writers into an added map call [`upgrade`] first; the server
//! accepts the canonical changes from any sender (`validate` compares their hashes) and stores
//! them like any other.

use automerge::transaction::CommitOptions;
use automerge::{AutomergeError, Change, ObjType, ReadDoc, ROOT};

use super::{Automerge, RecordError};
use crate::ids::ChildId;

/// Episodes of the child's plan history ([`super::episodes`]).
pub const EPISODES: &str = "episodes";
/// What happened within an episode: category changes, placement moves.
pub const EPISODE_EVENTS: &str = "episode_events";
/// Visits: the child seen, alone, at home, the bedroom; what made a visit hard
/// ([`super::visits`]).
pub const VISITS: &str = "visits";
/// A manager's debrief of a hostile or difficult visit.
pub const DEBRIEFS: &str = "debriefs";
/// A manager's response to drift, with its review date ([`super::escalation`]).
pub const DRIFT_RESPONSES: &str = "drift_responses";
/// Professional challenges: one agency's disagreement with a decision.
pub const CHALLENGES: &str = "challenges";
/// A challenge's moves from stage to stage, and its close with an outcome.
pub const CHALLENGE_STEPS: &str = "challenge_steps";

/// Concerns matched to this child at the front door ([`super::front_door`]); written by the
/// server only.
pub const CONCERNS: &str = "concerns";
/// Answers to concerns: the front door's decision, or what a concern's owner did.
pub const CONCERN_RESPONSES: &str = "concern_responses";
/// Strategy discussions as minuted: attendees by agency, the section 47 decision
/// ([`super::strategy`]).
pub const STRATEGY_DISCUSSIONS: &str = "strategy_discussions";
/// Decisions to share or not to share information ([`super::sharing`]).
pub const SHARING_DECISIONS: &str = "sharing_decisions";

/// One release's added maps, made by one canonical change with this message.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub message: &'static str,
    pub maps: &'static [&'static str],
}

/// Every step, oldest first: the n-th is the genesis actor's (n + 2)-th change.
pub const STEPS: &[Step] = &[
    Step {
        message: "schema 2",
        maps: &[EPISODES, EPISODE_EVENTS],
    },
    Step {
        message: "schema 3",
        maps: &[
            VISITS,
            DEBRIEFS,
            DRIFT_RESPONSES,
            CHALLENGES,
            CHALLENGE_STEPS,
        ],
    },
    Step {
        message: "schema 4",
        maps: &[
            CONCERNS,
            CONCERN_RESPONSES,
            STRATEGY_DISCUSSIONS,
            SHARING_DECISIONS,
        ],
    },
];

/// Every added map, in the order the steps make them.
pub const ADDED_MAPS: &[&str] = &[
    EPISODES,
    EPISODE_EVENTS,
    VISITS,
    DEBRIEFS,
    DRIFT_RESPONSES,
    CHALLENGES,
    CHALLENGE_STEPS,
    CONCERNS,
    CONCERN_RESPONSES,
    STRATEGY_DISCUSSIONS,
    SHARING_DECISIONS,
];

/// The message of the first canonical change.
pub const UPGRADE_MESSAGE: &str = "schema 2";

/// The canonical changes that make [`ADDED_MAPS`] in the record of `child`, one per step.
pub fn upgrade_changes(child: &ChildId) -> Vec<Change> {
    let mut doc = super::genesis(child);
    let mut out = Vec::with_capacity(STEPS.len());
    for step in STEPS {
        let made = doc.transact_with::<_, _, AutomergeError, _>(
            |_| {
                CommitOptions::default()
                    .with_time(0)
                    .with_message(step.message)
            },
            |tx| {
                for map in step.maps {
                    automerge::transaction::Transactable::put_object(tx, ROOT, *map, ObjType::Map)?;
                }
                Ok(())
            },
        );
        // Puts of new keys on a fresh document cannot fail.
        debug_assert!(made.is_ok());
        out.push(
            doc.get_last_local_change()
                .expect("the upgrade writes a change"),
        );
    }
    out
}

/// The first canonical change (the episodes' maps).
pub fn upgrade_change(child: &ChildId) -> Change {
    upgrade_changes(child).swap_remove(0)
}

/// Whether `change` is one of the canonical changes of the record `doc` holds.
pub fn is_upgrade(doc: &Automerge, change: &Change) -> bool {
    change
        .message()
        .is_some_and(|m| STEPS.iter().any(|s| s.message == m))
        && child_of(doc).is_some_and(|child| {
            upgrade_changes(&child)
                .iter()
                .any(|c| c.hash() == change.hash())
        })
}

/// The child a record belongs to, from its genesis.
pub fn child_of(doc: &Automerge) -> Option<ChildId> {
    match doc.get(ROOT, "child_id").ok().flatten() {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().and_then(|s| s.parse().ok()),
        _ => None,
    }
}

/// Whether the record holds the added map `map` (a record upgraded by an older release holds
/// only the earlier steps' maps).
pub fn has_map(doc: &Automerge, map: &str) -> bool {
    matches!(
        doc.get(ROOT, map),
        Ok(Some((automerge::Value::Object(ObjType::Map), _)))
    )
}

/// Whether the record holds any added map: some step was applied, so a copy of it
/// (recovery, the same-child copy) needs [`upgrade`] too.
pub fn is_upgraded(doc: &Automerge) -> bool {
    ADDED_MAPS.iter().any(|m| has_map(doc, m))
}

/// Makes every added map the record lacks, by applying the canonical changes.
pub fn upgrade(doc: &mut Automerge) -> Result<(), RecordError> {
    if ADDED_MAPS.iter().all(|m| has_map(doc, m)) {
        return Ok(());
    }
    let child = child_of(doc).ok_or(RecordError::NotARecord)?;
    doc.apply_changes(upgrade_changes(&child))?;
    if ADDED_MAPS.iter().all(|m| has_map(doc, m)) {
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
        assert_eq!(
            a.get_changes(&[]).len(),
            1 + STEPS.len(),
            "genesis and one change per step"
        );
        assert!(ADDED_MAPS.iter().all(|m| has_map(&a, m)));
        for upgrade in upgrade_changes(&child) {
            assert!(is_upgrade(&a, &upgrade));
        }
        let other: ChildId = "child-2".parse().expect("id");
        assert!(!is_upgrade(&a, &upgrade_change(&other)));
    }

    #[test]
    fn a_record_upgraded_by_an_older_release_takes_the_later_steps() {
        let child: ChildId = "child-1".parse().expect("id");
        let mut old = super::super::new_replica(&child, automerge::ActorId::from(b"aaaa".to_vec()));
        old.apply_changes([upgrade_change(&child)])
            .expect("schema 2");
        assert!(has_map(&old, EPISODES) && !has_map(&old, VISITS));
        assert!(is_upgraded(&old));
        upgrade(&mut old).expect("the later steps");
        let mut new = super::super::new_replica(&child, automerge::ActorId::from(b"bbbb".to_vec()));
        upgrade(&mut new).expect("all at once");
        assert_eq!(old.get_heads(), new.get_heads());
    }
}
