//! The caseload sync protocol: one HTTP request and response syncs every child on a tablet.
//!
//! Fast path: for each child the tablet remembers the heads the server last acknowledged
//! ("server heads"). It sends the changes it made beyond them; the server merges them, commits
//! durably and answers with everything it has beyond what the tablet now has, plus its new
//! heads. Nothing is acknowledged before the server's commit, and the tablet only advances its
//! server heads from a response, so an interrupted sync simply repeats: applying a change twice
//! is a no-op.
//!
//! Fallback: when a tablet does not know (or the server does not recognise) its server heads,
//! that child falls back to Automerge's own sync protocol, carried in the same batch request,
//! until the tablet holds a set of heads the server has; then the fast path resumes.
//!
//! Rejection: the server stores nothing of a child's batch if any change breaks its policy.
//! The tablet then re-issues its valid work under a fresh actor on the acknowledged heads
//! ([`reissue`], [`Replica::recover`]) and reports what the policy refuses.

pub mod caseload;
pub mod client;
pub mod protocol;
pub mod reissue;
pub mod server;
pub mod wire;

pub use caseload::{Answer, CaseloadSync, SyncRefusal};
pub use client::{Caseload, Recovery, Replica};
pub use protocol::{
    Bytes, ChildResult, ChildSyncRequest, ChildSyncResponse, SyncRequest, SyncResponse,
};
pub use reissue::{reissue, Dropped, ReissueError, Reissued};

use automerge::{Automerge, ChangeHash, ReadDoc};

/// Hex form used on the wire and in storage.
pub fn heads_to_hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}

/// Parses hex heads; `None` if any is malformed.
pub fn heads_from_hex(heads: &[String]) -> Option<Vec<ChangeHash>> {
    heads.iter().map(|h| h.parse().ok()).collect()
}

/// Whether `doc` holds every change in `hashes`. Asks the change graph only: looking a change
/// up by hash rebuilds it from the document's operations, which is far dearer.
pub fn holds(doc: &Automerge, hashes: &[ChangeHash]) -> bool {
    // Documents here never keep changes queued (see `server::apply_ready`), so a hash is
    // missing exactly when the document lacks that change.
    doc.get_missing_deps(hashes).is_empty()
}
