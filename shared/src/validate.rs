//! Server-side policy for incoming changes: a change is stored only if every one of its
//! operations is one that Quilt's own tablet code could have written for the sender.
//!
//! The policy is a definition of the good changes, not a list of bad ones. It is judged on the
//! raw operations of each change, never on the merged state alone, so an operation that loses
//! a conflict (and so never shows) is judged exactly like one that wins. The server applies a
//! tablet's new changes to a working copy of the stored record, then checks them; a change
//! that breaks any rule refuses the whole batch, with a reason the tablet can show, and the
//! stored record is untouched.
//!
//! The good changes ([`ops`] judges the operations, [`values`] what they wrote):
//! - **Header**: the actor is the sending device's id followed by exactly
//!   [`ACTOR_SUFFIX_LEN`] bytes; sequence numbers continue the actor's last stored change; the
//!   message is one Quilt writes; no Automerge author, no extra bytes, no empty change. Checked
//!   as the changes are applied ([`apply_ready`]), before Automerge sees them: the
//!   change depends on something, its start operation counter is one more than the highest
//!   counter of everything it depends on (what Automerge's own transaction computes), and
//!   every object and list item its operations name exists ([`resolvable`]).
//! - **Operations**: only `make map`, `make list` and `put` of a string, integer or boolean;
//!   never delete, increment, marks, text or tables. Every operation writes either
//!   - a new entry: a fresh key of one of the record's entry maps, made as a map with no
//!     predecessor, at a key the record does not hold (two concurrent withdrawals of one
//!     observation are the one exception, kept side by side);
//!   - a new stamped value: a fresh map at `plan`, or at `details`/`assessment` of a person or
//!     `status` of a plan action, whose predecessors are exactly the values the sender saw
//!     there (the values at that key at the change's dependencies: superseding what one has
//!     seen, never what one has not);
//!   - or a field inside an object made earlier in the same change: each key written once,
//!     list items inserted after the head or an item of the same list, no predecessors, at
//!     most [`MAX_DEPTH`] levels deep.
//! - **Values**: each new entry and stamped value reads back as its Rust type, holds only the
//!   keys that type writes, passes the type's own validation (the same function the tablet's
//!   writer calls: dates that parse, ranges, lengths, catalogue codes), has its inner id equal
//!   to its key, and names the sender (user id, display name, agency) wherever it names an
//!   author. A correction names an observation that exists; a withdrawal is keyed by the
//!   observation it withdraws and comes from that observation's author or a manager;
//!   supervision and episodes (a plan's start and end, what happens within it) need the
//!   manager role; an episode event names an episode of a kind it fits. A concern enters a
//!   record only from the front door (the server's own actor), never from a tablet; a
//!   response names a concern the record holds, a sharing decision the entry it is about.
//! - **The canonical upgrade change** that makes the maps added after genesis
//!   (`record::schema`) is accepted from anyone by its hash: it is byte-identical wherever it
//!   is made.

use std::collections::BTreeMap;

use automerge::{ActorId, Automerge, Change};

use crate::api::Role;
use crate::record;

mod apply;
mod ops;
mod values;

pub use apply::{apply_ready, apply_ready_keeping, ApplyError};
pub(crate) use ops::resolvable;

/// Bytes an honest tablet appends to its device id to make an actor: 8 fresh random bytes
/// per page load (`app/src/engine.rs` `fresh_actor`).
pub const ACTOR_SUFFIX_LEN: usize = 8;

/// Deepest nesting of objects in a new entry or stamped value, counting it as 1 (Quilt's
/// deepest is 3: an observation, its body-map list, a mark).
pub const MAX_DEPTH: usize = 4;

