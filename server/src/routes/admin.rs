//! Running the partnership over HTTP: accounts, teams and imports (`/api/admin/…`, role
//! `admin`), the agency directory (read by everyone signed in), children's details and search
//! (`/api/children`, administrators and managers) and core groups
//! (`/api/children/{id}/allocations`, the child's team manager). The rules are `admin::Admin`'s;
//! this module is only the HTTP shapes.
//!
//! Names, dates of birth and NHS numbers travel only in bodies: a search is a `POST`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use shared::api::partnership::{
    AccountEdit, AccountInfo, Agency, Allocation, ChildDetails, ChildFields, ChildSearch,
    ChildSearchResponse, CoreGroup, EndAllocation, ImportReport, ImportRequest, NewAccount,
    NewAllocation, NewChildRequest, PasswordReset, Person, Team,
};
use shared::api::ErrorBody;
use shared::{ChildId, UserId};

use crate::admin::{Admin, Denied};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiJson};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(accounts).post(create_account))
        .route("/api/admin/users/{user_id}", put(edit_account))
        .route("/api/admin/users/{user_id}/password", post(reset_password))
        .route("/api/admin/users/{user_id}/disable", post(disable))
        .route("/api/admin/users/{user_id}/enable", post(enable))
        .route(
            "/api/admin/devices/{device_id}/release",
            post(release_device),
        )
        .route("/api/admin/teams", get(teams).post(create_team))
        .route("/api/admin/teams/{team_id}", put(rename_team))
        .route("/api/admin/agencies", post(create_agency))
        .route("/api/admin/agencies/{agency_id}", put(edit_agency))
        .route("/api/admin/import", post(import))
        .route("/api/agencies", get(agencies))
        .route("/api/people", get(people))
        .route("/api/children", post(create_child))
        .route("/api/children/search", post(search))
        .route(
            "/api/children/{child_id}/details",
            get(child).put(update_child),
        )
        .route(
            "/api/children/{child_id}/allocations",
            get(core_group).post(allocate),
        )
        .route(
            "/api/children/{child_id}/allocations/{allocation_id}/end",
            post(end_allocation),
        )
        .route("/api/children/{child_id}/merge", post(merge))
}

#[derive(serde::Deserialize)]
struct MergeRequest {
    /// The record that stays.
    into: String,
}

/// "Same child": the record `child_id` is merged into `into` (every entry copied, the old id
/// redirects, the core group moves).
async fn merge(
    State(admin): State<Admin>,
    State(documents): State<std::sync::Arc<crate::merge::Documents>>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (dup, stays) = (child_id(&id)?, child_id(&req.into)?);
    let by = auth.actor();
    admin.check_merge(&by, &dup, &stays).await?;
    let copied = documents.copy_same_child(&dup, &stays).await?;
    admin
        .finish_merge(&by, &dup, &stays, copied.entries)
        .await?;
    // A tablet may have synced into the old record between the copy and the mark: copy what
    // came meanwhile (later syncs into the old record are copied by the sync itself).
    let late = documents.copy_same_child(&dup, &stays).await?;
    let copied = shared::record::same_child::Copied {
        entries: copied.entries + late.entries,
        ..copied
    };
    Ok(Json(serde_json::json!({
        "merged_into": stays,
        "copied": copied.entries,
        "already": copied.already,
        "plan_copied": copied.plan,
    })))
}

fn user_id(s: &str) -> Result<UserId, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn child_id(s: &str) -> Result<ChildId, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}

async fn accounts(
    State(admin): State<Admin>,
    auth: AuthUser,
) -> Result<Json<Vec<AccountInfo>>, ApiError> {
    Ok(Json(admin.accounts(&auth.actor()).await?))
}

async fn create_account(
    State(admin): State<Admin>,
    auth: AuthUser,
    ApiJson(new): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<UserId>), ApiError> {
    let id = admin.create_account(&auth.actor(), new, true).await?;
    Ok((StatusCode::CREATED, Json(id)))
}

