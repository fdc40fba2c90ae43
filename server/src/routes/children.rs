//! `GET /api/children/{id}/chronology`: one child's chronology from the read model.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::api::CaseloadEntry;
use shared::chronology::ChronologyEntry;
use shared::ChildId;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/children/{child_id}/chronology", get(chronology))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ChronologyResponse {
    pub child: CaseloadEntry,
    pub entries: Vec<ChronologyEntry>,
}

async fn chronology(State(state): State<AppState>, auth: AuthUser, Path(child_id): Path<String>) -> Result<Json<ChronologyResponse>, ApiError> {
    let child_id: ChildId = child_id.parse().map_err(|_| ApiError::NotFound)?;
    let caseload = state.store.caseload(&auth.user).await?;
    // Not found and not allowed look the same, so ids cannot be probed.
    let child = caseload
        .into_iter()
        .find(|c| c.child_id == child_id)
        .ok_or(ApiError::NotFound)?;
    let entries = state.store.chronology(&child_id).await?;
    tracing::info!(user = %auth.user.id, child = %child_id, "chronology read");
    Ok(Json(ChronologyResponse { child, entries }))
}
