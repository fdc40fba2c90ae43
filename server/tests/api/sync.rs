//! The offline loop through the real router and a real SQLite file: tablets record offline,
//! sync in any order, and the merged record holds everything; bad requests change nothing.
//!
//! tidy: long file — each test is one scenario of the sync route end to end, with its hand-made
//! requests written out.

use crate::support::{Tablet, TestServer};
use axum::http::StatusCode;
use shared::record::{self, Observation};
use shared::sync::{Bytes, ChildSyncRequest, SyncRequest};

fn observation(id: &str, author: &str, occurred: &str) -> Observation {
    let mut o = crate::support::observation(id, author);
    o.occurred = occurred.into();
    o
}

fn record_on(tablet: &mut Tablet, child: &str, obs: &Observation) {
    let replica = tablet
        .caseload
        .replicas
        .get_mut(&child.parse().expect("id"))
        .expect("child on tablet");
    record::add_observation(&mut replica.doc, obs, obs.recorded_at_ms).expect("record");
}

async fn two_tablets_offline(first_sam: bool) {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    sam.sync(&server).await;
    hana.sync(&server).await;
    let before = server.chronology_ids("child-ava").await;

    // Both visit Ava with no signal.
    record_on(
        &mut sam,
        "child-ava",
        &observation("from-sam", "user-sam-social", "2026-11-20"),
    );
    record_on(
        &mut hana,
        "child-ava",
        &observation("from-hana", "user-hana-health", "2026-11-19T10:00"),
    );
    assert_eq!(sam.caseload.pending(), 1);

    if first_sam {
        assert_eq!(
            sam.sync(&server).await,
            1,
            "one round trip for the caseload"
        );
        assert_eq!(hana.sync(&server).await, 1);
    } else {
        assert_eq!(hana.sync(&server).await, 1);
        assert_eq!(sam.sync(&server).await, 1);
    }
    // Whoever synced first picks up the other's entry on their next sync.
    sam.sync(&server).await;
    hana.sync(&server).await;

    let after = server.chronology_ids("child-ava").await;
    assert_eq!(after.len(), before.len() + 2);
    assert!(after.contains(&"from-sam".to_owned()) && after.contains(&"from-hana".to_owned()));
    // The chronology is ordered by when things happened, whoever recorded them first.
    let pos = |id: &str| after.iter().position(|x| x == id).expect("present");
    assert!(pos("from-hana") < pos("from-sam"));

    let ava = "child-ava".parse().expect("id");
    let sam_doc = &sam.caseload.replicas[&ava].doc;
    let hana_doc = &hana.caseload.replicas[&ava].doc;
    assert_eq!(
        sam_doc.get_heads(),
        hana_doc.get_heads(),
        "tablets converge"
    );
    assert_eq!(sam.caseload.pending() + hana.caseload.pending(), 0);
}

#[tokio::test]
async fn two_tablets_record_offline_and_sync_sam_first() {
    two_tablets_offline(true).await;
}

#[tokio::test]
async fn two_tablets_record_offline_and_sync_hana_first() {
    two_tablets_offline(false).await;
}

#[tokio::test]
async fn first_sync_downloads_exactly_the_caseload() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    assert_eq!(sam.sync(&server).await, 1);
    let ids: Vec<String> = sam
        .caseload
        .replicas
        .keys()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(ids, ["child-ava", "child-leo", "child-mia", "child-zara"]);
    let ava = &sam.caseload.replicas[&"child-ava".parse().expect("id")];
    assert_eq!(record::read(&ava.doc).expect("read").observations.len(), 3);
}

#[tokio::test]
async fn syncing_a_child_not_allocated_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let sam = Tablet::sign_in(&server, "sam.social").await;
    let before = server.stored("child-noah").await;
    let chronology_before = server.chronology_ids("child-noah").await;

    // Sam's tablet fabricates a replica of Noah (allocated only to Hana) and pushes an entry.
    let noah = "child-noah".parse().expect("id");
    let mut forged = shared::sync::Replica::new(noah, sam.actor.clone());
    record::add_observation(
        &mut forged.doc,
        &observation("sneaky", "sam", "2026-11-01"),
        1,
    )
    .expect("record");
    let req = SyncRequest {
        children: vec![forged.request()],
        ..Default::default()
    };
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK);
    let noah_result = body["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["child_id"] == "child-noah")
        .expect("answered");
    assert_eq!(noah_result["result"]["status"], "revoked");
    assert!(!body["caseload"].to_string().contains("child-noah"));
    assert_eq!(server.stored("child-noah").await, before, "nothing stored");
    assert_eq!(server.chronology_ids("child-noah").await, chronology_before);
}

