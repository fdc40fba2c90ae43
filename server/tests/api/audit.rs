//! The audit trail: reads and accepted, rejected and refused changes are recorded with user,
//! device and child; the trail is append-only and tampering breaks its hash chain.

use crate::support::{Tablet, TestServer};
use axum::http::StatusCode;
use shared::record;

#[tokio::test]
async fn reads_and_changes_are_audited_and_tampering_is_detected() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    {
        let doc = &mut sam
            .caseload
            .replicas
            .get_mut(&"child-zara".parse().expect("id"))
            .expect("zara")
            .doc;
        let mut obs = record::read(doc).expect("read").observations[0].clone();
        obs.id = "audited".parse().expect("a valid id");
        obs.author_id = "user-sam-social".parse().expect("a valid id");
        record::add_observation(doc, &obs, 1).expect("add");
    }
    sam.sync(&server).await;
    // A refused child, and a read of the record.
    let mut forged =
        shared::sync::Replica::new("child-noah".parse().expect("id"), sam.actor.clone());
    let req = shared::sync::SyncRequest {
        children: vec![forged.request()],
        ..Default::default()
    };
    server.post("/api/sync", Some(&sam.token), &req).await;
    let morgan = server.login("morgan.manager").await;
    let (status, _) = server
        .get("/api/children/child-zara/record", Some(&morgan))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = server
        .get("/api/children/child-zara/audit", Some(&morgan))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["chain_intact"], true);
    let entries = body["entries"].as_array().expect("entries");
    let has = |action: &str, outcome: &str, user: &str| {
        entries.iter().any(|e| {
            e["event"]["action"] == action
                && e["event"]["outcome"] == outcome
                && e["event"]["user_id"] == user
        })
    };
    assert!(
        has("sync", "ok", "user-sam-social"),
        "accepted change audited: {entries:?}"
    );
    assert!(
        has("read.record", "ok", "user-morgan-manager"),
        "read audited"
    );
    assert!(entries
        .iter()
        .all(|e| e["event"]["device_id"].is_string()
            || e["event"]["user_id"] == "user-morgan-manager"));
    let text = body.to_string();
    assert!(
        !text.contains("Nobody ever keeps me"),
        "no record contents in the audit trail"
    );

    let (_, noah) = server
        .get("/api/children/child-noah/audit", Some(&morgan))
        .await;
    assert!(noah["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .any(|e| e["event"]["outcome"] == "refused"));

    // Practitioners cannot read the trail.
    let (status, _) = server
        .get("/api/children/child-zara/audit", Some(&sam.token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Append-only: the database refuses edits and deletions, on either engine.
    assert!(server
        .raw_execute("UPDATE audit SET outcome = 'ok'")
        .await
        .is_err());
    assert!(server.raw_execute("DELETE FROM audit").await.is_err());
    if server.is_postgres() {
        // SQLite has no TRUNCATE; PostgreSQL's skips row triggers, so it has its own guard.
        assert!(server.raw_execute("TRUNCATE audit").await.is_err());
    }
    // Someone with raw access drops the guard and rewrites history: the chain shows it.
    let drop_guard = if server.is_postgres() {
        "DROP TRIGGER audit_no_update ON audit"
    } else {
        "DROP TRIGGER audit_no_update"
    };
    server.raw_execute(drop_guard).await.expect("drop");
    let tampered = server
        .raw_execute("UPDATE audit SET outcome = 'ok' WHERE outcome = 'refused'")
        .await
        .expect("tamper");
    assert!(tampered > 0, "a refused event was there to rewrite");
    let (_, body) = server
        .get("/api/children/child-zara/audit", Some(&morgan))
        .await;
    assert_eq!(body["chain_intact"], false);
}
