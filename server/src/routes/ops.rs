//! Probes for operators: `GET /health` (liveness), `GET /ready` (readiness: the database
//! answers) and `GET /metrics` (Prometheus). None needs a user session and none returns record
//! data; `/metrics` asks for a bearer token only when one is configured.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::metrics::Metrics;
use crate::state::{AppState, Config};
use crate::store::Store;

pub const HEALTH: &str = "/health";
pub const READY: &str = "/ready";
pub const METRICS: &str = "/metrics";

/// How long the database has to answer a readiness check; a load balancer polls every few
/// seconds and should stop sending traffic soon after the database stops answering.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(HEALTH, get(health))
        .route(READY, get(ready))
        .route(METRICS, get(metrics))
}

/// The process is up and serving HTTP. Deliberately checks nothing else: a restart would not
/// fix a database outage.
async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

/// The store answers a trivial query within [`READY_TIMEOUT`]; otherwise 503 with a reason.
async fn ready(State(store): State<Arc<dyn Store>>) -> Response {
    let reason = match tokio::time::timeout(READY_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => return Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: the database failed");
            "the database is not answering queries"
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = READY_TIMEOUT.as_millis() as u64,
                "readiness check: the database timed out"
            );
            "the database did not answer in time"
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": reason})),
    )
        .into_response()
}

/// Prometheus text format. Open unless `--metrics-token` is set; then `Authorization: Bearer`.
async fn metrics(
    State(config): State<Arc<Config>>,
    State(metrics): State<Arc<Metrics>>,
    headers: HeaderMap,
) -> Response {
    if let Some(expected) = &config.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !presented.is_some_and(|t| expected.matches(t)) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the configured bearer token\n",
            )
                .into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}
