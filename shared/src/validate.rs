//! Server-side policy for incoming changes: what an honest client can produce, and nothing else.
//!
//! The server applies a tablet's new changes to a fork of the stored record, then checks both
//! the raw operations and the resulting diff against the rules below. A change that breaks any
//! rule is rejected whole, with a reason the tablet can show; the stored record is untouched.
//!
//! Rules:
//! - every change's actor belongs to the sending device (actor = device prefix + suffix);
//! - sequence numbers continue the actor's last stored one, with no gaps;
//! - at most `max_ops` operations per change and `max_changes` changes per sync;
//! - the record's structure (root keys, entry maps) is fixed: nothing at the root is deleted or
//!   replaced, except the stamped `plan` value;
//! - entries are never deleted or replaced; an observation's fields change only by its author;
//!   other entries are append-only except their stamped fields (details, assessment, status);
//! - a stamped value (those fields, and the plan) is superseded by a new value, never edited in
//!   place;
//! - new entries and stamped values name the sender as their author;
//! - supervision records need the manager role; withdrawals need the author or a manager.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, Automerge, Change, ObjId, PatchAction, Prop, ReadDoc, ROOT};

use crate::api::Role;
use crate::record::{self, corrections, people, plan, stamped, supervision};
use crate::sync::server::ApplyError;

/// Who sent the changes, as the server knows them from the session and device binding.
#[derive(Debug, Clone)]
pub struct Sender {
    pub user_id: String,
    pub role: Role,
    /// Every actor this device uses starts with these bytes.
    pub actor_prefix: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_changes: usize,
    pub max_ops: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_changes: 2_000,
            max_ops: 20_000,
        }
    }
}

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
    #[error("names someone other than the sender as author")]
    ForgedAuthor,
    #[error("needs the manager role")]
    ManagerOnly,
    #[error("only the author or a manager can withdraw an observation")]
    WithdrawNotAllowed,
    #[error("an entry is not in the shape this version of Quilt writes")]
    Malformed,
}

/// Maps whose existing entries may only gain new stamped values under these keys.
fn stamped_keys(map: &str) -> &'static [&'static str] {
    match map {
        people::MAP => &["details", "assessment"],
        plan::ACTIONS => &["status"],
        _ => &[],
    }
}

/// Checks `changes` (new to the server, already dependency-ordered or not) against the policy.
/// `last_seq` gives the highest stored sequence number for an actor (0 if none). On success,
/// returns the record with the changes applied.
pub fn check(
    before: &Automerge,
    changes: &[Change],
    sender: &Sender,
    last_seq: &dyn Fn(&ActorId) -> u64,
    policy: Policy,
) -> Result<Automerge, Rejection> {
    check_changes(before, changes, sender, last_seq, policy)?;
    let mut after = before.clone();
    let blocked =
        crate::sync::server::apply_ready(&mut after, changes.to_vec()).map_err(|e| match e {
            ApplyError::Sequence => Rejection::BadSequence,
            ApplyError::Authored | ApplyError::Automerge(_) => Rejection::Unapplicable,
        })?;
    if !blocked.is_empty() {
        return Err(Rejection::Unapplicable);
    }
    let patches = after.diff(&before.get_heads(), &after.get_heads());
    check_patches(before, &after, &patches, sender, &mut BTreeMap::new())?;
    Ok(after)
}

/// The same rules as [`check`] for changes the caller has already applied: `after` is `before`
/// with exactly `changes` added. The server merges into one working copy and checks that,
/// instead of copying the record and applying the changes a second time. On success, returns
/// the patches from `before` to `after` and the observations they touched as they now read
/// (computing both is the costly part of checking, and the server's read model needs them too).
pub fn check_applied(
    before: &Automerge,
    after: &Automerge,
    changes: &[Change],
    sender: &Sender,
    last_seq: &dyn Fn(&ActorId) -> u64,
    policy: Policy,
) -> Result<Checked, Rejection> {
    check_changes(before, changes, sender, last_seq, policy)?;
    let patches = after.diff(&before.get_heads(), &after.get_heads());
    let mut observations = BTreeMap::new();
    check_patches(before, after, &patches, sender, &mut observations)?;
    Ok(Checked {
        patches,
        observations,
    })
}

/// What [`check_applied`] found acceptable.
#[derive(Debug)]
pub struct Checked {
    pub patches: Vec<automerge::Patch>,
    /// Each observation the changes added or edited, by id, as it reads after them.
    pub observations: BTreeMap<String, record::Observation>,
}

