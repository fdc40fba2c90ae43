//! The case review's lessons through the server: the flags the server computes for visits,
//! debriefs, challenges and drift are the ones the tablet computes from its own copy; the
//! practice file reaches every tablet at sign-in; "new since you last looked" is kept per
//! user and counts only what others added.

use crate::support::{stamp, today, Tablet, TestServer};
use axum::http::StatusCode;
use shared::analytics::{self, Thresholds};
use shared::api::{LoginResponse, TeamCaseloadRow};
use shared::record::escalation::{self, Challenge};
use shared::record::visits::{self, Difficulty, Visit, VisitPlace};
use shared::ChildId;

fn visit(id: &str, date: &str, by: &str, hard: &[Difficulty]) -> Visit {
    Visit {
        id: id.into(),
        date: date.into(),
        place: VisitPlace::Home,
        seen: !hard.contains(&Difficulty::ChildNotProduced)
            && !hard.contains(&Difficulty::RefusedEntry),
        seen_alone: false,
        bedroom_seen: false,
        child_words: String::new(),
        difficulties: hard.to_vec(),
        note: "At the door".into(),
        agency: crate::support::agency(by),
        added: stamp(by),
    }
}

async fn team_row(server: &TestServer, token: &str, child: &str) -> TeamCaseloadRow {
    let (status, body) = server.get("/api/team", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows: Vec<TeamCaseloadRow> = serde_json::from_value(body).expect("rows");
    rows.into_iter()
        .find(|r| r.child.child_id.as_str() == child)
        .expect("on the team")
}

#[tokio::test]
async fn the_server_flags_what_the_tablet_flags() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let mia: ChildId = "child-mia".parse().expect("id");
    let day = |n: i32| today().add_days(-n).to_string();
    {
        let doc = &mut sam.caseload.replicas.get_mut(&mia).expect("mia").doc;
        let by = "user-sam-social";
        for (i, hard) in [
            vec![Difficulty::RefusedEntry],
            vec![],
            vec![Difficulty::ChildNotProduced],
            vec![Difficulty::Threatened, Difficulty::CutShort],
        ]
        .into_iter()
        .enumerate()
        {
            let v = visit(&format!("visit-{i}"), &day(20 - 4 * i as i32), by, &hard);
            visits::add_visit(doc, &v).expect("visit");
        }
        escalation::raise(
            doc,
            &Challenge {
                id: "challenge-1".into(),
                raised_on: day(10),
                agency: crate::support::agency(by),
                about: "Closing the child in need plan".into(),
                reason: "She is still going missing".into(),
                added: stamp(by),
            },
        )
        .expect("challenge");
    }
    sam.sync(&server).await;
    let tablet = shared::record::read_record(&sam.caseload.replicas[&mia].doc).expect("read");
    let born = "2011-02-03".parse().ok();
    let expected = analytics::overview(&tablet, today(), &Thresholds::default(), born).flags();
    let kinds: Vec<_> = expected.iter().map(|f| f.kind().code()).collect();
    for kind in ["avoidance", "debrief", "not_seen_alone", "challenge"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let morgan = server.login("morgan.manager").await;
    assert_eq!(
        team_row(&server, &morgan, "child-mia").await.flags,
        expected
    );
    assert_eq!(
        server.record(&morgan, "child-mia").await.overview.flags(),
        expected
    );
}

#[tokio::test]
async fn the_practice_file_reaches_the_tablet_and_the_dashboard() {
    let mut thresholds = Thresholds::default();
    thresholds.practice.avoidance_count = 2;
    thresholds.practice.avoidance_of = 2;
    let config = server::state::Config {
        thresholds,
        ..Default::default()
    };
    let server = TestServer::with_config(config).await;
    let (status, body) = server
        .post(
            "/api/login",
            None,
            &serde_json::json!({"username": "sam.social", "password": server::demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let login: LoginResponse = serde_json::from_value(body).expect("login");
    assert_eq!(login.user.thresholds, thresholds, "sent at sign-in");
    let (_, me) = server.get("/api/me", Some(&login.token)).await;
    assert_eq!(me["thresholds"]["practice"]["avoidance_of"], 2);

    // Two curtailed visits are avoidance under this partnership's rule, not the default's.
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let mia: ChildId = "child-mia".parse().expect("id");
    {
        let doc = &mut sam.caseload.replicas.get_mut(&mia).expect("mia").doc;
        for (i, hard) in [Difficulty::RefusedEntry, Difficulty::ChildNotProduced]
            .into_iter()
            .enumerate()
        {
            let date = today().add_days(-(i as i32) - 1).to_string();
            visits::add_visit(
                doc,
                &visit(&format!("v{i}"), &date, "user-sam-social", &[hard]),
            )
            .expect("visit");
        }
    }
    sam.sync(&server).await;
    let morgan = server.login("morgan.manager").await;
    let row = team_row(&server, &morgan, "child-mia").await;
    assert!(
        row.flags.iter().any(|f| f.kind().code() == "avoidance"),
        "{:?}",
        row.flags
    );
}

#[tokio::test]
async fn new_since_you_last_looked_is_what_others_added() {
    let server = TestServer::start().await;
    let morgan = server.login("morgan.manager").await;
    let first = server.record(&morgan, "child-mia").await;
    assert!(first.new_since.first_look, "never opened before");
    assert_eq!(
        server.record(&morgan, "child-mia").await.new_since.entries,
        0,
        "nothing since the first look"
    );

    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let mia: ChildId = "child-mia".parse().expect("id");
    {
        let doc = &mut sam.caseload.replicas.get_mut(&mia).expect("mia").doc;
        let v = visit("visit-new", &today().to_string(), "user-sam-social", &[]);
        visits::add_visit(doc, &v).expect("visit");
    }
    sam.sync(&server).await;

    let row = team_row(&server, &morgan, "child-mia").await;
    assert_eq!(row.new_since.entries, 1, "{:?}", row.new_since);
    assert_eq!(
        row.new_since.from,
        vec!["Children's Social Care".to_owned()]
    );
    let again = server.record(&morgan, "child-mia").await;
    assert_eq!(again.new_since.entries, 1);
    assert_eq!(
        again.new_since.summary().as_deref(),
        Some("1 new since you last looked: 1 visit (Children's Social Care)")
    );
    // Opening it was this look: nothing is new now, on the record or the dashboard.
    assert_eq!(
        server.record(&morgan, "child-mia").await.new_since.entries,
        0
    );
    assert_eq!(
        team_row(&server, &morgan, "child-mia")
            .await
            .new_since
            .entries,
        0
    );

    // A tablet tells the server what its copy held; Sam's own visit is never new to Sam.
    let keys: Vec<String> = Vec::new();
    let (status, _) = server
        .post(
            "/api/children/child-mia/seen",
            Some(&sam.token),
            &serde_json::json!({ "keys": keys }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_look_is_only_for_a_record_one_may_read_and_of_a_sensible_size() {
    let server = TestServer::start().await;
    let hana = server.login("hana.health").await;
    let body = serde_json::json!({ "keys": ["visits/v1"] });
    let (status, _) = server
        .post("/api/children/child-mia/seen", Some(&hana), &body)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Mia is not on Hana's caseload"
    );
    let (status, _) = server
        .post("/api/children/child-mia/seen", None, &body)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let sam = server.login("sam.social").await;
    let long =
        serde_json::json!({ "keys": ["x".repeat(shared::analytics::since::MAX_KEY_LEN + 1)] });
    let (status, _) = server
        .post("/api/children/child-mia/seen", Some(&sam), &long)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .post(
            "/api/children/child-mia/seen",
            Some(&sam),
            &serde_json::json!({ "keys": "not a list" }),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
}
