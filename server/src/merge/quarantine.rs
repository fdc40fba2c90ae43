//! Records the server cannot load: found when a rebuild fails (`merge/load.rs`) or a
//! compacted snapshot would not load back, marked in the store, answered as unavailable for
//! that child alone until an operator repairs them with `quilt-server records repair`.
//!
//! Architecture invariant: one child's record that cannot be loaded never fails another
//! child's sync. The record is reported (a log line with the child's id and a fixed reason, a
//! metric, an audit row) and marked once; while it is marked, syncs answer it unavailable
//! without rebuilding it again, and the tablets keep their changes.
//!
//! A repair replays the record change by change in stored order, keeps every change that
//! applies and leaves the document loadable once saved, and moves the rest (with the changes
//! that depend on them, and a snapshot that does not load) byte for byte into
//! `quarantined_changes`, in one transaction that moves the document's version on.
//!
//! tidy: long file — reporting, the answer for a marked record and the repair are one concern, the
//! change-by-change replay is most of it, and about 100 lines are unit tests.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use automerge::{Automerge, Change, ChangeHash};
use sha2::{Digest, Sha256};
use shared::sync::{heads_to_hex, ChildResult};
use shared::ChildId;

use super::load::{genesis_change, rebuild};
use super::projection::projection;
use super::Documents;
use crate::audit::Event;
use crate::clock::now_ms;
use crate::store::{
    MergeWrite, PartKind, QuarantinedPart, QuarantinedRecord, RecordRepair, StoreError, StoredDoc,
    StoredRecord,
};

/// What a tablet is told about a quarantined record.
pub const REPAIRING: &str =
    "this record is being repaired by the service desk; your changes are kept on this device";

/// The sync answer for a quarantined record.
pub fn unavailable() -> ChildResult {
    ChildResult::Unavailable {
        reason: REPAIRING.into(),
    }
}

/// Why a stored record cannot be loaded. Fixed reasons: what they say never comes from the
/// record (Automerge's own messages can quote keys), so they can go to logs and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    Snapshot,
    Undecodable,
    Unapplicable,
    MissingDeps,
    DependsOnSetAside,
    Unsaveable,
    Panicked,
}

impl Broken {
    pub fn reason(self) -> &'static str {
        match self {
            Broken::Snapshot => "the stored snapshot does not load",
            Broken::Undecodable => "a stored change does not decode",
            Broken::Unapplicable => "a stored change does not apply",
            Broken::MissingDeps => "a stored change depends on a change that is not stored",
            Broken::DependsOnSetAside => "it depends on a change that was set aside",
            Broken::Unsaveable => "the document does not load again once saved",
            Broken::Panicked => "loading the record panicked",
        }
    }
}

impl Documents {
    /// Reports a record found unloadable at `version` and marks it, so it is not rebuilt again
    /// until it is repaired; audited the first time it is marked.
    pub(super) async fn report_broken(&self, child: &ChildId, version: i64, broken: Broken) {
        tracing::error!(child = %child, reason = broken.reason(), "a stored record cannot be loaded; quarantined until it is repaired");
        self.metrics.record_unloadable();
        match self
            .store
            .quarantine_record(child, version, broken.reason(), now_ms())
            .await
        {
            Ok(true) => {
                let event = Event::new("record.quarantined", "failed")
                .child(child)
                .detail(format!(
                    "the stored record cannot be loaded: {}; syncs answer it unavailable until it is repaired",
                    broken.reason()
                ));
                self.audit.record_or_log(event).await;
            }
            // Marked already, or repaired since it was read.
            Ok(false) => {}
            Err(e) => {
                tracing::error!(child = %child, error = %e, "marking a record quarantined failed");
            }
        }
    }
}

/// Runs `f`, turning a panic into `None`.
fn catch<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// Whether `snapshot` loads into a document with `heads` (hex).
pub(crate) fn loads_back(snapshot: &[u8], heads: &[String]) -> bool {
    catch(|| Automerge::load(snapshot).is_ok_and(|d| heads_to_hex(&d.get_heads()) == heads))
        .unwrap_or(false)
}

/// Whether `doc` saved and loaded again is the same document.
fn saveable(doc: &Automerge) -> bool {
    catch(|| doc.save()).is_some_and(|saved| loads_back(&saved, &heads_to_hex(&doc.get_heads())))
}

/// One change set aside by a repair, for its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub kind: PartKind,
    pub hash: String,
    pub reason: String,
}

