//! `POST /api/sync`: the whole caseload in one request and response.

use std::collections::HashSet;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::sync::{ChildResult, ChildSyncRequest, ChildSyncResponse, SyncRequest, SyncResponse};
use shared::ChildId;

use crate::audit::{self, Event};
use crate::auth::AuthUser;
use crate::docs;
use crate::error::{ApiError, ApiJson};
use crate::state::{now_ms, AppState};

/// The route template; `observe` times requests to it for the sync latency histogram.
pub const PATH: &str = "/api/sync";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(sync))
}

async fn sync(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<SyncRequest>,
) -> Result<Json<SyncResponse>, ApiError> {
    if req.children.len() > state.config.max_children_per_sync {
        return Err(ApiError::BadRequest(format!(
            "a sync may name at most {} children",
            state.config.max_children_per_sync
        )));
    }
    let mut named = HashSet::new();
    if !req.children.iter().all(|c| named.insert(&c.child_id)) {
        return Err(ApiError::BadRequest(
            "a child is named twice in one sync".into(),
        ));
    }

    let caseload = state.store.caseload(&auth.user).await?;
    let sender = auth.sender();
    let allowed: HashSet<_> = caseload.iter().map(|c| &c.child_id).collect();
    let mut children = Vec::with_capacity(caseload.len().max(req.children.len()));
    let (mut accepted, mut refused) = (0usize, 0usize);

    let on_caseload: Vec<&ChildSyncRequest> = req
        .children
        .iter()
        .filter(|c| allowed.contains(&c.child_id))
        .collect();
    let mut merged = docs::merge_children(&state, &sender, &on_caseload)
        .await
        .into_iter();
    // Children the user may not see are each audited, up to a bound per user per window (a
    // request naming hundreds of made-up children must not flood the trail); the rest of this
    // request's are counted in one summary row.
    let not_allowed = req.children.len() - on_caseload.len();
    let itemised = state
        .itemised_refusals
        .take(auth.user.id.as_str(), now_ms(), not_allowed);
    let mut events = Vec::new();
    for child in &req.children {
        let result = if allowed.contains(&child.child_id) {
            match merged.next() {
                Some(Ok(result)) => result,
                // One child's storage failure must not block acknowledging the others.
                Some(Err(ApiError::Unavailable(e))) => {
                    tracing::error!(error = format!("{e:#}"), child = %child.child_id, "storing merge failed");
                    ChildResult::Unavailable {
                        reason: "the server could not store this record just now; your changes are kept on this device and will be sent again".into(),
                    }
                }
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(ApiError::Internal(anyhow::anyhow!(
                        "a child was not merged"
                    )))
                }
            }
        } else {
            // Not on this user's caseload (never allocated, or allocation removed): nothing is
            // stored and the tablet is told to drop its copy.
            refused += 1;
            if refused <= itemised {
                tracing::warn!(user = %auth.user.id, child = %child.child_id, "sync refused: child not on caseload");
            }
            ChildResult::Revoked
        };
        // The first `itemised` refusals get a row each; the rest are counted below.
        if allowed.contains(&child.child_id) || refused <= itemised {
            events.extend(audit_event(
                &auth,
                &child.child_id,
                child.changes.len(),
                &result,
            ));
        }
        if let ChildResult::Merged { accepted: n, .. } | ChildResult::Fallback { accepted: n, .. } =
            &result
        {
            accepted += n;
        }
        state.metrics.sync_child(&result, child.changes.len());
        children.push(ChildSyncResponse {
            child_id: child.child_id.clone(),
            result,
        });
    }
    let unitemised = not_allowed - itemised;
    if unitemised > 0 {
        tracing::warn!(user = %auth.user.id, children = unitemised, "sync refused: children not on caseload, not itemised");
        events.push(
            Event::new("sync", "refused")
                .detail(format!(
                    "{unitemised} more child(ren) not on this user's caseload refused, not itemised"
                ))
                .by(&auth),
        );
    }
    for entry in &caseload {
        if !named.contains(&entry.child_id) {
            let result = docs::initial(&state, &entry.child_id).await;
            events.extend(audit_event(&auth, &entry.child_id, 0, &result));
            children.push(ChildSyncResponse {
                child_id: entry.child_id.clone(),
                result,
            });
        }
    }
    // One append for the whole sync, before the answer goes out.
    audit::record_all_or_log(&state, &events).await;
    tracing::info!(user = %auth.user.id, children = children.len(), accepted, refused, "sync");
    Ok(Json(SyncResponse {
        children,
        caseload,
        server_time_ms: now_ms(),
    }))
}

/// What a sync did with one child, for the audit trail: changes stored or rejected, access
/// refused, or the record delivered to the device. `None` when nothing happened.
fn audit_event(
    auth: &AuthUser,
    child: &ChildId,
    sent: usize,
    result: &ChildResult,
) -> Option<Event> {
    let event = match result {
        ChildResult::Merged {
            accepted, changes, ..
        } => {
            if *accepted == 0 && changes.is_empty() && sent == 0 {
                return None;
            }
            Event::new("sync", "ok").detail(format!(
                "{accepted} change(s) stored, {} delivered",
                changes.len()
            ))
        }
        ChildResult::Fallback { accepted, .. } => {
            Event::new("sync", "ok").detail(format!("{accepted} change(s) stored (fallback)"))
        }
        ChildResult::Rejected { reason } => {
            Event::new("sync", "rejected").detail(format!("{sent} change(s) rejected: {reason}"))
        }
        ChildResult::Revoked => {
            Event::new("sync", "refused").detail("child not on this user's caseload")
        }
        ChildResult::Unavailable { .. } => Event::new("sync", "failed")
            .detail(format!("{sent} change(s) not stored: storage unavailable")),
    };
    Some(event.by(auth).child(child))
}
