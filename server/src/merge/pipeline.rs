//! The merge pipeline, [`Documents::run`]: lock → read versions → prepare (sync merges
//! together on the CPU pool) → one group commit → publish what was committed; a child another
//! process stored into meanwhile goes round again (see `merge`'s documentation).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use automerge::{ActorId, Automerge, Change, ChangeHash};
use shared::record;
use shared::sync::server::{self as protocol, Limits};
use shared::sync::{ChildResult, ChildSyncRequest};
use shared::validate::{self, Policy, Rejection, Sender};
use shared::ChildId;

use super::load::Current;
use super::projection::{changes_after_commit, check_compactions, write_for, Merged};
use super::quarantine::Broken;
use super::{ChangeBytes, Documents, Input, Job, MergeBatch, MergeError, OnCpu, Outcome};
use crate::clock::now_ms;
use crate::store::{DocState, MergeWrite, StoreError};

/// How many times a merge is recomputed when other processes keep storing into the same
/// child first, before the tablet is told to try again later.
const MAX_ATTEMPTS: usize = 8;

/// What preparing one job yields.
enum Prepared {
    Answer(Outcome),
    /// Boxed: a document is a few kilobytes on the stack.
    Write(Box<Pending>),
}

/// A merge computed in memory, not yet stored.
struct Pending {
    child: ChildId,
    write: MergeWrite,
    base_version: i64,
    changes_after_snapshot: usize,
    doc: Automerge,
    bytes: ChangeBytes,
    outcome: Outcome,
    /// Audited once the merge is stored: each information-sharing decision it adds.
    audits: Vec<crate::audit::Event>,
}

/// A merge waiting for its commit: what to publish once it is stored.
struct Committing {
    job: usize,
    child: ChildId,
    base_version: i64,
    changes_after_commit: usize,
    doc: Automerge,
    bytes: ChangeBytes,
    outcome: Outcome,
    unsaveable: bool,
    audits: Vec<crate::audit::Event>,
}

