//! The audit trail: who read or changed which child's record, from which device, when, and
//! with what outcome. Append-only and hash-chained; never holds record contents.
//!
//! This file is the pure part (events, the chain, its check); `audit_log` writes them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One audited event, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    pub child_id: Option<String>,
    /// e.g. `read.record`, `read.chronology`, `export.csv`, `sync.accepted`, `sync.rejected`,
    /// `sync.refused`, `login`.
    pub action: String,
    /// `ok`, `rejected`, `refused`, `failed`.
    pub outcome: String,
    /// Counts and reasons only; never record contents.
    pub detail: String,
}

impl Event {
    pub fn new(action: &str, outcome: &str) -> Self {
        Event {
            user_id: None,
            device_id: None,
            child_id: None,
            action: action.into(),
            outcome: outcome.into(),
            detail: String::new(),
        }
    }

    /// The user (and device) the event is attributed to.
    pub fn by(mut self, user_id: &str, device_id: Option<&str>) -> Self {
        self.user_id = Some(user_id.to_owned());
        self.device_id = device_id.map(str::to_owned);
        self
    }

    pub fn child(mut self, child: &shared::ChildId) -> Self {
        self.child_id = Some(child.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: i64,
    pub at_ms: i64,
    pub event: Event,
    pub prev_hash: String,
    pub hash: String,
}

/// `events` with the chain continued from `prev`: each with its previous hash and its own.
pub fn chained(mut prev: String, at_ms: i64, events: &[Event]) -> Vec<(&Event, String, String)> {
    events
        .iter()
        .map(|event| {
            let hash = chain_hash(&prev, at_ms, event);
            (event, std::mem::replace(&mut prev, hash.clone()), hash)
        })
        .collect()
}

/// The hash that links an entry to its predecessor. Fields are length-prefixed so that no two
/// different entries serialise the same way.
pub fn chain_hash(prev_hash: &str, at_ms: i64, e: &Event) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(prev_hash);
    field(&at_ms.to_string());
    field(e.user_id.as_deref().unwrap_or(""));
    field(e.device_id.as_deref().unwrap_or(""));
    field(e.child_id.as_deref().unwrap_or(""));
    field(&e.action);
    field(&e.outcome);
    field(&e.detail);
    hex::encode(h.finalize())
}

/// The hash the first entry links to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Checks a complete trail (in `seq` order); returns the `seq` of the first entry that does
/// not match, if any.
pub fn verify(entries: &[Entry]) -> Result<(), i64> {
    let mut prev = GENESIS_HASH.to_owned();
    for e in entries {
        if e.prev_hash != prev || chain_hash(&e.prev_hash, e.at_ms, &e.event) != e.hash {
            return Err(e.seq);
        }
        prev = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str, action: &str) -> Entry {
        let event = Event::new(action, "ok");
        let hash = chain_hash(prev, seq * 10, &event);
        Entry {
            seq,
            at_ms: seq * 10,
            event,
            prev_hash: prev.into(),
            hash,
        }
    }

    #[test]
    fn tampering_breaks_the_chain() {
        let a = entry(1, GENESIS_HASH, "login");
        let b = entry(2, &a.hash, "read.record");
        let c = entry(3, &b.hash, "sync.accepted");
        assert_eq!(verify(&[a.clone(), b.clone(), c.clone()]), Ok(()));
        let mut edited = b.clone();
        edited.event.outcome = "rejected".into();
        assert_eq!(verify(&[a.clone(), edited, c.clone()]), Err(2));
        assert_eq!(verify(&[a, c]), Err(3), "a deleted row is detected");
    }
}
