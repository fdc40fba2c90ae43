//! The embedded engine: one SQLite file in WAL mode with `synchronous=FULL`, so a commit that
//! returned is on disk. A merge batch commits under the database's write lock
//! (`BEGIN IMMEDIATE`), its version checks and writes one step, so even several processes on
//! one file cannot interleave merges of a child. The document was read earlier, in a
//! transaction of its own (`load_doc`); a merge whose version moved meanwhile is computed again.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

use super::{DocStates, Merge, MergeWrite, Result, Store, StoreError, StoredDoc, StoredRecord};
use shared::api::Role;
use shared::ChildId;

pub struct SqliteStore {
    pool: SqlitePool,
    /// Audit appends read the previous hash and write the next row: one at a time.
    audit_lock: tokio::sync::Mutex<()>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or `sqlite::memory:`)
    /// and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = super::pool_options().connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let audit_lock = tokio::sync::Mutex::default();
        Ok(SqliteStore { pool, audit_lock })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The snapshot and the changes after it, read in one transaction so a concurrent compaction
/// is seen whole or not at all; with each change's stored hash if `with_hashes` (a repair).
async fn read_doc(
    conn: &mut SqliteConnection,
    child: &ChildId,
    with_hashes: bool,
) -> Result<StoredRecord> {
    let snapshot: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT bytes FROM doc_snapshots WHERE child_id = ?")
            .bind(child.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let (hashes, changes): (Vec<String>, Vec<Vec<u8>>) = if with_hashes {
        sqlx::query_as::<_, (String, Vec<u8>)>(
            "SELECT hash, bytes FROM doc_changes WHERE child_id = ? ORDER BY seq",
        )
        .bind(child.as_str())
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .unzip()
    } else {
        let changes =
            sqlx::query_scalar("SELECT bytes FROM doc_changes WHERE child_id = ? ORDER BY seq")
                .bind(child.as_str())
                .fetch_all(&mut *conn)
                .await?;
        (Vec::new(), changes)
    };
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM doc_state WHERE child_id = ?")
            .bind(child.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(StoredRecord {
        doc: StoredDoc {
            version: version.unwrap_or(0),
            snapshot,
            changes,
        },
        hashes,
    })
}

/// Moves the child's version from `base` to `base + 1` with the new heads; `false` if the
/// document is no longer at `base`.
async fn advance_version(
    conn: &mut SqliteConnection,
    child: &ChildId,
    base: i64,
    heads: &[String],
) -> Result<bool> {
    let heads = heads.join(",");
    let done = if base == 0 {
        sqlx::query(
            "INSERT INTO doc_state (child_id, version, heads) VALUES (?, 1, ?) \
             ON CONFLICT (child_id) DO NOTHING",
        )
        .bind(child.as_str())
        .bind(heads)
        .execute(&mut *conn)
        .await?
    } else {
        sqlx::query("UPDATE doc_state SET version = version + 1, heads = ? WHERE child_id = ? AND version = ?")
            .bind(heads)
            .bind(child.as_str())
            .bind(base)
            .execute(&mut *conn)
            .await?
    };
    Ok(done.rows_affected() == 1)
}

/// The changes, the compaction and the read model of one merge.
async fn write_merge(
    conn: &mut SqliteConnection,
    child: &ChildId,
    write: &MergeWrite,
    now_ms: i64,
) -> Result<()> {
    for change in &write.changes {
        sqlx::query(
            "INSERT OR IGNORE INTO doc_changes (child_id, hash, bytes, stored_at_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(child.as_str())
        .bind(&change.hash)
        .bind(&change.bytes)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(json) = write_per_child(conn, child, write, now_ms).await? {
        sqlx::query(
            "INSERT INTO record_projection (child_id, record_json) VALUES (?, ?) \
             ON CONFLICT (child_id) DO UPDATE SET record_json = excluded.record_json",
        )
        .bind(child.as_str())
        .bind(json)
        .execute(&mut *conn)
        .await?;
    }
    for obs in &write.projection.observations {
        let row = super::ObservationRow::of(obs)?;
        sqlx::query(super::sql::observation_upsert!(
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(child.as_str())
        .bind(obs.id.as_str())
        .bind(&obs.occurred)
        .bind(obs.occurred_approx)
        .bind(obs.recorded_at_ms)
        .bind(obs.author_id.as_str())
        .bind(&row.entry.author_name)
        .bind(&row.entry.agency)
        .bind(&row.entry.source)
        .bind(&row.entry.headline)
        .bind(&row.indicators_json)
        .bind(row.entry.indicators.len() as i64)
        .bind(&row.entry.child_words)
        .bind(&row.entry.narrative)
        .bind(&row.observation_json)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl SqliteStore {
    /// A transaction that writes: the database's write lock first (`BEGIN IMMEDIATE`), so what
    /// it reads before writing (a version, the previous audit hash) cannot change under it.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// An audit append's transaction: the write lock before reading the previous hash, or
    /// another connection (or process) appending meanwhile would make it fail to upgrade.
    async fn begin_audit(&self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>> {
        self.begin_write().await
    }

    /// A child's stored document, read in one transaction (see [`read_doc`]).
    async fn read_stored(&self, child: &ChildId, with_hashes: bool) -> Result<StoredRecord> {
        let mut tx = self.pool.begin().await?;
        let stored = read_doc(&mut tx, child, with_hashes).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// [`super::DocStore::commit_merges`] on this engine.
    async fn commit_batch(&self, merges: &[Merge], now_ms: i64) -> Result<Vec<bool>> {
        let mut order: Vec<usize> = (0..merges.len()).collect();
        order.sort_by(|a, b| merges[*a].0.as_str().cmp(merges[*b].0.as_str()));
        // The write lock from the start: the version checks and the writes are one step for
        // every connection in every process.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut done = vec![false; merges.len()];
        for i in order {
            let (child, base_version, write) = &merges[i];
            if advance_version(&mut tx, child, *base_version, &write.heads).await? {
                write_merge(&mut tx, child, write, now_ms).await?;
                done[i] = true;
            }
        }
        tx.commit().await?;
        Ok(done)
    }

    /// [`super::DocStore::doc_states`] on this engine.
    async fn read_doc_states(&self, children: &[ChildId]) -> Result<DocStates> {
        let mut out = std::collections::HashMap::new();
        // SQLite binds at most 32,766 parameters; a sync names at most a few hundred children.
        for chunk in children.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT s.child_id, s.version, s.heads, \
                 EXISTS (SELECT 1 FROM quarantined_records q WHERE q.child_id = s.child_id) \
                 FROM doc_state s WHERE s.child_id IN ({marks})"
            );
            let mut query = sqlx::query_as::<_, (String, i64, String, bool)>(&sql);
            for child in chunk {
                query = query.bind(child.as_str());
            }
            super::doc_state_rows(query.fetch_all(&self.pool).await?, &mut out)?;
        }
        Ok(out)
    }
}

super::sql::shared_writes!(SqliteConnection);

super::sql::sql_store!(
    SqliteStore,
    "",
    "",
    "GROUP_CONCAT(u.display_name, ', ' ORDER BY a.user_id)"
);

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// A repair's version check and write ([`advance_version`], [`write_merge`]).
async fn advance_one(
    tx: &mut SqliteConnection,
    child: &ChildId,
    base: i64,
    write: &MergeWrite,
) -> Result<bool> {
    advance_version(tx, child, base, &write.heads).await
}

async fn write_one(
    tx: &mut SqliteConnection,
    child: &ChildId,
    _base: i64,
    write: &MergeWrite,
    now_ms: i64,
) -> Result<()> {
    write_merge(tx, child, write, now_ms).await
}
super::directory::directory_store!(SqliteStore);
super::concerns::concerns_store!(SqliteStore);
