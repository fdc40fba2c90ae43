//! One log line and the HTTP counters for every request, labelled by the route template.
//!
//! Architecture invariant: the request log line carries the method, the route template (never
//! the raw path, which holds child ids, nor the query string), the status and the latency —
//! never a header or a body.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::{Metrics, UNMATCHED_ROUTE};
use crate::routes;

/// Probes that load balancers and scrapers call every few seconds: logged at debug when they
/// succeed, so they do not drown the request log.
const PROBES: [&str; 3] = [
    routes::ops::HEALTH,
    routes::ops::READY,
    routes::ops::METRICS,
];

/// Middleware: times the request, counts it by route and status class, feeds the sync
/// histogram, and writes the request log line.
pub async fn observe(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let started = Instant::now();
    let response = next.run(req).await;
    let took = started.elapsed();
    let status = response.status();

    metrics.http_request(&route, status);
    if route == routes::sync::PATH {
        metrics.sync_request(status, took);
    }
    let latency_ms = took.as_micros() as f64 / 1000.0;
    let status = status.as_u16();
    if PROBES.contains(&route.as_str()) && status < 400 {
        tracing::debug!(%method, %route, status, latency_ms, "request");
    } else {
        tracing::info!(%method, %route, status, latency_ms, "request");
    }
    response
}
