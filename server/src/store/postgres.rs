//! The PostgreSQL engine, for several server processes sharing one database. Same schema,
//! same semantics and the same tests as the SQLite engine; what differs is how concurrent
//! processes are kept apart:
//!
//! - a merge commits only if the child's `doc_state` row is still at the version the merge
//!   was computed from; the conditional update locks that row, so a concurrent commit of the
//!   same child waits and then fails its check (see [`super::DocStore::commit_merge`]);
//! - every merge sends a notification with the child's id on `quilt_doc_changed`, delivered
//!   to every process's listener when it commits (see `crate::live`);
//! - audit appends lock the audit table against other appenders, so the hash chain never
//!   forks;
//! - a refresh token is read `FOR UPDATE`, so two processes cannot both spend it.
//!
//! Commits are durable when they return: PostgreSQL's defaults (`fsync`, synchronous commit).

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{PgPool, Row};

use super::{DocStates, Merge, MergeWrite, Result, Store, StoreError, StoredRecord};
use shared::api::Role;
use shared::ChildId;

pub struct PgStore {
    pool: PgPool,
    /// Audit appends read the previous hash and write the next row: one at a time. The table
    /// lock does that across processes; this keeps one process's appends from each holding a
    /// pooled connection while they wait.
    audit_lock: tokio::sync::Mutex<()>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        // Like SQLite's busy timeout: a lock (a child's, the audit table's, a refresh token's)
        // not had in 10 s fails that one operation instead of queueing requests for ever.
        let options = PgConnectOptions::from_str(url)?.options([("lock_timeout", "10s")]);
        let pool = super::pool_options()
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore {
            audit_lock: tokio::sync::Mutex::new(()),
            pool,
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// PostgreSQL text cannot hold U+0000, which SQLite stores as it is. Read-model rows are a
/// projection for display (the document keeps the exact bytes), so there it becomes U+FFFD
/// rather than failing the whole merge.
fn text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The snapshot and the changes after it in one statement, hence one snapshot of the
/// database: a compaction committing meanwhile is seen whole or not at all. With each change's
/// stored hash if `with_hashes` (a repair).
async fn read_doc(
    conn: &mut PgConnection,
    child: &ChildId,
    with_hashes: bool,
) -> Result<StoredRecord> {
    let hash = if with_hashes { "hash" } else { "NULL" };
    let rows = sqlx::query(&format!(
        "SELECT 0 AS part, 0::BIGINT AS seq, bytes, NULL AS hash FROM doc_snapshots WHERE child_id = $1 \
         UNION ALL \
         SELECT 1 AS part, seq, bytes, {hash} AS hash FROM doc_changes WHERE child_id = $1 \
         UNION ALL \
         SELECT 2 AS part, version AS seq, NULL AS bytes, NULL AS hash FROM doc_state WHERE child_id = $1 \
         ORDER BY part, seq"
    ))
    .bind(child.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut stored = StoredRecord::default();
    for row in &rows {
        let part: i32 = row.try_get("part")?;
        let bytes: Option<Vec<u8>> = row.try_get("bytes")?;
        match (part, bytes) {
            (0, Some(bytes)) => stored.doc.snapshot = Some(bytes),
            (1, Some(bytes)) => {
                stored.doc.changes.push(bytes);
                if with_hashes {
                    stored.hashes.push(row.try_get("hash")?);
                }
            }
            (2, None) => stored.doc.version = row.try_get("seq")?,
            _ => return Err(StoreError::Corrupt("stored document".into())),
        }
    }
    Ok(stored)
}

/// Moves each child's version from its merge's base to the next with the new heads, in a
/// few statements for the whole batch; `false` for a child whose document is no longer at
/// its base. Existing rows are locked in child order (so two processes' batches never wait on
/// each other in a cycle) and stay locked until the transaction ends: a concurrent commit from
/// the same version waits, then finds the version moved.
async fn advance_versions(
    conn: &mut PgConnection,
    merges: &[(ChildId, i64, MergeWrite)],
) -> Result<Vec<bool>> {
    let mut order: Vec<usize> = (0..merges.len()).collect();
    order.sort_by(|a, b| merges[*a].0.as_str().cmp(merges[*b].0.as_str()));
    let (mut ids, mut bases, mut heads) = (Vec::new(), Vec::new(), Vec::new());
    let (mut new_ids, mut new_heads) = (Vec::new(), Vec::new());
    for &i in &order {
        let (child, base, write) = &merges[i];
        if *base == 0 {
            new_ids.push(child.as_str().to_owned());
            new_heads.push(write.heads.join(","));
        } else {
            ids.push(child.as_str().to_owned());
            bases.push(*base);
            heads.push(write.heads.join(","));
        }
    }
    let mut advanced: std::collections::HashSet<String> = std::collections::HashSet::new();
    if !ids.is_empty() {
        sqlx::query(
            "SELECT child_id FROM doc_state WHERE child_id = ANY($1) ORDER BY child_id FOR UPDATE",
        )
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
        let updated: Vec<String> = sqlx::query_scalar(
            "UPDATE doc_state d SET version = d.version + 1, heads = u.heads \
             FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS u(child_id, base, heads) \
             WHERE d.child_id = u.child_id AND d.version = u.base RETURNING d.child_id",
        )
        .bind(&ids)
        .bind(&bases)
        .bind(&heads)
        .fetch_all(&mut *conn)
        .await?;
        advanced.extend(updated);
    }
    if !new_ids.is_empty() {
        // Rows inserted in child order; a child another process created meanwhile is skipped.
        let inserted: Vec<String> = sqlx::query_scalar(
            "INSERT INTO doc_state (child_id, version, heads) \
             SELECT child_id, 1, heads FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS u(child_id, heads, n) \
             ORDER BY n ON CONFLICT (child_id) DO NOTHING RETURNING child_id",
        )
        .bind(&new_ids)
        .bind(&new_heads)
        .fetch_all(&mut *conn)
        .await?;
        advanced.extend(inserted);
    }
    Ok(merges
        .iter()
        .map(|(child, ..)| advanced.contains(child.as_str()))
        .collect())
}

/// The changes, compactions and read-model rows of the merges that advanced: changes, records
/// and observation rows with one statement per table for the whole batch (each statement is a
/// round trip to the server); a compaction's snapshot and a whole-record re-projection, both
/// rare, child by child.
async fn write_merges(
    conn: &mut PgConnection,
    merges: &[&(ChildId, i64, MergeWrite)],
    now_ms: i64,
) -> Result<()> {
    if merges.is_empty() {
        return Ok(());
    }
    let (mut change_child, mut change_hash, mut change_bytes) =
        (Vec::new(), Vec::new(), Vec::new());
    for (child, _, write) in merges {
        for change in &write.changes {
            change_child.push(child.as_str());
            change_hash.push(change.hash.as_str());
            change_bytes.push(change.bytes.as_slice());
        }
    }
    if !change_child.is_empty() {
        sqlx::query(
            "INSERT INTO doc_changes (child_id, hash, bytes, stored_at_ms) \
             SELECT child_id, hash, bytes, $4 FROM UNNEST($1::text[], $2::text[], $3::bytea[]) AS u(child_id, hash, bytes) \
             ON CONFLICT (child_id, hash) DO NOTHING",
        )
        .bind(&change_child)
        .bind(&change_hash)
        .bind(&change_bytes)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    let (mut record_child, mut record_json) = (Vec::new(), Vec::new());
    // Keyed by (child, observation id): ids are map keys, so unique per child; only `text`
    // could make two equal, and then the last stays (one statement cannot write a row twice).
    let mut rows: std::collections::BTreeMap<
        (&str, String),
        (&shared::record::Observation, super::ObservationRow),
    > = std::collections::BTreeMap::new();
    for (child, _, write) in merges {
        // serde_json escapes control characters, so the JSON text never holds a raw U+0000.
        if let Some(json) = write_per_child(conn, child, write, now_ms).await? {
            record_child.push(child.as_str());
            record_json.push(json);
        }
        let projection = &write.projection;
        for obs in &projection.observations {
            rows.insert(
                (child.as_str(), text(&obs.id).into_owned()),
                (obs, super::ObservationRow::of(obs)?),
            );
        }
    }
    if !record_child.is_empty() {
        sqlx::query(
            "INSERT INTO record_projection (child_id, record_json) \
             SELECT * FROM UNNEST($1::text[], $2::text[]) \
             ON CONFLICT (child_id) DO UPDATE SET record_json = excluded.record_json",
        )
        .bind(&record_child)
        .bind(&record_json)
        .execute(&mut *conn)
        .await?;
    }
    if !rows.is_empty() {
        let mut cols = ObservationColumns::default();
        for ((child, id), (obs, row)) in rows {
            cols.push(child, id, obs, &row);
        }
        sqlx::query(
            super::sql::observation_upsert!(
                "SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], \
                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], \
                 $13::text[], $14::text[], $15::text[])"
            ),
        )
        .bind(cols.child_id)
        .bind(cols.observation_id)
        .bind(cols.occurred)
        .bind(cols.occurred_approx)
        .bind(cols.recorded_at_ms)
        .bind(cols.author_id)
        .bind(cols.author_name)
        .bind(cols.agency)
        .bind(cols.source)
        .bind(cols.headline)
        .bind(cols.indicators_json)
        .bind(cols.indicator_count)
        .bind(cols.child_words)
        .bind(cols.narrative)
        .bind(cols.observation_json)
        .execute(&mut *conn)
        .await?;
    }
    // Other processes' open records learn of the merges when this commits (see `live`).
    let children: Vec<&str> = merges.iter().map(|(child, ..)| child.as_str()).collect();
    sqlx::query("SELECT pg_notify($1, child_id) FROM UNNEST($2::text[]) AS u(child_id)")
        .bind(super::CHANGED_CHANNEL)
        .bind(&children)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Observation rows as one array per column, for a single `UNNEST` insert.
#[derive(Default)]
struct ObservationColumns {
    child_id: Vec<String>,
    observation_id: Vec<String>,
    occurred: Vec<String>,
    occurred_approx: Vec<bool>,
    recorded_at_ms: Vec<i64>,
    author_id: Vec<String>,
    author_name: Vec<String>,
    agency: Vec<String>,
    source: Vec<String>,
    headline: Vec<String>,
    indicators_json: Vec<String>,
    indicator_count: Vec<i64>,
    child_words: Vec<String>,
    narrative: Vec<String>,
    observation_json: Vec<String>,
}

impl ObservationColumns {
    fn push(
        &mut self,
        child: &str,
        id: String,
        obs: &shared::record::Observation,
        row: &super::ObservationRow,
    ) {
        let e = &row.entry;
        self.child_id.push(child.to_owned());
        self.observation_id.push(id);
        self.occurred.push(text(&obs.occurred).into_owned());
        self.occurred_approx.push(obs.occurred_approx);
        self.recorded_at_ms.push(obs.recorded_at_ms);
        self.author_id.push(text(&obs.author_id).into_owned());
        self.author_name.push(text(&e.author_name).into_owned());
        self.agency.push(text(&e.agency).into_owned());
        self.source.push(text(&e.source).into_owned());
        self.headline.push(text(&e.headline).into_owned());
        self.indicators_json.push(row.indicators_json.clone());
        self.indicator_count.push(e.indicators.len() as i64);
        self.child_words.push(text(&e.child_words).into_owned());
        self.narrative.push(text(&e.narrative).into_owned());
        self.observation_json.push(row.observation_json.clone());
    }
}

impl PgStore {
    /// A transaction that writes (a merge's conditional version update is its check).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// An audit append's transaction, with the audit table locked: the lock conflicts with
    /// itself and with inserts, not with reads, so appends from every process queue here and
    /// each reads the hash the previous one wrote.
    async fn begin_audit(&self) -> Result<sqlx::Transaction<'_, sqlx::Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// A child's stored document, read in one statement (see [`read_doc`]).
    async fn read_stored(&self, child: &ChildId, with_hashes: bool) -> Result<StoredRecord> {
        let mut conn = self.pool.acquire().await?;
        read_doc(&mut conn, child, with_hashes).await
    }

    /// [`super::DocStore::commit_merges`] on this engine.
    async fn commit_batch(&self, merges: &[Merge], now_ms: i64) -> Result<Vec<bool>> {
        let mut tx = self.pool.begin().await?;
        let done = advance_versions(&mut tx, merges).await?;
        let stored: Vec<&(ChildId, i64, MergeWrite)> = merges
            .iter()
            .zip(&done)
            .filter(|(_, ok)| **ok)
            .map(|(m, _)| m)
            .collect();
        write_merges(&mut tx, &stored, now_ms).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// [`super::DocStore::doc_states`] on this engine.
    async fn read_doc_states(&self, children: &[ChildId]) -> Result<DocStates> {
        let ids: Vec<String> = children.iter().map(|c| c.as_str().to_owned()).collect();
        let rows: Vec<(String, i64, String, bool)> = sqlx::query_as(
            "SELECT s.child_id, s.version, s.heads, \
             EXISTS (SELECT 1 FROM quarantined_records q WHERE q.child_id = s.child_id) \
             FROM doc_state s WHERE s.child_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let mut out = std::collections::HashMap::new();
        super::doc_state_rows(rows, &mut out)?;
        Ok(out)
    }
}

super::sql::shared_writes!(PgConnection);

super::sql::sql_store!(
    PgStore,
    " FOR UPDATE",
    " FOR SHARE",
    "string_agg(u.display_name, ', ' ORDER BY a.user_id)"
);

#[async_trait::async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn watch(&self, on_change: super::OnChange) {
        // Outside a runtime (a tool opening the store) there is nobody to tell.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let pool = self.pool.clone();
        runtime.spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen(super::CHANGED_CHANNEL).await {
                            tracing::warn!(error = %e, "listening for other processes' merges failed");
                        } else {
                            // `recv` reconnects by itself; an error means the pool is closed.
                            while let Ok(note) = listener.recv().await {
                                if let Ok(child) = note.payload().parse() {
                                    on_change(&child);
                                }
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for other processes' merges failed")
                    }
                }
                if pool.is_closed() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }
}

/// A repair's version check and write: [`advance_versions`], [`write_merges`] of one.
async fn advance_one(
    tx: &mut PgConnection,
    child: &ChildId,
    base: i64,
    write: &MergeWrite,
) -> Result<bool> {
    let merge = (child.clone(), base, write.clone());
    Ok(advance_versions(tx, std::slice::from_ref(&merge)).await? == [true])
}

async fn write_one(
    tx: &mut PgConnection,
    child: &ChildId,
    base: i64,
    write: &MergeWrite,
    now_ms: i64,
) -> Result<()> {
    write_merges(tx, &[&(child.clone(), base, write.clone())], now_ms).await
}
super::directory::directory_store!(PgStore);
super::concerns::concerns_store!(PgStore);
