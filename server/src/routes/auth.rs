//! Signing in and out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::api::{LoginRequest, LoginResponse, UserInfo};

use crate::audit::{self, Event};
use crate::auth::{dummy_hash, new_token, token_hash, verify_password, AuthUser};
use crate::error::{ApiError, ApiJson};
use crate::state::{now_ms, AppState};
use crate::store::User;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
}

pub fn user_info(user: &User) -> UserInfo {
    UserInfo {
        id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        agency: user.agency.clone(),
        role: user.role,
    }
}

async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.username.len() > 100 || req.password.len() > 1000 {
        return Err(ApiError::Unauthorised);
    }
    let user = state.store.user_by_username(req.username.trim()).await?;
    let req_device = req.device_id.clone();
    let password = req.password;
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
    // Argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let user = match user {
        Some(u) if ok => u,
        other => {
            tracing::info!("sign-in refused");
            let mut event = Event::new("login", "refused");
            event.user_id = other.map(|u| u.id.to_string());
            audit::record_or_log(&state, event).await;
            return Err(ApiError::Unauthorised);
        }
    };
    let token = new_token();
    let now = now_ms();
    let expires_at_ms = now + state.config.session_ttl_ms;
    state
        .store
        .create_session(
            &token_hash(&token),
            &user.id,
            req_device.as_ref().map(|d| d.as_str()),
            now,
            expires_at_ms,
        )
        .await?;
    tracing::info!(user = %user.id, "signed in");
    let mut event = Event::new("login", "ok");
    event.user_id = Some(user.id.to_string());
    event.device_id = req_device.as_ref().map(|d| d.to_string());
    audit::record_or_log(&state, event).await;
    Ok(Json(LoginResponse {
        token,
        expires_at_ms,
        user: user_info(&user),
    }))
}

async fn logout(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&auth.token_hash).await?;
    tracing::info!(user = %auth.user.id, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

async fn me(auth: AuthUser) -> Json<UserInfo> {
    Json(user_info(&auth.user))
}
