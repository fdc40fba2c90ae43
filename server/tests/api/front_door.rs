//! The front door through the server: a school practitioner on no child's core group raises a
//! concern offline about a child whose record spells her name differently but holds the same
//! NHS number; it arrives with the sync; the front door matches and decides it; the record's
//! chronology shows it from the school; the school's tablet hears the outcome and still
//! cannot read the record. A concern about a child nobody knows makes a new record; an
//! undecided one is overdue after one working day; a caller's concern with no response flags
//! "unanswered" until someone answers it. Nobody but the front door sees the queue.

use crate::support::{stamp, today, Tablet, TestServer};
use axum::http::StatusCode;
use serde_json::json;
use shared::api::front_door::{
    ConcernChild, ConcernFeedback, ConcernOutcome, ConcernSubmission, FrontDoorAnswer, Queue,
    QueueItem, QueueState,
};
use shared::api::partnership::MatchReason;
use shared::api::TeamCaseloadRow;
use shared::record::front_door::{self, ConcernResponse, Decision, Urgency};
use shared::record::Source;
use shared::sync::{SyncRequest, SyncResponse};
use shared::ChildId;

fn submission(id: &str, name: &str, dob: &str, nhs: Option<&str>) -> ConcernSubmission {
    ConcernSubmission {
        id: id.into(),
        raised_at_ms: server::clock::now_ms() - 3_600_000,
        child: ConcernChild {
            name: name.into(),
            date_of_birth: dob.into(),
            age_years: None,
            nhs_number: nhs.map(|n| n.parse().expect("nhs")),
            address: String::new(),
            school: "Hilltop Primary School".into(),
        },
        indicators: vec!["NEG-HUNGRY-TIRED".into()],
        source: Source::Observed,
        narrative: "Bruise on her cheek; says she had no tea last night".into(),
        child_words: "Mum was cross".into(),
        urgency: Urgency::Today,
        contact: "01632 960123".into(),
    }
}

