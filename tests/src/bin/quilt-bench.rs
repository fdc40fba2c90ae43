//! `quilt-bench`: Quilt's performance table, each measurement beside a baseline measured in the
//! same run. `cargo xtask bench` builds it in release and runs it (`--postgres` adds a fresh
//! database on the cluster `QUILT_TEST_DATABASE_URL` names); `--smoke` runs every
//! measurement at a tiny size so the suite proves the benchmark still works (its numbers mean
//! nothing). `--only merge,latency` (names: caseload, merge, latency, chronology, save, start, peer) runs
//! only those measurements and `--no-sqlite` skips SQLite, for profiling one of them.
//!
//! The server runs in this process on a real TCP port with a real database (a SQLite file, and
//! PostgreSQL with `--postgres`); simulated tablets are the app's own sync client
//! (`shared::sync`) talking HTTP. Client and server share the machine's cores.
//!
//! tidy: long file — one benchmark binary: five measurements, each with its own setup and baseline,
//! sharing the seeded server, the simulated tablets and the table.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use automerge::sync::{State as SyncState, SyncDoc};
use automerge::{ActorId, Automerge, ChangeHash};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use server::store::{open_store, User};
use server::{demo, AppState, Config};
use shared::api::{CaseloadEntry, Role};
use shared::record;
use shared::ChildId;
use tests::sim::{observation, SimTablet};

#[path = "quilt-bench/peer.rs"]
mod peer;
#[path = "quilt-bench/start.rs"]
mod start;

const PASSWORD: &str = demo::DEMO_PASSWORD;
const BENCH_USER: &str = "bench.practitioner";
const BIG_CHILD: &str = "bench-big";

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    caseload_children: usize,
    caseload_observations: usize,
    merge_tablets: u32,
    merge_observations: usize,
    latency_tablets: [u32; 2],
    latency_rounds: usize,
    big_record: usize,
    repeats: usize,
    /// Practitioners with caseloads of their own, for the merge and latency runs.
    practitioners: usize,
}

const FULL: Sizes = Sizes {
    caseload_children: 30,
    caseload_observations: 20,
    merge_tablets: 50,
    merge_observations: 40,
    latency_tablets: [50, 200],
    latency_rounds: 5,
    big_record: 10_000,
    repeats: 9,
    practitioners: 200,
};

const SMOKE: Sizes = Sizes {
    caseload_children: 30,
    caseload_observations: 2,
    merge_tablets: 3,
    merge_observations: 3,
    latency_tablets: [3, 5],
    latency_rounds: 1,
    big_record: 50,
    repeats: 2,
    practitioners: 5,
};

struct Row {
    measure: String,
    engine: &'static str,
    ours: String,
    baseline: String,
    target: &'static str,
    met: Option<bool>,
}

