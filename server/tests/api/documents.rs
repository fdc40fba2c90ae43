//! The document layer under the merge: versions, the optimistic commit, the per-process cache,
//! the incremental read model and live updates of an open record. Runs on SQLite, and on
//! PostgreSQL when `QUILT_TEST_DATABASE_URL` names one (as `cargo xtask test` does).

use std::time::Duration;

use crate::support::{Tablet, TestServer};
use server::store::{MergeWrite, NewChange, Projection};
use shared::api::{ChangesResponse, ChronologyResponse, RecordResponse};
use shared::record::corrections::{self, Amendment, Withdrawal};
use shared::record::stamped::Stamp;
use shared::record::{self, Observation};
use shared::sync::{Bytes, ChildResult, SyncResponse};
use shared::ChildId;

const AVA: &str = "child-ava";

fn ava() -> ChildId {
    AVA.parse().expect("id")
}

fn observation(id: &str, author: &str) -> Observation {
    let mut o = crate::support::observation(id, author);
    o.occurred = format!("2026-11-{:02}", 1 + id.len() % 27);
    o.present = vec!["Child".into()];
    o.indicators.clear();
    o
}

fn record_on(tablet: &mut Tablet, edit: impl FnOnce(&mut automerge::Automerge)) {
    let replica = tablet
        .caseload
        .replicas
        .get_mut(&ava())
        .expect("Ava on the tablet");
    edit(&mut replica.doc);
}

/// The read model as a manager reads it must be exactly the stored document read whole.
async fn assert_read_model_matches_document(server: &TestServer, when: &str) {
    let (doc, _) = server::merge::load(server.state.store.as_ref(), &ava())
        .await
        .expect("load");
    let whole = record::read_record(&doc).expect("read");
    let projected = server.state.store.record(&ava()).await.expect("record");
    assert_eq!(projected, whole, "read model after {when}");
    let chronology = server.chronology_ids(AVA).await;
    let ids: Vec<String> = whole
        .observations
        .iter()
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(chronology, ids, "chronology after {when}");
}

#[tokio::test]
async fn a_merge_computed_from_a_version_that_has_moved_on_stores_nothing() {
    let server = TestServer::start().await;
    let store = server.state.store.as_ref();
    let stored = store.load_doc(&ava()).await.expect("load");
    let base = stored.version;
    assert!(base > 0, "the demo caseload gave Ava a version");
    let write = |hash: &str| MergeWrite {
        changes: vec![NewChange {
            hash: hash.into(),
            bytes: vec![1, 2, 3],
        }],
        heads: vec![hash.into()],
        compact_to: None,
        projection: Projection::default(),
    };
    assert!(store
        .commit_merge(&ava(), base, &write("aa"), 1)
        .await
        .expect("first commit"));
    assert!(
        !store
            .commit_merge(&ava(), base, &write("bb"), 2)
            .await
            .expect("second commit"),
        "a second merge from the same version is refused"
    );
    let state = store.doc_state(&ava()).await.expect("state").expect("row");
    assert_eq!(state.version, base + 1);
    assert_eq!(state.heads, vec!["aa".to_owned()]);
    let after = store.load_doc(&ava()).await.expect("load");
    assert_eq!(
        after.changes.len(),
        stored.changes.len() + 1,
        "only the first is stored"
    );
    assert_eq!(after.changes.last(), Some(&vec![1, 2, 3]));
}

