//! The SQL both engines run, written once: every method whose statements are the same on
//! SQLite and PostgreSQL, stamped into each engine's impls by [`sql_store!`], with the row
//! mappings they share. `$1…` placeholders (sqlx binds them by number on SQLite too),
//! `TRUE`/`FALSE` literals and `CAST(… AS BIGINT)` read the same on both. What differs is an
//! argument of the macro (a lock clause, an aggregate) or a method the engine writes itself
//! (`sqlite.rs`, `postgres.rs`: the merge batch writes, audit locking, notifications).
//!
//! tidy: long file — one macro body holding every shared method of the store; splitting it by
//! role would only scatter the engines' common SQL over several macros.

use shared::api::{CaseloadEntry, Role};
use sqlx::{FromRow, Row};

use super::{Result, StoreError, User};

/// The columns [`user_from_row`] reads, of `users u`.
pub const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.agency, u.role, u.team_id, \
     u.password_hash, u.disabled_at_ms, u.must_change_password, u.front_door";

/// What the audit reads select.
pub const AUDIT_SELECT: &str =
    "SELECT seq, at_ms, user_id, device_id, child_id, action, outcome, detail, prev_hash, hash FROM audit";

/// A user row (see [`USER_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub struct UserRow {
    id: String,
    username: String,
    display_name: String,
    agency: String,
    role: String,
    team_id: Option<String>,
    password_hash: String,
    disabled_at_ms: Option<i64>,
    must_change_password: bool,
    front_door: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<User> {
        Ok(User {
            id: row
                .id
                .parse()
                .map_err(|_| StoreError::Corrupt("user id".into()))?,
            username: row.username,
            display_name: row.display_name,
            agency: row.agency,
            role: Role::from_code(&row.role)
                .ok_or_else(|| StoreError::Corrupt("user role".into()))?,
            team_id: row.team_id,
            password_hash: row.password_hash,
            disabled_at_ms: row.disabled_at_ms,
            must_change_password: row.must_change_password,
            front_door: row.front_door,
        })
    }
}

/// A child row: `id, display_name, date_of_birth, legal_status`.
#[derive(sqlx::FromRow)]
pub struct ChildRow {
    id: String,
    display_name: String,
    date_of_birth: String,
    legal_status: String,
}

impl TryFrom<ChildRow> for CaseloadEntry {
    type Error = StoreError;
    fn try_from(row: ChildRow) -> Result<CaseloadEntry> {
        Ok(CaseloadEntry {
            child_id: row
                .id
                .parse()
                .map_err(|_| StoreError::Corrupt("child id".into()))?,
            display_name: row.display_name,
            date_of_birth: row.date_of_birth,
            legal_status: row.legal_status,
        })
    }
}

