//! The pages on a phone, a tablet and a laptop: nothing scrolls sideways, every control is a
//! big enough touch target, the caseload shows each child's flags as the dashboard does, and an
//! observation with an indicator is recorded with the keyboard alone in at most 30 Tab stops.

use anyhow::{ensure, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use tests::{Driver, Server, Tablet};

const SIZES: [(u32, u32); 3] = [(390, 844), (800, 1280), (1280, 800)];

/// Controls on the page smaller than 44 px tall, named; inline links inside running text and
/// checkboxes (whose label is the target) are exempt.
const SMALL_TARGETS: &str = "
  const small = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.labels && el.labels[0];
      if (label && label.getBoundingClientRect().height >= 44) continue;
    }
    if (el.tagName === 'A' && el.closest('p, li.chronology-item') && !el.classList.contains('button')) continue;
    if (r.height < 44) small.push((el.dataset.testid || el.id || el.tagName) + ' ' + Math.round(r.height) + 'px');
  }
  return small;";

const SIDEWAYS: &str = "const d = document.documentElement; \
    return d.scrollWidth > d.clientWidth + 1 ? d.scrollWidth + ' > ' + d.clientWidth : '';";

async fn check_page(tablet: &Tablet, url: &str, ready: &str, size: (u32, u32)) -> Result<()> {
    tablet.open(url).await?;
    tablet.find(ready).await?;
    let sideways = tablet.client.execute(SIDEWAYS, vec![]).await?;
    ensure!(
        sideways.as_str() == Some(""),
        "{url} at {size:?} scrolls sideways: {sideways}"
    );
    let small = tablet.client.execute(SMALL_TARGETS, vec![]).await?;
    ensure!(
        small.as_array().is_some_and(Vec::is_empty),
        "{url} at {size:?} has touch targets under 44 px: {small}"
    );
    Ok(())
}

async fn press(tablet: &Tablet, key: Key) -> Result<()> {
    let k: char = key.into();
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    tablet.client.perform_actions(actions).await?;
    Ok(())
}

async fn focused(tablet: &Tablet) -> Result<String> {
    let v = tablet
        .client
        .execute("const e = document.activeElement; return e ? (e.dataset.testid || e.id || e.tagName) : '';", vec![])
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn pages_fit_every_screen_and_recording_takes_few_keystrokes() -> Result<()> {
    let server = Server::start()?;
    let driver = Driver::start()?;
    let (ps, pm) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sam = driver.tablet(ps.path()).await?;
    sam.ready_for_visit(&server, "sam.social").await?;
    let morgan = driver.tablet(pm.path()).await?;
    morgan.ready_for_visit(&server, "morgan.manager").await?;

    for size in SIZES {
        for tablet in [&sam, &morgan] {
            tablet.client.set_window_size(size.0, size.1).await?;
        }
        check_page(&sam, &server.url("/caseload"), "caseload-list", size).await?;
        check_page(
            &sam,
            &server.url("/child/child-ava"),
            "observation-list",
            size,
        )
        .await?;
        check_page(
            &sam,
            &server.url("/child/child-ava/new"),
            "obs-narrative",
            size,
        )
        .await?;
        check_page(&morgan, &server.url("/team"), "team-list", size).await?;
        check_page(
            &morgan,
            &server.url("/team/child/child-ava"),
            "chronology",
            size,
        )
        .await?;
    }

    // The practitioner's caseload shows each child's flags and last visit, like the manager's.
    sam.open(&server.url("/caseload")).await?;
    sam.wait_contains("caseload-flags-child-ava", "not assessed")
        .await?;
    let ava = sam.text("caseload-flags-child-ava").await?;
    let dashboard = {
        morgan.open(&server.url("/team")).await?;
        morgan.text("team-flags-child-ava").await?
    };
    ensure!(
        ava.trim() == dashboard.trim(),
        "the tablet's flags {ava:?} match the dashboard's {dashboard:?}"
    );

    // Keyboard only, from the top of the page: Tab to each field, type, tick the suggested
    // indicator with Enter, and Tab on to Save.
    sam.client.set_window_size(800, 1280).await?;
    sam.open(&server.url("/child/child-ava/new")).await?;
    sam.find("obs-narrative").await?;
    let narrative = "Poor hygiene: hair matted, clothes smelled of urine.";
    let mut stops = 0;
    let mut ticked = false;
    loop {
        press(&sam, Key::Tab).await?;
        stops += 1;
        ensure!(stops <= 60, "Save never reached by Tab");
        let at = focused(&sam).await?;
        match at.as_str() {
            "obs-narrative" => {
                sam.client
                    .active_element()
                    .await?
                    .send_keys(narrative)
                    .await?
            }
            "suggest-NEG-HYGIENE" if !ticked => {
                press(&sam, Key::Enter).await?;
                ticked = true;
            }
            "obs-save" => break,
            _ => {}
        }
    }
    ensure!(ticked, "the narrative suggested the indicator");
    ensure!(stops <= 30, "recording took {stops} Tab stops");
    press(&sam, Key::Enter).await?;
    sam.find("saved-message")
        .await
        .context("saved with the keyboard")?;
    println!("keyboard-only observation with an indicator: {stops} Tab stops");
    sam.close().await?;
    morgan.close().await?;
    Ok(())
}