#[tokio::test]
async fn malformed_requests_get_a_clear_4xx_and_change_nothing() {
    let server = TestServer::start().await;
    let token = server.login("sam.social").await;
    let before = server.stored("child-ava").await;

    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        ("not json", b"{children: nope".to_vec(), StatusCode::BAD_REQUEST),
        ("wrong shape", br#"{"kids": []}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("bad child id", br#"{"children":[{"child_id":"../../etc","server_heads":null}]}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("bad base64", br#"{"children":[{"child_id":"child-ava","server_heads":[],"changes":["!!!"]}]}"#.to_vec(), StatusCode::BAD_REQUEST),
        (
            "child named twice",
            br#"{"children":[{"child_id":"child-ava","server_heads":[]},{"child_id":"child-ava","server_heads":[]}]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (name, body, expected) in cases {
        let (status, resp) = server.post_raw("/api/sync", Some(&token), body).await;
        assert_eq!(status, expected, "{name}: {resp}");
        assert_eq!(resp["error"], "bad_request", "{name}");
        assert!(
            resp["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }

    // Well-formed JSON whose change bytes are garbage: that child is rejected, nothing stored.
    let req = SyncRequest {
        children: vec![ChildSyncRequest {
            child_id: "child-ava".parse().expect("id"),
            server_heads: Some(vec![]),
            changes: vec![Bytes(b"definitely not an automerge change".to_vec())],
            sync_message: None,
        }],
        ..Default::default()
    };
    let (status, body) = server.post("/api/sync", Some(&token), &req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["children"][0]["result"]["status"], "rejected");
    assert!(body["children"][0]["result"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("decoded")));

    // Garbage in the fallback sync message.
    let req = SyncRequest {
        children: vec![ChildSyncRequest {
            child_id: "child-ava".parse().expect("id"),
            server_heads: None,
            changes: vec![],
            sync_message: Some(Bytes(vec![0x42, 0xff, 0xff, 0xff])),
        }],
        ..Default::default()
    };
    let (_, body) = server.post("/api/sync", Some(&token), &req).await;
    assert_eq!(body["children"][0]["result"]["status"], "rejected");

    // No token, and a made-up token.
    let (status, body) = server
        .post("/api/sync", None, &SyncRequest::default())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorised"))
    );
    let (status, _) = server
        .post("/api/sync", Some("0123abcd"), &SyncRequest::default())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    assert_eq!(server.stored("child-ava").await, before, "nothing stored");
}

#[tokio::test]
async fn oversized_request_is_refused_with_413() {
    let server = TestServer::with_config(server::Config {
        max_body_bytes: 64 * 1024,
        ..server::Config::default()
    })
    .await;
    let token = server.login("sam.social").await;
    let before = server.stored("child-ava").await;
    let big = SyncRequest {
        children: vec![ChildSyncRequest {
            child_id: "child-ava".parse().expect("id"),
            server_heads: Some(vec![]),
            changes: vec![Bytes(vec![7u8; 128 * 1024])],
            sync_message: None,
        }],
        ..Default::default()
    };
    let (status, body) = server.post("/api/sync", Some(&token), &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "too_large");
    assert_eq!(server.stored("child-ava").await, before);
}

#[tokio::test]
async fn a_lost_response_is_repaired_by_the_next_sync() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    record_on(
        &mut sam,
        "child-mia",
        &observation("kept", "user-sam-social", "2026-11-21"),
    );
    // The request reaches the server and is committed, but the response never arrives.
    let req = sam.caseload.request();
    let (status, _) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sam.caseload.pending(), 1, "not acknowledged to the tablet");
    // The next sync sends it again; the server already has it and nothing is duplicated.
    sam.sync(&server).await;
    assert_eq!(sam.caseload.pending(), 0);
    let ids = server.chronology_ids("child-mia").await;
    assert_eq!(ids.iter().filter(|i| *i == "kept").count(), 1);
}

#[tokio::test]
async fn access_to_chronology_and_team() {
    let server = TestServer::start().await;
    let sam = server.login("sam.social").await;
    let morgan = server.login("morgan.manager").await;
    let (status, _) = server
        .get("/api/children/child-ava/chronology", Some(&sam))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .get("/api/children/child-noah/chronology", Some(&sam))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not allocated looks like not found"
    );
    let (status, _) = server
        .get("/api/children/child-noah/chronology", Some(&morgan))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the team's manager sees every team child"
    );
    let (status, _) = server.get("/api/team", Some(&sam)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = server.get("/api/team", Some(&morgan)).await;
    assert_eq!(status, StatusCode::OK);
    let rows = body.as_array().expect("rows");
    assert_eq!(rows.len(), 5);
    let ava = rows
        .iter()
        .find(|r| r["child"]["child_id"] == "child-ava")
        .expect("ava");
    assert_eq!(ava["observation_count"], 3);
    assert_eq!(ava["authors"], 2);
    let (status, body) = server.get("/api/nothing-here", Some(&morgan)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn wrong_password_and_logout() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post(
            "/api/login",
            None,
            &serde_json::json!({"username": "sam.social", "password": "nope"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.to_string().contains("sam.social"));
    let (status, _) = server
        .post(
            "/api/login",
            None,
            &serde_json::json!({"username": "nobody", "password": "nope"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let token = server.login("sam.social").await;
    let (status, _) = server.get("/api/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .post_raw("/api/logout", Some(&token), Vec::new())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.get("/api/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forged_changes_through_sync_are_rejected_and_store_nothing() {
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;

    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let before = server.stored("child-ava").await;

    // Rewrite Hana's observation (demo-0 on Ava's record) in place.
    {
        let doc = &mut sam
            .caseload
            .replicas
            .get_mut(&"child-ava".parse().expect("id"))
            .expect("ava")
            .doc;
        let map = record::entries::map_obj(doc, "observations").expect("map");
        let (_, obs) = doc.get(&map, "demo-0").expect("get").expect("hana's entry");
        let mut tx = doc.transaction();
        tx.put(&obs, "narrative", "Nothing of concern.")
            .expect("put");
        tx.commit_with(
            automerge::transaction::CommitOptions::default().with_message("observation"),
        );
    }
    let req = sam.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK);
    let ava = body["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["child_id"] == "child-ava")
        .expect("ava");
    assert_eq!(ava["result"]["status"], "rejected");
    assert!(ava["result"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("another person's observation")));
    assert_eq!(server.stored("child-ava").await, before, "nothing stored");

    // An honest tablet whose actor is not its session's device is refused too.
    let mut stranger = Tablet::sign_in(&server, "hana.health").await;
    stranger.actor = automerge::ActorId::from(b"some-other-device".to_vec());
    stranger.sync(&server).await;
    record_on(
        &mut stranger,
        "child-ava",
        &observation("x", "user-hana-health", "2026-11-22"),
    );
    let req = stranger.caseload.request();
    let (_, body) = server.post("/api/sync", Some(&stranger.token), &req).await;
    let ava = body["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["child_id"] == "child-ava")
        .expect("ava");
    assert_eq!(ava["result"]["status"], "rejected");
    assert_eq!(server.stored("child-ava").await, before);
}

#[tokio::test]
async fn removing_an_allocation_removes_the_child_from_the_tablet_at_its_next_sync() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let mia: shared::ChildId = "child-mia".parse().expect("id");
    assert!(
        sam.caseload.replicas.contains_key(&mia),
        "Mia starts on Sam's tablet"
    );
    // Unsynced work on Mia when the allocation ends never reaches the server either.
    record_on(
        &mut sam,
        "child-mia",
        &observation("late", "sam", "2026-11-02"),
    );
    let before = server.stored("child-mia").await;

    let sam_id = "user-sam-social".parse().expect("id");
    server
        .state
        .store
        .deallocate(&mia, &sam_id)
        .await
        .expect("deallocate");
    let req = sam.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: shared::sync::SyncResponse = serde_json::from_value(body).expect("response");
    let outcome = sam.caseload.apply(&resp, &sam.actor);

    assert_eq!(
        outcome.revoked,
        vec![mia.clone()],
        "the tablet is told to drop Mia"
    );
    assert!(
        !sam.caseload.replicas.contains_key(&mia),
        "Mia's record is gone from the tablet"
    );
    assert!(!sam.caseload.entries.iter().any(|e| e.child_id == mia));
    assert!(
        sam.caseload.replicas.len() >= 2,
        "the rest of the caseload stays"
    );
    assert_eq!(
        server.stored("child-mia").await,
        before,
        "nothing stored for Mia"
    );
}

/// A change that waits in a fallback sync message for a dependency the server does not have is
/// neither stored nor kept: when the dependency arrives later it is judged alone, and the
/// waiting change never reaches the record or another tablet unjudged.
#[tokio::test]
async fn a_change_waiting_for_its_dependency_is_never_released_unjudged() {
    use automerge::sync::{ChunkList, Message, MessageVersion};
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    sam.sync(&server).await;
    hana.sync(&server).await;
    let ava: shared::ChildId = "child-ava".parse().expect("id");

    // Offline: an honest observation, then one in Hana's name on top of it.
    let (honest, forged) = {
        let replica = sam.caseload.replicas.get_mut(&ava).expect("ava");
        let heads = replica.doc.get_heads();
        let mine = observation("sam-honest", "user-sam-social", "2026-11-20");
        record::add_observation(&mut replica.doc, &mine, mine.recorded_at_ms).expect("add");
        let mut theirs = observation("in-hanas-name", "user-hana-health", "2026-11-20");
        theirs.narrative = "Forged".into();
        record::add_observation(&mut replica.doc, &theirs, theirs.recorded_at_ms).expect("add");
        let mut changes = replica.doc.get_changes(&heads);
        assert_eq!(changes.len(), 2);
        let forged = changes.pop().expect("forged");
        (changes.pop().expect("honest"), forged)
    };

    // The forged change alone, in a fallback message: its dependency is missing.
    let message = Message {
        heads: vec![forged.hash()],
        need: vec![],
        have: vec![],
        changes: ChunkList::from(vec![forged.raw_bytes().to_vec()]),
        flags: None,
        version: MessageVersion::V1,
    };
    let req = SyncRequest {
        children: vec![ChildSyncRequest {
            child_id: ava.clone(),
            server_heads: None,
            changes: vec![],
            sync_message: Some(Bytes(message.encode())),
        }],
        ..Default::default()
    };
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let result = &body["children"][0]["result"];
    assert_eq!(result["status"], "fallback", "{result}");
    assert_eq!(result["accepted"], 0, "{result}");

    // Then the honest change by the fast path: stored, and only it.
    let req = SyncRequest {
        children: vec![ChildSyncRequest {
            child_id: ava.clone(),
            server_heads: sam.caseload.replicas[&ava].server_heads_hex(),
            changes: shared::sync::server::encode_changes(vec![honest]),
            sync_message: None,
        }],
        ..Default::default()
    };
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["children"][0]["result"]["accepted"], 1, "{body}");

    // Nowhere on the server, and never sent to Hana.
    let ids = server.chronology_ids("child-ava").await;
    assert!(ids.contains(&"sam-honest".to_owned()));
    assert!(!ids.contains(&"in-hanas-name".to_owned()));
    let (doc, _) = server::merge::load(server.state.store.as_ref(), &ava)
        .await
        .expect("load");
    assert!(record::observation(&doc, "in-hanas-name")
        .expect("read")
        .is_none());
    hana.sync(&server).await;
    let hanas = &hana.caseload.replicas[&ava].doc;
    assert!(record::observation(hanas, "sam-honest")
        .expect("read")
        .is_some());
    assert!(record::observation(hanas, "in-hanas-name")
        .expect("read")
        .is_none());
}

/// The compact form the app sends and the JSON form older tablets send are the same sync:
/// each stores the tablet's changes and answers what it lacks.
#[tokio::test]
async fn both_body_forms_sync_the_same() {
    use shared::sync::wire;
    let server = TestServer::start().await;
    let mut json = Tablet::sign_in(&server, "sam.social").await;
    json.sync(&server).await;
    let mut compact = Tablet::sign_in_on(
        &server,
        "hana.health",
        &crate::support::device_id("hana.health"),
    )
    .await;
    let send = |tablet: &mut Tablet| {
        let body = wire::encode_request(&tablet.caseload.request());
        axum::http::Request::post("/api/sync")
            .header(axum::http::header::CONTENT_TYPE, wire::CONTENT_TYPE)
            .header(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {}", tablet.token),
            )
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    // A first compact sync downloads the caseload.
    let (status, body) = server.request(send(&mut compact)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: shared::sync::SyncResponse = serde_json::from_value(body).expect("answer");
    compact.caseload.apply(&resp, &compact.actor);
    let ava: shared::ChildId = "child-ava".parse().expect("id");
    assert!(compact.caseload.replicas.contains_key(&ava));
    // Each form carries an observation; both are stored and each tablet gets the other's.
    for (tablet, id, author) in [
        (&mut json, "o-json", "user-sam-social"),
        (&mut compact, "o-compact", "user-hana-health"),
    ] {
        let doc = &mut tablet.caseload.replicas.get_mut(&ava).expect("ava").doc;
        shared::record::add_observation(doc, &crate::support::observation(id, author), 1)
            .expect("observation");
    }
    let (status, body) = server.request(send(&mut compact)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: shared::sync::SyncResponse = serde_json::from_value(body).expect("answer");
    let ava_result = resp
        .children
        .iter()
        .find(|c| c.child_id == ava)
        .map(|c| c.result.clone());
    assert!(
        matches!(
            ava_result,
            Some(shared::sync::ChildResult::Merged { accepted: 1, .. })
        ),
        "{ava_result:?}"
    );
    compact.caseload.apply(&resp, &compact.actor);
    json.sync(&server).await;
    let ids = server.chronology_ids("child-ava").await;
    assert!(ids.iter().any(|i| i == "o-json") && ids.iter().any(|i| i == "o-compact"));
    let (status, body) = server.request(send(&mut compact)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: shared::sync::SyncResponse = serde_json::from_value(body).expect("answer");
    compact.caseload.apply(&resp, &compact.actor);
    let read = shared::record::read_record(&compact.caseload.replicas[&ava].doc).expect("read");
    assert!(
        read.observations.iter().any(|o| o.id.as_str() == "o-json"),
        "the compact tablet got the JSON tablet's entry"
    );
}
