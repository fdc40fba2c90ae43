//! Sequence numbers continue the actor's last stored change; duplicates have no effect.

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
        // Sequence numbers continue the actor's last stored change; duplicates have no effect.
        case(
            "an inflated sequence number (a gap)",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::BadSequence)),
            |f| sync(&f.sam, vec![after_a_gap(f)]),
        ),
        case(
            "a stored sequence number reused with different content",
            Some(SAM),
            Rejected(ZARA, policy(Rejection::BadSequence)),
            |f| {
                let tablet = replica(&f.sam, ZARA);
                let mut doc = tablet
                    .doc
                    .fork_at(&f.zara_before_sam)
                    .expect("fork")
                    .with_actor(f.sam.actor.clone());
                add(&mut doc, &observation("replayed-seq", SAM));
                let changes = doc.get_changes(&f.zara_before_sam);
                let stored = Change::from_bytes(f.stored.0.clone()).expect("stored");
                assert_eq!(
                    (changes[0].actor_id(), changes[0].seq()),
                    (stored.actor_id(), stored.seq())
                );
                assert_ne!(changes[0].hash(), stored.hash());
                let req = ChildSyncRequest {
                    child_id: id(ZARA),
                    server_heads: tablet.server_heads_hex(),
                    changes: encode_changes(changes),
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a change carrying an Automerge author",
            Some(SAM),
            Rejected(
                ZARA,
                Reason::Text("a change carries an Automerge author, which Quilt does not write"),
            ),
            |f| {
                // A fresh actor on Sam's device: Automerge only writes an author into an
                // actor's first change.
                let mut actor = f.sam.actor.to_bytes().to_vec();
                actor.extend_from_slice(b"-authored");
                let req = changes_on(&f.sam, ZARA, &ActorId::from(actor.clone()), |d| {
                    d.set_author(Some(automerge::Author::from(b"mallory".to_vec())));
                    d.set_actor(ActorId::from(actor));
                    add(d, &observation("authored", SAM))
                });
                let change = Change::from_bytes(req.changes[0].0.clone()).expect("change");
                assert!(change.author().is_some(), "the change carries an author");
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "exact replay of a stored change",
            Some(SAM),
            NoEffect(ZARA, "merged"),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(ZARA),
                    server_heads: replica(&f.sam, ZARA).server_heads_hex(),
                    changes: vec![f.stored.clone()],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a stored change twice in one request",
            Some(SAM),
            NoEffect(ZARA, "merged"),
            |f| {
                let req = ChildSyncRequest {
                    child_id: id(ZARA),
                    server_heads: replica(&f.sam, ZARA).server_heads_hex(),
                    changes: vec![f.stored.clone(), f.stored.clone()],
                    sync_message: None,
                };
                sync(&f.sam, vec![req])
            },
        ),
        case(
            // Refused for what it says, not tripped up by the repeat.
            "a forged change twice in one request",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForgedAuthor)),
            |f| {
                let mut req = forged_author(f);
                req.changes.push(req.changes[0].clone());
                sync(&f.sam, vec![req])
            },
        ),
    ]
}
