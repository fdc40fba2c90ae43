//! One child's record for reading: chronology (JSON and CSV) and the full overview.
//!
//! Practitioners may read children allocated to them, managers their team's children; a child
//! outside that looks exactly like one that does not exist.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::analytics::{self, export};
use shared::api::{CaseloadEntry, ChangesResponse, ChronologyResponse, RecordResponse};
use shared::calendar::Date;
use shared::ChildId;

use crate::audit;
use crate::audit_log::AuditLog;
use crate::auth::AuthUser;
use crate::chronologies::Chronologies;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::live;
use crate::merge::Documents;
use crate::state::{AppState, Config};
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/children/{child_id}/chronology", get(chronology))
        .route(
            "/api/children/{child_id}/chronology.csv",
            get(chronology_csv),
        )
        .route(
            "/api/children/{child_id}/chronology-anonymised.csv",
            get(chronology_anonymised_csv),
        )
        .route("/api/children/{child_id}/record", get(record))
        .route("/api/children/{child_id}/audit", get(audit_trail))
        .route("/api/children/{child_id}/changes", get(changes))
}

#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    /// The version the page shows.
    since: i64,
    /// How long to wait for a change, in seconds (at most `live::MAX_WAIT`; default that).
    wait: Option<u64>,
}

/// Long poll: answers as soon as the child's record is at a version other than `since`, or
/// after the wait with the same version. Says nothing about the record but a number, so it
/// is not audited; reading the record it prompts is.
async fn changes(
    State(store): State<Arc<dyn Store>>,
    State(documents): State<Arc<Documents>>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
    axum::extract::Query(q): axum::extract::Query<ChangesQuery>,
) -> Result<Json<ChangesResponse>, ApiError> {
    let child = readable(store.as_ref(), &auth, &child_id, &uri).await?;
    let wait = q
        .wait
        .map_or(live::MAX_WAIT, std::time::Duration::from_secs)
        .min(live::MAX_WAIT);
    let version = documents
        .wait_for_change(&child.child_id, q.since, wait)
        .await?;
    Ok(Json(ChangesResponse { version }))
}

/// `?offset=&limit=`: a page of a long chronology (both optional; without `limit`, everything
/// from `offset`). A negative offset counts from the end, so `offset=-100&limit=100` is the
/// most recent hundred.
#[derive(Debug, Default, Deserialize)]
pub struct ChronologyQuery {
    offset: Option<i64>,
    limit: Option<i64>,
}

/// The most entries one page may ask for.
pub const MAX_CHRONOLOGY_PAGE: i64 = 1_000;

/// The child, if this user may read them.
pub(super) async fn readable(
    store: &dyn Store,
    auth: &AuthUser,
    child_id: &str,
    uri: &Uri,
) -> Result<CaseloadEntry, ApiError> {
    let child_id: ChildId = child_id.parse().map_err(|_| ApiError::NotFound)?;
    let caseload = store.caseload(&auth.user).await?;
    if let Some(c) = caseload.iter().find(|c| c.child_id == child_id) {
        return Ok(c.clone());
    }
    // A record merged into another ("same child") redirects there, for whoever may read it.
    let merged = store.merged_into(std::slice::from_ref(&child_id)).await?;
    match merged.get(&child_id) {
        Some(survivor) if caseload.iter().any(|c| &c.child_id == survivor) => {
            let path = uri.path().replacen(
                &format!("/children/{child_id}/"),
                &format!("/children/{survivor}/"),
                1,
            );
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            Err(ApiError::Moved(format!("{path}{query}")))
        }
        _ => Err(ApiError::NotFound),
    }
}

async fn chronology(
    State(store): State<Arc<dyn Store>>,
    State(audit): State<AuditLog>,
    State(chronologies): State<Chronologies>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
    axum::extract::Query(q): axum::extract::Query<ChronologyQuery>,
) -> Result<Json<ChronologyResponse>, ApiError> {
    let child = readable(store.as_ref(), &auth, &child_id, &uri).await?;
    let limit = match q.limit {
        None => i64::MAX,
        Some(n) if (1..=MAX_CHRONOLOGY_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_CHRONOLOGY_PAGE}"
            )))
        }
    };
    audit
        .record(auth.audit("read.chronology", "ok").child(&child.child_id))
        .await?;
    // The same items as the page, the CSV and the print view: the analytics' chronology of
    // the record, paged, built once per stored version.
    let all = chronologies.read(&child.child_id).await?;
    let total = all.len() as i64;
    let start = if q.offset.unwrap_or(0) < 0 {
        (total + q.offset.unwrap_or(0)).max(0)
    } else {
        q.offset.unwrap_or(0).min(total)
    };
    let entries: Vec<_> = all
        .iter()
        .skip(start as usize)
        .take(limit.min(total) as usize)
        .cloned()
        .collect();
    tracing::info!(user = %auth.user.id, child = %child.child_id, "chronology read");
    Ok(Json(ChronologyResponse {
        child,
        entries,
        offset: start,
        total,
    }))
}

