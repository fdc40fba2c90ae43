//! The malicious request corpus: crafted sync requests and Automerge changes sent through the
//! real router and store, grouped by rule family (`policy` holds the change policy's families,
//! from the shared corpus). Every one is refused with a clear reason that echoes no record
//! content, leaves every stored record exactly as it was, and is audited against the user and
//! child it targeted; the honest writes of the shared corpus are then accepted.
//!
//! `QUILT_CASE=<text>` runs only the cases whose name contains it.

mod access;
mod check;
mod fixture;
mod policy;
mod sequence;
mod wire;

use std::sync::Arc;

use fixture::{setup, Fixture, AVA};

fn corpus() -> Vec<check::Case> {
    let mut all = Vec::new();
    all.extend(access::cases());
    all.extend(sequence::cases());
    all.extend(wire::cases());
    all.extend(policy::cases());
    all
}

#[tokio::test]
async fn every_malicious_request_is_refused_stores_nothing_and_is_audited() {
    let (server, fixture) = setup().await;
    let contents = Arc::new(check::record_contents(&server).await);
    let mut corpus = corpus();
    assert!(corpus.len() >= 120, "{} cases", corpus.len());
    let mut names = std::collections::HashSet::new();
    assert!(
        corpus.iter().all(|c| names.insert(c.name.clone())),
        "names unique"
    );
    if let Ok(only) = std::env::var("QUILT_CASE") {
        corpus.retain(|c| c.name.contains(&only));
    }

    // One case at a time (each compares the whole store before and after), each in its own
    // task so that one failing case does not hide the others.
    let (server, fixture) = (Arc::new(server), Arc::new(fixture));
    let mut failed = Vec::new();
    for case in corpus {
        let (s, f, c) = (server.clone(), fixture.clone(), contents.clone());
        let name = case.name.clone();
        if tokio::spawn(async move { check::check(&s, &f, &case, &c).await })
            .await
            .is_err()
        {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failed cases: {failed:#?}");

    // Honest tablets are unaffected by all of it: their stamped writes, which the corpus forges
    // or edits in place, are accepted when made the way Quilt makes them.
    let Fixture {
        mut sam, mut hana, ..
    } = Arc::into_inner(fixture).expect("fixture");
    sam.sync(&server).await;
    hana.sync(&server).await;
    fixture::honest_stamped_writes(&mut sam, fixture::SAM);
    fixture::honest_stamped_writes(&mut hana, fixture::HANA);
    sam.sync(&server).await;
    hana.sync(&server).await;
    assert_eq!(
        sam.caseload.pending() + hana.caseload.pending(),
        0,
        "all accepted"
    );
    let ava = server
        .state
        .store
        .record(&fixture::id(AVA))
        .await
        .expect("record");
    assert_eq!(
        ava.plan.values.len(),
        2,
        "both offline plan edits kept, side by side"
    );
    assert!(ava.people.iter().all(|p| p.assessment.values.len() == 2));
    assert_eq!(
        server::audit::verify(&check::audit_trail(&server).await),
        Ok(())
    );
}

/// Every honest write of the shared corpus, each sent on its own by the real tablet client and
/// stored: the policy refuses nothing Quilt's own writers make.
#[tokio::test]
async fn every_honest_write_is_accepted_and_stored() {
    let (server, mut fixture) = setup().await;
    for honest in shared::testing::attacks::honest() {
        fixture.sam.sync(&server).await;
        fixture.morgan.sync(&server).await;
        let req = policy::sync_built(&fixture, honest.by, honest.build);
        let (status, body) = server.request(req).await;
        assert_eq!(
            status,
            axum::http::StatusCode::OK,
            "{}: {body}",
            honest.name
        );
        let ava = body["children"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["child_id"] == AVA))
            .map(|c| c["result"].clone())
            .unwrap_or_default();
        assert_eq!(ava["status"], "merged", "{}: {ava}", honest.name);
        assert!(
            ava["accepted"].as_u64().unwrap_or(0) > 0,
            "{}: {ava}",
            honest.name
        );
    }
    let record = server
        .state
        .store
        .record(&fixture::id(AVA))
        .await
        .expect("record");
    assert_eq!(record.unreadable, 0);
}