#[tokio::test]
async fn the_read_model_follows_every_merge_exactly() {
    let config = server::Config {
        compact_after_changes: 5,
        ..server::Config::default()
    };
    let first = TestServer::with_config(config.clone()).await;
    // A second process shares the database: its cache misses what the first stores.
    let second = first.another_process(config).await;
    let mut sam = Tablet::sign_in(&first, "sam.social").await;
    let mut hana = Tablet::sign_in(&second, "hana.health").await;
    sam.sync(&first).await;
    hana.sync(&second).await;
    assert_read_model_matches_document(&first, "the demo caseload").await;

    for round in 0..4 {
        record_on(&mut sam, |doc| {
            let obs = observation(&format!("sam-{round}"), "user-sam-social");
            record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
        });
        record_on(&mut hana, |doc| {
            let obs = observation(&format!("hana-{round}-x"), "user-hana-health");
            record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
        });
        sam.sync(&first).await;
        hana.sync(&second).await;
        assert_read_model_matches_document(&first, &format!("round {round}")).await;
    }

    // Corrections change the record around the observations, not the observation rows.
    record_on(&mut sam, |doc| {
        let added = Stamp {
            by: "user-sam-social".parse().expect("a valid id"),
            by_name: crate::support::display_name("user-sam-social"),
            at_ms: 1_790_000_100_000,
        };
        corrections::amend(
            doc,
            &Amendment {
                id: "amend-1".into(),
                observation_id: "sam-0".into(),
                field: "narrative".into(),
                corrected: "Corrected narrative".into(),
                reason: "Typing error".into(),
                added: added.clone(),
            },
        )
        .expect("amend");
        corrections::withdraw(
            doc,
            &Withdrawal {
                observation_id: "sam-1".into(),
                reason: "Recorded on the wrong child".into(),
                added,
            },
        )
        .expect("withdraw");
    });
    sam.sync(&first).await;
    hana.sync(&second).await;
    assert_read_model_matches_document(&second, "an amendment and a withdrawal").await;
    assert!(
        first.stored(AVA).await.0.is_some(),
        "compaction ran along the way"
    );
}

#[tokio::test]
async fn records_stored_before_versions_get_their_read_model_back_at_start() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    record_on(&mut sam, |doc| {
        let obs = observation("before-upgrade", "user-sam-social");
        record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
    });
    sam.sync(&server).await;
    // What the migration leaves of a database written by the previous version.
    for sql in [
        "DELETE FROM doc_state",
        "DELETE FROM observations",
        "DELETE FROM record_projection",
    ] {
        server.raw_execute(sql).await.expect(sql);
    }
    let restarted = server.another_process(server::Config::default()).await;
    let projected = restarted
        .state
        .documents
        .project_unversioned()
        .await
        .expect("project");
    assert!(
        projected >= 3,
        "every demo child was projected, not {projected}"
    );
    assert_read_model_matches_document(&restarted, "the rebuild").await;
    assert!(restarted
        .chronology_ids(AVA)
        .await
        .contains(&"before-upgrade".to_owned()));
    assert_eq!(
        restarted
            .state
            .documents
            .project_unversioned()
            .await
            .expect("again"),
        0,
        "once is enough"
    );
    // And merging carries on from there.
    record_on(&mut sam, |doc| {
        let obs = observation("after-upgrade", "user-sam-social");
        record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
    });
    sam.sync(&restarted).await;
    assert_eq!(sam.caseload.pending(), 0);
    assert_read_model_matches_document(&restarted, "a merge after the rebuild").await;
}

