//! The store's contract, written once and run on both engines: each test below is a function
//! of a store, and `on_both_engines!` makes `<test>::sqlite` (a fresh SQLite file) and
//! `<test>::postgres` (a fresh database on the server `QUILT_TEST_DATABASE_URL` names, as
//! `cargo xtask test` provides; without one it prints why it is skipped and passes).

use automerge::Automerge;
use server::audit::{self, Event};
use server::store::{MergeWrite, NewChange, NewRefresh, Page, Projection, RefreshUse, Store, User};
use shared::api::{CaseloadEntry, Role};
use shared::record;
use shared::sync::heads_to_hex;
use shared::testing::{observation, sender};
use shared::ChildId;

macro_rules! on_both_engines {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                let db = crate::support::TestStore::sqlite().await;
                super::$test(db.store.as_ref()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = crate::support::TestStore::postgres().await else {
                    eprintln!(
                        "{}::postgres skipped: QUILT_TEST_DATABASE_URL names no PostgreSQL server \
                         (cargo xtask test starts one)",
                        stringify!($test)
                    );
                    return;
                };
                super::$test(db.store.as_ref()).await;
            }
        }
    )*};
}

on_both_engines!(
    users_and_sessions,
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family,
    a_device_is_bound_to_its_first_user,
    caseloads_follow_allocation_and_team,
    merges_commit_only_on_the_version_they_were_computed_from,
    quarantine_marks_follow_the_version,
    the_audit_trail_is_appended_in_order_and_chained,
    the_read_model_follows_merges,
);

fn id(s: &str) -> ChildId {
    s.parse().expect("id")
}

fn user(name: &str, role: Role, team: Option<&str>) -> User {
    User {
        id: format!("user-{name}").parse().expect("id"),
        username: name.into(),
        display_name: format!("{name} (name)"),
        agency: "Children's services".into(),
        role,
        team_id: team.map(str::to_owned),
        password_hash: "not a real hash".into(),
        disabled_at_ms: None,
        must_change_password: false,
        front_door: false,
    }
}

fn child(s: &str) -> CaseloadEntry {
    CaseloadEntry {
        child_id: id(s),
        display_name: format!("{s} (name)"),
        date_of_birth: "2015-01-01".into(),
        legal_status: "Child in need".into(),
    }
}

/// A team with a practitioner (`sam`), a manager (`mo`) and children `child-a`, `child-b`.
async fn team(store: &dyn Store) -> (User, User) {
    store.create_team("team-1", "Team one").await.expect("team");
    let sam = user("sam", Role::Practitioner, Some("team-1"));
    let mo = user("mo", Role::Manager, Some("team-1"));
    store.create_user(&sam).await.expect("sam");
    store.create_user(&mo).await.expect("mo");
    for c in ["child-a", "child-b"] {
        store
            .create_child(&child(c), "team-1")
            .await
            .expect("child");
    }
    (sam, mo)
}

/// A write of every change in `doc` beyond `before`, with the observations it holds.
fn write_of(doc: &Automerge, before: &[automerge::ChangeHash], whole: bool) -> MergeWrite {
    let changes = doc
        .get_changes(before)
        .into_iter()
        .map(|mut c| NewChange {
            hash: c.hash().to_string(),
            bytes: c.bytes().into_owned(),
        })
        .collect();
    let view = record::read(doc).expect("read");
    MergeWrite {
        changes,
        heads: heads_to_hex(&doc.get_heads()),
        compact_to: None,
        projection: Projection {
            record: record::read_record_except_observations(doc).expect("record"),
            observations: view.observations,
            replace_all: whole.then_some(0),
        },
    }
}

/// `child`'s record with observations `ids` by `sam`, and the write that stores it from genesis.
fn record_with(child: &ChildId, ids: &[&str]) -> (Automerge, MergeWrite) {
    let mut doc = record::genesis(child);
    let genesis = doc.get_heads();
    let sam = sender("user-sam", Role::Practitioner);
    for (n, o) in ids.iter().enumerate() {
        let mut obs = observation(o, &sam);
        obs.occurred = format!("2026-05-0{}", n + 1);
        record::add_observation(&mut doc, &obs, obs.recorded_at_ms).expect("add");
    }
    let write = write_of(&doc, &genesis, true);
    (doc, write)
}

