//! Wire types of the caseload sync, serialised as JSON with binary fields in base64.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::CaseloadEntry;
use crate::ids::ChildId;

/// Binary payload (an Automerge change or sync message), base64 on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("binary field is not valid base64"))
    }
}

/// One tablet's sync of its whole caseload.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SyncRequest {
    pub children: Vec<ChildSyncRequest>,
    /// Concerns raised on the tablet about any child, not yet acknowledged by the server
    /// (`SyncResponse::concerns`); stored once each, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concerns: Vec<crate::api::front_door::ConcernSubmission>,
    /// The tablet waits to hear what became of concerns it raised: the answer lists them
    /// (`SyncResponse::concerns`). A tablet with none outstanding leaves it false, and the
    /// server does not look.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_concerns: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildSyncRequest {
    pub child_id: ChildId,
    /// Heads the server last acknowledged to this tablet; `None` when unknown (fallback).
    pub server_heads: Option<Vec<String>>,
    /// Changes made on the tablet beyond `server_heads`, in causal order.
    #[serde(default)]
    pub changes: Vec<Bytes>,
    /// Automerge sync-protocol message, only in fallback.
    #[serde(default)]
    pub sync_message: Option<Bytes>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub children: Vec<ChildSyncResponse>,
    /// Every child the user may now hold on the tablet, with the details the caseload shows.
    pub caseload: Vec<CaseloadEntry>,
    pub server_time_ms: i64,
    /// The account was disabled (a leaver): the changes sent were merged as usual, nothing
    /// of any record comes back, and the tablet erases everything it holds once nothing it
    /// sent is left unstored (`Unavailable`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub account_disabled: bool,
    /// Every concern this user raised (the latest first, at most a few hundred), with its
    /// outcome: the decision and its date only. A concern the request carried is here once
    /// it is stored.
    #[serde(default)]
    pub concerns: Vec<crate::api::front_door::ConcernFeedback>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildSyncResponse {
    pub child_id: ChildId,
    pub result: ChildResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChildResult {
    /// The tablet's changes are durably stored; here is what the tablet lacks.
    Merged {
        heads: Vec<String>,
        changes: Vec<Bytes>,
        /// How many of the tablet's changes were new to the server.
        accepted: usize,
    },
    /// Continue with Automerge's sync protocol for this child.
    Fallback {
        sync_message: Bytes,
        heads: Vec<String>,
        accepted: usize,
    },
    /// The child is no longer on this user's caseload; the tablet removes its copy.
    Revoked,
    /// Nothing from this child's request was stored: the policy refuses it.
    Rejected { reason: String },
    /// Nothing from this child's request was stored because the server could not store it
    /// just now (a full disk, a database restart). Not a refusal: send the same again later.
    Unavailable { reason: String },
}

/// Changes as compressed wire bytes.
pub fn encode_changes(changes: Vec<automerge::Change>) -> Vec<Bytes> {
    changes
        .into_iter()
        .map(|mut c| Bytes(c.bytes().into_owned()))
        .collect()
}
