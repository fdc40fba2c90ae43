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

/// Body-map mark numbers as drawn: how many, how many under 14 px, and how many pairs of dots
/// on the same outline overlap.
const MARKS: &str = "
  const texts = [...document.querySelectorAll('.mark-dot text')];
  const small = texts.filter(t => {
    const m = t.getScreenCTM();
    return parseFloat(getComputedStyle(t).fontSize) * Math.min(Math.abs(m.a), Math.abs(m.d)) < 14;
  }).length;
  let overlapping = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const rs = [...svg.querySelectorAll('.mark-dot circle')].map(c => c.getBoundingClientRect());
    for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
      const [a, b] = [rs[i], rs[j]];
      const d = Math.hypot(a.x + a.width / 2 - b.x - b.width / 2, a.y + a.height / 2 - b.y - b.height / 2);
      if (d < Math.min(a.width, b.width) * 0.99) overlapping++;
    }
  }
  return [texts.length, small, overlapping];";

/// The deepest elements wider than the screen, for the message when a page is too wide.
const TOO_WIDE: &str = "const w = arguments[0]; \
    return [...document.querySelectorAll('body *')] \
      .filter(e => e.getBoundingClientRect().right > w + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > w + 1)) \
      .slice(0, 6).map(e => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || '') + ' ' + Math.round(e.getBoundingClientRect().width) + 'px');";

const SIDEWAYS: &str = "const d = document.documentElement; \
    return d.scrollWidth > d.clientWidth + 1 ? d.scrollWidth + ' > ' + d.clientWidth : '';";

async fn check_page(tablet: &Tablet, url: &str, ready: &str, size: (u32, u32)) -> Result<()> {
    tablet.open(url).await?;
    tablet.find(ready).await?;
    let width = tablet
        .client
        .execute("return window.innerWidth;", vec![])
        .await?;
    if width.as_u64() != Some(u64::from(size.0)) {
        // A phone widens its layout to fit content that does not fit: name what is too wide.
        let wide = tablet
            .client
            .execute(TOO_WIDE, vec![serde_json::json!(size.0)])
            .await?;
        anyhow::bail!(
            "{url}: the page is {width} px wide on a {} px screen: {wide}",
            size.0
        );
    }
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

/// Every image the web manifest names is served, is a PNG (or the SVG), and has the size the
/// manifest says; the raster icons are maskable and the manifest has an `id`.
async fn check_manifest(server: &Server) -> Result<()> {
    let http = reqwest::Client::new();
    let manifest: serde_json::Value = http
        .get(server.url("/manifest.webmanifest"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(manifest["id"].is_string(), "the manifest has an id");
    let images = manifest["icons"]
        .as_array()
        .into_iter()
        .chain(manifest["screenshots"].as_array())
        .flatten();
    let mut sizes = Vec::new();
    for image in images {
        let src = image["src"].as_str().context("src")?;
        let bytes = http
            .get(server.url(src))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        if image["type"] == "image/svg+xml" {
            continue;
        }
        ensure!(bytes.starts_with(b"\x89PNG"), "{src} is a PNG");
        let dim = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let actual = format!("{}x{}", dim(16), dim(20));
        ensure!(
            image["sizes"] == actual.as_str(),
            "{src} is {actual}, the manifest says {}",
            image["sizes"]
        );
        sizes.push(actual);
        if src.starts_with("/icon-") {
            ensure!(
                image["purpose"]
                    .as_str()
                    .is_some_and(|p| p.contains("maskable")),
                "{src} is maskable"
            );
        }
    }
    for wanted in ["192x192", "512x512"] {
        ensure!(sizes.iter().any(|s| s == wanted), "an icon of {wanted}");
    }
    ensure!(
        manifest["screenshots"]
            .as_array()
            .is_some_and(|s| s.len() >= 2),
        "wide and narrow screenshots"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn pages_fit_every_screen_and_recording_takes_few_keystrokes() -> Result<()> {
    let server = Server::start()?;
    let driver = Driver::start()?;
    let (ps, pm, pa) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    check_manifest(&server).await?;
    let sam = driver.tablet(ps.path()).await?;
    sam.ready_for_visit(&server, "sam.social").await?;
    let morgan = driver.tablet(pm.path()).await?;
    morgan.ready_for_visit(&server, "morgan.manager").await?;
    let ada = driver.tablet(pa.path()).await?;
    ada.open(&server.url("/")).await?;
    ada.type_into("login-username", "ada.admin").await?;
    ada.type_into("login-password", tests::PASSWORD).await?;
    ada.click("login-submit").await?;
    ada.find("new-account").await?;

    // Two marks in the same place, on Mia's record.
    sam.open(&server.url("/child/child-mia/new")).await?;
    for _ in 0..2 {
        sam.click("mark-place").await?;
        sam.click("mark-add").await?;
    }
    sam.type_into(
        "obs-narrative",
        "Two bruises side by side on the upper arm.",
    )
    .await?;
    sam.click("obs-save").await?;
    sam.find("saved-message").await?;

    for size in SIZES {
        for tablet in [&sam, &morgan, &ada] {
            tablet.set_viewport(size.0, size.1).await?;
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
            &server.url("/child/child-mia"),
            "observation-list",
            size,
        )
        .await?;
        let marks = sam.client.execute(MARKS, vec![]).await?;
        ensure!(
            marks[0].as_u64() >= Some(2) && marks[1] == 0 && marks[2] == 0,
            "at {size:?} the marks' numbers (drawn, under 14 px, overlapping) are {marks}"
        );
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
        check_page(
            &morgan,
            &server.url("/team/child/child-ava/group"),
            "core-group-current",
            size,
        )
        .await?;
        check_page(&morgan, &server.url("/children"), "new-child", size).await?;
        check_page(&sam, &server.url("/agencies"), "agency-list", size).await?;
        check_page(&sam, &server.url("/concerns"), "raise-concern", size).await?;
        check_page(&ada, &server.url("/admin"), "account-sam.social", size).await?;
    }

    // The agency directory, read once online above, opens with no network.
    sam.set_viewport(800, 1280).await?;
    sam.set_offline(true).await?;
    sam.open(&server.url("/agencies")).await?;
    sam.wait_contains("agency-agency-children-s-social-care", "Front door")
        .await?;
    sam.set_offline(false).await?;

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
    sam.set_viewport(800, 1280).await?;
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
