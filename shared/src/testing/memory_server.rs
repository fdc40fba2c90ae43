//! The server reduced to its merge logic over in-memory documents, for tests that drive many
//! tablets through a simulated network (the convergence property test). It answers a caseload
//! sync with the same code as the real route: [`CaseloadSync`] for which children are merged,
//! refused or sent whole and in what order, and `sync::server` for each child. What it leaves
//! out is storage and time; it checks changes against the change policy for a sender
//! ([`MemoryServer::handle_as`]) or accepts every change ([`MemoryServer::handle`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{ActorId, Automerge, Change, ChangeHash};

use crate::api::CaseloadEntry;
use crate::record;
use crate::sync::server::{self, Limits};
use crate::sync::{Bytes, CaseloadSync, ChildResult, SyncRequest, SyncResponse};
use crate::validate::{self, Policy, Sender};
use crate::ChildId;

/// Every child is on every user's caseload.
pub struct MemoryServer {
    docs: BTreeMap<ChildId, Automerge>,
    /// Wire bytes of every change stored, as the real server keeps them to answer from.
    bytes: HashMap<ChangeHash, Bytes>,
    /// Every other request is answered from kept bytes, the rest from the documents, so both
    /// ways of building an answer are exercised.
    handled: usize,
}

impl MemoryServer {
    /// A server holding a fresh record (its genesis alone) for each of `children`.
    pub fn new(children: &[ChildId]) -> Self {
        MemoryServer {
            docs: children
                .iter()
                .map(|c| (c.clone(), record::genesis(c)))
                .collect(),
            bytes: HashMap::new(),
            handled: 0,
        }
    }

    /// The stored document of `child`.
    pub fn doc(&self, child: &ChildId) -> Option<&Automerge> {
        self.docs.get(child)
    }

    /// Every stored document, by child.
    pub fn docs(&self) -> &BTreeMap<ChildId, Automerge> {
        &self.docs
    }

    fn caseload(&self) -> Vec<CaseloadEntry> {
        self.docs
            .keys()
            .map(|id| CaseloadEntry {
                child_id: id.clone(),
                display_name: id.to_string(),
                date_of_birth: "2015-01-01".into(),
                legal_status: "Child in need".into(),
            })
            .collect()
    }

    /// Answers one caseload sync, accepting every change.
    ///
    /// # Panics
    /// If the request is one the real route refuses whole (too many children, one twice).
    pub fn handle(&mut self, req: &SyncRequest) -> SyncResponse {
        self.answer(req, &server::accept_all)
    }

    /// Answers one caseload sync from `sender`, whose changes are judged by the server's
    /// change policy (`validate::check_applied`) as the real server judges them.
    pub fn handle_as(&mut self, req: &SyncRequest, sender: &Sender) -> SyncResponse {
        let check = |before: &Automerge, after: &Automerge, new: &[Change]| {
            let last = last_sequence_numbers(before, new);
            validate::check_applied(
                before,
                after,
                new,
                sender,
                &|actor| last.get(actor).copied().unwrap_or(0),
                Policy::default(),
            )
            .map(|_| ())
        };
        self.answer(req, &check)
    }

    fn answer(&mut self, req: &SyncRequest, check: server::Check<'_>) -> SyncResponse {
        self.handled += 1;
        let caseload = self.caseload();
        let plan = CaseloadSync::plan(req, &caseload, usize::MAX).expect("a valid request");
        let kept = &self.bytes;
        let from_kept = |hashes: &[ChangeHash]| -> Option<Vec<Bytes>> {
            hashes.iter().map(|h| kept.get(h).cloned()).collect()
        };
        let change_bytes: server::ChangeBytes<'_> = if self.handled.is_multiple_of(2) {
            &from_kept
        } else {
            &server::no_change_bytes
        };
        let mut stored_now = Vec::new();
        let mut merged = Vec::new();
        for c in plan.to_merge() {
            let doc = self.docs.get_mut(&c.child_id).expect("on the caseload");
            let merge = server::merge_child(doc, c, Limits::default(), check, change_bytes);
            stored_now.extend(merge.persist);
            merged.push(merge.result);
        }
        let sent: Vec<ChildResult> = plan
            .to_send()
            .iter()
            .map(|id| {
                let genesis = record::genesis(id).get_heads();
                server::initial(&self.docs[*id], &genesis, change_bytes)
            })
            .collect();
        let children = plan
            .answer(merged, sent)
            .into_iter()
            .map(|a| a.response)
            .collect();
        for mut change in stored_now {
            self.bytes
                .insert(change.hash(), Bytes(change.bytes().into_owned()));
        }
        SyncResponse {
            children,
            caseload,
            server_time_ms: 0,
            account_disabled: false,
            concerns: Vec::new(),
        }
    }
}

/// The highest sequence number stored in `doc` of each actor that wrote one of `new`.
fn last_sequence_numbers(doc: &Automerge, new: &[Change]) -> HashMap<ActorId, u64> {
    let actors: HashSet<&ActorId> = new.iter().map(|c| c.actor_id()).collect();
    let mut out = HashMap::new();
    for meta in doc.get_changes_meta(&[]) {
        if actors.contains(meta.actor.as_ref()) {
            let seq = out.entry(meta.actor.clone().into_owned()).or_insert(0);
            *seq = (*seq).max(meta.seq);
        }
    }
    out
}