impl Documents {
    /// The merge pipeline (see the module's documentation): one result per job, in order.
    /// Each child appears in at most one job of a run.
    pub async fn run(&self, mut jobs: Vec<Job<'_>>) -> Vec<Result<Outcome, MergeError>> {
        let mut results: Vec<Option<Result<Outcome, MergeError>>> =
            jobs.iter().map(|_| None).collect();
        // Locks in child id order, as every run takes them: no two runs wait in a cycle.
        let mut writing: Vec<ChildId> = jobs
            .iter()
            .filter(|j| !j.input.is_read())
            .map(|j| j.child.clone())
            .collect();
        writing.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        writing.dedup();
        let mut guards = Vec::with_capacity(writing.len());
        for child in &writing {
            guards.push(self.locks.for_child(child).lock_owned().await);
        }
        let mut waiting: Vec<usize> = (0..jobs.len()).collect();
        for _ in 0..MAX_ATTEMPTS {
            if waiting.is_empty() {
                break;
            }
            // One read of every waiting child's version and heads, under the locks.
            let ids: Vec<ChildId> = waiting.iter().map(|i| jobs[*i].child.clone()).collect();
            let mut states = match self.store.doc_states(&ids).await {
                Ok(states) => states,
                Err(e) => {
                    let e = MergeError::from(e);
                    for i in waiting.drain(..) {
                        results[i] = Some(Err(e.clone()));
                    }
                    break;
                }
            };
            let mut prepared = Vec::new();
            let mut on_cpu = Vec::new();
            for &i in &waiting {
                let stored = states.remove(&jobs[i].child);
                if let Some(done) = self.prepare(&mut jobs[i], stored, &mut on_cpu, i).await {
                    match done {
                        Ok(p) => prepared.push((i, p)),
                        Err(e) => results[i] = Some(Err(e)),
                    }
                }
            }
            prepared.extend(self.merge_on_cpu(on_cpu).await);
            let mut pending = Vec::new();
            for (i, p) in prepared {
                match p {
                    Prepared::Answer(outcome) => results[i] = Some(Ok(outcome)),
                    Prepared::Write(write) => pending.push((i, write)),
                }
            }
            waiting = self.commit(pending, &mut results).await;
        }
        for i in waiting {
            results[i] = Some(Err(MergeError::Contended));
        }
        drop(guards);
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(MergeError::Internal("a job was not run"))))
            .collect()
    }

    /// Prepares one job from its stored state: answered at once (a read, a quarantined
    /// record, nothing to do), prepared here (edits, reprojection), or, for a sync merge,
    /// queued in `on_cpu` with its current document (`None` is returned then).
    async fn prepare(
        &self,
        job: &mut Job<'_>,
        stored: Option<DocState>,
        on_cpu: &mut Vec<(usize, ChildSyncRequest, Sender, Current<Automerge>)>,
        n: usize,
    ) -> Option<Result<Prepared, MergeError>> {
        if let Input::Sync { req, .. } = &job.input {
            if job.input.is_read() {
                let answer = self.deliver(req, stored).await;
                return Some(answer.map(|a| Prepared::Answer(Outcome::Answered(a))));
            }
        }
        if stored.as_ref().is_some_and(|s| s.quarantined) {
            return Some(job.input.quarantined().map(Prepared::Answer));
        }
        // No stored state means nothing merged yet: version 0.
        let version = stored.map_or(0, |s| s.version);
        if matches!(job.input, Input::Reproject) && version != 0 {
            // Another process did it meanwhile.
            return Some(Ok(Prepared::Answer(Outcome::Unchanged)));
        }
        let current = match self.current_owned(&job.child, version).await {
            Ok(current) => current,
            Err(StoreError::Quarantined) => {
                return Some(job.input.quarantined().map(Prepared::Answer))
            }
            Err(e) => return Some(Err(e.into())),
        };
        match &mut job.input {
            Input::Sync { sender, req } => {
                on_cpu.push((n, (*req).clone(), (*sender).clone(), current));
                None
            }
            Input::Edit(edit) => Some(Ok(self.edit(&job.child, current, edit))),
            Input::Reproject => Some(Ok(Prepared::Write(Box::new(
                self.reproject(&job.child, current),
            )))),
        }
    }

    /// Sync merges of one run, in one turn on the CPU pool, so one sync's merges run together
    /// and syncs are served in the order they arrived.
    async fn merge_on_cpu(
        &self,
        items: Vec<(usize, ChildSyncRequest, Sender, Current<Automerge>)>,
    ) -> Vec<(usize, Prepared)> {
        if items.is_empty() {
            return Vec::new();
        }
        let numbers: Vec<usize> = items.iter().map(|(n, ..)| *n).collect();
        let ctx = self.on_cpu();
        let merged = self
            .cpu
            .run(move || {
                items
                    .into_iter()
                    .map(|(_, req, sender, current)| merge_in_memory(&ctx, &sender, &req, current))
                    .collect::<Vec<_>>()
            })
            .await;
        match merged {
            Some(merged) => numbers.into_iter().zip(merged).collect(),
            None => numbers
                .into_iter()
                .map(|n| (n, Prepared::Answer(Outcome::Answered(could_not_process()))))
                .collect(),
        }
    }

    /// Runs a server-side edit on the current document.
    fn edit(
        &self,
        child: &ChildId,
        current: Current<Automerge>,
        edit: &mut (dyn FnMut(&mut Automerge) + Send),
    ) -> Prepared {
        let Current {
            mut doc,
            version,
            changes_after_snapshot,
        } = current;
        let before = doc.get_heads();
        edit(&mut doc);
        let new = doc.get_changes(&before);
        if new.is_empty() {
            self.cache
                .put(child, version, changes_after_snapshot, Arc::new(doc));
            return Prepared::Answer(Outcome::Unchanged);
        }
        let changed = record::observations_changed(&doc, &before, &doc.get_heads());
        let merged = Merged {
            doc: &doc,
            changed: &changed,
            read: &BTreeMap::new(),
            base_version: version,
            changes_after_snapshot,
        };
        let new = write_for(merged, new, self.compact_after);
        Prepared::Write(Box::new(Pending {
            child: child.clone(),
            write: new.write,
            base_version: version,
            changes_after_snapshot,
            doc,
            bytes: new.bytes,
            outcome: Outcome::Stored,
            audits: Vec::new(),
        }))
    }

    /// The whole read model of a record at version 0, with no new changes.
    fn reproject(&self, child: &ChildId, current: Current<Automerge>) -> Pending {
        let merged = Merged {
            doc: &current.doc,
            changed: &BTreeSet::new(),
            read: &BTreeMap::new(),
            base_version: 0,
            changes_after_snapshot: current.changes_after_snapshot,
        };
        let new = write_for(merged, Vec::new(), self.compact_after);
        Pending {
            child: child.clone(),
            write: new.write,
            base_version: 0,
            changes_after_snapshot: current.changes_after_snapshot,
            doc: current.doc,
            bytes: new.bytes,
            outcome: Outcome::Stored,
            audits: Vec::new(),
        }
    }

    /// Stores `pending` in one group commit and publishes what was stored. Returns the jobs
    /// another process stored into first: they go round again.
    async fn commit(
        &self,
        mut pending: Vec<(usize, Box<Pending>)>,
        results: &mut [Option<Result<Outcome, MergeError>>],
    ) -> Vec<usize> {
        if pending.is_empty() {
            return Vec::new();
        }
        let unsaveable = check_compactions(
            &self.cpu,
            pending.iter_mut().map(|(_, p)| &mut p.write).collect(),
        )
        .await;
        let mut batch = MergeBatch::with_capacity(pending.len());
        let mut committing = Vec::with_capacity(pending.len());
        for ((job, p), unsaveable) in pending.into_iter().zip(unsaveable) {
            let after = changes_after_commit(p.changes_after_snapshot, &p.write);
            batch.push((p.child.clone(), p.base_version, p.write));
            committing.push(Committing {
                job,
                child: p.child,
                base_version: p.base_version,
                changes_after_commit: after,
                doc: p.doc,
                bytes: p.bytes,
                outcome: p.outcome,
                unsaveable,
                audits: p.audits,
            });
        }
        // Written together with the merges of other runs waiting at the same moment.
        let committed = self
            .commits
            .submit(batch)
            .await
            .unwrap_or_else(|| Err("the storage writer stopped".into()));
        let done = match committed {
            Ok(done) => done,
            Err(e) => {
                // Nothing was stored; the merged documents are dropped, not cached.
                for c in committing {
                    results[c.job] = Some(Err(MergeError::Unavailable(e.clone())));
                }
                return Vec::new();
            }
        };
        let mut again = Vec::new();
        for (c, stored) in committing.into_iter().zip(done) {
            let child = &c.child;
            if !stored {
                // Another process stored first: the cached copy is no longer current.
                self.cache.forget(child);
                self.metrics.merge_conflict();
                again.push(c.job);
                continue;
            }
            let version = c.base_version + 1;
            self.cache
                .put(child, version, c.changes_after_commit, Arc::new(c.doc));
            self.cache.keep(child, c.bytes);
            self.live.changed(child);
            if c.unsaveable {
                self.report_broken(child, version, Broken::Unsaveable).await;
            }
            if !c.audits.is_empty() {
                self.audit.record_all_or_log(&c.audits).await;
            }
            results[c.job] = Some(Ok(c.outcome));
        }
        again
    }
}

