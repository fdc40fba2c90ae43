//! What arrives on the wire: bounds, bytes that are not changes, requests the endpoint does
//! not take, and the fallback path, which validates what it applies like the fast path.

#![allow(unused_imports)]
use automerge::sync::{ChunkList, Message, MessageVersion};
use automerge::transaction::Transactable;
use automerge::{ActorId, Change, ObjType, ReadDoc};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use shared::sync::server::encode_changes;
use shared::sync::{Bytes, ChildSyncRequest, SyncRequest};
use shared::validate::Rejection;

use super::check::{case, policy, Case, Expect::*, Reason};
use super::fixture::*;

pub fn cases() -> Vec<Case> {
    vec![
        // Floods and bounds.
        case(
            "a flood of changes whose dependencies are missing",
            Some(SAM),
            // Nothing can be stored or queued; the tablet is told to fall back.
            NoEffect(AVA, "fallback"),
            |f| {
                let mut req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    add(d, &observation("flood", SAM));
                    let o = entry(d, "observations", "flood");
                    for i in 0..300 {
                        raw(d, |tx| {
                            tx.put(&o, "narrative", format!("{MARK} {i}")).expect("put")
                        });
                    }
                });
                req.changes.remove(0);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "more changes for one child than a sync may carry",
            Some(SAM),
            // Counted before any is decoded.
            Rejected(AVA, Reason::Text("too many changes in one sync")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(vec![0]); 5_001],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "too many operations in one change",
            Some(SAM),
            Rejected(AVA, policy(Rejection::TooManyOps)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    let m = map(d, "observations");
                    raw(d, |tx| {
                        let o = tx.put_object(&m, "big", ObjType::Map).expect("obj");
                        let text = tx.put_object(&o, "narrative", ObjType::Text).expect("text");
                        // One operation per character.
                        tx.splice_text(&text, 0, 0, &"x".repeat(20_001))
                            .expect("splice");
                    });
                });
                assert_eq!(req.changes.len(), 1);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "one change larger than the server accepts",
            Some(SAM),
            Rejected(
                AVA,
                Reason::Text("a change is larger than the server accepts"),
            ),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(vec![7; 1024 * 1024 + 1])],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        // Bytes that are not changes.
        case(
            "valid base64 but not a change",
            Some(SAM),
            Rejected(AVA, Reason::Text("a change could not be decoded")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(format!("{MARK} not a change").into_bytes())],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "truncated change bytes",
            Some(SAM),
            Rejected(AVA, Reason::Text("a change could not be decoded")),
            |f| {
                let mut req = forged_author(f);
                let bytes = &mut req.changes[0].0;
                bytes.truncate(bytes.len() / 2);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "change bytes with a flipped bit (checksum)",
            Some(SAM),
            Rejected(AVA, Reason::Text("a change could not be decoded")),
            |f| {
                let mut req = forged_author(f);
                let bytes = &mut req.changes[0].0;
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x01;
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "garbage base64",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not match what this endpoint expects",
            ),
            |f| {
                post(
                    Some(&f.sam.token),
                    r#"{"children":[{"child_id":"child-ava","server_heads":[],"changes":["!!not base64!!"]}]}"#,
                )
            },
        ),
        // Requests that are not what the endpoint takes.
        case(
            "malformed JSON",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "not well-formed JSON",
            ),
            |f| post(Some(&f.sam.token), "{children: [MALICIOUS-CONTENT"),
        ),
        case(
            "JSON of the wrong shape",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not match what this endpoint expects",
            ),
            |f| {
                post(
                    Some(&f.sam.token),
                    r#"{"children":[{"child_id":"child-ava","server_heads":"MALICIOUS-CONTENT"}]}"#,
                )
            },
        ),
        case(
            "a body not sent as JSON",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "send the request as JSON",
            ),
            |f| {
                Request::post("/api/sync")
                    .header(header::AUTHORIZATION, format!("Bearer {}", f.sam.token))
                    .body(Body::from(r#"{"children":[]}"#))
                    .expect("request")
            },
        ),
        // The compact form (`shared::sync::wire`): the same checks, before any child.
        case(
            "a compact body that is not deflate",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "compact sync body is malformed: the body is not a valid deflate stream",
            ),
            |f| compact(&f.sam.token, b"QSY1\xffMALICIOUS-CONTENT".to_vec()),
        ),
        case(
            "a compact body without its mark",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not start with the compact sync form's mark",
            ),
            |f| compact(&f.sam.token, br#"{"children":[]}"#.to_vec()),
        ),
        case(
            "a small compact body that inflates past the bound",
            Some(SAM),
            Http(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "larger than the server accepts",
            ),
            |f| {
                let zeros = vec![0u8; server::routes::sync::MAX_INFLATED_SYNC + 1024];
                compact(&f.sam.token, deflated(&zeros))
            },
        ),
        case(
            "a compact body naming a child id that is a path",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "a child id in the body is not a valid id",
            ),
            |f| {
                let mut raw = vec![1, 13];
                raw.extend_from_slice(b"../child-noah");
                raw.extend_from_slice(&[0, 0]);
                compact(&f.sam.token, deflated(&raw))
            },
        ),
        case(
            "a compact body whose change runs past its end",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "ends in the middle of a field",
            ),
            |f| {
                let mut raw = vec![1, 9];
                raw.extend_from_slice(b"child-ava");
                raw.extend_from_slice(&[0, 1, 0xff, 0x7f, 1, 2, 3]);
                compact(&f.sam.token, deflated(&raw))
            },
        ),
        case(
            "a compact body with bytes after its last child",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "bytes after its last child",
            ),
            |f| {
                let mut raw = vec![1, 9];
                raw.extend_from_slice(b"child-ava");
                raw.extend_from_slice(&[0, 0, 42]);
                compact(&f.sam.token, deflated(&raw))
            },
        ),
        case(
            "garbage change bytes in a compact body",
            Some(SAM),
            Rejected(AVA, Reason::Text("decoded")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: replica(&f.sam, AVA).server_heads_hex(),
                    changes: vec![Bytes(b"MALICIOUS-CONTENT, not a change".to_vec())],
                    sync_message: None,
                };
                let body = shared::sync::wire::encode_request(&SyncRequest {
                    children: vec![req],
                    ..Default::default()
                });
                compact(&f.sam.token, body)
            },
        ),
        case(
            "a child id that is a path",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "does not match what this endpoint expects",
            ),
            |f| {
                post(
                    Some(&f.sam.token),
                    r#"{"children":[{"child_id":"../child-noah","server_heads":null}]}"#,
                )
            },
        ),
        case(
            "a child named twice",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "a child is named twice in one sync",
            ),
            |f| {
                let forged = forged_author(f);
                let other = ChildSyncRequest {
                    changes: vec![],
                    ..forged.clone()
                };
                sync(&f.sam, vec![other, forged])
            },
        ),
        case(
            "more children than a sync may name",
            Some(SAM),
            Http(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "a sync may name at most 500 children",
            ),
            |f| {
                let mut children = vec![forged_author(f)];
                children.extend((0..500).map(|i| ChildSyncRequest {
                    child_id: id(&format!("child-made-up-{i}")),
                    server_heads: None,
                    changes: vec![],
                    sync_message: None,
                }));
                sync(&f.sam, children)
            },
        ),
        case(
            "an oversized body",
            Some(SAM),
            Http(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "larger than the server accepts",
            ),
            |f| {
                // One base64 change of 3 MiB: more than the 4 MiB the server is set to accept.
                let change = "A".repeat(4 * 1024 * 1024);
                post(
                    Some(&f.sam.token),
                    format!(
                        r#"{{"children":[{{"child_id":"child-ava","server_heads":[],"changes":["{change}"]}}]}}"#
                    ),
                )
            },
        ),
        // The fallback path validates what it applies, like the fast path.
        case(
            "a garbage sync message in fallback",
            Some(SAM),
            Rejected(AVA, Reason::Text("the sync message could not be decoded")),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(AVA),
                    server_heads: None,
                    changes: vec![],
                    sync_message: Some(Bytes(vec![0x42, 0xff, 0xff, 0xff])),
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a forged change smuggled inside a fallback sync message",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = in_sync_message(AVA, &forged_author(f).changes);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a sequence gap inside a fallback sync message",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::BadSequence)),
            |f| {
                let req = in_sync_message(ZARA, &after_a_gap(f).changes);
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a forged change with server heads that are not hashes",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let req = ChildSyncRequest {
                    server_heads: Some(vec!["not-a-hash".into()]),
                    ..forged_author(f)
                };
                sync(&f.sam, vec![req])
            },
        ),
    ]
}

/// A sync request with `body` sent as the compact form.
fn compact(token: &str, body: Vec<u8>) -> Request<Body> {
    Request::post("/api/sync")
        .header(header::CONTENT_TYPE, shared::sync::wire::CONTENT_TYPE)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request")
}

/// `raw` as a compact body's bytes: the mark, then deflated.
fn deflated(raw: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = b"QSY1".to_vec();
    let mut enc = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::best());
    enc.write_all(raw).expect("deflate");
    enc.finish().expect("deflate");
    out
}
