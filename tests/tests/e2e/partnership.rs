//! A partnership's first day in real headless Chromium against the real binary with no demo
//! data: the operator creates the first administrator from the command line; the
//! administrator creates a practitioner and a child in the browser; the manager adds the
//! practitioner to the child's core group; the practitioner chooses her own password, finds
//! the child on her tablet after sync, records offline and syncs; the manager sees it. Then
//! the administrator disables her: the tablet's next contact sends what it still held, and
//! erases every record.

use anyhow::{Context, Result};
use serde_json::{json, Value};
use tests::{Driver, Server, Tablet};

use crate::scan::{assert_no_canary_on_disk, quilt_store_counts, write_control, CANARIES};

const ADMIN_PASSWORD: &str = "plum garden ladder 9";
const MANAGER_PASSWORD: &str = "maple river lantern 4";
const FIRST_PASSWORD: &str = "first pass phrase 77";
const PIA_PASSWORD: &str = "pia chooses seven words";

async fn api(
    server: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Result<Value> {
    let client = reqwest::Client::new();
    let mut req = match method {
        "GET" => client.get(server.url(path)),
        _ => client.post(server.url(path)).json(&body),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    Ok(req.send().await?.error_for_status()?.json().await?)
}

async fn sign_in_page(
    tablet: &Tablet,
    server: &Server,
    username: &str,
    password: &str,
) -> Result<()> {
    tablet.open_with(&server.url("/"), password).await?;
    tablet.type_into("login-username", username).await?;
    tablet.type_into("login-password", password).await?;
    tablet.click("login-submit").await
}

/// Waits until the page's text contains `part`.
async fn page_shows(tablet: &Tablet, part: &str) -> Result<()> {
    tablet
        .wait_js(
            &format!("the page to show {part:?}"),
            &format!("return document.body.innerText.includes({});", json!(part)),
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn a_partnership_from_an_empty_database_to_a_leaver() -> Result<()> {
    let server = Server::start_empty()?;
    server.admin(
        &[
            "create-user",
            "--username",
            "root.admin",
            "--display-name",
            "Rita Root",
            "--agency",
            "Partnership IT",
            "--role",
            "admin",
        ],
        &format!("{ADMIN_PASSWORD}\n"),
    )?;
    let team = server.admin(&["create-team", "North team"], "")?;
    let team_id = team
        .split('(')
        .nth(1)
        .and_then(|t| t.split(')').next())
        .context("team id")?
        .to_owned();
    server.admin(
        &[
            "create-user",
            "--username",
            "max.manager",
            "--display-name",
            "Max Manager",
            "--agency",
            "Children's Social Care",
            "--role",
            "manager",
            "--team",
            "North team",
        ],
        &format!("{MANAGER_PASSWORD}\n"),
    )?;
    let driver = Driver::start()?;

    // The administrator creates a practitioner and a child.
    let admin_profile = tempfile::tempdir()?;
    let admin = driver.tablet(admin_profile.path()).await?;
    sign_in_page(&admin, &server, "root.admin", ADMIN_PASSWORD).await?;
    admin.find("new-account").await?;
    admin.type_into("new-username", "pia.health").await?;
    admin.type_into("new-display-name", "Pia Health").await?;
    admin
        .type_into("new-agency", "Health Visiting (NHS)")
        .await?;
    admin.select("new-role", "practitioner").await?;
    admin.select("new-team", &team_id).await?;
    admin.type_into("new-password", FIRST_PASSWORD).await?;
    admin.click("create-account").await?;
    admin
        .wait_contains("outcome-new-account", "created")
        .await?;
    admin.find("account-pia.health").await?;
    admin.click("nav-children").await?;
    admin.type_into("child-name", "Kai West").await?;
    admin.set_value("child-dob", "2018-06-01").await?;
    admin.type_into("child-nhs", "943 476 5919").await?;
    admin.type_into("child-school", "Riverside Primary").await?;
    admin.click("create-child").await?;
    admin.find("child-created").await?;

    let token = api(
        &server,
        "POST",
        "/api/login",
        None,
        json!({"username": "root.admin", "password": ADMIN_PASSWORD}),
    )
    .await?["token"]
        .as_str()
        .context("token")?
        .to_owned();
    let found = api(
        &server,
        "POST",
        "/api/children/search",
        Some(&token),
        json!({"nhs": "9434765919"}),
    )
    .await?;
    let child = found["matches"][0]["child"]["child_id"]
        .as_str()
        .context("the child")?
        .to_owned();
    let accounts = api(
        &server,
        "GET",
        "/api/admin/users",
        Some(&token),
        Value::Null,
    )
    .await?;
    let pia = accounts
        .as_array()
        .context("accounts")?
        .iter()
        .find(|a| a["username"] == "pia.health")
        .context("pia")?["id"]
        .as_str()
        .context("id")?
        .to_owned();

    // The manager adds her to the core group.
    let manager_profile = tempfile::tempdir()?;
    let manager = driver.tablet(manager_profile.path()).await?;
    sign_in_page(&manager, &server, "max.manager", MANAGER_PASSWORD).await?;
    manager.find("caseload-list").await?;
    manager
        .open_with(
            &server.url(&format!("/team/child/{child}/group")),
            MANAGER_PASSWORD,
        )
        .await?;
    manager.find("member-add").await?;
    manager.select("member-person", &pia).await?;
    manager.select("member-role", "health_visitor").await?;
    manager.click("member-add").await?;
    manager
        .wait_contains("core-group-current", "Pia Health")
        .await?;

    // Pia signs in, chooses her own password, and has the child after sync.
    let pia_profile = tempfile::tempdir()?;
    let tablet = driver.tablet(pia_profile.path()).await?;
    sign_in_page(&tablet, &server, "pia.health", FIRST_PASSWORD).await?;
    tablet.find("choose-password").await?;
    tablet.type_into("new-password", PIA_PASSWORD).await?;
    tablet.type_into("repeat-password", PIA_PASSWORD).await?;
    tablet.click("choose-password-submit").await?;
    tablet.find(&format!("child-link-{child}")).await?;
    tablet.wait_for_offline_shell().await?;
    tablet.wait_text("pending-count", "0").await?;

    // She records offline; it syncs when the signal returns; the manager sees it.
    let [_, narrative, words] = CANARIES;
    let record = |text: String| {
        let (tablet, server, child) = (&tablet, &server, child.clone());
        async move {
            tablet
                .open_with(&server.url(&format!("/child/{child}/new")), PIA_PASSWORD)
                .await?;
            tablet.type_into("obs-location", "Family home").await?;
            tablet.type_into("obs-present", "Mother, child").await?;
            tablet.type_into("indicator-search", "hygiene").await?;
            tablet.click("indicator-NEG-HYGIENE").await?;
            tablet.type_into("obs-narrative", &text).await?;
            tablet.type_into("obs-child-words", words).await?;
            tablet.click("obs-save").await?;
            tablet.find("saved-message").await?;
            anyhow::Ok(())
        }
    };
    tablet.set_offline(true).await?;
    record(format!("First visit. {narrative}")).await?;
    tablet.wait_text("pending-count", "1").await?;
    tablet.set_offline(false).await?;
    tablet.click("sync-now").await?;
    tablet.wait_text("pending-count", "0").await?;
    manager
        .open_with(
            &server.url(&format!("/team/child/{child}")),
            MANAGER_PASSWORD,
        )
        .await?;
    page_shows(&manager, "First visit.").await?;

    // Her last visit is recorded offline; meanwhile she leaves and is disabled.
    tablet.set_offline(true).await?;
    record("Last visit before leaving.".to_owned()).await?;
    tablet.wait_text("pending-count", "1").await?;
    admin
        .open_with(&server.url("/admin"), ADMIN_PASSWORD)
        .await?;
    admin.click("toggle-pia.health").await?;
    admin.wait_contains("outcome-accounts", "disabled").await?;
    admin
        .wait_contains("account-state-pia.health", "Disabled")
        .await?;

    // Her tablet's next contact: what it held is stored, and everything on it is erased.
    write_control(&tablet, 1).await?;
    tablet.set_offline(false).await?;
    if !tablet.exists("account-disabled-notice").await? {
        // The `online` event usually syncs at once; the button does if it has not yet.
        let _ = tablet.click("sync-now").await;
    }
    tablet.find("account-disabled-notice").await?;
    let (vault, docs, chunks) = quilt_store_counts(&tablet).await?;
    anyhow::ensure!(
        !vault && docs == 0 && chunks == 0,
        "erased: vault {vault}, {docs} documents, {chunks} chunks left"
    );
    assert_no_canary_on_disk(pia_profile.path(), "after the leaver's erase").await?;
    manager
        .open_with(
            &server.url(&format!("/team/child/{child}")),
            MANAGER_PASSWORD,
        )
        .await?;
    page_shows(&manager, "Last visit before leaving.").await?;
    // The disabled account cannot sign in again; the page says why.
    sign_in_page(&tablet, &server, "pia.health", PIA_PASSWORD).await?;
    tablet.wait_contains("login-error", "disabled").await?;

    for t in [tablet, manager, admin] {
        t.close().await?;
    }
    Ok(())
}