/// Who sent the changes, as the server knows them from the session and device binding.
#[derive(Debug, Clone)]
pub struct Sender {
    pub user_id: crate::ids::UserId,
    pub role: Role,
    /// The account's display name and agency: every author name and agency an entry carries
    /// must be these.
    pub display_name: String,
    pub agency: String,
    /// Every actor this device uses is these bytes followed by [`ACTOR_SUFFIX_LEN`] more.
    pub actor_prefix: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_changes: usize,
    pub max_ops: usize,
    /// The latest time (ms since the Unix epoch) an entry may say it was recorded or stamped:
    /// the server's clock plus the tolerance it grants tablets' clocks. `None` on the tablet,
    /// which has no trusted clock.
    pub latest_ms: Option<i64>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_changes: 2_000,
            max_ops: 20_000,
            latest_ms: None,
        }
    }
}

/// How far ahead of the server's clock a tablet's clock may run (a week: tablets are often
/// offline and their clocks drift; beyond that a stamp would sort as "latest" for ever).
pub const CLOCK_TOLERANCE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Why changes were refused. The text is shown to the practitioner and audited; it never
/// contains record content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("too many changes in one sync")]
    TooManyChanges,
    #[error("a change has more operations than allowed")]
    TooManyOps,
    #[error("a change was made by a device other than the one sending it")]
    ForeignActor,
    #[error("change sequence numbers do not continue from the last stored change")]
    BadSequence,
    #[error("a change's operation counter does not continue from the changes it builds on")]
    BadOpCounter,
    #[error("the changes could not be applied to the record")]
    Unapplicable,
    #[error("changes the structure of the record")]
    Structure,
    #[error("deletes an entry; entries are withdrawn or amended, never deleted")]
    DeletesEntry,
    #[error("replaces an existing entry")]
    ReplacesEntry,
    #[error("changes another person's observation; add an amendment instead")]
    OthersObservation,
    #[error("changes an entry that cannot be edited")]
    ImmutableEntry,
    #[error("overwrites values the sender had not seen or may not change")]
    ForeignPredecessor,
    #[error("names someone other than the sender as author")]
    ForgedAuthor,
    #[error("only the front door records a concern in a child's record")]
    FrontDoorOnly,
    #[error("needs the manager role")]
    ManagerOnly,
    #[error("only the author or a manager can withdraw an observation")]
    WithdrawNotAllowed,
    #[error("refers to an entry that is not in the record")]
    UnknownEntry,
    #[error("a value is outside the range Quilt allows")]
    OutOfRange,
    #[error("an entry is not in the shape this version of Quilt writes")]
    Malformed,
}

/// Checks `changes` (new to the server, in an order that satisfies their dependencies)
/// against the policy. `last_seq` gives the highest stored sequence number for an actor (0 if
/// none). On success, returns the record with the changes applied.
pub fn check(
    before: &Automerge,
    changes: &[Change],
    sender: &Sender,
    last_seq: &dyn Fn(&ActorId) -> u64,
    policy: Policy,
) -> Result<Automerge, Rejection> {
    let own = without_upgrade(before, changes);
    check_header(&own, sender, last_seq, policy)?;
    let mut after = before.clone();
    let blocked = apply_ready(&mut after, changes.to_vec()).map_err(|e| match e {
        ApplyError::Sequence => Rejection::BadSequence,
        ApplyError::Refused(r) => r,
        _ => Rejection::Unapplicable,
    })?;
    if !blocked.is_empty() {
        return Err(Rejection::Unapplicable);
    }
    judge(before, &after, &own, sender, policy)?;
    Ok(after)
}

/// `changes` without the record's canonical upgrade change ([`record::schema`]), which any
/// sender may pass on: it is the same bytes whoever made it, and judged by its hash alone.
fn without_upgrade(doc: &Automerge, changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| !record::schema::is_upgrade(doc, c))
        .cloned()
        .collect()
}

