//! The front door in the browser: a school practitioner on no child's core group raises a
//! concern with the network off (kept sealed, "waiting to send"), syncs; the front-door worker
//! finds it in the queue, matched by NHS number to Ava's record despite the spelling, matches
//! and decides it; the school's tablet then shows the decision and its date, and still holds
//! no record.

use anyhow::{ensure, Result};
use shared::calendar::Date;
use tests::{Driver, Server};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn a_concern_raised_offline_is_decided_and_the_referrer_hears() -> Result<()> {
    let server = Server::start()?;
    let driver = Driver::start()?;
    let (pj, pf) = (tempfile::tempdir()?, tempfile::tempdir()?);

    let jo = driver.tablet(pj.path()).await?;
    jo.sign_in(&server, "jo.school").await?;
    jo.wait_for_offline_shell().await?;
    jo.wait_text("pending-count", "0").await?;
    ensure!(
        !jo.exists("child-link-child-ava").await?,
        "the school holds no record"
    );

    // No signal: the concern is kept on the tablet.
    jo.set_offline(true).await?;
    jo.open(&server.url("/concerns")).await?;
    jo.type_into("concern-name", "Ava Thomson").await?;
    jo.set_value("concern-dob", "2016-04-12").await?;
    jo.type_into("concern-nhs", "450 557 7104").await?;
    jo.type_into(
        "concern-narrative",
        "Came in hungry again with a bruise on her cheek she would not talk about",
    )
    .await?;
    jo.type_into("concern-words", "Mum was cross").await?;
    jo.select("concern-urgency", "today").await?;
    jo.click("save-concern").await?;
    jo.wait_contains("concern-message", "Kept on this tablet")
        .await?;
    jo.wait_contains("raised-concerns", "Waiting to send")
        .await?;

    jo.set_offline(false).await?;
    jo.click("sync-now").await?;
    jo.wait_contains("raised-concerns", "At the front door since")
        .await?;

    // The front door: matched by NHS number, then decided.
    let fran = driver.tablet(pf.path()).await?;
    fran.sign_in(&server, "fran.frontdoor").await?;
    fran.click("nav-front-door").await?;
    fran.wait_contains("front-door-queue", "Ava Thomson, born 12/04/2016")
        .await?;
    fran.wait_contains("front-door-queue", "same NHS number")
        .await?;
    fran.wait_contains("front-door-queue", "Jo Adams, Hilltop Primary School")
        .await?;
    fran.click("match-child-ava").await?;
    fran.find("decide-form").await?;
    fran.select("decision", "assessment").await?;
    fran.type_into(
        "decision-reasons",
        "Second concern from school this term: assess within the plan",
    )
    .await?;
    fran.click("decide").await?;
    let today = Date::london_from_unix_ms(server::clock::now_ms());
    fran.wait_contains(
        "front-door-queue",
        &format!("Decided {}: Child and family assessment", today.dmy()),
    )
    .await?;

    // The school hears the decision and its date, and nothing more.
    jo.click("sync-now").await?;
    jo.wait_contains(
        "raised-concerns",
        &format!("Decided {}: Child and family assessment", today.dmy()),
    )
    .await?;
    ensure!(
        !jo.exists("child-link-child-ava").await?,
        "the school still holds no record"
    );
    jo.open(&server.url("/child/child-ava")).await?;
    jo.find("observation-list").await?;
    ensure!(
        !jo.exists("visits-section").await?,
        "the record is not on the school's tablet"
    );
    Ok(())
}
