//! Security headers: API responses are never cached; pages carry a strict CSP and friends.

use crate::support::TestServer;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

#[tokio::test]
async fn api_is_never_cached_and_pages_carry_a_strict_policy() {
    let dist = tempfile::tempdir().expect("dir");
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Quilt</title>",
    )
    .expect("write");
    let server = TestServer::with_config(server::Config {
        static_dir: Some(dist.path().to_path_buf()),
        ..server::Config::default()
    })
    .await;
    let token = server.login("sam.social").await;

    let get = |path: &str, auth: bool| {
        let mut req = Request::get(path);
        if auth {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        server
            .router
            .clone()
            .oneshot(req.body(Body::empty()).expect("request"))
    };
    for (path, auth) in [("/api/me", true), ("/api/me", false), ("/api/team", true)] {
        let resp = get(path, auth).await.expect("response");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store", "{path}");
    }
    // A client-side route gets the app shell, with the page headers.
    let resp = get("/child/child-ava", false).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().expect("csp");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(
        !csp.contains("script-src 'self' 'unsafe-inline'"),
        "no inline scripts"
    );
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::CACHE_CONTROL], "no-cache");
}
