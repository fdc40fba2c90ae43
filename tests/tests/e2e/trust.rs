//! The tablet's side of trust, in real headless Chromium against the real server binary: what
//! a lost tablet's disk reveals, the lock screen, and sessions that expire while offline.

use std::time::Duration;

use anyhow::{ensure, Result};
use tests::{Driver, Server, PASSWORD};

use crate::scan::{assert_no_canary_on_disk, quilt_store_counts, write_control, CANARIES};

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
