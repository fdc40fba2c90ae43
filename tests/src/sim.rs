//! Simulated tablets over real HTTP: the same sync client the app runs (`shared::sync`), native,
//! for crash soaks and benchmarks with many tablets. Each tablet is its own device with its own
//! session; it records observations and syncs, and remembers which observations the server
//! has acknowledged (a `merged` answer to a request that carried them).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use automerge::ActorId;
use shared::api::LoginResponse;
use shared::record::stamped::Stamp;
use shared::record::{self, IndicatorEntry, Level, Observation, Source};
use shared::sync::{Caseload, ChildResult, SyncResponse};
use shared::ChildId;

/// A sync request built and not yet sent.
pub struct PreparedSync {
    body: Vec<u8>,
    content_type: &'static str,
    /// Observations the request carries.
    in_flight: BTreeSet<(ChildId, String)>,
}

/// What the server answered to a sync.
pub struct SyncAnswer {
    status: reqwest::StatusCode,
    bytes: Vec<u8>,
    took: Duration,
}

/// How one sync round ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Every child merged; nothing more to do.
    Settled,
    /// Some child is still in fallback: go again.
    Again,
    /// The server could not be reached or failed; the tablet keeps everything and retries.
    Unreachable,
}

pub struct SimTablet {
    pub username: String,
    device: String,
    token: String,
    /// The account as the server knows it: entries name it as their author.
    user: Option<shared::api::UserInfo>,
    actor: ActorId,
    pub caseload: Caseload,
    http: reqwest::Client,
    base: String,
    /// (child, observation id) the server has acknowledged.
    pub acknowledged: BTreeSet<(ChildId, String)>,
    /// Recorded but not yet acknowledged.
    pub unacknowledged: BTreeSet<(ChildId, String)>,
    /// Counters for benchmarks.
    pub round_trips: usize,
    pub bytes_up: usize,
    pub bytes_down: usize,
    /// Latency of each successful sync request.
    pub latencies: Vec<Duration>,
    /// Send syncs in the compact form the app sends (`shared::sync::wire`); `false` sends
    /// JSON, as older tablets did.
    pub compact: bool,
    next_obs: u64,
}

impl SimTablet {
    /// Signs in as `username` from a new device numbered `n`.
    pub async fn sign_in(base: &str, username: &str, password: &str, n: u32) -> Result<Self> {
        let device = format!("{:08x}{:024x}", n, u128::from(n) * 0x9e37_79b9_7f4a_7c15);
        // Connections idle for longer than the server keeps them (its header read timeout,
        // 10 s) are not reused: the server may be closing one just as a request goes out.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(5))
            .build()?;
        let mut actor = hex_bytes(&device);
        actor.extend_from_slice(&n.to_be_bytes());
        actor.extend_from_slice(b"sim!");
        let mut t = SimTablet {
            username: username.to_owned(),
            device,
            token: String::new(),
            user: None,
            actor: ActorId::from(actor),
            caseload: Caseload::default(),
            http,
            base: base.to_owned(),
            acknowledged: BTreeSet::new(),
            unacknowledged: BTreeSet::new(),
            round_trips: 0,
            bytes_up: 0,
            bytes_down: 0,
            latencies: Vec::new(),
            compact: true,
            next_obs: 0,
        };
        t.login(password).await?;
        Ok(t)
    }

    async fn login(&mut self, password: &str) -> Result<()> {
        let body = serde_json::json!({
            "username": self.username, "password": password, "device_id": self.device
        });
        let resp = self
            .http
            .post(format!("{}/api/login", self.base))
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
        let login: LoginResponse = resp.json().await?;
        self.token = login.token;
        self.user = Some(login.user);
        Ok(())
    }

    /// Children this tablet holds.
    pub fn children(&self) -> Vec<ChildId> {
        self.caseload.replicas.keys().cloned().collect()
    }

    /// Records an observation offline; returns its id.
    pub fn record(&mut self, child: &ChildId, narrative: &str) -> Result<String> {
        self.next_obs += 1;
        let id = format!("{}-{}", &self.device[..8], self.next_obs);
        let mut obs = observation(&id, &self.username, narrative);
        if let Some(user) = &self.user {
            obs.author_id = user.id.clone();
            obs.author_name = user.display_name.clone();
            obs.agency = user.agency.clone();
        }
        let replica = self
            .caseload
            .replicas
            .get_mut(child)
            .context("child not on this tablet")?;
        record::add_observation(&mut replica.doc, &obs, obs.recorded_at_ms)?;
        self.unacknowledged.insert((child.clone(), id.clone()));
        Ok(id)
    }

    /// Makes any other change to a child's record offline, stamped by this tablet's user now.
    pub fn change(
        &mut self,
        child: &ChildId,
        f: impl FnOnce(&mut record::Automerge, &Stamp) -> Result<()>,
    ) -> Result<()> {
        let user = self.user.as_ref().context("signed in")?;
        let stamp = Stamp {
            by: user.id.clone(),
            by_name: user.display_name.clone(),
            at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_millis() as i64,
        };
        let replica = self
            .caseload
            .replicas
            .get_mut(child)
            .context("child not on this tablet")?;
        f(&mut replica.doc, &stamp)?;
        Ok(())
    }

