//! Installs what the build and tests need, idempotently: the wasm32 target (rustup, or
//! Debian's rustc-web with std built from source), wasm-bindgen-cli at the exact version in
//! Cargo.lock, and Debian's Chromium and ChromeDriver.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::sh;

/// How the wasm client gets compiled on this machine.
pub enum WasmToolchain {
    /// rustup's compiler with its prebuilt wasm32 std.
    Rustup,
    /// Debian's rustc-web, building std from source (`-Z build-std`).
    DebianBuildStd,
}

fn rustup_has_wasm_std() -> bool {
    let Ok(out) = Command::new("rustc")
        .args([
            "--print",
            "target-libdir",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .output()
    else {
        return false;
    };
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
        })
        .unwrap_or(false)
}

/// Runs `cmd` with a time limit; true if it finished successfully in time.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> bool {
    eprintln!(
        "$ {} (time limit {}s)",
        crate::describe(cmd),
        limit.as_secs()
    );
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(250)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

pub fn apt_install(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    sh(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    sh(&mut install)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn wasm_toolchain() -> Result<WasmToolchain> {
    if rustup_has_wasm_std() {
        return Ok(WasmToolchain::Rustup);
    }
    if run_with_timeout(
        Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
        Duration::from_secs(180),
    ) && rustup_has_wasm_std()
    {
        return Ok(WasmToolchain::Rustup);
    }
    eprintln!(
        "rustup could not provide the wasm32 target; using Debian's rustc-web with build-std"
    );
    apt_install(&[
        "rustc-web",
        "cargo-web",
        "rust-web-src",
        "rust-web-llvm",
        "lld-22",
    ])?;
    Ok(WasmToolchain::DebianBuildStd)
}

/// The wasm-bindgen version the client links against, read from Cargo.lock.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

/// `wasm-bindgen` at exactly the locked version, installed under `.tools/` if missing.
pub fn wasm_bindgen(root: &Path) -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version(root)?;
    let tools = root.join(".tools");
    let bin = tools.join("bin").join("wasm-bindgen");
    let installed = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .ends_with(&version)
        })
        .unwrap_or(false);
    if !installed {
        let mut install = crate::cargo();
        install
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(&tools);
        // `--locked` can fail when the registry no longer serves a pinned dependency.
        let mut locked = crate::cargo();
        locked
            .args([
                "install",
                "--locked",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(&tools);
        if sh(&mut locked).is_err() {
            sh(&mut install)?;
        }
    }
    Ok(bin)
}

/// Debian's Chromium and ChromeDriver, for the browser tests.
pub fn browser() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

/// Runs the fuzz target for `seconds` with cargo-fuzz on the nightly toolchain, installing
/// cargo-fuzz under `.tools/` and the nightly toolchain through rustup if they are missing.
pub fn fuzz(root: &Path, seconds: u32) -> Result<()> {
    let has_nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_nightly
        && !run_with_timeout(
            Command::new("rustup").args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
            ]),
            Duration::from_secs(300),
        )
    {
        bail!("fuzzing needs the nightly toolchain and rustup could not install it");
    }
    let tools = root.join(".tools");
    let bin = tools.join("bin");
    if !bin.join("cargo-fuzz").exists() {
        let mut locked = crate::cargo();
        locked
            .args(["install", "--locked", "cargo-fuzz", "--root"])
            .arg(&tools);
        if sh(&mut locked).is_err() {
            sh(crate::cargo()
                .args(["install", "cargo-fuzz", "--root"])
                .arg(&tools))?;
        }
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let corpus = root
        .join("target")
        .join("fuzz-corpus")
        .join("decode_and_validate");
    std::fs::create_dir_all(&corpus)?;
    sh(Command::new("cargo")
        .args([
            "+nightly",
            "fuzz",
            "run",
            "--fuzz-dir",
            "shared/fuzz",
            "decode_and_validate",
        ])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-rss_limit_mb=4096")
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", root.join("target").join("fuzz")))
}
