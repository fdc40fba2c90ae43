//! Test support: a real server (router + database) seeded with the demo caseload, driven
//! without a socket, and tablets built from `shared`'s native sync client.
//!
//! The database is a SQLite file in a temp dir, or, when `QUILT_TEST_DATABASE_URL` names a
//! PostgreSQL server (`cargo xtask test` runs the suite once each way), a fresh database on
//! it for every `TestServer`, dropped afterwards. The role in that URL needs `CREATEDB`.

#![allow(dead_code)]

use std::sync::Arc;

use automerge::ActorId;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::store::Store;
use server::{demo, AppState, Config};
use shared::api::{ChronologyResponse, LoginResponse};
use shared::sync::{Caseload, SyncResponse};
use tower::ServiceExt;

pub struct TestServer {
    pub state: AppState,
    pub router: Router,
    /// This server's own database, for tests that inspect or tamper with it directly.
    pub db_url: String,
    _db: TestDb,
}

/// Where a `TestServer` keeps its data; cleaned up on drop.
enum TestDb {
    Sqlite(tempfile::TempDir),
    /// A database created for one `TestServer` on the server at `admin_url`.
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another server's database (a second process on it); the owner cleans up.
    Shared,
}

/// The PostgreSQL server the suite runs against, if `QUILT_TEST_DATABASE_URL` names one;
/// unset, empty or `sqlite:` means SQLite. Anything else is a mistake, and says so.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("QUILT_TEST_DATABASE_URL").unwrap_or_default();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(url)
    } else if url.is_empty() || url.starts_with("sqlite:") {
        None
    } else {
        let scheme = url.split_once(':').map_or(url.as_str(), |(s, _)| s);
        panic!("QUILT_TEST_DATABASE_URL must be postgres://… or sqlite:…, not {scheme}:…");
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{name}", &base[..path]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

impl TestDb {
    fn sqlite() -> (Self, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("quilt.db").display());
        (TestDb::Sqlite(dir), url)
    }

    async fn create() -> (Self, String) {
        match postgres_url() {
            Some(admin_url) => Self::postgres(admin_url).await,
            None => Self::sqlite(),
        }
    }

    /// A fresh database on the PostgreSQL server at `admin_url`.
    async fn postgres(admin_url: String) -> (Self, String) {
        use sqlx::Connection;
        let name = format!("quilt_t_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("QUILT_TEST_DATABASE_URL names PostgreSQL, but: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("creating the test database {name}: {e}"));
        let _ = conn.close().await;
        let url = with_database(&admin_url, &name);
        (TestDb::Postgres { admin_url, name }, url)
    }
}

/// A store alone, on a fresh database of one engine, for the store's contract tests
/// (`store.rs`); dropped with its database.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    _db: TestDb,
}

impl TestStore {
    pub async fn sqlite() -> Self {
        let (db, url) = TestDb::sqlite();
        let store = server::store::open_store(&url).await.expect("open SQLite");
        TestStore { store, _db: db }
    }

    /// `None` when no PostgreSQL server is named (`QUILT_TEST_DATABASE_URL`).
    pub async fn postgres() -> Option<Self> {
        let (db, url) = TestDb::postgres(postgres_url()?).await;
        let store = server::store::open_store(&url)
            .await
            .expect("open PostgreSQL");
        Some(TestStore { store, _db: db })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop cannot await, and the test's runtime may have only this thread: use another.
        // FORCE ends the pools' connections still open on it.
        let dropped = std::thread::spawn(move || {
            use sqlx::Connection;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| format!("dropping {name}: {e}"))?;
                let _ = conn.close().await;
                Ok::<_, String>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("test database left behind: {e}"),
            Err(_) => eprintln!("test database left behind: the dropping thread panicked"),
        }
    }
}

/// Sends `req` through `router` and reads the answer: JSON, the text of a body that is not
/// JSON, or `Null` for an empty one.
pub async fn send(router: Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router.oneshot(req).await.expect("router");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, value)
}