/// What `records repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// The record loads and saves as stored: nothing changed (a stale mark was cleared).
    Healthy { child: ChildId, released: bool },
    Repaired {
        child: ChildId,
        /// Stored changes that remain.
        kept: usize,
        set_aside: Vec<SetAside>,
        /// The document's version after the repair.
        version: i64,
    },
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::Healthy { child, released } => {
                write!(
                    f,
                    "{child}: the record loads and saves as stored; nothing changed"
                )?;
                if *released {
                    write!(f, " (its quarantine mark was cleared)")?;
                }
                Ok(())
            }
            Repair::Repaired {
                child,
                kept,
                set_aside,
                version,
            } => {
                writeln!(
                    f,
                    "{child}: repaired (now at version {version}); kept {kept} stored change(s), \
                     set aside {} into quarantined_changes:",
                    set_aside.len()
                )?;
                for part in set_aside {
                    writeln!(f, "  {} {}: {}", part.kind.code(), part.hash, part.reason)?;
                }
                write!(
                    f,
                    "Tablets that hold set-aside changes keep them; the server refuses them if they \
                     are sent again."
                )
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("no child {0} in this database")]
    NoSuchChild(ChildId),
    #[error("{0} cannot be repaired automatically: {1}; nothing was changed")]
    Unrepairable(ChildId, &'static str),
    #[error("{0}: the record kept changing while it was being repaired; run the repair again")]
    Busy(ChildId),
    #[error("{0}: the repair itself failed (panicked); nothing was changed")]
    Panicked(ChildId),
    #[error("database: {0}")]
    Store(#[from] StoreError),
}

/// How many times a repair is computed again when a merge lands first.
const REPAIR_ATTEMPTS: usize = 5;

/// Repairs `child`'s record (see the module's documentation), attributing it to `operator`
/// in the audit trail. The record's stored form is rewritten only if something had to be set
/// aside; a record that loads and saves as stored is left as it is.
impl Documents {
    pub async fn repair(&self, child: &ChildId, operator: &str) -> Result<Repair, RepairError> {
        if self.store.child(child).await?.is_none() {
            return Err(RepairError::NoSuchChild(child.clone()));
        }
        let lock = self.locks.for_child(child);
        let _guard = lock.lock().await;
        for _ in 0..REPAIR_ATTEMPTS {
            let stored = self.store.load_record(child).await?;
            let base_version = stored.doc.version;
            let genesis = genesis_change(child);
            let planned = self
                .cpu
                .run(move || catch(|| plan(&stored, genesis)))
                .await
                .flatten()
                .ok_or_else(|| RepairError::Panicked(child.clone()))?;
            let plan = match planned {
                Ok(Some(plan)) => plan,
                Ok(None) => {
                    let released = self.store.release_record(child).await?;
                    if released {
                        let event = Event::new("record.repaired", "ok").child(child).detail(format!(
                        "by operator {} (quilt-server records repair): the record loads and saves as stored; quarantine mark cleared, nothing changed",
                        operator_name(operator)
                    ));
                        self.audit.record_or_log(event).await;
                    }
                    return Ok(Repair::Healthy {
                        child: child.clone(),
                        released,
                    });
                }
                Err(why) => return Err(RepairError::Unrepairable(child.clone(), why)),
            };
            let set_aside: Vec<SetAside> = plan
                .repair
                .moved
                .iter()
                .map(|p| SetAside {
                    kind: p.kind,
                    hash: p.hash.clone(),
                    reason: p.reason.clone(),
                })
                .collect();
            if !self
                .store
                .commit_repair(child, base_version, &plan.repair, now_ms())
                .await?
            {
                continue; // a merge landed meanwhile: plan again from what is stored now
            }
            // Other processes see the version move and rebuild; this one forgets its copy.
            self.cache.forget(child);
            self.live.changed(child);
            let version = base_version + 1;
            let listed: Vec<String> = set_aside
                .iter()
                .map(|p| format!("{} {} ({})", p.kind.code(), p.hash, p.reason))
                .collect();
            let event = Event::new("record.repaired", "ok").child(child).detail(format!(
            "by operator {} (quilt-server records repair): kept {} stored change(s), set aside {}: {}; now at version {version}",
            operator_name(operator),
            plan.kept,
            set_aside.len(),
            listed.join(", ")
        ));
            self.audit.record_or_log(event).await;
            return Ok(Repair::Repaired {
                child: child.clone(),
                kept: plan.kept,
                set_aside,
                version,
            });
        }
        Err(RepairError::Busy(child.clone()))
    }
}

/// What `records list-broken` prints: one line per quarantined record.
pub fn describe(records: &[QuarantinedRecord]) -> String {
    if records.is_empty() {
        return "no quarantined records".into();
    }
    let mut out = format!("{} quarantined record(s):", records.len());
    for r in records {
        out.push_str(&format!(
            "\n{}  detected {}  {}",
            r.child_id,
            utc(r.detected_at_ms),
            r.reason
        ));
    }
    out
}

/// `ms` since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        shared::calendar::Date::from_unix_ms(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The operator's name as the audit trail records it: one line, bounded.
fn operator_name(operator: &str) -> String {
    let name: String = operator
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if name.trim().is_empty() {
        "(unnamed)".into()
    } else {
        name
    }
}

/// A repair worked out from a stored record, not yet stored.
struct Plan {
    repair: RecordRepair,
    kept: usize,
}

/// Works out the repair of `stored`: `None` if it loads and saves as it is; `Err` (why) if it
/// cannot be repaired automatically. Pure and CPU-bound (a long record takes a while).
fn plan(stored: &StoredRecord, genesis: Change) -> Result<Option<Plan>, &'static str> {
    let rebuilt = catch(|| rebuild(&stored.doc, || genesis.clone()));
    if let Some(Ok(rebuilt)) = &rebuilt {
        if saveable(&rebuilt.doc) {
            return Ok(None);
        }
    }
    let mut replay = Replay::new(stored, genesis)?;
    replay.apply_all();
    replay.keep_saveable()?;
    let doc = replay.rebuild(&replay.applied)?;
    // What stays stored must rebuild, as the server loads it, into the document checked here.
    let remaining = replay.remaining();
    match catch(|| rebuild(&remaining, || replay.genesis.clone())) {
        Some(Ok(again)) if again.doc.get_heads() == doc.get_heads() => {}
        _ => return Err("what remains does not rebuild the same document"),
    }
    if replay.moved.is_empty() {
        return Err("it does not load as stored, yet every stored change applies one by one");
    }
    let projection = projection(&doc, &BTreeSet::new(), &BTreeMap::new(), 0);
    Ok(Some(Plan {
        kept: remaining.changes.len(),
        repair: RecordRepair {
            moved: replay.moved.into_values().collect(),
            write: MergeWrite {
                changes: Vec::new(),
                heads: heads_to_hex(&doc.get_heads()),
                compact_to: None,
                projection,
            },
        },
    }))
}