/// The answer when a merge itself failed (panicked, or the CPU pool is gone).
fn could_not_process() -> ChildResult {
    ChildResult::Rejected {
        reason: "the server could not process these changes".into(),
    }
}

/// The CPU-bound part of a sync merge: merges and checks `req` against the document stored
/// at `current.version` and builds the write.
fn merge_in_memory(
    ctx: &OnCpu,
    sender: &Sender,
    req: &ChildSyncRequest,
    current: Current<Automerge>,
) -> Prepared {
    let Current {
        mut doc,
        version: base_version,
        changes_after_snapshot,
    } = current;
    // The observations the validator read back are the observation rows the merge touched.
    let checked_out = std::cell::RefCell::new(None);
    let check = |before: &Automerge, after: &Automerge, new: &[Change]| -> Result<(), Rejection> {
        // `apply_ready` refused any change that does not continue its actor's stored sequence,
        // so the stored last number is the one before each actor's first new change: no need
        // to walk the record's history again.
        let last_seq = first_sequence_numbers(new);
        let checked = validate::check_applied(
            before,
            after,
            new,
            sender,
            &|actor| {
                last_seq
                    .get(actor)
                    .map_or(0, |first| first.saturating_sub(1))
            },
            Policy {
                latest_ms: Some(now_ms() + validate::CLOCK_TOLERANCE_MS),
                ..Policy::default()
            },
        )?;
        *checked_out.borrow_mut() = Some(checked);
        Ok(())
    };
    // Panic boundary: whatever bytes arrive, a bug in decoding or validation refuses this
    // child's changes instead of taking the worker down. The document is not cached again
    // after a panic, so a half-applied state never reaches storage or a later merge.
    let merged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let kept = |hashes: &[ChangeHash]| ctx.change_bytes(&req.child_id, hashes);
        let outcome = protocol::merge_child(&mut doc, req, Limits::default(), &check, &kept);
        (outcome, doc)
    }));
    let Ok((outcome, doc)) = merged else {
        tracing::error!(child = %req.child_id, "merge panicked; changes refused");
        return Prepared::Answer(Outcome::Answered(could_not_process()));
    };
    if let ChildResult::Rejected { reason } = &outcome.result {
        tracing::warn!(child = %req.child_id, user = %sender.user_id, reason = %reason, "changes rejected");
    }
    if outcome.persist.is_empty() {
        // Nothing new (or refused): the document is as stored.
        ctx.cache.put(
            &req.child_id,
            base_version,
            changes_after_snapshot,
            Arc::new(doc),
        );
        return Prepared::Answer(Outcome::Answered(outcome.result));
    }
    let checked = checked_out.into_inner().unwrap_or_default();
    let audits = checked
        .sharing
        .iter()
        .map(|(id, shared, detrimental)| {
            let what = match (shared, detrimental) {
                (true, _) => "shared",
                (false, true) => "not shared: more detrimental to the child",
                (false, false) => "not shared",
            };
            crate::audit::Event::new("sharing_decision", "recorded")
                .by(sender.user_id.as_str(), None)
                .child(&req.child_id)
                .detail(format!("information-sharing decision {id}: {what}"))
        })
        .collect();
    let read = checked.observations;
    let changed: BTreeSet<String> = read.keys().cloned().collect();
    let merged = Merged {
        doc: &doc,
        changed: &changed,
        read: &read,
        base_version,
        changes_after_snapshot,
    };
    let new = write_for(merged, outcome.persist, ctx.compact_after);
    Prepared::Write(Box::new(Pending {
        child: req.child_id.clone(),
        write: new.write,
        base_version,
        changes_after_snapshot,
        doc,
        bytes: new.bytes,
        outcome: Outcome::Answered(outcome.result),
        audits,
    }))
}

/// The lowest sequence number among `new` of each actor that wrote one of them.
fn first_sequence_numbers(new: &[Change]) -> HashMap<ActorId, u64> {
    let mut out: HashMap<ActorId, u64> = HashMap::new();
    for c in new {
        let seq = out.entry(c.actor_id().clone()).or_insert(c.seq());
        *seq = (*seq).min(c.seq());
    }
    out
}
