//! JSON types of the HTTP API other than sync: sign-in, caseloads, chronology, errors.

use serde::{Deserialize, Serialize};

use crate::ids::{ChildId, UserId};

pub mod front_door;
pub mod partnership;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Practitioner,
    Manager,
    Admin,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Practitioner => "practitioner",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(s: &str) -> Option<Role> {
        [Role::Practitioner, Role::Manager, Role::Admin]
            .into_iter()
            .find(|r| r.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The tablet's device id; the session is bound to it and the server accepts changes only
    /// from Automerge actors that start with it.
    #[serde(default)]
    pub device_id: Option<crate::ids::DeviceId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub agency: String,
    pub role: Role,
    /// The partnership's thresholds and practice standards (visit cadence, debriefs,
    /// challenge clocks), so the tablet's flags are the server's, offline too.
    #[serde(default)]
    pub thresholds: crate::analytics::Thresholds,
    /// Works the front door: sees the queue of concerns, matches and decides them.
    #[serde(default)]
    pub front_door: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token; sent in the `Authorization` header, never in a URL.
    pub token: String,
    pub expires_at_ms: i64,
    pub user: UserInfo,
    /// Exchanged at `POST /api/refresh` for a new access token and a new refresh token; each
    /// refresh token works once.
    #[serde(default)]
    pub refresh_token: String,
    #[serde(default)]
    pub refresh_expires_at_ms: i64,
    /// The password was set by an administrator: until the user chooses their own
    /// (`POST /api/password`), this session can do nothing else.
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A child as a caseload lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseloadEntry {
    pub child_id: ChildId,
    pub display_name: String,
    /// `YYYY-MM-DD`
    pub date_of_birth: String,
    pub legal_status: String,
}

/// A row of the manager's team caseload, from the server's read model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamCaseloadRow {
    pub child: CaseloadEntry,
    pub allocated_to: Vec<String>,
    pub observation_count: u32,
    pub indicator_count: u32,
    pub authors: u32,
    /// When the latest observation happened, `YYYY-MM-DD...`
    pub last_occurred: Option<String>,
    /// Flags computed by `analytics::Overview::flags` as of the server's today.
    #[serde(default)]
    pub flags: Vec<crate::analytics::Flag>,
    /// What other people and agencies added since this manager last opened the record.
    #[serde(default)]
    pub new_since: crate::analytics::since::NewSince,
}

/// The error body every failed API call returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `unauthorised`, `bad_request`.
    pub error: String,
    /// A sentence for a person; never contains record contents.
    pub message: String,
}

/// `GET /api/children/{id}/chronology?offset=&limit=`: a child's chronology from the server's
/// read model, or one page of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChronologyResponse {
    pub child: CaseloadEntry,
    /// Oldest first: the whole chronology (`analytics::chronology`, the same items the page,
    /// the CSV and the print view list), or the page asked for.
    pub entries: Vec<crate::analytics::ChronologyItem>,
    /// Where this page starts, and how many entries the whole chronology has.
    pub offset: i64,
    pub total: i64,
}

/// `GET /api/children/{id}/record`: everything a manager's child overview shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordResponse {
    pub child: CaseloadEntry,
    pub record: crate::record::Record,
    pub overview: crate::analytics::Overview,
    pub chronology: Vec<crate::analytics::ChronologyItem>,
    /// The stored document's version this was read at (or a later one); the page asks the
    /// server whether it has moved on (`GET /api/children/{id}/changes?since=`).
    #[serde(default)]
    pub version: i64,
    /// What other people and agencies added since this user last opened the record.
    #[serde(default)]
    pub new_since: crate::analytics::since::NewSince,
}

/// The answer to `GET /api/children/{id}/changes?since=N`: the version of the child's record
/// now, which differs from `N` when there is something new to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesResponse {
    pub version: i64,
}
