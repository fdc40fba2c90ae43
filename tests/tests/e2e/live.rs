//! Several server processes on one PostgreSQL: a manager has a child's record open in the
//! browser, served by one process, while practitioners' tablets sync new observations through
//! two others. The open page shows each new entry without being reloaded, and the tablets
//! converge on one record.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use shared::ChildId;
use tests::sim::SimTablet;
use tests::{fresh_postgres, Driver, Server, PASSWORD};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary, Chromium and PostgreSQL: run `cargo xtask test`"]
async fn a_managers_open_record_shows_what_other_processes_merge() -> Result<()> {
    let database = fresh_postgres().await?;
    // One after another: the first creates the demo caseload, the others find it there.
    let manager_side = Server::start_on(Some(database.clone()), &[])?;
    let sam_side = Server::start_on(Some(database.clone()), &[])?;
    let hana_side = Server::start_on(Some(database), &[])?;

    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let manager = driver.tablet(profile.path()).await?;
    manager.sign_in(&manager_side, "morgan.manager").await?;
    manager
        .open(&manager_side.url("/team/child/child-ava"))
        .await?;
    manager.find("chronology").await?;
    // A mark on this page: a reload would clear it.
    manager
        .client
        .execute("window.quiltStillOpen = true; return true;", vec![])
        .await?;

    let ava: ChildId = "child-ava".parse()?;
    let within = Duration::from_secs(60);
    let mut sam = SimTablet::sign_in(&sam_side.url(""), "sam.social", PASSWORD, 1).await?;
    let mut hana = SimTablet::sign_in(&hana_side.url(""), "hana.health", PASSWORD, 2).await?;
    sam.sync_until_settled(within).await?;
    hana.sync_until_settled(within).await?;

    sam.record(&ava, "Merged by the second process: Ava hungry at school")?;
    sam.sync_until_settled(within).await?;
    manager
        .wait_contains("chronology", "Merged by the second process")
        .await?;

    hana.record(&ava, "Merged by the third process: no food in the fridge")?;
    hana.sync_until_settled(within).await?;
    manager
        .wait_contains("chronology", "Merged by the third process")
        .await?;

    let still_open = manager
        .client
        .execute("return window.quiltStillOpen === true;", vec![])
        .await?;
    ensure!(
        still_open.as_bool() == Some(true),
        "the page was reloaded instead of updated"
    );

    // The tablets, syncing through different processes, converge on one record.
    sam.sync_until_settled(within).await?;
    hana.sync_until_settled(within).await?;
    let heads = |t: &SimTablet| -> Result<Vec<automerge::ChangeHash>> {
        Ok(t.caseload
            .replicas
            .get(&ava)
            .context("Ava on the tablet")?
            .doc
            .get_heads())
    };
    ensure!(heads(&sam)? == heads(&hana)?, "the tablets converged");
    for server in [&manager_side, &sam_side, &hana_side] {
        let narratives = server.chronology_narratives("child-ava").await?;
        for expected in [
            "Merged by the second process",
            "Merged by the third process",
        ] {
            ensure!(
                narratives.iter().any(|n| n.contains(expected)),
                "process on port {} is missing {expected:?}",
                server.port
            );
        }
    }
    manager.close().await?;
    Ok(())
}
