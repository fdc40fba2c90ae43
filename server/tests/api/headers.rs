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

/// The client's files as `cargo xtask dist` leaves them: precompressed beside each file.
/// A content-hashed file is cached for good and served compressed as asked, decoding to the
/// same bytes; the shell, the service worker and the manifest are revalidated every time.
#[tokio::test]
async fn client_files_are_served_precompressed_and_cached_by_their_names() {
    use std::io::{Read, Write};
    let dist = tempfile::tempdir().expect("dir");
    let js: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("let v{i} = {i};\n").into_bytes())
        .collect();
    let write =
        |name: &str, bytes: &[u8]| std::fs::write(dist.path().join(name), bytes).expect("write");
    let mut br = Vec::new();
    brotli::BrotliCompress(
        &mut &js[..],
        &mut br,
        &brotli::enc::BrotliEncoderParams::default(),
    )
    .expect("brotli");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&js).expect("gzip");
    let gz = gz.finish().expect("gzip");
    write("app-0123456789abcdef.js", &js);
    write("app-0123456789abcdef.js.br", &br);
    write("app-0123456789abcdef.js.gz", &gz);
    write("index.html", b"<!doctype html><title>Quilt</title>");
    write("sw.js", b"'use strict';");
    write("manifest.webmanifest", b"{}");
    write("style.css", b"body{}");
    let server = TestServer::with_config(server::Config {
        static_dir: Some(dist.path().to_path_buf()),
        ..server::Config::default()
    })
    .await;
    let get = |path: &str, encoding: Option<&str>| {
        let mut req = Request::get(path);
        if let Some(e) = encoding {
            req = req.header(header::ACCEPT_ENCODING, e);
        }
        server
            .router
            .clone()
            .oneshot(req.body(Body::empty()).expect("request"))
    };
    let body = |resp: axum::response::Response| async move {
        use http_body_util::BodyExt;
        resp.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec()
    };
    for (encoding, expected) in [
        (Some("br, gzip"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (None, None),
    ] {
        let resp = get("/app-0123456789abcdef.js", encoding)
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::OK);
        let h = resp.headers().clone();
        assert_eq!(
            h.get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            expected,
            "{encoding:?}"
        );
        assert_eq!(
            h[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h[header::VARY], "Accept-Encoding");
        assert!(h[header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .contains("javascript"));
        let bytes = body(resp).await;
        let decoded = match expected {
            Some("br") => {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &bytes[..], &mut out).expect("brotli");
                out
            }
            Some(_) => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut out)
                    .expect("gzip");
                out
            }
            None => bytes,
        };
        assert_eq!(decoded, js, "{encoding:?}: the same bytes after decoding");
    }
    for path in [
        "/",
        "/index.html",
        "/sw.js",
        "/manifest.webmanifest",
        "/style.css",
        "/child/child-ava",
    ] {
        let resp = get(path, Some("br")).await.expect("response");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
    }
    // A hashed name from an old build is not there: the shell, and never cached for good.
    let resp = get("/app-fedcba9876543210.wasm", None)
        .await
        .expect("response");
    assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(server::content_hashed("/boot-0123456789abcdef.js"));
    assert!(!server::content_hashed("/style.css"));
    assert!(!server::content_hashed("/app-0123456789ABCDEF.js"));
    assert!(!server::content_hashed("/icon-192.png"));
}
