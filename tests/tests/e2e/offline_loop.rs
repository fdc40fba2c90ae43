//! The offline loop end to end, in real headless Chromium against the real server binary:
//! record with the server gone, reload from the service worker, sync, and the manager sees
//! one chronology from every tablet.

use anyhow::{ensure, Result};
use tests::{Driver, Server};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn practitioner_records_offline_and_syncs_later() -> Result<()> {
    let mut server = Server::start()?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let tablet = driver.tablet(profile.path()).await?;

    tablet.ready_for_visit(&server, "sam.social").await?;

    // The visit: no signal. The server is gone entirely, and the app still loads.
    server.stop();
    tablet.open(&server.url("/caseload")).await?;
    tablet.find("child-link-child-ava").await?;

    let first = "Offline visit one: Ava in a t-shirt on a freezing day.";
    let second = "Offline visit two: kitchen had no food in the cupboards.";
    tablet
        .record_observation(&server, "child-ava", first, "I'm cold")
        .await?;
    tablet
        .record_observation(&server, "child-ava", second, "We had crisps for tea")
        .await?;
    tablet.wait_text("pending-count", "2").await?;

    // Reload, still offline: both entries come back from the tablet's own storage.
    tablet.open(&server.url("/child/child-ava")).await?;
    let items = tablet.find("observation-list").await?.text().await?;
    ensure!(
        items.contains(first) && items.contains(second),
        "entries lost on reload: {items}"
    );

    // Back in the office.
    server.restart()?;
    tablet.click("sync-now").await?;
    tablet.wait_text("pending-count", "0").await?;
    let on_server = server.chronology_narratives("child-ava").await?;
    ensure!(
        on_server.iter().any(|n| n == first) && on_server.iter().any(|n| n == second),
        "server is missing entries: {on_server:?}"
    );
    tablet.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn two_tablets_offline_then_manager_sees_one_chronology() -> Result<()> {
    let mut server = Server::start()?;
    let driver = Driver::start()?;
    let (pa, pb, pm) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );
    let sam = driver.tablet(pa.path()).await?;
    let hana = driver.tablet(pb.path()).await?;

    sam.ready_for_visit(&server, "sam.social").await?;
    hana.ready_for_visit(&server, "hana.health").await?;

    server.stop();
    let from_sam = "Sam's visit: Ava said she is scared of the new lodger.";
    let from_hana = "Hana's visit: Ava's weight has dropped since the last check.";
    sam.record_observation(&server, "child-ava", from_sam, "He comes in my room")
        .await?;
    hana.record_observation(&server, "child-ava", from_hana, "")
        .await?;

    server.restart()?;
    for t in [&sam, &hana] {
        t.click("sync-now").await?;
        t.wait_text("pending-count", "0").await?;
    }

    let manager = driver.tablet(pm.path()).await?;
    manager.sign_in(&server, "morgan.manager").await?;
    manager.click("nav-team").await?;
    manager.click("team-child-child-ava").await?;
    manager.find("chronology-entry").await?;
    let chronology = manager.find("chronology").await?.text().await?;
    ensure!(
        chronology.contains(from_sam),
        "manager is missing Sam's entry: {chronology}"
    );
    ensure!(
        chronology.contains(from_hana),
        "manager is missing Hana's entry: {chronology}"
    );
    ensure!(
        manager.count("chronology-entry").await? >= 5,
        "demo history plus both visits"
    );

    for t in [sam, hana, manager] {
        t.close().await?;
    }
    Ok(())
}
