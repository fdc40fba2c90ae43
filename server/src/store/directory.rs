//! The partnership's directory: accounts as administrators manage them, teams, the agency
//! directory, children's identifying details and the core group (allocation periods), and
//! imports. One role trait, [`Directory`], and its SQL, the same on both engines, stamped into
//! each by [`directory_store!`].
//!
//! tidy: long file — one macro body holding every method of the role, as `sql.rs` does for
//! the others; splitting it would only scatter one role's SQL over several macros.

use async_trait::async_trait;
use shared::api::partnership::{
    AccountEdit, AccountInfo, Agency, Allocation, ChildDetails, Person, Team,
};
use shared::{ChildId, UserId};

use super::{Result, User};

/// Everything an import stores, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ImportRows {
    pub children: Vec<ChildDetails>,
    pub allocations: Vec<Allocation>,
}

/// Accounts, teams, agencies, children's details and core groups.
#[async_trait]
pub trait Directory: Send + Sync {
    async fn user_by_id(&self, id: &UserId) -> Result<Option<User>>;
    /// Every account with its devices and open allocations, by username.
    async fn accounts(&self) -> Result<Vec<AccountInfo>>;
    /// Whether there was such a user.
    async fn update_user(&self, id: &UserId, edit: &AccountEdit) -> Result<bool>;
    /// Sets the password hash and whether it must be changed, and revokes every session and
    /// refresh token of the user except those of the sign-in `keep_family`.
    async fn set_password(
        &self,
        id: &UserId,
        hash: &str,
        must_change: bool,
        keep_family: Option<&str>,
    ) -> Result<bool>;
    /// Disables the account from `at_ms`, or (`None`) enables it again and revokes every token
    /// it had, so a returning user signs in afresh.
    async fn set_disabled(&self, id: &UserId, at_ms: Option<i64>) -> Result<bool>;
    /// Frees a device id for anyone to sign in with; whether it was bound.
    async fn release_device(&self, device: &str) -> Result<bool>;
    /// Enabled practitioners and managers of every agency, by name: who can join a core group.
    async fn people(&self) -> Result<Vec<Person>>;

    async fn teams(&self) -> Result<Vec<Team>>;
    async fn rename_team(&self, id: &str, name: &str) -> Result<bool>;

    async fn agencies(&self) -> Result<Vec<Agency>>;
    /// Inserts or replaces the agency with `agency.id`.
    async fn put_agency(&self, agency: &Agency) -> Result<()>;

    async fn child_details(&self, child: &ChildId) -> Result<Option<ChildDetails>>;
    async fn add_child(&self, child: &ChildDetails) -> Result<()>;
    /// Replaces the child's fields and team; whether there was such a child.
    async fn update_child(&self, child: &ChildDetails) -> Result<bool>;
    /// Children who might match: the same NHS number, a date of birth among `dobs`, or a name
    /// (or other name) containing `word`. At most 500; `matching` judges them.
    async fn child_candidates(
        &self,
        nhs: Option<&str>,
        dobs: &[String],
        word: Option<&str>,
    ) -> Result<Vec<ChildDetails>>;

    /// Every allocation period of a child, open ones first, then by start.
    async fn core_group(&self, child: &ChildId) -> Result<Vec<Allocation>>;
    /// Stores an allocation; `false` if the user already has an open one for the child.
    async fn add_allocation(&self, allocation: &Allocation, now_ms: i64) -> Result<bool>;
    /// Ends an open allocation of `child`; whether there was one.
    async fn end_allocation(&self, child: &ChildId, id: &str, ended_on: &str) -> Result<bool>;

    /// Marks `duplicate` as merged into `survivor` (unless it is merged already; whether this
    /// call marked it), and moves its open allocations: each becomes an open one of `survivor`
    /// (unless the user has one there) and is ended on `today`, in one transaction.
    async fn mark_merged(
        &self,
        duplicate: &ChildId,
        survivor: &ChildId,
        today: &str,
        now_ms: i64,
    ) -> Result<bool>;
    /// Which of `children` are merged, and into whom.
    async fn merged_into(
        &self,
        children: &[ChildId],
    ) -> Result<std::collections::HashMap<ChildId, ChildId>>;

