//! The front door's routes (`/api/front-door/…`, front-door accounts only): the queue, a
//! concern taken from a call, a match to a child, a decision. Concerns from tablets arrive in
//! the caseload sync (`routes::sync`). The service is `front_door::FrontDoor`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::front_door::{
    CallerConcern, DecisionRequest, FrontDoorAnswer, MatchRequest, Queue,
};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiJson};
use crate::front_door::FrontDoor;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/front-door/queue", get(queue))
        .route("/api/front-door/concerns", post(record_call))
        .route("/api/front-door/concerns/{id}/match", post(match_concern))
        .route("/api/front-door/concerns/{id}/decision", post(decide))
}

async fn queue(State(fd): State<FrontDoor>, auth: AuthUser) -> Result<Json<Queue>, ApiError> {
    Ok(Json(fd.queue(&auth.actor()).await?))
}

async fn record_call(
    State(fd): State<FrontDoor>,
    auth: AuthUser,
    ApiJson(call): ApiJson<CallerConcern>,
) -> Result<Json<FrontDoorAnswer>, ApiError> {
    let item = fd.record_call(&auth.actor(), call).await?;
    Ok(Json(FrontDoorAnswer { item }))
}

async fn match_concern(
    State(fd): State<FrontDoor>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MatchRequest>,
) -> Result<Json<FrontDoorAnswer>, ApiError> {
    let item = fd.match_concern(&auth.actor(), &id, req).await?;
    Ok(Json(FrontDoorAnswer { item }))
}

async fn decide(
    State(fd): State<FrontDoor>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<FrontDoorAnswer>, ApiError> {
    let item = fd.decide(&auth.actor(), &id, req).await?;
    Ok(Json(FrontDoorAnswer { item }))
}
