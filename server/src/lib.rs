//! Quilt's server: serves the client, authenticates practitioners and managers, merges every
//! tablet's changes into each child's record and keeps the managers' read model current.
//!
//! `app` builds the router (tests call it without a socket); `serve` runs it until shutdown.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cpu;
pub mod demo;
pub mod docs;
pub mod error;
pub mod group;
pub mod limits;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod observe;
pub mod routes;
pub mod state;
pub mod store;

use std::future::Future;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::any;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::{AppState, Config};

/// Only this origin's scripts (and its wasm), no inline script, no framing, no plugins.
/// Inline style attributes are allowed because the UI sets some from code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
     manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn api_not_found() -> error::ApiError {
    error::ApiError::NotFound
}

/// The whole HTTP surface: the JSON API under `/api`, and the built client everywhere else.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(routes::auth::router())
        .merge(routes::sync::router())
        .merge(routes::team::router())
        .merge(routes::children::router())
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
        // Unknown paths get the app shell, so client-side routes survive a reload.
        let shell = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
        router = router.fallback_service(shell);
    }
    router
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
        // Outermost, so the status it logs and counts is the one the client gets.
        .layer(axum::middleware::from_fn_with_state(
            state,
            observe::observe,
        ))
}

/// Serves `app(state)` on `listener` until `shutdown` completes, finishing in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
