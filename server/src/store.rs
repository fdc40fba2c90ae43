//! Storage behind one trait with two engines, chosen by the database URL: embedded SQLite
//! (`sqlite://…`, the default) and PostgreSQL (`postgres://…`). Both pass the same tests.
//!
//! Architecture invariant: a merge's new changes and its read-model rows are written in one
//! transaction; the sync route acknowledges only after that transaction commits.
//!
//! Architecture invariant: a merge reads the stored document and commits its result while
//! holding a lock on that child that every process sharing the database respects
//! ([`Store::begin_merge`]), so no two merges of one child interleave, whichever server
//! process runs them.

pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use shared::api::{CaseloadEntry, Role, TeamCaseloadRow};
use shared::chronology::ChronologyEntry;
use shared::{ChildId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite://… or postgres://…): {0}")]
    UnsupportedUrl(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Opens the engine `url` names and brings its schema up to date: `postgres://` or
/// `postgresql://` for PostgreSQL, `sqlite:` for SQLite.
/// Whether a connection going back to the pool is fit to be used again: not left inside a
/// transaction. A statement that fails with "disk full" can make SQLite end the transaction
/// itself, after which sqlx still counts it as open and every later `BEGIN` on that connection
/// fails; such a connection (and any dropped mid-transaction) is closed instead, and the pool
/// opens a fresh one. This is what lets the server recover once space returns.
pub(crate) fn healthy<C: sqlx::Connection>(conn: &C) -> bool {
    use sqlx::TransactionManager as _;
    <C::Database as sqlx::Database>::TransactionManager::get_transaction_depth(conn) == 0
}

pub async fn open_store(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else {
        // Only the scheme: the rest of a URL may carry a password.
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        Err(StoreError::UnsupportedUrl(format!("{scheme}:")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub agency: String,
    pub role: Role,
    pub team_id: Option<String>,
    pub password_hash: String,
}

/// A live access session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub device_id: Option<String>,
    pub family_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewRefresh {
    pub token_hash: String,
    pub family_id: String,
    pub user_id: UserId,
    pub device_id: Option<String>,
    pub now_ms: i64,
    pub expires_at_ms: i64,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone)]
pub enum RefreshUse {
    /// Valid and now used up; issue the next one in the same family.
    Valid {
        user: User,
        device_id: Option<String>,
        family_id: String,
    },
    /// Already used: the family has been revoked.
    Reused { family_id: String, user_id: String },
    /// Unknown, expired or revoked.
    Invalid,
}

/// A child's stored document: snapshot (if compacted) and the change bytes after it, in order.
#[derive(Debug, Clone, Default)]
pub struct StoredDoc {
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

/// One change to append: its hash (hex) and bytes.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub hash: String,
    pub bytes: Vec<u8>,
}

/// Everything one merge writes, committed atomically.
#[derive(Debug, Clone, Default)]
pub struct MergeWrite {
    pub changes: Vec<NewChange>,
    /// Full replacement of the child's observation rows in the read model.
    pub observations: Vec<shared::record::Observation>,
    /// The whole record as read after the merge, kept as JSON for dashboards and overviews.
    pub record: Option<shared::record::Record>,
    /// When set, replaces the stored changes with this compacted snapshot.
    pub compact_to: Option<Vec<u8>>,
}

/// A merge in progress on one child's document, from [`Store::begin_merge`]: the child's
/// lock is held until `commit` or `abandon` (or drop, which abandons) ends it.
#[async_trait]
pub trait MergeTx: Send {
    /// Writes the merge atomically, then releases the lock.
    async fn commit(self: Box<Self>, write: MergeWrite, now_ms: i64) -> Result<()>;
    /// Writes nothing and releases the lock (nothing new to store, or the changes were refused).
    async fn abandon(self: Box<Self>) -> Result<()>;
}

/// A team child with the record projection the dashboard computes flags from.
#[derive(Debug, Clone)]
pub struct TeamChild {
    pub row: TeamCaseloadRow,
    pub record: shared::record::Record,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers a trivial query (`SELECT 1`): the readiness check that the database is up.
    async fn ping(&self) -> Result<()>;

    // People and sessions.
    async fn create_team(&self, id: &str, name: &str) -> Result<()>;
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn user_by_username(&self, username: &str) -> Result<Option<User>>;
    async fn create_session(
        &self,
        token_hash: &str,
        user: &UserId,
        device: Option<&str>,
        family: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<()>;
    /// The user behind an unexpired session, with its device and token family.
    async fn session_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>>;
    async fn create_refresh(&self, token: &NewRefresh) -> Result<()>;
    /// Uses up a refresh token. A token presented twice revokes its whole family.
    async fn use_refresh(&self, token_hash: &str, now_ms: i64) -> Result<RefreshUse>;
    /// Revokes every refresh token and access session of a family (logout, theft).
    async fn revoke_family(&self, family: &str) -> Result<()>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Binds `device` to `user` if no one has used it yet; returns whether it is `user`'s.
    async fn bind_device(&self, device: &str, user: &UserId, now_ms: i64) -> Result<bool>;

    // Children and access.
    async fn create_child(&self, child: &CaseloadEntry, team_id: &str) -> Result<()>;
    async fn allocate(&self, child: &ChildId, user: &UserId) -> Result<()>;
    async fn deallocate(&self, child: &ChildId, user: &UserId) -> Result<()>;
    /// Children this user may hold: allocated ones for practitioners, the team's for managers.
    async fn caseload(&self, user: &User) -> Result<Vec<CaseloadEntry>>;
    async fn child(&self, child: &ChildId) -> Result<Option<CaseloadEntry>>;

    // Documents.
    /// A consistent read of a child's document, without any lock (for delivery and tests).
    async fn load_doc(&self, child: &ChildId) -> Result<StoredDoc>;
    /// Locks the child's document for a merge and reads it under that lock.
    ///
    /// Why a transaction-shaped API rather than `load` then `commit`: the merge is decided
    /// in memory between the two (validate against what is stored, then append), so the
    /// read, the decision and the write must all happen under one lock. A per-process mutex
    /// (`DocLocks`) is not enough once two server processes share one database: both could
    /// load the same state, and the later commit would then overwrite the read model, and
    /// compaction would delete changes, that it never saw.
    ///
    /// - PostgreSQL opens a transaction, takes `pg_advisory_xact_lock` keyed on the child
    ///   id, and reads the document inside it; the same transaction writes the merge, and the
    ///   lock is released when it commits or rolls back (also if the process dies).
    /// - SQLite opens a `BEGIN IMMEDIATE` transaction: it takes the database's write lock,
    ///   which every connection in every process respects, and reads under it. One writer
    ///   at a time is SQLite's model anyway; the lock is now held across the (short,
    ///   in-memory) merge as well.
    ///
    /// Callers still take `DocLocks` first, so one process queues its own merges of a child
    /// in memory instead of tying up a pooled connection each.
    async fn begin_merge(&self, child: &ChildId) -> Result<(StoredDoc, Box<dyn MergeTx>)>;

    // Audit trail (append-only, hash-chained).
    async fn append_audit(&self, event: &crate::audit::Event, at_ms: i64) -> Result<()>;
    /// A child's entries, oldest first.
    async fn audit_for_child(&self, child: &ChildId) -> Result<Vec<crate::audit::Entry>>;
    /// The whole trail, oldest first, for verification.
    async fn audit_all(&self) -> Result<Vec<crate::audit::Entry>>;

    // Read model.
    async fn team_caseload(&self, manager: &User) -> Result<Vec<TeamChild>>;
    /// The record projection of one child (empty record if nothing was merged yet).
    async fn record(&self, child: &ChildId) -> Result<shared::record::Record>;
    async fn chronology(&self, child: &ChildId) -> Result<Vec<ChronologyEntry>>;
}
