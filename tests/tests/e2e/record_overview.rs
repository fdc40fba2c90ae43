//! The fuller record, end to end: a visit recorded offline with an indicator and the carer's
//! explanation, a body-map mark, a new adult and a safety scaling; after sync the manager's
//! dashboard shows the new flag and the scaling chart includes the new point. Siblings' records
//! are linked.

use anyhow::{ensure, Result};
use tests::{Driver, Server};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn offline_visit_reaches_the_managers_dashboard() -> Result<()> {
    let mut server = Server::start()?;
    let driver = Driver::start()?;
    let (pa, pm) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sam = driver.tablet(pa.path()).await?;
    sam.ready_for_visit(&server, "sam.social").await?;

    server.stop();

    // Siblings' records are linked (the demo links Ava and her brother Leo).
    sam.open(&server.url("/child/child-ava")).await?;
    let sibling = sam.text("sibling-link").await?;
    ensure!(
        sibling.contains("Leo Thompson"),
        "sibling link shows {sibling:?}"
    );

    // The observation: an indicator with the carer's explanation, and a mark on the body map.
    sam.open(&server.url("/child/child-mia")).await?;
    sam.click("new-observation").await?;
    sam.type_into("indicator-search", "implement").await?;
    sam.click("indicator-PHY-BRUISE-PATTERN").await?;
    sam.type_into(
        "indicator-explanation-PHY-BRUISE-PATTERN",
        "Mum says she walked into a door",
    )
    .await?;
    sam.select("indicator-suitable-PHY-BRUISE-PATTERN", "not_suitable")
        .await?;
    sam.click("body-map-front").await?;
    sam.select("mark-kind", "bruise").await?;
    sam.type_into("mark-size", "3 cm x 1 cm").await?;
    sam.type_into("mark-colour", "Purple, looks fresh").await?;
    sam.click("mark-add").await?;
    ensure!(sam.count("body-mark-item").await? == 1, "one mark pending");
    sam.type_into(
        "obs-narrative",
        "Linear bruise on Mia's upper arm, edges sharp.",
    )
    .await?;
    sam.click("obs-save").await?;
    sam.find("saved-message").await?;

    // A man now staying at the house, not yet assessed.
    sam.click("add-person").await?;
    sam.type_into("person-name", "Ryan").await?;
    sam.type_into("person-relationship", "Mother's new partner")
        .await?;
    sam.select("person-age-group", "adult").await?;
    sam.select("person-household", "lives_with_child").await?;
    sam.select("person-status", "not_yet_assessed").await?;
    sam.click("person-save").await?;
    sam.find("flag-unassessed").await?;

    // The safety scale at the end of the visit.
    sam.click("add-scaling").await?;
    sam.set_value("scaling-date", "2026-11-20").await?;
    sam.set_value("scaling-score", "3").await?;
    sam.type_into(
        "scaling-rationale",
        "New adult in the home, unexplained bruise",
    )
    .await?;
    sam.click("scaling-save").await?;
    sam.find("scaling-item").await?;

    // Still offline, after a reload: all of it is on the tablet.
    sam.open(&server.url("/child/child-mia")).await?;
    ensure!(
        sam.count("person-item").await? >= 1,
        "person lost on reload"
    );
    ensure!(
        sam.count("scaling-item").await? == 1,
        "scaling lost on reload"
    );
    ensure!(
        sam.count("body-map-mark").await? >= 1,
        "body-map mark lost on reload"
    );
    sam.find("flag-unassessed").await?;

    server.restart()?;
    sam.click("sync-now").await?;
    sam.wait_text("pending-count", "0").await?;

    let manager = driver.tablet(pm.path()).await?;
    manager.sign_in(&server, "morgan.manager").await?;
    manager.click("nav-team").await?;
    let flags = manager.text("team-flags-child-mia").await?;
    ensure!(
        flags.contains("not assessed"),
        "dashboard flags for Mia: {flags:?}"
    );
    manager.click("team-child-child-mia").await?;
    manager.find("chart-scaling").await?;
    ensure!(
        manager.count("chart-scaling-point").await? == 1,
        "the new scaling is on the chart"
    );
    let chronology = manager.text("chronology").await?;
    ensure!(
        chronology.contains("Linear bruise"),
        "the visit is in the chronology"
    );

    sam.close().await?;
    manager.close().await?;
    Ok(())
}
