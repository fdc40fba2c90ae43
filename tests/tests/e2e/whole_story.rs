//! The whole story in the browser: the manager sees a child's previous plans first, each
//! flag's detail (what, since when, by when, whose action), and one chronology that the page,
//! the JSON API, the CSV and the print view list identically.

use anyhow::{ensure, Context, Result};
use tests::{Driver, Server, Tablet};

/// The `data-ref` of every element with `testid`, in document order.
async fn refs(tablet: &Tablet, testid: &str) -> Result<Vec<String>> {
    let script = format!(
        "return Array.from(document.querySelectorAll('[data-testid=\"{testid}\"]'))\
         .map(e => e.getAttribute('data-ref'));"
    );
    let v = tablet.client.execute(&script, vec![]).await?;
    Ok(v.as_array()
        .context("a list")?
        .iter()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect())
}

/// RFC 4180 rows (quoted fields, doubled quotes, line breaks inside quotes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn previous_plans_first_flag_details_and_one_chronology() -> Result<()> {
    let server = Server::start()?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let morgan = driver.tablet(profile.path()).await?;
    morgan.sign_in(&server, "morgan.manager").await?;

    // The dashboard: each flag says what, since when, by when and whose action.
    morgan.open(&server.url("/team")).await?;
    morgan
        .wait_contains("team-flags-child-ava", "the first added 20/10/2025")
        .await?;
    let flags = morgan.text("team-flags-child-ava").await?;
    ensure!(
        flags.contains("overdue by") && flags.contains("(lead social worker)"),
        "Ava's flag details: {flags:?}"
    );

    // The record's front: previous plans first, before the flags; the legal status from
    // the episodes open today.
    morgan.click("team-child-child-ava").await?;
    morgan
        .wait_contains(
            "previous-plans",
            "1 previous child protection plan: 06/2021 to 07/2022 (emotional abuse)",
        )
        .await?;
    morgan
        .wait_contains("previous-plans", "1 previous child in need plan")
        .await?;
    morgan
        .wait_text("legal-status", "Child protection plan (neglect)")
        .await?;
    let first = morgan
        .client
        .execute(
            "const p = document.querySelector('[data-testid=\"previous-plans\"]');\
             const f = document.querySelector('[data-testid=\"overview-flags\"]');\
             return !!(p && f && (p.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING));",
            vec![],
        )
        .await?;
    ensure!(first.as_bool() == Some(true), "previous plans come first");
    morgan.find("flag-detail").await?;

    // One chronology: the page, the JSON API, the CSV and the print view list the same items.
    morgan.find("chronology-entry").await?;
    let page = refs(&morgan, "chronology-entry").await?;
    let token = server.token("morgan.manager").await?;
    let http = reqwest::Client::new();
    let json: serde_json::Value = http
        .get(server.url("/api/children/child-ava/chronology"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let entries = json["entries"].as_array().context("entries")?;
    let api: Vec<String> = entries
        .iter()
        .filter_map(|e| e["ref_id"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        api.len() > 10,
        "the demo record has a long chronology: {api:?}"
    );
    ensure!(page == api, "page {page:?}\nAPI  {api:?}");
    let csv = http
        .get(server.url("/api/children/child-ava/chronology.csv"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let rows = csv_rows(&csv);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).context("column");
    let (date, headline) = (col("Date")?, col("Headline")?);
    let from_csv: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[date].clone(), r[headline].clone()))
        .collect();
    let from_api: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["date"].as_str().unwrap_or_default().to_owned(),
                e["headline"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    ensure!(from_csv == from_api, "CSV {from_csv:?}\nAPI {from_api:?}");
    morgan.click("print-view").await?;
    morgan.find("print-entry").await?;
    let print = refs(&morgan, "print-entry").await?;
    ensure!(print == api, "print {print:?}\nAPI   {api:?}");
    Ok(())
}