/// An audit row (see [`AUDIT_SELECT`]).
#[derive(sqlx::FromRow)]
pub struct AuditRow {
    seq: i64,
    at_ms: i64,
    user_id: Option<String>,
    device_id: Option<String>,
    child_id: Option<String>,
    action: String,
    outcome: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl From<AuditRow> for crate::audit::Entry {
    fn from(row: AuditRow) -> Self {
        crate::audit::Entry {
            seq: row.seq,
            at_ms: row.at_ms,
            event: crate::audit::Event {
                user_id: row.user_id,
                device_id: row.device_id,
                child_id: row.child_id,
                action: row.action,
                outcome: row.outcome,
                detail: row.detail,
            },
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// Reads a row of either engine as `T`, then converts it.
fn from_row<'r, R, T, U>(row: &'r R) -> Result<U>
where
    R: Row,
    T: sqlx::FromRow<'r, R>,
    U: TryFrom<T, Error = StoreError>,
{
    U::try_from(T::from_row(row)?)
}

pub fn user_from_row<R: Row>(row: &R) -> Result<User>
where
    for<'r> UserRow: sqlx::FromRow<'r, R>,
{
    from_row::<R, UserRow, User>(row)
}

pub fn child_from_row<R: Row>(row: &R) -> Result<CaseloadEntry>
where
    for<'r> ChildRow: sqlx::FromRow<'r, R>,
{
    from_row::<R, ChildRow, CaseloadEntry>(row)
}

pub fn audit_from_row<R: Row>(row: &R) -> Result<crate::audit::Entry>
where
    for<'r> AuditRow: sqlx::FromRow<'r, R>,
{
    Ok(AuditRow::from_row(row)?.into())
}

/// Stamps the shared methods into `$store`'s role impls. `for_update` and `for_share` are the
/// lock clauses a read-then-write of one row takes (`""` where the write transaction already
/// serialises: SQLite's `BEGIN IMMEDIATE`), and
/// `allocated_names` the aggregate of a child's allocated users' names in user-id order.
/// The engine writes `commit_batch`, `read_doc_states`, `read_stored`, `begin_write`,
/// `begin_audit`, `advance_one` and `write_one` itself, and its `Store` impl.
macro_rules! sql_store {
    ($store:ty, $for_update:literal, $for_share:literal, $allocated_names:literal) => {
        const _: () = {
            use sqlx::Row;
            use shared::api::{CaseloadEntry, TeamCaseloadRow};
            use shared::chronology::ChronologyEntry;
            use shared::{ChildId, UserId};
            use $crate::store::sql::{
                audit_from_row, child_from_row, user_from_row, AUDIT_SELECT, USER_COLUMNS,
            };
            use $crate::store::{
                Accounts, AuditTrail, Caseloads, ChronologyPage, DocStore,
                NewRefresh, Page, QuarantinedPart, QuarantinedRecord, ReadModel, RecordRepair,
                RefreshUse, Result, Session, StoredDoc, StoredRecord, TeamChild, User, DocStates, Merge,
            };

        #[async_trait::async_trait]
        impl Accounts for $store {

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
                "INSERT INTO users (id, username, display_name, agency, role, team_id, password_hash, \
                 disabled_at_ms, must_change_password, front_door) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(user.id.as_str())
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(&user.agency)
            .bind(user.role.code())
            .bind(&user.team_id)
            .bind(&user.password_hash)
            .bind(user.disabled_at_ms)
            .bind(user.must_change_password)
            .bind(user.front_door)
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
            // Locked where the engine can (`FOR UPDATE`): a second presentation of the token (from
            // this or another process) waits for the first to commit, then reads it as used.
            let row = sqlx::query(
                concat!(
                    "SELECT family_id, user_id, device_id, expires_at_ms, used_at_ms, revoked \
                     FROM refresh_tokens WHERE token_hash = $1",
                    $for_update
                ),
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
        }

        #[async_trait::async_trait]
        impl Caseloads for $store {

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
            let now = $crate::clock::now_ms();
            let today = shared::calendar::Date::london_from_unix_ms(now).to_string();
            sqlx::query(
                "INSERT INTO allocations (id, child_id, user_id, role, started_on, created_at_ms) \
                 VALUES ($1, $2, $3, 'other', $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(format!("alloc-{child}-{user}-{now}"))
            .bind(child.as_str())
            .bind(user.as_str())
            .bind(today)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn deallocate(&self, child: &ChildId, user: &UserId) -> Result<()> {
            let today = shared::calendar::Date::london_from_unix_ms($crate::clock::now_ms()).to_string();
            sqlx::query(
                "UPDATE allocations SET ended_on = $3 WHERE child_id = $1 AND user_id = $2 AND ended_on IS NULL",
            )
            .bind(child.as_str())
            .bind(user.as_str())
            .bind(today)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn caseload(&self, user: &User) -> Result<Vec<CaseloadEntry>> {
            let rows = match user.role {
                Role::Practitioner => {
                    sqlx::query(
                        "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status FROM children c \
                         JOIN allocations a ON a.child_id = c.id \
                         WHERE a.user_id = $1 AND a.ended_on IS NULL AND c.merged_into IS NULL ORDER BY c.display_name, c.id",
                    )
                    .bind(user.id.as_str())
                    .fetch_all(&self.pool)
                    .await?
                }
                Role::Manager => {
                    sqlx::query(
                        "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status FROM children c \
                         WHERE c.team_id = $1 AND c.merged_into IS NULL ORDER BY c.display_name, c.id",
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
        }

        #[async_trait::async_trait]
        impl ReadModel for $store {

        async fn team_caseload(&self, manager: &User) -> Result<Vec<TeamChild>> {
            let rows = sqlx::query(concat!(
                "SELECT c.id, c.display_name, c.date_of_birth, c.legal_status, \
                   (SELECT COUNT(*) FROM observations o WHERE o.child_id = c.id) AS observation_count, \
                   (SELECT CAST(COALESCE(SUM(indicator_count), 0) AS BIGINT) FROM observations o WHERE o.child_id = c.id) AS indicator_count, \
                   (SELECT COUNT(DISTINCT author_id) FROM observations o WHERE o.child_id = c.id) AS authors, \
                   (SELECT MAX(occurred) FROM observations o WHERE o.child_id = c.id) AS last_occurred, \
                   (SELECT ",
                $allocated_names,
                " FROM allocations a JOIN users u ON u.id = a.user_id WHERE a.child_id = c.id AND a.ended_on IS NULL) AS allocated, \
                   p.record_json, CAST(COALESCE(p.unreadable_observations, 0) AS BIGINT) AS unreadable_observations \
                 FROM children c LEFT JOIN record_projection p ON p.child_id = c.id \
                 WHERE c.team_id = $1 AND c.merged_into IS NULL ORDER BY c.display_name, c.id",
            ))
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
            let mut observations = $crate::store::group_by_child(observation_rows);
            rows.iter()
                .map(|row| {
                    let allocated: Option<String> = row.try_get("allocated")?;
                    let id: String = row.try_get("id")?;
                    let record_json: Option<String> = row.try_get("record_json")?;
                    let record = $crate::store::assemble_or_unreadable(
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
                        new_since: Default::default(),
                    };
                    Ok(TeamChild { row, record })
                })
                .collect()
        }

        async fn record(&self, child: &ChildId) -> Result<shared::record::Record> {
            // One statement, so one snapshot: the projection row and its observation rows agree.
            let rows: Vec<(i32, String, i64)> = sqlx::query_as(
                "SELECT 0 AS part, record_json AS json, CAST(unreadable_observations AS BIGINT) AS n, \
                   '' AS occurred, CAST(0 AS BIGINT) AS recorded_at_ms, '' AS observation_id \
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
            $crate::store::assemble(json.as_deref(), unreadable, &observations)
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

        async fn record_view(&self, user: &UserId, child: &ChildId) -> Result<Option<String>> {
            Ok(sqlx::query_scalar(
                "SELECT seen_json FROM record_views WHERE user_id = $1 AND child_id = $2",
            )
            .bind(user.as_str())
            .bind(child.as_str())
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn record_views(&self, user: &UserId) -> Result<Vec<(ChildId, String)>> {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT child_id, seen_json FROM record_views WHERE user_id = $1",
            )
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(id, seen)| {
                    let id = id
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("record view child id {id}")))?;
                    Ok((id, seen))
                })
                .collect()
        }

        async fn put_record_view(
            &self,
            user: &UserId,
            child: &ChildId,
            seen_json: &str,
            at_ms: i64,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO record_views (user_id, child_id, seen_json, at_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, child_id) DO UPDATE SET seen_json = excluded.seen_json, at_ms = excluded.at_ms",
            )
            .bind(user.as_str())
            .bind(child.as_str())
            .bind(seen_json)
            .bind(at_ms)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
        }

        #[async_trait::async_trait]
        impl DocStore for $store {

        async fn load_doc(&self, child: &ChildId) -> Result<StoredDoc> {
            Ok(self.read_stored(child, false).await?.doc)
        }

        async fn unversioned_children(&self) -> Result<Vec<ChildId>> {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT c.id FROM children c WHERE NOT EXISTS (SELECT 1 FROM doc_state s WHERE s.child_id = c.id) \
                 AND (EXISTS (SELECT 1 FROM doc_changes d WHERE d.child_id = c.id) \
                   OR EXISTS (SELECT 1 FROM doc_snapshots n WHERE n.child_id = c.id)) ORDER BY c.id",
            )
            .fetch_all(&self.pool)
            .await?;
            $crate::store::child_ids(ids)
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
            $crate::store::quarantined_records(rows)
        }

        async fn release_record(&self, child: &ChildId) -> Result<bool> {
            let done = sqlx::query("DELETE FROM quarantined_records WHERE child_id = $1")
                .bind(child.as_str())
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn load_record(&self, child: &ChildId) -> Result<StoredRecord> {
            self.read_stored(child, true).await
        }

        async fn quarantined_parts(&self, child: &ChildId) -> Result<Vec<QuarantinedPart>> {
            let rows: Vec<(String, String, Vec<u8>, String)> = sqlx::query_as(
                "SELECT kind, hash, bytes, reason FROM quarantined_changes WHERE child_id = $1 ORDER BY seq",
            )
            .bind(child.as_str())
            .fetch_all(&self.pool)
            .await?;
            $crate::store::quarantined_parts(rows)
        }

            async fn quarantine_record(
                &self,
                child: &ChildId,
                version: i64,
                reason: &str,
                now_ms: i64,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                // A repair committing meanwhile is seen (the version moved, nothing is marked),
                // or waits until this is committed: the write lock, or a share lock on the
                // child's row where the engine has row locks.
                let stored: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT version FROM doc_state WHERE child_id = $1",
                    $for_share
                ))
                .bind(child.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                if stored.unwrap_or(0) != version {
                    return Ok(false);
                }
                let done = sqlx::query(
                    "INSERT INTO quarantined_records (child_id, reason, detected_at_ms) \
                     VALUES ($1, $2, $3) ON CONFLICT (child_id) DO NOTHING",
                )
                .bind(child.as_str())
                .bind(reason)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn commit_repair(
                &self,
                child: &ChildId,
                base_version: i64,
                repair: &RecordRepair,
                now_ms: i64,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                if !advance_one(&mut tx, child, base_version, &repair.write).await? {
                    return Ok(false);
                }
                for part in &repair.moved {
                    sqlx::query(
                        "INSERT INTO quarantined_changes (child_id, kind, hash, bytes, reason, quarantined_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
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
                        $crate::store::PartKind::Change => {
                            sqlx::query("DELETE FROM doc_changes WHERE child_id = $1 AND hash = $2")
                                .bind(child.as_str())
                                .bind(&part.hash)
                        }
                        $crate::store::PartKind::Snapshot => {
                            sqlx::query("DELETE FROM doc_snapshots WHERE child_id = $1").bind(child.as_str())
                        }
                    };
                    delete.execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM quarantined_records WHERE child_id = $1")
                    .bind(child.as_str())
                    .execute(&mut *tx)
                    .await?;
                write_one(&mut tx, child, base_version, &repair.write, now_ms).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn commit_merges(&self, merges: &[Merge], now_ms: i64) -> Result<Vec<bool>> {
                self.commit_batch(merges, now_ms).await
            }

            async fn doc_states(&self, children: &[ChildId]) -> Result<DocStates> {
                self.read_doc_states(children).await
            }
        }

        #[async_trait::async_trait]
        impl AuditTrail for $store {

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

            async fn append_audits(&self, events: &[crate::audit::Event], at_ms: i64) -> Result<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let _one_at_a_time = self.audit_lock.lock().await;
                let mut tx = self.begin_audit().await?;
                let prev: Option<String> =
                    sqlx::query_scalar("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                let prev = prev.unwrap_or_else(|| crate::audit::GENESIS_HASH.to_owned());
                // Written in as few statements as the engine's parameter limit allows (rows take
                // their sequence numbers in the order listed).
                let rows = crate::audit::chained(prev, at_ms, events);
                for chunk in rows.chunks($crate::store::AUDIT_ROWS_PER_INSERT) {
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

        }
        };
    };
}

/// The per-child writes both engines' merge paths make, as functions over the engine's
/// connection: a compaction's snapshot, and a whole record's re-projection.
macro_rules! shared_writes {
    ($conn:ty) => {
        /// Replaces the child's stored changes with `snapshot` (a compaction).
        async fn write_snapshot(
            conn: &mut $conn,
            child: &shared::ChildId,
            snapshot: &[u8],
            now_ms: i64,
        ) -> $crate::store::Result<()> {
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
            Ok(())
        }

        /// The parts of a merge's write made one child at a time: a compaction's snapshot and a
        /// whole-record re-projection. Returns the record's projection JSON when it is still to
        /// be written (with the observations the merge touched), as the engine batches it.
        async fn write_per_child(
            conn: &mut $conn,
            child: &shared::ChildId,
            write: &$crate::store::MergeWrite,
            now_ms: i64,
        ) -> $crate::store::Result<Option<String>> {
            if let Some(snapshot) = &write.compact_to {
                write_snapshot(conn, child, snapshot, now_ms).await?;
            }
            let json = $crate::store::record_json(&write.projection.record)?;
            match write.projection.replace_all {
                Some(unreadable) => {
                    replace_projection(conn, child, &json, unreadable).await?;
                    Ok(None)
                }
                None => Ok(Some(json)),
            }
        }

        /// The record's projection `json` with its count of unreadable observations, its
        /// observation rows cleared to be written again (a whole-record re-projection).
        async fn replace_projection(
            conn: &mut $conn,
            child: &shared::ChildId,
            json: &str,
            unreadable: usize,
        ) -> $crate::store::Result<()> {
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
            Ok(())
        }
    };
}

/// The statement that writes observation rows, new or changed, from `$rows` (a `VALUES` list
/// or a `SELECT`, fifteen columns in this order).
macro_rules! observation_upsert {
    ($rows:literal) => {
        concat!(
            "INSERT INTO observations (child_id, observation_id, occurred, occurred_approx, recorded_at_ms, author_id, \
             author_name, agency, source, headline, indicators_json, indicator_count, child_words, narrative, observation_json) ",
            $rows,
            " ON CONFLICT (child_id, observation_id) DO UPDATE SET occurred = excluded.occurred, \
             occurred_approx = excluded.occurred_approx, recorded_at_ms = excluded.recorded_at_ms, \
             author_id = excluded.author_id, author_name = excluded.author_name, agency = excluded.agency, \
             source = excluded.source, headline = excluded.headline, indicators_json = excluded.indicators_json, \
             indicator_count = excluded.indicator_count, child_words = excluded.child_words, \
             narrative = excluded.narrative, observation_json = excluded.observation_json"
        )
    };
}

pub(crate) use observation_upsert;
pub(crate) use shared_writes;
pub(crate) use sql_store;
