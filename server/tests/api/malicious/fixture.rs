//! What every case builds on: the demo caseload set up once through the real API, the tablets
//! and sessions the cases send with, and the builders of their requests.

#![allow(dead_code)]

use automerge::sync::{ChunkList, Message, MessageVersion};
use automerge::transaction::{CommitOptions, Transaction};
use automerge::{ActorId, Automerge, Change, ChangeHash, ObjId, ReadDoc};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use shared::api::CaseloadEntry;
use shared::record::people::{self, Assessment, AssessmentStatus};
use shared::record::stamped::Stamp;
use shared::record::{self, Observation};
use shared::sync::server::encode_changes;
use shared::sync::{Bytes, ChildSyncRequest, Replica, SyncRequest};
use shared::ChildId;

use crate::support::{Tablet, TestServer};

pub const SAM: &str = "user-sam-social";
pub const HANA: &str = "user-hana-health";
pub const MORGAN: &str = "user-morgan-manager";

pub const AVA: &str = "child-ava";
pub const MIA: &str = "child-mia";
pub const NOAH: &str = "child-noah";
pub const ZARA: &str = "child-zara";
/// On another team's caseload.
pub const SOUTH: &str = "child-south";
/// Never created.
pub const GHOST: &str = "child-ghost";
/// Every child whose stored record is compared before and after each case.
pub const ALL_CHILDREN: &[&str] = &[AVA, "child-leo", MIA, NOAH, ZARA, SOUTH, GHOST];

/// Put into every forged text, so a response or audit row that echoes content is caught.
pub const MARK: &str = "MALICIOUS-CONTENT";

/// Everything the cases build on, set up once through the real API.
pub struct Fixture {
    /// Signed in on his tablet, caseload synced, one observation of his own stored on Zara.
    pub sam: Tablet,
    pub hana: Tablet,
    pub morgan: Tablet,
    /// Sam signed in again from a second device.
    pub sam_other_device: String,
    /// Sam signed in without naming a device.
    pub sam_no_device: String,
    /// A session of Sam's that expired an hour ago.
    pub expired: String,
    /// A session of Sam's that he signed out of.
    pub signed_out: String,
    /// Sam's copy of Mia's record, from before she was taken off his caseload.
    pub sam_mia: Replica,
    /// Sam's observation on Zara as stored: his tablet actor's first change there.
    pub stored: Bytes,
    /// Zara's heads before that change.
    pub zara_before_sam: Vec<ChangeHash>,
}

pub fn id(child: &str) -> ChildId {
    child.parse().expect("child id")
}

pub fn observation(obs_id: &str, author: &str) -> Observation {
    let mut o = crate::support::observation(obs_id, author);
    o.present = vec!["Child".into()];
    o.indicators[0].code = "NEG-HYGIENE".into();
    o.narrative = format!("{MARK} {obs_id}");
    o
}

pub fn stamp(by: &str) -> Stamp {
    Stamp {
        by: by.parse().expect("a valid id"),
        by_name: MARK.into(),
        at_ms: 1_790_000_000_000,
    }
}

pub fn add(doc: &mut Automerge, obs: &Observation) {
    record::add_observation(doc, obs, obs.recorded_at_ms).expect("add observation");
}

/// One raw transaction, as a hand-crafted client would write it.
/// With a message Quilt's writers use, so only what the transaction does is judged.
pub fn raw(doc: &mut Automerge, f: impl FnOnce(&mut Transaction<'_>)) {
    let mut tx = doc.transaction();
    f(&mut tx);
    tx.commit_with(CommitOptions::default().with_message("observation"));
}

pub fn map(doc: &Automerge, name: &str) -> ObjId {
    record::entries::map_obj(doc, name).expect("entry map")
}

pub fn child_obj(doc: &Automerge, parent: &ObjId, key: &str) -> ObjId {
    doc.get(parent, key).expect("get").expect("present").1
}

pub fn entry(doc: &Automerge, map_name: &str, entry_id: &str) -> ObjId {
    child_obj(doc, &map(doc, map_name), entry_id)
}

pub fn replica<'a>(tablet: &'a Tablet, child: &str) -> &'a Replica {
    tablet
        .caseload
        .replicas
        .get(&id(child))
        .expect("child on the tablet")
}

