//! Shared application state, cloned into every handler.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::ChildId;

use crate::cpu::CpuPool;
use crate::docs::DocCache;
use crate::group::GroupCommit;
use crate::limits::{ItemisedRefusals, LoginLimiter};
use crate::live::Live;
use crate::metrics::{Metrics, MetricsToken};
use crate::store::{MergeWrite, Store};

/// One sync's merges to store: child, the version each was computed from, and its write.
pub type MergeBatch = Vec<(ChildId, i64, MergeWrite)>;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub doc_locks: DocLocks,
    pub login_limiter: LoginLimiter,
    /// How many children a user may not see each sync may name in the audit trail one by one.
    pub itemised_refusals: ItemisedRefusals,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Documents this process has loaded, by version (see `docs`).
    pub doc_cache: Arc<DocCache>,
    /// Tells open records that a child's document changed (see `live`).
    pub live: Live,
    /// Merges of concurrent syncs, stored together (see `group`).
    pub merge_commits: GroupCommit<MergeBatch, Result<Vec<bool>, String>>,
    /// Audit events of concurrent requests, appended together.
    pub audit_appends: GroupCommit<Vec<crate::audit::Event>, Result<(), String>>,
    /// Threads for merges and document rebuilds, off the async workers (see `cpu`).
    pub cpu: CpuPool,
}

/// Runtime settings the routes need (the binary fills them from flags and environment).
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory with the built client (`dist/`); `None` serves the API only.
    pub static_dir: Option<PathBuf>,
    /// Access token lifetime.
    pub session_ttl_ms: i64,
    /// Refresh token lifetime: how long a tablet may stay offline and still resume.
    pub refresh_ttl_ms: i64,
    /// Failed sign-ins per username within `login_window_ms` before further tries are refused.
    pub login_max_failures: usize,
    pub login_window_ms: i64,
    /// Each user's syncs write at most this many audit rows for children not on their
    /// caseload within `itemised_refusals_window_ms`; a request's other such children are
    /// counted in one summary row.
    pub itemised_refusals_per_window: usize,
    pub itemised_refusals_window_ms: i64,
    /// How long a client has to send a request's head (and how long an idle connection
    /// stays open between requests).
    pub header_read_timeout: Duration,
    /// How long a client has to send a request's body after its head, plus one second for
    /// every `body_min_bytes_per_sec` bytes it has sent.
    pub body_read_timeout: Duration,
    pub body_min_bytes_per_sec: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most children one sync request may name.
    pub max_children_per_sync: usize,
    /// Compact a document into a snapshot once it has this many stored changes.
    pub compact_after_changes: usize,
    /// How many children's documents each process keeps in memory between merges.
    pub doc_cache_docs: usize,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`; otherwise it is open
    /// to whoever can reach the listen address.
    pub metrics_token: Option<MetricsToken>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            static_dir: None,
            session_ttl_ms: 15 * 60 * 1000,
            refresh_ttl_ms: 14 * 24 * 60 * 60 * 1000,
            login_max_failures: 5,
            login_window_ms: 15 * 60 * 1000,
            itemised_refusals_per_window: 20,
            itemised_refusals_window_ms: 60 * 1000,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            body_min_bytes_per_sec: 8 * 1024,
            max_body_bytes: 16 * 1024 * 1024,
            max_children_per_sync: 500,
            compact_after_changes: 500,
            doc_cache_docs: 2_000,
            metrics_token: None,
        }
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let live = Live::default();
        store.watch(live.clone());
        let merge_commits = {
            let store = store.clone();
            GroupCommit::start(move |batches: Vec<MergeBatch>| {
                let store = store.clone();
                async move {
                    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
                    let all: MergeBatch = batches.into_iter().flatten().collect();
                    match store.commit_merges(&all, now_ms()).await {
                        Ok(done) => {
                            let mut done = done.into_iter();
                            sizes
                                .iter()
                                .map(|n| Ok(done.by_ref().take(*n).collect()))
                                .collect()
                        }
                        Err(e) => sizes.iter().map(|_| Err(e.to_string())).collect(),
                    }
                }
            })
        };
        let audit_appends = {
            let store = store.clone();
            GroupCommit::start(move |batches: Vec<Vec<crate::audit::Event>>| {
                let store = store.clone();
                async move {
                    let sizes = batches.len();
                    let all: Vec<crate::audit::Event> = batches.into_iter().flatten().collect();
                    let done = store
                        .append_audits(&all, now_ms())
                        .await
                        .map_err(|e| e.to_string());
                    vec![done; sizes]
                }
            })
        };
        AppState {
            merge_commits,
            audit_appends,
            store,
            doc_locks: DocLocks::default(),
            login_limiter: LoginLimiter::new(config.login_window_ms, config.login_max_failures),
            itemised_refusals: ItemisedRefusals::new(
                config.itemised_refusals_window_ms,
                config.itemised_refusals_per_window,
            ),
            doc_cache: Arc::new(DocCache::new(config.doc_cache_docs)),
            live,
            config: Arc::new(config),
            metrics: Arc::default(),
            cpu: CpuPool::default(),
        }
    }
}

/// One async mutex per child: merges of the same document are serialised, different
/// children merge in parallel.
#[derive(Clone, Default)]
pub struct DocLocks {
    inner: Arc<Mutex<HashMap<ChildId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl DocLocks {
    pub fn for_child(&self, child: &ChildId) -> Arc<tokio::sync::Mutex<()>> {
        // A poisoned map only means another thread panicked while inserting; the map is intact.
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(child.clone()).or_default().clone()
    }
}

/// Milliseconds since the Unix epoch; the one place the server reads the clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