    /// Stores every row or, on any failure, none.
    async fn import(&self, rows: &ImportRows, now_ms: i64) -> Result<()>;
}

/// Other names as stored: one per line.
pub(crate) fn join_names(names: &[String]) -> String {
    names.join("\n")
}

pub(crate) fn split_names(names: &str) -> Vec<String> {
    names
        .lines()
        .filter(|n| !n.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The columns [`details_from_row`] reads.
pub const DETAILS_COLUMNS: &str = "c.id, c.team_id, c.display_name, c.other_names, c.date_of_birth, \
     c.unborn, c.nhs_number, c.nhs_unknown_reason, c.address, c.school, c.legal_status, c.merged_into";

pub fn details_from_row<R: sqlx::Row>(row: &R) -> Result<ChildDetails>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use super::StoreError;
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    let id: String = row.try_get("id")?;
    let nhs: Option<String> = row.try_get("nhs_number")?;
    let merged: Option<String> = row.try_get("merged_into")?;
    Ok(ChildDetails {
        child_id: id.parse().map_err(|_| corrupt("child id"))?,
        team_id: row.try_get("team_id")?,
        fields: shared::api::partnership::ChildFields {
            display_name: row.try_get("display_name")?,
            other_names: split_names(&row.try_get::<String, _>("other_names")?),
            date_of_birth: row.try_get("date_of_birth")?,
            unborn: row.try_get("unborn")?,
            nhs_number: nhs
                .map(|n| n.parse().map_err(|_| corrupt("NHS number")))
                .transpose()?,
            nhs_unknown_reason: row.try_get("nhs_unknown_reason")?,
            address: row.try_get("address")?,
            school: row.try_get("school")?,
            legal_status: row.try_get("legal_status")?,
        },
        merged_into: merged
            .map(|m| m.parse().map_err(|_| corrupt("child id")))
            .transpose()?,
    })
}

/// The columns [`allocation_from_row`] reads, of `allocations a JOIN users u`.
pub const ALLOCATION_COLUMNS: &str =
    "a.id, a.child_id, a.user_id, u.display_name, u.agency, a.role, a.started_on, a.ended_on";

pub fn allocation_from_row<R: sqlx::Row>(row: &R) -> Result<Allocation>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use super::StoreError;
    use shared::choice::Choice;
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    let child: String = row.try_get("child_id")?;
    let user: String = row.try_get("user_id")?;
    let role: String = row.try_get("role")?;
    Ok(Allocation {
        id: row.try_get("id")?,
        child_id: child.parse().map_err(|_| corrupt("child id"))?,
        user_id: user.parse().map_err(|_| corrupt("user id"))?,
        display_name: row.try_get("display_name")?,
        agency: row.try_get("agency")?,
        role: shared::api::partnership::CoreRole::from_code(&role)
            .ok_or_else(|| corrupt("allocation role"))?,
        started_on: row.try_get("started_on")?,
        ended_on: row.try_get("ended_on")?,
    })
}

