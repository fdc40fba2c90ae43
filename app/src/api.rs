//! HTTP calls to the Quilt server (same origin, JSON).
//!
//! Tokens travel only in the `Authorization` header and record contents only in bodies, never in
//! URLs. Responses are not cached by the browser.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api::{
    ChronologyResponse, ErrorBody, LoginRequest, LoginResponse, RefreshRequest, TeamCaseloadRow,
};
use shared::sync::{SyncRequest, SyncResponse};
use shared::ChildId;
use web_sys::RequestCache;

/// Why a call failed, worded for the person holding the tablet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: the credentials or the token were refused.
    #[error("{0}")]
    Unauthorised(String),
    /// 403: signed in, but not allowed to see this.
    #[error("{0}")]
    Forbidden(String),
    /// 403 `account_disabled`: the account was disabled; the tablet erases what it holds.
    #[error("{0}")]
    AccountDisabled(String),
    /// 403 `password_change_required`: the user must choose their own password first.
    #[error("{0}")]
    PasswordChangeRequired(String),
    /// 409: refused because of what is stored already (a taken username, a likely duplicate);
    /// the body as it came, for the page to read more from.
    #[error("{0}")]
    Conflict(String, serde_json::Value),
    /// 400: the request was refused as it stands; the sentence says why.
    #[error("{0}")]
    Invalid(String),
    #[error("the server could not be reached; check the connection and try again")]
    Network,
    #[error("{0}")]
    Server(String),
    #[error("the server's answer could not be read")]
    Decode,
}

fn with_auth(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder
        .header("Authorization", &format!("Bearer {token}"))
        .cache(RequestCache::NoStore)
}

async fn send(request: Request) -> Result<Response, ApiError> {
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let body = response
        .json::<serde_json::Value>()
        .await
        .unwrap_or(serde_json::Value::Null);
    let (code, message) = match serde_json::from_value::<ErrorBody>(body.clone()) {
        Ok(b) => (b.error, b.message),
        Err(_) => (
            String::new(),
            format!("the server answered with status {status}"),
        ),
    };
    Err(match (status, code.as_str()) {
        (401, _) => ApiError::Unauthorised(message),
        (403, "account_disabled") => ApiError::AccountDisabled(message),
        (403, "password_change_required") => ApiError::PasswordChangeRequired(message),
        (403, _) => ApiError::Forbidden(message),
        (409, _) => ApiError::Conflict(message, body),
        (400, _) => ApiError::Invalid(message),
        _ => ApiError::Server(message),
    })
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    response.json::<T>().await.map_err(|_| ApiError::Decode)
}

fn json_request<T: Serialize>(builder: RequestBuilder, body: &T) -> Result<Request, ApiError> {
    builder
        .header("Accept", "application/json")
        .json(body)
        .map_err(|_| ApiError::Server("the request could not be prepared".into()))
}

pub async fn login(
    username: &str,
    password: &str,
    device_id: Option<shared::DeviceId>,
) -> Result<LoginResponse, ApiError> {
    let body = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
        device_id,
    };
    let request = json_request(
        Request::post("/api/login").cache(RequestCache::NoStore),
        &body,
    )?;
    decode(send(request).await?).await
}

/// Exchanges a refresh token (which then stops working) for a new access and refresh token.
pub async fn refresh(refresh_token: &str) -> Result<LoginResponse, ApiError> {
    let body = RefreshRequest {
        refresh_token: refresh_token.to_owned(),
    };
    let request = json_request(
        Request::post("/api/refresh").cache(RequestCache::NoStore),
        &body,
    )?;
    decode(send(request).await?).await
}

pub async fn logout(token: &str) -> Result<(), ApiError> {
    let request = with_auth(Request::post("/api/logout"), token)
        .build()
        .map_err(|_| ApiError::Network)?;
    send(request).await.map(|_| ())
}

/// `GET path` with the token, decoded as `T`.
pub async fn get_json<T: DeserializeOwned>(token: &str, path: &str) -> Result<T, ApiError> {
    let request = with_auth(Request::get(path), token)
        .header("Accept", "application/json")
        .build()
        .map_err(|_| ApiError::Network)?;
    decode(send(request).await?).await
}

