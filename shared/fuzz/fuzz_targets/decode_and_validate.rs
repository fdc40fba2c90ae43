//! Untrusted bytes through everything the server does with a sync request: JSON and base64
//! decoding, Automerge change and sync-message decoding, merging and the change policy.
//! Nothing may panic, and a refused request must leave the record untouched.

#![no_main]

use automerge::{ActorId, Change};
use libfuzzer_sys::fuzz_target;
use shared::api::Role;
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::sync::server::{self, Limits};
use shared::sync::{Bytes, ChildResult, ChildSyncRequest, SyncRequest};
use shared::validate::{self, Policy, Sender};
use shared::ChildId;

fn stored(child: &ChildId) -> automerge::Automerge {
    let mut doc = record::new_replica(child, ActorId::from(b"stored-device".to_vec()));
    let obs = Observation {
        id: "o1".into(),
        occurred: "2026-01-01".into(),
        occurred_approx: false,
        recorded_at_ms: 1,
        author_id: "alice".into(),
        author_name: "Alice".into(),
        agency: "Health".into(),
        location: String::new(),
        present: vec![],
        indicators: vec![IndicatorEntry { code: "NEG-HYGIENE".into(), level: Level::Consider, ..Default::default() }],
        source: Source::Observed,
        narrative: "n".into(),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    };
    let _ = record::add_observation(&mut doc, &obs, 1);
    doc
}

fn merge(req: &ChildSyncRequest) {
    // Building the stored record is the slow part; do it once and clone it per input.
    static STORED: std::sync::OnceLock<automerge::Automerge> = std::sync::OnceLock::new();
    let child: ChildId = "fuzz-child".parse().expect("valid id");
    let mut doc = if req.child_id == child {
        STORED.get_or_init(|| stored(&child)).clone()
    } else {
        stored(&req.child_id)
    };
    let before = doc.get_heads();
    let sender = Sender { user_id: "mallory".into(), role: Role::Practitioner, actor_prefix: b"fuzz".to_vec() };
    let check = |b: &automerge::Automerge, a: &automerge::Automerge, new: &[Change]| {
        validate::check_applied(b, a, new, &sender, &|_| 0, Policy::default()).map(|_| ()).map_err(|r| r.to_string())
    };
    let outcome = server::merge_child(&mut doc, req, Limits::default(), &check, &server::no_stored_bytes);
    if matches!(outcome.result, ChildResult::Rejected { .. }) {
        assert_eq!(doc.get_heads(), before, "a refused request changed the record");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let child: ChildId = "fuzz-child".parse().expect("valid id");
    match mode % 3 {
        0 => {
            if let Ok(req) = serde_json::from_slice::<SyncRequest>(rest) {
                for c in req.children.iter().take(4) {
                    merge(c);
                }
            }
        }
        1 => merge(&ChildSyncRequest {
            child_id: child,
            server_heads: Some(vec![]),
            changes: vec![Bytes(rest.to_vec())],
            sync_message: None,
        }),
        _ => merge(&ChildSyncRequest {
            child_id: child,
            server_heads: None,
            changes: vec![],
            sync_message: Some(Bytes(rest.to_vec())),
        }),
    }
});
