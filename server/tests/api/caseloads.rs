//! Children and core groups through the router, on both engines: a child's details with
//! likely duplicates shown before a new record (the same NHS number never twice), search,
//! core groups whose ended allocations stay in the history while tablets gain and drop the
//! child, and imports that name every bad row and store all rows or none.

use crate::partnership::{error, first_sign_in};
use crate::support::{Tablet, TestServer};
use axum::http::StatusCode;
use serde_json::{json, Value};
use shared::record;

fn mia(nhs: Option<&str>) -> Value {
    json!({"display_name": "Mia Thompson", "date_of_birth": "2019-03-04",
           "nhs_number": nhs, "nhs_unknown_reason": if nhs.is_none() { "not registered yet" } else { "" },
           "address": "4 Canal Row", "school": "Riverside Primary"})
}

#[tokio::test]
async fn a_new_child_is_checked_against_likely_duplicates_before_it_is_created() {
    let server = TestServer::start().await;
    let admin = server.login("ada.admin").await;
    let mut first = mia(Some("9434765919"));
    first["team_id"] = json!("north-team");
    let (status, created) = server.post("/api/children", Some(&admin), &first).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let first_id = created["child_id"].as_str().expect("id").to_owned();

    // The same NHS number under another spelling: never a second record.
    let mut again = json!({"display_name": "Myah Tomson", "date_of_birth": "2019-03-04",
                           "nhs_number": "943 476 5919", "team_id": "north-team"});
    let (status, body) = server.post("/api/children", Some(&admin), &again).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains(&first_id),
        "{body}"
    );
    again["not_duplicates"] = json!([first_id]);
    assert_eq!(
        server.post("/api/children", Some(&admin), &again).await.0,
        StatusCode::CONFLICT
    );

    // A similar name on the same date of birth: shown, and created once judged different.
    let mut similar = json!({"display_name": "Mia Thomson", "date_of_birth": "2019-03-04",
                             "nhs_unknown_reason": "not known to the school", "team_id": "north-team"});
    let (status, body) = server.post("/api/children", Some(&admin), &similar).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::CONFLICT, "likely_duplicates"),
        "{body}"
    );
    assert_eq!(body["matches"][0]["child"]["child_id"], first_id.as_str());
    assert_eq!(
        body["matches"][0]["reasons"],
        json!(["similar_name_same_date_of_birth"])
    );
    similar["not_duplicates"] = json!([first_id]);
    let (status, body) = server.post("/api/children", Some(&admin), &similar).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Bad details are refused with a sentence.
    for (bad, says) in [
        (
            json!({"display_name": "", "date_of_birth": "2019-03-04", "nhs_unknown_reason": "x", "team_id": "north-team"}),
            "name",
        ),
        (
            json!({"display_name": "A", "date_of_birth": "2099-01-01", "nhs_unknown_reason": "x", "team_id": "north-team"}),
            "future",
        ),
        (
            json!({"display_name": "A", "date_of_birth": "2019-03-04", "team_id": "north-team"}),
            "NHS number",
        ),
        (
            json!({"display_name": "A", "date_of_birth": "2019-03-04", "nhs_unknown_reason": "x", "team_id": "no-team"}),
            "team",
        ),
    ] {
        let (status, body) = server.post("/api/children", Some(&admin), &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains(says),
            "{says}: {body}"
        );
    }
    let (status, _) = server
        .post(
            "/api/children",
            Some(&admin),
            &json!({"display_name": "A", "date_of_birth": "2019-03-04", "nhs_number": "9434765918", "team_id": "north-team"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a wrong check digit");

    // An unborn child: an expected date of birth.
    let manager = server.login("morgan.manager").await;
    let today = shared::calendar::Date::london_from_unix_ms(server::clock::now_ms());
    let (status, body) = server
        .post(
            "/api/children",
            Some(&manager),
            &json!({"display_name": "Unborn Clarke", "date_of_birth": today.add_days(90).to_string(),
                    "unborn": true, "nhs_unknown_reason": "not born yet"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["team_id"], "north-team", "a manager's own team");

    // Search: by NHS number, by a name's beginning, by date of birth; likely duplicates first.
    for (query, expected_first) in [
        (json!({"nhs": "9434765919"}), first_id.as_str()),
        (json!({"name": "mia thom"}), first_id.as_str()),
        (
            json!({"name": "Mia Thompson", "dob": "2019-03-04"}),
            first_id.as_str(),
        ),
    ] {
        let (status, body) = server
            .post("/api/children/search", Some(&admin), &query)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["matches"][0]["child"]["child_id"], expected_first,
            "{query}: {body}"
        );
    }
    let (_, body) = server
        .post(
            "/api/children/search",
            Some(&admin),
            &json!({"dob": "2019-03-04"}),
        )
        .await;
    assert_eq!(body["matches"].as_array().map(Vec::len), Some(2), "{body}");
    // What was searched for is never in the audit trail.
    let trail = server.state.store.audit_all().await.expect("audit");
    assert!(trail.iter().any(|e| e.event.action == "children.search"));
    assert!(!trail
        .iter()
        .any(|e| e.event.detail.contains("Thompson") || e.event.detail.contains("9434765919")));

    // Editing keeps NHS numbers unique.
    let second = similar_id(&server, &admin).await;
    let mut edit = mia(Some("9434765919"));
    edit["display_name"] = json!("Mia Thomson");
    let (status, _) = server
        .put(&format!("/api/children/{second}/details"), &admin, &edit)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn similar_id(server: &TestServer, token: &str) -> String {
    let (_, body) = server
        .post(
            "/api/children/search",
            Some(token),
            &json!({"name": "Mia Thomson"}),
        )
        .await;
    body["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .find(|m| m["child"]["display_name"] == "Mia Thomson")
        .expect("found")["child"]["child_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn a_manager_builds_the_core_group_and_tablets_gain_and_drop_the_child() {
    let server = TestServer::start().await;
    let manager = server.login("morgan.manager").await;
    let (status, child) = server
        .post("/api/children", Some(&manager), &mia(None))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{child}");
    let child = child["child_id"].as_str().expect("id").to_owned();
    let pat = server
        .new_account("pat.police", "Police", "practitioner", None)
        .await;
    first_sign_in(&server, "pat.police", "blue tractor seven lanes").await;

    let (status, people) = server.get("/api/people", Some(&manager)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(people
        .as_array()
        .expect("people")
        .iter()
        .any(|p| p["id"] == pat.as_str()));
    let add =
        |user: &str, role: &str| json!({"user_id": user, "role": role, "started_on": "2026-11-02"});
    let path = format!("/api/children/{child}/allocations");
    let (status, hana_alloc) = server
        .post(
            &path,
            Some(&manager),
            &add("user-hana-health", "health_visitor"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hana_alloc}");
    assert_eq!(
        server
            .post(&path, Some(&manager), &add(&pat, "police"))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        server
            .post(&path, Some(&manager), &add("user-hana-health", "gp"))
            .await
            .0,
        StatusCode::CONFLICT,
        "already in the core group"
    );
    assert_eq!(
        server
            .post(&path, Some(&manager), &add("user-ada-admin", "other"))
            .await
            .0,
        StatusCode::BAD_REQUEST,
        "administrators hold no records"
    );

    // Hana's tablet gains the child at its next sync and records; the manager sees it.
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    hana.sync(&server).await;
    let id: shared::ChildId = child.parse().expect("id");
    let obs = crate::support::observation("hv-visit", "user-hana-health");
    let replica = hana
        .caseload
        .replicas
        .get_mut(&id)
        .expect("the new child is on Hana's tablet");
    record::add_observation(&mut replica.doc, &obs, obs.recorded_at_ms).expect("record");
    hana.sync(&server).await;
    assert_eq!(server.chronology_ids(&child).await, ["hv-visit"]);

    // The core group, read by a member; ended allocations stay in its history.
    let (status, group) = server.get(&path, Some(&hana.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        group["current"].as_array().map(Vec::len),
        Some(2),
        "{group}"
    );
    let alloc = hana_alloc["id"].as_str().expect("id");
    let (status, _) = server
        .post(
            &format!("{path}/{alloc}/end"),
            Some(&manager),
            &json!({"ended_on": "2026-11-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "before it started");
    let (status, _) = server
        .post(&format!("{path}/{alloc}/end"), Some(&manager), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    hana.sync(&server).await;
    assert!(
        !hana.caseload.replicas.contains_key(&id),
        "dropped at the next sync"
    );
    let (_, group) = server.get(&path, Some(&manager)).await;
    assert_eq!(group["ended"][0]["user_id"], "user-hana-health", "{group}");
    assert_eq!(group["ended"][0]["role"], "health_visitor");
    // And she can join again.
    assert_eq!(
        server
            .post(
                &path,
                Some(&manager),
                &add("user-hana-health", "health_visitor")
            )
            .await
            .0,
        StatusCode::CREATED
    );
}

const CHILDREN_CSV: &str =
    "child_id,name,date_of_birth,nhs_number,nhs_unknown_reason,team,other_names,school\n\
LCS-1001,Ruby Hart,12/05/2017,4010232137,,North safeguarding team,Rubes,Hill School\n\
LCS-1002,Theo Hart,2020-01-30,,not registered,north-team,,\n";

const ALLOCATIONS_CSV: &str = "child_id,username,role,started_on\n\
LCS-1001,sam.social,Lead social worker,2026-10-01\n\
LCS-1002,hana.health,health_visitor,\n";

#[tokio::test]
async fn an_import_reports_every_bad_row_and_stores_all_or_nothing() {
    let server = TestServer::start().await;
    let admin = server.login("ada.admin").await;
    let bad_children = format!("{CHILDREN_CSV}LCS-1003,Ivy Hart,2019-02-30,,unknown,north-team,,\n\"LCS-1004\",\"Hart, Noel\",2018-01-01,9434765918,,north-team,,\n");
    let bad_allocations =
        format!("{ALLOCATIONS_CSV}LCS-1001,nobody.here,police,\nLCS-9999,sam.social,police,\n");
    let (status, report) = server
        .post(
            "/api/admin/import",
            Some(&admin),
            &json!({"children_csv": bad_children, "allocations_csv": bad_allocations}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], false);
    let problems: Vec<(String, u64)> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap_or("").to_owned(),
                p["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            ("children".to_owned(), 4),
            ("children".to_owned(), 5),
            ("allocations".to_owned(), 4),
            ("allocations".to_owned(), 5)
        ],
        "{report}"
    );
    let found = |nhs: &str| {
        let server = &server;
        let admin = admin.clone();
        let nhs = nhs.to_owned();
        async move {
            let (_, body) = server
                .post("/api/children/search", Some(&admin), &json!({"nhs": nhs}))
                .await;
            body["matches"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(found("4010232137").await, 0, "nothing imported");

    // A dry run of the good files reports and stores nothing; then the import.
    let good =
        json!({"children_csv": CHILDREN_CSV, "allocations_csv": ALLOCATIONS_CSV, "dry_run": true});
    let (_, report) = server.post("/api/admin/import", Some(&admin), &good).await;
    assert_eq!(
        (report["children"].as_u64(), report["imported"].as_bool()),
        (Some(2), Some(false)),
        "{report}"
    );
    assert_eq!(found("4010232137").await, 0);
    let mut good = good;
    good["dry_run"] = json!(false);
    let (_, report) = server.post("/api/admin/import", Some(&admin), &good).await;
    assert_eq!(report["imported"], true, "{report}");
    assert_eq!(found("4010232137").await, 1);
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    assert!(sam
        .caseload
        .replicas
        .contains_key(&"LCS-1001".parse().expect("id")));
    // The same file again: every row is held already, nothing changes.
    let (_, report) = server.post("/api/admin/import", Some(&admin), &good).await;
    assert_eq!(report["imported"], false);
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(4),
        "{report}"
    );
}

#[tokio::test]
async fn a_same_child_merge_keeps_every_entry_redirects_and_tablets_converge() {
    let server = TestServer::start().await;
    let manager = server.login("morgan.manager").await;
    let (status, stays) = server
        .post("/api/children", Some(&manager), &mia(Some("9434765919")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stays}");
    let stays = stays["child_id"].as_str().expect("id").to_owned();
    let mut other = json!({"display_name": "Mia Thomson", "date_of_birth": "2019-03-04",
                           "nhs_unknown_reason": "not known to health", "not_duplicates": [stays]});
    let (status, goes) = server.post("/api/children", Some(&manager), &other).await;
    assert_eq!(status, StatusCode::CREATED, "{goes}");
    let goes = goes["child_id"].as_str().expect("id").to_owned();
    for (child, user, role) in [
        (&stays, "user-sam-social", "social_worker"),
        (&goes, "user-hana-health", "health_visitor"),
    ] {
        let (status, body) = server
            .post(
                &format!("/api/children/{child}/allocations"),
                Some(&manager),
                &json!({"user_id": user, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let record = |tablet: &mut Tablet, child: &str, id: &str, author: &str| {
        let obs = crate::support::observation(id, author);
        let replica = tablet
            .caseload
            .replicas
            .get_mut(&child.parse().expect("id"))
            .expect("on the tablet");
        record::add_observation(&mut replica.doc, &obs, obs.recorded_at_ms).expect("record");
    };
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    record(&mut sam, &stays, "a-visit", "user-sam-social");
    sam.sync(&server).await;
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    hana.sync(&server).await;
    record(&mut hana, &goes, "b-visit", "user-hana-health");
    hana.sync(&server).await;
    // Hana records again and has not synced when the records are merged.
    record(&mut hana, &goes, "b-late", "user-hana-health");

    let path = format!("/api/children/{goes}/merge");
    let (status, _) = server
        .post(&path, Some(&sam.token), &json!({"into": stays}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "practitioners cannot merge");
    let (status, body) = server
        .post(&path, Some(&manager), &json!({"into": goes}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not into itself: {body}");
    let (status, body) = server
        .post(&path, Some(&manager), &json!({"into": stays}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["copied"], 1, "{body}");
    assert_eq!(
        server.chronology_ids(&stays).await,
        ["a-visit", "b-visit"],
        "one record with every entry"
    );
    // The old id redirects; it leaves every caseload and dashboard.
    let (status, _) = server
        .get(&format!("/api/children/{goes}/record"), Some(&manager))
        .await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    let req = axum::http::Request::get(format!("/api/children/{goes}/chronology?limit=5"))
        .header("authorization", format!("Bearer {manager}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = tower::ServiceExt::oneshot(server.router.clone(), req)
        .await
        .expect("router");
    assert_eq!(
        resp.headers()["location"],
        format!("/api/children/{stays}/chronology?limit=5").as_str()
    );
    let (_, team) = server.get("/api/team", Some(&manager)).await;
    assert!(
        !team.to_string().contains(&goes),
        "the old record is off the dashboard"
    );

    // Hana's tablet: her late entry is stored and copied, the old record dropped, and the
    // record that stays (with every entry) arrives.
    hana.sync(&server).await;
    let (g, s): (shared::ChildId, shared::ChildId) =
        (goes.parse().expect("id"), stays.parse().expect("id"));
    assert!(
        !hana.caseload.replicas.contains_key(&g),
        "the old record is dropped"
    );
    let on_tablet = record::read_record(&hana.caseload.replicas[&s].doc).expect("read");
    let mut ids: Vec<&str> = on_tablet
        .observations
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["a-visit", "b-late", "b-visit"]);
    assert_eq!(
        server.chronology_ids(&stays).await,
        ["a-visit", "b-late", "b-visit"]
    );
    // Sam's tablet converges on the same record.
    sam.sync(&server).await;
    let on_sam = record::read_record(&sam.caseload.replicas[&s].doc).expect("read");
    assert_eq!(on_sam.observations.len(), 3);
    // The core group moved; the old record's is in its history.
    let (_, group) = server
        .get(
            &format!("/api/children/{stays}/allocations"),
            Some(&manager),
        )
        .await;
    assert_eq!(
        group["current"].as_array().map(Vec::len),
        Some(2),
        "{group}"
    );

    // Once merged, never again; records with different NHS numbers are different children.
    assert_eq!(
        server
            .post(&path, Some(&manager), &json!({"into": stays}))
            .await
            .0,
        StatusCode::CONFLICT
    );
    other["display_name"] = json!("Mia Thompsen");
    other["nhs_number"] = json!("4010232137");
    other["not_duplicates"] = json!([stays]);
    let (status, third) = server.post("/api/children", Some(&manager), &other).await;
    assert_eq!(status, StatusCode::CREATED, "{third}");
    let third = third["child_id"].as_str().expect("id");
    let (status, _) = server
        .post(
            &format!("/api/children/{third}/merge"),
            Some(&manager),
            &json!({"into": stays}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let trail = server.state.store.audit_all().await.expect("audit");
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.event.action == "children.merge" && e.event.outcome == "ok")
            .count(),
        2
    );
    // Hana's late change for the old record is audited as stored and copied, not refused.
    let old: Vec<_> = trail
        .iter()
        .filter(|e| e.event.child_id.as_deref() == Some(goes.as_str()) && e.event.action == "sync")
        .filter(|e| e.event.user_id.as_deref() == Some("user-hana-health"))
        .collect();
    assert!(
        old.iter().any(|e| e.event.outcome == "ok"
            && e.event
                .detail
                .starts_with("1 change(s) stored into a record merged into")),
        "{old:?}"
    );
    assert!(!old.iter().any(|e| e.event.outcome == "refused"), "{old:?}");
}
