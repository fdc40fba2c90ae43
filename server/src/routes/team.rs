//! `GET /api/team`: the manager's team caseload from the read model.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::api::{Role, TeamCaseloadRow};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/team", get(team))
}

async fn team(State(state): State<AppState>, auth: AuthUser) -> Result<Json<Vec<TeamCaseloadRow>>, ApiError> {
    if auth.user.role != Role::Manager {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(state.store.team_caseload(&auth.user).await?))
}
