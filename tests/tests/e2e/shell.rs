//! The app shell as `cargo xtask dist` builds it: the service worker's precache list names
//! every shell file of the build with the hash of its content, and a release that changes one
//! file makes the tablet download that file alone (the rest are copied from the shell it has).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tests::{Driver, Server, Tablet};

/// The `PRECACHE` list written into a built `sw.js`.
fn precache(sw: &str) -> Result<Vec<(String, String)>> {
    let start =
        sw.find("const PRECACHE = ").context("PRECACHE in sw.js")? + "const PRECACHE = ".len();
    let end = start + sw[start..].find("];").context("the end of PRECACHE")? + 1;
    let list: Vec<Value> = serde_json::from_str(&sw[start..end]).context("PRECACHE is JSON")?;
    list.iter()
        .map(|f| {
            Ok((
                f["url"].as_str().context("url")?.to_owned(),
                f["hash"].as_str().context("hash")?.to_owned(),
            ))
        })
        .collect()
}

fn file_of(url: &str) -> &str {
    if url == "/" {
        "index.html"
    } else {
        url.trim_start_matches('/')
    }
}

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// The shell caches the page sees.
async fn shell_caches(tablet: &Tablet) -> Result<Vec<String>> {
    let v = tablet
        .client
        .execute_async(
            "const done = arguments[0]; caches.keys().then(k => done(k.filter(n => n.startsWith('quilt-shell-'))));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// The text of `url` in the cache `name`, or null.
async fn cached_text(tablet: &Tablet, name: &str, url: &str) -> Result<Option<String>> {
    let v = tablet
        .client
        .execute_async(
            "const [name, url, done] = arguments; caches.open(name).then(c => c.match(url)).then(r => r ? r.text() : null).then(done);",
            vec![name.into(), url.into()],
        )
        .await?;
    Ok(v.as_str().map(str::to_owned))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the built client, the server binary and Chromium: run `cargo xtask test`"]
async fn the_precache_matches_the_build_and_an_update_fetches_only_what_changed() -> Result<()> {
    let built = PathBuf::from(std::env::var_os("QUILT_DIST").context("QUILT_DIST")?);
    let sw = std::fs::read_to_string(built.join("sw.js"))?;
    let list = precache(&sw)?;
    for (url, hash) in &list {
        let bytes = std::fs::read(built.join(file_of(url)))
            .with_context(|| format!("{url} is in the build"))?;
        ensure!(
            &short_hash(&bytes) == hash,
            "{url}: the listed hash is its content's"
        );
    }
    for entry in std::fs::read_dir(&built)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let served_only = name.ends_with(".br")
            || name.ends_with(".gz")
            || name == "sw.js"
            || name.starts_with("screenshot-");
        ensure!(
            served_only || list.iter().any(|(u, _)| u == &format!("/{name}")),
            "{name} is in the build but not precached"
        );
    }

    let dir = tempfile::tempdir()?;
    copy_dir(&built, dir.path())?;
    let server = Server::start_serving(dir.path())?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let tablet = driver.tablet(profile.path()).await?;
    tablet.open(&server.url("/")).await?;
    tablet.wait_for_offline_shell().await?;
    let before = shell_caches(&tablet).await?;
    ensure!(before.len() == 1, "one shell cache: {before:?}");

    // A release that changes the style sheet alone.
    let style = dir.path().join("style.css");
    let mut css = std::fs::read_to_string(&style)?;
    css.push_str("\n/* release 2 */\n");
    std::fs::write(&style, &css)?;
    let (_, old_hash) = list
        .iter()
        .find(|(u, _)| u == "/style.css")
        .context("style.css listed")?;
    let version = before[0].trim_start_matches("quilt-shell-").to_owned();
    let next = format!("{version}0");
    let sw = sw
        .replace(
            &format!("\"url\": \"/style.css\", \"hash\": \"{old_hash}\""),
            &format!(
                "\"url\": \"/style.css\", \"hash\": \"{}\"",
                short_hash(css.as_bytes())
            ),
        )
        .replace(&format!("\"{version}\""), &format!("\"{next}\""));
    std::fs::write(dir.path().join("sw.js"), sw)?;
    // Every other file leaves the server: fetching any of them would fail the update.
    for name in ["style.css.br", "style.css.gz", "sw.js.br", "sw.js.gz"] {
        let _ = std::fs::remove_file(dir.path().join(name));
    }
    for (url, _) in &list {
        if url != "/style.css" {
            for suffix in ["", ".br", ".gz"] {
                let _ = std::fs::remove_file(dir.path().join(format!("{}{suffix}", file_of(url))));
            }
        }
    }
    tablet
        .client
        .execute_async(
            "const done = arguments[0]; navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => done(true), e => done(String(e)));",
            vec![],
        )
        .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let wanted = format!("quilt-shell-{next}");
    loop {
        let now = shell_caches(&tablet).await?;
        if now == [wanted.clone()] {
            break;
        }
        if Instant::now() > deadline {
            bail!("the update did not install from the one changed file: caches {now:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let cached = cached_text(&tablet, &wanted, "/style.css")
        .await?
        .unwrap_or_default();
    ensure!(
        cached.contains("release 2"),
        "the new style sheet is in the new shell"
    );
    for (url, _) in &list {
        ensure!(
            cached_text(&tablet, &wanted, url).await?.is_some(),
            "{url} copied into the new shell"
        );
    }
    // The app opens from the new shell although the server has none of its other files.
    tablet.open(&server.url("/")).await?;
    tablet.close().await?;
    Ok(())
}
