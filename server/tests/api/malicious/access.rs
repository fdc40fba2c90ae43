//! Who may send: sessions bound to the device that wrote the changes, a valid token, and
//! children on the sender's caseload.

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
        case(
            "a token from another device with the first device's actors",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    add(d, &observation("other-device", SAM))
                });
                sync_with(&f.sam_other_device, &f.sam, vec![req])
            },
        ),
        case(
            "a session bound to no device",
            Some(SAM),
            Rejected(AVA, policy(Rejection::ForeignActor)),
            |f| {
                let req = changes_on(&f.sam, AVA, &f.sam.actor, |d| {
                    add(d, &observation("no-device", SAM))
                });
                sync_with(&f.sam_no_device, &f.sam, vec![req])
            },
        ),
        // Nobody signed in. The token is refused before the body is read, so there is no user
        // to attribute an audit row to; each of these must store nothing.
        case(
            "no token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| {
                post(
                    None,
                    serde_json::to_vec(&SyncRequest {
                        children: vec![forged_author(f)],
                        ..Default::default()
                    })
                    .expect("json"),
                )
            },
        ),
        case(
            "a made-up token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| sync_with("0123abcd", &f.sam, vec![forged_author(f)]),
        ),
        case(
            "an expired token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| sync_with(&f.expired, &f.sam, vec![forged_author(f)]),
        ),
        case(
            "the token of a signed-out session",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| sync_with(&f.signed_out, &f.sam, vec![forged_author(f)]),
        ),
        case(
            "a password instead of a token",
            None,
            Http(StatusCode::UNAUTHORIZED, "unauthorised", "sign in"),
            |f| {
                Request::post("/api/sync")
                    .header(header::CONTENT_TYPE, "application/json")
                    // base64 of "sam.social:quilt-demo"
                    .header(header::AUTHORIZATION, "Basic c2FtLnNvY2lhbDpxdWlsdC1kZW1v")
                    .body(Body::from(
                        serde_json::to_vec(&SyncRequest {
                            children: vec![forged_author(f)],
                            ..Default::default()
                        })
                        .expect("json"),
                    ))
                    .expect("request")
            },
        ),
        // Children that are not the sender's to sync: nothing stored, the tablet told to drop them.
        case(
            "a child never allocated to the sender",
            Some(SAM),
            Revoked(NOAH),
            |f| {
                let req = made_up(NOAH, &f.sam.actor, &observation("not-allocated", SAM));
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a child that does not exist",
            Some(SAM),
            Revoked(GHOST),
            |f| {
                let req = made_up(GHOST, &f.sam.actor, &observation("nobody", SAM));
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a child no longer allocated to the sender",
            Some(SAM),
            Revoked(MIA),
            |f| {
                let req = changes_to(&f.sam_mia, &f.sam.actor, |d| {
                    add(d, &observation("after-deallocation", SAM))
                });
                sync(&f.sam, vec![req])
            },
        ),
        case(
            "a manager syncing a child outside their team",
            Some(MORGAN),
            Revoked(SOUTH),
            |f| {
                let req = made_up(SOUTH, &f.morgan.actor, &observation("other-team", MORGAN));
                sync(&f.morgan, vec![req])
            },
        ),
        case(
            "a practitioner syncing another team's child",
            Some(SAM),
            Revoked(SOUTH),
            |f| {
                let req = made_up(SOUTH, &f.sam.actor, &observation("other-team", SAM));
                sync(&f.sam, vec![req])
            },
        ),
    ]
}