/// A GET through `router` with a bearer token, for requests run in a task of their own.
pub async fn get_with(router: Router, path: &str, token: &str) -> (StatusCode, Value) {
    let req = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    send(router, req).await
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let (db, url) = TestDb::create().await;
        Self::on(db, url, config).await
    }

    /// On SQLite whichever engine the suite runs on: for what only SQLite has (online backup).
    pub async fn start_sqlite() -> Self {
        let (db, url) = TestDb::sqlite();
        Self::on(db, url, Config::default()).await
    }

    async fn on(db: TestDb, url: String, config: Config) -> Self {
        let store = server::store::open_store(&url).await.expect("open store");
        let state = AppState::new(store, config);
        demo::seed_if_empty(&state).await.expect("seed");
        let router = server::app(state.clone());
        TestServer {
            state,
            router,
            db_url: url,
            _db: db,
        }
    }

    /// A second server process on this server's database: its own connection pool, its own
    /// in-memory locks and limits, the same data. Keep `self` alive while it is used.
    pub async fn another_process(&self, config: Config) -> TestServer {
        let store = server::store::open_store(&self.db_url)
            .await
            .expect("open store");
        let state = AppState::new(store, config);
        let router = server::app(state.clone());
        TestServer {
            state,
            router,
            db_url: self.db_url.clone(),
            _db: TestDb::Shared,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.db_url.starts_with("postgres")
    }

    /// Runs one statement straight on the database, past the server: someone with raw access.
    pub async fn raw_execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection;
        if self.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(&self.db_url).await?;
            Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.db_url).await?;
            Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
        }
    }

    pub async fn request(&self, req: Request<Body>) -> (StatusCode, Value) {
        send(self.router.clone(), req).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.request(req.body(body.into()).expect("request")).await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> (StatusCode, Value) {
        self.post_raw(path, token, serde_json::to_vec(body).expect("json"))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::get(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.request(req.body(Body::empty()).expect("request"))
            .await
    }

    pub async fn login(&self, username: &str) -> String {
        self.login_on(username, None).await
    }

    /// Signs in from a named device (hex id), as a tablet does.
    pub async fn login_on(&self, username: &str, device: Option<&str>) -> String {
        let (status, body) = self
            .post(
                "/api/login",
                None,
                &serde_json::json!({"username": username, "password": demo::DEMO_PASSWORD, "device_id": device}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        let resp: LoginResponse = serde_json::from_value(body).expect("login response");
        resp.token
    }

    /// The record overview of `child` as `token`'s user reads it (`GET /api/children/{id}/record`).
    pub async fn record(&self, token: &str, child: &str) -> shared::api::RecordResponse {
        let (status, body) = self
            .get(&format!("/api/children/{child}/record"), Some(token))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).expect("record")
    }

    /// Observation ids in a child's chronology, read as the demo manager.
    pub async fn chronology_ids(&self, child: &str) -> Vec<String> {
        let token = self.login("morgan.manager").await;
        let (status, body) = self
            .get(&format!("/api/children/{child}/chronology"), Some(&token))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page: ChronologyResponse = serde_json::from_value(body).expect("chronology response");
        page.entries
            .into_iter()
            .filter(|e| e.kind == shared::analytics::ItemKind::Observation)
            .map(|e| e.ref_id)
            .collect()
    }

    /// The stored bytes of a child's document, to prove a refused request changed nothing.
    pub async fn stored(&self, child: &str) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
        let doc = self
            .state
            .store
            .load_doc(&child.parse().expect("id"))
            .await
            .expect("load");
        (doc.snapshot, doc.changes)
    }
}

/// The server's today: the date in England.
pub fn today() -> shared::calendar::Date {
    shared::calendar::Date::london_from_unix_ms(server::clock::now_ms())
}

/// A canonical device id for `username`'s test tablet, like the app's 16 random bytes in
/// lowercase hex, but the same in every run.
pub fn device_id(username: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(username.as_bytes())[..16])
}

