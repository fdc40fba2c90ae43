//! The case review's lessons in the browser: a practitioner records a hostile visit with the
//! network off; after sync the manager's dashboard and the next supervision list the debrief
//! as a task; the manager answers drift on the record and the flag changes state; another
//! practitioner's caseload and record say what is new since she last looked.

use anyhow::{ensure, Result};
use shared::calendar::Date;
use tests::{Driver, Server, Tablet};

async fn look_kept(t: &Tablet) -> Result<()> {
    t.wait_js(
        "the look to be remembered",
        "const e = document.querySelector('[data-testid=\"look-kept\"]');\
         return !!e && e.getAttribute('data-kept') === 'true';",
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn hostile_visit_debrief_task_drift_answered_and_new_since() -> Result<()> {
    let server = Server::start()?;
    let driver = Driver::start()?;
    let (ps, ph, pm) = (
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    );

    // Hana opens Ava's record before the visit: that is her last look.
    let hana = driver.tablet(ph.path()).await?;
    hana.ready_for_visit(&server, "hana.health").await?;
    hana.open(&server.url("/child/child-ava")).await?;
    hana.find("visits-section").await?;
    look_kept(&hana).await?;
    ensure!(
        !hana.exists("new-since").await?,
        "a first look has nothing new"
    );

    // Sam's visit, with no signal: the father threatens him and he leaves early.
    let sam = driver.tablet(ps.path()).await?;
    sam.ready_for_visit(&server, "sam.social").await?;
    sam.set_offline(true).await?;
    sam.open(&server.url("/child/child-ava")).await?;
    sam.click("add-visit").await?;
    sam.click("visit-threatened").await?;
    sam.click("visit-cut_short").await?;
    sam.type_into(
        "visit-note",
        "Father blocked the hallway and told me to get out",
    )
    .await?;
    sam.click("visit-save").await?;
    sam.wait_contains("visits-section", "Your manager will be asked to debrief it")
        .await?;
    sam.wait_text("pending-count", "1").await?;
    sam.wait_contains("visit-list", "difficult visit: Threatened, Visit cut short")
        .await?;
    sam.set_offline(false).await?;
    sam.click("sync-now").await?;
    sam.wait_text("pending-count", "0").await?;

    // The manager's dashboard: the debrief is a task (the demo's earlier one and this one).
    let morgan = driver.tablet(pm.path()).await?;
    morgan.ready_for_visit(&server, "morgan.manager").await?;
    morgan.open(&server.url("/team")).await?;
    morgan
        .wait_contains("team-tasks", "2 hostile or difficult visit(s)")
        .await?;
    morgan
        .wait_contains("team-tasks", "to debrief with the practitioner")
        .await?;
    morgan
        .wait_contains("team-flags-child-ava", "Drift: escalate")
        .await?;
    // And on the next supervision of the child, with drift to respond to.
    morgan
        .open(&server.url("/team/child/child-ava/supervision"))
        .await?;
    morgan
        .wait_contains("supervision-to-bring", "Debrief Sam Okafor's visit")
        .await?;
    morgan
        .wait_contains("supervision-to-bring", "Drift: respond on the record")
        .await?;

    // The manager answers drift on the record: the flag turns from unanswered to answered.
    morgan.open(&server.url("/child/child-ava")).await?;
    morgan
        .wait_contains("flag-drift", "Drift: escalate")
        .await?;
    morgan.click("drift-respond").await?;
    morgan
        .select("drift-action", "legal_planning_meeting")
        .await?;
    let review = Date::london_from_unix_ms(chrono_now_ms()).add_days(28);
    morgan
        .set_value("drift-review", &review.to_string())
        .await?;
    morgan
        .type_into(
            "drift-reason",
            "No change in home conditions since the review",
        )
        .await?;
    morgan.click("drift-save").await?;
    morgan
        .wait_contains(
            "flag-drift",
            &format!("Drift: answered, review {}", review.dmy()),
        )
        .await?;
    morgan
        .wait_contains("drift-state", "legal planning meeting")
        .await?;
    morgan.click("sync-now").await?;
    morgan.wait_text("pending-count", "0").await?;
    morgan.open(&server.url("/team")).await?;
    morgan
        .wait_contains("team-flags-child-ava", "Drift: answered")
        .await?;

    // Hana syncs: her caseload and the record say what others added since she looked.
    hana.click("sync-now").await?;
    hana.wait_text("pending-count", "0").await?;
    hana.open(&server.url("/caseload")).await?;
    hana.wait_contains("caseload-new-child-ava", "new since you last looked")
        .await?;
    let note = hana.text("caseload-new-child-ava").await?;
    ensure!(
        note.contains("1 visit") && note.contains("1 drift response"),
        "Hana's caseload: {note:?}"
    );
    hana.open(&server.url("/child/child-ava")).await?;
    hana.wait_contains("new-since", "1 visit").await?;
    look_kept(&hana).await?;
    // Seen now: the next look has nothing new.
    hana.open(&server.url("/caseload")).await?;
    hana.find("child-link-child-ava").await?;
    // Give the caseload time to read the looks it keeps.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    ensure!(
        !hana.exists("caseload-new-child-ava").await?,
        "nothing new after Hana opened it"
    );
    Ok(())
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
