//! `GET /api/team`: the manager's team caseload with each child's flags, from the read model.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::analytics::{self, Thresholds};
use shared::api::{Role, TeamCaseloadRow};
use shared::calendar::Date;

use crate::auth::AuthUser;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/team", get(team))
}

async fn team(
    State(store): State<Arc<dyn Store>>,
    auth: AuthUser,
) -> Result<Json<Vec<TeamCaseloadRow>>, ApiError> {
    if auth.user.role != Role::Manager {
        return Err(ApiError::Forbidden);
    }
    let today = Date::london_from_unix_ms(now_ms());
    let rows = store
        .team_caseload(&auth.user)
        .await?
        .into_iter()
        .map(|child| {
            let overview = analytics::overview(&child.record, today, &Thresholds::default());
            TeamCaseloadRow {
                flags: overview.flags(),
                ..child.row
            }
        })
        .collect();
    tracing::info!(user = %auth.user.id, "team caseload read");
    Ok(Json(rows))
}