/// The changes `edit` makes, written by `actor` on top of what the server acknowledged to the
/// tablet: this child's part of a sync request.
pub fn changes_on(
    tablet: &Tablet,
    child: &str,
    actor: &ActorId,
    edit: impl FnOnce(&mut Automerge),
) -> ChildSyncRequest {
    changes_to(replica(tablet, child), actor, edit)
}

/// The same, on a replica held outside a tablet.
pub fn changes_to(
    replica: &Replica,
    actor: &ActorId,
    edit: impl FnOnce(&mut Automerge),
) -> ChildSyncRequest {
    let mut doc = replica.doc.fork().with_actor(actor.clone());
    let heads = doc.get_heads();
    edit(&mut doc);
    let changes = doc.get_changes(&heads);
    assert!(!changes.is_empty(), "the edit made no change");
    ChildSyncRequest {
        child_id: replica.child_id.clone(),
        server_heads: replica.server_heads_hex(),
        changes: encode_changes(changes),
        sync_message: None,
    }
}

/// A child the tablet does not hold, made up from the shared genesis.
pub fn made_up(child: &str, actor: &ActorId, obs: &Observation) -> ChildSyncRequest {
    let mut replica = Replica::new(id(child), actor.clone());
    add(&mut replica.doc, obs);
    replica.request()
}

pub fn post(token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut req = Request::post("/api/sync").header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    req.body(body.into()).expect("request")
}

/// A sync from `tablet` carrying `children`, naming the rest of its caseload with nothing new,
/// as the app does.
pub fn sync(tablet: &Tablet, children: Vec<ChildSyncRequest>) -> Request<Body> {
    sync_with(&tablet.token, tablet, children)
}

/// The same, sent with another token.
pub fn sync_with(
    token: &str,
    tablet: &Tablet,
    mut children: Vec<ChildSyncRequest>,
) -> Request<Body> {
    for (child, replica) in &tablet.caseload.replicas {
        if !children.iter().any(|c| c.child_id == *child) {
            children.push(ChildSyncRequest {
                child_id: child.clone(),
                server_heads: replica.server_heads_hex(),
                changes: vec![],
                sync_message: None,
            });
        }
    }
    post(
        Some(token),
        serde_json::to_vec(&SyncRequest {
            children,
            ..Default::default()
        })
        .expect("json"),
    )
}

/// Sam's tablet adds an observation in Hana's name: refused whatever path it arrives by.
pub fn forged_author(f: &Fixture) -> ChildSyncRequest {
    changes_on(&f.sam, AVA, &f.sam.actor, |d| {
        add(d, &observation("forged-author", HANA))
    })
}

/// Sam's next change on Zara with its sequence number inflated from 2 to 5; its dependencies
/// are all stored, so only the gap is wrong.
pub fn after_a_gap(f: &Fixture) -> ChildSyncRequest {
    let mut req = changes_on(&f.sam, ZARA, &f.sam.actor, |d| {
        add(d, &observation("after-a-gap", SAM))
    });
    let honest = Change::from_bytes(req.changes[0].0.clone()).expect("change");
    assert_eq!(honest.seq(), 2, "continues Sam's stored change");
    let mut expanded = honest.decode();
    expanded.seq = 5;
    expanded.hash = None;
    req.changes = encode_changes(vec![Change::from(expanded)]);
    req
}

/// A fallback request whose sync message carries `changes`.
pub fn in_sync_message(child: &str, changes: &[Bytes]) -> ChildSyncRequest {
    let heads = changes
        .iter()
        .map(|c| Change::from_bytes(c.0.clone()).expect("change").hash())
        .collect();
    let message = Message {
        heads,
        need: vec![],
        have: vec![],
        changes: ChunkList::from(changes.iter().map(|c| c.0.clone()).collect::<Vec<_>>()),
        flags: None,
        version: MessageVersion::V1,
    };
    ChildSyncRequest {
        child_id: id(child),
        server_heads: None,
        changes: vec![],
        sync_message: Some(Bytes(message.encode())),
    }
}

