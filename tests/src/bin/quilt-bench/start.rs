//! Offline start on a slow tablet: headless Chromium with its CPU throttled 4x (and, as the
//! baseline in the same run, at full speed), the network cut, a practitioner's synced tablet
//! opened from its service worker: navigation to the lock screen, and unlock to the caseload.
//! Times are read in the page (`performance.now()`), not through WebDriver's polling.

use std::path::Path;

use anyhow::{Context, Result};
use tests::{Driver, Tablet, PASSWORD};

use super::{record, Row, Running};

/// Waits in the page until `[data-testid=<id>]` exists; answers `performance.now()` then.
const APPEARS: &str = "
  const [id, done] = arguments;
  const check = () => document.querySelector(`[data-testid='${id}']`)
    ? done(performance.now()) : requestAnimationFrame(check);
  check();";

/// Clicks unlock and answers how long (ms) until the caseload is shown.
const UNLOCK: &str = "
  const done = arguments[0];
  const t0 = performance.now();
  document.querySelector(\"[data-testid='unlock-submit']\").click();
  const check = () => document.querySelector(\"[data-testid='caseload-list']\")
    ? done(performance.now() - t0) : requestAnimationFrame(check);
  check();";

async fn ms(tablet: &Tablet, script: &str, args: Vec<serde_json::Value>) -> Result<f64> {
    tablet
        .client
        .execute_async(script, args)
        .await?
        .as_f64()
        .context("a time from the page")
}

/// (navigation to lock screen, unlock to caseload) medians over `repeats` offline starts.
async fn starts(tablet: &Tablet, base: &str, repeats: usize) -> Result<(f64, f64)> {
    let (mut to_lock, mut to_caseload) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        tablet.client.goto(&format!("{base}/caseload")).await?;
        to_lock.push(ms(tablet, APPEARS, vec!["lock-screen".into()]).await?);
        tablet.type_into("unlock-password", PASSWORD).await?;
        to_caseload.push(ms(tablet, UNLOCK, vec![]).await?);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Ok((median(&mut to_lock), median(&mut to_caseload)))
}

pub async fn offline_start(run: &Running, repeats: usize, rows: &mut Vec<Row>) -> Result<()> {
    if std::env::var_os("QUILT_DIST").is_none() {
        eprintln!("offline start: QUILT_DIST not set (cargo xtask bench sets it); skipped");
        return Ok(());
    }
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let tablet = driver.tablet(Path::new(profile.path())).await?;
    let base = &run.base;
    tablet.open(&format!("{base}/")).await?;
    tablet.type_into("login-username", "sam.social").await?;
    tablet.type_into("login-password", PASSWORD).await?;
    tablet.click("login-submit").await?;
    tablet.find("child-link-child-ava").await?;
    tablet.wait_for_offline_shell().await?;
    tablet.wait_text("pending-count", "0").await?;
    tablet.set_offline(true).await?;
    tablet.throttle_cpu(1.0).await?;
    let fast = starts(&tablet, base, repeats).await?;
    tablet.throttle_cpu(4.0).await?;
    let slow = starts(&tablet, base, repeats).await?;
    tablet.throttle_cpu(1.0).await?;
    tablet.close().await?;
    let show = |v: f64| format!("{v:.0} ms");
    record(
        rows,
        Row {
            measure: "Offline start, navigation to lock screen (CPU 4x slower)".into(),
            engine: "-",
            ours: show(slow.0),
            baseline: format!("{} (full speed)", show(fast.0)),
            target: "-",
            met: None,
        },
    );
    record(
        rows,
        Row {
            measure: "Offline start, unlock to caseload (CPU 4x slower)".into(),
            engine: "-",
            ours: show(slow.1),
            baseline: format!("{} (full speed)", show(fast.1)),
            target: "-",
            met: None,
        },
    );
    let total = slow.0 + slow.1;
    record(
        rows,
        Row {
            measure: "Offline start to caseload, not counting typing (CPU 4x slower)".into(),
            engine: "-",
            ours: show(total),
            baseline: format!("{} (full speed)", show(fast.0 + fast.1)),
            target: "<= 1000 ms",
            met: Some(total <= 1000.0),
        },
    );
    Ok(())
}
