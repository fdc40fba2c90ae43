//! The PostgreSQL engine, for several server processes sharing one database. Same schema,
//! same semantics and the same tests as the SQLite engine; what differs is how concurrent
//! processes are kept apart:
//!
//! - a merge commits only if the child's `doc_state` row is still at the version the merge
//!   was computed from; the conditional update locks that row, so a concurrent commit of the
//!   same child waits and then fails its check (see [`Store::commit_merge`]);
//! - every merge sends a notification with the child's id on `quilt_doc_changed`, delivered
//!   to every process's listener when it commits (see `crate::live`);
//! - audit appends lock the audit table against other appenders, so the hash chain never
//!   forks;
//! - a refresh token is read `FOR UPDATE`, so two processes cannot both spend it.
//!
//! Commits are durable when they return: PostgreSQL's defaults (`fsync`, synchronous commit).
//!
//! tidy: long file — no good reason: most of it is the same SQL as `sqlite.rs`. Issue 11 (one store
//! implementation) writes that once and keeps only the differences here.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};

use super::{
    ChronologyPage, DocState, MergeWrite, NewRefresh, Page, PartKind, QuarantinedPart,
    QuarantinedRecord, RecordRepair, RefreshUse, Result, Session, Store, StoreError, StoredDoc,
    StoredRecord, TeamChild, User,
};
use shared::api::{CaseloadEntry, Role, TeamCaseloadRow};
use shared::chronology::ChronologyEntry;
use shared::{ChildId, UserId};

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
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .after_release(|conn, _| Box::pin(async move { Ok(super::healthy(&*conn)) }))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore {
            pool,
            audit_lock: tokio::sync::Mutex::new(()),
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

fn user_from_row(row: &PgRow) -> Result<User> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        id: id
            .parse()
            .map_err(|_| StoreError::Corrupt("user id".into()))?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        agency: row.try_get("agency")?,
        role: Role::from_code(&role).ok_or_else(|| StoreError::Corrupt("user role".into()))?,
        team_id: row.try_get("team_id")?,
        password_hash: row.try_get("password_hash")?,
    })
}

fn child_from_row(row: &PgRow) -> Result<CaseloadEntry> {
    let id: String = row.try_get("id")?;
    Ok(CaseloadEntry {
        child_id: id
            .parse()
            .map_err(|_| StoreError::Corrupt("child id".into()))?,
        display_name: row.try_get("display_name")?,
        date_of_birth: row.try_get("date_of_birth")?,
        legal_status: row.try_get("legal_status")?,
    })
}

const AUDIT_SELECT: &str =
    "SELECT seq, at_ms, user_id, device_id, child_id, action, outcome, detail, prev_hash, hash FROM audit";

