//! Operational counters, kept in plain atomics and rendered in Prometheus' text format.
//!
//! Architecture invariant: metric labels are fixed words and route templates only — never a
//! user, child, device or record id, a raw path or a query string — so `/metrics` can go to a
//! monitoring system that is not trusted with record data.

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use shared::sync::ChildResult;

/// Upper bounds (seconds) of the sync latency buckets: a small caseload answers in tens of
/// milliseconds; a large first download or a busy database takes seconds.
pub const SYNC_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The `route` label of requests that matched no route (static files, unknown paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// How a sign-in attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum SignIn {
    Ok,
    Failed,
    RateLimited,
}

/// Every counter the server keeps; one per process, shared through `AppState`.
pub struct Metrics {
    start_time: Duration,
    /// completed, refused (4xx), failed (5xx).
    sync_requests: [AtomicU64; 3],
    /// merged, fallback, rejected, revoked.
    sync_children: [AtomicU64; 5],
    changes_accepted: AtomicU64,
    changes_rejected: AtomicU64,
    sync_seconds: Histogram,
    /// ok, failed, rate_limited.
    sign_ins: [AtomicU64; 3],
    /// Documents found current in this process's cache, and loaded from the database.
    doc_cache: [AtomicU64; 2],
    /// Answers whose changes were sent as kept when stored or loaded, and answers that had
    /// to rebuild them from the document.
    answer_changes: [AtomicU64; 2],
    /// Merges recomputed because another merge of the child was stored first.
    merge_conflicts: AtomicU64,
    /// Stored records found unloadable (each is quarantined; see `quarantine`).
    records_unloadable: AtomicU64,
    /// Route template -> count per status class. The set of keys is bounded by the router.
    http: RwLock<BTreeMap<String, [AtomicU64; 5]>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            start_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            sync_requests: Default::default(),
            sync_children: Default::default(),
            changes_accepted: AtomicU64::new(0),
            changes_rejected: AtomicU64::new(0),
            sync_seconds: Histogram::default(),
            sign_ins: Default::default(),
            doc_cache: Default::default(),
            answer_changes: Default::default(),
            merge_conflicts: AtomicU64::new(0),
            records_unloadable: AtomicU64::new(0),
            http: RwLock::default(),
        }
    }
}

