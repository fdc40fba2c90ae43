//! Captures the install-prompt screenshots the web manifest names (`public/screenshot-wide.png`
//! at 1280x800 and `public/screenshot-narrow.png` at 390x844) from the real app on the demo
//! caseload, whose people are invented. Run after a visible change to the pages:
//! `cargo xtask dist && cargo build -p server && QUILT_SERVER_BIN=target/debug/quilt-server
//! QUILT_DIST=dist cargo run -p tests --bin quilt-screenshots -- public`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tests::{Driver, Server, Tablet};

/// The PNG's width and height, from its header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let w = u32::from_be_bytes(png.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(png.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

async fn capture(
    tablet: &Tablet,
    out: &std::path::Path,
    name: &str,
    size: (u32, u32),
) -> Result<()> {
    let png = tablet.client.screenshot().await?;
    let got = png_size(&png).context("the screenshot is not a PNG")?;
    if got != size {
        bail!("{name}: captured {got:?}, the manifest says {size:?}");
    }
    std::fs::write(out.join(name), &png)?;
    println!("{name}: {}x{}, {} bytes", size.0, size.1, png.len());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "public".into()));
    let server = Server::start()?;
    let driver = Driver::start()?;
    let profile = tempfile::tempdir()?;
    let tablet = driver.tablet(profile.path()).await?;
    tablet.ready_for_visit(&server, "sam.social").await?;

    tablet.set_viewport(1280, 800).await?;
    tablet.open(&server.url("/child/child-ava")).await?;
    tablet.find("observation-list").await?;
    capture(&tablet, &out, "screenshot-wide.png", (1280, 800)).await?;

    tablet.set_viewport(390, 844).await?;
    tablet.open(&server.url("/child/child-ava/new")).await?;
    tablet
        .type_into(
            "obs-narrative",
            "Ava said she was hungry; the fridge was empty and the kitchen had no food.",
        )
        .await?;
    tablet
        .client
        .execute(
            "window.scrollTo(0, document.querySelector('h1').offsetTop - 8); return true;",
            vec![],
        )
        .await?;
    capture(&tablet, &out, "screenshot-narrow.png", (390, 844)).await?;
    tablet.close().await?;
    Ok(())
}
