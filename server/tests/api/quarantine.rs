//! One child's record that cannot be loaded never fails another's: records broken in the
//! store (stored before the change policy caught what broke them) are planted straight into the
//! database, then tablets sync whole caseloads, the record is marked, audited and answered
//! unavailable without being rebuilt again, and `records repair` sets aside exactly the bad
//! parts and brings the record back.
//!
//! tidy: long file — each of its tests plants a differently broken record in the database and
//! checks the answer or the repair; the planting helpers are shared by all of them.

use crate::support::{Tablet, TestServer};
use automerge::{ActorId, Automerge, Change};
use axum::http::StatusCode;
use server::quarantine::{self, Repair, RepairError, SetAside};
use server::store::{PartKind, QuarantinedRecord};
use shared::record::{self, Observation};
use shared::sync::{ChildResult, SyncResponse};
use shared::ChildId;

const SAM: &str = "user-sam-social";

fn id(child: &str) -> ChildId {
    child.parse().expect("child id")
}

/// A valid observation by Sam, as the app writes one.
fn observation(obs_id: &str) -> Observation {
    let mut o = crate::support::observation(obs_id, SAM);
    o.recorded_at_ms = server::clock::now_ms() - 60_000;
    o.indicators[0].code = "NEG-HYGIENE".into();
    o
}

fn record_on(tablet: &mut Tablet, child: &str, obs: &Observation) {
    let replica = tablet
        .caseload
        .replicas
        .get_mut(&id(child))
        .expect("child on tablet");
    record::add_observation(&mut replica.doc, obs, obs.recorded_at_ms).expect("record");
}

/// One sync request with the tablet's whole caseload; the answer is applied and returned.
async fn sync_once(server: &TestServer, tablet: &mut Tablet) -> SyncResponse {
    let req = tablet.caseload.request();
    let (status, body) = server.post("/api/sync", Some(&tablet.token), &req).await;
    assert_eq!(status, StatusCode::OK, "sync: {body}");
    let resp: SyncResponse = serde_json::from_value(body).expect("sync response");
    tablet.caseload.apply(&resp, &tablet.actor);
    resp
}

fn result<'a>(resp: &'a SyncResponse, child: &str) -> &'a ChildResult {
    &resp
        .children
        .iter()
        .find(|c| c.child_id == id(child))
        .unwrap_or_else(|| panic!("no answer for {child}"))
        .result
}

fn assert_repairing(resp: &SyncResponse, child: &str) {
    assert_eq!(
        result(resp, child),
        &ChildResult::Unavailable {
            reason: quarantine::REPAIRING.into()
        },
        "{child} is answered as being repaired"
    );
}

fn assert_merged(resp: &SyncResponse, children: &[&str]) {
    for child in children {
        assert!(
            matches!(result(resp, child), ChildResult::Merged { .. }),
            "{child} syncs normally: {:?}",
            result(resp, child)
        );
    }
}

