//! Crash-proof: the real server binary is killed with SIGKILL at random moments while 50
//! simulated tablets record and sync. Afterwards every observation the server acknowledged is
//! stored, every tablet's work arrives once they re-sync, and all tablets converge.
//!
//! Three trials run in the suite; `cargo xtask soak --crash` runs many (`QUILT_CRASH_TRIALS`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shared::ChildId;
use tests::sim::SimTablet;
use tests::{Server, PASSWORD};

const TABLETS: u32 = 50;

fn trials() -> u32 {
    std::env::var("QUILT_CRASH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// Runs the soak against `server` and checks what survived.
async fn crash_soak(server: &mut Server, trials: u32, seed: u64) -> Result<()> {
    let base = server.url("");
    let started = std::time::Instant::now();
    let mut tablets = Vec::new();
    for n in 0..TABLETS {
        let user = if n % 2 == 0 {
            "sam.social"
        } else {
            "hana.health"
        };
        let mut t = SimTablet::sign_in(&base, user, PASSWORD, n).await?;
        t.sync_until_settled(Duration::from_secs(60)).await?;
        tablets.push(t);
    }

    eprintln!(
        "crash soak: {TABLETS} tablets signed in and synced in {:?}",
        started.elapsed()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for (i, mut t) in tablets.into_iter().enumerate() {
        let stop = stop.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed + i as u64);
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let children = t.children();
                let child = children.choose(&mut rng).context("empty caseload")?;
                t.record(
                    child,
                    &format!("Visit {n} by tablet {i}: kitchen cold, no food."),
                )?;
                t.sync_once().await?;
                // A visit's pace, not a flood: 50 tablets still sync several times a second.
                tokio::time::sleep(Duration::from_millis(rng.gen_range(200..800))).await;
            }
            anyhow::Ok(t)
        }));
    }

    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..trials {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1500))).await;
        server.stop(); // SIGKILL, mid-whatever it was doing
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
        server.restart()?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut tablets = Vec::new();
    for h in handles {
        tablets.push(h.await??);
    }

    eprintln!(
        "crash soak: {trials} SIGKILLs done at {:?}",
        started.elapsed()
    );
    // Everyone back online: send what is waiting, then fetch everyone else's.
    for _ in 0..2 {
        for t in &mut tablets {
            t.sync_until_settled(Duration::from_secs(120)).await?;
        }
    }

    eprintln!("crash soak: everyone settled at {:?}", started.elapsed());
    let mut on_server: BTreeMap<ChildId, BTreeSet<String>> = BTreeMap::new();
    let mut acknowledged = 0;
    for t in &tablets {
        ensure!(
            t.unacknowledged.is_empty(),
            "a tablet still has unacknowledged work after re-syncing"
        );
        for (child, id) in &t.acknowledged {
            if !on_server.contains_key(child) {
                let ids = server.chronology_ids(child.as_str()).await?;
                on_server.insert(child.clone(), ids.into_iter().collect());
            }
            ensure!(
                on_server[child].contains(id),
                "acknowledged observation {id} of {child} is missing on the server"
            );
            acknowledged += 1;
        }
    }
    ensure!(
        acknowledged > 0,
        "nothing was acknowledged: the soak tested nothing"
    );

    // Convergence: every tablet holding a child has the same heads for it.
    let mut heads: BTreeMap<ChildId, Vec<String>> = BTreeMap::new();
    for t in &tablets {
        for (child, replica) in &t.caseload.replicas {
            let mine: Vec<String> = replica
                .doc
                .get_heads()
                .iter()
                .map(ToString::to_string)
                .collect();
            let first = heads.entry(child.clone()).or_insert_with(|| mine.clone());
            ensure!(
                *first == mine,
                "tablets disagree about {child} after re-syncing"
            );
        }
    }
    eprintln!(
        "crash soak: {trials} SIGKILLs, {TABLETS} tablets, {acknowledged} acknowledged observations, all present"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the server binary: run `cargo xtask test`"]
async fn sigkill_while_tablets_sync_loses_nothing_acknowledged_sqlite() -> Result<()> {
    let mut server = Server::start()?;
    crash_soak(&mut server, trials(), 7).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs the server binary and PostgreSQL: run `cargo xtask test`"]
async fn sigkill_while_tablets_sync_loses_nothing_acknowledged_postgres() -> Result<()> {
    let url = tests::fresh_postgres().await?;
    let mut server = Server::start_on(Some(url), &[])?;
    crash_soak(&mut server, trials(), 11).await
}