async fn users_and_sessions(store: &dyn Store) {
    let (sam, _) = team(store).await;
    let found = store.user_by_username("sam").await.expect("read");
    assert_eq!(found, Some(sam.clone()));
    assert_eq!(store.user_by_username("nobody").await.expect("read"), None);
    assert_eq!(
        store
            .user_by_username("sam\0")
            .await
            .expect("a NUL is no error"),
        None,
        "a username with U+0000 names nobody, on either engine"
    );
    store
        .create_session("tok-1", &sam.id, Some("device-1"), "fam-1", 1_000, 2_000)
        .await
        .expect("session");
    let session = store.session_user("tok-1", 1_500).await.expect("read");
    let session = session.expect("an unexpired session");
    assert_eq!(session.user, sam);
    assert_eq!(session.device_id.as_deref(), Some("device-1"));
    assert_eq!(session.family_id.as_deref(), Some("fam-1"));
    assert!(
        store
            .session_user("tok-1", 2_000)
            .await
            .expect("read")
            .is_none(),
        "expired"
    );
    assert!(store
        .session_user("tok-2", 1_500)
        .await
        .expect("read")
        .is_none());
    store.delete_session("tok-1").await.expect("delete");
    assert!(store
        .session_user("tok-1", 1_500)
        .await
        .expect("read")
        .is_none());
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(store: &dyn Store) {
    let (sam, _) = team(store).await;
    let refresh = |hash: &str, family: &str, expires_at_ms| NewRefresh {
        token_hash: hash.into(),
        family_id: family.into(),
        user_id: sam.id.clone(),
        device_id: Some("device-1".into()),
        now_ms: 0,
        expires_at_ms,
    };
    store
        .create_refresh(&refresh("r1", "fam", 10_000))
        .await
        .expect("r1");
    store
        .create_refresh(&refresh("r2", "fam", 10_000))
        .await
        .expect("r2");
    store
        .create_refresh(&refresh("old", "other", 100))
        .await
        .expect("old");
    store
        .create_session("access", &sam.id, Some("device-1"), "fam", 0, 10_000)
        .await
        .expect("session");
    match store.use_refresh("r1", 50).await.expect("use") {
        RefreshUse::Valid {
            user,
            device_id,
            family_id,
        } => {
            assert_eq!(user, sam);
            assert_eq!(device_id.as_deref(), Some("device-1"));
            assert_eq!(family_id, "fam");
        }
        other => panic!("a fresh token is valid: {other:?}"),
    }
    assert!(
        matches!(
            store.use_refresh("old", 200).await.expect("use"),
            RefreshUse::Invalid
        ),
        "an expired token is invalid"
    );
    assert!(matches!(
        store.use_refresh("unknown", 50).await.expect("use"),
        RefreshUse::Invalid
    ));
    match store.use_refresh("r1", 60).await.expect("reuse") {
        RefreshUse::Reused { family_id, user_id } => {
            assert_eq!(family_id, "fam");
            assert_eq!(user_id, sam.id.as_str());
        }
        other => panic!("a spent token presented again is reuse: {other:?}"),
    }
    assert!(
        matches!(
            store.use_refresh("r2", 70).await.expect("use"),
            RefreshUse::Invalid
        ),
        "reuse revoked the rest of the family"
    );
    assert!(
        store
            .session_user("access", 70)
            .await
            .expect("read")
            .is_none(),
        "and its access sessions"
    );
    store
        .create_refresh(&refresh("r3", "fam3", 10_000))
        .await
        .expect("r3");
    store.revoke_family("fam3").await.expect("revoke");
    assert!(matches!(
        store.use_refresh("r3", 80).await.expect("use"),
        RefreshUse::Invalid
    ));
}

async fn a_device_is_bound_to_its_first_user(store: &dyn Store) {
    let (sam, mo) = team(store).await;
    assert!(store
        .bind_device("device-1", &sam.id, 1)
        .await
        .expect("bind"));
    assert!(
        store
            .bind_device("device-1", &sam.id, 2)
            .await
            .expect("again"),
        "its own user"
    );
    assert!(
        !store
            .bind_device("device-1", &mo.id, 3)
            .await
            .expect("other"),
        "anyone else"
    );
    assert!(store
        .bind_device("device-2", &mo.id, 4)
        .await
        .expect("bind"));
}

async fn caseloads_follow_allocation_and_team(store: &dyn Store) {
    let (sam, mo) = team(store).await;
    let ids = |entries: Vec<CaseloadEntry>| -> Vec<String> {
        entries
            .into_iter()
            .map(|e| e.child_id.to_string())
            .collect()
    };
    assert!(
        store.caseload(&sam).await.expect("read").is_empty(),
        "nothing allocated yet"
    );
    store
        .allocate(&id("child-a"), &sam.id)
        .await
        .expect("allocate");
    store
        .allocate(&id("child-a"), &sam.id)
        .await
        .expect("allocating twice is no error");
    assert_eq!(ids(store.caseload(&sam).await.expect("read")), ["child-a"]);
    assert_eq!(
        ids(store.caseload(&mo).await.expect("read")),
        ["child-a", "child-b"],
        "a manager holds the team's children"
    );
    assert_eq!(
        store.child(&id("child-b")).await.expect("read"),
        Some(child("child-b"))
    );
    assert_eq!(store.child(&id("child-z")).await.expect("read"), None);
    store
        .deallocate(&id("child-a"), &sam.id)
        .await
        .expect("deallocate");
    assert!(store.caseload(&sam).await.expect("read").is_empty());
}

async fn merges_commit_only_on_the_version_they_were_computed_from(store: &dyn Store) {
    team(store).await;
    let (a, b) = (id("child-a"), id("child-b"));
    let empty = store.load_doc(&a).await.expect("load");
    assert_eq!(
        (empty.version, empty.snapshot, empty.changes.len()),
        (0, None, 0)
    );
    assert_eq!(
        store.unversioned_children().await.expect("read"),
        Vec::<ChildId>::new()
    );
    let (doc_a, write_a) = record_with(&a, &["o1"]);
    let (_, write_b) = record_with(&b, &["o2"]);
    let merges = [
        (a.clone(), 0, write_a.clone()),
        (b.clone(), 3, write_b.clone()),
    ];
    assert_eq!(
        store.commit_merges(&merges, 10).await.expect("commit"),
        [true, false],
        "a's base is current; b is not at version 3"
    );
    let stored = store.load_doc(&a).await.expect("load");
    assert_eq!(stored.version, 1);
    assert_eq!(stored.changes.len(), write_a.changes.len());
    assert_eq!(
        store.load_doc(&b).await.expect("load").version,
        0,
        "b wrote nothing"
    );
    let states = store
        .doc_states(&[a.clone(), b.clone()])
        .await
        .expect("states");
    let state = &states[&a];
    assert_eq!(state.version, 1);
    assert_eq!(state.heads, heads_to_hex(&doc_a.get_heads()));
    assert!(!state.quarantined);
    assert!(!states.contains_key(&b), "nothing stored for b");
    assert!(
        !store
            .commit_merge(&a, 0, &write_a, 11)
            .await
            .expect("commit"),
        "a second merge from version 0 is refused: another was stored first"
    );
    let record = store.load_record(&a).await.expect("record");
    let hashes: Vec<String> = write_a.changes.iter().map(|c| c.hash.clone()).collect();
    assert_eq!(
        record.hashes, hashes,
        "each change with its hash, in stored order"
    );
}

async fn quarantine_marks_follow_the_version(store: &dyn Store) {
    team(store).await;
    let a = id("child-a");
    let (_, write) = record_with(&a, &["o1"]);
    assert!(store.commit_merge(&a, 0, &write, 10).await.expect("commit"));
    assert!(
        !store
            .quarantine_record(&a, 0, "a test reason", 20)
            .await
            .expect("mark"),
        "the version moved on: not marked"
    );
    assert!(!store.is_quarantined(&a).await.expect("read"));
    assert!(store
        .quarantine_record(&a, 1, "a test reason", 20)
        .await
        .expect("mark"));
    assert!(
        !store
            .quarantine_record(&a, 1, "again", 30)
            .await
            .expect("mark"),
        "marked already"
    );
    assert!(store.is_quarantined(&a).await.expect("read"));
    assert!(
        store
            .doc_state(&a)
            .await
            .expect("read")
            .expect("state")
            .quarantined
    );
    let marked = store.quarantined_records().await.expect("list");
    assert_eq!(marked.len(), 1);
    assert_eq!(
        (marked[0].reason.as_str(), marked[0].detected_at_ms),
        ("a test reason", 20)
    );
    assert!(store.release_record(&a).await.expect("release"));
    assert!(
        !store.release_record(&a).await.expect("release"),
        "nothing left to release"
    );
    assert!(!store.is_quarantined(&a).await.expect("read"));
    assert!(store.quarantined_parts(&a).await.expect("parts").is_empty());
}

async fn the_audit_trail_is_appended_in_order_and_chained(store: &dyn Store) {
    let (sam, _) = team(store).await;
    let a = id("child-a");
    let events: Vec<Event> = (0..3)
        .map(|n| {
            Event::new("read.record", "ok")
                .by(sam.id.as_str(), Some("device-1"))
                .child(&a)
                .detail(format!("read {n}"))
        })
        .collect();
    store.append_audits(&events, 100).await.expect("append");
    store
        .append_audits(&[], 150)
        .await
        .expect("nothing to append");
    store
        .append_audit(&Event::new("login", "ok"), 200)
        .await
        .expect("append");
    let all = store.audit_all().await.expect("read");
    let details: Vec<&str> = all.iter().map(|e| e.event.detail.as_str()).collect();
    assert_eq!(details, ["read 0", "read 1", "read 2", ""]);
    assert_eq!(all[0].event, events[0], "stored as written");
    assert_eq!(audit::verify(&all), Ok(()), "one unbroken chain");
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let for_a = store.audit_for_child(&a).await.expect("read");
    assert_eq!(for_a.len(), 3, "the child's entries only");
}

async fn the_read_model_follows_merges(store: &dyn Store) {
    let (sam, mo) = team(store).await;
    store
        .allocate(&id("child-a"), &sam.id)
        .await
        .expect("allocate");
    store
        .allocate(&id("child-a"), &mo.id)
        .await
        .expect("allocate");
    let a = id("child-a");
    assert!(store
        .record(&a)
        .await
        .expect("read")
        .observations
        .is_empty());
    let (_, write) = record_with(&a, &["o1", "o2", "o3"]);
    assert!(store.commit_merge(&a, 0, &write, 10).await.expect("commit"));
    let stored = store.record(&a).await.expect("read");
    let ids: Vec<String> = stored
        .observations
        .iter()
        .map(|o| o.id.to_string())
        .collect();
    assert_eq!(ids, ["o1", "o2", "o3"], "in the order they happened");
    let page = store
        .chronology(
            &a,
            Page {
                offset: 1,
                limit: 1,
            },
        )
        .await
        .expect("chronology");
    assert_eq!((page.offset, page.total, page.entries.len()), (1, 3, 1));
    assert_eq!(page.entries[0].observation_id, "o2");
    let last = store
        .chronology(
            &a,
            Page {
                offset: -1,
                limit: 5,
            },
        )
        .await
        .expect("chronology");
    assert_eq!(
        (last.offset, last.entries.len()),
        (2, 1),
        "a negative offset counts from the end"
    );
    let team = store.team_caseload(&mo).await.expect("team");
    let row = team
        .iter()
        .find(|t| t.row.child.child_id == a)
        .expect("child-a");
    assert_eq!(row.row.observation_count, 3);
    assert_eq!(row.row.authors, 1);
    assert_eq!(row.row.last_occurred.as_deref(), Some("2026-05-03"));
    assert_eq!(
        row.row.allocated_to,
        ["mo (name)", "sam (name)"],
        "allocated names in user-id order on both engines"
    );
    let other = team.iter().find(|t| t.row.child.child_id == id("child-b"));
    assert_eq!(other.expect("child-b").row.observation_count, 0);
}