    /// One sync request. Observations recorded before it was sent are acknowledged when their
    /// child's answer is `merged`.
    pub async fn sync_once(&mut self) -> Result<Round> {
        let prepared = self.prepare_sync()?;
        let answer = self.send_sync(&prepared).await;
        self.finish_sync(prepared, answer)
    }

    /// The request body of the next sync, and what it carries: built before sending, so a
    /// benchmark can keep the tablet's own work out of the timed request.
    pub fn prepare_sync(&mut self) -> Result<PreparedSync> {
        let request = self.caseload.request();
        let (body, content_type) = if self.compact {
            (
                shared::sync::wire::encode_request(&request),
                shared::sync::wire::CONTENT_TYPE,
            )
        } else {
            (serde_json::to_vec(&request)?, "application/json")
        };
        Ok(PreparedSync {
            body,
            content_type,
            in_flight: self.unacknowledged.clone(),
        })
    }

    /// Sends a prepared sync; `None` if the server could not be reached or failed (5xx).
    /// Records the latency of a successful request.
    pub async fn send_sync(&self, prepared: &PreparedSync) -> Option<SyncAnswer> {
        let started = Instant::now();
        let resp = self
            .http
            .post(format!("{}/api/sync", self.base))
            .bearer_auth(&self.token)
            .header("content-type", prepared.content_type)
            .body(prepared.body.clone())
            .send()
            .await
            .ok()?;
        let status = resp.status();
        let bytes = resp.bytes().await.ok()?;
        if status.is_server_error() {
            return None;
        }
        Some(SyncAnswer {
            status,
            bytes: bytes.to_vec(),
            took: started.elapsed(),
        })
    }

    /// Applies the answer to a prepared sync.
    pub fn finish_sync(
        &mut self,
        prepared: PreparedSync,
        answer: Option<SyncAnswer>,
    ) -> Result<Round> {
        let Some(answer) = answer else {
            return Ok(Round::Unreachable);
        };
        if !answer.status.is_success() {
            bail!(
                "sync refused with {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.bytes)
            );
        }
        self.latencies.push(answer.took);
        self.round_trips += 1;
        self.bytes_up += prepared.body.len();
        self.bytes_down += answer.bytes.len();
        let response: SyncResponse = serde_json::from_slice(&answer.bytes)?;
        let outcome = self.caseload.apply(&response, &self.actor);
        if !outcome.rejected.is_empty() {
            bail!("sync rejected: {:?}", outcome.rejected);
        }
        let unavailable = !outcome.unavailable.is_empty();
        for child in &response.children {
            if matches!(child.result, ChildResult::Merged { .. }) {
                for key in prepared
                    .in_flight
                    .iter()
                    .filter(|(c, _)| c == &child.child_id)
                {
                    self.unacknowledged.remove(key);
                    self.acknowledged.insert(key.clone());
                }
            }
        }
        Ok(if unavailable {
            Round::Unreachable
        } else if outcome.needs_another_round {
            Round::Again
        } else {
            Round::Settled
        })
    }

    /// An authenticated request that does no record work (`GET /api/me`): the baseline for
    /// sync latency. Returns how long it took.
    pub async fn ping(&self) -> Result<Duration> {
        let started = Instant::now();
        self.http
            .get(format!("{}/api/me", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        Ok(started.elapsed())
    }

    /// Syncs until settled with nothing pending, retrying an unreachable server, for at most
    /// `within`.
    pub async fn sync_until_settled(&mut self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        let mut last = Round::Unreachable;
        while Instant::now() < deadline {
            last = self.sync_once().await?;
            if last == Round::Settled && self.caseload.pending() == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "{} did not settle in {within:?} (last round {last:?}, {} change(s) pending)",
            self.username,
            self.caseload.pending()
        )
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok())
        .collect()
}

/// A realistic observation, a few hundred bytes of text.
pub fn observation(id: &str, author: &str, narrative: &str) -> Observation {
    Observation {
        id: id.parse().expect("a valid id"),
        occurred: "2026-11-20T10:30".into(),
        occurred_approx: false,
        recorded_at_ms: 1_795_000_000_000,
        author_id: format!("user-{}", author.replace('.', "-"))
            .parse()
            .expect("a valid id"),
        author_name: author.into(),
        agency: "Simulated agency".into(),
        location: "Family home".into(),
        present: vec!["Mother".into(), "Child".into()],
        indicators: vec![IndicatorEntry {
            code: "NEG-HYGIENE".into(),
            level: Level::Suspect,
            ..Default::default()
        }],
        source: Source::Observed,
        narrative: narrative.into(),
        child_words: "I'm hungry".into(),
        action_taken: "Discussed with the team manager".into(),
        body_marks: Vec::new(),
    }
}
