//! The application state: the services composed, cloned into every handler, and the
//! runtime settings.

use crate::chronologies::Chronologies;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;

use crate::admin::Admin;
use crate::audit_log::AuditLog;
use crate::front_door::FrontDoor;
use crate::limits::{ItemisedRefusals, LoginLimiter};
use crate::merge::{Documents, DocumentsConfig};
use crate::metrics::{Metrics, MetricsToken};
use crate::sessions::{Lifetimes, Sessions};
use crate::store::Store;

/// What every handler can reach: the services, composed. Handlers take the part they need
/// (`State<Arc<Documents>>`, `State<AuditLog>`, …, through the `FromRef` impls below); the
/// services know nothing of this struct or of HTTP.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    /// The merge service: documents, their cache, locks and commits (see `merge`).
    pub documents: Arc<Documents>,
    /// The audit trail's writer (see `audit_log`).
    pub audit: AuditLog,
    /// Accounts and sessions: sign-in, tokens, sign-out (see `sessions`).
    pub sessions: Sessions,
    /// Running the partnership: accounts, teams, agencies, children, core groups (see `admin`).
    pub admin: Admin,
    /// Concerns about any child: the queue, matches and decisions (see `front_door`).
    pub front_door: FrontDoor,
    /// How many children a user may not see each sync may name in the audit trail one by one.
    pub itemised_refusals: ItemisedRefusals,
    pub metrics: Arc<Metrics>,
    /// Chronologies built for reading, by stored version (see `chronologies`).
    pub chronologies: Chronologies,
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
    /// How long after a leaver's account is disabled their tablet may still upload what it
    /// holds before it erases it (`sessions::Access::Leaving`).
    pub leaver_grace_ms: i64,
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
    /// The partnership's thresholds and practice standards: the server's flags, and sent to
    /// every tablet at sign-in so its flags are the same.
    pub thresholds: shared::analytics::Thresholds,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            static_dir: None,
            session_ttl_ms: 15 * 60 * 1000,
            refresh_ttl_ms: 14 * 24 * 60 * 60 * 1000,
            leaver_grace_ms: 72 * 60 * 60 * 1000,
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
            thresholds: shared::analytics::Thresholds::default(),
        }
    }
}

impl AppState {
    /// Starts the services on `store` (their writer tasks need a Tokio runtime).
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        let metrics = Arc::<Metrics>::default();
        let audit = AuditLog::start(store.clone());
        let sessions = Sessions::new(
            store.clone(),
            store.clone(),
            audit.clone(),
            LoginLimiter::new(config.login_window_ms, config.login_max_failures),
            metrics.clone(),
            Lifetimes {
                session_ttl_ms: config.session_ttl_ms,
                refresh_ttl_ms: config.refresh_ttl_ms,
                leaver_grace_ms: config.leaver_grace_ms,
            },
            config.thresholds,
        );
        let documents = Arc::new(Documents::start(
            store.clone(),
            audit.clone(),
            metrics.clone(),
            DocumentsConfig {
                compact_after_changes: config.compact_after_changes,
                cache_docs: config.doc_cache_docs,
            },
        ));
        let admin = Admin::new(store.clone(), audit.clone());
        AppState {
            chronologies: Chronologies::new(documents.clone(), store.clone()),
            front_door: FrontDoor::new(
                store.clone(),
                documents.clone(),
                audit.clone(),
                admin.clone(),
            ),
            admin,
            sessions,
            itemised_refusals: ItemisedRefusals::new(
                config.itemised_refusals_window_ms,
                config.itemised_refusals_per_window,
            ),
            config: Arc::new(config),
            store,
            documents,
            audit,
            metrics,
        }
    }
}

impl FromRef<AppState> for Arc<Documents> {
    fn from_ref(state: &AppState) -> Self {
        state.documents.clone()
    }
}

impl FromRef<AppState> for AuditLog {
    fn from_ref(state: &AppState) -> Self {
        state.audit.clone()
    }
}

impl FromRef<AppState> for Arc<dyn Store> {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<AppState> for Sessions {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.clone()
    }
}

impl FromRef<AppState> for Chronologies {
    fn from_ref(s: &AppState) -> Self {
        s.chronologies.clone()
    }
}

impl FromRef<AppState> for FrontDoor {
    fn from_ref(state: &AppState) -> Self {
        state.front_door.clone()
    }
}

impl FromRef<AppState> for Admin {
    fn from_ref(state: &AppState) -> Self {
        state.admin.clone()
    }
}
