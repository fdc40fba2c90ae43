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
