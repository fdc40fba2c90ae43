//! The one form pattern, as a practitioner meets it: a form being typed into keeps every word
//! while the entry it edits changes underneath (another agency's change arriving by sync), and
//! saving it then keeps both people's work. The record's section index counts each part and
//! says what is new since the practitioner last looked.

use std::time::Duration;

use anyhow::{ensure, Result};
use shared::record::people::{self, Assessment, AssessmentStatus};
use shared::ChildId;
use tests::sim::SimTablet;
use tests::{Driver, Server, PASSWORD};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn an_open_form_keeps_its_typing_while_the_entry_changes_by_sync() -> Result<()> {
    let server = Server::start()?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let sam = driver.tablet(profile.path()).await?;
    sam.ready_for_visit(&server, "sam.social").await?;
    sam.open(&server.url("/child/child-ava")).await?;

    // Sam starts editing Dean's details.
    sam.click("person-edit-person-dean").await?;
    let typed = "Seen drunk at the school gate on 3 December";
    sam.type_into("person-risk", typed).await?;

    // Meanwhile the health visitor assesses Dean on her tablet and syncs.
    let ava: ChildId = "child-ava".parse()?;
    let within = Duration::from_secs(60);
    let mut hana = SimTablet::sign_in(&server.url(""), "hana.health", PASSWORD, 7).await?;
    hana.sync_until_settled(within).await?;
    hana.change(&ava, |doc, stamp| {
        let assessment = Assessment {
            status: AssessmentStatus::Both,
            date: "2026-12-01".into(),
            note: "Assessed at the health visit".into(),
        };
        people::assess(doc, "person-dean", &assessment, stamp)?;
        Ok(())
    })?;
    hana.sync_until_settled(within).await?;

    // A save in another section syncs Sam's tablet, which brings Hana's assessment in.
    sam.click("add-scaling").await?;
    sam.type_into("scaling-score", "4").await?;
    sam.click("scaling-save").await?;
    sam.wait_js(
        "the health visitor's assessment of Dean to reach the page",
        "return document.body.innerText.includes('Assessed at the health visit');",
    )
    .await?;

    // Sam's form is still open with every word typed.
    let kept = sam.find("person-risk").await?.prop("value").await?;
    ensure!(
        kept.as_deref() == Some(typed),
        "the form lost its typing: {kept:?}"
    );

    // Saving it keeps both: Sam's details and Hana's assessment.
    sam.click("person-save").await?;
    sam.wait_js(
        "Sam's details to be saved",
        "return document.body.innerText.includes('Details saved on this tablet.');",
    )
    .await?;
    ensure!(
        !sam.exists("person-risk").await?,
        "the form closed after saving"
    );
    let page: String = sam
        .client
        .execute("return document.body.innerText;", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ensure!(page.contains(typed), "Sam's details are shown");
    ensure!(
        page.contains("Assessed at the health visit"),
        "Hana's assessment is shown"
    );

    // The section index counts what each part holds, and what is new since Sam last had the
    // record open: Hana's new observation, synced while he was away.
    let before: usize = sam.text("index-count-observations").await?.trim().parse()?;
    sam.open(&server.url("/caseload")).await?;
    hana.record(&ava, "Ava's health check: weight below the 2nd centile")?;
    hana.sync_until_settled(within).await?;
    sam.click("sync-now").await?;
    sam.wait_text("pending-count", "0").await?;
    sam.open(&server.url("/child/child-ava")).await?;
    sam.wait_contains("index-new-observations", "1 new").await?;
    let after: usize = sam.text("index-count-observations").await?.trim().parse()?;
    ensure!(
        after == before + 1,
        "the count went from {before} to {after}"
    );
    ensure!(
        !sam.exists("index-new-people").await?,
        "nothing new among the people since Sam saw them"
    );
    sam.close().await?;
    Ok(())
}
