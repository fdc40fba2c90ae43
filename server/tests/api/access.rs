//! The access matrix: every role × every endpoint × allocated / not allocated / formerly
//! allocated (and another team's child for managers). Zero wrong grants, and every successful
//! read of a child's record is in the audit trail.
//!
//! tidy: long file — the matrix is one table of every endpoint by role, read as a whole.

use crate::support::{Tablet, TestServer};
use axum::http::StatusCode;
use shared::api::CaseloadEntry;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allowed,
    Denied,
}
use Expect::*;

/// Child-scoped read endpoints.
const READS: &[&str] = &[
    "chronology",
    "record",
    "chronology.csv",
    "chronology-anonymised.csv",
];

async fn setup() -> TestServer {
    let server = TestServer::start().await;
    let store = &server.state.store;
    store
        .create_team("south-team", "South team")
        .await
        .expect("team");
    store
        .create_child(
            &CaseloadEntry {
                child_id: "child-south".parse().expect("id"),
                display_name: "Sol South".into(),
                date_of_birth: "2015-05-05".into(),
                legal_status: "Child in need".into(),
            },
            "south-team",
        )
        .await
        .expect("child");
    // Mia used to be on Sam's caseload.
    store
        .deallocate(
            &"child-mia".parse().expect("id"),
            &"user-sam-social".parse().expect("id"),
        )
        .await
        .expect("deallocate");
    server
}

async fn sync_status(server: &TestServer, who: &str, child: &str) -> Expect {
    let mut tablet = Tablet::sign_in(server, who).await;
    let replica = shared::sync::Replica::new(child.parse().expect("id"), tablet.actor.clone());
    tablet
        .caseload
        .replicas
        .insert(child.parse().expect("id"), replica);
    let req = tablet.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&tablet.token), &req).await;
    assert_eq!(status, StatusCode::OK);
    let result = body["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|c| c["child_id"] == child)
        .expect("answered")["result"]["status"]
        .clone();
    if result == "revoked" {
        Denied
    } else {
        Allowed
    }
}

async fn reads_audited(server: &TestServer, user: &str, child: &str) -> usize {
    server
        .state
        .store
        .audit_for_child(&child.parse().expect("id"))
        .await
        .expect("audit")
        .iter()
        .filter(|e| {
            e.event.user_id.as_deref() == Some(user) && e.event.action.starts_with("read.")
                || e.event.user_id.as_deref() == Some(user) && e.event.action.starts_with("export.")
        })
        .count()
}

