//! Signing in and out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared::api::{LoginResponse, RefreshRequest, UserInfo};

use crate::auth::{AnyUser, PasswordUser};
use crate::error::{ApiError, ApiJson};
use crate::sessions::Sessions;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/refresh", post(refresh))
        .route("/api/me", get(me))
        .route("/api/password", post(change_password))
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
    State(sessions): State<Sessions>,
    ApiJson(req): ApiJson<LoginAttempt>,
) -> Result<Json<LoginResponse>, ApiError> {
    if req.username.len() > 100 || req.password.len() > 1000 {
        return Err(ApiError::Unauthorised);
    }
    let response = sessions
        .sign_in(&req.username, req.password, req.device_id.as_deref())
        .await?;
    Ok(Json(response))
}

async fn refresh(
    State(sessions): State<Sessions>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    Ok(Json(sessions.refresh(&req.refresh_token).await?))
}

async fn logout(
    State(sessions): State<Sessions>,
    AnyUser(auth): AnyUser,
) -> Result<StatusCode, ApiError> {
    sessions
        .sign_out(
            &auth.token_hash,
            auth.family_id.as_deref(),
            auth.audit("logout", "ok"),
        )
        .await?;
    tracing::info!(user = %auth.user.id, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(sessions): State<Sessions>, PasswordUser(auth): PasswordUser) -> Json<UserInfo> {
    Json(sessions.user_info(&auth.user))
}

/// The signed-in user chooses their own password (at the first sign-in, or after a reset,
/// this is all their session can do). Other sign-ins of the user are revoked.
async fn change_password(
    State(sessions): State<Sessions>,
    PasswordUser(auth): PasswordUser,
    ApiJson(req): ApiJson<shared::api::partnership::PasswordChange>,
) -> Result<StatusCode, ApiError> {
    if req.current_password.len() > 1000 || req.new_password.len() > 1000 {
        return Err(ApiError::BadRequest("that password is too long".into()));
    }
    sessions
        .change_password(
            &auth.user,
            auth.family_id.as_deref(),
            req.current_password,
            req.new_password,
        )
        .await
        .map_err(|e| match e {
            // Not a 401: the session is fine, and the app would take a 401 to mean it is not.
            crate::sessions::Refused::Credentials => {
                ApiError::BadRequest("the current password is not right".into())
            }
            e => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::LoginRequest;
    use shared::DeviceId;

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
