//! The embedded engine: one SQLite file in WAL mode with `synchronous=FULL`, so a commit that
//! returned is on disk. A merge batch commits under the database's write lock
//! (`BEGIN IMMEDIATE`), its version checks and writes one step, so even several processes on
//! one file cannot interleave merges of a child. The document was read earlier, in a
//! transaction of its own (`load_doc`); a merge whose version moved meanwhile is computed again.
//!
//! tidy: long file — no good reason: most of it is the same SQL as `postgres.rs`. Issue 11 (one
//! store implementation) writes that once.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{
    ChronologyPage, DocState, MergeWrite, NewRefresh, Page, PartKind, QuarantinedPart,
    QuarantinedRecord, RecordRepair, RefreshUse, Result, Session, Store, StoreError, StoredDoc,
    StoredRecord, TeamChild, User,
};
use shared::api::{CaseloadEntry, Role, TeamCaseloadRow};
use shared::chronology::ChronologyEntry;
use shared::{ChildId, UserId};

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
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .after_release(|conn, _| Box::pin(async move { Ok(super::healthy(&*conn)) }))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore {
            pool,
            audit_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<User> {
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

fn child_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CaseloadEntry> {
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

fn audit_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<crate::audit::Entry> {
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
    if let Some(snapshot) = &write.compact_to {
        sqlx::query(
            "INSERT INTO doc_snapshots (child_id, bytes, saved_at_ms) VALUES (?, ?, ?) \
             ON CONFLICT (child_id) DO UPDATE SET bytes = excluded.bytes, saved_at_ms = excluded.saved_at_ms",
        )
        .bind(child.as_str())
        .bind(snapshot)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM doc_changes WHERE child_id = ?")
            .bind(child.as_str())
            .execute(&mut *conn)
            .await?;
    }
    let projection = &write.projection;
    let json = super::record_json(&projection.record)?;
    match projection.replace_all {
        Some(unreadable) => {
            sqlx::query(
                "INSERT INTO record_projection (child_id, record_json, unreadable_observations) VALUES (?, ?, ?) \
                 ON CONFLICT (child_id) DO UPDATE SET record_json = excluded.record_json, \
                 unreadable_observations = excluded.unreadable_observations",
            )
            .bind(child.as_str())
            .bind(json)
            .bind(unreadable as i64)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM observations WHERE child_id = ?")
                .bind(child.as_str())
                .execute(&mut *conn)
                .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO record_projection (child_id, record_json) VALUES (?, ?) \
                 ON CONFLICT (child_id) DO UPDATE SET record_json = excluded.record_json",
            )
            .bind(child.as_str())
            .bind(json)
            .execute(&mut *conn)
            .await?;
        }
    }
    for obs in &projection.observations {
        let row = super::ObservationRow::of(obs)?;
        sqlx::query(
            "INSERT INTO observations (child_id, observation_id, occurred, occurred_approx, recorded_at_ms, author_id, \
             author_name, agency, source, headline, indicators_json, indicator_count, child_words, narrative, observation_json) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (child_id, observation_id) DO UPDATE SET occurred = excluded.occurred, \
             occurred_approx = excluded.occurred_approx, recorded_at_ms = excluded.recorded_at_ms, \
             author_id = excluded.author_id, author_name = excluded.author_name, agency = excluded.agency, \
             source = excluded.source, headline = excluded.headline, indicators_json = excluded.indicators_json, \
             indicator_count = excluded.indicator_count, child_words = excluded.child_words, \
             narrative = excluded.narrative, observation_json = excluded.observation_json",
        )
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

const USER_COLUMNS: &str =
    "u.id, u.username, u.display_name, u.agency, u.role, u.team_id, u.password_hash";

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_team(&self, id: &str, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO teams (id, name) VALUES (?, ?)")
            .bind(id)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, agency, role, team_id, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.username = ?"
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
             VALUES (?, ?, ?, ?, ?, ?)",
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
             WHERE s.token_hash = ? AND s.expires_at_ms > ?"
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
             VALUES (?, ?, ?, ?, ?, ?)",
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
        let row = sqlx::query(
            "SELECT family_id, user_id, device_id, expires_at_ms, used_at_ms, revoked FROM refresh_tokens WHERE token_hash = ?",
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
            sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?")
                .bind(&family_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE family_id = ?")
                .bind(&family_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(RefreshUse::Reused { family_id, user_id });
        }
        if revoked || expires <= now_ms {
            return Ok(RefreshUse::Invalid);
        }
        sqlx::query("UPDATE refresh_tokens SET used_at_ms = ? WHERE token_hash = ?")
            .bind(now_ms)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        let user_row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?"
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
        sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?")
            .bind(family)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE family_id = ?")
            .bind(family)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_child(&self, child: &CaseloadEntry, team_id: &str) -> Result<()> {
        sqlx::query("INSERT INTO children (id, display_name, date_of_birth, legal_status, team_id) VALUES (?, ?, ?, ?, ?)")
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
        sqlx::query("INSERT OR IGNORE INTO allocations (child_id, user_id) VALUES (?, ?)")
            .bind(child.as_str())
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn deallocate(&self, child: &ChildId, user: &UserId) -> Result<()> {
        sqlx::query("DELETE FROM allocations WHERE child_id = ? AND user_id = ?")
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
                     JOIN allocations a ON a.child_id = c.id WHERE a.user_id = ? ORDER BY c.display_name, c.id",
                )
                .bind(user.id.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            Role::Manager => {
                sqlx::query(
                    "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status FROM children c \
                     WHERE c.team_id = ? ORDER BY c.display_name, c.id",
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
            "SELECT id, display_name, date_of_birth, legal_status FROM children WHERE id = ?",
        )
        .bind(child.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(child_from_row).transpose()
    }

    async fn load_doc(&self, child: &ChildId) -> Result<StoredDoc> {
        let mut tx = self.pool.begin().await?;
        let stored = read_doc(&mut tx, child, false).await?;
        tx.commit().await?;
        Ok(stored.doc)
    }

    async fn commit_merges(
        &self,
        merges: &[(ChildId, i64, MergeWrite)],
        now_ms: i64,
    ) -> Result<Vec<bool>> {
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

    async fn doc_states(
        &self,
        children: &[ChildId],
    ) -> Result<std::collections::HashMap<ChildId, DocState>> {
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
            for (id, version, heads, quarantined) in query.fetch_all(&self.pool).await? {
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
        // The write lock first: a repair committing meanwhile is seen, or waits for this.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "INSERT INTO quarantined_records (child_id, reason, detected_at_ms) \
             SELECT ?, ?, ? WHERE COALESCE((SELECT version FROM doc_state WHERE child_id = ?), 0) = ? \
             ON CONFLICT (child_id) DO NOTHING",
        )
        .bind(child.as_str())
        .bind(reason)
        .bind(now_ms)
        .bind(child.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn is_quarantined(&self, child: &ChildId) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM quarantined_records WHERE child_id = ?")
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
        let done = sqlx::query("DELETE FROM quarantined_records WHERE child_id = ?")
            .bind(child.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn load_record(&self, child: &ChildId) -> Result<StoredRecord> {
        let mut tx = self.pool.begin().await?;
        let stored = read_doc(&mut tx, child, true).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn commit_repair(
        &self,
        child: &ChildId,
        base_version: i64,
        repair: &RecordRepair,
        now_ms: i64,
    ) -> Result<bool> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if !advance_version(&mut tx, child, base_version, &repair.write.heads).await? {
            return Ok(false);
        }
        for part in &repair.moved {
            sqlx::query(
                "INSERT INTO quarantined_changes (child_id, kind, hash, bytes, reason, quarantined_at_ms) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(child.as_str())
            .bind(part.kind.code())
            .bind(&part.hash)
            .bind(&part.bytes)
            .bind(&part.reason)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            let delete = match part.kind {
                PartKind::Change => {
                    sqlx::query("DELETE FROM doc_changes WHERE child_id = ? AND hash = ?")
                        .bind(child.as_str())
                        .bind(&part.hash)
                }
                PartKind::Snapshot => {
                    sqlx::query("DELETE FROM doc_snapshots WHERE child_id = ?").bind(child.as_str())
                }
            };
            delete.execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM quarantined_records WHERE child_id = ?")
            .bind(child.as_str())
            .execute(&mut *tx)
            .await?;
        write_merge(&mut tx, child, &repair.write, now_ms).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn quarantined_parts(&self, child: &ChildId) -> Result<Vec<QuarantinedPart>> {
        let rows: Vec<(String, String, Vec<u8>, String)> = sqlx::query_as(
            "SELECT kind, hash, bytes, reason FROM quarantined_changes WHERE child_id = ? ORDER BY seq",
        )
        .bind(child.as_str())
        .fetch_all(&self.pool)
        .await?;
        super::quarantined_parts(rows)
    }

    async fn bind_device(&self, device: &str, user: &UserId, now_ms: i64) -> Result<bool> {
        sqlx::query(
            "INSERT INTO devices (device_id, user_id, first_seen_ms) VALUES (?, ?, ?) \
             ON CONFLICT (device_id) DO NOTHING",
        )
        .bind(device)
        .bind(user.as_str())
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let owner: String = sqlx::query_scalar("SELECT user_id FROM devices WHERE device_id = ?")
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
        // The write lock before reading the previous hash: another connection (or process)
        // appending meanwhile would otherwise make this upgrade fail and the event be lost.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
        let rows = sqlx::query(&format!("{AUDIT_SELECT} WHERE child_id = ? ORDER BY seq"))
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
        let rows = sqlx::query(
            "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status, \
               (SELECT COUNT(*) FROM observations o WHERE o.child_id = c.id) AS observation_count, \
               (SELECT COALESCE(SUM(indicator_count), 0) FROM observations o WHERE o.child_id = c.id) AS indicator_count, \
               (SELECT COUNT(DISTINCT author_id) FROM observations o WHERE o.child_id = c.id) AS authors, \
               (SELECT MAX(occurred) FROM observations o WHERE o.child_id = c.id) AS last_occurred, \
               (SELECT GROUP_CONCAT(u.display_name, ', ') FROM allocations a JOIN users u ON u.id = a.user_id WHERE a.child_id = c.id) AS allocated, \
               p.record_json, COALESCE(p.unreadable_observations, 0) AS unreadable_observations \
             FROM children c LEFT JOIN record_projection p ON p.child_id = c.id \
             WHERE c.team_id = ? ORDER BY c.display_name, c.id",
        )
        .bind(&manager.team_id)
        .fetch_all(&self.pool)
        .await?;
        let observation_rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT o.child_id, o.observation_json FROM observations o JOIN children c ON c.id = o.child_id \
             WHERE c.team_id = ? ORDER BY o.child_id, o.occurred, o.recorded_at_ms, o.observation_id",
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
        let mut tx = self.pool.begin().await?;
        let projection: Option<(String, i64)> = sqlx::query_as(
            "SELECT record_json, unreadable_observations FROM record_projection WHERE child_id = ?",
        )
        .bind(child.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let observations: Vec<String> = sqlx::query_scalar(
            "SELECT observation_json FROM observations WHERE child_id = ? \
             ORDER BY occurred, recorded_at_ms, observation_id",
        )
        .bind(child.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let (json, unreadable) = projection.unzip();
        super::assemble(json.as_deref(), unreadable.unwrap_or(0), &observations)
    }

    async fn chronology(&self, child: &ChildId, page: Page) -> Result<ChronologyPage> {
        // One read transaction: the page and the count agree.
        let mut tx = self.pool.begin().await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM observations WHERE child_id = ?")
            .bind(child.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let offset = page.start(total);
        let rows = sqlx::query(
            "SELECT observation_id, occurred, occurred_approx, recorded_at_ms, author_name, agency, source, headline, \
             indicators_json, child_words, narrative FROM observations WHERE child_id = ? \
             ORDER BY occurred, recorded_at_ms, observation_id LIMIT ? OFFSET ?",
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