/// A simulated tablet: the same sync client code the app runs, natively.
pub struct Tablet {
    pub token: String,
    pub actor: ActorId,
    pub caseload: Caseload,
}

impl Tablet {
    pub async fn sign_in(server: &TestServer, username: &str) -> Self {
        Self::sign_in_on(server, username, &device_id(username)).await
    }

    /// Signs in from the device `device` (32 lowercase hex characters); like the app's, its
    /// actor is the device's 16 bytes and 8 more.
    pub async fn sign_in_on(server: &TestServer, username: &str, device: &str) -> Self {
        let token = server.login_on(username, Some(device)).await;
        let mut actor = hex::decode(device).expect("hex");
        actor.extend_from_slice(b"tablet01");
        Tablet {
            token,
            actor: ActorId::from(actor),
            caseload: Caseload::default(),
        }
    }

    /// Syncs until no child needs another round; returns the number of HTTP round trips.
    pub async fn sync(&mut self, server: &TestServer) -> usize {
        for round in 1..=5 {
            let req = self.caseload.request();
            let (status, body) = server.post("/api/sync", Some(&self.token), &req).await;
            assert_eq!(status, StatusCode::OK, "sync: {body}");
            let resp: SyncResponse = serde_json::from_value(body).expect("sync response");
            let outcome = self.caseload.apply(&resp, &self.actor);
            if !outcome.needs_another_round {
                return round;
            }
        }
        panic!("sync did not finish in 5 rounds");
    }
}

/// The demo account with user id `user_id` (e.g. `user-sam-social`): its display name and
/// agency, which every entry it writes must carry. Any other id (an account that does not
/// exist) gets made-up ones.
pub fn demo_account(user_id: &str) -> (String, String) {
    server::demo::DEMO_USERS
        .iter()
        .find(|(username, ..)| format!("user-{}", username.replace('.', "-")) == user_id)
        .map(|(_, name, agency, _)| ((*name).to_owned(), (*agency).to_owned()))
        .unwrap_or_else(|| (user_id.to_owned(), "No agency".to_owned()))
}

#[allow(dead_code)]
pub fn display_name(user_id: &str) -> String {
    demo_account(user_id).0
}

#[allow(dead_code)]
pub fn agency(user_id: &str) -> String {
    demo_account(user_id).1
}

/// A stamp by the demo account `user_id`, as its tablet writes one.
#[allow(dead_code)]
pub fn stamp(user_id: &str) -> shared::record::stamped::Stamp {
    shared::record::stamped::Stamp {
        by: user_id.parse().expect("a valid id"),
        by_name: display_name(user_id),
        at_ms: 1_790_000_000_000,
    }
}

/// An observation `id` by the demo account `author` (a user id), as its tablet writes one: on
/// 2026-11-20, at home with the mother and the child, one indicator (sexual knowledge beyond the
/// child's age, to consider), observed directly. Tests change the fields they are about.
pub fn observation(id: &str, author: &str) -> shared::record::Observation {
    use shared::record::{IndicatorEntry, Level, Observation, Source};
    Observation {
        id: id.parse().expect("a valid id"),
        occurred: "2026-11-20".into(),
        occurred_approx: false,
        recorded_at_ms: 1_790_000_000_000,
        author_id: author.parse().expect("a valid id"),
        author_name: display_name(author),
        agency: agency(author),
        location: "Home".into(),
        present: vec!["Mother".into(), "Child".into()],
        indicators: vec![IndicatorEntry {
            code: "SEX-KNOWLEDGE".into(),
            level: Level::Consider,
            ..Default::default()
        }],
        source: Source::Observed,
        narrative: format!("Narrative {id}"),
        child_words: String::new(),
        action_taken: String::new(),
        body_marks: Vec::new(),
    }
}
