//! The JavaScript peer beside Quilt's rows: the stock automerge-repo sync server and
//! automerge-repo tablets over websockets (`tests/peer/`, packages pinned in its lockfile and
//! installed by `cargo xtask`'s setup), on the same workloads at the same sizes. It runs only
//! when `QUILT_PEER` names that folder (`cargo xtask bench` and the suite's smoke run set it).
//!
//! What each side acknowledges differs, and the table says so: Quilt answers a sync after the
//! transaction storing it has committed; the peer's server reports a change in its sync
//! messages once applied in memory, and writes it to disk later (debounced).

use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::{Row, Sizes};

/// Quilt's numbers from the same run, which the peer's rows are compared with.
#[derive(Debug, Default)]
pub struct Quilt {
    /// Bytes up of the caseload sync (compact form).
    pub caseload_bytes_up: Option<usize>,
    /// Observations merged per second, SQLite.
    pub merge_rate: Option<f64>,
    /// p50 and p99 sync latency per tablet count, SQLite.
    pub latency: Vec<(u32, Duration, Duration)>,
}

fn number(v: &serde_json::Value, path: &[&str]) -> Result<f64> {
    let mut at = v;
    for p in path {
        at = &at[*p];
    }
    at.as_f64()
        .with_context(|| format!("the peer's result has no {}", path.join(".")))
}

/// Runs the peer and appends its rows.
pub fn rows(sizes: Sizes, quilt: &Quilt, rows: &mut Vec<Row>) -> Result<()> {
    let Some(dir) = std::env::var_os("QUILT_PEER") else {
        return Ok(());
    };
    let dir = std::path::PathBuf::from(dir);
    let latency = sizes
        .latency_tablets
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new("node")
        .arg(dir.join("bench.mjs"))
        .arg(format!("--caseload-children={}", sizes.caseload_children))
        .arg(format!(
            "--caseload-observations={}",
            sizes.caseload_observations
        ))
        .arg(format!("--merge-tablets={}", sizes.merge_tablets))
        .arg(format!("--merge-observations={}", sizes.merge_observations))
        .arg(format!("--latency-tablets={latency}"))
        .arg(format!("--latency-rounds={}", sizes.latency_rounds))
        .arg(format!("--caseload={}", super::CASELOAD))
        .current_dir(&dir)
        .output()
        .context("running the JavaScript peer (node)")?;
    if !out.status.success() {
        bail!(
            "the JavaScript peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("the JavaScript peer printed no result")?;
    let v: serde_json::Value = serde_json::from_str(line)?;
    let engine = "automerge-repo 2.5.6 (JS peer)";

    let peer_bytes = number(&v, &["caseload", "bytes_up"])?;
    let obs = number(&v, &["caseload", "observations"])?;
    rows.push(Row {
        measure: format!("Caseload sync bytes up ({obs} observations): the peer"),
        engine,
        ours: quilt.caseload_bytes_up.map_or("-".into(), |b| {
            format!("{:.1} KB (Quilt, compact form)", b as f64 / 1024.0)
        }),
        baseline: format!(
            "{:.1} KB (websocket messages the sync server received)",
            peer_bytes / 1024.0
        ),
        target: "Quilt below the peer",
        met: quilt.caseload_bytes_up.map(|b| (b as f64) < peer_bytes),
    });

    let peer_rate = number(&v, &["merge", "per_second"])?;
    rows.push(Row {
        measure: format!(
            "Observations merged per second ({} tablets x {} at once): the peer",
            sizes.merge_tablets, sizes.merge_observations
        ),
        engine,
        ours: quilt
            .merge_rate
            .map_or("-".into(), |r| format!("{r:.0}/s (Quilt, SQLite)")),
        baseline: format!("{peer_rate:.0}/s (until its server reports every change)"),
        target: "Quilt >= 5x the peer",
        met: quilt.merge_rate.map(|r| r >= 5.0 * peer_rate),
    });

    let measured = v["latency"].as_array().context("the peer's latency")?;
    for m in measured {
        let n = number(m, &["tablets"])? as u32;
        let (p50, p99) = (number(m, &["p50_ms"])?, number(m, &["p99_ms"])?);
        let ours = quilt.latency.iter().find(|(t, _, _)| *t == n);
        rows.push(Row {
            measure: format!("Sync latency p50 / p99, {n} tablets at once: the peer"),
            engine,
            ours: ours.map_or("-".into(), |(_, a, b)| {
                format!("{} / {} (Quilt, SQLite)", super::ms(*a), super::ms(*b))
            }),
            baseline: format!("{p50:.1} ms / {p99:.1} ms"),
            target: "p99 < 250 ms at 200",
            met: ours
                .filter(|_| n >= 200)
                .map(|(_, _, b)| *b < Duration::from_millis(250)),
        });
    }
    rows.push(Row {
        measure: "What an acknowledgement means".into(),
        engine,
        ours: "Quilt: after the transaction storing the change commits".into(),
        baseline: "the peer: applied in memory; written to disk later (debounced)".into(),
        target: "-",
        met: None,
    });
    Ok(())
}
