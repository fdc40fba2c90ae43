//! A full disk: the real server on a SQLite file in a tiny filesystem (a 4 MB tmpfs mounted
//! for the test; CI runs as root). When the disk fills, a sync gets an error and nothing is
//! acknowledged; when space returns, the same work syncs and nothing was lost.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use tests::sim::{Round, SimTablet};
use tests::{Server, PASSWORD};

/// A tmpfs of `size`, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .context("running mount")?;
        if !status.success() {
            bail!("mounting a small tmpfs needs root (CI and `cargo xtask test` run as root)");
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the filesystem at `dir` completely; returns the filler file.
fn fill(dir: &Path) -> Result<PathBuf> {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path)?;
    let block = vec![0u8; 16 * 1024];
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => return Err(e.into()),
        }
    }
    // Then byte by byte, so not even a page is left.
    while f.write(&[0]).map(|n| n > 0).unwrap_or(false) {}
    let _ = f.flush();
    Ok(path)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the server binary and root for a tmpfs: run `cargo xtask test`"]
async fn a_full_disk_acknowledges_nothing_and_recovers() -> Result<()> {
    let disk = SmallDisk::mount("8m")?;
    let url = format!("sqlite://{}", disk.path().join("quilt.db").display());
    let server = Server::start_on(Some(url), &[])?;
    let mut tablet = SimTablet::sign_in(&server.url(""), "sam.social", PASSWORD, 1).await?;
    if let Err(e) = tablet.sync_until_settled(Duration::from_secs(60)).await {
        bail!("{e}\nserver log:\n{}", server.log());
    }
    let child = tablet.children()[0].clone();

    let filler = fill(disk.path())?;
    let id = tablet.record(&child, "Recorded while the server's disk was full.")?;
    let mut refused = 0;
    for _ in 0..3 {
        ensure!(
            tablet.sync_once().await? == Round::Unreachable,
            "a sync to a full disk must fail, not succeed"
        );
        refused += 1;
    }
    ensure!(
        tablet.unacknowledged.contains(&(child.clone(), id.clone())),
        "nothing may be acknowledged while the disk is full"
    );
    ensure!(
        reqwest::get(server.url("/health"))
            .await?
            .status()
            .is_success(),
        "the server must stay up while the disk is full"
    );

    std::fs::remove_file(filler)?;
    if let Err(e) = tablet.sync_until_settled(Duration::from_secs(60)).await {
        bail!("{e}\nserver log:\n{}", server.log());
    }
    ensure!(
        tablet.acknowledged.contains(&(child.clone(), id.clone())),
        "the work must be acknowledged once space returns"
    );
    let ids = server.chronology_ids(child.as_str()).await?;
    ensure!(ids.contains(&id), "the server must hold the observation");
    eprintln!("full disk: {refused} syncs refused, then stored after space returned");
    Ok(())
}