/// The value of an unlabelled counter on `/metrics`.
async fn metric(server: &TestServer, name: &str) -> f64 {
    let (status, body) = server.get("/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().expect("metrics text").to_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// `bytes` as an SQL literal of the engine's binary type.
fn blob(server: &TestServer, bytes: &[u8]) -> String {
    if server.is_postgres() {
        format!("'\\x{}'::bytea", hex::encode(bytes))
    } else {
        format!("X'{}'", hex::encode(bytes))
    }
}

/// Stores a change row straight into the database, past every check.
async fn plant_change(server: &TestServer, child: &str, hash: &str, bytes: &[u8]) {
    let sql = format!(
        "INSERT INTO doc_changes (child_id, hash, bytes, stored_at_ms) VALUES ('{child}', '{hash}', {}, 0)",
        blob(server, bytes)
    );
    raw(server, &sql).await;
}

/// Moves the child's stored version on, as a commit by another process (or a restart) would,
/// so this process's cached copy is no longer current and the record is loaded from storage.
async fn bump(server: &TestServer, child: &str) {
    let sql = format!("UPDATE doc_state SET version = version + 1 WHERE child_id = '{child}'");
    assert_eq!(server.raw_execute(&sql).await.expect("bump"), 1);
}

/// The records marked as quarantined.
async fn marked(server: &TestServer) -> Vec<QuarantinedRecord> {
    server
        .state
        .store
        .quarantined_records()
        .await
        .expect("quarantined records")
}

/// One statement straight on the database.
async fn raw(server: &TestServer, sql: &str) {
    server.raw_execute(sql).await.expect(sql);
}

async fn version(server: &TestServer, child: &str) -> i64 {
    server
        .state
        .documents
        .version(&id(child))
        .await
        .expect("version")
}

/// A hash no stored change has, for bytes that decode as no change.
const GARBAGE_HASH: &str = "badc0ffee0ddf00dbadc0ffee0ddf00dbadc0ffee0ddf00dbadc0ffee0ddf00d";
const GARBAGE: &[u8] = b"not an automerge change";

/// The next change `doc` makes when it records `obs_id`.
fn next_change(doc: &mut Automerge, obs_id: &str) -> Change {
    let before = doc.get_heads();
    let obs = observation(obs_id);
    record::add_observation(doc, &obs, obs.recorded_at_ms).expect("record");
    doc.get_changes(&before).pop().expect("a change")
}

/// `doc` writing as a fresh actor (`n` tells them apart).
fn writer(doc: &Automerge, n: u8) -> Automerge {
    let mut doc = doc.clone();
    doc.set_actor(ActorId::from(vec![n; 16]));
    doc
}

fn change_row(mut change: Change) -> (String, Vec<u8>) {
    (change.hash().to_string(), change.bytes().into_owned())
}

#[tokio::test]
async fn a_record_that_cannot_be_loaded_fails_that_child_alone_until_it_is_repaired() {
    let server = TestServer::start().await;
    let mia = id("child-mia");
    let (_, changes_before) = server.stored("child-mia").await;
    plant_change(&server, "child-mia", GARBAGE_HASH, GARBAGE).await;
    bump(&server, "child-mia").await;

    // A new tablet names no child: the whole caseload comes through the first-delivery path.
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let first = sync_once(&server, &mut sam).await;
    assert_repairing(&first, "child-mia");
    assert_merged(&first, &["child-ava", "child-leo", "child-zara"]);
    assert_eq!(
        first.caseload.len(),
        4,
        "the caseload is still listed whole"
    );

    // Marked once, with a fixed reason, and audited without record content.
    let marks = marked(&server).await;
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].child_id, mia);
    assert_eq!(marks[0].reason, "a stored change does not decode");
    let trail = server
        .state
        .store
        .audit_for_child(&mia)
        .await
        .expect("trail");
    let detected: Vec<_> = trail
        .iter()
        .filter(|e| e.event.action == "record.quarantined")
        .collect();
    assert_eq!(detected.len(), 1, "{trail:?}");
    assert_eq!(detected[0].event.outcome, "failed");
    assert!(detected[0]
        .event
        .detail
        .contains("a stored change does not decode"));

    // Work recorded meanwhile: the broken child's waits on the tablet, the others' is stored.
    record_on(&mut sam, "child-ava", &observation("obs-ava-meanwhile"));
    record_on(&mut sam, "child-mia", &observation("obs-mia-meanwhile"));
    for _ in 0..3 {
        let resp = sync_once(&server, &mut sam).await;
        assert_repairing(&resp, "child-mia");
        assert_merged(&resp, &["child-ava", "child-leo", "child-zara"]);
    }
    assert_eq!(sam.caseload.pending(), 1, "only Mia's entry waits");
    assert_eq!(
        sam.sync(&server).await,
        1,
        "an unavailable record asks for no second round"
    );
    assert!(server
        .chronology_ids("child-ava")
        .await
        .contains(&"obs-ava-meanwhile".to_owned()));
    assert_eq!(
        metric(&server, "quilt_records_unloadable_total").await,
        1.0,
        "the broken record was rebuilt once, not at every sync"
    );

    // Other users and the managers' pages are untouched.
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    hana.sync(&server).await;
    assert_eq!(hana.caseload.replicas.len(), 3);
    let manager = server.login("morgan.manager").await;
    let (status, team) = server.get("/api/team", Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team.as_array().expect("rows").len(), 5);
    let (status, _) = server
        .get("/api/children/child-mia/record", Some(&manager))
        .await;
    assert_eq!(status, StatusCode::OK, "the read model still serves Mia");

    // The repair sets aside exactly the planted change and clears the mark.
    let version_before = version(&server, "child-mia").await;
    let done = server
        .state
        .documents
        .repair(&mia, "test operator")
        .await
        .expect("repair");
    assert_eq!(
        done,
        Repair::Repaired {
            child: mia.clone(),
            kept: changes_before.len(),
            set_aside: vec![SetAside {
                kind: PartKind::Change,
                hash: GARBAGE_HASH.into(),
                reason: "a stored change does not decode".into(),
            }],
            version: version_before + 1,
        }
    );
    assert!(done.to_string().contains(GARBAGE_HASH), "{done}");
    let parts = server
        .state
        .store
        .quarantined_parts(&mia)
        .await
        .expect("parts");
    assert_eq!(parts.len(), 1);
    assert_eq!(
        (parts[0].hash.as_str(), parts[0].bytes.as_slice()),
        (GARBAGE_HASH, GARBAGE)
    );
    assert_eq!(server.stored("child-mia").await.1, changes_before);
    assert!(marked(&server).await.is_empty());
    assert_eq!(version(&server, "child-mia").await, version_before + 1);
    let (doc, _) = server::merge::load(server.state.store.as_ref(), &mia)
        .await
        .expect("the record loads");
    Automerge::load(&doc.save()).expect("and loads again once saved");
    let repaired = server
        .state
        .store
        .audit_for_child(&mia)
        .await
        .expect("trail")
        .into_iter()
        .find(|e| e.event.action == "record.repaired")
        .expect("the repair is audited");
    assert!(repaired.event.detail.contains("test operator"));
    assert!(repaired.event.detail.contains(GARBAGE_HASH));
    assert!(!repaired.event.detail.contains("Narrative"));

    // The next sync brings Mia back and stores the entry that waited.
    sam.sync(&server).await;
    assert_eq!(sam.caseload.pending(), 0);
    assert!(server
        .chronology_ids("child-mia")
        .await
        .contains(&"obs-mia-meanwhile".to_owned()));

    // A healthy record is left as it is.
    let stored = server.stored("child-mia").await;
    let at = version(&server, "child-mia").await;
    let again = server
        .state
        .documents
        .repair(&mia, "test operator")
        .await
        .expect("repair");
    assert_eq!(
        again,
        Repair::Healthy {
            child: mia.clone(),
            released: false
        }
    );
    assert!(again.to_string().contains("nothing changed"));
    assert_eq!(server.stored("child-mia").await, stored);
    assert_eq!(version(&server, "child-mia").await, at);

    // A mark on a record that loads after all (found broken by a read from before a repair
    // that another process stored) is cleared, and nothing else changes.
    assert!(server
        .state
        .store
        .quarantine_record(&mia, at, "a stored change does not decode", 1)
        .await
        .expect("mark"));
    assert!(
        !server
            .state
            .store
            .quarantine_record(&mia, at, "a stored change does not decode", 2)
            .await
            .expect("mark"),
        "marked once"
    );
    assert_repairing(&sync_once(&server, &mut sam).await, "child-mia");
    assert_eq!(
        server
            .state
            .documents
            .repair(&mia, "test operator")
            .await
            .expect("repair"),
        Repair::Healthy {
            child: mia.clone(),
            released: true
        }
    );
    assert_eq!(server.stored("child-mia").await, stored);
    assert_merged(&sync_once(&server, &mut sam).await, &["child-mia"]);
}