/// The rules about the changes themselves: how many, whose, in sequence, and no operation
/// aimed at the record's structure.
fn check_changes(
    before: &Automerge,
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
        if !c.actor_id().to_bytes().starts_with(&sender.actor_prefix)
            || sender.actor_prefix.is_empty()
        {
            return Err(Rejection::ForeignActor);
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
    check_raw_ops(before, changes)
}

/// Deletes or writes aimed at the root or at an entry map itself, even ones that would not
/// show in the merged state (e.g. deleting a value that lost a conflict).
fn check_raw_ops(before: &Automerge, changes: &[Change]) -> Result<(), Rejection> {
    let mut protected: BTreeSet<String> = BTreeSet::new();
    for map in record::ENTRY_MAPS {
        if let Ok(Some((_, id))) = before.get(ROOT, *map) {
            protected.insert(id.to_string());
        }
    }
    for c in changes {
        for op in c.decode().operations {
            let obj = op.obj.to_string();
            let key = match &op.key {
                automerge::legacy::Key::Map(k) => k.to_string(),
                automerge::legacy::Key::Seq(_) => String::new(),
            };
            let deleting = matches!(op.action, automerge::legacy::OpType::Delete);
            if obj == "_root" && key != "plan" {
                return Err(Rejection::Structure);
            }
            if deleting && (obj == "_root" || protected.contains(&obj)) {
                return Err(Rejection::DeletesEntry);
            }
        }
    }
    Ok(())
}

fn key_of(p: &Prop) -> Option<&str> {
    match p {
        Prop::Map(k) => Some(k.as_str()),
        Prop::Seq(_) => None,
    }
}

/// `observations` receives each observation checked, as it reads in `after`.
fn check_patches(
    before: &Automerge,
    after: &Automerge,
    patches: &[automerge::Patch],
    sender: &Sender,
    observations: &mut BTreeMap<String, record::Observation>,
) -> Result<(), Rejection> {
    // Entries touched, by (map, id), with whether each was already stored: a new entry
    // arrives as one patch per field, and asking the document once per entry is enough.
    let mut touched: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut stamped_writes: BTreeSet<(String, String, String)> = BTreeSet::new();
    for patch in patches {
        let mut props: Vec<String> = Vec::new();
        for (_, p) in &patch.path {
            props.push(key_of(p).map(str::to_owned).unwrap_or_else(|| "#".into()));
        }
        let (leaf, deleting) = match &patch.action {
            PatchAction::PutMap { key, .. } => (Some(key.clone()), false),
            PatchAction::DeleteMap { key } => (Some(key.clone()), true),
            PatchAction::Conflict { prop } => (key_of(prop).map(str::to_owned), false),
            _ => (None, matches!(patch.action, PatchAction::DeleteSeq { .. })),
        };
        if let Some(l) = leaf {
            props.push(l);
        }
        match props.as_slice() {
            [] => return Err(Rejection::Structure),
            [root] => {
                if root != "plan" || deleting {
                    return Err(Rejection::Structure);
                }
            }
            [root, ..] if root == "plan" => {
                if existed_before(before, &patch.obj) {
                    return Err(Rejection::ImmutableEntry);
                }
            }
            [map, id, rest @ ..] => {
                if !record::ENTRY_MAPS.contains(&map.as_str()) {
                    return Err(Rejection::Structure);
                }
                let existed = *touched
                    .entry((map.clone(), id.clone()))
                    .or_insert_with(|| entry_exists(before, map, id));
                if rest.is_empty() {
                    if deleting {
                        return Err(Rejection::DeletesEntry);
                    }
                    if existed {
                        return Err(Rejection::ReplacesEntry);
                    }
                } else if existed {
                    let allowed = stamped_keys(map);
                    if map == "observations" {
                        // Checked below against the stored author.
                    } else if allowed.contains(&rest[0].as_str()) {
                        if rest.len() > 1 && existed_before(before, &patch.obj) {
                            return Err(Rejection::ImmutableEntry);
                        }
                        stamped_writes.insert((map.clone(), id.clone(), rest[0].clone()));
                    } else {
                        return Err(Rejection::ImmutableEntry);
                    }
                }
            }
        }
    }
    // Any patch at the root touches the plan (others were refused above), including a new value
    // that arrives as the losing side of a conflict.
    if patches.iter().any(|p| p.path.is_empty()) {
        check_new_values(
            &values_at(before, &ROOT, "plan"),
            &values_at(after, &ROOT, "plan"),
            after,
            sender,
        )?;
    }
    for ((map, id), existed) in &touched {
        check_entry(before, after, map, id, *existed, sender, observations)?;
    }
    for (map, id, key) in &stamped_writes {
        check_stamps(before, after, map, id, key, sender)?;
    }
    Ok(())
}

fn entry_exists(doc: &Automerge, map: &str, id: &str) -> bool {
    record::entries::map_obj(doc, map)
        .ok()
        .and_then(|obj| doc.get(&obj, id).ok().flatten())
        .is_some()
}

/// `existed`: whether the entry was stored before these changes.
fn check_entry(
    before: &Automerge,
    after: &Automerge,
    map: &str,
    id: &str,
    existed: bool,
    sender: &Sender,
    observations: &mut BTreeMap<String, record::Observation>,
) -> Result<(), Rejection> {
    let obj = record::entries::map_obj(after, map).map_err(|_| Rejection::Malformed)?;
    let by_sender = |by: &str| {
        if by == sender.user_id {
            Ok(())
        } else {
            Err(Rejection::ForgedAuthor)
        }
    };
    match map {
        "observations" => {
            let new = record::observation(after, id)
                .map_err(|_| Rejection::Malformed)?
                .ok_or(Rejection::Malformed)?;
            new.validate().map_err(|_| Rejection::Malformed)?;
            if existed {
                let old = record::observation(before, id)
                    .map_err(|_| Rejection::Malformed)?
                    .ok_or(Rejection::Malformed)?;
                if old.author_id != sender.user_id {
                    return Err(Rejection::OthersObservation);
                }
                if new.author_id != old.author_id {
                    return Err(Rejection::ForgedAuthor);
                }
            } else {
                by_sender(&new.author_id)?;
            }
            observations.insert(id.to_owned(), new);
        }
        corrections::WITHDRAWALS => {
            let w: corrections::Withdrawal =
                autosurgeon::hydrate_prop(after, &obj, id).map_err(|_| Rejection::Malformed)?;
            by_sender(&w.added.by)?;
            let observation = record::observation(after, &w.observation_id)
                .map_err(|_| Rejection::Malformed)?
                .ok_or(Rejection::Malformed)?;
            if observation.author_id != sender.user_id && sender.role != Role::Manager {
                return Err(Rejection::WithdrawNotAllowed);
            }
        }
        corrections::AMENDMENTS => {
            let a: corrections::Amendment =
                autosurgeon::hydrate_prop(after, &obj, id).map_err(|_| Rejection::Malformed)?;
            by_sender(&a.added.by)?;
        }
        supervision::MAP => {
            if sender.role != Role::Manager {
                return Err(Rejection::ManagerOnly);
            }
            let s: supervision::Supervision =
                autosurgeon::hydrate_prop(after, &obj, id).map_err(|_| Rejection::Malformed)?;
            by_sender(&s.added.by)?;
        }
        plan::CONFERENCES => {
            let c: plan::Conference =
                autosurgeon::hydrate_prop(after, &obj, id).map_err(|_| Rejection::Malformed)?;
            by_sender(&c.added.by)?;
        }
        record::assessments::SCALINGS => {
            let s: record::assessments::Scaling =
                autosurgeon::hydrate_prop(after, &obj, id).map_err(|_| Rejection::Malformed)?;
            by_sender(&s.added.by)?;
        }
        record::assessments::NEGLECT => {
            let n: record::assessments::NeglectAssessment =
                autosurgeon::hydrate_prop(after, &obj, id).map_err(|_| Rejection::Malformed)?;
            by_sender(&n.added.by)?;
        }
        people::MAP => {
            if !existed {
                let (all, _) = people::read(after).map_err(|_| Rejection::Malformed)?;
                let p = all
                    .iter()
                    .find(|p| p.id == *id)
                    .ok_or(Rejection::Malformed)?;
                by_sender(&p.added.by)?;
            }
        }
        plan::ACTIONS => {
            if !existed {
                let (all, _) = plan::read_actions(after).map_err(|_| Rejection::Malformed)?;
                let a = all
                    .iter()
                    .find(|a| a.base.id == *id)
                    .ok_or(Rejection::Malformed)?;
                by_sender(&a.base.added.by)?;
            }
        }
        _ => return Err(Rejection::Structure),
    }
    if matches!(map, people::MAP | plan::ACTIONS) && !existed {
        for key in stamped_keys(map) {
            check_stamps(before, after, map, id, key, sender)?;
        }
    }
    Ok(())
}

/// Whether `obj` was already in the stored record: writing inside such an object edits a
/// stored value in place, where a stamped value may only be superseded by a new one.
fn existed_before(before: &Automerge, obj: &ObjId) -> bool {
    before.object_type(obj).is_ok()
}

/// Every current value at `key` of `parent`, including concurrent ones.
fn values_at(doc: &Automerge, parent: &ObjId, key: &str) -> Vec<ObjId> {
    doc.get_all(parent, key)
        .unwrap_or_default()
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

/// Every value in `new` that is not in `old` must be a stamped object stamped by the sender.
fn check_new_values(
    old: &[ObjId],
    new: &[ObjId],
    after: &Automerge,
    sender: &Sender,
) -> Result<(), Rejection> {
    for o in new.iter().filter(|o| !old.contains(o)) {
        let stamp: stamped::Stamp =
            autosurgeon::hydrate_prop(after, o, "stamp").map_err(|_| Rejection::Malformed)?;
        if stamp.by != sender.user_id {
            return Err(Rejection::ForgedAuthor);
        }
    }
    Ok(())
}

/// Every stamped value object that is new in `after` must be stamped by the sender.
fn check_stamps(
    before: &Automerge,
    after: &Automerge,
    map: &str,
    id: &str,
    key: &str,
    sender: &Sender,
) -> Result<(), Rejection> {
    fn objects(doc: &Automerge, map: &str, id: &str, key: &str) -> Vec<ObjId> {
        let Ok(m) = record::entries::map_obj(doc, map) else {
            return Vec::new();
        };
        let Ok(Some((_, obj))) = doc.get(&m, id) else {
            return Vec::new();
        };
        values_at(doc, &obj, key)
    }
    let new = objects(after, map, id, key);
    if new.is_empty() {
        return Err(Rejection::Malformed);
    }
    check_new_values(&objects(before, map, id, key), &new, after, sender)
}