pub async fn setup() -> (TestServer, Fixture) {
    let server = TestServer::with_config(server::Config {
        max_body_bytes: 4 * 1024 * 1024,
        ..server::Config::default()
    })
    .await;
    let store = &server.state.store;
    store
        .create_team("south-team", "South team")
        .await
        .expect("team");
    store
        .create_child(
            &CaseloadEntry {
                child_id: id(SOUTH),
                display_name: "Sol South".into(),
                date_of_birth: "2015-05-05".into(),
                legal_status: "Child in need".into(),
            },
            "south-team",
        )
        .await
        .expect("child");

    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    let mut morgan = Tablet::sign_in(&server, "morgan.manager").await;
    sam.sync(&server).await;
    hana.sync(&server).await;
    morgan.sync(&server).await;

    // Sam records a visit to Zara honestly: the stored change that replays reuse.
    let zara_before_sam = replica(&sam, ZARA).doc.get_heads();
    {
        let doc = &mut sam.caseload.replicas.get_mut(&id(ZARA)).expect("zara").doc;
        let mut own = observation("sam-own", SAM);
        own.narrative = "Honest visit note.".into();
        add(doc, &own);
    }
    sam.sync(&server).await;
    assert_eq!(sam.caseload.pending(), 0, "the honest change is stored");
    let stored = encode_changes(replica(&sam, ZARA).doc.get_changes(&zara_before_sam));
    assert_eq!(stored.len(), 1);

    // Mia comes off Sam's caseload after his tablet synced her record. His tablet drops her at
    // its next sync; the copy it held is kept aside for the case that sends changes to her.
    store
        .deallocate(&id(MIA), &SAM.parse().expect("user id"))
        .await
        .expect("deallocate");
    let sam_mia = sam.caseload.replicas.remove(&id(MIA)).expect("mia");

    let sam_other_device = server
        .login_on("sam.social", Some("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"))
        .await;
    let sam_no_device = server.login("sam.social").await;
    let signed_out = server.login("sam.social").await;
    let (status, _) = server
        .post_raw("/api/logout", Some(&signed_out), Vec::new())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let expired = server::credentials::new_token();
    let now = server::clock::now_ms();
    store
        .create_session(
            &server::credentials::token_hash(&expired),
            &SAM.parse().expect("user id"),
            Some("73616d2e736f6369616c000000000000"),
            "expired-family",
            now - 2 * 3_600_000,
            now - 3_600_000,
        )
        .await
        .expect("expired session");

    let fixture = Fixture {
        sam,
        hana,
        morgan,
        sam_other_device,
        sam_no_device,
        expired,
        signed_out,
        sam_mia,
        stored: stored[0].clone(),
        zara_before_sam,
    };
    (server, fixture)
}

pub fn honest_stamped_writes(tablet: &mut Tablet, user: &str) {
    use record::plan::{self, ActionState, ActionStatus, PlanDetails, PlanKind};
    let doc = &mut tablet.caseload.replicas.get_mut(&id(AVA)).expect("ava").doc;
    let stamp = Stamp {
        by: user.parse().expect("a valid id"),
        by_name: crate::support::display_name(user),
        at_ms: 1_790_000_000_000,
    };
    for person in ["person-kerry", "person-sibling", "person-dean"] {
        let a = Assessment {
            status: AssessmentStatus::Risk,
            date: "2026-11-20".into(),
            note: String::new(),
        };
        people::assess(doc, person, &a, &stamp).expect("assess");
    }
    let details = PlanDetails {
        kind: PlanKind::ChildProtectionNeglect,
        started_on: "2025-11-10".into(),
        ended_on: String::new(),
        contingency: "Legal planning meeting".into(),
        contingency_trigger: format!("Reviewed by {user}"),
    };
    plan::set_plan(doc, &details, &stamp).expect("plan");
    let status = ActionStatus {
        state: ActionState::InProgress,
        note: String::new(),
    };
    plan::set_action_status(doc, "action-heating", &status, &stamp).expect("status");
}
