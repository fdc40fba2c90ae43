//! `POST /api/sync`: the whole caseload in one request and response.

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use shared::sync::{Answer, CaseloadSync, ChildResult, SyncRequest, SyncResponse};
use shared::ChildId;

use crate::audit::Event;
use crate::auth::{AuthUser, SyncUser};
use crate::clock::now_ms;
use crate::error::{body_error, ApiError, ApiJson};
use crate::merge::MergeError;
use crate::sessions::Access;
use crate::state::AppState;

/// The route template; `observe` times requests to it for the sync latency histogram.
pub const PATH: &str = "/api/sync";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, post(sync))
}

/// How far a compact sync body may inflate: the largest JSON body accepted.
pub const MAX_INFLATED_SYNC: usize = 16 * 1024 * 1024;

/// A sync request in either form: compact (`shared::sync::wire`, `Content-Type:
/// application/vnd.quilt.sync`, what the app sends) or JSON (older tablets, debugging).
pub struct SyncBody(pub SyncRequest);

impl<S: Send + Sync> axum::extract::FromRequest<S> for SyncBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        use shared::sync::wire;
        let compact = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(wire::CONTENT_TYPE));
        if !compact {
            let ApiJson(r) = ApiJson::from_request(req, state).await?;
            return Ok(SyncBody(r));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|b| body_error(&b))?;
        wire::decode_request(&bytes, MAX_INFLATED_SYNC)
            .map(SyncBody)
            .map_err(|e| match e {
                wire::WireError::TooLarge(_) => ApiError::TooLarge,
                e => ApiError::BadRequest(format!("the compact sync body is malformed: {e}")),
            })
    }
}

