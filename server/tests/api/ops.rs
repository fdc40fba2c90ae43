//! Operating the server: liveness and readiness probes, Prometheus metrics without
//! identifiers, request logs without record content (from the real binary), and online
//! SQLite backups taken while tablets sync.
//!
//! tidy: long file — the probe, metrics, log and backup tests share the real binary's start-up
//! helpers. Issue 11 (one test crate per package) makes it a module and can split it then.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Tablet, TestServer};
use automerge::ActorId;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::store::sqlite::SqliteStore;
use server::store::{Accounts, ReadModel};
use server::{AppState, Config};
use shared::record::{self, Observation};
use shared::sync::server::encode_changes;
use shared::sync::{Caseload, ChildSyncRequest, Replica, SyncRequest, SyncResponse};
use shared::ChildId;
use tower::ServiceExt;

const AVA: &str = "child-ava";
const SAM: &str = "user-sam-social";
const HANA: &str = "user-hana-health";

fn id(child: &str) -> ChildId {
    child.parse().expect("child id")
}

fn observation(obs_id: &str, author: &str, narrative: &str) -> Observation {
    let mut o = crate::support::observation(obs_id, author);
    o.narrative = narrative.into();
    o.child_words = narrative.into();
    o
}

fn record_on(caseload: &mut Caseload, child: &str, obs: &Observation) {
    let replica = caseload.replicas.get_mut(&id(child)).expect("child held");
    record::add_observation(&mut replica.doc, obs, obs.recorded_at_ms).expect("record");
}

/// Status, headers and body text of a request sent straight to the router.
async fn call(router: &Router, req: Request<Body>) -> (StatusCode, header::HeaderMap, String) {
    let resp = router.clone().oneshot(req).await.expect("router");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

async fn get(
    router: &Router,
    path: &str,
    bearer: Option<&str>,
) -> (StatusCode, header::HeaderMap, String) {
    let mut req = Request::get(path);
    if let Some(t) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    call(router, req.body(Body::empty()).expect("request")).await
}

/// A fresh server on its own SQLite file, with the pool kept so a test can starve or close it.
async fn server_with_pool() -> (Router, sqlx::SqlitePool, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("quilt.db").display());
    let store = SqliteStore::open(&url).await.expect("open");
    let pool = store.pool().clone();
    let router = server::app(AppState::new(Arc::new(store), Config::default()));
    (router, pool, dir)
}

#[tokio::test]
async fn health_and_ready_answer_without_a_session_and_are_never_cached() {
    let server = TestServer::start().await;
    let (status, headers, body) = get(&server.router, "/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

    let (status, headers, body) = get(&server.router, "/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["status"],
        "ready"
    );

    let (status, headers, _) = get(&server.router, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .starts_with("text/plain; version=0.0.4"));
}

#[tokio::test]
async fn ready_is_503_with_a_reason_when_the_database_does_not_answer() {
    let (router, pool, _dir) = server_with_pool().await;
    assert_eq!(get(&router, "/ready", None).await.0, StatusCode::OK);

    // Every pooled connection busy: the check gives up after its short timeout.
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.expect("connection"));
    }
    let started = Instant::now();
    let (status, headers, body) = get(&router, "/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(started.elapsed() < server::routes::ops::READY_TIMEOUT + Duration::from_secs(3));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["reason"], "the database did not answer in time");
    // Liveness does not depend on the database: restarting would not help.
    assert_eq!(get(&router, "/health", None).await.0, StatusCode::OK);

    drop(held);
    assert_eq!(get(&router, "/ready", None).await.0, StatusCode::OK);

    pool.close().await;
    let (status, _, body) = get(&router, "/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["reason"], "the database is not answering queries");
}

/// `name{labels}` -> value, from Prometheus' text format.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').expect("sample line");
            (key.to_owned(), value.parse().expect("number"))
        })
        .collect()
}

