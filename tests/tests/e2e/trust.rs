//! The tablet's side of trust, in real headless Chromium against the real server binary: what
//! a lost tablet's disk reveals, the lock screen, and sessions that expire while offline.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use base64::Engine as _;
use tests::{Driver, Server, Tablet, PASSWORD};

/// Words that appear nowhere but in what the practitioner types.
const CANARIES: [&str; 3] = [
    "Zephyrquartzcanary",
    "Marmalowicketcanary",
    "Plinthorbcanary",
];
/// Written in clear by the test itself, to prove the scan finds what is there.
const CONTROL: &str = "Controlwordinclearxq";

/// Every way a word could be written to disk that the scan looks for: UTF-8, UTF-16 (both
/// byte orders), base64 at each of the three alignments, and hex, each case-insensitively.
fn encodings(word: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for w in [word.to_owned(), word.to_lowercase(), word.to_uppercase()] {
        out.push(w.as_bytes().to_vec());
        out.push(w.encode_utf16().flat_map(u16::to_le_bytes).collect());
        out.push(w.encode_utf16().flat_map(u16::to_be_bytes).collect());
        out.push(
            w.bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into_bytes(),
        );
        for pad in 0..3 {
            let mut shifted = vec![b' '; pad];
            shifted.extend_from_slice(w.as_bytes());
            let encoded = base64::engine::general_purpose::STANDARD.encode(&shifted);
            // Skip the characters that depend on the bytes before the word, and the tail.
            let skip = (pad * 4).div_ceil(3);
            let core = &encoded[skip..encoded.len().saturating_sub(4)];
            if core.len() >= 8 {
                out.push(core.as_bytes().to_vec());
            }
        }
    }
    out
}

/// Files under `dir` containing `word` in any encoding.
fn files_containing(dir: &Path, word: &str) -> Result<Vec<String>> {
    let needles = encodings(word);
    let finders: Vec<memchr::memmem::Finder<'_>> =
        needles.iter().map(memchr::memmem::Finder::new).collect();
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // Chromium may be rewriting a file right now; an unreadable one is skipped.
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if finders.iter().any(|f| f.find(&bytes).is_some()) {
                hits.push(path.display().to_string());
            }
        }
    }
    Ok(hits)
}