/// The state of a repair's replay of one record.
struct Replay<'a> {
    stored: &'a StoredRecord,
    genesis: Change,
    /// The document the changes are applied to: the snapshot if it loads, else the genesis.
    base: Automerge,
    snapshot_kept: bool,
    /// Decoded changes with their index in stored order.
    changes: Vec<(usize, Change)>,
    /// Indices into `changes`, in the order they were applied.
    applied: Vec<usize>,
    /// What is set aside, by stored index of the change (`None`: the snapshot, listed first).
    moved: BTreeMap<Option<usize>, QuarantinedPart>,
    /// Hashes of the changes set aside.
    dropped: HashSet<ChangeHash>,
    /// `base` with `applied` applied.
    doc: Automerge,
    /// Hashes of every change in `doc`.
    known: HashSet<ChangeHash>,
}

impl<'a> Replay<'a> {
    fn new(stored: &'a StoredRecord, genesis: Change) -> Result<Self, &'static str> {
        let mut moved = BTreeMap::new();
        let mut changes = Vec::new();
        let mut dropped = HashSet::new();
        for (n, bytes) in stored.doc.changes.iter().enumerate() {
            match catch(|| Change::from_bytes(bytes.clone())) {
                Some(Ok(change)) => changes.push((n, change)),
                _ => {
                    // Changes that name it (by its stored hash) as a dependency go with it.
                    dropped.extend(
                        stored
                            .hashes
                            .get(n)
                            .and_then(|h| h.parse::<ChangeHash>().ok()),
                    );
                    moved.insert(
                        Some(n),
                        part(stored, n, PartKind::Change, Broken::Undecodable),
                    );
                }
            }
        }
        let from_genesis = || {
            let mut doc = Automerge::new();
            catch(|| doc.apply_changes([genesis.clone()]))
                .and_then(Result::ok)
                .map(|()| doc)
                .ok_or("the record's first change does not apply")
        };
        let (base, snapshot_kept) = match &stored.doc.snapshot {
            None => (from_genesis()?, false),
            Some(bytes) => match catch(|| Automerge::load(bytes)) {
                Some(Ok(doc)) if saveable(&doc) => (doc, true),
                _ => {
                    // Without the snapshot, the changes must hold the whole history.
                    let mut stored_hashes: HashSet<ChangeHash> =
                        changes.iter().map(|(_, c)| c.hash()).collect();
                    stored_hashes.insert(genesis.hash());
                    stored_hashes.extend(
                        stored
                            .hashes
                            .iter()
                            .filter_map(|h| h.parse::<ChangeHash>().ok()),
                    );
                    let complete = !changes.is_empty()
                        && changes
                            .iter()
                            .all(|(_, c)| c.deps().iter().all(|d| stored_hashes.contains(d)));
                    if !complete {
                        return Err("the stored snapshot does not load and the changes stored \
                                    after it depend on it");
                    }
                    moved.insert(
                        None,
                        QuarantinedPart {
                            kind: PartKind::Snapshot,
                            hash: hex::encode(Sha256::digest(bytes)),
                            bytes: bytes.clone(),
                            reason: Broken::Snapshot.reason().into(),
                        },
                    );
                    (from_genesis()?, false)
                }
            },
        };
        if !saveable(&base) {
            return Err("the record's first change does not load again once saved");
        }
        let known = base.get_changes_meta(&[]).iter().map(|m| m.hash).collect();
        Ok(Replay {
            stored,
            genesis,
            doc: base.clone(),
            base,
            snapshot_kept,
            changes,
            applied: Vec::new(),
            moved,
            dropped,
            known,
        })
    }

    /// Sets aside the change at `changes[i]`.
    fn set_aside(&mut self, i: usize, why: Broken) {
        let (n, change) = &self.changes[i];
        self.dropped.insert(change.hash());
        self.moved
            .insert(Some(*n), part(self.stored, *n, PartKind::Change, why));
    }

    /// Applies every change in stored order; one whose dependencies are not applied yet waits
    /// for them (stored order is not always causal order), one that fails is set aside.
    fn apply_all(&mut self) {
        let mut waiting: Vec<usize> = (0..self.changes.len()).collect();
        loop {
            let mut progress = false;
            let mut still = Vec::new();
            for i in waiting {
                let change = self.changes[i].1.clone();
                if self.known.contains(&change.hash()) {
                    // Already in the snapshot (stored again): kept, nothing to apply.
                    progress = true;
                } else if change.deps().iter().any(|d| self.dropped.contains(d)) {
                    self.set_aside(i, Broken::DependsOnSetAside);
                    progress = true;
                } else if !change.deps().iter().all(|d| self.known.contains(d)) {
                    still.push(i);
                } else {
                    let hash = change.hash();
                    match catch(|| self.doc.apply_changes([change])) {
                        Some(Ok(())) => {
                            self.known.insert(hash);
                            self.applied.push(i);
                        }
                        _ => {
                            self.set_aside(i, Broken::Unapplicable);
                            // A failed apply can leave the document half changed.
                            self.doc = self
                                .rebuild(&self.applied)
                                .unwrap_or_else(|_| self.base.clone());
                        }
                    }
                    progress = true;
                }
            }
            waiting = still;
            if waiting.is_empty() || !progress {
                break;
            }
        }
        for i in waiting {
            self.set_aside(i, Broken::MissingDeps);
        }
    }

    /// Sets aside the changes after which the document no longer loads once saved (found by
    /// bisection over the applied order), and the changes that depend on them.
    fn keep_saveable(&mut self) -> Result<(), &'static str> {
        while !saveable(&self.doc) {
            // The base saves and loads; the whole does not. The first prefix that does not.
            let (mut good, mut bad) = (0, self.applied.len());
            while bad - good > 1 {
                let mid = (good + bad) / 2;
                if saveable(&self.rebuild(&self.applied[..mid])?) {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
            let Some(&culprit) = bad.checked_sub(1).and_then(|b| self.applied.get(b)) else {
                return Err(
                    "the document does not load again once saved, even without its changes",
                );
            };
            self.set_aside(culprit, Broken::Unsaveable);
            let applied = std::mem::take(&mut self.applied);
            for i in applied {
                if i == culprit {
                    continue;
                }
                let depends = self.changes[i]
                    .1
                    .deps()
                    .iter()
                    .any(|d| self.dropped.contains(d));
                if depends {
                    self.set_aside(i, Broken::DependsOnSetAside);
                } else {
                    self.applied.push(i);
                }
            }
            self.doc = self.rebuild(&self.applied)?;
        }
        Ok(())
    }

    /// The base with `applied` applied, in one batch.
    fn rebuild(&self, applied: &[usize]) -> Result<Automerge, &'static str> {
        let mut doc = self.base.clone();
        let changes: Vec<Change> = applied.iter().map(|i| self.changes[*i].1.clone()).collect();
        match catch(|| doc.apply_changes(changes)) {
            Some(Ok(())) => Ok(doc),
            _ => Err("the changes that applied one by one do not apply together"),
        }
    }

    /// The record as it stays stored: the snapshot if it loaded, and every change not set
    /// aside, in stored order.
    fn remaining(&self) -> StoredDoc {
        StoredDoc {
            version: self.stored.doc.version,
            snapshot: if self.snapshot_kept {
                self.stored.doc.snapshot.clone()
            } else {
                None
            },
            changes: self
                .stored
                .doc
                .changes
                .iter()
                .enumerate()
                .filter(|(n, _)| !self.moved.contains_key(&Some(*n)))
                .map(|(_, b)| b.clone())
                .collect(),
        }
    }
}

/// The stored change at index `n` as a part to set aside.
fn part(stored: &StoredRecord, n: usize, kind: PartKind, why: Broken) -> QuarantinedPart {
    let bytes = stored.doc.changes[n].clone();
    QuarantinedPart {
        kind,
        // Stored hashes come with the record; the bytes' digest if one is somehow missing.
        hash: stored
            .hashes
            .get(n)
            .cloned()
            .unwrap_or_else(|| hex::encode(Sha256::digest(&bytes))),
        bytes,
        reason: why.reason().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ActorId;
    use shared::record::{self, Observation};

    fn child() -> ChildId {
        "child-unit".parse().expect("id")
    }

    /// `n` changes in a causal chain (each depends on the one before), made after the genesis.
    fn chain(n: usize) -> Vec<Change> {
        let mut doc = record::new_replica(&child(), ActorId::from(vec![7; 16]));
        (0..n)
            .map(|i| {
                let before = doc.get_heads();
                let obs = Observation {
                    id: format!("obs-{i}").parse().expect("id"),
                    occurred: "2026-11-20".into(),
                    occurred_approx: false,
                    recorded_at_ms: 1_790_000_000_000,
                    author_id: "user-unit".parse().expect("a valid id"),
                    author_name: "Unit".into(),
                    agency: "Unit agency".into(),
                    location: "Home".into(),
                    present: Vec::new(),
                    indicators: Vec::new(),
                    source: record::Source::Observed,
                    narrative: "Seen at home.".into(),
                    child_words: String::new(),
                    action_taken: String::new(),
                    body_marks: Vec::new(),
                };
                record::add_observation(&mut doc, &obs, 1_790_000_000_000).expect("record");
                doc.get_changes(&before).pop().expect("a change")
            })
            .collect()
    }

    fn stored(changes: Vec<(String, Vec<u8>)>) -> StoredRecord {
        let (hashes, changes) = changes.into_iter().unzip();
        StoredRecord {
            doc: StoredDoc {
                version: 1,
                snapshot: None,
                changes,
            },
            hashes,
        }
    }

    fn row(mut c: Change) -> (String, Vec<u8>) {
        (c.hash().to_string(), c.bytes().into_owned())
    }

    /// Plans the repair of `rows` and returns what it sets aside (stored hash, reason) and how
    /// many changes it keeps; `None` for a healthy record.
    fn check(rows: Vec<(String, Vec<u8>)>, expected: Option<(Vec<(&str, Broken)>, usize)>) {
        let planned = plan(&stored(rows), genesis_change(&child())).expect("plan");
        let got = planned.map(|p| {
            let moved: Vec<(String, String)> = p
                .repair
                .moved
                .into_iter()
                .map(|m| (m.hash, m.reason))
                .collect();
            (moved, p.kept)
        });
        let expected = expected.map(|(moved, kept)| {
            let moved = moved
                .into_iter()
                .map(|(h, why)| (h.to_owned(), why.reason().to_owned()))
                .collect();
            (moved, kept)
        });
        assert_eq!(got, expected);
    }

    #[test]
    fn a_record_stored_out_of_causal_order_is_healthy() {
        let mut rows: Vec<_> = chain(3).into_iter().map(row).collect();
        rows.reverse();
        check(rows, None);
    }

    #[test]
    fn a_change_waits_for_one_stored_after_it_and_only_the_bad_ones_are_set_aside() {
        let rows: Vec<_> = chain(3).into_iter().map(row).collect();
        let garbage = ("00".repeat(32), b"garbage".to_vec());
        // The second change stored before the first, which it depends on.
        let stored = vec![
            rows[1].clone(),
            rows[0].clone(),
            garbage.clone(),
            rows[2].clone(),
        ];
        check(
            stored,
            Some((vec![(garbage.0.as_str(), Broken::Undecodable)], 3)),
        );
    }

    #[test]
    fn times_are_printed_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_000_000_000), "2026-11-30 00:53:20 UTC");
    }
}