#[tokio::test]
async fn every_role_every_endpoint_every_allocation() {
    let server = setup().await;
    // (username, user id, child, expected) — the child-scoped matrix.
    let matrix: &[(&str, &str, &str, Expect)] = &[
        ("sam.social", "user-sam-social", "child-ava", Allowed), // allocated
        ("sam.social", "user-sam-social", "child-noah", Denied), // never allocated
        ("sam.social", "user-sam-social", "child-mia", Denied),  // formerly allocated
        ("sam.social", "user-sam-social", "child-south", Denied), // other team
        ("hana.health", "user-hana-health", "child-noah", Allowed),
        ("hana.health", "user-hana-health", "child-zara", Denied),
        (
            "morgan.manager",
            "user-morgan-manager",
            "child-noah",
            Allowed,
        ), // team child
        (
            "morgan.manager",
            "user-morgan-manager",
            "child-mia",
            Allowed,
        ),
        (
            "morgan.manager",
            "user-morgan-manager",
            "child-south",
            Denied,
        ), // another team
        ("ada.admin", "user-ada-admin", "child-ava", Denied), // admins manage accounts
        ("ada.admin", "user-ada-admin", "child-south", Denied),
    ];
    let mut wrong = Vec::new();
    for &(username, user_id, child, expected) in matrix {
        let token = server.login(username).await;
        for endpoint in READS {
            let before = reads_audited(&server, user_id, child).await;
            let (status, _) = server
                .get(&format!("/api/children/{child}/{endpoint}"), Some(&token))
                .await;
            let got = if status == StatusCode::OK {
                Allowed
            } else {
                Denied
            };
            if got != expected {
                wrong.push(format!("{username} {endpoint} {child}: {status}"));
            }
            if got == Allowed && reads_audited(&server, user_id, child).await != before + 1 {
                wrong.push(format!("{username} {endpoint} {child}: read not audited"));
            }
            if got == Denied && status != StatusCode::NOT_FOUND {
                wrong.push(format!(
                    "{username} {endpoint} {child}: denied with {status}, expected 404"
                ));
            }
        }
        // The audit trail: managers of the child's team only.
        let (status, _) = server
            .get(&format!("/api/children/{child}/audit"), Some(&token))
            .await;
        let audit_expected = if username == "morgan.manager" && expected == Allowed {
            StatusCode::OK
        } else if username == "morgan.manager" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        if status != audit_expected {
            wrong.push(format!(
                "{username} audit {child}: {status}, expected {audit_expected}"
            ));
        }
        if username != "ada.admin" {
            let got = sync_status(&server, username, child).await;
            if got != expected {
                wrong.push(format!("{username} sync {child}: {got:?}"));
            }
        }
    }
    // Team dashboard: managers only.
    for (username, expected) in [
        ("sam.social", StatusCode::FORBIDDEN),
        ("morgan.manager", StatusCode::OK),
        ("ada.admin", StatusCode::FORBIDDEN),
    ] {
        let token = server.login(username).await;
        let (status, _) = server.get("/api/team", Some(&token)).await;
        if status != expected {
            wrong.push(format!("{username} team: {status}"));
        }
    }
    // No token at all: everything is 401.
    for path in [
        "/api/team",
        "/api/me",
        "/api/children/child-ava/record",
        "/api/children/child-ava/audit",
    ] {
        let (status, _) = server.get(path, None).await;
        if status != StatusCode::UNAUTHORIZED {
            wrong.push(format!("anonymous {path}: {status}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong grants or refusals:\n{}",
        wrong.join("\n")
    );
}

/// Syncs naming hundreds of made-up children: every one is answered `revoked`; per user, a
/// bounded number is audited one by one and the rest are counted in one summary row per
/// request, so the trail stays small and no refusal goes uncounted.
#[tokio::test]
async fn refusals_of_children_one_may_not_see_are_audited_within_a_bound_and_all_counted() {
    const BOUND: usize = 20;
    let server = TestServer::with_config(server::Config {
        itemised_refusals_per_window: BOUND,
        // Longer than the test takes on the slowest machine.
        itemised_refusals_window_ms: 60 * 60 * 1000,
        ..server::Config::default()
    })
    .await;
    let audit = || async { server.state.store.audit_all().await.expect("audit") };
    let before = audit().await.len();
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let made_up = |round: usize, n: usize| format!("child-made-up-{round}-{n}");
    let sync = |tablet: &Tablet, children: Vec<String>| {
        let req = shared::sync::SyncRequest {
            children: children
                .iter()
                .map(|c| {
                    shared::sync::Replica::new(c.parse().expect("id"), tablet.actor.clone())
                        .request()
                })
                .collect(),
            ..Default::default()
        };
        let token = tablet.token.clone();
        let server = &server;
        async move {
            let (status, body) = server.post("/api/sync", Some(&token), &req).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let revoked = body["children"]
                .as_array()
                .expect("children")
                .iter()
                .filter(|c| children.iter().any(|n| c["child_id"] == n.as_str()))
                .filter(|c| c["result"]["status"] == "revoked")
                .count();
            assert_eq!(revoked, children.len(), "every made-up child refused");
        }
    };

    let (rounds, per_round) = (4, 150);
    for round in 0..rounds {
        sync(&sam, (0..per_round).map(|n| made_up(round, n)).collect()).await;
    }
    // Past the bound, a single refusal is counted too.
    sync(&sam, vec![made_up(rounds, 0)]).await;
    let sent = rounds * per_round + 1;
    sam.sync(&server).await;

    let trail = audit().await;
    let refused: Vec<_> = trail[before..]
        .iter()
        .map(|e| &e.event)
        .filter(|e| e.action == "sync" && e.outcome == "refused")
        .collect();
    assert!(refused
        .iter()
        .all(|e| e.user_id.as_deref() == Some("user-sam-social")));
    let itemised = refused.iter().filter(|e| e.child_id.is_some()).count();
    assert_eq!(itemised, BOUND, "itemised up to the bound");
    let summaries: Vec<usize> = refused
        .iter()
        .filter(|e| e.child_id.is_none())
        .map(|e| {
            let (n, rest) = e.detail.split_once(' ').expect("a count");
            assert!(rest.contains("not itemised"), "{}", e.detail);
            n.parse().expect("count")
        })
        .collect();
    assert_eq!(
        summaries.len(),
        rounds + 1,
        "one summary per request past the bound"
    );
    assert_eq!(
        itemised + summaries.iter().sum::<usize>(),
        sent,
        "every refusal counted"
    );
    assert!(refused.len() <= BOUND + rounds + 1);

    // The bound is per user: another user's first refusals are itemised.
    let hana = Tablet::sign_in(&server, "hana.health").await;
    sync(&hana, vec![made_up(99, 0), made_up(99, 1)]).await;
    let trail = audit().await;
    let hana_rows = trail
        .iter()
        .filter(|e| {
            e.event.user_id.as_deref() == Some("user-hana-health")
                && e.event.outcome == "refused"
                && e.event.detail == "child not on this user's caseload"
        })
        .count();
    assert_eq!(hana_rows, 2);
    assert_eq!(server::audit::verify(&trail), Ok(()));
}

/// Every partnership endpoint × role: a practitioner (allocated to Ava), the north team's
/// manager, another team's manager, and the administrator. Nothing is granted that should
/// not be, and a child outside one's reach looks like one that does not exist.
#[tokio::test]
async fn every_partnership_endpoint_by_role() {
    use serde_json::json;
    let server = setup().await;
    let south = server
        .new_account(
            "sid.south",
            "Children's Social Care",
            "manager",
            Some("south-team"),
        )
        .await;
    let _ = south;
    // South's manager signs in with the first password, then chooses one.
    let south_token = {
        let (_, body) = server
            .login_with("sid.south", "violet kettle harbour 42")
            .await;
        let token = body["token"].as_str().expect("token").to_owned();
        let (status, _) = server
            .post(
                "/api/password",
                Some(&token),
                &json!({"current_password": "violet kettle harbour 42", "new_password": "south side seven gates"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        token
    };
    let target = server
        .new_account("kim.target", "Police", "practitioner", None)
        .await;
    let sam_device = crate::support::device_id("sam.social");
    let _ = server.login_on("sam.social", Some(&sam_device)).await;
    let admin = server.login("ada.admin").await;
    let (_, agency) = server
        .post(
            "/api/admin/agencies",
            Some(&admin),
            &json!({"name": "Riverside Primary", "kind": "School", "remit": "r", "contact": "c", "can_do": "", "cannot_do": ""}),
        )
        .await;
    let agency = agency["id"].as_str().expect("agency").to_owned();
    let roles = [
        ("sam.social", server.login("sam.social").await),
        ("sid.south", south_token),
        ("morgan.manager", server.login("morgan.manager").await),
        ("ada.admin", admin),
    ];
    use StatusCode as S;
    // (method, path, body, expected for sam, south, morgan, ada)
    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = || n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    type Case<'a> = (
        &'a str,
        String,
        Box<dyn Fn() -> serde_json::Value + 'a>,
        [S; 4],
    );
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/api/children/child-ava/seen".into(),
            Box::new(|| json!({"keys": ["visits/v1"]})),
            [S::NO_CONTENT, S::NOT_FOUND, S::NO_CONTENT, S::NOT_FOUND],
        ),
        (
            "GET",
            "/api/front-door/queue".into(),
            Box::new(|| json!(null)),
            [S::FORBIDDEN; 4],
        ),
        (
            "POST",
            "/api/front-door/concerns".into(),
            Box::new(|| {
                json!({"id": format!("concern-{}", fresh()), "raised_at_ms": 0, "child": {"name": "Ava"},
                          "source": "third_party", "narrative": "Crying", "urgency": "today",
                          "from": "anonymous", "owner": "user-sam-social"})
            }),
            [S::FORBIDDEN; 4],
        ),
        (
            "POST",
            "/api/front-door/concerns/concern-demo-call/match".into(),
            Box::new(|| json!({"existing": {"child_id": "child-ava"}})),
            [S::FORBIDDEN; 4],
        ),
        (
            "POST",
            "/api/front-door/concerns/concern-demo-call/decision".into(),
            Box::new(|| json!({"decision": "early_help", "note": "Family support"})),
            [S::FORBIDDEN; 4],
        ),
        (
            "GET",
            "/api/admin/users".into(),
            Box::new(|| json!(null)),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::OK],
        ),
        (
            "POST",
            "/api/admin/users".into(),
            Box::new(
                || json!({"username": format!("new.user{}", fresh()), "display_name": "New", "agency": "Police", "role": "practitioner", "password": "violet kettle harbour 42"}),
            ),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::CREATED],
        ),
        (
            "PUT",
            format!("/api/admin/users/{target}"),
            Box::new(|| json!({"display_name": "Kim", "agency": "Police", "role": "practitioner"})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            "POST",
            format!("/api/admin/users/{target}/password"),
            Box::new(|| json!({"password": "violet kettle harbour 42"})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            "POST",
            format!("/api/admin/users/{target}/disable"),
            Box::new(|| json!({})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            "POST",
            format!("/api/admin/users/{target}/enable"),
            Box::new(|| json!({})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            "POST",
            format!("/api/admin/devices/{sam_device}/release"),
            Box::new(|| json!({})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            "GET",
            "/api/admin/teams".into(),
            Box::new(|| json!(null)),
            [S::FORBIDDEN, S::OK, S::OK, S::OK],
        ),
        (
            "POST",
            "/api/admin/teams".into(),
            Box::new(|| json!({"name": "East team"})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::CREATED],
        ),
        (
            "PUT",
            "/api/admin/teams/south-team".into(),
            Box::new(|| json!({"name": "South team"})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            "POST",
            "/api/admin/agencies".into(),
            Box::new(
                || json!({"name": format!("Agency {}", fresh()), "kind": "k", "remit": "", "contact": "", "can_do": "", "cannot_do": ""}),
            ),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::CREATED],
        ),
        (
            "PUT",
            format!("/api/admin/agencies/{agency}"),
            Box::new(
                || json!({"name": "Riverside Primary", "kind": "School", "remit": "r2", "contact": "c", "can_do": "", "cannot_do": ""}),
            ),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::OK],
        ),
        (
            "POST",
            "/api/admin/import".into(),
            Box::new(|| json!({"dry_run": true})),
            [S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN, S::OK],
        ),
        (
            "GET",
            "/api/agencies".into(),
            Box::new(|| json!(null)),
            [S::OK, S::OK, S::OK, S::OK],
        ),
        (
            "GET",
            "/api/people".into(),
            Box::new(|| json!(null)),
            [S::FORBIDDEN, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "POST",
            "/api/children".into(),
            Box::new(
                || json!({"display_name": format!("Child {}", fresh()), "date_of_birth": format!("2015-01-{:02}", fresh() % 28 + 1), "nhs_unknown_reason": "unknown", "team_id": "north-team", "not_duplicates": []}),
            ),
            [S::FORBIDDEN, S::FORBIDDEN, S::CREATED, S::CREATED],
        ),
        (
            "POST",
            "/api/children/search".into(),
            Box::new(|| json!({"name": "ava"})),
            [S::FORBIDDEN, S::OK, S::OK, S::OK],
        ),
        (
            "GET",
            "/api/children/child-ava/details".into(),
            Box::new(|| json!(null)),
            [S::NOT_FOUND, S::NOT_FOUND, S::OK, S::OK],
        ),
        (
            "PUT",
            "/api/children/child-ava/details".into(),
            Box::new(
                || json!({"display_name": "Ava Thompson", "date_of_birth": "2016-04-12", "nhs_unknown_reason": "not known", "legal_status": "Child protection plan (neglect)"}),
            ),
            [S::NOT_FOUND, S::NOT_FOUND, S::NO_CONTENT, S::NO_CONTENT],
        ),
        (
            "GET",
            "/api/children/child-ava/allocations".into(),
            Box::new(|| json!(null)),
            [S::OK, S::NOT_FOUND, S::OK, S::NOT_FOUND],
        ),
        (
            "GET",
            "/api/children/child-noah/allocations".into(),
            Box::new(|| json!(null)),
            [S::NOT_FOUND, S::NOT_FOUND, S::OK, S::NOT_FOUND],
        ),
        (
            "GET",
            "/api/children/child-south/allocations".into(),
            Box::new(|| json!(null)),
            [S::NOT_FOUND, S::OK, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            "POST",
            "/api/children/child-noah/allocations".into(),
            Box::new(|| json!({"user_id": "user-sam-social", "role": "social_worker"})),
            [S::NOT_FOUND, S::NOT_FOUND, S::CREATED, S::NOT_FOUND],
        ),
        (
            "POST",
            "/api/children/child-ava/allocations/no-such/end".into(),
            Box::new(|| json!({})),
            [S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, expected) in &cases {
        for ((username, token), expected) in roles.iter().zip(expected) {
            let (status, answer) = match *method {
                "GET" => server.get(path, Some(token)).await,
                "PUT" => server.put(path, token, &body()).await,
                _ => server.post(path, Some(token), &body()).await,
            };
            if status != *expected {
                wrong.push(format!(
                    "{username} {method} {path}: {status}, expected {expected}: {answer}"
                ));
            }
        }
    }
    // Ending a real allocation: the team's manager only.
    let (_, group) = server
        .get("/api/children/child-noah/allocations", Some(&roles[2].1))
        .await;
    let id = group["current"]
        .as_array()
        .expect("current")
        .iter()
        .find(|a| a["user_id"] == "user-sam-social")
        .expect("sam added")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/children/child-noah/allocations/{id}/end");
    for ((username, token), expected) in
        roles
            .iter()
            .zip([S::NOT_FOUND, S::NOT_FOUND, S::NO_CONTENT, S::NOT_FOUND])
    {
        let (status, _) = server.post(&path, Some(token), &json!({})).await;
        if status != expected {
            wrong.push(format!(
                "{username} end allocation: {status}, expected {expected}"
            ));
        }
    }
    // No token: 401 everywhere.
    for (method, path, _, _) in &cases {
        let status = match *method {
            "GET" => server.get(path, None).await.0,
            _ => server.post(path, None, &json!({})).await.0,
        };
        if status != S::UNAUTHORIZED && !(*method == "PUT" && status == S::METHOD_NOT_ALLOWED) {
            wrong.push(format!("anonymous {method} {path}: {status}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong grants or refusals:\n{}",
        wrong.join("\n")
    );
}
