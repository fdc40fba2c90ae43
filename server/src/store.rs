//! Storage behind one trait with two engines, chosen by the database URL: embedded SQLite
//! (`sqlite://…`, the default) and PostgreSQL (`postgres://…`). Both pass the same tests.
//!
//! Architecture invariant: a merge's new changes and its read-model rows are written in one
//! transaction; the sync route acknowledges only after that transaction commits.
//!
//! Architecture invariant: a merge is stored only on the document version it was computed
//! from ([`Store::commit_merge`]), so no two merges of one child interleave, whichever server
//! process runs them: the later one finds the version moved, reloads and merges again.
//!
//! tidy: long file — the storage contract in one place: one trait per role with the row types
//! they pass, read together by whoever adds an engine.

pub mod concerns;
mod directory;
pub mod postgres;
mod sql;
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
    /// The child's record is marked as one that cannot be loaded (see `crate::quarantine`).
    #[error("the record cannot be loaded and waits for a repair")]
    Quarantined,
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
/// Both engines' pools: eight connections, and none goes back to the pool unfit ([`healthy`]).
pub(crate) fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .max_connections(8)
        .after_release(|conn, _| Box::pin(async move { Ok(healthy(&*conn)) }))
}

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
    /// When the account was disabled (a leaver): its sessions can do nothing but a last
    /// upload during the grace period (`sessions::Sessions::session`).
    pub disabled_at_ms: Option<i64>,
    /// The password was set by an administrator and must be changed at the next sign-in.
    pub must_change_password: bool,
    /// Works the front door (`routes::front_door`): the queue, matching and decisions.
    pub front_door: bool,
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

/// A child's stored document as read at `version`: snapshot (if compacted) and the change
/// bytes after it, in order.
#[derive(Debug, Clone, Default)]
pub struct StoredDoc {
    pub version: i64,
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

/// How far a child's document has got: `version` goes up by one with every merge that stores
/// something, and `heads` are the document's heads (hex) after it. Reading this is one small
/// row, so a sync that brings nothing new is answered without loading the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocState {
    pub version: i64,
    pub heads: Vec<String>,
    /// The record is marked as one that cannot be loaded (see `crate::quarantine`).
    pub quarantined: bool,
}

/// A record marked as one the server cannot load, until a repair clears the mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedRecord {
    pub child_id: ChildId,
    /// A fixed phrase (`quarantine::Broken::reason`), never record content.
    pub reason: String,
    pub detected_at_ms: i64,
}

/// A child's stored document with the hash each change is stored under, in stored order: what
/// a repair reads.
#[derive(Debug, Clone, Default)]
pub struct StoredRecord {
    pub doc: StoredDoc,
    /// `hashes[i]` is the stored hash of `doc.changes[i]`.
    pub hashes: Vec<String>,
}

/// What a part set aside by a repair was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    Change,
    Snapshot,
}

impl PartKind {
    pub fn code(self) -> &'static str {
        match self {
            PartKind::Change => "change",
            PartKind::Snapshot => "snapshot",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "change" => Some(PartKind::Change),
            "snapshot" => Some(PartKind::Snapshot),
            _ => None,
        }
    }
}

/// A stored change or snapshot a repair moves out of a record, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedPart {
    pub kind: PartKind,
    /// A change's stored hash; a snapshot's SHA-256 (hex).
    pub hash: String,
    pub bytes: Vec<u8>,
    /// A fixed phrase, never record content.
    pub reason: String,
}

/// A repair of one record, stored atomically by [`Store::commit_repair`].
#[derive(Debug, Clone, Default)]
pub struct RecordRepair {
    /// Changes (and the snapshot) taken out of the record into `quarantined_changes`.
    pub moved: Vec<QuarantinedPart>,
    /// The repaired document's heads and its whole read model (`replace_all`); no changes
    /// and no compaction (what remains is stored as it was).
    pub write: MergeWrite,
}

/// One change to append: its hash (hex) and bytes.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub hash: String,
    pub bytes: Vec<u8>,
}

/// The read model's part of a merge.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    /// The record without its observations (`observations` empty), kept as JSON for
    /// dashboards and overviews; small, so rewritten whole.
    pub record: shared::record::Record,
    /// Observation rows to insert or replace: those the merge added or wrote into.
    pub observations: Vec<shared::record::Observation>,
    /// `Some(unreadable)` replaces every observation row with `observations` (a first
    /// projection, or a rebuild), with the number of observations that could not be read.
    pub replace_all: Option<usize>,
}

