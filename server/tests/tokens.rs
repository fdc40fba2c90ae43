//! Sessions: short-lived access tokens, rotating refresh tokens whose reuse revokes the whole
//! family, logout, expiry, and sign-in rate limiting.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use server::demo::DEMO_PASSWORD;
use shared::api::LoginResponse;
use support::TestServer;

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
