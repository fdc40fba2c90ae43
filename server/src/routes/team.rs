//! `GET /api/team`: the manager's team caseload with each child's flags, from the read model,
//! most urgent first, with the legal status the episodes give today.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::analytics;
use shared::api::{Role, TeamCaseloadRow};
use shared::calendar::Date;

use crate::auth::AuthUser;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::state::{AppState, Config};
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/team", get(team))
}

async fn team(
    State(store): State<Arc<dyn Store>>,
    State(config): State<Arc<Config>>,
    auth: AuthUser,
) -> Result<Json<Vec<TeamCaseloadRow>>, ApiError> {
    if auth.user.role != Role::Manager {
        return Err(ApiError::Forbidden);
    }
    let today = Date::london_from_unix_ms(now_ms());
    let looks = super::seen::looks(store.as_ref(), &auth.user.id).await?;
    let mut rows: Vec<(i64, TeamCaseloadRow)> = store
        .team_caseload(&auth.user)
        .await?
        .into_iter()
        .map(|child| {
            let born = child.row.child.date_of_birth.parse().ok();
            let overview = analytics::overview(&child.record, today, &config.thresholds, born);
            let new_since = shared::analytics::since::new_since(
                &child.record,
                looks.get(&child.row.child.child_id),
                auth.user.id.as_str(),
            );
            let mut row = TeamCaseloadRow {
                flags: overview.flags(),
                new_since,
                ..child.row
            };
            // The legal status is what the episodes say today; the directory's words stand
            // only for a record with none.
            if let Some(status) = overview.legal_status {
                row.child.legal_status = status;
            }
            let urgency = row
                .flags
                .iter()
                .map(|f| f.urgency(today))
                .max()
                .unwrap_or(-1);
            (urgency, row)
        })
        .collect();
    // By real urgency: the most overdue first, then what falls due soonest.
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.child.display_name.cmp(&b.1.child.display_name))
    });
    let rows: Vec<TeamCaseloadRow> = rows.into_iter().map(|(_, r)| r).collect();
    tracing::info!(user = %auth.user.id, "team caseload read");
    Ok(Json(rows))
}