/// A server in this process on a fresh database.
struct Running {
    state: AppState,
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(url: &str, sizes: Sizes) -> Result<Running> {
    let store = open_store(url).await?;
    // The built client, for the offline start in Chromium (`cargo xtask bench` sets it).
    let config = Config {
        static_dir: std::env::var_os("QUILT_DIST").map(std::path::PathBuf::from),
        ..Config::default()
    };
    let state = AppState::new(store, config);
    demo::seed_if_empty(&state).await?;
    seed(&state, sizes).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = state.clone();
    tokio::spawn(async move {
        let _ = server::serve(listener, serving, async {
            let _ = rx.await;
        })
        .await;
    });
    Ok(Running {
        state,
        base,
        stop: Some(tx),
    })
}

/// The bench practitioner with `caseload_children` children, and one big record on the demo
/// team that only the manager reads.
async fn seed(state: &AppState, sizes: Sizes) -> Result<()> {
    let user = User {
        id: "user-bench-practitioner".parse()?,
        username: BENCH_USER.into(),
        display_name: "Bench Practitioner".into(),
        agency: "Bench agency".into(),
        role: Role::Practitioner,
        team_id: Some("north-team".into()),
        password_hash: server::credentials::hash_password(PASSWORD)?,
        disabled_at_ms: None,
        must_change_password: false,
        front_door: false,
    };
    state.store.create_user(&user).await?;
    for n in 0..sizes.caseload_children {
        let child: ChildId = format!("bench-{n:02}").parse()?;
        state
            .store
            .create_child(&entry(&child, &format!("Bench Child {n}")), "north-team")
            .await?;
        state.store.allocate(&child, &user.id).await?;
    }
    // Each practitioner of the merge and latency runs has a caseload of their own, and each of
    // those children is shared with one other practitioner (a social worker and a health
    // visitor, say): the overlap real caseloads have, rather than every tablet holding every
    // child.
    let children = sizes.practitioners * CASELOAD_STRIDE;
    for n in 0..children {
        let child = practitioner_child(n);
        state
            .store
            .create_child(&entry(&child, &format!("Caseload Child {n}")), "north-team")
            .await?;
    }
    for p in 0..sizes.practitioners {
        let practitioner = User {
            id: format!("user-bench-p{p}").parse()?,
            username: practitioner_name(p),
            display_name: format!("Bench Practitioner {p}"),
            ..user.clone()
        };
        state.store.create_user(&practitioner).await?;
        for k in 0..CASELOAD {
            let child = practitioner_child((p * CASELOAD_STRIDE + k) % children);
            state.store.allocate(&child, &practitioner.id).await?;
        }
    }
    let big: ChildId = BIG_CHILD.parse()?;
    state
        .store
        .create_child(&entry(&big, "Long Record"), "north-team")
        .await?;
    state
        .documents
        .append(&big, |doc| {
            for i in 0..sizes.big_record {
                let obs = observation(
                    &format!("big-{i}"),
                    "sam.social",
                    &format!("Observation {i}: the home was cold and there was little food."),
                );
                // Observations written here are well formed; a failure would show in the table.
                let _ = record::add_observation(doc, &obs, obs.recorded_at_ms + i as i64);
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("seeding the big record: {e:?}"))?;
    Ok(())
}

/// Children on each practitioner's caseload in the merge and latency runs; consecutive
/// practitioners' caseloads overlap by half, so every child has two practitioners.
const CASELOAD: usize = 10;
const CASELOAD_STRIDE: usize = CASELOAD / 2;

fn practitioner_name(p: usize) -> String {
    format!("bench.p{p}")
}

fn practitioner_child(n: usize) -> ChildId {
    format!("bench-c{n:04}").parse().expect("a valid id")
}

fn entry(child: &ChildId, name: &str) -> CaseloadEntry {
    CaseloadEntry {
        child_id: child.clone(),
        display_name: name.into(),
        date_of_birth: "2018-01-01".into(),
        legal_status: "Child in need".into(),
    }
}

/// `n` tablets, the `i`th signed in as practitioner `i` (each with their own caseload), on new
/// devices numbered from `first`.
async fn tablets(base: &str, n: u32, first: u32) -> Result<Vec<SimTablet>> {
    let mut out = Vec::new();
    for i in 0..n {
        let username = practitioner_name(i as usize);
        let mut t = SimTablet::sign_in(base, &username, PASSWORD, first + i).await?;
        t.sync_until_settled(Duration::from_secs(120)).await?;
        out.push(t);
    }
    Ok(out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn timed<T, F: Future<Output = Result<T>>>(f: F) -> Result<(T, Duration)> {
    let started = Instant::now();
    let out = f.await?;
    Ok((out, started.elapsed()))
}

/// Automerge's stock sync protocol for one document, with persistent state on both sides, as
/// a client-driven exchange: returns (round trips, bytes).
fn stock_sync(tablet: &mut Automerge, server: &mut Automerge) -> Result<(usize, usize)> {
    let (mut ts, mut ss) = (SyncState::new(), SyncState::new());
    let (mut trips, mut bytes) = (0, 0);
    while let Some(msg) = tablet.generate_sync_message(&mut ts) {
        trips += 1;
        let encoded = msg.encode();
        bytes += encoded.len();
        server.receive_sync_message(&mut ss, automerge::sync::Message::decode(&encoded)?)?;
        if let Some(reply) = server.generate_sync_message(&mut ss) {
            let encoded = reply.encode();
            bytes += encoded.len();
            tablet.receive_sync_message(&mut ts, automerge::sync::Message::decode(&encoded)?)?;
        }
        if trips > 1000 {
            anyhow::bail!("stock sync did not finish");
        }
    }
    Ok((trips, bytes))
}

/// Returns the bytes the caseload sync sent up.
async fn caseload_sync(run: &Running, sizes: Sizes, rows: &mut Vec<Row>) -> Result<usize> {
    // The bench practitioner, whose caseload is the 30 children this measure is about.
    let mut t = SimTablet::sign_in(&run.base, BENCH_USER, PASSWORD, 1).await?;
    t.sync_until_settled(Duration::from_secs(120)).await?;
    for child in t.children() {
        for i in 0..sizes.caseload_observations {
            t.record(
                &child,
                &format!("Caseload visit {i}: bruise on the left forearm."),
            )?;
        }
    }
    // Baseline on copies of the same documents: the tablet's, and the server's as stored.
    let (mut base_trips, mut base_bytes) = (0, 0);
    for (child, replica) in &t.caseload.replicas {
        let (mut server_doc, _) = server::merge::load(run.state.store.as_ref(), child).await?;
        let mut tablet_doc = replica.doc.fork();
        let (trips, bytes) = stock_sync(&mut tablet_doc, &mut server_doc)?;
        base_trips += trips;
        base_bytes += bytes;
    }
    // What the same request weighs as JSON (older tablets), and its new changes compressed
    // together: what the compact form is measured against.
    let request = t.caseload.request();
    let json_up = serde_json::to_vec(&request)?.len();
    let compressed_changes = {
        use std::io::Write as _;
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        for c in request.children.iter().flat_map(|c| &c.changes) {
            enc.write_all(&c.0)?;
        }
        enc.finish()?.len()
    };
    t.round_trips = 0;
    t.bytes_up = 0;
    t.bytes_down = 0;
    t.sync_until_settled(Duration::from_secs(120)).await?;
    let obs = sizes.caseload_children * sizes.caseload_observations;
    let ratio = t.bytes_up as f64 / compressed_changes.max(1) as f64;
    record(
        rows,
        Row {
            measure: format!("Caseload sync bytes up ({obs} observations), compact form"),
            engine: "SQLite",
            ours: format!(
                "{:.1} KB ({ratio:.2}x the changes deflated together, {:.1} KB)",
                t.bytes_up as f64 / 1024.0,
                compressed_changes as f64 / 1024.0
            ),
            baseline: format!(
                "{:.1} KB (the same request as JSON)",
                json_up as f64 / 1024.0
            ),
            target: "<= 1.2x compressed changes",
            met: Some(ratio <= 1.2),
        },
    );
    record(
        rows,
        Row {
            measure: format!(
                "Caseload sync, {} children x {} new observations: HTTP round trips",
                sizes.caseload_children, sizes.caseload_observations
            ),
            engine: "SQLite",
            ours: t.round_trips.to_string(),
            baseline: format!("{base_trips} (stock Automerge sync, per document)"),
            target: "1",
            met: Some(t.round_trips == 1),
        },
    );
    record(
        rows,
        Row {
            measure: format!("Caseload sync bytes ({obs} observations)"),
            engine: "SQLite",
            ours: format!("{:.0} KB", (t.bytes_up + t.bytes_down) as f64 / 1024.0),
            baseline: format!(
                "{:.0} KB (stock sync messages, binary, no HTTP)",
                base_bytes as f64 / 1024.0
            ),
            target: "-",
            met: None,
        },
    );
    Ok(t.bytes_up)
}

/// Returns the observations merged per second, if every tablet settled.
async fn merge_rate(
    run: &Running,
    engine: &'static str,
    sizes: Sizes,
    rows: &mut Vec<Row>,
) -> Result<Option<f64>> {
    let mut ts = tablets(&run.base, sizes.merge_tablets, 100).await?;
    let mut rng = StdRng::seed_from_u64(1);
    for t in &mut ts {
        let children = t.children();
        for i in 0..sizes.merge_observations {
            let child = children.choose(&mut rng).context("caseload")?.clone();
            t.record(
                &child,
                &format!("Merge run {i}: no heating, child in a coat."),
            )?;
        }
    }
    // Baseline: the same changes applied to the server's documents in memory, nothing else.
    let mut docs = std::collections::BTreeMap::new();
    for t in &ts {
        for child in t.children() {
            if let std::collections::btree_map::Entry::Vacant(slot) = docs.entry(child) {
                let doc = server::merge::load(run.state.store.as_ref(), slot.key()).await?;
                slot.insert(doc.0);
            }
        }
    }
    let mut pending = Vec::new();
    for t in &ts {
        for (child, replica) in &t.caseload.replicas {
            let heads: Vec<ChangeHash> = replica.server_heads.clone().unwrap_or_default();
            pending.push((child.clone(), replica.doc.get_changes(&heads)));
        }
    }
    let started = Instant::now();
    for (child, changes) in pending {
        if let Some(doc) = docs.get_mut(&child) {
            doc.apply_changes(changes)?;
        }
    }
    let baseline = started.elapsed();

    let total = sizes.merge_tablets as usize * sizes.merge_observations;
    let limit = Duration::from_secs(120);
    let (settled, took) = timed(async {
        let mut handles = Vec::new();
        for mut t in ts {
            handles.push(tokio::spawn(
                async move { t.sync_until_settled(limit).await },
            ));
        }
        let mut settled = true;
        for h in handles {
            // A tablet that cannot settle in time is a result to report, not a crash.
            settled &= h.await?.is_ok();
        }
        Ok(settled)
    })
    .await?;
    let rate = total as f64 / took.as_secs_f64();
    record(
        rows,
        Row {
            measure: format!(
                "Observations merged per second end to end ({} tablets x {} at once; own caseloads of {CASELOAD}, each child shared by two)",
                sizes.merge_tablets, sizes.merge_observations
            ),
            engine,
            ours: if settled {
                format!("{rate:.0}/s")
            } else {
                format!("not all settled within {limit:?}")
            },
            baseline: format!(
                "{:.0}/s (Automerge apply in memory, no HTTP, checks or storage)",
                total as f64 / baseline.as_secs_f64().max(1e-9)
            ),
            target: ">= 2,000/s",
            met: Some(settled && rate >= 2000.0),
        },
    );
    Ok(settled.then_some(rate))
}

/// Returns p50 and p99 per tablet count.
async fn latency(
    run: &Running,
    engine: &'static str,
    sizes: Sizes,
    rows: &mut Vec<Row>,
) -> Result<Vec<(u32, Duration, Duration)>> {
    let mut measured = Vec::new();
    for (k, &n) in sizes.latency_tablets.iter().enumerate() {
        let ts = tablets(&run.base, n, 1000 * (k as u32 + 1)).await?;
        let ts: Vec<Arc<tokio::sync::Mutex<SimTablet>>> = ts
            .into_iter()
            .map(|t| Arc::new(tokio::sync::Mutex::new(t)))
            .collect();
        let mut syncs = Vec::new();
        let mut pings = Vec::new();
        for round in 0..sizes.latency_rounds {
            // Each tablet records and builds its request first, and applies the answer after
            // the burst: the tablets run on the server's 2 cores, and their own Automerge
            // work would otherwise be timed as the server's latency.
            let mut prepared = Vec::new();
            for (i, t) in ts.iter().enumerate() {
                let mut t = t.lock().await;
                let children = t.children();
                let child = children[(i + round) % children.len()].clone();
                t.record(&child, "Rush hour: recorded at five o'clock.")?;
                prepared.push(Some(t.prepare_sync()?));
            }
            let mut handles = Vec::new();
            for (t, p) in ts.iter().zip(prepared.iter_mut()) {
                let t = t.clone();
                let p = p.take().context("prepared once")?;
                handles.push(tokio::spawn(async move {
                    let answer = t.lock().await.send_sync(&p).await;
                    (p, answer)
                }));
            }
            let mut answers = Vec::new();
            for h in handles {
                answers.push(h.await?);
            }
            for (t, (p, answer)) in ts.iter().zip(answers) {
                let mut t = t.lock().await;
                let before = t.latencies.len();
                t.finish_sync(p, answer)?;
                syncs.extend(t.latencies[before..].to_vec());
            }
            let mut handles = Vec::new();
            for t in &ts {
                let t = t.clone();
                handles.push(tokio::spawn(async move { t.lock().await.ping().await }));
            }
            for h in handles {
                pings.push(h.await??);
            }
        }
        let p99 = percentile(syncs.clone(), 0.99);
        measured.push((n, percentile(syncs.clone(), 0.5), p99));
        record(
            rows,
            Row {
                measure: format!(
                    "Sync latency p50 / p99, {n} tablets syncing at once (own caseloads of {CASELOAD}, each child shared by two)"
                ),
                engine,
                ours: format!("{} / {}", ms(percentile(syncs, 0.5)), ms(p99)),
                baseline: format!(
                    "{} / {} (GET /api/me, same load)",
                    ms(percentile(pings.clone(), 0.5)),
                    ms(percentile(pings, 0.99))
                ),
                target: "p99 < 500 ms at 200",
                met: (n >= 200).then_some(p99 < Duration::from_millis(500)),
            },
        );
    }
    Ok(measured)
}

async fn chronology_page(
    run: &Running,
    engine: &'static str,
    sizes: Sizes,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/api/login", run.base))
        .json(&serde_json::json!({"username": "morgan.manager", "password": PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?.to_owned();
    // The page a manager opens first: the most recent hundred entries, with the total.
    let page_url = format!(
        "{}/api/children/{BIG_CHILD}/chronology?offset=-100&limit=100",
        run.base
    );
    let whole_url = format!("{}/api/children/{BIG_CHILD}/chronology", run.base);
    let fetch = |url: String| {
        let http = http.clone();
        let token = token.clone();
        async move {
            timed(async {
                let body: serde_json::Value = http
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                Ok(body)
            })
            .await
        }
    };
    // The first read of this version builds the chronology from the record; the pages after
    // it are slices of the list the server keeps for that version.
    let (_, first_read) = fetch(page_url.clone()).await?;
    let mut times = Vec::new();
    let mut whole_times = Vec::new();
    let mut entries = 0;
    let mut shown = 0;
    for _ in 0..sizes.repeats {
        let (body, took) = fetch(page_url.clone()).await?;
        entries = body["total"].as_i64().unwrap_or(0);
        shown = body["entries"].as_array().map_or(0, Vec::len);
        times.push(took);
        let (_, took) = fetch(whole_url.clone()).await?;
        whole_times.push(took);
    }
    let child: ChildId = BIG_CHILD.parse()?;
    let mut base_times = Vec::new();
    for _ in 0..sizes.repeats.min(3) {
        let started = Instant::now();
        let (doc, _) = server::merge::load(run.state.store.as_ref(), &child).await?;
        let record = record::read_record(&doc)?;
        let items = shared::analytics::chronology(&record);
        std::hint::black_box(serde_json::to_vec(&items.len())?);
        base_times.push(started.elapsed());
    }
    let page = median(times);
    record(
        rows,
        Row {
            measure: format!(
                "Manager chronology page ({shown} most recent of {entries} observations)"
            ),
            engine,
            ours: ms(page),
            baseline: format!(
                "{} (hydrate the document and build it, no projection)",
                ms(median(base_times))
            ),
            target: "<= 100 ms",
            met: Some(page <= Duration::from_millis(100)),
        },
    );
    record(
        rows,
        Row {
            measure: format!(
                "Manager chronology page, first read after a change ({entries} observations: built from the record)"
            ),
            engine,
            ours: ms(first_read),
            baseline: "-".into(),
            target: "-",
            met: None,
        },
    );
    record(
        rows,
        Row {
            measure: format!("Whole chronology in one response, {entries} observations"),
            engine,
            ours: ms(median(whole_times)),
            baseline: "-".into(),
            target: "-",
            met: None,
        },
    );
    Ok(())
}

async fn tablet_save(run: &Running, sizes: Sizes, rows: &mut Vec<Row>) -> Result<()> {
    let child: ChildId = BIG_CHILD.parse()?;
    let (server_doc, _) = server::merge::load(run.state.store.as_ref(), &child).await?;
    let mut doc = server_doc
        .fork()
        .with_actor(ActorId::from(b"benchtablet".to_vec()));
    let mut saves = Vec::new();
    let mut fulls = Vec::new();
    for i in 0..sizes.repeats * 2 {
        let heads = doc.get_heads();
        let obs = observation(&format!("tablet-{i}"), "sam.social", "Saved on the tablet.");
        let started = Instant::now();
        record::add_observation(&mut doc, &obs, obs.recorded_at_ms)?;
        let chunk = doc.save_after(&heads);
        saves.push(started.elapsed());
        std::hint::black_box(chunk);
        let started = Instant::now();
        std::hint::black_box(doc.save());
        fulls.push(started.elapsed());
    }
    let save = median(saves);
    record(rows, Row {
        measure: format!(
            "Save one observation into a {}-observation record (tablet code path, native, before encryption)",
            sizes.big_record
        ),
        engine: "-",
        ours: ms(save),
        baseline: format!("{} (saving the whole document)", ms(median(fulls))),
        target: "<= 50 ms",
        met: Some(save <= Duration::from_millis(50)),
    });
    Ok(())
}

fn wasm_row(rows: &mut Vec<Row>) {
    let raw = std::env::var("QUILT_WASM_RAW").ok();
    let brotli = std::env::var("QUILT_WASM_BROTLI").ok();
    if let (Some(raw), Some(brotli)) = (raw, brotli) {
        record(
            rows,
            Row {
                measure: "Client wasm size, raw / brotli".into(),
                engine: "-",
                ours: format!("{raw} / {brotli}"),
                baseline: "1.29 MB / 0.38 MB (automerge + leptos hello, toolchain.md)".into(),
                target: "-",
                met: None,
            },
        );
    }
}

/// What a tablet's first load transfers: every file the service worker precaches, as the
/// server sends it (brotli where the build has it), from the build `QUILT_DIST` names.
fn first_load_row(rows: &mut Vec<Row>) -> Result<()> {
    let Some(dist) = std::env::var_os("QUILT_DIST").map(std::path::PathBuf::from) else {
        return Ok(());
    };
    let sw = std::fs::read_to_string(dist.join("sw.js"))?;
    let mut sent = 0u64;
    let mut raw = 0u64;
    for line in sw.lines().filter(|l| l.contains("\"url\": ")) {
        let url = line.split('"').nth(3).context("a precached url")?;
        let file = if url == "/" {
            "index.html"
        } else {
            url.trim_start_matches('/')
        };
        let size = |name: &str| std::fs::metadata(dist.join(name)).map(|m| m.len());
        let plain = size(file)?;
        raw += plain;
        sent += size(&format!("{file}.br")).unwrap_or(plain);
    }
    sent += std::fs::metadata(dist.join("sw.js.br")).map_or(sw.len() as u64, |m| m.len());
    raw += sw.len() as u64;
    let mb = |b: u64| format!("{:.2} MB", b as f64 / 1e6);
    record(
        rows,
        Row {
            measure: "First load transferred (the shell and every precached file, as served)"
                .into(),
            engine: "-",
            ours: mb(sent),
            baseline: format!("{} (the same files uncompressed)", mb(raw)),
            target: "<= 0.60 MB",
            met: Some(sent <= 600_000),
        },
    );
    Ok(())
}

/// Keeps a result, and shows it at once so a long run that is stopped still reports it.
fn record(rows: &mut Vec<Row>, row: Row) {
    eprintln!(
        "measured: {} | {} | {} | {}",
        row.measure, row.engine, row.ours, row.baseline
    );
    rows.push(row);
}

fn print(rows: &[Row], sizes_name: &str) {
    println!();
    println!("Quilt benchmarks ({sizes_name}), measured {}", now_utc());
    println!();
    println!("| Measure | Engine | Quilt | Baseline (same run) | Target | Met |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.measure, r.engine, r.ours, r.baseline, r.target, met
        );
    }
}

fn now_utc() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    // A fresh database on the cluster `QUILT_TEST_DATABASE_URL` names.
    let postgres = if args.iter().any(|a| a == "--postgres") {
        Some(tests::fresh_postgres().await?)
    } else {
        None
    };
    let sizes = if smoke { SMOKE } else { FULL };
    // `--only merge,latency` runs just those measurements (for profiling one of them).
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(str::to_owned).collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|w| w == name));
    let dir = tempfile::tempdir()?;
    let mut rows = Vec::new();
    let mut quilt = peer::Quilt::default();

    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = !args.iter().any(|a| a == "--no-sqlite");
    if sqlite {
        let run = start(&sqlite_url, sizes).await?;
        if wanted("caseload") {
            quilt.caseload_bytes_up = Some(caseload_sync(&run, sizes, &mut rows).await?);
        }
        if wanted("merge") {
            quilt.merge_rate = merge_rate(&run, "SQLite", sizes, &mut rows).await?;
        }
        if wanted("latency") {
            quilt.latency = latency(&run, "SQLite", sizes, &mut rows).await?;
        }
        if wanted("chronology") {
            chronology_page(&run, "SQLite", sizes, &mut rows).await?;
        }
        if wanted("save") {
            tablet_save(&run, sizes, &mut rows).await?;
        }
        if wanted("start") {
            start::offline_start(&run, sizes.repeats.max(3), &mut rows).await?;
        }
        drop(run);
    }

    if let Some(url) = postgres {
        let run = start(&url, sizes).await?;
        if wanted("merge") {
            merge_rate(&run, "PostgreSQL", sizes, &mut rows).await?;
        }
        if wanted("latency") {
            latency(&run, "PostgreSQL", sizes, &mut rows).await?;
        }
        if wanted("chronology") {
            chronology_page(&run, "PostgreSQL", sizes, &mut rows).await?;
        }
        drop(run);
    }
    if wanted("peer") {
        peer::rows(sizes, &quilt, &mut rows)?;
    }
    wasm_row(&mut rows);
    first_load_row(&mut rows)?;
    print(
        &rows,
        if smoke {
            "smoke sizes: numbers mean nothing"
        } else {
            "full sizes"
        },
    );
    Ok(())
}