/// `tablet`'s sync carrying `concerns`; the answer's feedback.
async fn send(
    server: &TestServer,
    tablet: &mut Tablet,
    concerns: Vec<ConcernSubmission>,
) -> Vec<ConcernFeedback> {
    let mut req: SyncRequest = tablet.caseload.request();
    req.concerns = concerns;
    // As the app does while any concern it raised awaits a decision.
    req.awaiting_concerns = true;
    let (status, body) = server.post("/api/sync", Some(&tablet.token), &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: SyncResponse = serde_json::from_value(body).expect("sync response");
    tablet.caseload.apply(&resp, &tablet.actor);
    resp.concerns
}

async fn queue(server: &TestServer, token: &str) -> Vec<QueueItem> {
    let (status, body) = server.get("/api/front-door/queue", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value::<Queue>(body).expect("queue").items
}

async fn answer(
    server: &TestServer,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> QueueItem {
    let (status, body) = server.post(path, Some(token), &body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    serde_json::from_value::<FrontDoorAnswer>(body)
        .expect("answer")
        .item
}

#[tokio::test]
async fn a_schools_concern_is_matched_by_nhs_number_decided_and_answered() {
    let server = TestServer::start().await;
    let mut jo = Tablet::sign_in(&server, "jo.school").await;
    jo.sync(&server).await;
    assert!(
        jo.caseload.replicas.is_empty(),
        "the school holds no record"
    );
    // Raised offline, sent with the next sync: "Ava Thomson", the record says "Thompson".
    let concern = submission(
        "concern-jo-1",
        "Ava Thomson",
        "2016-04-12",
        Some("4505577104"),
    );
    let fed = send(&server, &mut jo, vec![concern.clone()]).await;
    let mine = fed
        .iter()
        .find(|f| f.id == "concern-jo-1")
        .expect("acknowledged");
    assert_eq!(
        mine.outcome,
        ConcernOutcome::Received {
            received_on: today()
        }
    );
    // Sent again (the answer was lost): stored once.
    send(&server, &mut jo, vec![concern]).await;

    let fran = server.login("fran.frontdoor").await;
    let items = queue(&server, &fran).await;
    assert_eq!(items.iter().filter(|i| i.id == "concern-jo-1").count(), 1);
    let item = items
        .iter()
        .find(|i| i.id == "concern-jo-1")
        .expect("queued");
    assert_eq!(item.state, QueueState::New);
    assert_eq!(item.referrer, "Jo Adams");
    assert_eq!(item.agency, "Hilltop Primary School");
    assert_eq!(item.due, shared::api::front_door::decision_due(today()));
    assert!(!item.overdue);
    let best = &item.candidates[0];
    assert_eq!(best.child.child_id.as_str(), "child-ava");
    assert_eq!(best.reasons[0], MatchReason::SameNhsNumber);

    let matched = answer(
        &server,
        &fran,
        "/api/front-door/concerns/concern-jo-1/match",
        json!({"existing": {"child_id": "child-ava"}}),
    )
    .await;
    assert_eq!(matched.state, QueueState::Matched);
    assert_eq!(matched.child_name.as_deref(), Some("Ava Thompson"));
    // Matched, not yet decided: unanswered on the record and the dashboard.
    let morgan = server.login("morgan.manager").await;
    let flags = server.record(&morgan, "child-ava").await.overview.flags();
    assert!(
        flags
            .iter()
            .any(|f| f.kind().code() == "unanswered_concern"),
        "{flags:?}"
    );
    let decided = answer(
        &server,
        &fran,
        "/api/front-door/concerns/concern-jo-1/decision",
        json!({"decision": "assessment", "note": "Second concern this term: assess within the plan"}),
    )
    .await;
    assert_eq!(decided.state, QueueState::Decided);
    assert_eq!(decided.decided_on, Some(today()));

    // The chronology shows the concern from the school, and the decision.
    let view = server.record(&morgan, "child-ava").await;
    // New since the manager last looked: the front door's answer.
    assert!(
        view.new_since
            .kinds
            .iter()
            .any(|(k, n)| k == "response to a concern" && *n == 1),
        "{:?}",
        view.new_since
    );
    let item = view
        .chronology
        .iter()
        .find(|i| i.ref_id == "concern-jo-1")
        .expect("in the chronology");
    assert_eq!(item.author, "Jo Adams");
    assert_eq!(item.agency, "Hilltop Primary School");
    assert_eq!(item.child_words, "Mum was cross");
    assert!(view
        .chronology
        .iter()
        .any(|i| i.ref_id == "decision-concern-jo-1" && i.author == "Fran Hughes"));
    assert!(!view
        .overview
        .flags()
        .iter()
        .any(|f| f.kind().code() == "unanswered_concern"));
    // The assessment's clock runs from the referral.
    assert!(view
        .overview
        .timescales
        .iter()
        .any(|t| t.kind == shared::analytics::TimescaleKind::Assessment
            && t.due == today().add_working_days(45)));
    // The allocated practitioner's tablet has both entries.
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let ava: ChildId = "child-ava".parse().expect("id");
    let on_tablet = shared::record::read_record(&sam.caseload.replicas[&ava].doc).expect("read");
    assert!(on_tablet.concerns.iter().any(|c| c.id == "concern-jo-1"));

    // The school hears the decision and its date, and still cannot read the record.
    let fed = send(&server, &mut jo, Vec::new()).await;
    assert_eq!(
        fed.iter()
            .find(|f| f.id == "concern-jo-1")
            .expect("feedback")
            .outcome,
        ConcernOutcome::Decided {
            received_on: today(),
            decision: Decision::Assessment,
            decided_on: today()
        }
    );
    assert!(jo.caseload.replicas.is_empty());
    let (status, _) = server
        .get("/api/children/child-ava/record", Some(&jo.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .get("/api/children/child-ava/chronology", Some(&jo.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A second decision on the same concern is refused; the audit trail has each step.
    let (status, _) = server
        .post(
            "/api/front-door/concerns/concern-jo-1/decision",
            Some(&fran),
            &json!({"decision": "no_further_action", "note": "Changed my mind"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let trail = server.state.store.audit_all().await.expect("audit");
    for action in [
        "concern.received",
        "front_door.queue",
        "concern.match",
        "concern.decision",
    ] {
        assert!(
            trail
                .iter()
                .any(|e| e.event.action == action && e.event.outcome == "ok"),
            "{action}"
        );
    }
    // Nothing of the concern's words is in the audit trail.
    assert!(!trail.iter().any(|e| e.event.detail.contains("Bruise")));
}

#[tokio::test]
async fn an_unknown_child_gets_a_new_record_and_late_or_unanswered_concerns_flag() {
    let server = TestServer::start().await;
    let fran = server.login("fran.frontdoor").await;
    // The demo's anonymous call about Mia, a child nobody has a record of.
    let items = queue(&server, &fran).await;
    let call = items
        .iter()
        .find(|i| i.id == "concern-demo-call")
        .expect("the demo call");
    assert_eq!(call.referrer, "Anonymous");
    let item = answer(
        &server,
        &fran,
        "/api/front-door/concerns/concern-demo-call/match",
        json!({"new": {"display_name": "Mia Canal", "date_of_birth": "2023-06-01",
                       "nhs_unknown_reason": "anonymous call, not yet known to health",
                       "address": "Flat 4, 12 Canal Street", "team_id": "north-team",
                       "not_duplicates": []}}),
    )
    .await;
    let child = item.child_id.expect("a new record");
    // On the team's dashboard, flagged until answered.
    let morgan = server.login("morgan.manager").await;
    let (status, body) = server.get("/api/team", Some(&morgan)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows: Vec<TeamCaseloadRow> = serde_json::from_value(body).expect("rows");
    let row = rows
        .iter()
        .find(|r| r.child.child_id == child)
        .expect("on the team");
    let flag = row
        .flags
        .iter()
        .find(|f| f.kind().code() == "unanswered_concern")
        .expect("unanswered");
    assert!(
        flag.detail(today()).contains("(anonymous)"),
        "{}",
        flag.detail(today())
    );

    // A concern received on a Thursday before Christmas and still undecided: due the
    // Tuesday after (bank holidays skipped), overdue now.
    let fed = {
        let mut jo = Tablet::sign_in(&server, "jo.school").await;
        send(
            &server,
            &mut jo,
            vec![submission("concern-old", "Ben Lake", "2018-01-01", None)],
        )
        .await
    };
    assert!(fed.iter().any(|f| f.id == "concern-old"));
    server
        .raw_execute(
            "UPDATE concerns SET received_on = '2025-12-24', due = '2025-12-29', \
             received_at_ms = 1766534400000 WHERE id = 'concern-old'",
        )
        .await
        .expect("backdate");
    let items = queue(&server, &fran).await;
    let old = items
        .iter()
        .find(|i| i.id == "concern-old")
        .expect("queued");
    assert!(old.overdue);
    assert_eq!(items[0].id, "concern-old", "the most overdue first");
    let new = items
        .iter()
        .find(|i| i.id != "concern-old" && i.state == QueueState::New);
    assert!(new.is_none_or(|i| !i.overdue));
}

#[tokio::test]
async fn a_callers_concern_is_unanswered_until_its_owner_responds() {
    let server = TestServer::start().await;
    let fran = server.login("fran.frontdoor").await;
    let owner = "user-sam-social";
    let due = today().add_working_days(2).to_string();
    let mut call = serde_json::to_value(submission(
        "concern-gran",
        "Leo Thompson",
        "2019-09-30",
        None,
    ))
    .expect("json");
    call["from"] = json!("family");
    call["caller_name"] = json!("Rita Thompson");
    call["relationship"] = json!("grandmother");
    call["owner"] = json!(owner);
    call["due"] = json!(due);
    let item = answer(&server, &fran, "/api/front-door/concerns", call.clone()).await;
    assert_eq!(item.owner_name, "Sam Okafor");
    // An anonymous caller with a name, or a named caller without one, is refused.
    let mut bad = call.clone();
    bad["id"] = json!("concern-bad");
    bad["from"] = json!("anonymous");
    let (status, _) = server
        .post("/api/front-door/concerns", Some(&fran), &bad)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A practitioner's call with no agency could never be written into a record: refused now.
    let mut agencyless = call.clone();
    agencyless["id"] = json!("concern-agencyless");
    agencyless["from"] = json!("professional");
    agencyless["relationship"] = json!("");
    let (status, _) = server
        .post("/api/front-door/concerns", Some(&fran), &agencyless)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    answer(
        &server,
        &fran,
        "/api/front-door/concerns/concern-gran/match",
        json!({"existing": {"child_id": "child-leo"}}),
    )
    .await;
    let morgan = server.login("morgan.manager").await;
    let view = server.record(&morgan, "child-leo").await;
    let flag = view
        .overview
        .flags()
        .into_iter()
        .find(|f| f.kind().code() == "unanswered_concern")
        .expect("unanswered");
    assert_eq!(flag.due(), Some(due.parse().expect("date")));
    let c = view
        .record
        .concerns
        .iter()
        .find(|c| c.id == "concern-gran")
        .expect("in the record");
    assert_eq!(
        c.headline(),
        "Concern from a relative or family friend (Rita Thompson, grandmother)"
    );

    // Sam, the owner, answers on the tablet; the flag goes.
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let leo: ChildId = "child-leo".parse().expect("id");
    let doc = &mut sam.caseload.replicas.get_mut(&leo).expect("leo").doc;
    front_door::add_response(
        doc,
        &ConcernResponse {
            id: "answer-gran".into(),
            concern_id: "concern-gran".into(),
            decision: Decision::StrategyDiscussion,
            note: "Grandmother saw bruising to his arms: strategy discussion today".into(),
            date: today().to_string(),
            agency: crate::support::agency("user-sam-social"),
            added: stamp("user-sam-social"),
        },
    )
    .expect("answer");
    sam.sync(&server).await;
    let view = server.record(&morgan, "child-leo").await;
    assert!(!view
        .overview
        .flags()
        .iter()
        .any(|f| f.kind().code() == "unanswered_concern"));
}

/// Nobody but a front-door account sees the queue or acts on it: not the referrer, not a
/// practitioner, not a manager of this or another team, not the administrator.
#[tokio::test]
async fn only_the_front_door_sees_and_works_the_queue() {
    let server = TestServer::start().await;
    let mut jo = Tablet::sign_in(&server, "jo.school").await;
    send(
        &server,
        &mut jo,
        vec![submission(
            "concern-jo-2",
            "Ava Thomson",
            "2016-04-12",
            None,
        )],
    )
    .await;
    // A practitioner on no child's core group, and another team's manager.
    server
        .state
        .store
        .create_team("south-team", "South team")
        .await
        .expect("team");
    server
        .new_account("kim.police", "Police", "practitioner", None)
        .await;
    server
        .new_account(
            "sid.south",
            "Children's Social Care",
            "manager",
            Some("south-team"),
        )
        .await;
    let mut tokens = Vec::new();
    for (user, password) in [
        ("kim.police", "quiet river lantern 7"),
        ("sid.south", "south side seven gates"),
    ] {
        tokens.push((
            user,
            crate::partnership::first_sign_in(&server, user, password).await,
        ));
    }
    for user in [
        "jo.school",
        "hana.health",
        "sam.social",
        "morgan.manager",
        "ada.admin",
    ] {
        tokens.push((user, server.login(user).await));
    }
    for (user, token) in tokens {
        if ["jo.school", "kim.police", "sid.south"].contains(&user) {
            for path in [
                "/api/children/child-ava/record",
                "/api/children/child-ava/chronology",
            ] {
                let (status, _) = server.get(path, Some(&token)).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{user} reads {path}");
            }
        }
        let (status, _) = server.get("/api/front-door/queue", Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} reads the queue");
        let (status, _) = server
            .post(
                "/api/front-door/concerns/concern-jo-2/match",
                Some(&token),
                &json!({"existing": {"child_id": "child-ava"}}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} matches");
        let (status, _) = server
            .post(
                "/api/front-door/concerns/concern-jo-2/decision",
                Some(&token),
                &json!({"decision": "no_further_action", "note": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} decides");
    }
    let (status, _) = server.get("/api/front-door/queue", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another user's concern id cannot be taken over: refused, the first one kept.
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    let mut forged = submission("concern-jo-2", "Someone Else", "2010-01-01", None);
    forged.narrative = "Overwritten".into();
    let fed = send(&server, &mut hana, vec![forged]).await;
    assert!(matches!(
        fed.iter()
            .find(|f| f.id == "concern-jo-2")
            .map(|f| &f.outcome),
        Some(ConcernOutcome::Refused { .. })
    ));
    let stored = server
        .state
        .store
        .concern("concern-jo-2")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.submission.child.name, "Ava Thomson");
    // A malformed concern is refused with a reason; the sync itself succeeds.
    let mut empty = submission("concern-empty", "Ava", "", None);
    empty.narrative.clear();
    empty.child_words.clear();
    empty.indicators.clear();
    let fed = send(&server, &mut jo, vec![empty]).await;
    assert!(matches!(
        fed.iter()
            .find(|f| f.id == "concern-empty")
            .map(|f| &f.outcome),
        Some(ConcernOutcome::Refused { .. })
    ));
    // Too many concerns in one sync: refused whole, before anything is stored.
    let many: Vec<_> = (0..=shared::api::front_door::MAX_CONCERNS_PER_SYNC)
        .map(|i| submission(&format!("concern-many-{i}"), "Ava", "", None))
        .collect();
    let mut req: SyncRequest = jo.caseload.request();
    req.concerns = many;
    let (status, _) = server.post("/api/sync", Some(&jo.token), &req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(server
        .state
        .store
        .concern("concern-many-0")
        .await
        .expect("read")
        .is_none());
    assert!(server
        .state
        .store
        .concern("concern-empty")
        .await
        .expect("read")
        .is_none());
}

/// A sync that sends no concern and awaits none hears of none: the server does not look.
#[tokio::test]
async fn a_sync_that_awaits_no_concern_hears_of_none() {
    let server = TestServer::start().await;
    let mut jo = Tablet::sign_in(&server, "jo.school").await;
    let req = jo.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&jo.token), &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp: SyncResponse = serde_json::from_value(body).expect("sync response");
    assert!(resp.concerns.is_empty());
    // Awaiting, the demo's decided concern from Jo's school is reported.
    let fed = send(&server, &mut jo, Vec::new()).await;
    assert!(matches!(
        fed.iter()
            .find(|f| f.id == "concern-demo-ava")
            .map(|f| &f.outcome),
        Some(ConcernOutcome::Decided {
            decision: Decision::Assessment,
            ..
        })
    ));
}