async fn sync(
    State(state): State<AppState>,
    SyncUser(auth): SyncUser,
    SyncBody(req): SyncBody,
) -> Result<Json<SyncResponse>, ApiError> {
    // A leaver's tablet within the grace period: what it sends is merged (into the children
    // still allocated to it), and nothing of any record goes back.
    let leaving = auth.access == Access::Leaving;
    let caseload = state.store.caseload(&auth.user).await?;
    // Children the tablet names that were merged into one on its caseload ("same child"):
    // what it sends is stored into the old record as usual, then copied into the one that
    // stays, and the tablet is told to drop the old one (it holds the one that stays).
    let redirected = redirected(&state, &req, &caseload).await?;
    // The caseload itself, unless some merged-away children are planned with it.
    let mut planned = std::borrow::Cow::Borrowed(&caseload[..]);
    for dup in redirected.keys() {
        planned.to_mut().extend(state.store.child(dup).await?);
    }
    let plan = CaseloadSync::plan(&req, &planned, state.config.max_children_per_sync)
        .map_err(|refusal| ApiError::BadRequest(refusal.to_string()))?;
    // Refused before anything is merged, so a refusal stores nothing.
    if req.concerns.len() > shared::api::front_door::MAX_CONCERNS_PER_SYNC {
        return Err(ApiError::BadRequest(format!(
            "a sync may carry at most {} concerns",
            shared::api::front_door::MAX_CONCERNS_PER_SYNC
        )));
    }
    let sender = auth.sender();
    let to_merge = plan.to_merge();
    let results = state.documents.merge_caseload(&sender, &to_merge).await;
    let mut merged = Vec::with_capacity(to_merge.len());
    for (req, done) in to_merge.iter().zip(results) {
        merged.push(match done {
            Ok(result) => result,
            // One child's storage failure must not block acknowledging the others.
            Err(e @ (MergeError::Unavailable(_) | MergeError::Contended | MergeError::Quarantined)) => {
                tracing::error!(error = %e, child = %req.child_id, "storing merge failed");
                ChildResult::Unavailable {
                    reason: "the server could not store this record just now; your changes are kept on this device and will be sent again".into(),
                }
            }
            Err(e) => return Err(e.into()),
        });
    }
    // Merged-away children answered `revoked` once what they brought is stored: how many
    // changes each brought, for the audit trail.
    let mut moved: HashMap<ChildId, usize> = HashMap::new();
    for (req, result) in to_merge.iter().zip(merged.iter_mut()) {
        let Some(survivor) = redirected.get(&req.child_id) else {
            continue;
        };
        let ChildResult::Merged { accepted, .. } = result else {
            continue;
        };
        moved.insert(req.child_id.clone(), *accepted);
        if *accepted > 0 {
            if let Err(e) = state
                .documents
                .copy_same_child(&req.child_id, survivor)
                .await
            {
                // Stored in the old record; the next sync (or a manager's merge) copies it.
                tracing::error!(error = %e, child = %req.child_id, "copying into the merged record failed");
                continue;
            }
        }
        *result = ChildResult::Revoked;
    }
    let mut sent = Vec::new();
    if !leaving {
        for child in plan.to_send() {
            sent.push(state.documents.initial(child).await);
        }
    }
    if leaving {
        for result in &mut merged {
            match result {
                ChildResult::Merged { changes, .. } => changes.clear(),
                ChildResult::Fallback { sync_message, .. } => sync_message.0.clear(),
                _ => {}
            }
        }
    }
    // Children the user may not see are each audited, up to a bound per user per window (a
    // request naming hundreds of made-up children must not flood the trail); the rest of this
    // request's are counted in one summary row.
    let refused = plan.refused();
    let itemised = state
        .itemised_refusals
        .take(auth.user.id.as_str(), now_ms(), refused.len());
    for child in refused.iter().take(itemised) {
        tracing::warn!(user = %auth.user.id, child = %child, "sync refused: child not on caseload");
    }
    let not_itemised: HashSet<&ChildId> = refused.iter().skip(itemised).copied().collect();
    let mut events = Vec::new();
    let mut children = Vec::new();
    let mut accepted = 0usize;
    for Answer {
        response,
        named,
        sent,
    } in plan.answer(merged, sent)
    {
        if let Some(n) = moved.get(&response.child_id) {
            let into = redirected.get(&response.child_id).map(ToString::to_string);
            events.push(
                auth.audit("sync", "ok")
                    .child(&response.child_id)
                    .detail(format!(
                        "{n} change(s) stored into a record merged into {}, copied there; the device drops it",
                        into.unwrap_or_default()
                    )),
            );
        } else if !not_itemised.contains(&response.child_id) {
            events.extend(audit_event(
                &auth,
                &response.child_id,
                sent,
                &response.result,
            ));
        }
        if let ChildResult::Merged { accepted: n, .. } | ChildResult::Fallback { accepted: n, .. } =
            &response.result
        {
            accepted += n;
        }
        if named {
            state.metrics.sync_child(&response.result, sent);
        }
        children.push(response);
    }
    if !not_itemised.is_empty() {
        let unitemised = not_itemised.len();
        tracing::warn!(user = %auth.user.id, children = unitemised, "sync refused: children not on caseload, not itemised");
        events.push(auth.audit("sync", "refused").detail(format!(
            "{unitemised} more child(ren) not on this user's caseload refused, not itemised"
        )));
    }
    // One append for the whole sync, before the answer goes out.
    state.audit.record_all_or_log(&events).await;
    tracing::info!(user = %auth.user.id, children = children.len(), accepted, refused = refused.len(), leaving, "sync");
    if leaving {
        state
            .audit
            .record_or_log(auth.audit("sync", "account_disabled").detail(format!(
                "last upload of a disabled account: {accepted} change(s) stored; the device is told to erase"
            )))
            .await;
        children.retain(|c| plan_named(&req, &c.child_id));
    }
    // Concerns the tablet raised about any child: stored once each; the answer tells the
    // referrer where each of theirs stands (the decision and its date, nothing more).
    let concerns = state
        .front_door
        .receive(
            &auth.actor(),
            &auth.user,
            &req.concerns,
            req.awaiting_concerns,
        )
        .await?;
    Ok(Json(SyncResponse {
        children,
        caseload: if leaving { Vec::new() } else { caseload },
        server_time_ms: now_ms(),
        account_disabled: leaving,
        concerns,
    }))
}

/// The children `req` names that are not on `caseload` but were merged into one that is:
/// each with the child it was merged into.
async fn redirected(
    state: &AppState,
    req: &SyncRequest,
    caseload: &[shared::api::CaseloadEntry],
) -> Result<HashMap<ChildId, ChildId>, ApiError> {
    let held = |c: &ChildId| caseload.iter().any(|e| &e.child_id == c);
    let off: Vec<ChildId> = req
        .children
        .iter()
        .map(|c| c.child_id.clone())
        .filter(|c| !held(c))
        .collect();
    if off.is_empty() {
        return Ok(HashMap::new());
    }
    let mut merged = state.store.merged_into(&off).await?;
    merged.retain(|_, survivor| held(survivor));
    Ok(merged)
}

/// Whether the tablet named `child` in its request.
fn plan_named(req: &SyncRequest, child: &ChildId) -> bool {
    req.children.iter().any(|c| &c.child_id == child)
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
    Some(
        event
            .by(auth.user.id.as_str(), auth.device_id.as_deref())
            .child(child),
    )
}
