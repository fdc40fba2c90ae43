//! Quilt's server: serves the client, authenticates practitioners and managers, merges every
//! tablet's changes into each child's record and keeps the managers' read model current.
//!
//! `app` builds the router (tests call it without a socket); `serve` runs it until shutdown.

pub mod admin;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod backup;
pub mod chronologies;
pub mod clock;
pub mod cpu;
pub mod credentials;
pub mod demo;
pub mod error;
pub mod front_door;
pub mod group;
pub mod limits;
pub mod live;
pub mod logging;
pub mod merge;
pub mod metrics;
pub mod observe;
pub mod practice;
pub mod routes;
pub mod sessions;
pub mod state;
pub mod store;

use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::routing::any;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub use merge::quarantine;
pub use state::{AppState, Config};

/// Only this origin's scripts (and its wasm), no inline script, no framing, no plugins.
/// Inline style attributes are allowed because the UI sets some from code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether a file name is one `cargo xtask dist` names by its content (`app-<16 hex>.wasm`,
/// `boot-<16 hex>.js`): a new build is a new name, so it can be cached for good.
pub fn content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    matches!(ext, "js" | "wasm")
        && hash.len() == 16
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Caching of the client's files: content-hashed ones for a year and immutable, the rest
/// (`index.html`, `sw.js`, the manifest, styles, icons) revalidated every time; each varies by
/// the encoding asked for. API responses keep their own `no-store`. A hashed name that is not
/// there (an old build's) gets the app shell, which is never marked immutable.
async fn static_cache(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    if path == "/api" || path.starts_with("/api/") {
        return response;
    }
    let is_file = response.status().is_success()
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| !t.starts_with("text/html"));
    let headers = response.headers_mut();
    if is_file && content_hashed(&path) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

async fn api_not_found() -> error::ApiError {
    error::ApiError::NotFound
}

/// The whole HTTP surface: the JSON API under `/api`, and the built client everywhere else.
pub fn app(state: AppState) -> Router {
    let (body_timeout, body_min_rate) = (
        state.config.body_read_timeout,
        state.config.body_min_bytes_per_sec,
    );
    let api = Router::new()
        .merge(routes::auth::router())
        .merge(routes::sync::router())
        .merge(routes::team::router())
        .merge(routes::children::router())
        .merge(routes::seen::router())
        .merge(routes::front_door::router())
        .merge(routes::admin::router())
        // Probes and metrics: no session, no record data, and never cached either.
        .merge(routes::ops::router())
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        // Record data must never sit in a browser or proxy cache.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    let mut router = api.with_state(state.clone());
    if let Some(dir) = &state.config.static_dir {
        // Unknown paths get the app shell, so client-side routes survive a reload. Files are
        // served as `cargo xtask dist` compressed them (`.br`, `.gz`), never per request.
        let index = ServeFile::new(dir.join("index.html"))
            .precompressed_br()
            .precompressed_gzip();
        let shell = ServeDir::new(dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(index);
        router = router.fallback_service(shell);
    }
    router
        .layer(axum::middleware::from_fn(static_cache))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
            ),
        ))
        // Slow bodies are cut off before any handler waits on them (slow heads: `serve`).
        .layer(axum::middleware::map_request(move |req: Request| {
            std::future::ready(limits::with_body_deadline(req, body_timeout, body_min_rate))
        }))
        // Outermost, so the status it logs and counts is the one the client gets.
        .layer(axum::middleware::from_fn_with_state(
            state,
            observe::observe,
        ))
}

/// Serves `app(state)` on `listener` until `shutdown` completes, finishing in-flight requests.
///
/// HTTP/1.1 through hyper directly, not `axum::serve`, for its header read timeout: a client
/// that sends its request head slowly, or keeps a connection idle, is cut off after
/// `Config::header_read_timeout`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(state.config.header_read_timeout);
    let app = app(state);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app
            .clone()
            .map_request(|req: Request<hyper::body::Incoming>| req.map(Body::new));
        let conn = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts, resets and malformed requests: the client's problem, not ours.
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A failed `accept`: a connection that went away before it was accepted is nothing; anything
/// else (out of file descriptors, say) is logged and waited out rather than spun on.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