async fn record(
    State(store): State<Arc<dyn Store>>,
    State(audit): State<AuditLog>,
    State(documents): State<Arc<Documents>>,
    State(config): State<Arc<Config>>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
) -> Result<Json<RecordResponse>, ApiError> {
    let child = readable(store.as_ref(), &auth, &child_id, &uri).await?;
    audit
        .record(auth.audit("read.record", "ok").child(&child.child_id))
        .await?;
    // The version first: a merge landing in between makes the page ask once more, never miss.
    let version = documents.version(&child.child_id).await?;
    let record = store.record(&child.child_id).await?;
    let overview = analytics::overview(
        &record,
        Date::london_from_unix_ms(now_ms()),
        &config.thresholds,
        child.date_of_birth.parse().ok(),
    );
    let chronology = analytics::chronology(&record);
    let new_since =
        super::seen::look(store.as_ref(), &auth.user.id, &child.child_id, &record).await?;
    let mut child = child;
    if let Some(status) = &overview.legal_status {
        child.legal_status = status.clone();
    }
    tracing::info!(user = %auth.user.id, child = %child.child_id, "record read");
    Ok(Json(RecordResponse {
        child,
        record,
        overview,
        chronology,
        version,
        new_since,
    }))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AuditResponse {
    pub entries: Vec<audit::Entry>,
    /// Whether the whole trail's hash chain verifies (tampering anywhere shows here).
    pub chain_intact: bool,
}

/// A child's audit trail, for the team's manager.
async fn audit_trail(
    State(store): State<Arc<dyn Store>>,
    State(audit): State<AuditLog>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
) -> Result<Json<AuditResponse>, ApiError> {
    if auth.user.role != shared::api::Role::Manager {
        return Err(ApiError::Forbidden);
    }
    let child = readable(store.as_ref(), &auth, &child_id, &uri).await?;
    audit
        .record(auth.audit("read.audit", "ok").child(&child.child_id))
        .await?;
    let chain_intact = audit::verify(&store.audit_all().await?).is_ok();
    let entries = store.audit_for_child(&child.child_id).await?;
    Ok(Json(AuditResponse {
        entries,
        chain_intact,
    }))
}

/// The full chronology for conferences and courts, as CSV: every column a reviewer needs.
async fn chronology_csv(
    State(store): State<Arc<dyn Store>>,
    State(audit): State<AuditLog>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
) -> Result<impl IntoResponse, ApiError> {
    export_csv(store.as_ref(), &audit, &auth, &child_id, &uri, false).await
}

/// The chronology for a case review: every name replaced, consistently, by the person's role.
async fn chronology_anonymised_csv(
    State(store): State<Arc<dyn Store>>,
    State(audit): State<AuditLog>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
) -> Result<impl IntoResponse, ApiError> {
    export_csv(store.as_ref(), &audit, &auth, &child_id, &uri, true).await
}

/// Either export, audited under its own action.
async fn export_csv(
    store: &dyn Store,
    audit: &AuditLog,
    auth: &AuthUser,
    child_id: &str,
    uri: &Uri,
    anonymised: bool,
) -> Result<impl IntoResponse, ApiError> {
    let child = readable(store, auth, child_id, uri).await?;
    let (action, name) = if anonymised {
        ("export.chronology_anonymised", "chronology-anonymised")
    } else {
        ("export.chronology_csv", "chronology")
    };
    audit
        .record(auth.audit(action, "ok").child(&child.child_id))
        .await?;
    let record = store.record(&child.child_id).await?;
    let mut items = analytics::chronology(&record);
    if anonymised {
        items = export::anonymise(&child.display_name, &record, &items);
    }
    tracing::info!(user = %auth.user.id, child = %child.child_id, anonymised, "chronology exported");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-{}.csv\"", child.child_id),
            ),
        ],
        export::csv(&items),
    ))
}