/// The same rules as [`check`] for changes the caller has already applied: `after` is `before`
/// with exactly `changes` added. The server merges into one working copy and checks that,
/// instead of copying the record and applying the changes a second time. On success, returns
/// the observations the changes added, as they read (the server's read model needs them).
pub fn check_applied(
    before: &Automerge,
    after: &Automerge,
    changes: &[Change],
    sender: &Sender,
    last_seq: &dyn Fn(&ActorId) -> u64,
    policy: Policy,
) -> Result<Checked, Rejection> {
    let own = without_upgrade(before, changes);
    check_header(&own, sender, last_seq, policy)?;
    judge(before, after, &own, sender, policy)
}

/// What [`check_applied`] found acceptable.
#[derive(Debug, Default)]
pub struct Checked {
    /// Each observation the changes added, by id, as it reads after them. Observations are
    /// never edited in place, so these are every observation row a merge must write.
    pub observations: BTreeMap<String, record::Observation>,
    /// Each information-sharing decision the changes added: its id, whether it was shared,
    /// and whether withheld as more detrimental (the server audits each).
    pub sharing: Vec<(String, bool, bool)>,
}

fn judge(
    before: &Automerge,
    after: &Automerge,
    changes: &[Change],
    sender: &Sender,
    policy: Policy,
) -> Result<Checked, Rejection> {
    let written = ops::judge(before, after, changes, sender)?;
    let mut checked = Checked::default();
    values::check(after, &written, sender, policy, &mut checked)?;
    Ok(checked)
}

/// Messages Quilt's writers give their changes (`record` and its submodules, and the tablet's
/// recovery, which keeps the original message or writes "re-issued").
const MESSAGES: &[&str] = &[
    "observation",
    "amendment",
    "withdrawal",
    "person",
    "person details",
    "person assessment",
    "plan",
    "plan action",
    "plan action status",
    "conference",
    "scaling",
    "neglect assessment",
    "supervision",
    "episode",
    "episode ending",
    "episode event",
    "visit",
    "debrief",
    "drift response",
    "challenge",
    "challenge step",
    // The front door's own message: a tablet that uses it is refused by what it writes.
    "concern",
    "concern response",
    "strategy discussion",
    "sharing decision",
    "re-issued",
];

/// Whether `actor` is one the sender's device writes with.
pub fn actor_is_senders(actor: &ActorId, sender: &Sender) -> bool {
    let bytes = actor.to_bytes();
    !sender.actor_prefix.is_empty()
        && bytes.len() == sender.actor_prefix.len() + ACTOR_SUFFIX_LEN
        && bytes.starts_with(&sender.actor_prefix)
}

/// The rules about the changes themselves: how many, whose, in sequence, with the header
/// Automerge gives an honest change. (Counters and dependencies are structural, checked as
/// the changes are applied: [`apply_ready`].)
fn check_header(
    changes: &[Change],
    sender: &Sender,
    last_seq: &dyn Fn(&ActorId) -> u64,
    policy: Policy,
) -> Result<(), Rejection> {
    if changes.len() > policy.max_changes {
        return Err(Rejection::TooManyChanges);
    }
    let mut by_actor: BTreeMap<ActorId, Vec<u64>> = BTreeMap::new();
    for c in changes {
        if c.len() > policy.max_ops {
            return Err(Rejection::TooManyOps);
        }
        if !actor_is_senders(c.actor_id(), sender) {
            return Err(Rejection::ForeignActor);
        }
        if c.is_empty()
            || c.deps().is_empty()
            || !c.extra_bytes().is_empty()
            || c.author().is_some()
            || !c.message().is_some_and(|m| MESSAGES.contains(&m))
        {
            return Err(Rejection::Malformed);
        }
        by_actor
            .entry(c.actor_id().clone())
            .or_default()
            .push(c.seq());
    }
    for (actor, mut seqs) in by_actor {
        seqs.sort_unstable();
        let start = last_seq(&actor);
        if seqs
            .iter()
            .enumerate()
            .any(|(i, s)| *s != start + 1 + i as u64)
        {
            return Err(Rejection::BadSequence);
        }
    }
    Ok(())
}