fn audit_from_row(row: &PgRow) -> Result<crate::audit::Entry> {
    Ok(crate::audit::Entry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        event: crate::audit::Event {
            user_id: row.try_get("user_id")?,
            device_id: row.try_get("device_id")?,
            child_id: row.try_get("child_id")?,
            action: row.try_get("action")?,
            outcome: row.try_get("outcome")?,
            detail: row.try_get("detail")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const USER_COLUMNS: &str =
    "u.id, u.username, u.display_name, u.agency, u.role, u.team_id, u.password_hash";

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
        if let Some(snapshot) = &write.compact_to {
            sqlx::query(
                "INSERT INTO doc_snapshots (child_id, bytes, saved_at_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (child_id) DO UPDATE SET bytes = excluded.bytes, saved_at_ms = excluded.saved_at_ms",
            )
            .bind(child.as_str())
            .bind(snapshot)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM doc_changes WHERE child_id = $1")
                .bind(child.as_str())
                .execute(&mut *conn)
                .await?;
        }
        let projection = &write.projection;
        // serde_json escapes control characters, so the JSON text never holds a raw U+0000.
        let json = super::record_json(&projection.record)?;
        match projection.replace_all {
            Some(unreadable) => {
                sqlx::query(
                    "INSERT INTO record_projection (child_id, record_json, unreadable_observations) VALUES ($1, $2, $3) \
                     ON CONFLICT (child_id) DO UPDATE SET record_json = excluded.record_json, \
                     unreadable_observations = excluded.unreadable_observations",
                )
                .bind(child.as_str())
                .bind(json)
                .bind(unreadable as i64)
                .execute(&mut *conn)
                .await?;
                sqlx::query("DELETE FROM observations WHERE child_id = $1")
                    .bind(child.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                record_child.push(child.as_str());
                record_json.push(json);
            }
        }
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
            "INSERT INTO observations (child_id, observation_id, occurred, occurred_approx, recorded_at_ms, author_id, \
             author_name, agency, source, headline, indicators_json, indicator_count, child_words, narrative, observation_json) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[]) \
             ON CONFLICT (child_id, observation_id) DO UPDATE SET occurred = excluded.occurred, \
             occurred_approx = excluded.occurred_approx, recorded_at_ms = excluded.recorded_at_ms, \
             author_id = excluded.author_id, author_name = excluded.author_name, agency = excluded.agency, \
             source = excluded.source, headline = excluded.headline, indicators_json = excluded.indicators_json, \
             indicator_count = excluded.indicator_count, child_words = excluded.child_words, \
             narrative = excluded.narrative, observation_json = excluded.observation_json",
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

#[async_trait]
impl Store for PgStore {
    fn watch(&self, live: crate::live::Live) {
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
                                    live.changed(&child);
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

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_team(&self, id: &str, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO teams (id, name) VALUES ($1, $2)")
            .bind(id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, agency, role, team_id, password_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user.id.as_str())
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.agency)
        .bind(user.role.code())
        .bind(&user.team_id)
        .bind(&user.password_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        // Typed at the sign-in form; a U+0000 cannot be stored, so it names nobody.
        if username.contains('\0') {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: &UserId,
        device: Option<&str>,
        family: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, device_id, family_id, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user.as_str())
        .bind(device)
        .bind(family)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.device_id, s.family_id FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at_ms > $2"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(Session {
                user: user_from_row(&row)?,
                device_id: row.try_get("device_id")?,
                family_id: row.try_get("family_id")?,
            })),
            None => Ok(None),
        }
    }

    async fn create_refresh(&self, t: &NewRefresh) -> Result<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, device_id, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&t.token_hash)
        .bind(&t.family_id)
        .bind(t.user_id.as_str())
        .bind(&t.device_id)
        .bind(t.now_ms)
        .bind(t.expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn use_refresh(&self, token_hash: &str, now_ms: i64) -> Result<RefreshUse> {
        let mut tx = self.pool.begin().await?;
        // FOR UPDATE: a second presentation of the token (from this or another process) waits
        // for the first to commit, then reads it as used, so reuse is always detected.
        let row = sqlx::query(
            "SELECT family_id, user_id, device_id, expires_at_ms, used_at_ms, revoked FROM refresh_tokens \
             WHERE token_hash = $1 FOR UPDATE",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshUse::Invalid);
        };
        let family_id: String = row.try_get("family_id")?;
        let user_id: String = row.try_get("user_id")?;
        let used: Option<i64> = row.try_get("used_at_ms")?;
        let revoked: bool = row.try_get("revoked")?;
        let expires: i64 = row.try_get("expires_at_ms")?;
        if used.is_some() {
            sqlx::query("UPDATE refresh_tokens SET revoked = true WHERE family_id = $1")
                .bind(&family_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE family_id = $1")
                .bind(&family_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(RefreshUse::Reused { family_id, user_id });
        }
        if revoked || expires <= now_ms {
            tx.rollback().await?;
            return Ok(RefreshUse::Invalid);
        }
        sqlx::query("UPDATE refresh_tokens SET used_at_ms = $1 WHERE token_hash = $2")
            .bind(now_ms)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        let user_row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await?;
        let device_id: Option<String> = row.try_get("device_id")?;
        tx.commit().await?;
        Ok(RefreshUse::Valid {
            user: user_from_row(&user_row)?,
            device_id,
            family_id,
        })
    }

    async fn revoke_family(&self, family: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE refresh_tokens SET revoked = true WHERE family_id = $1")
            .bind(family)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE family_id = $1")
            .bind(family)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_child(&self, child: &CaseloadEntry, team_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO children (id, display_name, date_of_birth, legal_status, team_id) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(child.child_id.as_str())
        .bind(&child.display_name)
        .bind(&child.date_of_birth)
        .bind(&child.legal_status)
        .bind(team_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn allocate(&self, child: &ChildId, user: &UserId) -> Result<()> {
        sqlx::query(
            "INSERT INTO allocations (child_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (child_id, user_id) DO NOTHING",
        )
        .bind(child.as_str())
        .bind(user.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn deallocate(&self, child: &ChildId, user: &UserId) -> Result<()> {
        sqlx::query("DELETE FROM allocations WHERE child_id = $1 AND user_id = $2")
            .bind(child.as_str())
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn caseload(&self, user: &User) -> Result<Vec<CaseloadEntry>> {
        let rows = match user.role {
            Role::Practitioner => {
                sqlx::query(
                    "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status FROM children c \
                     JOIN allocations a ON a.child_id = c.id WHERE a.user_id = $1 ORDER BY c.display_name, c.id",
                )
                .bind(user.id.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            Role::Manager => {
                sqlx::query(
                    "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status FROM children c \
                     WHERE c.team_id = $1 ORDER BY c.display_name, c.id",
                )
                .bind(&user.team_id)
                .fetch_all(&self.pool)
                .await?
            }
            // Administrators manage accounts, not records.
            Role::Admin => Vec::new(),
        };
        rows.iter().map(child_from_row).collect()
    }

    async fn child(&self, child: &ChildId) -> Result<Option<CaseloadEntry>> {
        let row = sqlx::query(
            "SELECT id, display_name, date_of_birth, legal_status FROM children WHERE id = $1",
        )
        .bind(child.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(child_from_row).transpose()
    }

    async fn load_doc(&self, child: &ChildId) -> Result<StoredDoc> {
        let mut conn = self.pool.acquire().await?;
        Ok(read_doc(&mut conn, child, false).await?.doc)
    }

    async fn commit_merges(
        &self,
        merges: &[(ChildId, i64, MergeWrite)],
        now_ms: i64,
    ) -> Result<Vec<bool>> {
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

    async fn doc_states(
        &self,
        children: &[ChildId],
    ) -> Result<std::collections::HashMap<ChildId, DocState>> {
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
        for (id, version, heads, quarantined) in rows {
            let id = super::child_ids(vec![id])?.remove(0);
            out.insert(
                id,
                DocState {
                    version,
                    heads: super::split_heads(&heads),
                    quarantined,
                },
            );
        }
        Ok(out)
    }

    async fn unversioned_children(&self) -> Result<Vec<ChildId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT c.id FROM children c WHERE NOT EXISTS (SELECT 1 FROM doc_state s WHERE s.child_id = c.id) \
             AND (EXISTS (SELECT 1 FROM doc_changes d WHERE d.child_id = c.id) \
               OR EXISTS (SELECT 1 FROM doc_snapshots n WHERE n.child_id = c.id)) ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        super::child_ids(ids)
    }

    async fn quarantine_record(
        &self,
        child: &ChildId,
        version: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // Shares the lock a commit takes on the child's row: a repair committing meanwhile is
        // seen (the version moved, nothing is marked), or waits until this is committed.
        let stored: Option<i64> =
            sqlx::query_scalar("SELECT version FROM doc_state WHERE child_id = $1 FOR SHARE")
                .bind(child.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if stored.unwrap_or(0) != version {
            return Ok(false);
        }
        let done = sqlx::query(
            "INSERT INTO quarantined_records (child_id, reason, detected_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (child_id) DO NOTHING",
        )
        .bind(child.as_str())
        .bind(reason)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn is_quarantined(&self, child: &ChildId) -> Result<bool> {
        let found: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM quarantined_records WHERE child_id = $1")
                .bind(child.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn quarantined_records(&self) -> Result<Vec<QuarantinedRecord>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT child_id, reason, detected_at_ms FROM quarantined_records \
             ORDER BY detected_at_ms, child_id",
        )
        .fetch_all(&self.pool)
        .await?;
        super::quarantined_records(rows)
    }

    async fn release_record(&self, child: &ChildId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM quarantined_records WHERE child_id = $1")
            .bind(child.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn load_record(&self, child: &ChildId) -> Result<StoredRecord> {
        let mut conn = self.pool.acquire().await?;
        read_doc(&mut conn, child, true).await
    }

    async fn commit_repair(
        &self,
        child: &ChildId,
        base_version: i64,
        repair: &RecordRepair,
        now_ms: i64,
    ) -> Result<bool> {
        let merge = (child.clone(), base_version, repair.write.clone());
        let mut tx = self.pool.begin().await?;
        if advance_versions(&mut tx, std::slice::from_ref(&merge)).await? != [true] {
            return Ok(false);
        }
        let (mut kinds, mut hashes, mut bytes, mut reasons) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for part in &repair.moved {
            kinds.push(part.kind.code());
            hashes.push(part.hash.as_str());
            bytes.push(part.bytes.as_slice());
            reasons.push(part.reason.as_str());
        }
        sqlx::query(
            "INSERT INTO quarantined_changes (child_id, kind, hash, bytes, reason, quarantined_at_ms) \
             SELECT $1, kind, hash, bytes, reason, $6 \
             FROM UNNEST($2::text[], $3::text[], $4::bytea[], $5::text[]) WITH ORDINALITY AS u(kind, hash, bytes, reason, n) \
             ORDER BY n",
        )
        .bind(child.as_str())
        .bind(&kinds)
        .bind(&hashes)
        .bind(&bytes)
        .bind(&reasons)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let changes: Vec<&str> = repair
            .moved
            .iter()
            .filter(|p| p.kind == PartKind::Change)
            .map(|p| p.hash.as_str())
            .collect();
        sqlx::query("DELETE FROM doc_changes WHERE child_id = $1 AND hash = ANY($2)")
            .bind(child.as_str())
            .bind(&changes)
            .execute(&mut *tx)
            .await?;
        if repair.moved.iter().any(|p| p.kind == PartKind::Snapshot) {
            sqlx::query("DELETE FROM doc_snapshots WHERE child_id = $1")
                .bind(child.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM quarantined_records WHERE child_id = $1")
            .bind(child.as_str())
            .execute(&mut *tx)
            .await?;
        write_merges(&mut tx, &[&merge], now_ms).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn quarantined_parts(&self, child: &ChildId) -> Result<Vec<QuarantinedPart>> {
        let rows: Vec<(String, String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT kind, hash, bytes, reason FROM quarantined_changes WHERE child_id = $1 ORDER BY seq",
        )
        .bind(child.as_str())
        .fetch_all(&self.pool)
        .await?;
        super::quarantined_parts(rows)
    }

    async fn bind_device(&self, device: &str, user: &UserId, now_ms: i64) -> Result<bool> {
        sqlx::query(
            "INSERT INTO devices (device_id, user_id, first_seen_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (device_id) DO NOTHING",
        )
        .bind(device)
        .bind(user.as_str())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let owner: String = sqlx::query_scalar("SELECT user_id FROM devices WHERE device_id = $1")
            .bind(device)
            .fetch_one(&self.pool)
            .await?;
        Ok(owner == user.as_str())
    }

    async fn append_audits(&self, events: &[crate::audit::Event], at_ms: i64) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let _one_at_a_time = self.audit_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        // Conflicts with itself and with inserts, not with reads: appends from every process
        // queue here, so each reads the hash the previous one wrote.
        sqlx::query("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let prev: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let prev = prev.unwrap_or_else(|| crate::audit::GENESIS_HASH.to_owned());
        // Written in as few statements as the engine's parameter limit allows (rows take
        // their sequence numbers in the order listed).
        let rows = crate::audit::chained(prev, at_ms, events);
        for chunk in rows.chunks(super::AUDIT_ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO audit (at_ms, user_id, device_id, child_id, action, outcome, detail, prev_hash, hash) ",
            );
            insert.push_values(chunk, |mut row, (event, prev, hash)| {
                row.push_bind(at_ms)
                    .push_bind(&event.user_id)
                    .push_bind(&event.device_id)
                    .push_bind(&event.child_id)
                    .push_bind(&event.action)
                    .push_bind(&event.outcome)
                    .push_bind(&event.detail)
                    .push_bind(prev)
                    .push_bind(hash);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_for_child(&self, child: &ChildId) -> Result<Vec<crate::audit::Entry>> {
        let rows = sqlx::query(&format!("{AUDIT_SELECT} WHERE child_id = $1 ORDER BY seq"))
            .bind(child.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_all(&self) -> Result<Vec<crate::audit::Entry>> {
        let rows = sqlx::query(&format!("{AUDIT_SELECT} ORDER BY seq"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn team_caseload(&self, manager: &User) -> Result<Vec<TeamChild>> {
        // Allocated names in user-id order: the order SQLite's GROUP_CONCAT takes them in,
        // walking the allocations' primary key.
        let rows = sqlx::query(
            "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status, \
               (SELECT COUNT(*) FROM observations o WHERE o.child_id = c.id) AS observation_count, \
               (SELECT COALESCE(SUM(indicator_count), 0)::BIGINT FROM observations o WHERE o.child_id = c.id) AS indicator_count, \
               (SELECT COUNT(DISTINCT author_id) FROM observations o WHERE o.child_id = c.id) AS authors, \
               (SELECT MAX(occurred) FROM observations o WHERE o.child_id = c.id) AS last_occurred, \
               (SELECT string_agg(u.display_name, ', ' ORDER BY a.user_id) FROM allocations a JOIN users u ON u.id = a.user_id \
                WHERE a.child_id = c.id) AS allocated, \
               p.record_json, COALESCE(p.unreadable_observations, 0)::BIGINT AS unreadable_observations \
             FROM children c LEFT JOIN record_projection p ON p.child_id = c.id \
             WHERE c.team_id = $1 ORDER BY c.display_name, c.id",
        )
        .bind(&manager.team_id)
        .fetch_all(&self.pool)
        .await?;
        let observation_rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT o.child_id, o.observation_json FROM observations o JOIN children c ON c.id = o.child_id \
             WHERE c.team_id = $1 ORDER BY o.child_id, o.occurred, o.recorded_at_ms, o.observation_id",
        )
        .bind(&manager.team_id)
        .fetch_all(&self.pool)
        .await?;
        let mut observations = super::group_by_child(observation_rows);
        rows.iter()
            .map(|row| {
                let allocated: Option<String> = row.try_get("allocated")?;
                let id: String = row.try_get("id")?;
                let record_json: Option<String> = row.try_get("record_json")?;
                let record = super::assemble_or_unreadable(
                    &id,
                    record_json.as_deref(),
                    row.try_get("unreadable_observations")?,
                    &observations.remove(&id).unwrap_or_default(),
                );
                let row = TeamCaseloadRow {
                    child: child_from_row(row)?,
                    allocated_to: allocated
                        .map(|a| a.split(", ").map(str::to_owned).collect())
                        .unwrap_or_default(),
                    observation_count: row.try_get::<i64, _>("observation_count")? as u32,
                    indicator_count: row.try_get::<i64, _>("indicator_count")? as u32,
                    authors: row.try_get::<i64, _>("authors")? as u32,
                    last_occurred: row.try_get("last_occurred")?,
                    flags: Vec::new(),
                };
                Ok(TeamChild { row, record })
            })
            .collect()
    }

    async fn record(&self, child: &ChildId) -> Result<shared::record::Record> {
        // One statement, so one snapshot: the projection row and its observation rows agree.
        let rows: Vec<(i32, String, i64)> = sqlx::query_as(
            "SELECT 0 AS part, record_json AS json, unreadable_observations::BIGINT AS n, \
               '' AS occurred, 0::BIGINT AS recorded_at_ms, '' AS observation_id \
             FROM record_projection WHERE child_id = $1 \
             UNION ALL \
             SELECT 1, observation_json, 0, occurred, recorded_at_ms, observation_id \
             FROM observations WHERE child_id = $1 \
             ORDER BY part, occurred, recorded_at_ms, observation_id",
        )
        .bind(child.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut json = None;
        let mut unreadable = 0;
        let mut observations = Vec::new();
        for (part, text, n) in rows {
            if part == 0 {
                json = Some(text);
                unreadable = n;
            } else {
                observations.push(text);
            }
        }
        super::assemble(json.as_deref(), unreadable, &observations)
    }

    async fn chronology(&self, child: &ChildId, page: Page) -> Result<ChronologyPage> {
        // One read transaction: the page and the count agree.
        let mut tx = self.pool.begin().await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM observations WHERE child_id = $1")
                .bind(child.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let offset = page.start(total);
        let rows = sqlx::query(
            "SELECT observation_id, occurred, occurred_approx, recorded_at_ms, author_name, agency, source, headline, \
             indicators_json, child_words, narrative FROM observations WHERE child_id = $1 \
             ORDER BY occurred, recorded_at_ms, observation_id LIMIT $2 OFFSET $3",
        )
        .bind(child.as_str())
        .bind(page.limit)
        .bind(offset)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let entries = rows
            .iter()
            .map(|row| {
                let indicators: String = row.try_get("indicators_json")?;
                Ok(ChronologyEntry {
                    observation_id: row.try_get("observation_id")?,
                    occurred: row.try_get("occurred")?,
                    occurred_approx: row.try_get("occurred_approx")?,
                    recorded_at_ms: row.try_get("recorded_at_ms")?,
                    author_name: row.try_get("author_name")?,
                    agency: row.try_get("agency")?,
                    source: row.try_get("source")?,
                    headline: row.try_get("headline")?,
                    indicators: serde_json::from_str(&indicators)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    child_words: row.try_get("child_words")?,
                    narrative: row.try_get("narrative")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(ChronologyPage {
            entries,
            offset,
            total,
        })
    }
}