async fn edit_account(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<AccountEdit>,
) -> Result<StatusCode, ApiError> {
    admin
        .edit_account(&auth.actor(), &user_id(&id)?, edit)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_password(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    admin
        .reset_password(&auth.actor(), &user_id(&id)?, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.disable(&auth.actor(), &user_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.enable(&auth.actor(), &user_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn release_device(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(device): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.release_device(&auth.actor(), &device).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn teams(State(admin): State<Admin>, auth: AuthUser) -> Result<Json<Vec<Team>>, ApiError> {
    // Managers see team names too (their own among them); practitioners have no use for them.
    if auth.user.role == shared::api::Role::Practitioner {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(admin.teams().await?))
}

#[derive(serde::Deserialize)]
struct TeamName {
    name: String,
}

async fn create_team(
    State(admin): State<Admin>,
    auth: AuthUser,
    ApiJson(req): ApiJson<TeamName>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    let team = admin.create_team(&auth.actor(), &req.name).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

async fn rename_team(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TeamName>,
) -> Result<StatusCode, ApiError> {
    admin.rename_team(&auth.actor(), &id, &req.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn agencies(
    State(admin): State<Admin>,
    _auth: AuthUser,
) -> Result<Json<Vec<Agency>>, ApiError> {
    Ok(Json(admin.agencies().await?))
}

async fn create_agency(
    State(admin): State<Admin>,
    auth: AuthUser,
    ApiJson(mut agency): ApiJson<Agency>,
) -> Result<(StatusCode, Json<Agency>), ApiError> {
    agency.id.clear();
    let saved = admin.put_agency(&auth.actor(), agency).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

async fn edit_agency(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(mut agency): ApiJson<Agency>,
) -> Result<Json<Agency>, ApiError> {
    if id.is_empty() {
        return Err(ApiError::NotFound);
    }
    agency.id = id;
    Ok(Json(admin.put_agency(&auth.actor(), agency).await?))
}

async fn import(
    State(admin): State<Admin>,
    auth: AuthUser,
    ApiJson(req): ApiJson<ImportRequest>,
) -> Result<Json<ImportReport>, ApiError> {
    Ok(Json(admin.import(&auth.actor(), req).await?))
}

async fn people(State(admin): State<Admin>, auth: AuthUser) -> Result<Json<Vec<Person>>, ApiError> {
    Ok(Json(admin.people(&auth.actor()).await?))
}

/// A new child; 409 with the likely duplicates (as `matches`) while any is not judged.
async fn create_child(
    State(admin): State<Admin>,
    auth: AuthUser,
    ApiJson(req): ApiJson<NewChildRequest>,
) -> Result<Response, ApiError> {
    match admin.create_child(&auth.actor(), req).await {
        Ok(details) => Ok((StatusCode::CREATED, Json(details)).into_response()),
        Err(e @ Denied::LikelyDuplicates(_)) => {
            let message = e.to_string();
            let Denied::LikelyDuplicates(matches) = e else {
                unreachable!("matched above")
            };
            Ok(duplicates_response(message, matches))
        }
        Err(e) => Err(e.into()),
    }
}

/// The refusal of a new child for likely duplicates: the usual error body and the matches.
fn duplicates_response(
    message: String,
    matches: Vec<shared::api::partnership::ChildMatch>,
) -> Response {
    #[derive(serde::Serialize)]
    struct Body {
        #[serde(flatten)]
        error: ErrorBody,
        #[serde(flatten)]
        found: ChildSearchResponse,
    }
    let body = Body {
        error: ErrorBody {
            error: "likely_duplicates".into(),
            message,
        },
        found: ChildSearchResponse { matches },
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
}

async fn search(
    State(admin): State<Admin>,
    auth: AuthUser,
    ApiJson(q): ApiJson<ChildSearch>,
) -> Result<Json<ChildSearchResponse>, ApiError> {
    let matches = admin.search(&auth.actor(), &q).await?;
    Ok(Json(ChildSearchResponse { matches }))
}

async fn child(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ChildDetails>, ApiError> {
    Ok(Json(admin.child(&auth.actor(), &child_id(&id)?).await?))
}

async fn update_child(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(fields): ApiJson<ChildFields>,
) -> Result<StatusCode, ApiError> {
    admin
        .update_child(&auth.actor(), &child_id(&id)?, fields)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn core_group(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CoreGroup>, ApiError> {
    Ok(Json(
        admin.core_group(&auth.actor(), &child_id(&id)?).await?,
    ))
}

async fn allocate(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewAllocation>,
) -> Result<(StatusCode, Json<Allocation>), ApiError> {
    let allocation = admin.allocate(&auth.actor(), &child_id(&id)?, new).await?;
    Ok((StatusCode::CREATED, Json(allocation)))
}

async fn end_allocation(
    State(admin): State<Admin>,
    auth: AuthUser,
    Path((id, allocation)): Path<(String, String)>,
    ApiJson(end): ApiJson<EndAllocation>,
) -> Result<StatusCode, ApiError> {
    admin
        .end_allocation(&auth.actor(), &child_id(&id)?, &allocation, end)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