/// Stamps [`Directory`] into `$store`'s impls.
macro_rules! directory_store {
    ($store:ty) => {
        const _: () = {
            use shared::api::partnership::{
                AccountEdit, AccountInfo, Agency, Allocation, ChildDetails, DeviceInfo, Person, Team,
            };
            use shared::choice::Choice;
            use shared::{ChildId, UserId};
            use sqlx::Row;
            use $crate::store::directory::{
                allocation_from_row, details_from_row, join_names, ALLOCATION_COLUMNS,
                DETAILS_COLUMNS,
            };
            use $crate::store::sql::{user_from_row, USER_COLUMNS};
            use $crate::store::{Directory, ImportRows, Result, User};

            /// Inserts a child inside a transaction or on the pool.
            macro_rules! insert_child {
                ($exec:expr, $c:expr) => {
                    sqlx::query(
                        "INSERT INTO children (id, team_id, display_name, other_names, date_of_birth, unborn, \
                         nhs_number, nhs_unknown_reason, address, school, legal_status) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind($c.child_id.as_str())
                    .bind(&$c.team_id)
                    .bind(&$c.fields.display_name)
                    .bind(join_names(&$c.fields.other_names))
                    .bind(&$c.fields.date_of_birth)
                    .bind($c.fields.unborn)
                    .bind($c.fields.nhs_number.as_ref().map(|n| n.as_str().to_owned()))
                    .bind(&$c.fields.nhs_unknown_reason)
                    .bind(&$c.fields.address)
                    .bind(&$c.fields.school)
                    .bind(&$c.fields.legal_status)
                    .execute($exec)
                    .await
                };
            }

            /// Revokes every refresh token and access session of user `$id` but those of the
            /// sign-in `$keep` (`""` keeps none: no family id is empty).
            macro_rules! revoke_tokens {
                ($tx:expr, $id:expr, $keep:expr) => {
                    sqlx::query(
                        "UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1 AND family_id <> $2",
                    )
                    .bind($id.as_str())
                    .bind($keep)
                    .execute(&mut **$tx)
                    .await?;
                    sqlx::query(
                        "DELETE FROM sessions WHERE user_id = $1 AND (family_id IS NULL OR family_id <> $2)",
                    )
                    .bind($id.as_str())
                    .bind($keep)
                    .execute(&mut **$tx)
                    .await?;
                };
            }

            macro_rules! insert_allocation {
                ($exec:expr, $a:expr, $now:expr) => {
                    sqlx::query(
                        "INSERT INTO allocations (id, child_id, user_id, role, started_on, ended_on, created_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    )
                    .bind(&$a.id)
                    .bind($a.child_id.as_str())
                    .bind($a.user_id.as_str())
                    .bind($a.role.code())
                    .bind(&$a.started_on)
                    .bind(&$a.ended_on)
                    .bind($now)
                    .execute($exec)
                    .await
                };
            }

            #[async_trait::async_trait]
            impl Directory for $store {
                async fn user_by_id(&self, id: &UserId) -> Result<Option<User>> {
                    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(user_from_row).transpose()
                }

                async fn accounts(&self) -> Result<Vec<AccountInfo>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {USER_COLUMNS}, (SELECT COUNT(*) FROM allocations a \
                         WHERE a.user_id = u.id AND a.ended_on IS NULL) AS open_allocations \
                         FROM users u ORDER BY u.username"
                    ))
                    .fetch_all(&self.pool)
                    .await?;
                    let devices: Vec<(String, String, i64)> = sqlx::query_as(
                        "SELECT user_id, device_id, first_seen_ms FROM devices ORDER BY first_seen_ms, device_id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| {
                            let user = user_from_row(row)?;
                            let open: i64 = row.try_get("open_allocations")?;
                            Ok(AccountInfo {
                                devices: devices
                                    .iter()
                                    .filter(|(u, _, _)| u == user.id.as_str())
                                    .map(|(_, device_id, first_seen_ms)| DeviceInfo {
                                        device_id: device_id.clone(),
                                        first_seen_ms: *first_seen_ms,
                                    })
                                    .collect(),
                                open_allocations: u32::try_from(open).unwrap_or(u32::MAX),
                                id: user.id,
                                username: user.username,
                                display_name: user.display_name,
                                agency: user.agency,
                                role: user.role,
                                team_id: user.team_id,
                                disabled_at_ms: user.disabled_at_ms,
                                must_change_password: user.must_change_password,
                                front_door: user.front_door,
                            })
                        })
                        .collect()
                }

                async fn update_user(&self, id: &UserId, edit: &AccountEdit) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE users SET display_name = $2, agency = $3, role = $4, team_id = $5, front_door = $6 WHERE id = $1",
                    )
                    .bind(id.as_str())
                    .bind(&edit.display_name)
                    .bind(&edit.agency)
                    .bind(edit.role.code())
                    .bind(&edit.team_id)
                    .bind(edit.front_door)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn set_password(
                    &self,
                    id: &UserId,
                    hash: &str,
                    must_change: bool,
                    keep_family: Option<&str>,
                ) -> Result<bool> {
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query(
                        "UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1",
                    )
                    .bind(id.as_str())
                    .bind(hash)
                    .bind(must_change)
                    .execute(&mut *tx)
                    .await?;
                    revoke_tokens!(&mut tx, id, keep_family.unwrap_or(""));
                    tx.commit().await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn set_disabled(&self, id: &UserId, at_ms: Option<i64>) -> Result<bool> {
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query("UPDATE users SET disabled_at_ms = $2 WHERE id = $1")
                        .bind(id.as_str())
                        .bind(at_ms)
                        .execute(&mut *tx)
                        .await?;
                    if at_ms.is_none() {
                        revoke_tokens!(&mut tx, id, "");
                    }
                    tx.commit().await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn release_device(&self, device: &str) -> Result<bool> {
                    let done = sqlx::query("DELETE FROM devices WHERE device_id = $1")
                        .bind(device)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn people(&self) -> Result<Vec<Person>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {USER_COLUMNS} FROM users u WHERE u.disabled_at_ms IS NULL \
                         AND u.role IN ('practitioner', 'manager') ORDER BY u.display_name, u.id"
                    ))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| {
                            let u = user_from_row(row)?;
                            Ok(Person {
                                id: u.id,
                                display_name: u.display_name,
                                agency: u.agency,
                                role: u.role,
                            })
                        })
                        .collect()
                }

                async fn teams(&self) -> Result<Vec<Team>> {
                    let rows: Vec<(String, String)> =
                        sqlx::query_as("SELECT id, name FROM teams ORDER BY name, id")
                            .fetch_all(&self.pool)
                            .await?;
                    Ok(rows.into_iter().map(|(id, name)| Team { id, name }).collect())
                }

                async fn rename_team(&self, id: &str, name: &str) -> Result<bool> {
                    let done = sqlx::query("UPDATE teams SET name = $2 WHERE id = $1")
                        .bind(id)
                        .bind(name)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn agencies(&self) -> Result<Vec<Agency>> {
                    let rows: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
                        "SELECT id, name, kind, remit, contact, can_do, cannot_do FROM agencies ORDER BY name, id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(id, name, kind, remit, contact, can_do, cannot_do)| Agency {
                            id,
                            name,
                            kind,
                            remit,
                            contact,
                            can_do,
                            cannot_do,
                        })
                        .collect())
                }

                async fn put_agency(&self, a: &Agency) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO agencies (id, name, kind, remit, contact, can_do, cannot_do) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
                         name = excluded.name, kind = excluded.kind, remit = excluded.remit, \
                         contact = excluded.contact, can_do = excluded.can_do, cannot_do = excluded.cannot_do",
                    )
                    .bind(&a.id)
                    .bind(&a.name)
                    .bind(&a.kind)
                    .bind(&a.remit)
                    .bind(&a.contact)
                    .bind(&a.can_do)
                    .bind(&a.cannot_do)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn child_details(&self, child: &ChildId) -> Result<Option<ChildDetails>> {
                    let row = sqlx::query(&format!("SELECT {DETAILS_COLUMNS} FROM children c WHERE c.id = $1"))
                        .bind(child.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(details_from_row).transpose()
                }

                async fn add_child(&self, c: &ChildDetails) -> Result<()> {
                    insert_child!(&self.pool, c)?;
                    Ok(())
                }

                async fn update_child(&self, c: &ChildDetails) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE children SET team_id = $2, display_name = $3, other_names = $4, date_of_birth = $5, \
                         unborn = $6, nhs_number = $7, nhs_unknown_reason = $8, address = $9, school = $10, \
                         legal_status = $11 WHERE id = $1",
                    )
                    .bind(c.child_id.as_str())
                    .bind(&c.team_id)
                    .bind(&c.fields.display_name)
                    .bind(join_names(&c.fields.other_names))
                    .bind(&c.fields.date_of_birth)
                    .bind(c.fields.unborn)
                    .bind(c.fields.nhs_number.as_ref().map(|n| n.as_str().to_owned()))
                    .bind(&c.fields.nhs_unknown_reason)
                    .bind(&c.fields.address)
                    .bind(&c.fields.school)
                    .bind(&c.fields.legal_status)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn child_candidates(
                    &self,
                    nhs: Option<&str>,
                    dobs: &[String],
                    word: Option<&str>,
                ) -> Result<Vec<ChildDetails>> {
                    // Three optional filters as bound values: an absent one matches nothing.
                    let pattern = word.map(|w| format!("%{}%", w.replace(['%', '_', '\\'], "")));
                    let dob = |i: usize| dobs.get(i).cloned();
                    let rows = sqlx::query(&format!(
                        "SELECT {DETAILS_COLUMNS} FROM children c WHERE c.nhs_number = $1 \
                         OR c.date_of_birth IN ($2, $3) \
                         OR lower(c.display_name) LIKE $4 OR lower(c.other_names) LIKE $4 \
                         ORDER BY c.display_name, c.id LIMIT 500"
                    ))
                    .bind(nhs)
                    .bind(dob(0))
                    .bind(dob(1))
                    .bind(pattern)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(details_from_row).collect()
                }

                async fn core_group(&self, child: &ChildId) -> Result<Vec<Allocation>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {ALLOCATION_COLUMNS} FROM allocations a JOIN users u ON u.id = a.user_id \
                         WHERE a.child_id = $1 ORDER BY (a.ended_on IS NULL) DESC, a.started_on, a.id"
                    ))
                    .bind(child.as_str())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(allocation_from_row).collect()
                }

                async fn add_allocation(&self, a: &Allocation, now_ms: i64) -> Result<bool> {
                    let done = insert_allocation!(&self.pool, a, now_ms)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn end_allocation(&self, child: &ChildId, id: &str, ended_on: &str) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE allocations SET ended_on = $3 WHERE id = $1 AND child_id = $2 AND ended_on IS NULL",
                    )
                    .bind(id)
                    .bind(child.as_str())
                    .bind(ended_on)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn mark_merged(
                    &self,
                    duplicate: &ChildId,
                    survivor: &ChildId,
                    today: &str,
                    now_ms: i64,
                ) -> Result<bool> {
                    let mut tx = self.pool.begin().await?;
                    let marked = sqlx::query(
                        "UPDATE children SET merged_into = $2 WHERE id = $1 AND merged_into IS NULL",
                    )
                    .bind(duplicate.as_str())
                    .bind(survivor.as_str())
                    .execute(&mut *tx)
                    .await?;
                    if marked.rows_affected() == 0 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO allocations (id, child_id, user_id, role, started_on, ended_on, created_at_ms) \
                         SELECT a.id || '-merged', $2, a.user_id, a.role, a.started_on, NULL, $4 FROM allocations a \
                         WHERE a.child_id = $1 AND a.ended_on IS NULL AND NOT EXISTS (SELECT 1 FROM allocations b \
                           WHERE b.child_id = $2 AND b.user_id = a.user_id AND b.ended_on IS NULL)",
                    )
                    .bind(duplicate.as_str())
                    .bind(survivor.as_str())
                    .bind(today)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE allocations SET ended_on = $2 WHERE child_id = $1 AND ended_on IS NULL")
                        .bind(duplicate.as_str())
                        .bind(today)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn merged_into(
                    &self,
                    children: &[ChildId],
                ) -> Result<std::collections::HashMap<ChildId, ChildId>> {
                    let mut out = std::collections::HashMap::new();
                    for chunk in children.chunks(500) {
                        let ids: Vec<String> = chunk.iter().map(|c| c.to_string()).collect();
                        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "SELECT id, merged_into FROM children WHERE merged_into IS NOT NULL AND id IN ({})",
                            placeholders.join(", ")
                        );
                        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
                        for id in &ids {
                            q = q.bind(id);
                        }
                        for (dup, into) in q.fetch_all(&self.pool).await? {
                            let corrupt = || $crate::store::StoreError::Corrupt("child id".into());
                            out.insert(dup.parse().map_err(|_| corrupt())?, into.parse().map_err(|_| corrupt())?);
                        }
                    }
                    Ok(out)
                }

                async fn import(&self, rows: &ImportRows, now_ms: i64) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    for c in &rows.children {
                        insert_child!(&mut *tx, c)?;
                    }
                    for a in &rows.allocations {
                        let done = insert_allocation!(&mut *tx, a, now_ms)?;
                        if done.rows_affected() == 0 {
                            return Err($crate::store::StoreError::Corrupt(
                                "an allocation in the import is already open".into(),
                            ));
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use directory_store;