#[tokio::test]
async fn a_record_repaired_meanwhile_is_not_marked_by_a_read_from_before() {
    let server = TestServer::start().await;
    let ava = id("child-ava");
    let at = version(&server, "child-ava").await;
    assert!(!server
        .state
        .store
        .quarantine_record(&ava, at - 1, "a stored change does not decode", 1)
        .await
        .expect("mark"));
    assert!(marked(&server).await.is_empty());
}

#[tokio::test]
async fn changes_that_depend_on_a_set_aside_change_go_with_it_and_the_rest_stay() {
    let server = TestServer::start().await;
    let leo = id("child-leo");
    let before = server.chronology_ids("child-leo").await;
    let (doc, _) = server::merge::load(server.state.store.as_ref(), &leo)
        .await
        .expect("load");
    // A then B (which depends on A); X (never stored) then C (which depends on X); D alone.
    let mut first = writer(&doc, 1);
    let a = next_change(&mut first, "planted-a");
    let b = next_change(&mut first, "planted-b");
    let mut second = writer(&doc, 2);
    let _x = next_change(&mut second, "planted-x");
    let c = next_change(&mut second, "planted-c");
    let d = next_change(&mut writer(&doc, 3), "planted-d");
    let (a_hash, _) = change_row(a);
    plant_change(&server, "child-leo", &a_hash, GARBAGE).await;
    let mut planted = vec![(a_hash.clone(), GARBAGE.to_vec())];
    for change in [b, c, d] {
        let (hash, bytes) = change_row(change);
        plant_change(&server, "child-leo", &hash, &bytes).await;
        planted.push((hash, bytes));
    }
    bump(&server, "child-leo").await;

    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    let resp = sync_once(&server, &mut hana).await;
    assert_repairing(&resp, "child-leo");
    assert_merged(&resp, &["child-ava", "child-noah"]);

    let Repair::Repaired { set_aside, .. } = server
        .state
        .documents
        .repair(&leo, "ops")
        .await
        .expect("repair")
    else {
        panic!("the record needed repairing");
    };
    let expected = [
        (&planted[0].0, "a stored change does not decode"),
        (&planted[1].0, "it depends on a change that was set aside"),
        (
            &planted[2].0,
            "a stored change depends on a change that is not stored",
        ),
    ];
    let got: Vec<(&String, &str)> = set_aside
        .iter()
        .map(|p| (&p.hash, p.reason.as_str()))
        .collect();
    assert_eq!(got, expected);
    let parts = server
        .state
        .store
        .quarantined_parts(&leo)
        .await
        .expect("parts");
    let moved: Vec<(String, Vec<u8>)> = parts.into_iter().map(|p| (p.hash, p.bytes)).collect();
    assert_eq!(moved, planted[..3], "the parts are kept byte for byte");

    // D stays and is projected; nothing of the set-aside changes is.
    let after = server.chronology_ids("child-leo").await;
    let mut expected_ids = before.clone();
    expected_ids.push("planted-d".into());
    expected_ids.sort();
    let mut sorted = after.clone();
    sorted.sort();
    assert_eq!(sorted, expected_ids);
    hana.sync(&server).await;
    let replica = &hana.caseload.replicas[&leo];
    let held: Vec<String> = record::read(&replica.doc)
        .expect("read")
        .observations
        .into_iter()
        .map(|o| o.id.to_string())
        .collect();
    assert!(held.contains(&"planted-d".to_owned()), "{held:?}");
    assert!(!held.contains(&"planted-b".to_owned()));
}

