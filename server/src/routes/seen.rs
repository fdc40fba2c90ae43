//! "New since you last looked", kept per user on the server: what each user saw of each
//! record when they last opened it (`analytics::since::look`), remembered when a manager's
//! overview is read (`GET /api/children/{id}/record`) and when a tablet opens the record
//! (`POST /api/children/{id}/seen` with the keys its own copy holds, which may lag the
//! server's). The dashboard and the overview count what others added since.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use shared::analytics::since::{self, NewSince, MAX_KEY_LEN, MAX_SEEN};
use shared::record::Record;
use shared::{ChildId, UserId};

use super::children::readable;
use crate::auth::AuthUser;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;
use crate::store::Store;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/children/{child_id}/seen", post(seen))
}

/// What a tablet saw.
#[derive(Debug, Deserialize)]
pub struct SeenRequest {
    pub keys: Vec<String>,
}

async fn seen(
    State(store): State<Arc<dyn Store>>,
    auth: AuthUser,
    Path(child_id): Path<String>,
    uri: Uri,
    ApiJson(req): ApiJson<SeenRequest>,
) -> Result<StatusCode, ApiError> {
    let child = readable(store.as_ref(), &auth, &child_id, &uri).await?;
    if req.keys.len() > MAX_SEEN
        || req
            .keys
            .iter()
            .any(|k| k.is_empty() || k.len() > MAX_KEY_LEN)
    {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_SEEN} keys of 1 to {MAX_KEY_LEN} bytes"
        )));
    }
    let keys: BTreeSet<String> = req.keys.into_iter().collect();
    remember(store.as_ref(), &auth.user.id, &child.child_id, &keys).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn parse(json: &str) -> Option<BTreeSet<String>> {
    serde_json::from_str(json).ok()
}

async fn remember(
    store: &dyn Store,
    user: &UserId,
    child: &ChildId,
    keys: &BTreeSet<String>,
) -> Result<(), ApiError> {
    let json = serde_json::to_string(keys).map_err(|e| ApiError::Internal(e.into()))?;
    store.put_record_view(user, child, &json, now_ms()).await?;
    Ok(())
}

/// What others added to `record` since `user` last looked, then remembers this look.
pub async fn look(
    store: &dyn Store,
    user: &UserId,
    child: &ChildId,
    record: &Record,
) -> Result<NewSince, ApiError> {
    let before = store.record_view(user, child).await?;
    let new = since::new_since(
        record,
        before.as_deref().and_then(parse).as_ref(),
        user.as_str(),
    );
    remember(store, user, child, &since::look(record)).await?;
    Ok(new)
}

/// Every record `user` has looked at, with what they saw, for the dashboard.
pub async fn looks(
    store: &dyn Store,
    user: &UserId,
) -> Result<HashMap<ChildId, BTreeSet<String>>, ApiError> {
    Ok(store
        .record_views(user)
        .await?
        .into_iter()
        .filter_map(|(child, json)| parse(&json).map(|keys| (child, keys)))
        .collect())
}