/// Waits until the control word has reached the disk (so the browser has flushed what the
/// app wrote before it), then asserts that no canary is anywhere in the profile.
async fn assert_no_canary_on_disk(profile: &Path, when: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while files_containing(profile, CONTROL)?.is_empty() {
        if Instant::now() > deadline {
            bail!("{when}: the control word never reached the disk, so the scan proves nothing");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for canary in CANARIES {
        let hits = files_containing(profile, canary)?;
        ensure!(
            hits.is_empty(),
            "{when}: {canary} found in clear on disk: {hits:?}"
        );
    }
    Ok(())
}

/// Writes the control word in clear into IndexedDB and local storage, as a careless app would.
async fn write_control(tablet: &Tablet, n: u32) -> Result<()> {
    let script = format!(
        "const done = arguments[0];
         localStorage.setItem('control{n}', '{CONTROL}');
         const open = indexedDB.open('control{n}', 1);
         open.onupgradeneeded = () => open.result.createObjectStore('s');
         open.onsuccess = () => {{
           const tx = open.result.transaction('s', 'readwrite');
           tx.objectStore('s').put('{CONTROL} ' + 'x'.repeat(5000), 'k');
           tx.oncomplete = () => {{ open.result.close(); done(true); }};
         }};"
    );
    tablet.client.execute_async(&script, vec![]).await?;
    Ok(())
}

/// What the app's database holds, read in the page: (has a vault, documents, chunks).
async fn quilt_store_counts(tablet: &Tablet) -> Result<(bool, u64, u64)> {
    let v = tablet
        .client
        .execute_async(
            "const done = arguments[0];
             const open = indexedDB.open('quilt');
             open.onsuccess = () => {
               const db = open.result;
               const tx = db.transaction(['meta', 'docs', 'chunks']);
               const out = {};
               tx.objectStore('meta').get('vault').onsuccess = e => out.vault = e.target.result !== undefined;
               tx.objectStore('docs').count().onsuccess = e => out.docs = e.target.result;
               tx.objectStore('chunks').count().onsuccess = e => out.chunks = e.target.result;
               tx.oncomplete = () => { db.close(); done(out); };
             };",
            vec![],
        )
        .await?;
    Ok((
        v["vault"].as_bool().unwrap_or(false),
        v["docs"].as_u64().unwrap_or(0),
        v["chunks"].as_u64().unwrap_or(0),
    ))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn a_lost_tablet_reveals_nothing_and_wrong_passwords_erase_it() -> Result<()> {
    let mut server = Server::start()?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let tablet = driver.tablet(profile.path()).await?;

    tablet.ready_for_visit(&server, "sam.social").await?;

    // One observation synced, one left unsynced: both kinds of record are on the tablet.
    let [place, narrative, words] = CANARIES;
    tablet.open(&server.url("/child/child-ava/new")).await?;
    tablet.type_into("obs-location", place).await?;
    tablet.type_into("obs-present", "Mother, child").await?;
    tablet.type_into("indicator-search", "hygiene").await?;
    tablet.click("indicator-NEG-HYGIENE").await?;
    tablet
        .type_into("obs-narrative", &format!("Seen at home. {narrative}"))
        .await?;
    tablet.type_into("obs-child-words", words).await?;
    tablet.click("obs-save").await?;
    tablet.find("saved-message").await?;
    tablet.wait_text("pending-count", "0").await?;
    server.stop();
    tablet
        .record_observation(
            &server,
            "child-mia",
            &format!("Unsynced. {narrative}"),
            words,
        )
        .await?;
    tablet.wait_text("pending-count", "1").await?;

    // Locked: the records are on disk, and only ciphertext of them.
    write_control(&tablet, 1).await?;
    tablet.click("lock").await?;
    tablet.find("lock-screen").await?;
    let (vault, docs, _) = quilt_store_counts(&tablet).await?;
    ensure!(
        vault && docs >= 2,
        "records should still be on the tablet while locked"
    );
    assert_no_canary_on_disk(profile.path(), "locked").await?;

    // Wrong passwords count down; the right one opens it, offline, and the count starts over.
    for failed in 1..=3 {
        tablet.unlock("not the password").await?;
        let left = 10 - failed;
        tablet
            .wait_contains("unlock-error", &format!("After {left} more"))
            .await?;
    }
    tablet.unlock(PASSWORD).await?;
    tablet.find("app-ready").await?;
    tablet.open(&server.url("/child/child-mia")).await?;
    ensure!(
        tablet
            .text("observation-list")
            .await?
            .contains(&format!("Unsynced. {narrative}")),
        "the unsynced observation should be readable after unlocking"
    );

    // Ten wrong passwords in a row erase everything, including the wrapped key.
    tablet.click("lock").await?;
    tablet.find("lock-screen").await?;
    for failed in 1..=9 {
        tablet.unlock("still not the password").await?;
        let left = 10 - failed;
        tablet
            .wait_contains("unlock-error", &format!("After {left} more"))
            .await?;
    }
    tablet.unlock("still not the password").await?;
    tablet.wait_contains("login-notice", "erased").await?;
    let (vault, docs, chunks) = quilt_store_counts(&tablet).await?;
    ensure!(
        !vault && docs == 0 && chunks == 0,
        "ten wrong passwords must erase the tablet"
    );

    // Sign in again (online), record, then sign out: erased, with nothing in clear left behind.
    server.restart()?;
    tablet.ready_for_visit(&server, "sam.social").await?;
    server.stop();
    tablet
        .record_observation(&server, "child-ava", &format!("Later. {narrative}"), words)
        .await?;
    tablet.click("logout").await?;
    // One unsynced change: the app warns before erasing it.
    tablet.find("signout-warning").await?;
    tablet.click("signout-confirm").await?;
    tablet.find("login-username").await?;
    let (vault, docs, chunks) = quilt_store_counts(&tablet).await?;
    ensure!(
        !vault && docs == 0 && chunks == 0,
        "signing out must erase the tablet"
    );
    write_control(&tablet, 2).await?;
    assert_no_canary_on_disk(profile.path(), "signed out").await?;
    tablet.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn a_session_that_expires_offline_keeps_the_work_until_sign_in() -> Result<()> {
    // Access tokens last 3 s and refresh tokens 12 s, so both run out during the "visit".
    let mut server = Server::start_with(&["--access-ttl-secs", "3", "--refresh-ttl-secs", "12"])?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let tablet = driver.tablet(profile.path()).await?;

    tablet.ready_for_visit(&server, "sam.social").await?;

    // A short visit: the access token expires, the refresh token renews it without asking.
    server.stop();
    let first = "Short visit: Ava's coat was too small.";
    tablet
        .record_observation(&server, "child-ava", first, "It's my sister's")
        .await?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    server.restart()?;
    tablet.click("sync-now").await?;
    tablet.wait_text("pending-count", "0").await?;
    ensure!(
        !tablet.exists("sync-error").await?,
        "a refreshable session should sync without asking the user"
    );

    // A long visit: everything expires while offline. The work waits on the tablet.
    server.stop();
    let second = "Long visit: no heating on, Ava asleep in her coat.";
    tablet
        .record_observation(&server, "child-ava", second, "Mum says the meter ran out")
        .await?;
    tokio::time::sleep(Duration::from_secs(13)).await;
    server.restart()?;
    tablet.click("sync-now").await?;
    tablet.wait_contains("sync-error", "sign in again").await?;
    tablet.wait_text("pending-count", "1").await?;
    ensure!(
        !server
            .chronology_narratives("child-ava")
            .await?
            .iter()
            .any(|n| n == second),
        "nothing should sync without a session"
    );

    // Signing in again (same user, same tablet) sends the waiting work.
    tablet.open(&server.url("/")).await?;
    tablet.type_into("login-password", PASSWORD).await?;
    tablet.click("login-submit").await?;
    tablet.find("caseload-list").await?;
    tablet.wait_text("pending-count", "0").await?;
    let on_server = server.chronology_narratives("child-ava").await?;
    ensure!(
        on_server.iter().any(|n| n == first) && on_server.iter().any(|n| n == second),
        "server is missing entries: {on_server:?}"
    );
    tablet.close().await?;
    Ok(())
}
