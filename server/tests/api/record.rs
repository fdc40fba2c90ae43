//! The merged record as managers read it: flags on the team caseload, the overview with the
//! newest scaling, and the chronology export.

use crate::support::{Tablet, TestServer};
use axum::http::StatusCode;
use shared::analytics::Flag;
use shared::api::{RecordResponse, TeamCaseloadRow};
use shared::record::assessments::{self, Scaling};
use shared::record::people::{self, AgeGroup, Household, PersonDetails};
use shared::record::stamped::Stamp;

#[tokio::test]
async fn dashboard_flags_overview_and_csv_follow_the_merged_record() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let stamp = Stamp {
        by: "user-sam-social".parse().expect("a valid id"),
        by_name: "Sam Okafor".into(),
        at_ms: 1_790_000_000_000,
    };
    {
        let doc = &mut sam
            .caseload
            .replicas
            .get_mut(&"child-mia".parse().expect("id"))
            .expect("mia")
            .doc;
        let details = PersonDetails {
            name: "Ryan".into(),
            relationship: "Mother's new partner".into(),
            age_group: AgeGroup::Adult,
            household: Household::LivesWithChild,
            risk_info: "Unknown".into(),
            contact: "Daily".into(),
            linked_child_id: String::new(),
        };
        people::add(doc, "person-ryan", &details, None, &stamp).expect("person");
        assessments::add_scaling(
            doc,
            &Scaling {
                id: "scale-1".into(),
                date: "2026-11-20".into(),
                score: 3,
                rationale: "Going missing again".into(),
                agency: "Children's Social Care".into(),
                added: stamp.clone(),
            },
        )
        .expect("scaling");
    }
    sam.sync(&server).await;

    let morgan = server.login("morgan.manager").await;
    let (status, body) = server.get("/api/team", Some(&morgan)).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<TeamCaseloadRow> = serde_json::from_value(body.clone()).expect("rows");
    let mia = rows
        .iter()
        .find(|r| r.child.child_id.as_str() == "child-mia")
        .expect("mia");
    // Ryan is Mia's only adult and nobody has assessed him; her two observations are too few
    // for a prompt and she has no plan, so nothing else is flagged whatever today is.
    let added = shared::calendar::Date::london_from_unix_ms(stamp.at_ms);
    assert_eq!(
        mia.flags,
        [Flag::Unassessed {
            adults: 1,
            disputed: 0,
            since: added,
            due: added.add_working_days(45),
        }]
    );
    assert_eq!(mia.flags[0].label(), "1 adult(s) not assessed");
    let wire = body
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["child"]["child_id"] == "child-mia")
        .expect("mia");
    assert_eq!(
        wire["flags"],
        serde_json::json!([{
            "kind": "unassessed",
            "adults": 1,
            "disputed": 0,
            "since": added.to_string(),
            "due": added.add_working_days(45).to_string(),
        }]),
        "flags travel typed, not as English"
    );

    let (status, body) = server
        .get("/api/children/child-mia/record", Some(&morgan))
        .await;
    assert_eq!(status, StatusCode::OK);
    let rec: RecordResponse = serde_json::from_value(body).expect("record");
    assert_eq!(rec.record.scalings.len(), 1);
    assert_eq!(rec.overview.unassessed_adults[0].name, "Ryan");
    let kinds: Vec<_> = rec.chronology.iter().map(|i| i.kind).collect();
    use shared::analytics::ItemKind;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ItemKind::Observation)
            .count(),
        2,
        "the two demo observations"
    );
    assert!(kinds.contains(&ItemKind::PersonAdded) && kinds.contains(&ItemKind::Scaling));

    let resp = server
        .request(
            axum::http::Request::get("/api/children/child-mia/chronology.csv")
                .header("authorization", format!("Bearer {morgan}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(resp.0, StatusCode::OK);
    let csv = resp.1.as_str().expect("csv text").to_owned();
    assert!(csv.starts_with("\"Date\",\"Approximate\",\"Recorded at (UTC)\",\"Type\""));
    assert_eq!(
        csv.lines().count(),
        1 + rec.chronology.len(),
        "a row per item"
    );

    let hana = server.login("hana.health").await;
    let (status, _) = server
        .get("/api/children/child-mia/record", Some(&hana))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not allocated to Hana");
}

/// Ava's chronology for a case review: every name of the child, the adults around her and the
/// practitioners replaced, the same way each time; agencies kept; formula cells neutralised.
#[tokio::test]
async fn the_anonymised_chronology_names_roles_not_people() {
    let server = TestServer::start().await;
    let morgan = server.login("morgan.manager").await;
    let get = |path: &'static str| {
        let token = morgan.clone();
        let server = &server;
        async move {
            server
                .request(
                    axum::http::Request::get(path)
                        .header("authorization", format!("Bearer {token}"))
                        .body(axum::body::Body::empty())
                        .expect("request"),
                )
                .await
        }
    };
    let (status, plain) = get("/api/children/child-ava/chronology.csv").await;
    assert_eq!(status, StatusCode::OK);
    let plain = plain.as_str().expect("csv").to_owned();
    let (status, anonymised) = get("/api/children/child-ava/chronology-anonymised.csv").await;
    assert_eq!(status, StatusCode::OK);
    let anonymised = anonymised.as_str().expect("csv").to_owned();
    assert_eq!(
        plain.lines().count(),
        anonymised.lines().count(),
        "the same entries"
    );
    for name in ["Kerry", "Dean Walsh", "Sam Okafor", "Hana", "Leo Thompson"] {
        assert!(plain.contains(name), "the plain export names {name}");
        assert!(!anonymised.contains(name), "{name} in:\n{anonymised}");
    }
    assert!(anonymised.contains("[Mother]") && anonymised.contains("[Mother's partner]"));
    assert!(anonymised.contains("Practitioner 1") && anonymised.contains("Practitioner 2 ("));
    assert!(
        anonymised.contains("Children's Social Care"),
        "agencies stay"
    );
}