#[tokio::test]
async fn a_snapshot_that_does_not_load_is_set_aside_when_the_changes_hold_the_whole_record() {
    let server = TestServer::start().await;
    let zara = id("child-zara");
    let before = server.chronology_ids("child-zara").await;
    let (_, changes) = server.stored("child-zara").await;
    let garbage_snapshot = b"not an automerge document".to_vec();
    let sql = format!(
        "INSERT INTO doc_snapshots (child_id, bytes, saved_at_ms) VALUES ('child-zara', {}, 0)",
        blob(&server, &garbage_snapshot)
    );
    raw(&server, &sql).await;
    bump(&server, "child-zara").await;

    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let resp = sync_once(&server, &mut sam).await;
    assert_repairing(&resp, "child-zara");
    assert_merged(&resp, &["child-ava", "child-leo", "child-mia"]);
    let marks = marked(&server).await;
    assert_eq!(marks[0].reason, "the stored snapshot does not load");

    let done = server
        .state
        .documents
        .repair(&zara, "ops")
        .await
        .expect("repair");
    let Repair::Repaired {
        set_aside, kept, ..
    } = &done
    else {
        panic!("the record needed repairing: {done}");
    };
    assert_eq!(*kept, changes.len());
    assert_eq!(set_aside.len(), 1);
    assert_eq!(set_aside[0].kind, PartKind::Snapshot);
    assert_eq!(
        server
            .state
            .store
            .quarantined_parts(&zara)
            .await
            .expect("parts")[0]
            .bytes,
        garbage_snapshot
    );
    assert_eq!(server.stored("child-zara").await, (None, changes));
    assert_eq!(server.chronology_ids("child-zara").await, before);
    sam.sync(&server).await;
    assert!(sam.caseload.replicas.contains_key(&zara));
}

#[tokio::test]
async fn a_record_whose_history_is_only_in_a_broken_snapshot_is_not_repaired_automatically() {
    let server = TestServer::start().await;
    let noah = id("child-noah");
    raw(
        &server,
        "DELETE FROM doc_changes WHERE child_id = 'child-noah'",
    )
    .await;
    let sql = format!(
        "INSERT INTO doc_snapshots (child_id, bytes, saved_at_ms) VALUES ('child-noah', {}, 0)",
        blob(&server, b"a snapshot that lost its record")
    );
    raw(&server, &sql).await;
    bump(&server, "child-noah").await;
    let mut hana = Tablet::sign_in(&server, "hana.health").await;
    let resp = sync_once(&server, &mut hana).await;
    assert_repairing(&resp, "child-noah");

    let stored = server.stored("child-noah").await;
    let at = version(&server, "child-noah").await;
    let err = server
        .state
        .documents
        .repair(&noah, "ops")
        .await
        .expect_err("not repairable automatically");
    assert!(matches!(err, RepairError::Unrepairable(..)), "{err}");
    assert!(err.to_string().contains("cannot be repaired automatically"));
    assert_eq!(server.stored("child-noah").await, stored, "nothing changed");
    assert_eq!(version(&server, "child-noah").await, at);
    assert_eq!(marked(&server).await[0].child_id, noah, "still marked");
    assert!(matches!(
        server
            .state
            .documents
            .repair(&id("child-nobody"), "ops")
            .await,
        Err(RepairError::NoSuchChild(_))
    ));
}