impl Metrics {
    /// One HTTP request, labelled by the route template it matched (or [`UNMATCHED_ROUTE`]).
    pub fn http_request(&self, route: &str, status: StatusCode) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        {
            let map = self.http.read().unwrap_or_else(|p| p.into_inner());
            if let Some(counts) = map.get(route) {
                counts[class].fetch_add(1, Relaxed);
                return;
            }
        }
        let mut map = self.http.write().unwrap_or_else(|p| p.into_inner());
        map.entry(route.to_owned()).or_default()[class].fetch_add(1, Relaxed);
    }

    /// One sync request as a whole: how long it took and whether it was answered.
    pub fn sync_request(&self, status: StatusCode, took: Duration) {
        let outcome = if status.is_success() {
            0
        } else if status.is_client_error() {
            1
        } else {
            2
        };
        self.sync_requests[outcome].fetch_add(1, Relaxed);
        self.sync_seconds.observe(took);
    }

    /// What a sync did with one child the tablet named, `sent` being the changes it carried.
    pub fn sync_child(&self, result: &ChildResult, sent: usize) {
        let (outcome, accepted, rejected) = match result {
            ChildResult::Merged { accepted, .. } => (0, *accepted, 0),
            ChildResult::Fallback { accepted, .. } => (1, *accepted, 0),
            ChildResult::Rejected { .. } => (2, 0, sent),
            ChildResult::Revoked => (3, 0, sent),
            ChildResult::Unavailable { .. } => (4, 0, 0),
        };
        self.sync_children[outcome].fetch_add(1, Relaxed);
        self.changes_accepted.fetch_add(accepted as u64, Relaxed);
        self.changes_rejected.fetch_add(rejected as u64, Relaxed);
    }

    pub fn sign_in(&self, outcome: SignIn) {
        self.sign_ins[outcome as usize].fetch_add(1, Relaxed);
    }

    /// A document a merge or delivery needed: current in the cache (`hit`) or loaded.
    pub fn doc_cache(&self, hit: bool) {
        self.doc_cache[usize::from(!hit)].fetch_add(1, Relaxed);
    }

    /// An answer that sends a tablet changes it lacks: their bytes were kept (`kept`), or
    /// rebuilt from the document.
    pub fn answer_changes(&self, kept: bool) {
        self.answer_changes[usize::from(!kept)].fetch_add(1, Relaxed);
    }

    pub fn merge_conflict(&self) {
        self.merge_conflicts.fetch_add(1, Relaxed);
    }

    /// A stored record that could not be loaded (or saved and loaded again) was found.
    pub fn record_unloadable(&self) {
        self.records_unloadable.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    fn write_to(&self, out: &mut String) -> fmt::Result {
        header(
            out,
            "quilt_build_info",
            "gauge",
            "The running server's version.",
        )?;
        writeln!(
            out,
            "quilt_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )?;
        header(
            out,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch, in seconds.",
        )?;
        writeln!(
            out,
            "process_start_time_seconds {}",
            self.start_time.as_secs_f64()
        )?;

        header(
            out,
            "quilt_sync_requests_total",
            "counter",
            "Sync requests: completed (answered with a result per child), refused as a whole \
             (not signed in, malformed, too large: 4xx) or failed (5xx).",
        )?;
        for (i, outcome) in ["completed", "refused", "failed"].iter().enumerate() {
            let n = self.sync_requests[i].load(Relaxed);
            writeln!(
                out,
                "quilt_sync_requests_total{{outcome=\"{outcome}\"}} {n}"
            )?;
        }
        header(
            out,
            "quilt_sync_children_total",
            "counter",
            "Results of completed syncs for each child the tablet named: merged, fallback \
             (Automerge sync protocol), rejected (nothing stored) or revoked (not on the caseload).",
        )?;
        for (i, outcome) in ["merged", "fallback", "rejected", "revoked", "unavailable"]
            .iter()
            .enumerate()
        {
            let n = self.sync_children[i].load(Relaxed);
            writeln!(
                out,
                "quilt_sync_children_total{{outcome=\"{outcome}\"}} {n}"
            )?;
        }
        header(
            out,
            "quilt_sync_changes_accepted_total",
            "counter",
            "Changes stored by syncs (new to the server).",
        )?;
        writeln!(
            out,
            "quilt_sync_changes_accepted_total {}",
            self.changes_accepted.load(Relaxed)
        )?;
        header(
            out,
            "quilt_sync_changes_rejected_total",
            "counter",
            "Changes sent for a child whose result was rejected or revoked, so not stored.",
        )?;
        writeln!(
            out,
            "quilt_sync_changes_rejected_total {}",
            self.changes_rejected.load(Relaxed)
        )?;
        header(
            out,
            "quilt_sync_duration_seconds",
            "histogram",
            "Time to answer a sync request, from routing to response, whatever its outcome.",
        )?;
        self.sync_seconds
            .write_to(out, "quilt_sync_duration_seconds")?;

        header(
            out,
            "quilt_sign_ins_total",
            "counter",
            "Sign-in attempts: ok, failed (unknown user or wrong password) or rate_limited.",
        )?;
        for (i, outcome) in ["ok", "failed", "rate_limited"].iter().enumerate() {
            let n = self.sign_ins[i].load(Relaxed);
            writeln!(out, "quilt_sign_ins_total{{outcome=\"{outcome}\"}} {n}")?;
        }

        header(
            out,
            "quilt_document_loads_total",
            "counter",
            "Documents a merge or delivery needed: found current in the process's cache (hit) \
             or rebuilt from the database (miss).",
        )?;
        for (i, source) in ["hit", "miss"].iter().enumerate() {
            let n = self.doc_cache[i].load(Relaxed);
            writeln!(out, "quilt_document_loads_total{{cache=\"{source}\"}} {n}")?;
        }
        header(
            out,
            "quilt_answer_changes_total",
            "counter",
            "Answers that send a tablet changes it lacks: with the bytes kept when the changes were \
             stored or loaded (kept), or rebuilt from the document (rebuilt, e.g. after compaction).",
        )?;
        for (i, source) in ["kept", "rebuilt"].iter().enumerate() {
            let n = self.answer_changes[i].load(Relaxed);
            writeln!(out, "quilt_answer_changes_total{{source=\"{source}\"}} {n}")?;
        }
        header(
            out,
            "quilt_merge_conflicts_total",
            "counter",
            "Merges computed again because another process had stored a merge of that child first.",
        )?;
        writeln!(
            out,
            "quilt_merge_conflicts_total {}",
            self.merge_conflicts.load(Relaxed)
        )?;

        header(
            out,
            "quilt_records_unloadable_total",
            "counter",
            "Stored records found unloadable: a change that does not decode or apply, a missing \
             dependency, a snapshot that does not load, a document that does not load again once \
             saved, or a rebuild that panicked. Each is quarantined until it is repaired.",
        )?;
        writeln!(
            out,
            "quilt_records_unloadable_total {}",
            self.records_unloadable.load(Relaxed)
        )?;

        header(
            out,
            "quilt_http_requests_total",
            "counter",
            "HTTP requests by route template and status class.",
        )?;
        let map = self.http.read().unwrap_or_else(|p| p.into_inner());
        for (route, counts) in map.iter() {
            let route = escape_label(route);
            for (class, count) in STATUS_CLASSES.iter().zip(counts) {
                let n = count.load(Relaxed);
                if n > 0 {
                    writeln!(
                        out,
                        "quilt_http_requests_total{{route=\"{route}\",status=\"{class}\"}} {n}"
                    )?;
                }
            }
        }
        Ok(())
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} {kind}")
}

/// Label values escape backslash, double quote and newline.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A fixed-bucket histogram; each observation lands in exactly one slot (the last slot is
/// "above every bucket"), and rendering makes the counts cumulative.
#[derive(Default)]
struct Histogram {
    slots: [AtomicU64; SYNC_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let slot = SYNC_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(SYNC_BUCKETS.len());
        self.slots[slot].fetch_add(1, Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    fn write_to(&self, out: &mut String, name: &str) -> fmt::Result {
        let mut cumulative = 0;
        for (le, slot) in SYNC_BUCKETS.iter().zip(&self.slots) {
            cumulative += slot.load(Relaxed);
            writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}")?;
        }
        cumulative += self.slots[SYNC_BUCKETS.len()].load(Relaxed);
        writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}")?;
        let sum = self.sum_micros.load(Relaxed) as f64 / 1_000_000.0;
        writeln!(out, "{name}_sum {sum}")?;
        writeln!(out, "{name}_count {cumulative}")
    }
}

/// The bearer token `/metrics` requires when one is configured. Only its digest is kept, so
/// `Debug` output of the configuration never shows it.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    pub fn new(token: &str) -> Self {
        MetricsToken(Sha256::digest(token.as_bytes()).into())
    }

    /// Compares digests, so the time taken says nothing about the token.
    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest
            .iter()
            .zip(&self.0)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// Shortest accepted token: long enough that it cannot be guessed over HTTP.