#[tokio::test]
async fn a_sync_that_brings_nothing_new_is_answered_without_loading_any_document() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    // A fresh process has nothing cached: anything it loads shows in its metrics.
    let fresh = server.another_process(server::Config::default()).await;
    sam.sync(&fresh).await;
    let metrics = fresh.state.metrics.render();
    assert!(
        metrics.contains("quilt_document_loads_total{cache=\"miss\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("quilt_document_loads_total{cache=\"hit\"} 0"),
        "{metrics}"
    );
    // Sending something loads that one child once; the next merge of it comes from memory.
    for n in 0..2 {
        record_on(&mut sam, |doc| {
            let obs = observation(&format!("cached-{n}"), "user-sam-social");
            record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
        });
        sam.sync(&fresh).await;
    }
    let metrics = fresh.state.metrics.render();
    assert!(
        metrics.contains("quilt_document_loads_total{cache=\"miss\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("quilt_document_loads_total{cache=\"hit\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_record_hears_of_a_merge_stored_by_another_process() {
    let manager_side = TestServer::start().await;
    let tablet_side = manager_side
        .another_process(server::Config::default())
        .await;
    let token = manager_side.login("morgan.manager").await;
    let (status, body) = manager_side
        .get(&format!("/api/children/{AVA}/record"), Some(&token))
        .await;
    assert!(status.is_success(), "{body}");
    let shown: RecordResponse = serde_json::from_value(body).expect("record");

    // Nothing new: the wait runs out and the same version comes back.
    let (status, body) = manager_side
        .get(
            &format!("/api/children/{AVA}/changes?since={}&wait=1", shown.version),
            Some(&token),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let unchanged: ChangesResponse = serde_json::from_value(body).expect("changes");
    assert_eq!(unchanged.version, shown.version);

    // The manager's page waits (long enough that only a change can end it) while a
    // practitioner's tablet syncs a new observation through the other process.
    let waiting = {
        let path = format!(
            "/api/children/{AVA}/changes?since={}&wait=25",
            shown.version
        );
        let router = manager_side.router.clone();
        let token = token.clone();
        tokio::spawn(async move { crate::support::get_with(router, &path, &token).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut sam = Tablet::sign_in(&tablet_side, "sam.social").await;
    sam.sync(&tablet_side).await;
    record_on(&mut sam, |doc| {
        let obs = observation("while-open", "user-sam-social");
        record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
    });
    sam.sync(&tablet_side).await;
    let started = std::time::Instant::now();
    let (status, body) = waiting.await.expect("task");
    assert!(status.is_success(), "{body}");
    let changed: ChangesResponse = serde_json::from_value(body).expect("changes");
    assert_ne!(
        changed.version,
        shown.version,
        "the wait ended with a new version (after {:?})",
        started.elapsed()
    );
    let (_, body) = manager_side
        .get(&format!("/api/children/{AVA}/record"), Some(&token))
        .await;
    let reread: RecordResponse = serde_json::from_value(body).expect("record");
    assert_eq!(reread.version, changed.version);
    assert!(reread
        .record
        .observations
        .iter()
        .any(|o| o.id == "while-open"));

    // Someone without access to the child learns nothing, not even that it exists.
    let outsider = manager_side.login("hana.health").await;
    let (status, _) = manager_side
        .get(
            "/api/children/child-mia/changes?since=0&wait=1",
            Some(&outsider),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_each_process_is_told_of_another_process_merge_when_it_commits() {
    let listening = TestServer::start().await;
    if !listening.is_postgres() {
        return; // SQLite has no notifications; waiting pages poll the stored version.
    }
    let mut heard = listening.state.documents.subscribe();
    // Let the demo caseload's own merges (announced here and, if the listener was already
    // connected, heard back from PostgreSQL) pass first.
    while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), heard.recv()).await {}
    let other = listening.another_process(server::Config::default()).await;
    // The listener connects in the background; keep storing until it has heard one.
    let mut sam = Tablet::sign_in(&other, "sam.social").await;
    sam.sync(&other).await;
    let announced = async {
        for n in 0.. {
            record_on(&mut sam, |doc| {
                let obs = observation(&format!("notify-{n}"), "user-sam-social");
                record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
            });
            sam.sync(&other).await;
            while let Ok(Ok(child)) =
                tokio::time::timeout(Duration::from_secs(1), heard.recv()).await
            {
                if child == ava() {
                    return child;
                }
            }
        }
        unreachable!()
    };
    let child = tokio::time::timeout(Duration::from_secs(60), announced)
        .await
        .expect("the listening process heard of the other's merge");
    assert_eq!(child, ava());
}

#[tokio::test]
async fn a_long_chronology_is_read_a_page_at_a_time() {
    let server = TestServer::start().await;
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    record_on(&mut sam, |doc| {
        for n in 0..30 {
            let obs = observation(&format!("page-{n:02}"), "user-sam-social");
            record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
        }
    });
    sam.sync(&server).await;
    let token = server.login("morgan.manager").await;
    let observations = server.chronology_ids(AVA).await;
    assert!(observations.len() > 30);
    let page = |query: &str| {
        let path = format!("/api/children/{AVA}/chronology?{query}");
        let server = &server;
        let token = token.clone();
        async move { server.get(&path, Some(&token)).await }
    };
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["ref_id"].as_str().expect("id").to_owned())
            .collect()
    };
    let (_, whole) = page("").await;
    let all = ids(&whole);
    assert!(
        all.len() > observations.len(),
        "plan events, meetings and people too"
    );

    let (status, latest) = page("offset=-10&limit=10").await;
    assert!(status.is_success(), "{latest}");
    assert_eq!(
        ids(&latest),
        all[all.len() - 10..].to_vec(),
        "the most recent ten"
    );
    assert_eq!(latest["total"], all.len());
    assert_eq!(latest["offset"], all.len() - 10);
    let typed: ChronologyResponse = serde_json::from_value(latest.clone()).expect("typed page");
    assert_eq!(
        (typed.offset, typed.total),
        (all.len() as i64 - 10, all.len() as i64),
        "the shared type reads the page's place"
    );

    let (_, first) = page("offset=0&limit=5").await;
    assert_eq!(ids(&first), all[..5].to_vec());
    let (_, next) = page("offset=5&limit=5").await;
    assert_eq!(ids(&next), all[5..10].to_vec());
    assert!(
        observations.iter().all(|o| all.contains(o)),
        "no query: the whole chronology"
    );

    for bad in ["limit=0", "limit=100000", "limit=-3"] {
        let (status, body) = page(bad).await;
        assert_eq!(status, axum::http::StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    // Pages of one version are built once; the next version is never served the old list.
    record_on(&mut sam, |doc| {
        let obs = observation("page-late", "user-sam-social");
        record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
    });
    sam.sync(&server).await;
    let (_, after) = page("").await;
    assert!(
        ids(&after).contains(&"page-late".to_owned()),
        "the new entry shows at once"
    );
    assert_eq!(after["total"], all.len() + 1);
}

/// A colleague's changes reach the tablet as the server stored them, not rebuilt from the
/// document: from the merging process's memory, from another process that loads them, and
/// still (rebuilt) once compaction has folded them into a snapshot.
#[tokio::test]
async fn a_colleagues_changes_reach_the_tablet_as_they_were_stored() {
    let config = server::Config {
        compact_after_changes: 3,
        ..server::Config::default()
    };
    let first = TestServer::with_config(config.clone()).await;
    let mut sam = Tablet::sign_in(&first, "sam.social").await;
    let mut hana = Tablet::sign_in(&first, "hana.health").await;
    sam.sync(&first).await;
    hana.sync(&first).await;
    let answers = |server: &TestServer, source: &str| -> u64 {
        let metrics = server.state.metrics.render();
        let line = format!("quilt_answer_changes_total{{source=\"{source}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .and_then(|n| n.parse().ok())
            .expect("the answer counter")
    };
    let (kept_before, rebuilt_before) = (answers(&first, "kept"), answers(&first, "rebuilt"));

    for round in 0..6u32 {
        record_on(&mut sam, |doc| {
            let obs = observation(&format!("sam-{round}"), "user-sam-social");
            record::add_observation(doc, &obs, obs.recorded_at_ms).expect("add");
        });
        let request = sam.caseload.request();
        let sent = request
            .children
            .iter()
            .find(|c| c.child_id == ava())
            .map(|c| c.changes.clone())
            .expect("Ava in the request");
        assert_eq!(sent.len(), 1, "round {round}: one new change");
        let (status, body) = first.post("/api/sync", Some(&sam.token), &request).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{body}");
        let answer: SyncResponse = serde_json::from_value(body).expect("answer");
        sam.caseload.apply(&answer, &sam.actor);

        // Even rounds ask the process that merged; odd rounds a new process, whose cache
        // starts empty.
        let other;
        let server = if round.is_multiple_of(2) {
            &first
        } else {
            other = first.another_process(config.clone()).await;
            &other
        };
        let request = hana.caseload.request();
        let (status, body) = server.post("/api/sync", Some(&hana.token), &request).await;
        assert_eq!(status, axum::http::StatusCode::OK, "{body}");
        let answer: SyncResponse = serde_json::from_value(body).expect("answer");
        let received = answer
            .children
            .iter()
            .find(|c| c.child_id == ava())
            .and_then(|c| match &c.result {
                ChildResult::Merged { changes, .. } => Some(changes.clone()),
                _ => None,
            })
            .expect("Ava merged");
        let hashes = |changes: &[Bytes]| -> Vec<String> {
            changes
                .iter()
                .map(|b| {
                    automerge::Change::from_bytes(b.0.clone())
                        .expect("a change")
                        .hash()
                        .to_string()
                })
                .collect()
        };
        assert_eq!(hashes(&received), hashes(&sent), "round {round}");
        // Changes stored since the last snapshot are sent byte for byte as they arrived.
        let (_, after_snapshot) = first.stored(AVA).await;
        if after_snapshot.iter().any(|b| *b == sent[0].0) {
            assert_eq!(received, sent, "round {round}: the stored bytes");
        }
        hana.caseload.apply(&answer, &hana.actor);
        let heads = |t: &Tablet| t.caseload.replicas[&ava()].doc.get_heads();
        assert_eq!(
            heads(&hana),
            heads(&sam),
            "round {round}: the tablets agree"
        );
    }
    assert!(
        first.stored(AVA).await.0.is_some(),
        "compaction ran along the way"
    );
    // The process that merged Sam's changes answered Hana from the bytes it kept, each time.
    assert_eq!(answers(&first, "kept") - kept_before, 3);
    assert_eq!(answers(&first, "rebuilt") - rebuilt_before, 0);
}
