//! Sessions: short-lived access tokens, rotating refresh tokens whose reuse revokes the whole
//! family, logout, expiry, sign-in rate limiting, and device ids: canonical, bound to one user,
//! never one of the server's own actors.

use crate::support::TestServer;
use axum::http::StatusCode;
use serde_json::{json, Value};
use server::demo::DEMO_PASSWORD;
use shared::api::LoginResponse;

async fn login(server: &TestServer) -> LoginResponse {
    let (status, body) = server
        .post(
            "/api/login",
            None,
            &json!({"username": "sam.social", "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).expect("login")
}

async fn refresh(server: &TestServer, token: &str) -> (StatusCode, Option<LoginResponse>) {
    let (status, body) = server
        .post("/api/refresh", None, &json!({"refresh_token": token}))
        .await;
    (status, serde_json::from_value(body).ok())
}

async fn me(server: &TestServer, token: &str) -> StatusCode {
    server.get("/api/me", Some(token)).await.0
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let server = TestServer::start().await;
    let first = login(&server).await;
    assert!(!first.refresh_token.is_empty());
    let (status, second) = refresh(&server, &first.refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    let second = second.expect("new tokens");
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    assert_eq!(me(&server, &second.token).await, StatusCode::OK);

    // The first refresh token is presented again: someone copied it.
    let (status, _) = refresh(&server, &first.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Everything in the family is gone: the access tokens and the current refresh token.
    assert_eq!(me(&server, &second.token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&server, &first.token).await, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&server, &second.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Another sign-in (another family) is unaffected by all this.
    let other = login(&server).await;
    assert_eq!(me(&server, &other.token).await, StatusCode::OK);
    let (status, _) = refresh(&server, "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_access_and_refresh() {
    let server = TestServer::start().await;
    let s = login(&server).await;
    let (status, _) = server
        .post_raw("/api/logout", Some(&s.token), Vec::new())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&server, &s.token).await, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&server, &s.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let server = TestServer::with_config(server::Config {
        session_ttl_ms: 1,
        refresh_ttl_ms: 1,
        ..server::Config::default()
    })
    .await;
    let s = login(&server).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(me(&server, &s.token).await, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh(&server, &s.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_rate_limited() {
    let server = TestServer::start().await;
    for _ in 0..5 {
        let (status, _) = server
            .post(
                "/api/login",
                None,
                &json!({"username": "sam.social", "password": "guess"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = server
        .post(
            "/api/login",
            None,
            &json!({"username": "Sam.Social", "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits: {body}"
    );
    assert_eq!(body["error"], "too_many_requests");
    // Other accounts are not locked out.
    let (status, _) = server
        .post(
            "/api/login",
            None,
            &json!({"username": "hana.health", "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_device_id_belongs_to_the_first_user_who_signs_in_with_it() {
    let server = TestServer::start().await;
    let hana_device = "0123456789abcdef0123456789abcdef";
    server.login_on("hana.health", Some(hana_device)).await;
    // Hana's device id is visible in the actors of every change she syncs; Sam may not use it.
    let (status, body) = server
        .post(
            "/api/login",
            None,
            &serde_json::json!({
                "username": "sam.social",
                "password": server::demo::DEMO_PASSWORD,
                "device_id": hana_device
            }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.get("token").is_none(),
        "no session for a taken device: {body}"
    );
    // Hana keeps using it, and Sam signs in from a device of his own.
    server.login_on("hana.health", Some(hana_device)).await;
    server
        .login_on("sam.social", Some("fedcba9876543210fedcba9876543210"))
        .await;
    let audit = server.state.store.audit_all().await.expect("audit");
    assert!(
        audit.iter().any(|e| e.event.outcome == "refused"
            && e.event.detail.contains("device registered to another user")),
        "the refusal is audited"
    );
}

/// Signs in as `username` with the right password from `device`: status and body.
async fn sign_in_from(server: &TestServer, username: &str, device: Value) -> (StatusCode, Value) {
    server
        .post(
            "/api/login",
            None,
            &json!({"username": username, "password": DEMO_PASSWORD, "device_id": device}),
        )
        .await
}

/// A refused sign-in: a clear 400 naming the rule, and no session.
fn assert_refused(status: StatusCode, body: &Value, what: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(body["error"], "bad_request", "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("invalid device id: "),
        "{what}: {message}"
    );
    assert!(body.get("token").is_none(), "{what}: {body}");
}

#[tokio::test]
async fn only_the_canonical_spelling_of_a_device_id_signs_in() {
    let server = TestServer::start().await;
    let bound = "0123456789abcdef0123456789abcdef";
    server.login_on("hana.health", Some(bound)).await;

    let variants = [
        ("upper case", bound.to_uppercase()),
        (
            "mixed case",
            format!("{}ABCDEF{}", &bound[..10], &bound[16..]),
        ),
        ("a prefix", bound[..31].to_owned()),
        ("a shorter prefix", bound[..16].to_owned()),
        ("an extension", format!("{bound}0")),
        ("a longer extension", format!("{bound}{bound}")),
        ("padded", format!(" {bound}")),
        ("empty", String::new()),
    ];
    // Neither another user nor the device's own user gets a second name for the device.
    for user in ["sam.social", "hana.health"] {
        for (what, variant) in &variants {
            let (status, body) = sign_in_from(&server, user, json!(variant)).await;
            assert_refused(status, &body, &format!("{user}, {what}"));
        }
    }
    let (status, body) = sign_in_from(&server, "sam.social", json!(42)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a string: {body}");

    // The canonical ids sign in: the bound one for its user, a fresh one for another.
    server.login_on("hana.health", Some(bound)).await;
    server
        .login_on("sam.social", Some("fedcba9876543210fedcba9876543210"))
        .await;
    server.login("sam.social").await;
}

#[tokio::test]
async fn device_ids_that_begin_like_the_servers_own_actors_are_never_bound() {
    let server = TestServer::start().await;
    let hex16 = |bytes: &[u8]| hex::encode(&bytes[..16]);
    let genesis = shared::record::genesis_actor(&"child-ava".parse().expect("id"));
    let reserved = [
        (
            "the genesis actor of a child on the caseload",
            hex16(genesis.to_bytes()),
        ),
        ("the genesis prefix", hex16(b"quilt-genesis:\0\0")),
        ("a demo author", hex16(b"demo-seed-user-sam-social")),
        ("the demo plans", hex16(b"demo-seed-plan-child-ava")),
    ];
    for (what, device) in &reserved {
        let (status, body) = sign_in_from(&server, "sam.social", json!(device)).await;
        assert_refused(status, &body, what);
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("reserved"),
            "{what}: {body}"
        );
    }
}

#[tokio::test]
async fn refused_device_ids_are_audited_without_the_id() {
    let server = TestServer::start().await;
    let sprayed = "FEDCBA9876543210FEDCBA9876543210";
    let (status, body) = sign_in_from(&server, "sam.social", json!(sprayed)).await;
    assert_refused(status, &body, "upper case");
    let reserved = hex::encode(b"demo-seed-000000");
    let (status, body) = sign_in_from(&server, "nobody.here", json!(reserved)).await;
    assert_refused(status, &body, "reserved");

    let audit = server.state.store.audit_all().await.expect("audit");
    let refused: Vec<_> = audit
        .iter()
        .map(|e| &e.event)
        .filter(|e| e.action == "login" && e.outcome == "refused")
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0].user_id.as_deref(), Some("user-sam-social"));
    assert!(
        refused[0].detail.contains("32 lowercase hexadecimal"),
        "{refused:?}"
    );
    assert_eq!(refused[1].user_id, None, "no such account");
    assert!(refused[1].detail.contains("reserved"), "{refused:?}");
    for event in refused {
        assert_eq!(event.device_id, None, "the refused id is not recorded");
        assert!(!event.detail.contains(sprayed) && !event.detail.contains(&reserved));
    }
}