#[tokio::test]
async fn metrics_count_syncs_sign_ins_and_routes_without_identifiers() {
    let server = TestServer::start().await;
    let canary = "CANARY-METRICS-4417";

    // One good sign-in (the tablet's) and one wrong password.
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    let (status, _) = server
        .post(
            "/api/login",
            None,
            &serde_json::json!({"username": "sam.social", "password": canary}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // First download (names no child), then one observation: every held child merged.
    let mut completed = sam.sync(&server).await;
    record_on(
        &mut sam.caseload,
        AVA,
        &observation("obs-metrics", SAM, canary),
    );
    completed += sam.sync(&server).await;

    // A change in Hana's name from Sam's tablet: rejected.
    let replica = &sam.caseload.replicas[&id(AVA)];
    let mut forged = replica.doc.fork().with_actor(sam.actor.clone());
    let heads = forged.get_heads();
    record::add_observation(
        &mut forged,
        &observation("obs-forged", HANA, canary),
        1_790_000_000_000,
    )
    .expect("record");
    let rejected = ChildSyncRequest {
        child_id: id(AVA),
        server_heads: replica.server_heads_hex(),
        changes: encode_changes(forged.get_changes(&heads)),
        sync_message: None,
    };
    let sent_rejected = rejected.changes.len();
    // Noah is not on Sam's caseload: revoked.
    let noah = Replica::new(id("child-noah"), sam.actor.clone()).request();
    for child in [rejected, noah] {
        let body = SyncRequest {
            children: vec![child],
            ..Default::default()
        };
        let (status, body) = server.post("/api/sync", Some(&sam.token), &body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // No session: the sync is refused as a whole.
    let (status, _) = server
        .post("/api/sync", None, &SyncRequest::default())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A read of a child, with the id in the path and a query string.
    let (status, _) = server
        .get(
            &format!("/api/children/{AVA}/record?q={canary}"),
            Some(&sam.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, text) = get(&server.router, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let m = parse_metrics(&text);
    let value = |key: &str| *m.get(key).unwrap_or_else(|| panic!("no {key} in:\n{text}"));
    let held = sam.caseload.replicas.len() as f64;
    let syncs = completed as f64 + 2.0;

    assert_eq!(value("quilt_sign_ins_total{outcome=\"ok\"}"), 1.0);
    assert_eq!(value("quilt_sign_ins_total{outcome=\"failed\"}"), 1.0);
    assert_eq!(value("quilt_sign_ins_total{outcome=\"rate_limited\"}"), 0.0);
    assert_eq!(
        value("quilt_sync_requests_total{outcome=\"completed\"}"),
        syncs
    );
    assert_eq!(value("quilt_sync_requests_total{outcome=\"refused\"}"), 1.0);
    assert_eq!(value("quilt_sync_requests_total{outcome=\"failed\"}"), 0.0);
    assert_eq!(value("quilt_sync_children_total{outcome=\"merged\"}"), held);
    assert_eq!(
        value("quilt_sync_children_total{outcome=\"fallback\"}"),
        0.0
    );
    assert_eq!(
        value("quilt_sync_children_total{outcome=\"rejected\"}"),
        1.0
    );
    assert_eq!(value("quilt_sync_children_total{outcome=\"revoked\"}"), 1.0);
    assert_eq!(value("quilt_sync_changes_accepted_total"), 1.0);
    assert_eq!(
        value("quilt_sync_changes_rejected_total"),
        sent_rejected as f64
    );
    assert_eq!(value("quilt_sync_duration_seconds_count"), syncs + 1.0);
    assert_eq!(
        value("quilt_sync_duration_seconds_bucket{le=\"+Inf\"}"),
        syncs + 1.0
    );
    assert!(value("quilt_sync_duration_seconds_sum") > 0.0);
    assert!(value("process_start_time_seconds") > 1.7e9);
    assert_eq!(
        value("quilt_http_requests_total{route=\"/api/sync\",status=\"2xx\"}"),
        syncs
    );
    assert_eq!(
        value("quilt_http_requests_total{route=\"/api/sync\",status=\"4xx\"}"),
        1.0
    );
    assert_eq!(
        value("quilt_http_requests_total{route=\"/api/login\",status=\"4xx\"}"),
        1.0
    );
    assert_eq!(
        value(
            "quilt_http_requests_total{route=\"/api/children/{child_id}/record\",status=\"2xx\"}"
        ),
        1.0
    );

    // Nothing that names a person, a child, a device, a token or what was written.
    let actor = sam.actor.to_bytes();
    // `Tablet::sign_in` makes actors of the device id's bytes and "tab1".
    let device = hex::encode(&actor[..actor.len() - 4]);
    for secret in [
        canary, "child-", "user-", "sam", "Ava", "Noah", &device, &sam.token, "?q=",
    ] {
        assert!(
            !text.contains(secret),
            "metrics mention {secret:?}:\n{text}"
        );
    }
}

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_configured() {
    let token = "a-long-metrics-token-for-tests";
    let server = TestServer::with_config(Config {
        metrics_token: Some(token.parse().expect("token")),
        ..Config::default()
    })
    .await;
    let (status, headers, body) = get(&server.router, "/metrics", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    assert!(!body.contains("quilt_"));
    let (status, _, _) = get(
        &server.router,
        "/metrics",
        Some("a-long-metrics-token-for-test"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A user's session token is not a metrics token.
    let session = server.login("morgan.manager").await;
    assert_eq!(
        get(&server.router, "/metrics", Some(&session)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, body) = get(&server.router, "/metrics", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("quilt_sync_requests_total"));
    // The probes stay open for load balancers.
    assert_eq!(get(&server.router, "/health", None).await.0, StatusCode::OK);
    assert_eq!(get(&server.router, "/ready", None).await.0, StatusCode::OK);
}

/// The real `quilt-server` binary, killed when dropped.
pub(crate) struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn quilt_server() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_quilt-server"));
    for var in [
        "RUST_LOG",
        "QUILT_LISTEN",
        "QUILT_DATABASE_URL",
        "QUILT_STATIC_DIR",
        "QUILT_DEMO",
        "QUILT_LOG_FORMAT",
        "QUILT_METRICS_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Starts the binary on port 0 with JSON logs going to `log`; returns it and its base URL.
async fn start_binary(dir: &Path, log: &Path) -> (Process, String) {
    start_binary_with(dir, log, &["--demo"]).await
}

/// [`start_binary`] with `extra` arguments instead of `--demo`.
pub(crate) async fn start_binary_with(dir: &Path, log: &Path, extra: &[&str]) -> (Process, String) {
    let file = std::fs::File::create(log).expect("log file");
    let child = quilt_server()
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("quilt.db").display()))
        .arg("--static-dir")
        .arg(dir.join("no-client"))
        .args(extra)
        .arg("--log-format")
        .arg("json")
        .stdout(Stdio::from(file.try_clone().expect("log file")))
        .stderr(Stdio::from(file))
        .spawn()
        .expect("start quilt-server");
    let process = Process(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text.split("Quilt is running at ").nth(1) {
            let url = rest.lines().next().expect("url").trim_end_matches('/');
            return (process, url.to_owned());
        }
        assert!(
            Instant::now() < deadline,
            "quilt-server did not start:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn json_request_logs_carry_route_templates_and_never_record_content() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("server.log");
    let (_process, base) = start_binary(dir.path(), &log).await;
    let canary = "CANARY-NARRATIVE-PURPLE-GIRAFFE-7731";
    let client = reqwest::Client::new();

    // Sign in as a tablet does, download the caseload, record and sync the canary.
    let device = "00112233445566778899aabbccddeeff";
    let login: Value = client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "sam.social", "password": server::demo::DEMO_PASSWORD, "device_id": device}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login json");
    let token = login["token"].as_str().expect("token").to_owned();
    let mut actor = hex::decode(device).expect("hex");
    actor.extend_from_slice(b"tablet01");
    let actor = ActorId::from(actor);
    let mut caseload = Caseload::default();
    let sync = |req: SyncRequest| {
        let client = client.clone();
        let url = format!("{base}/api/sync");
        let token = token.clone();
        async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&req)
                .send()
                .await
                .expect("sync");
            assert_eq!(resp.status(), 200);
            resp.json::<SyncResponse>().await.expect("sync json")
        }
    };
    let resp = sync(caseload.request()).await;
    caseload.apply(&resp, &actor);
    record_on(&mut caseload, AVA, &observation("obs-canary", SAM, canary));
    let resp = sync(caseload.request()).await;
    assert!(!caseload.apply(&resp, &actor).needs_another_round);
    assert_eq!(caseload.pending(), 0, "the canary was acknowledged");

    // Reads with ids in the path and the canary in query strings, and a path nothing matches.
    for path in [
        format!("/api/children/{AVA}/record?q={canary}"),
        format!("/api/children/{AVA}/chronology?from={canary}"),
        format!("/nothing/{canary}"),
    ] {
        let status = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get")
            .status();
        assert!(status.as_u16() < 500, "{path}: {status}");
    }
    // A failed sign-in whose password is the canary.
    client
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "sam.social", "password": canary}))
        .send()
        .await
        .expect("login");

    // The request lines are written after the responses; wait for the last one.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = std::fs::read_to_string(&log).expect("log");
        if text.matches("\"message\":\"request\"").count() >= 7 {
            break text;
        }
        assert!(Instant::now() < deadline, "request lines missing:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert!(
        !text.contains(canary),
        "the canary reached the log:\n{text}"
    );
    assert!(
        !text.contains("GIRAFFE"),
        "part of the canary reached the log"
    );
    let requests: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).expect("every log line is JSON"))
        .filter(|v| v["message"] == "request")
        .collect();
    for line in &requests {
        assert!(
            line["method"].is_string() && line["status"].is_u64(),
            "{line}"
        );
        assert!(
            line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
        let route = line["route"].as_str().expect("route");
        assert!(
            !route.contains("child-") && !route.contains('?'),
            "a raw path in {line}"
        );
    }
    let routes: Vec<(&str, &str, u64)> = requests
        .iter()
        .map(|v| {
            (
                v["method"].as_str().unwrap_or_default(),
                v["route"].as_str().unwrap_or_default(),
                v["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    for expected in [
        ("POST", "/api/login", 200),
        ("POST", "/api/sync", 200),
        ("GET", "/api/children/{child_id}/record", 200),
        ("GET", "/api/children/{child_id}/chronology", 200),
        ("GET", "unmatched", 404),
        ("POST", "/api/login", 401),
    ] {
        assert!(routes.contains(&expected), "no {expected:?} in {routes:?}");
    }
}

/// Runs `quilt-server backup` against `db_url`, writing `to`.
async fn backup_with_binary(db_url: &str, to: &Path) -> std::process::Output {
    let mut cmd = tokio::process::Command::from(quilt_server());
    cmd.arg("backup")
        .arg("--database-url")
        .arg(db_url)
        .arg("--to")
        .arg(to)
        .output()
        .await
        .expect("run quilt-server backup")
}

/// Observation ids in the backup's read model, after checking that the stored Automerge
/// document holds exactly the same observations (the copy is one consistent snapshot).
async fn observations_in_backup(path: &Path) -> Vec<String> {
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open backup");
    let (doc, _) = server::merge::load(&store, &id(AVA))
        .await
        .expect("document");
    let mut in_doc: Vec<String> = record::read_record(&doc)
        .expect("record")
        .observations
        .into_iter()
        .map(|o| o.id.to_string())
        .collect();
    let mut in_read_model: Vec<String> = store
        .chronology(&id(AVA), server::store::Page::ALL)
        .await
        .expect("chronology")
        .entries
        .into_iter()
        .map(|e| e.observation_id.to_string())
        .collect();
    in_doc.sort();
    in_read_model.sort();
    in_read_model.dedup();
    assert_eq!(in_doc, in_read_model, "document and read model disagree");
    in_doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_syncing_holds_every_acknowledged_observation() {
    const SYNCS: usize = 40;
    // Online backup is SQLite's (PostgreSQL has pg_dump): SQLite on both passes of the suite.
    let server = Arc::new(TestServer::start_sqlite().await);
    let mut sam = Tablet::sign_in(&server, "sam.social").await;
    sam.sync(&server).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));

    let writer = {
        let server = server.clone();
        let acknowledged = acknowledged.clone();
        tokio::spawn(async move {
            for i in 0..SYNCS {
                let obs_id = format!("obs-during-backup-{i:02}");
                record_on(
                    &mut sam.caseload,
                    AVA,
                    &observation(&obs_id, SAM, "Seen at home."),
                );
                sam.sync(&server).await;
                // Acknowledged: the response has come back.
                acknowledged.lock().expect("list").push(obs_id);
            }
        })
    };

    let dir = tempfile::tempdir().expect("dir");
    let mut backups: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut during_syncs = 0;
    for (n, after) in [2, 12, 25].into_iter().enumerate() {
        while acknowledged.lock().expect("list").len() < after && !writer.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let before = acknowledged.lock().expect("list").clone();
        if !writer.is_finished() {
            during_syncs += 1;
        }
        let to = dir.path().join(format!("backup-{n}.db"));
        let out = backup_with_binary(&server.db_url, &to).await;
        assert!(
            out.status.success(),
            "backup failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("backup written to"));
        backups.push((to, before));
    }
    writer.await.expect("syncs");
    assert!(during_syncs > 0, "no backup ran while tablets were syncing");

    for (path, before) in &backups {
        let held = observations_in_backup(path).await;
        for obs in before {
            assert!(
                held.contains(obs),
                "{} lacks acknowledged {obs}",
                path.display()
            );
        }
    }
    // And a backup taken after the last sync holds all of them.
    let last = dir.path().join("backup-last.db");
    let out = backup_with_binary(&server.db_url, &last).await;
    assert!(out.status.success());
    let held = observations_in_backup(&last).await;
    for obs in acknowledged.lock().expect("list").iter() {
        assert!(held.contains(obs), "final backup lacks {obs}");
    }
}

#[tokio::test]
async fn backup_never_overwrites_and_points_postgres_to_pg_dump() {
    // Online backup is SQLite's (PostgreSQL has pg_dump): SQLite on both passes of the suite.
    let server = TestServer::start_sqlite().await;
    let dir = tempfile::tempdir().expect("dir");
    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, "keep me").expect("write");
    let out = backup_with_binary(&server.db_url, &existing).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&existing).expect("read"), "keep me");

    let to = dir.path().join("pg.db");
    let err = server::backup::sqlite("postgres://quilt@localhost/quilt", &to)
        .await
        .expect_err("not SQLite");
    assert!(err.to_string().contains("pg_dump"), "{err}");
    assert!(!to.exists());

    // The library call backs up too, and the copy opens.
    let copy = dir.path().join("copy.db");
    let done = server::backup::sqlite(&server.db_url, &copy)
        .await
        .expect("backup");
    assert!(done.bytes > 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).expect("copy").permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a backup is readable by its owner only"
        );
    }
    let store = SqliteStore::open(&format!("sqlite://{}", copy.display()))
        .await
        .expect("open copy");
    assert!(store
        .user_by_username("sam.social")
        .await
        .expect("query")
        .is_some());
}
