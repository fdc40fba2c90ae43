//! Untrusted bytes through everything the server does with a sync request: JSON and base64
//! decoding, the compact form's inflating and parsing (`sync::wire`), Automerge change and sync-message decoding, the decompressed-size bound, merging
//! and the change policy; and through the sign-in device-id parser. Nothing may panic, a
//! refused request must leave the record untouched, and an accepted one must leave a record
//! that loads again.

#![no_main]

use automerge::{ActorId, Change};
use libfuzzer_sys::fuzz_target;
use shared::api::Role;
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::sync::server::{self, Limits};
use shared::sync::{Bytes, ChildResult, ChildSyncRequest, SyncRequest};
use shared::validate::{self, Policy, Sender};
use shared::{ChildId, DeviceId};

fn stored(child: &ChildId) -> automerge::Automerge {
    let mut doc = record::new_replica(child, ActorId::from(b"stored-device".to_vec()));
    let obs = Observation {
        id: "o1".parse().expect("a valid id"),
        occurred: "2026-01-01".into(),
        occurred_approx: false,
        recorded_at_ms: 1,
        author_id: "alice".parse().expect("a valid id"),
        author_name: "Alice".into(),
        agency: "Health".into(),
        location: String::new(),
        present: vec![],
        indicators: vec![IndicatorEntry {
            code: "NEG-HYGIENE".into(),
            level: Level::Consider,
            ..Default::default()
        }],
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
    let sender = Sender {
        user_id: "mallory".parse().expect("a valid id"),
        role: Role::Practitioner,
        display_name: "Mallory".into(),
        agency: "Health".into(),
        actor_prefix: b"fuzz-device-0001".to_vec(),
    };
    let check = |b: &automerge::Automerge, a: &automerge::Automerge, new: &[Change]| {
        validate::check_applied(b, a, new, &sender, &|_| 0, Policy::default())
            .map(|_| ())
    };
    let outcome = server::merge_child(
        &mut doc,
        req,
        Limits::default(),
        &check,
        &server::no_change_bytes,
    );
    if matches!(outcome.result, ChildResult::Rejected { .. }) {
        assert_eq!(
            doc.get_heads(),
            before,
            "a refused request changed the record"
        );
    } else if !outcome.persist.is_empty() {
        let loaded = automerge::Automerge::load(&doc.save())
            .expect("an accepted change keeps the record loadable");
        assert_eq!(loaded.get_heads(), doc.get_heads());
    }
}

/// The sign-in parser: whatever it accepts is the one canonical spelling of 16 bytes.
fn device_id(raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    if let Ok(id) = text.parse::<DeviceId>() {
        assert_eq!(id.as_str().len(), 32);
        assert!(id
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(DeviceId::from_bytes(id.bytes()).as_ref(), Ok(&id));
    }
    let json = serde_json::to_string(&text).unwrap_or_default();
    let _ = serde_json::from_str::<DeviceId>(&json);
}

/// The size bound reads no more than it allows, and agrees with decoding.
fn sizes(raw: &[u8]) {
    let limit = 4096;
    if let Ok(size) = server::change_size(raw, limit) {
        assert!(size <= limit);
    }
    let limits = Limits {
        max_change_bytes: limit,
        ..Limits::default()
    };
    if server::decode_changes(&[Bytes(raw.to_vec())], limits).is_ok() {
        assert!(server::change_size(raw, limit).is_ok());
    }
    let _ = Change::from_bytes(raw.to_vec());
}

/// The compact form: whatever decodes encodes back to the same request, and is merged.
fn compact(body: &[u8]) {
    if let Ok(req) = shared::sync::wire::decode_request(body, 1 << 20) {
        let again = shared::sync::wire::encode_request(&req);
        assert_eq!(
            shared::sync::wire::decode_request(&again, 1 << 20).as_ref(),
            Ok(&req)
        );
        for c in req.children.iter().take(4) {
            merge(c);
        }
    }
}

/// `raw` as the inflated payload of a compact body, so the parser sees what the fuzzer makes.
fn compact_payload(raw: &[u8]) {
    use std::io::Write as _;
    let mut body = b"QSY1".to_vec();
    let mut enc = flate2::write::DeflateEncoder::new(&mut body, flate2::Compression::fast());
    let _ = enc.write_all(raw);
    let _ = enc.finish();
    compact(&body);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let child: ChildId = "fuzz-child".parse().expect("valid id");
    match mode % 7 {
        5 => compact(rest),
        6 => compact_payload(rest),
        3 => device_id(rest),
        4 => sizes(rest),
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
