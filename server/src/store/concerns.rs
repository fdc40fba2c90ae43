//! The front door's concerns (`shared::api::front_door`): one row per concern from its
//! arrival, through its match to a child, to its decision. One role trait, [`Concerns`], and
//! its SQL, the same on both engines, stamped into each by [`concerns_store!`].

use async_trait::async_trait;
use shared::api::front_door::ConcernSubmission;
use shared::calendar::Date;
use shared::record::front_door::{ConcernFrom, Decision};
use shared::{ChildId, UserId};

use super::{Result, StoreError};

/// A concern as the front door holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConcern {
    pub id: String,
    /// The referrer on their tablet, or the front-door worker who took a call.
    pub recorded_by: UserId,
    pub from: ConcernFrom,
    pub referrer: String,
    pub agency: String,
    pub relationship: String,
    pub submission: ConcernSubmission,
    pub received_at_ms: i64,
    pub received_on: Date,
    pub due: Date,
    pub owner: String,
    pub owner_name: String,
    pub child_id: Option<ChildId>,
    pub matched_by: Option<String>,
    pub decision: Option<Decision>,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
}

/// The columns [`concern_from_row`] reads.
pub(crate) const CONCERN_COLUMNS: &str = "id, recorded_by, from_kind, referrer, agency, \
     relationship, submission_json, received_at_ms, received_on, due, owner, owner_name, \
     child_id, matched_by, decision, decided_on, decided_by";

/// Concerns from arrival to decision.
#[async_trait]
pub trait Concerns: Send + Sync {
    /// Stores a new concern; `false` when one with its id is already stored (a repeated sync:
    /// the caller reads it back to see whose it is).
    async fn insert_concern(&self, concern: &StoredConcern) -> Result<bool>;
    async fn concern(&self, id: &str) -> Result<Option<StoredConcern>>;
    /// The concerns `user` recorded, the latest first, at most `limit`.
    async fn concerns_recorded_by(&self, user: &UserId, limit: i64) -> Result<Vec<StoredConcern>>;
    /// Every undecided concern and those decided on or after `decided_since`, the earliest
    /// received first.
    async fn front_door_queue(&self, decided_since: Date) -> Result<Vec<StoredConcern>>;
    /// Records the child a concern is about, once; whether it was still unmatched.
    async fn set_concern_match(&self, id: &str, child: &ChildId, by: &UserId) -> Result<bool>;
    /// Records the decision, once; whether it was still undecided.
    async fn set_concern_decision(
        &self,
        id: &str,
        decision: Decision,
        on: Date,
        by: &UserId,
    ) -> Result<bool>;
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("concern {what}"))
}

/// A concern row (see [`CONCERN_COLUMNS`]).
pub(crate) fn concern_from_row<R>(row: &R) -> Result<StoredConcern>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    use shared::choice::Choice;
    let text = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
    let opt = |c: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<String>, _>(c)?) };
    let date = |s: String| s.parse::<Date>().map_err(|_| corrupt("date"));
    Ok(StoredConcern {
        id: text("id")?,
        recorded_by: text("recorded_by")?.parse().map_err(|_| corrupt("user"))?,
        from: ConcernFrom::from_code(&text("from_kind")?).ok_or_else(|| corrupt("from"))?,
        referrer: text("referrer")?,
        agency: text("agency")?,
        relationship: text("relationship")?,
        submission: serde_json::from_str(&text("submission_json")?)
            .map_err(|_| corrupt("submission"))?,
        received_at_ms: row.try_get("received_at_ms")?,
        received_on: date(text("received_on")?)?,
        due: date(text("due")?)?,
        owner: text("owner")?,
        owner_name: text("owner_name")?,
        child_id: opt("child_id")?
            .map(|c| c.parse().map_err(|_| corrupt("child")))
            .transpose()?,
        matched_by: opt("matched_by")?,
        decision: opt("decision")?
            .map(|d| Decision::from_code(&d).ok_or_else(|| corrupt("decision")))
            .transpose()?,
        decided_on: opt("decided_on")?.map(date).transpose()?,
        decided_by: opt("decided_by")?,
    })
}

/// Implements [`Concerns`] for an engine's store (`self.pool`).
macro_rules! concerns_store {
    ($store:ty) => {
        const _: () = {
            use shared::calendar::Date;
            use shared::choice::Choice;
            use shared::record::front_door::Decision;
            use shared::{ChildId, UserId};
            use $crate::store::concerns::{
                concern_from_row, Concerns, StoredConcern, CONCERN_COLUMNS,
            };
            use $crate::store::{Result, StoreError};

            #[async_trait::async_trait]
            impl Concerns for $store {
                async fn insert_concern(&self, c: &StoredConcern) -> Result<bool> {
                    let submission = serde_json::to_string(&c.submission)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let done = sqlx::query(
                        "INSERT INTO concerns (id, recorded_by, from_kind, referrer, agency, relationship, \
                         submission_json, received_at_ms, received_on, due, owner, owner_name) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                         ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(&c.id)
                    .bind(c.recorded_by.as_str())
                    .bind(c.from.code())
                    .bind(&c.referrer)
                    .bind(&c.agency)
                    .bind(&c.relationship)
                    .bind(submission)
                    .bind(c.received_at_ms)
                    .bind(c.received_on.to_string())
                    .bind(c.due.to_string())
                    .bind(&c.owner)
                    .bind(&c.owner_name)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn concern(&self, id: &str) -> Result<Option<StoredConcern>> {
                    let row = sqlx::query(&format!(
                        "SELECT {CONCERN_COLUMNS} FROM concerns WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(concern_from_row).transpose()
                }

                async fn concerns_recorded_by(
                    &self,
                    user: &UserId,
                    limit: i64,
                ) -> Result<Vec<StoredConcern>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {CONCERN_COLUMNS} FROM concerns WHERE recorded_by = $1 \
                         ORDER BY received_at_ms DESC, id LIMIT $2"
                    ))
                    .bind(user.as_str())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(concern_from_row).collect()
                }

                async fn front_door_queue(&self, decided_since: Date) -> Result<Vec<StoredConcern>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {CONCERN_COLUMNS} FROM concerns \
                         WHERE decided_on IS NULL OR decided_on >= $1 \
                         ORDER BY received_at_ms, id"
                    ))
                    .bind(decided_since.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(concern_from_row).collect()
                }

                async fn set_concern_match(
                    &self,
                    id: &str,
                    child: &ChildId,
                    by: &UserId,
                ) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE concerns SET child_id = $2, matched_by = $3 \
                         WHERE id = $1 AND child_id IS NULL",
                    )
                    .bind(id)
                    .bind(child.as_str())
                    .bind(by.as_str())
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn set_concern_decision(
                    &self,
                    id: &str,
                    decision: Decision,
                    on: Date,
                    by: &UserId,
                ) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE concerns SET decision = $2, decided_on = $3, decided_by = $4 \
                         WHERE id = $1 AND decision IS NULL AND child_id IS NOT NULL",
                    )
                    .bind(id)
                    .bind(decision.code())
                    .bind(on.to_string())
                    .bind(by.as_str())
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() > 0)
                }
            }
        };
    };
}
pub(crate) use concerns_store;
