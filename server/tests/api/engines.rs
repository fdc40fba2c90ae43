//! Inputs where the engines differ underneath and must not differ on top: PostgreSQL text
//! cannot hold U+0000, which SQLite stores as it is.

use crate::support::{Tablet, TestServer};
use axum::http::StatusCode;
use shared::record::{self, Observation};

#[tokio::test]
async fn a_nul_character_in_an_entry_is_stored_and_shown_on_either_engine() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let ava = "child-ava".parse().expect("id");
    {
        let doc = &mut sam.caseload.replicas.get_mut(&ava).expect("Ava").doc;
        let mut obs: Observation = record::read(doc).expect("read").observations[0].clone();
        obs.id = "with-nul".parse().expect("a valid id");
        obs.author_id = "user-sam-social".parse().expect("a valid id");
        obs.author_name = crate::support::display_name("user-sam-social");
        obs.agency = crate::support::agency("user-sam-social");
        obs.narrative = "before\0after".into();
        record::add_observation(doc, &obs, 1).expect("add");
    }
    sam.sync(&server).await;
    assert_eq!(
        sam.caseload.pending(),
        0,
        "the server acknowledged the entry"
    );

    // The document keeps the exact text; the read model shows the entry.
    let (doc, _) = server::merge::load(server.state.store.as_ref(), &ava)
        .await
        .expect("load");
    let stored = record::read(&doc).expect("read");
    let entry = stored
        .observations
        .iter()
        .find(|o| o.id == "with-nul")
        .expect("stored");
    assert_eq!(entry.narrative, "before\0after");
    assert!(server
        .chronology_ids("child-ava")
        .await
        .contains(&"with-nul".to_owned()));
}

#[tokio::test]
async fn a_nul_character_in_a_username_is_a_wrong_sign_in_not_an_error() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post(
            "/api/login",
            None,
            &serde_json::json!({"username": "sam.social\u{0}", "password": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