#[tokio::test]
async fn a_broken_record_stored_before_versions_does_not_stop_the_server_starting() {
    let server = TestServer::start().await;
    let ava = id("child-ava");
    // As stored by a version that had no document versions: no doc_state row.
    raw(
        &server,
        "DELETE FROM doc_state WHERE child_id = 'child-ava'",
    )
    .await;
    plant_change(&server, "child-ava", GARBAGE_HASH, GARBAGE).await;
    assert_eq!(
        server
            .state
            .documents
            .project_unversioned()
            .await
            .expect("the start-up projection goes on"),
        0
    );
    assert_eq!(marked(&server).await[0].child_id, ava);

    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    for _ in 0..2 {
        let resp = sync_once(&server, &mut sam).await;
        assert_repairing(&resp, "child-ava");
        assert_merged(&resp, &["child-leo", "child-mia", "child-zara"]);
    }
    assert_eq!(metric(&server, "quilt_records_unloadable_total").await, 1.0);

    server
        .state
        .documents
        .repair(&ava, "ops")
        .await
        .expect("repair");
    assert_eq!(version(&server, "child-ava").await, 1);
    sam.sync(&server).await;
    assert!(!server.chronology_ids("child-ava").await.is_empty());
}

#[tokio::test]
async fn one_unreadable_read_model_does_not_fail_the_team_dashboard() {
    let server = TestServer::start().await;
    raw(
        &server,
        "UPDATE record_projection SET record_json = 'not json' WHERE child_id = 'child-mia'",
    )
    .await;
    let manager = server.login("morgan.manager").await;
    let (status, team) = server.get("/api/team", Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team.as_array().expect("rows").len(), 5);
}

/// `quilt-server records …` as an operator runs it, on this server's database.
async fn records_command(server: &TestServer, args: &[&str]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_quilt-server"));
    for var in ["RUST_LOG", "QUILT_DATABASE_URL", "QUILT_LOG_FORMAT", "USER"] {
        cmd.env_remove(var);
    }
    cmd.arg("records")
        .args(args)
        .arg("--database-url")
        .arg(&server.db_url)
        .output()
        .await
        .expect("run quilt-server records")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_real_binary_lists_and_repairs_broken_records() {
    let server = TestServer::start().await;
    plant_change(&server, "child-mia", GARBAGE_HASH, GARBAGE).await;
    bump(&server, "child-mia").await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    assert_repairing(&sync_once(&server, &mut sam).await, "child-mia");

    let listed = stdout(&records_command(&server, &["list-broken"]).await);
    assert!(listed.contains("1 quarantined record(s)"), "{listed}");
    assert!(listed.contains("child-mia"), "{listed}");
    assert!(
        listed.contains("a stored change does not decode"),
        "{listed}"
    );

    let repaired =
        stdout(&records_command(&server, &["repair", "child-mia", "--operator", "ops-desk"]).await);
    assert!(repaired.contains("child-mia: repaired"), "{repaired}");
    assert!(repaired.contains(GARBAGE_HASH), "{repaired}");
    let listed = stdout(&records_command(&server, &["list-broken"]).await);
    assert!(listed.contains("no quarantined records"), "{listed}");
    let again = stdout(&records_command(&server, &["repair", "child-mia"]).await);
    assert!(again.contains("nothing changed"), "{again}");

    let unknown = records_command(&server, &["repair", "child-nobody"]).await;
    assert!(!unknown.status.success());

    // The server process notices the repair through the version, without a restart.
    sam.sync(&server).await;
    assert!(matches!(
        result(&sync_once(&server, &mut sam).await, "child-mia"),
        ChildResult::Merged { .. }
    ));
    let trail = server
        .state
        .store
        .audit_for_child(&id("child-mia"))
        .await
        .expect("trail");
    assert!(trail
        .iter()
        .any(|e| e.event.action == "record.repaired" && e.event.detail.contains("ops-desk")));
}
