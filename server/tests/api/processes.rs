//! Two server processes on one database: tablets sync the same child through both at once,
//! many times, and no change is lost; both append to one audit chain and it never forks.
//!
//! Each "process" is its own `AppState` with its own connection pool and its own in-memory
//! `DocLocks` and document cache, so only the database can keep their merges apart: a merge
//! is stored only on the document version it was computed from (`Store::commit_merge`), and
//! the loser of a race reloads and merges again. On PostgreSQL (`QUILT_TEST_DATABASE_URL=
//! postgres://…`, as `cargo xtask test` runs it) the check is a conditional update of the
//! child's version row; on SQLite it runs under the write lock two pools on one file share.
//! Compaction runs every few changes, because that is where an unserialised merge would
//! delete what it never saw.

use std::sync::Arc;

use crate::support::{Tablet, TestServer};
use shared::record::{self, Observation};
use shared::sync::SyncResponse;

const ROUNDS: usize = 12;
const AVA: &str = "child-ava";

fn observation(id: &str, author: &str) -> Observation {
    let mut o = crate::support::observation(id, author);
    o.present = vec!["Child".into()];
    o
}

/// Syncs until quiescent, failing on any refusal: under correct locking the server never
/// has a reason to refuse these changes, whatever the other process is doing.
async fn sync(tablet: &mut Tablet, server: &TestServer) {
    for _ in 0..5 {
        let req = tablet.caseload.request();
        let (status, body) = server.post("/api/sync", Some(&tablet.token), &req).await;
        assert!(status.is_success(), "sync: {status} {body}");
        let resp: SyncResponse = serde_json::from_value(body).expect("sync response");
        let outcome = tablet.caseload.apply(&resp, &tablet.actor);
        assert!(
            outcome.rejected.is_empty(),
            "refused: {:?}",
            outcome.rejected
        );
        if !outcome.needs_another_round {
            return;
        }
    }
    panic!("sync did not finish in 5 rounds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_merging_one_child_lose_no_change() {
    let config = server::Config {
        compact_after_changes: 6,
        ..server::Config::default()
    };
    let first = Arc::new(TestServer::with_config(config.clone()).await);
    let second = Arc::new(first.another_process(config).await);
    let processes = [first.clone(), second.clone()];

    // Four tablets, two per practitioner, each practitioner on both processes.
    let mut tablets = Vec::new();
    for (n, user, author) in [
        (1, "sam.social", "user-sam-social"),
        (2, "hana.health", "user-hana-health"),
        (3, "sam.social", "user-sam-social"),
        (4, "hana.health", "user-hana-health"),
    ] {
        let process = processes[(n / 2) % 2].clone();
        let mut tablet = Tablet::sign_in_on(&process, user, &format!("{n:032x}")).await;
        sync(&mut tablet, &process).await;
        tablets.push((n, author, process, tablet));
    }

    let workers: Vec<_> = tablets
        .into_iter()
        .map(|(n, author, process, mut tablet)| {
            tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let replica = tablet
                        .caseload
                        .replicas
                        .get_mut(&AVA.parse().expect("id"))
                        .expect("Ava on the tablet");
                    let obs = observation(&format!("tablet{n}-round{round:02}"), author);
                    record::add_observation(&mut replica.doc, &obs, obs.recorded_at_ms)
                        .expect("record");
                    sync(&mut tablet, &process).await;
                }
                (process, tablet)
            })
        })
        .collect();
    let mut tablets = Vec::new();
    for worker in workers {
        tablets.push(worker.await.expect("tablet task"));
    }

    // Everyone catches up; then every view of Ava must hold every observation.
    for (process, tablet) in &mut tablets {
        sync(tablet, process).await;
    }
    let expected: Vec<String> = (1..=4)
        .flat_map(|n| (0..ROUNDS).map(move |r| format!("tablet{n}-round{r:02}")))
        .collect();
    let ava = AVA.parse().expect("id");
    let (doc, _) = server::merge::load(first.state.store.as_ref(), &ava)
        .await
        .expect("load");
    let (doc_seen_by_second, _) = server::merge::load(second.state.store.as_ref(), &ava)
        .await
        .expect("load");
    assert_eq!(doc.get_heads(), doc_seen_by_second.get_heads());
    let stored = record::read(&doc).expect("read");
    for id in &expected {
        assert!(
            stored.observations.iter().any(|o| &o.id == id),
            "the stored document lost {id}"
        );
    }
    assert!(
        first.stored(AVA).await.0.is_some(),
        "compaction ran while both processes merged"
    );
    for process in [&first, &second] {
        let chronology = process.chronology_ids(AVA).await;
        for id in &expected {
            assert!(chronology.contains(id), "the read model lost {id}");
        }
    }
    for (process, tablet) in &mut tablets {
        sync(tablet, process).await;
        let replica = &tablet.caseload.replicas[&ava];
        assert_eq!(replica.doc.get_heads(), doc.get_heads(), "tablet converged");
        assert_eq!(tablet.caseload.pending(), 0);
    }

    // The audit trail, appended to by both processes throughout, is one unbroken chain that
    // records every stored change.
    let trail = first.state.store.audit_all().await.expect("audit");
    assert_eq!(server::audit::verify(&trail), Ok(()));
    let stored_changes: usize = trail
        .iter()
        .filter(|e| e.event.action == "sync" && e.event.outcome == "ok")
        .filter_map(|e| e.event.detail.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(stored_changes, 4 * ROUNDS, "every stored change is audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_appending_to_the_audit_trail_keep_one_chain() {
    const APPENDS: usize = 150;
    let first = TestServer::start().await;
    let second = first.another_process(server::Config::default()).await;
    let before = first.state.store.audit_all().await.expect("audit").len();
    let appenders: Vec<_> = [first.state.store.clone(), second.state.store.clone()]
        .into_iter()
        .enumerate()
        .map(|(n, store)| {
            tokio::spawn(async move {
                for i in 0..APPENDS {
                    let event = server::audit::Event::new("read.record", "ok")
                        .detail(format!("process {n}, read {i}"));
                    store.append_audit(&event, i as i64).await.expect("append");
                }
            })
        })
        .collect();
    for appender in appenders {
        appender.await.expect("appender");
    }
    let trail = first.state.store.audit_all().await.expect("audit");
    assert_eq!(trail.len(), before + 2 * APPENDS);
    assert_eq!(server::audit::verify(&trail), Ok(()), "the chain forked");
}