/// Everything one merge writes, committed atomically.
#[derive(Debug, Clone, Default)]
pub struct MergeWrite {
    pub changes: Vec<NewChange>,
    /// The document's heads after the merge (hex).
    pub heads: Vec<String>,
    /// When set, replaces the stored changes with this compacted snapshot.
    pub compact_to: Option<Vec<u8>>,
    pub projection: Projection,
}

/// A team child with the record projection the dashboard computes flags from.
#[derive(Debug, Clone)]
pub struct TeamChild {
    pub row: TeamCaseloadRow,
    pub record: shared::record::Record,
}

/// A slice of a chronology: `limit` entries from `offset` (oldest first); a negative offset
/// counts from the end, so `offset: -100, limit: 100` is the most recent hundred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

impl Page {
    /// Every entry.
    pub const ALL: Page = Page {
        offset: 0,
        limit: i64::MAX,
    };

    /// The index of the first entry of this page in a chronology of `total` entries.
    pub fn start(&self, total: i64) -> i64 {
        if self.offset < 0 {
            (total + self.offset).max(0)
        } else {
            self.offset
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ChronologyPage {
    pub entries: Vec<ChronologyEntry>,
    /// The index of the first entry.
    pub offset: i64,
    /// How many entries the whole chronology has.
    pub total: i64,
}

/// The PostgreSQL notification channel a merge announces its child on (see `crate::live`).
/// Audit rows per INSERT: 9 parameters each, well inside both engines' parameter limits.
const AUDIT_ROWS_PER_INSERT: usize = 500;

pub const CHANGED_CHANNEL: &str = "quilt_doc_changed";

/// One merge to store: the child, the version it was computed from, and its write.
pub type Merge = (ChildId, i64, MergeWrite);

/// The stored version and heads of each child that has them.
pub type DocStates = std::collections::HashMap<ChildId, DocState>;

/// Told the id of each child whose document another process stored (see [`Store::watch`]).
pub type OnChange = std::sync::Arc<dyn Fn(&ChildId) + Send + Sync>;

/// The whole store: every role, and what only the engine as a whole does. Services ask for
/// the narrow role they use (`Documents` a `DocStore`, `AuditLog` an `AuditTrail`).
#[async_trait]
pub trait Store:
    Accounts + Caseloads + Directory + Concerns + DocStore + AuditTrail + ReadModel + 'static
{
    /// Starts telling `on_change` of other processes' merges, where the engine can tell of
    /// them (PostgreSQL's LISTEN). The default hears nothing; waiting pages then poll.
    fn watch(&self, on_change: OnChange) {
        let _ = on_change;
    }

    /// Answers a trivial query (`SELECT 1`): the readiness check that the database is up.
    async fn ping(&self) -> Result<()>;
}

/// People, sessions, refresh tokens and devices.
#[async_trait]
pub trait Accounts: Send + Sync {
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
}

/// Children and who may hold them.
#[async_trait]
pub trait Caseloads: Send + Sync {
    async fn create_child(&self, child: &CaseloadEntry, team_id: &str) -> Result<()>;
    async fn allocate(&self, child: &ChildId, user: &UserId) -> Result<()>;
    async fn deallocate(&self, child: &ChildId, user: &UserId) -> Result<()>;
    /// Children this user may hold: allocated ones for practitioners, the team's for managers.
    async fn caseload(&self, user: &User) -> Result<Vec<CaseloadEntry>>;
    async fn child(&self, child: &ChildId) -> Result<Option<CaseloadEntry>>;
}

pub use concerns::{Concerns, StoredConcern};
pub use directory::{Directory, ImportRows};

/// Children's documents: their stored changes and versions, merges, and records that cannot be
/// loaded (see `merge/quarantine.rs`).
#[async_trait]
pub trait DocStore: Send + Sync {
    /// The version and heads of a child's document; `None` if nothing was ever merged into it
    /// (or it predates versions and has not been re-projected yet).
    async fn doc_state(&self, child: &ChildId) -> Result<Option<DocState>> {
        let mut states = self.doc_states(std::slice::from_ref(child)).await?;
        Ok(states.remove(child))
    }
    /// A consistent read of a child's document and the version it is at (0 if none).
    async fn load_doc(&self, child: &ChildId) -> Result<StoredDoc>;
    /// Stores a merge if the child's document is still at `base_version`, the version the
    /// merge was computed from; returns `false`, having written nothing, if another merge
    /// (in this process or another) stored something first: the caller reloads and merges
    /// again.
    ///
    /// Why optimistic rather than a lock held across the merge: the merge is computed in
    /// memory from a document this process usually has cached, and only the write needs the
    /// database. On SQLite the write lock is the database's only one, so holding it across
    /// every merge's computation would serialise all children's merges; here it is held for
    /// the version check and the inserts alone (`BEGIN IMMEDIATE`). On PostgreSQL the check is
    /// a conditional update of the child's `doc_state` row, which also queues a concurrent
    /// commit of the same child behind this one until it commits and then fails its check.
    /// Either way two merges of one child can never both be stored from the same version, so
    /// none overwrites a read model, or compacts away changes, that it never saw.
    async fn commit_merge(
        &self,
        child: &ChildId,
        base_version: i64,
        write: &MergeWrite,
        now_ms: i64,
    ) -> Result<bool> {
        let done = self
            .commit_merges(&[(child.clone(), base_version, write.clone())], now_ms)
            .await?;
        Ok(done.first().copied().unwrap_or(false))
    }
    /// [`DocStore::commit_merge`] for several children in one transaction (one durable write
    /// for a whole sync): each is stored if its document is still at its base version, and
    /// the answer says which were. Children are locked in id order, so two batches never
    /// wait for each other in a cycle.
    async fn commit_merges(&self, merges: &[Merge], now_ms: i64) -> Result<Vec<bool>>;
    /// The version and heads of each of `children` that has them, in one read.
    async fn doc_states(&self, children: &[ChildId]) -> Result<DocStates>;
    /// Children with a stored document but no version yet: stored before versions existed,
    /// so their read model is rebuilt at start-up.
    async fn unversioned_children(&self) -> Result<Vec<ChildId>>;

    /// Marks `child`'s record as one that cannot be loaded, unless it is marked already or its
    /// document is no longer at `version` (a repair stored meanwhile); whether this call marked it.
    async fn quarantine_record(
        &self,
        child: &ChildId,
        version: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<bool>;
    async fn is_quarantined(&self, child: &ChildId) -> Result<bool>;
    /// Every marked record, oldest detection first.
    async fn quarantined_records(&self) -> Result<Vec<QuarantinedRecord>>;
    /// Clears the mark (the record loads after all); whether there was one.
    async fn release_record(&self, child: &ChildId) -> Result<bool>;
    /// A consistent read of a child's document with each change's stored hash.
    async fn load_record(&self, child: &ChildId) -> Result<StoredRecord>;
    /// Stores a repair if the child's document is still at `base_version` (as a merge is
    /// stored): in one transaction, moves `repair.moved` out of the record into
    /// `quarantined_changes`, advances the version with the new heads, rewrites the read
    /// model and clears the mark. `false`, having written nothing, if the version moved.
    async fn commit_repair(
        &self,
        child: &ChildId,
        base_version: i64,
        repair: &RecordRepair,
        now_ms: i64,
    ) -> Result<bool>;
    /// What repairs moved out of a child's record, in the order they were moved.
    async fn quarantined_parts(&self, child: &ChildId) -> Result<Vec<QuarantinedPart>>;
}

/// The audit trail (append-only, hash-chained).
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Appends events to the trail in one transaction, in order, all with time `at_ms`.
    async fn append_audits(&self, events: &[crate::audit::Event], at_ms: i64) -> Result<()>;
    async fn append_audit(&self, event: &crate::audit::Event, at_ms: i64) -> Result<()> {
        self.append_audits(std::slice::from_ref(event), at_ms).await
    }
    /// A child's entries, oldest first.
    async fn audit_for_child(&self, child: &ChildId) -> Result<Vec<crate::audit::Entry>>;
    /// The whole trail, oldest first, for verification.
    async fn audit_all(&self) -> Result<Vec<crate::audit::Entry>>;
}

/// The managers' read model: the team caseload, record projections, the chronology.
#[async_trait]
pub trait ReadModel: Send + Sync {
    async fn team_caseload(&self, manager: &User) -> Result<Vec<TeamChild>>;
    /// The record projection of one child (empty record if nothing was merged yet).
    async fn record(&self, child: &ChildId) -> Result<shared::record::Record>;
    /// Observations in chronological order, `page.limit` of them from `page.offset`, with how
    /// many there are in all.
    async fn chronology(&self, child: &ChildId, page: Page) -> Result<ChronologyPage>;
    /// What `user` last saw of `child`'s record: the keys of its entries, as JSON
    /// (`analytics::since::look`); `None` if they never opened it.
    async fn record_view(&self, user: &UserId, child: &ChildId) -> Result<Option<String>>;
    /// Every record `user` has looked at, with what they saw.
    async fn record_views(&self, user: &UserId) -> Result<Vec<(ChildId, String)>>;
    /// Remembers what `user` saw of `child`'s record now.
    async fn put_record_view(
        &self,
        user: &UserId,
        child: &ChildId,
        seen_json: &str,
        at_ms: i64,
    ) -> Result<()>;
}

/// The record projection's JSON: the record without its observations.
pub(crate) fn record_json(record: &shared::record::Record) -> Result<String> {
    serde_json::to_string(record)
        .map_err(|e| StoreError::Corrupt(format!("record projection: {e}")))
}

/// Heads as stored in `doc_state.heads`: hex hashes joined by commas.
/// Rows of `(child_id, version, heads, quarantined)` as the children's [`DocState`]s.
pub(crate) fn doc_state_rows(
    rows: Vec<(String, i64, String, bool)>,
    out: &mut std::collections::HashMap<ChildId, DocState>,
) -> Result<()> {
    for (id, version, heads, quarantined) in rows {
        let id = child_ids(vec![id])?.remove(0);
        let heads = split_heads(&heads);
        out.insert(
            id,
            DocState {
                version,
                heads,
                quarantined,
            },
        );
    }
    Ok(())
}

pub(crate) fn split_heads(heads: &str) -> Vec<String> {
    heads
        .split(',')
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn child_ids(ids: Vec<String>) -> Result<Vec<ChildId>> {
    ids.into_iter()
        .map(|id| {
            id.parse()
                .map_err(|_| StoreError::Corrupt("child id".into()))
        })
        .collect()
}

/// `(child id, reason, detected at)` rows as quarantined records.
pub(crate) fn quarantined_records(
    rows: Vec<(String, String, i64)>,
) -> Result<Vec<QuarantinedRecord>> {
    rows.into_iter()
        .map(|(child, reason, detected_at_ms)| {
            Ok(QuarantinedRecord {
                child_id: child
                    .parse()
                    .map_err(|_| StoreError::Corrupt("child id".into()))?,
                reason,
                detected_at_ms,
            })
        })
        .collect()
}

/// `(kind, hash, bytes, reason)` rows as quarantined parts.
pub(crate) fn quarantined_parts(
    rows: Vec<(String, String, Vec<u8>, String)>,
) -> Result<Vec<QuarantinedPart>> {
    rows.into_iter()
        .map(|(kind, hash, bytes, reason)| {
            Ok(QuarantinedPart {
                kind: PartKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Corrupt("quarantined part kind".into()))?,
                hash,
                bytes,
                reason,
            })
        })
        .collect()
}

/// One observation as the read model stores it: the chronology's columns and the whole
/// observation as JSON.
pub(crate) struct ObservationRow {
    pub entry: ChronologyEntry,
    pub indicators_json: String,
    pub observation_json: String,
}

impl ObservationRow {
    pub fn of(obs: &shared::record::Observation) -> Result<Self> {
        let entry = shared::chronology::entry(obs);
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("observation row: {e}"));
        Ok(ObservationRow {
            indicators_json: serde_json::to_string(&entry.indicators).map_err(corrupt)?,
            observation_json: serde_json::to_string(obs).map_err(corrupt)?,
            entry,
        })
    }
}

/// `(child id, observation JSON)` rows, in order, grouped by child.
pub(crate) fn group_by_child(
    rows: Vec<(String, String)>,
) -> std::collections::HashMap<String, Vec<String>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (child, json) in rows {
        out.entry(child).or_default().push(json);
    }
    out
}

/// [`assemble`] for one child of a list (the team's dashboard): a projection that cannot be
/// read is logged and shown as an empty record with its entries counted as unreadable, so one
/// child's row never fails the whole list.
pub(crate) fn assemble_or_unreadable(
    child: &str,
    record_json: Option<&str>,
    unreadable_observations: i64,
    observations: &[String],
) -> shared::record::Record {
    assemble(record_json, unreadable_observations, observations).unwrap_or_else(|e| {
        tracing::error!(child, error = %e, "a child's read model could not be read");
        shared::record::Record {
            unreadable: observations.len().max(1),
            ..Default::default()
        }
    })
}

/// A child's record from its projection row and its observation rows (in chronological
/// order); an empty record if nothing was merged yet.
pub(crate) fn assemble(
    record_json: Option<&str>,
    unreadable_observations: i64,
    observations: &[String],
) -> Result<shared::record::Record> {
    let mut record: shared::record::Record = match record_json {
        Some(j) => serde_json::from_str(j)
            .map_err(|e| StoreError::Corrupt(format!("record projection: {e}")))?,
        None => shared::record::Record::default(),
    };
    record.observations = observations
        .iter()
        .map(|j| {
            serde_json::from_str(j)
                .map_err(|e| StoreError::Corrupt(format!("observation row: {e}")))
        })
        .collect::<Result<_>>()?;
    record.unreadable += usize::try_from(unreadable_observations).unwrap_or(0);
    Ok(record)
}
