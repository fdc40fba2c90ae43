//! Running a partnership through the router, on both engines: accounts an administrator makes
//! (first password changed at first sign-in) and leavers (disabled at once; the tablet's last
//! upload within the grace period is kept and it is told to erase). Children, core groups and
//! imports: `caseloads.rs`.

use crate::support::{Tablet, TestServer};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use shared::api::LoginResponse;
use shared::record;

pub(crate) const STRONG: &str = "violet kettle harbour 42";

impl TestServer {
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        let req = Request::put(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(serde_json::to_vec(body).expect("json")))
            .expect("request");
        self.request(req).await
    }

    /// Signs in with a password; the whole answer.
    pub async fn login_with(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// A new account made by the demo administrator; its id.
    pub async fn new_account(
        &self,
        username: &str,
        agency: &str,
        role: &str,
        team: Option<&str>,
    ) -> String {
        let admin = self.login("ada.admin").await;
        let (status, body) = self
            .post(
                "/api/admin/users",
                Some(&admin),
                &json!({"username": username, "display_name": format!("Name of {username}"),
                        "agency": agency, "role": role, "team_id": team, "password": STRONG}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body.as_str().expect("id").to_owned()
    }
}

/// Signs in with the first password and chooses a new one; the token.
pub(crate) async fn first_sign_in(
    server: &TestServer,
    username: &str,
    new_password: &str,
) -> String {
    let (status, body) = server.login_with(username, STRONG).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let login: LoginResponse = serde_json::from_value(body).expect("login");
    assert!(login.must_change_password);
    let (status, body) = server
        .post(
            "/api/password",
            Some(&login.token),
            &json!({"current_password": STRONG, "new_password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    login.token
}

pub(crate) fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_new_account_must_choose_its_own_strong_password_before_anything_else() {
    let server = TestServer::start().await;
    let admin = server.login("ada.admin").await;
    // A weak first password is refused, and so is a taken username.
    let (status, body) = server
        .post(
            "/api/admin/users",
            Some(&admin),
            &json!({"username": "pat.police", "display_name": "Pat", "agency": "Police",
                    "role": "practitioner", "password": "password123"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("12 characters"),
        "{body}"
    );
    server
        .new_account("pat.police", "Police", "practitioner", None)
        .await;
    let (status, _) = server
        .post(
            "/api/admin/users",
            Some(&admin),
            &json!({"username": "pat.police", "display_name": "Pat", "agency": "Police",
                    "role": "practitioner", "password": STRONG}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = server.login_with("pat.police", STRONG).await;
    assert_eq!(status, StatusCode::OK);
    let login: LoginResponse = serde_json::from_value(body).expect("login");
    assert!(login.must_change_password);
    // Until a new password is chosen the session can do nothing else.
    let req = shared::sync::SyncRequest {
        children: Vec::new(),
        ..Default::default()
    };
    let (status, body) = server.post("/api/sync", Some(&login.token), &req).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
    let (status, _) = server.get("/api/agencies", Some(&login.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server.get("/api/me", Some(&login.token)).await;
    assert_eq!(status, StatusCode::OK);
    // The current password must be right (a 400, not a 401: the session is fine), the new strong.
    for (current, new, expected) in [
        (
            "wrong one entirely",
            "a much better passphrase",
            StatusCode::BAD_REQUEST,
        ),
        (STRONG, "pat.police.2026", StatusCode::BAD_REQUEST),
        (STRONG, "short", StatusCode::BAD_REQUEST),
        (STRONG, "a much better passphrase", StatusCode::NO_CONTENT),
    ] {
        let (status, body) = server
            .post(
                "/api/password",
                Some(&login.token),
                &json!({"current_password": current, "new_password": new}),
            )
            .await;
        assert_eq!(status, expected, "{new}: {body}");
    }
    let (status, _) = server.post("/api/sync", Some(&login.token), &req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        server.login_with("pat.police", STRONG).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .login_with("pat.police", "a much better passphrase")
            .await
            .0,
        StatusCode::OK
    );

    // An administrator's reset revokes every session and forces a change again.
    let pat = server
        .state
        .store
        .user_by_username("pat.police")
        .await
        .expect("read")
        .expect("pat");
    let (status, _) = server
        .post(
            &format!("/api/admin/users/{}/password", pat.id),
            Some(&admin),
            &json!({"password": STRONG}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.get("/api/me", Some(&login.token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    first_sign_in(&server, "pat.police", "another good passphrase").await;

    // Every administrator action is in the audit trail, attributed.
    let trail = server.state.store.audit_all().await.expect("audit");
    for action in [
        "admin.create_user",
        "admin.reset_password",
        "password.change",
    ] {
        assert!(
            trail
                .iter()
                .any(|e| e.event.action == action && e.event.outcome == "ok"),
            "{action} audited"
        );
    }
    assert!(trail
        .iter()
        .filter(|e| e.event.action.starts_with("admin."))
        .all(|e| e.event.user_id.as_deref() == Some("user-ada-admin")));
}

async fn disable(server: &TestServer, user: &str) {
    let admin = server.login("ada.admin").await;
    let (status, body) = server
        .post(
            &format!("/api/admin/users/{user}/disable"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

#[tokio::test]
async fn a_leavers_last_upload_is_kept_nothing_comes_back_and_the_tablet_is_told_to_erase() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let refresh = {
        let (_, body) = server
            .login_with("sam.social", server::demo::DEMO_PASSWORD)
            .await;
        body["refresh_token"].as_str().expect("refresh").to_owned()
    };
    // Sam records offline on the last day; the administrator disables the account meanwhile.
    let obs = crate::support::observation("last-visit", "user-sam-social");
    let replica = sam
        .caseload
        .replicas
        .get_mut(&"child-ava".parse().expect("id"))
        .expect("ava on the tablet");
    record::add_observation(&mut replica.doc, &obs, obs.recorded_at_ms).expect("record");
    disable(&server, "user-sam-social").await;

    // Reading anything is refused at once.
    let (status, body) = server.get("/api/me", Some(&sam.token)).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::FORBIDDEN, "account_disabled")
    );
    let (status, _) = server
        .get("/api/children/child-ava/record", Some(&sam.token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The last upload is merged; nothing of any record comes back, and the caseload is empty.
    let req = sam.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account_disabled"], true);
    assert_eq!(body["caseload"], json!([]));
    for child in body["children"].as_array().expect("children") {
        assert!(
            child["result"]["changes"]
                .as_array()
                .is_none_or(|c| c.is_empty()),
            "nothing sent back: {child}"
        );
    }
    assert!(server
        .chronology_ids("child-ava")
        .await
        .contains(&"last-visit".to_owned()));
    // Within the grace period the refresh token still works (for that last upload only).
    let (status, body) = server
        .post("/api/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let trail = server.state.store.audit_all().await.expect("audit");
    assert!(trail
        .iter()
        .any(|e| e.event.action == "sync" && e.event.outcome == "account_disabled"));
    assert!(trail.iter().any(|e| e.event.action == "admin.disable_user"));
}

#[tokio::test]
async fn after_the_grace_period_a_leaver_can_do_nothing_and_enabling_means_signing_in_afresh() {
    let server = TestServer::with_config(server::Config {
        leaver_grace_ms: 0,
        ..server::Config::default()
    })
    .await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let (_, login) = server
        .login_with("sam.social", server::demo::DEMO_PASSWORD)
        .await;
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    disable(&server, "user-sam-social").await;
    let before = server.stored("child-ava").await;
    let req = sam.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&sam.token), &req).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::FORBIDDEN, "account_disabled")
    );
    assert_eq!(server.stored("child-ava").await, before);
    let (status, body) = server
        .post("/api/refresh", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::FORBIDDEN, "account_disabled")
    );
    // The right password is told the account is disabled (so the tablet erases); a wrong one
    // is refused as any wrong password.
    let (status, body) = server
        .login_with("sam.social", server::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::FORBIDDEN, "account_disabled")
    );
    assert_eq!(
        server.login_with("sam.social", "not the password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let admin = server.login("ada.admin").await;
    let (status, _) = server
        .post(
            "/api/admin/users/user-sam-social/enable",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.get("/api/me", Some(&sam.token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .login_with("sam.social", server::demo::DEMO_PASSWORD)
            .await
            .0,
        StatusCode::OK
    );
}

/// A demo database seeded before there was a demo administrator gets one at the next start.
#[tokio::test]
async fn an_older_demo_database_gains_the_demo_administrator() {
    let server = TestServer::start().await;
    server
        .raw_execute("DELETE FROM users WHERE username = 'ada.admin'")
        .await
        .expect("delete");
    assert!(
        !server::demo::seed_if_empty(&server.state)
            .await
            .expect("seed"),
        "not seeded again"
    );
    assert_eq!(
        server
            .login_with("ada.admin", server::demo::DEMO_PASSWORD)
            .await
            .0,
        StatusCode::OK
    );
}
