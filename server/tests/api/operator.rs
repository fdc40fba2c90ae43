//! `quilt-server admin …` through the real binary, from an empty database with no demo data:
//! the first administrator (password on standard input, weak ones refused), then a
//! partnership built through the API, an import with a bad row (nothing stored, the row
//! named) and then a good one, and a leaver disabled from the command line.

use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::{json, Value};

use crate::ops::{quilt_server, start_binary_with};

/// Runs `quilt-server --database-url <db> admin <args>` with `stdin` on standard input.
fn admin(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = quilt_server()
        .arg("--database-url")
        .arg(db)
        .arg("admin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run quilt-server admin");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn call(
    client: &reqwest::Client,
    method: &str,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = match method {
        "GET" => client.get(url),
        _ => client.post(url).json(&body),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_operator_starts_a_partnership_from_an_empty_database() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!(
        "sqlite://{}",
        dir.path().join("new").join("quilt.db").display()
    );
    let create = |password: &str| {
        admin(
            &db,
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
            &format!("{password}\n"),
        )
    };
    let weak = create("quilt123");
    assert!(!weak.status.success(), "a weak password is refused");
    assert!(text(&weak).contains("12 characters"), "{}", text(&weak));
    let done = create("plum garden ladder 9");
    assert!(done.status.success(), "{}", text(&done));
    let no_password = admin(&db, &["reset-password", "root.admin"], "");
    assert!(
        !no_password.status.success(),
        "no password on standard input"
    );
    let list = admin(&db, &["list-users"], "");
    assert!(
        text(&list).contains("root.admin") && text(&list).contains("active"),
        "{}",
        text(&list)
    );

    // The server on that database, without --demo: the administrator builds the partnership.
    let log = dir.path().join("server.log");
    let (_server, base) = start_binary_with(&dir.path().join("new"), &log, &[]).await;
    let client = reqwest::Client::new();
    let (status, login) = call(
        &client,
        "POST",
        format!("{base}/api/login"),
        None,
        json!({"username": "root.admin", "password": "plum garden ladder 9"}),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(
        login["must_change_password"], false,
        "an operator typed their own"
    );
    let token = login["token"].as_str().expect("token").to_owned();
    let (status, team) = call(
        &client,
        "POST",
        format!("{base}/api/admin/teams"),
        Some(&token),
        json!({"name": "West team"}),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    let team = team["id"].as_str().expect("team").to_owned();
    for (username, agency, role) in [
        ("wes.social", "Children's Social Care", "practitioner"),
        ("hal.health", "Health Visiting (NHS)", "practitioner"),
        ("max.manager", "Children's Social Care", "manager"),
    ] {
        let (status, body) = call(
            &client,
            "POST",
            format!("{base}/api/admin/users"),
            Some(&token),
            json!({"username": username, "display_name": username, "agency": agency, "role": role,
                   "team_id": team, "password": "first pass phrase 77"}),
        )
        .await;
        assert_eq!(status, 201, "{username}: {body}");
    }
    let (status, child) = call(&client, "POST", format!("{base}/api/children"), Some(&token),
        json!({"display_name": "Kai West", "date_of_birth": "2018-06-01", "nhs_number": "9434765919", "team_id": team})).await;
    assert_eq!(status, 201, "{child}");

    // An import with a bad row: nothing stored, the row named. Then the good one.
    let children = dir.path().join("children.csv");
    let allocations = dir.path().join("allocations.csv");
    std::fs::write(
        &children,
        "child_id,name,date_of_birth,nhs_number,nhs_unknown_reason,team\n\
        SOR-1,Lily West,2017-02-03,4010232137,,West team\n\
        SOR-2,Ned West,2017-02-31,,not known,West team\n",
    )
    .expect("write");
    std::fs::write(
        &allocations,
        "child_id,username,role\nSOR-1,wes.social,lead social worker\n",
    )
    .expect("write");
    let (c, a) = (
        children.display().to_string(),
        allocations.display().to_string(),
    );
    let bad = admin(&db, &["import", "--children", &c, "--allocations", &a], "");
    assert!(!bad.status.success());
    assert!(text(&bad).contains("children.csv line 3"), "{}", text(&bad));
    let search = |nhs: &'static str| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let (_, body) = call(
                &client,
                "POST",
                format!("{base}/api/children/search"),
                Some(&token),
                json!({"nhs": nhs}),
            )
            .await;
            body["matches"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(search("4010232137").await, 0, "nothing imported");
    std::fs::write(
        &children,
        "child_id,name,date_of_birth,nhs_number,nhs_unknown_reason,team\n\
        SOR-1,Lily West,2017-02-03,4010232137,,West team\n",
    )
    .expect("write");
    let dry = admin(
        &db,
        &["import", "--children", &c, "--allocations", &a, "--dry-run"],
        "",
    );
    assert!(
        dry.status.success() && text(&dry).contains("dry run"),
        "{}",
        text(&dry)
    );
    assert_eq!(search("4010232137").await, 0);
    let good = admin(&db, &["import", "--children", &c, "--allocations", &a], "");
    assert!(good.status.success(), "{}", text(&good));
    assert!(
        text(&good).contains("imported 1 children and 1 allocations"),
        "{}",
        text(&good)
    );
    assert_eq!(search("4010232137").await, 1);

    // A leaver, from the command line: the right password is told the account is disabled.
    let login_wes = |password: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            call(
                &client,
                "POST",
                format!("{base}/api/login"),
                None,
                json!({"username": "wes.social", "password": password}),
            )
            .await
        }
    };
    assert_eq!(login_wes("first pass phrase 77").await.0, 200);
    let off = admin(&db, &["disable-user", "wes.social"], "");
    assert!(off.status.success(), "{}", text(&off));
    let (status, body) = login_wes("first pass phrase 77").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("account_disabled"))
    );
    assert!(admin(&db, &["enable-user", "wes.social"], "")
        .status
        .success());
    assert!(admin(
        &db,
        &["reset-password", "wes.social"],
        "new pass phrase 88\n"
    )
    .status
    .success());
    let (status, body) = login_wes("new pass phrase 88").await;
    assert_eq!(
        (status, body["must_change_password"].as_bool()),
        (200, Some(true))
    );
    assert!(
        admin(&db, &["disable-user", "nobody.here"], "")
            .status
            .code()
            != Some(0)
    );
}
