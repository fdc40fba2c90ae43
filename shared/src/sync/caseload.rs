//! The server's side of one caseload sync, above the single child: which children of a
//! request are merged, which are refused (not on the user's caseload), which the tablet is sent
//! whole because it did not name them, and the order of the answer. The route
//! (`server/src/routes/sync.rs`) and the in-memory server of the convergence test
//! (`testing::MemoryServer`) both run this, so what the test proves is what the server does.
//!
//! Architecture invariant: a child not on the caseload is never merged, whatever the request
//! says, and the answer names every child of the request once, in the request's order, then
//! every caseload child the request did not name, in caseload order.

use std::collections::HashSet;

use super::protocol::{ChildResult, ChildSyncRequest, ChildSyncResponse, SyncRequest};
use crate::api::CaseloadEntry;
use crate::ids::ChildId;

/// Why a whole sync request is refused before anything is merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncRefusal {
    #[error("a sync may name at most {0} children")]
    TooManyChildren(usize),
    #[error("a child is named twice in one sync")]
    NamedTwice,
}

/// One child's part of the answer to a caseload sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub response: ChildSyncResponse,
    /// Whether the request named the child (else it is a caseload child sent whole).
    pub named: bool,
    /// How many changes the tablet sent for it.
    pub sent: usize,
}

/// What to do with each child of one sync request (see the module's documentation).
#[derive(Debug)]
pub struct CaseloadSync<'a> {
    /// Every child the request names, in its order: merged when on the caseload, else revoked.
    named: Vec<(&'a ChildSyncRequest, bool)>,
    /// Caseload children the request does not name: the tablet is sent them whole.
    unnamed: Vec<&'a ChildId>,
}

impl<'a> CaseloadSync<'a> {
    /// Sorts `req`'s children against the user's `caseload`; a request naming more than
    /// `max_children` children, or one child twice, is refused whole.
    pub fn plan(
        req: &'a SyncRequest,
        caseload: &'a [CaseloadEntry],
        max_children: usize,
    ) -> Result<Self, SyncRefusal> {
        if req.children.len() > max_children {
            return Err(SyncRefusal::TooManyChildren(max_children));
        }
        let mut named = HashSet::new();
        if !req.children.iter().all(|c| named.insert(&c.child_id)) {
            return Err(SyncRefusal::NamedTwice);
        }
        let allowed: HashSet<&ChildId> = caseload.iter().map(|c| &c.child_id).collect();
        Ok(CaseloadSync {
            named: req
                .children
                .iter()
                .map(|c| (c, allowed.contains(&c.child_id)))
                .collect(),
            unnamed: caseload
                .iter()
                .map(|c| &c.child_id)
                .filter(|id| !named.contains(id))
                .collect(),
        })
    }

    /// The children to merge, in request order.
    pub fn to_merge(&self) -> Vec<&'a ChildSyncRequest> {
        self.named
            .iter()
            .filter(|(_, allowed)| *allowed)
            .map(|(c, _)| *c)
            .collect()
    }

    /// The children named that are not on the caseload, in request order.
    pub fn refused(&self) -> Vec<&'a ChildId> {
        self.named
            .iter()
            .filter(|(_, allowed)| !*allowed)
            .map(|(c, _)| &c.child_id)
            .collect()
    }

    /// The caseload children to send whole, in caseload order.
    pub fn to_send(&self) -> &[&'a ChildId] {
        &self.unnamed
    }

    /// The answer: `merged` holds one result per child of [`Self::to_merge`] and `sent` one
    /// per child of [`Self::to_send`], in those orders; refused children are revoked.
    pub fn answer(&self, merged: Vec<ChildResult>, sent: Vec<ChildResult>) -> Vec<Answer> {
        let to_merge = self.named.iter().filter(|(_, allowed)| *allowed).count();
        assert_eq!(merged.len(), to_merge, "one result per merge");
        assert_eq!(sent.len(), self.unnamed.len(), "one result per child sent");
        let mut merged = merged.into_iter();
        let named = self.named.iter().map(|(c, allowed)| {
            let result = match allowed {
                true => merged.next().expect("counted above"),
                // Never allocated, or the allocation was removed: nothing is stored and the
                // tablet drops its copy.
                false => ChildResult::Revoked,
            };
            let response = ChildSyncResponse {
                child_id: c.child_id.clone(),
                result,
            };
            Answer {
                response,
                named: true,
                sent: c.changes.len(),
            }
        });
        let unnamed = self.unnamed.iter().zip(sent).map(|(id, result)| {
            let response = ChildSyncResponse {
                child_id: (*id).clone(),
                result,
            };
            Answer {
                response,
                named: false,
                sent: 0,
            }
        });
        named.chain(unnamed).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ChildId {
        s.parse().expect("id")
    }

    fn entry(s: &str) -> CaseloadEntry {
        CaseloadEntry {
            child_id: id(s),
            display_name: s.into(),
            date_of_birth: "2015-01-01".into(),
            legal_status: String::new(),
        }
    }

    fn named(s: &str, changes: usize) -> ChildSyncRequest {
        ChildSyncRequest {
            child_id: id(s),
            server_heads: None,
            changes: vec![crate::sync::Bytes(vec![0]); changes],
            sync_message: None,
        }
    }

    fn merged(n: usize) -> ChildResult {
        ChildResult::Merged {
            heads: Vec::new(),
            changes: Vec::new(),
            accepted: n,
        }
    }

    #[test]
    fn named_children_in_request_order_then_the_rest_of_the_caseload() {
        let caseload = [entry("child-a"), entry("child-b"), entry("child-c")];
        let req = SyncRequest {
            children: vec![
                named("child-c", 2),
                named("child-x", 1),
                named("child-a", 0),
            ],
            ..Default::default()
        };
        let plan = CaseloadSync::plan(&req, &caseload, 10).expect("plan");
        let to_merge: Vec<&str> = plan
            .to_merge()
            .iter()
            .map(|c| c.child_id.as_str())
            .collect();
        assert_eq!(to_merge, ["child-c", "child-a"]);
        assert_eq!(plan.refused(), [&id("child-x")]);
        assert_eq!(plan.to_send(), [&id("child-b")]);
        let answer = plan.answer(vec![merged(2), merged(0)], vec![merged(7)]);
        let order: Vec<(&str, &ChildResult, bool, usize)> = answer
            .iter()
            .map(|a| {
                (
                    a.response.child_id.as_str(),
                    &a.response.result,
                    a.named,
                    a.sent,
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                ("child-c", &merged(2), true, 2),
                ("child-x", &ChildResult::Revoked, true, 1),
                ("child-a", &merged(0), true, 0),
                ("child-b", &merged(7), false, 0),
            ]
        );
    }

    #[test]
    fn a_request_too_long_or_naming_a_child_twice_is_refused_whole() {
        let caseload = [entry("child-a")];
        let twice = SyncRequest {
            children: vec![named("child-a", 1), named("child-a", 1)],
            ..Default::default()
        };
        assert_eq!(
            CaseloadSync::plan(&twice, &caseload, 10).err(),
            Some(SyncRefusal::NamedTwice)
        );
        let long = SyncRequest {
            children: vec![named("child-a", 0), named("child-b", 0)],
            ..Default::default()
        };
        assert_eq!(
            CaseloadSync::plan(&long, &caseload, 1).err(),
            Some(SyncRefusal::TooManyChildren(1))
        );
        assert!(CaseloadSync::plan(&long, &caseload, 2).is_ok());
    }
}
