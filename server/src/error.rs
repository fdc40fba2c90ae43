//! The one error type every handler returns, mapped to status codes and a JSON body.
//!
//! Architecture invariant: error bodies and logs never carry record contents. 5xx details are
//! logged server-side; the client only gets a stable code and a sentence.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use shared::api::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in to continue")]
    Unauthorised,
    #[error("you do not have access to this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The account was disabled: the tablet erases the records it holds.
    #[error("this account has been disabled; the records on this device are erased")]
    AccountDisabled,
    #[error("choose a new password before going on")]
    PasswordChangeRequired,
    #[error("{0}")]
    Conflict(String),
    /// The record was merged into another ("same child"): it is at this path now.
    #[error("this record was merged into another record of the same child")]
    Moved(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the request is larger than the server accepts")]
    TooLarge,
    #[error("the request arrived too slowly; try again")]
    TooSlow,
    #[error("too many failed attempts; wait a few minutes and try again")]
    TooManyRequests,
    #[error("the server could not store your changes just now; they are kept on your device")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorised => (StatusCode::UNAUTHORIZED, "unauthorised"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            ApiError::PasswordChangeRequired => (StatusCode::FORBIDDEN, "password_change_required"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Moved(_) => (StatusCode::PERMANENT_REDIRECT, "moved"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::TooSlow => (StatusCode::REQUEST_TIMEOUT, "too_slow"),
            ApiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::merge::MergeError> for ApiError {
    fn from(e: crate::merge::MergeError) -> Self {
        use crate::merge::MergeError;
        match e {
            MergeError::Internal(_) => ApiError::Internal(e.into()),
            e => ApiError::Unavailable(e.into()),
        }
    }
}

impl From<crate::sessions::Refused> for ApiError {
    fn from(e: crate::sessions::Refused) -> Self {
        use crate::sessions::Refused;
        match e {
            Refused::Credentials => ApiError::Unauthorised,
            Refused::RateLimited => ApiError::TooManyRequests,
            Refused::BadDevice(reason) => ApiError::BadRequest(reason),
            Refused::DeviceTaken => ApiError::Forbidden,
            Refused::AccountDisabled => ApiError::AccountDisabled,
            Refused::Weak(e) => ApiError::BadRequest(e.to_string()),
            Refused::Store(e) => e.into(),
            Refused::Internal(e) => ApiError::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<crate::front_door::FrontDoorError> for ApiError {
    fn from(e: crate::front_door::FrontDoorError) -> Self {
        match e {
            crate::front_door::FrontDoorError::Denied(d) => d.into(),
            crate::front_door::FrontDoorError::Merge(m) => m.into(),
        }
    }
}

impl From<crate::admin::Denied> for ApiError {
    fn from(e: crate::admin::Denied) -> Self {
        use crate::admin::Denied;
        match e {
            Denied::Forbidden => ApiError::Forbidden,
            Denied::NotFound => ApiError::NotFound,
            Denied::Invalid(s) => ApiError::BadRequest(s),
            Denied::Weak(w) => ApiError::BadRequest(w.to_string()),
            e @ (Denied::Conflict(_) | Denied::LikelyDuplicates(_)) => {
                ApiError::Conflict(e.to_string())
            }
            Denied::Store(e) => e.into(),
            Denied::Internal(e) => ApiError::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<crate::audit_log::AuditUnavailable> for ApiError {
    fn from(e: crate::audit_log::AuditUnavailable) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(e) | ApiError::Unavailable(e) = &self {
            // The chain holds database and IO errors, which never include record contents.
            tracing::error!(
                error = format!("{e:#}"),
                status = status.as_u16(),
                "request failed"
            );
        }
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Moved(path) = &self {
            if let Ok(location) = axum::http::HeaderValue::from_str(path) {
                response
                    .headers_mut()
                    .insert(axum::http::header::LOCATION, location);
            }
        }
        response
    }
}

/// A JSON body extractor whose rejection is an [`ApiError`] with a clear message.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::BytesRejection(b) => body_error(&b),
                JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(
                    "send the request as JSON (Content-Type: application/json)".into(),
                ),
                // serde's messages can quote values, so none of them is echoed back.
                JsonRejection::JsonDataError(_) => ApiError::BadRequest(
                    "the request body does not match what this endpoint expects".into(),
                ),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::BadRequest("the request is not well-formed JSON".into())
                }
                other => ApiError::BadRequest(other.body_text()),
            }),
        }
    }
}

/// Why a request's body could not be read: too large, too slow, or the reason axum gives.
pub fn body_error(b: &axum::extract::rejection::BytesRejection) -> ApiError {
    if b.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else if arrived_too_slowly(b) {
        ApiError::TooSlow
    } else {
        ApiError::BadRequest(b.body_text())
    }
}

/// Whether reading a body failed because it missed its deadline (`limits::with_body_deadline`).
fn arrived_too_slowly(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| e.is::<crate::limits::BodyTooSlow>())
}
