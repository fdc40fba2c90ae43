//! Test support: a real server (router + SQLite file in a temp dir) seeded with the demo
//! caseload, driven without a socket, and tablets built from `shared`'s native sync client.

#![allow(dead_code)]

use std::sync::Arc;

use automerge::ActorId;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use server::store::sqlite::SqliteStore;
use server::{demo, AppState, Config};
use shared::api::LoginResponse;
use shared::sync::{Caseload, SyncResponse};
use tower::ServiceExt;

pub struct TestServer {
    pub state: AppState,
    pub router: Router,
    /// The SQLite file, for tests that inspect or tamper with it directly.
    pub db_url: String,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("quilt.db").display());
        let store = SqliteStore::open(&url).await.expect("open store");
        let state = AppState::new(Arc::new(store), config);
        demo::seed_if_empty(&state).await.expect("seed");
        let router = server::app(state.clone());
        TestServer {
            state,
            router,
            db_url: url,
            _dir: dir,
        }
    }

    pub async fn request(&self, req: Request<Body>) -> (StatusCode, Value) {
        let resp = self.router.clone().oneshot(req).await.expect("router");
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

    /// Observation ids in a child's chronology, read as the demo manager.
    pub async fn chronology_ids(&self, child: &str) -> Vec<String> {
        let token = self.login("morgan.manager").await;
        let (status, body) = self
            .get(&format!("/api/children/{child}/chronology"), Some(&token))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["observation_id"].as_str().expect("id").to_owned())
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

/// A simulated tablet: the same sync client code the app runs, natively.
pub struct Tablet {
    pub token: String,
    pub actor: ActorId,
    pub caseload: Caseload,
}

impl Tablet {
    pub async fn sign_in(server: &TestServer, username: &str) -> Self {
        // Like the app: a random-looking device id, and actors that start with its bytes.
        let device: String = username
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .chars()
            .take(32)
            .collect();
        let token = server.login_on(username, Some(&device)).await;
        let mut actor = hex::decode(&device).expect("hex");
        actor.extend_from_slice(b"tab1");
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