/// `POST path` (or `PUT` when `put`) with a JSON body and the token; the answer as `T` (use
/// `serde_json::Value` for an empty one).
pub async fn send_json<B: Serialize, T: DeserializeOwned>(
    token: &str,
    path: &str,
    body: &B,
    put: bool,
) -> Result<T, ApiError> {
    let builder = if put {
        Request::put(path)
    } else {
        Request::post(path)
    };
    let request = json_request(with_auth(builder, token), body)?;
    let response = send(request).await?;
    if response.status() == 204 {
        return serde_json::from_value(serde_json::Value::Null).map_err(|_| ApiError::Decode);
    }
    decode(response).await
}

/// The signed-in user chooses a new password.
pub async fn change_password(token: &str, current: &str, new: &str) -> Result<(), ApiError> {
    let body = shared::api::partnership::PasswordChange {
        current_password: current.to_owned(),
        new_password: new.to_owned(),
    };
    send_json::<_, serde_json::Value>(token, "/api/password", &body, false)
        .await
        .map(|_| ())
}

/// The caseload sync, sent in the compact form (`shared::sync::wire`): binary and deflated, a
/// little over the size of the compressed changes. The answer is JSON.
pub async fn sync(token: &str, body: &SyncRequest) -> Result<SyncResponse, ApiError> {
    let bytes = shared::sync::wire::encode_request(body);
    let request = with_auth(Request::post("/api/sync"), token)
        .header("Accept", "application/json")
        .header("Content-Type", shared::sync::wire::CONTENT_TYPE)
        .body(js_sys::Uint8Array::from(&bytes[..]))
        .map_err(|_| ApiError::Server("the request could not be prepared".into()))?;
    decode(send(request).await?).await
}

pub async fn team(token: &str) -> Result<Vec<TeamCaseloadRow>, ApiError> {
    let request = with_auth(Request::get("/api/team"), token)
        .header("Accept", "application/json")
        .build()
        .map_err(|_| ApiError::Network)?;
    decode(send(request).await?).await
}

pub async fn chronology(token: &str, child: &ChildId) -> Result<ChronologyResponse, ApiError> {
    // Child ids are restricted to URL-safe characters by `ChildId` itself.
    let url = format!("/api/children/{child}/chronology");
    let request = with_auth(Request::get(&url), token)
        .header("Accept", "application/json")
        .build()
        .map_err(|_| ApiError::Network)?;
    decode(send(request).await?).await
}

/// Tells the server what this user saw of a child's record on this tablet ("new since you
/// last looked", kept per user on the server too).
pub async fn seen(
    token: &str,
    child: &ChildId,
    keys: &std::collections::BTreeSet<String>,
) -> Result<(), ApiError> {
    let body = serde_json::json!({ "keys": keys });
    send_json::<_, serde_json::Value>(token, &format!("/api/children/{child}/seen"), &body, false)
        .await
        .map(|_| ())
}

/// Everything the manager's child overview shows: record, overview and chronology.
pub async fn record(token: &str, child: &ChildId) -> Result<shared::api::RecordResponse, ApiError> {
    let url = format!("/api/children/{child}/record");
    let request = with_auth(Request::get(&url), token)
        .header("Accept", "application/json")
        .build()
        .map_err(|_| ApiError::Network)?;
    decode(send(request).await?).await
}

/// Waits (up to the server's limit, about 25 s) until the child's record is at a version other
/// than `since`; answers with the version then.
pub async fn changes(
    token: &str,
    child: &ChildId,
    since: i64,
) -> Result<shared::api::ChangesResponse, ApiError> {
    let url = format!("/api/children/{child}/changes?since={since}");
    let request = with_auth(Request::get(&url), token)
        .header("Accept", "application/json")
        .build()
        .map_err(|_| ApiError::Network)?;
    decode(send(request).await?).await
}

/// The child's chronology as CSV text, for conferences and courts.
pub async fn chronology_csv(
    token: &str,
    child: &ChildId,
    anonymised: bool,
) -> Result<String, ApiError> {
    let url = if anonymised {
        format!("/api/children/{child}/chronology-anonymised.csv")
    } else {
        format!("/api/children/{child}/chronology.csv")
    };
    let request = with_auth(Request::get(&url), token)
        .header("Accept", "text/csv")
        .build()
        .map_err(|_| ApiError::Network)?;
    send(request)
        .await?
        .text()
        .await
        .map_err(|_| ApiError::Decode)
}
