//! Signing in and out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared::api::{LoginResponse, RefreshRequest, UserInfo};
use shared::DeviceId;

use crate::audit::Event;
use crate::auth::{dummy_hash, new_token, token_hash, verify_password, AuthUser};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiJson};
use crate::metrics::SignIn;
use crate::state::AppState;
use crate::store::{NewRefresh, RefreshUse, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/refresh", post(refresh))
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

/// A sign-in as it arrives: `shared::api::LoginRequest` with the device id still a string, so
/// that a malformed or reserved one is refused and audited with its reason like any other
/// refused sign-in, rather than turned away as unreadable JSON.
#[derive(Deserialize)]
struct LoginAttempt {
    username: String,
    password: String,
    #[serde(default)]
    device_id: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginAttempt>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.username.len() > 100 || req.password.len() > 1000 {
        return Err(ApiError::Unauthorised);
    }
    let now = now_ms();
    if state.login_limiter.is_blocked(&req.username, now) {
        tracing::warn!("sign-in rate limited");
        state.metrics.sign_in(SignIn::RateLimited);
        state
            .audit
            .record_or_log(Event::new("login", "rate_limited"))
            .await;
        return Err(ApiError::TooManyRequests);
    }
    let user = state.store.user_by_username(req.username.trim()).await?;
    // Checked before the password, which it saves hashing: the app only ever sends canonical
    // ids, so this is a broken or hostile client whatever the password.
    let device = match req.device_id.as_deref().map(str::parse::<DeviceId>) {
        None => None,
        Some(Ok(device)) => Some(device.to_string()),
        Some(Err(invalid)) => {
            tracing::warn!("sign-in refused: {invalid}");
            state.metrics.sign_in(SignIn::Failed);
            let mut event = Event::new("login", "refused").detail(invalid.to_string());
            event.user_id = user.map(|u| u.id.to_string());
            state.audit.record_or_log(event).await;
            return Err(ApiError::BadRequest(invalid.to_string()));
        }
    };
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
            state.metrics.sign_in(SignIn::Failed);
            state.login_limiter.failed(&req.username, now);
            let mut event = Event::new("login", "refused");
            event.user_id = other.map(|u| u.id.to_string());
            state.audit.record_or_log(event).await;
            return Err(ApiError::Unauthorised);
        }
    };
    state.login_limiter.succeeded(&req.username);
    let family = new_token();
    if let Some(device) = &device {
        if !state.store.bind_device(device, &user.id, now).await? {
            tracing::warn!(user = %user.id, "sign-in refused: device registered to another user");
            let mut event =
                Event::new("login", "refused").detail("device registered to another user");
            event.user_id = Some(user.id.to_string());
            event.device_id = Some(device.clone());
            state.audit.record_or_log(event).await;
            return Err(ApiError::Forbidden);
        }
    }
    let response = issue(&state, &user, device.as_deref(), &family).await?;
    tracing::info!(user = %user.id, "signed in");
    state.metrics.sign_in(SignIn::Ok);
    let mut event = Event::new("login", "ok");
    event.user_id = Some(user.id.to_string());
    event.device_id = device;
    state.audit.record_or_log(event).await;
    Ok(Json(response))
}

/// A new access token and refresh token in `family`.
async fn issue(
    state: &AppState,
    user: &User,
    device: Option<&str>,
    family: &str,
) -> Result<LoginResponse, ApiError> {
    let now = now_ms();
    let token = new_token();
    let refresh_token = new_token();
    let expires_at_ms = now + state.config.session_ttl_ms;
    let refresh_expires_at_ms = now + state.config.refresh_ttl_ms;
    state
        .store
        .create_session(
            &token_hash(&token),
            &user.id,
            device,
            family,
            now,
            expires_at_ms,
        )
        .await?;
    state
        .store
        .create_refresh(&NewRefresh {
            token_hash: token_hash(&refresh_token),
            family_id: family.to_owned(),
            user_id: user.id.clone(),
            device_id: device.map(str::to_owned),
            now_ms: now,
            expires_at_ms: refresh_expires_at_ms,
        })
        .await?;
    Ok(LoginResponse {
        token,
        expires_at_ms,
        user: user_info(user),
        refresh_token,
        refresh_expires_at_ms,
    })
}

/// Exchanges a refresh token for new tokens. A refresh token presented a second time was
/// copied: its whole family is revoked and the user must sign in again.
async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.refresh_token.is_empty() || req.refresh_token.len() > 128 {
        return Err(ApiError::Unauthorised);
    }
    match state
        .store
        .use_refresh(&token_hash(&req.refresh_token), now_ms())
        .await?
    {
        RefreshUse::Valid {
            user,
            device_id,
            family_id,
        } => {
            let response = issue(&state, &user, device_id.as_deref(), &family_id).await?;
            let mut event = Event::new("refresh", "ok");
            event.user_id = Some(user.id.to_string());
            event.device_id = device_id;
            state.audit.record_or_log(event).await;
            Ok(Json(response))
        }
        RefreshUse::Reused { user_id, .. } => {
            tracing::warn!(user = %user_id, "refresh token reused: family revoked");
            let mut event = Event::new("refresh", "reused_family_revoked");
            event.user_id = Some(user_id);
            state.audit.record_or_log(event).await;
            Err(ApiError::Unauthorised)
        }
        RefreshUse::Invalid => Err(ApiError::Unauthorised),
    }
}

async fn logout(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&auth.token_hash).await?;
    if let Some(family) = &auth.family_id {
        state.store.revoke_family(family).await?;
    }
    tracing::info!(user = %auth.user.id, "signed out");
    state.audit.record_or_log(auth.audit("logout", "ok")).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(auth: AuthUser) -> Json<UserInfo> {
    Json(user_info(&auth.user))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::LoginRequest;

    #[test]
    fn the_app_s_login_request_is_a_login_attempt() {
        let device: DeviceId = "00112233445566778899aabbccddeeff".parse().expect("id");
        for device_id in [Some(device), None] {
            let sent = LoginRequest {
                username: "sam.social".into(),
                password: "secret".into(),
                device_id: device_id.clone(),
            };
            let json = serde_json::to_value(&sent).expect("json");
            let got: LoginAttempt = serde_json::from_value(json).expect("attempt");
            assert_eq!(
                (got.username, got.password, got.device_id),
                (
                    sent.username,
                    sent.password,
                    device_id.map(|d| d.to_string())
                )
            );
        }
    }
}