pub const MIN_TOKEN_LEN: usize = 16;

impl std::str::FromStr for MetricsToken {
    type Err = String;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        if token.chars().count() < MIN_TOKEN_LEN {
            return Err(format!(
                "the metrics token must have at least {MIN_TOKEN_LEN} characters"
            ));
        }
        Ok(MetricsToken::new(token))
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(m: &Metrics, line: &str) {
        let text = m.render();
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }

    #[test]
    fn histogram_is_cumulative_and_counts_every_observation() {
        let m = Metrics::default();
        for ms in [5, 40, 40, 700, 120_000] {
            m.sync_request(StatusCode::OK, Duration::from_millis(ms));
        }
        check(&m, "quilt_sync_duration_seconds_bucket{le=\"0.01\"} 1");
        check(&m, "quilt_sync_duration_seconds_bucket{le=\"0.05\"} 3");
        check(&m, "quilt_sync_duration_seconds_bucket{le=\"1\"} 4");
        check(&m, "quilt_sync_duration_seconds_bucket{le=\"60\"} 4");
        check(&m, "quilt_sync_duration_seconds_bucket{le=\"+Inf\"} 5");
        check(&m, "quilt_sync_duration_seconds_count 5");
        check(&m, "quilt_sync_duration_seconds_sum 120.785");
        check(&m, "quilt_sync_requests_total{outcome=\"completed\"} 5");
    }

    #[test]
    fn http_requests_are_grouped_by_route_and_status_class() {
        let m = Metrics::default();
        m.http_request("/api/children/{id}/record", StatusCode::OK);
        m.http_request("/api/children/{id}/record", StatusCode::NO_CONTENT);
        m.http_request("/api/children/{id}/record", StatusCode::NOT_FOUND);
        m.http_request("a\"b", StatusCode::INTERNAL_SERVER_ERROR);
        check(
            &m,
            "quilt_http_requests_total{route=\"/api/children/{id}/record\",status=\"2xx\"} 2",
        );
        check(
            &m,
            "quilt_http_requests_total{route=\"/api/children/{id}/record\",status=\"4xx\"} 1",
        );
        check(
            &m,
            "quilt_http_requests_total{route=\"a\\\"b\",status=\"5xx\"} 1",
        );
    }

    #[test]
    fn metrics_token_matches_only_itself_and_hides_in_debug() {
        let token = MetricsToken::new("correct horse battery");
        assert!(token.matches("correct horse battery"));
        assert!(!token.matches("correct horse batter"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "MetricsToken(..)");
        assert!("too short".parse::<MetricsToken>().is_err());
        assert!("sixteen chars ok".parse::<MetricsToken>().is_ok());
    }
}
