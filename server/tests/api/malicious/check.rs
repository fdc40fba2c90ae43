//! How a case is judged: refused with a clear reason that echoes no record content, every
//! stored record and read model byte-for-byte unchanged, and one audit row naming the user and
//! child.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use server::audit::Entry;
use shared::validate::Rejection;

use super::fixture::{id, Fixture, ALL_CHILDREN, MARK};
use crate::support::TestServer;

/// What a refusal looks like.
#[derive(Debug)]
pub enum Expect {
    /// Refused by the HTTP layer before any child was looked at: status, error code, message.
    Http(StatusCode, &'static str, &'static str),
    /// 200, and this child's changes rejected with this reason.
    Rejected(&'static str, Reason),
    /// 200, and this child answered `revoked`: not the user's to sync.
    Revoked(&'static str),
    /// 200, this child answered with this status and nothing accepted: a duplicate or
    /// undeliverable change has no effect.
    NoEffect(&'static str, &'static str),
}
use Expect::*;

#[derive(Debug)]
pub enum Reason {
    /// The change policy's reason.
    Policy(Rejection),
    /// A reason from decoding, applying or bounding the request.
    Text(&'static str),
}

impl Reason {
    pub fn text(&self) -> String {
        match self {
            Reason::Policy(r) => r.to_string(),
            Reason::Text(t) => (*t).to_owned(),
        }
    }
}

pub fn policy(r: Rejection) -> Reason {
    Reason::Policy(r)
}

/// The request a case sends, built on the fixture.
pub type Build = Box<dyn Fn(&Fixture) -> Request<Body> + Send + Sync>;

pub struct Case {
    pub name: String,
    /// Who sends it (`None`: nobody is signed in); the audit row about the child names them.
    pub user: Option<&'static str>,
    pub expect: Expect,
    pub build: Build,
}

pub fn case(
    name: impl Into<String>,
    user: Option<&'static str>,
    expect: Expect,
    build: impl Fn(&Fixture) -> Request<Body> + Send + Sync + 'static,
) -> Case {
    Case {
        name: name.into(),
        user,
        expect,
        build: Box::new(build),
    }
}

/// Every child's stored document and read-model record, straight from the store (reading
/// through the API would add audit rows of its own).
pub async fn stored_state(server: &TestServer) -> Vec<(Option<Vec<u8>>, Vec<Vec<u8>>, String)> {
    let mut out = Vec::new();
    for child in ALL_CHILDREN {
        let (snapshot, changes) = server.stored(child).await;
        let record = server.state.store.record(&id(child)).await.expect("record");
        out.push((
            snapshot,
            changes,
            serde_json::to_string(&record).expect("json"),
        ));
    }
    out
}

/// Texts that must never appear in a response or an audit row: every stored narrative and
/// child's words, and the mark in every forged text.
pub async fn record_contents(server: &TestServer) -> Vec<String> {
    let mut out = vec![MARK.to_owned()];
    for child in ALL_CHILDREN {
        let record = server.state.store.record(&id(child)).await.expect("record");
        for o in record.observations {
            out.extend(
                [o.narrative, o.child_words]
                    .into_iter()
                    .filter(|t| !t.is_empty()),
            );
        }
    }
    out
}

pub async fn audit_trail(server: &TestServer) -> Vec<Entry> {
    server.state.store.audit_all().await.expect("audit")
}

fn result_for<'a>(body: &'a Value, child: &str) -> &'a Value {
    &body["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["child_id"] == child)
        .unwrap_or_else(|| panic!("{child} answered: {body}"))["result"]
}

pub async fn check(server: &TestServer, fixture: &Fixture, case: &Case, contents: &[String]) {
    let name = &case.name;
    let before = stored_state(server).await;
    let audited_before = audit_trail(server).await.len();

    let (status, body) = server.request((case.build)(fixture)).await;

    // (1) A refusal with a clear reason.
    match &case.expect {
        Http(expected, code, message) => {
            assert_eq!(status, *expected, "{name}: {body}");
            assert_eq!(body["error"], *code, "{name}: {body}");
            let text = body["message"].as_str().unwrap_or_default();
            assert!(text.contains(message), "{name}: message {text:?}");
        }
        Rejected(child, reason) => {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            let result = result_for(&body, child);
            assert_eq!(result["status"], "rejected", "{name}: {result}");
            let text = result["reason"].as_str().unwrap_or_default();
            assert!(
                text.contains(&reason.text()),
                "{name}: reason {text:?}, expected {reason:?}"
            );
        }
        Revoked(child) => {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            assert_eq!(result_for(&body, child)["status"], "revoked", "{name}");
            assert!(
                !body["caseload"].to_string().contains(child),
                "{name}: {child} offered in the caseload"
            );
        }
        NoEffect(child, expected) => {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            let result = result_for(&body, child);
            assert_eq!(result["status"], *expected, "{name}: {result}");
            assert_eq!(result["accepted"], 0, "{name}: {result}");
        }
    }
    let text = body.to_string();
    for content in contents {
        assert!(
            !text.contains(content.as_str()),
            "{name}: the response echoes record content"
        );
    }

    // (2) Nothing stored, for any child.
    assert!(
        stored_state(server).await == before,
        "{name}: a stored record changed"
    );

    // (3) Audited against the user and the child.
    let trail = audit_trail(server).await;
    let new = &trail[audited_before..];
    for row in new {
        for content in contents {
            assert!(
                !row.event.detail.contains(content.as_str()),
                "{name}: record content in the audit trail"
            );
        }
    }
    let about = |child: &str| -> Vec<&Entry> {
        new.iter()
            .filter(|e| e.event.child_id.as_deref() == Some(child))
            .collect()
    };
    let (child, outcome, detail) = match &case.expect {
        // Refused before the server acted on any child: nobody signed in, or a body it could
        // not read or would not take. The server audits what it does with each child, and it
        // did nothing with any, so no row may name one; that nothing was stored is checked above.
        Http(..) => {
            assert!(
                new.iter().all(|e| e.event.child_id.is_none()),
                "{name}: {new:?}"
            );
            return;
        }
        Rejected(child, reason) => (*child, "rejected", reason.text()),
        Revoked(child) => (
            *child,
            "refused",
            "child not on this user's caseload".to_owned(),
        ),
        NoEffect(child, _) => (*child, "ok", "0 change(s) stored".to_owned()),
    };
    let rows = about(child);
    assert_eq!(rows.len(), 1, "{name}: one audit row for {child}: {rows:?}");
    let event = &rows[0].event;
    assert_eq!(event.user_id.as_deref(), case.user, "{name}");
    assert_eq!(
        (event.action.as_str(), event.outcome.as_str()),
        ("sync", outcome),
        "{name}"
    );
    assert!(
        event.detail.contains(&detail),
        "{name}: audit detail {:?}",
        event.detail
    );
}
