//! Installs what the build and tests need, idempotently: the wasm32 target (rustup, or
//! Debian's rustc-web with std built from source), wasm-bindgen-cli at the exact version in
//! Cargo.lock, Debian's Chromium and ChromeDriver, and a private PostgreSQL cluster for the
//! server's tests.

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

/// Where `cargo install` builds the project's tools: inside `target/`, not the system's temporary
/// directory (which may be small), and kept so a second install reuses the build.
fn tools_build(root: &Path) -> PathBuf {
    root.join("target").join("tools")
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
            .arg(&tools)
            .arg("--target-dir")
            .arg(tools_build(root));
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
            .arg(&tools)
            .arg("--target-dir")
            .arg(tools_build(root));
        if sh(&mut locked).is_err() {
            sh(&mut install)?;
        }
    }
    Ok(bin)
}

/// The benchmark's JavaScript peer (`tests/peer`): Node.js and npm from Debian when the machine
/// has none, then the packages its lockfile pins (`npm ci`), unless they were installed from
/// that same lockfile already. Returns the folder.
pub fn peer(root: &Path) -> Result<PathBuf> {
    let dir = root.join("tests").join("peer");
    let has_node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_node {
        apt_install(&["nodejs", "npm"])?;
    }
    let modified = |p: PathBuf| p.metadata().and_then(|m| m.modified()).ok();
    let installed = modified(dir.join("node_modules").join(".package-lock.json"));
    let locked = modified(dir.join("package-lock.json"));
    if installed.is_none() || installed < locked {
        sh(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir))?;
    }
    Ok(dir)
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
            .arg(&tools)
            .arg("--target-dir")
            .arg(tools_build(root));
        if sh(&mut locked).is_err() {
            sh(crate::cargo()
                .args(["install", "cargo-fuzz", "--root"])
                .arg(&tools)
                .arg("--target-dir")
                .arg(tools_build(root)))?;
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

/// The port of the private test cluster, so a person can reach it with `psql`; the next free
/// one if another cluster (say, another checkout's) already has it.
const TEST_PG_PORT: u16 = 55432;

/// A PostgreSQL server for the server's tests, and the URL of its `quilt_test` database (whose
/// role may create databases: every test server makes its own).
///
/// `QUILT_TEST_POSTGRES_URL` names an existing server to use. Otherwise Debian's
/// `postgresql` package is installed if missing, and a private cluster under
/// `target/pg` is created once (`initdb`; trust authentication, reachable only on
/// 127.0.0.1:55432 and a socket in `target/pg/run`; `fsync` stays on) and started if it is
/// not running; `pg_ctl -D target/pg/data stop` stops it. Run as root, the cluster belongs to the `postgres` system user, because
/// PostgreSQL refuses to run as root. Quick when everything is already there.
pub fn ensure_postgres(root: &Path) -> Result<String> {
    if let Ok(url) = std::env::var("QUILT_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            return Ok(url);
        }
    }
    let bin = match postgres_bin_dir() {
        Some(bin) => bin,
        None => {
            apt_install(&["postgresql"])?;
            postgres_bin_dir().context(
                "postgresql is installed but no /usr/lib/postgresql/*/bin/postgres was found",
            )?
        }
    };
    let as_root = is_root();
    let dir = cluster_dir(root, as_root)?;
    let data = dir.join("data");
    let run = dir.join("run");
    std::fs::create_dir_all(&run).with_context(|| format!("creating {}", run.display()))?;
    if as_root {
        sh(Command::new("chown")
            .arg("postgres:postgres")
            .arg(&dir)
            .arg(&run))?;
    }
    // Every command on the cluster runs as its owner.
    let pg = |tool: &str| {
        let mut c = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
            c
        } else {
            Command::new(bin.join(tool))
        };
        c.current_dir(&dir);
        c
    };
    if !data.join("PG_VERSION").exists() {
        // Progress goes to stderr: `cargo xtask postgres` prints only the URL on stdout.
        sh(pg("initdb")
            .stdout(std::io::stderr())
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-E", "UTF8", "--locale=C", "-A", "trust"]))?;
        let conf = data.join("postgresql.conf");
        let mut settings = std::fs::read_to_string(&conf)
            .with_context(|| format!("reading {}", conf.display()))?;
        settings.push_str(&format!(
            "\n# Quilt's test cluster (xtask/src/setup.rs). fsync stays on: tests see real commits.\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nmax_connections = 200\n",
            run.display()
        ));
        std::fs::write(&conf, settings).with_context(|| format!("writing {}", conf.display()))?;
    }
    let running = pg("pg_ctl")
        .arg("status")
        .arg("-D")
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !running {
        let port = (TEST_PG_PORT..TEST_PG_PORT + 100)
            .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
            .context("no free port for PostgreSQL from 55432 on")?;
        sh(pg("pg_ctl")
            .stdout(std::io::stderr())
            .args(["start", "-w", "-t", "60", "-o", &format!("-p {port}"), "-D"])
            .arg(&data)
            .arg("-l")
            .arg(dir.join("server.log")))
        .with_context(|| {
            format!(
                "starting PostgreSQL; see {}",
                dir.join("server.log").display()
            )
        })?;
    }
    // The running server's port is the fourth line of its pid file.
    let pid_file = data.join("postmaster.pid");
    let port: u16 = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|pid| pid.lines().nth(3)?.trim().parse().ok())
        .with_context(|| format!("reading the port from {}", pid_file.display()))?;
    let psql = |sql: &str| -> Result<String> {
        let mut c = pg("psql");
        c.arg("-h")
            .arg(&run)
            .args(["-p", &port.to_string(), "-U", "postgres", "-d", "postgres"])
            .args(["-v", "ON_ERROR_STOP=1", "-X", "-q", "-t", "-A", "-c", sql]);
        let out = c
            .output()
            .with_context(|| format!("starting {}", crate::describe(&c)))?;
        if !out.status.success() {
            bail!("{sql}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    if psql("SELECT 1 FROM pg_roles WHERE rolname = 'quilt_test'")?.is_empty() {
        psql("CREATE ROLE quilt_test LOGIN CREATEDB")?;
    }
    if psql("SELECT 1 FROM pg_database WHERE datname = 'quilt_test'")?.is_empty() {
        psql("CREATE DATABASE quilt_test OWNER quilt_test")?;
    }
    Ok(format!("postgres://quilt_test@127.0.0.1:{port}/quilt_test"))
}

/// `bin/` of the newest PostgreSQL Debian installed.
/// Where the test cluster lives: `target/pg` in the workspace, unless (as root) the `postgres`
/// user cannot reach it, as when the checkout sits under a private directory; then a folder of
/// its own under `/var/tmp`, one per checkout.
fn cluster_dir(root: &Path, as_root: bool) -> Result<PathBuf> {
    let preferred = root.join("target").join("pg");
    if !as_root {
        return Ok(preferred);
    }
    let target = root.join("target");
    std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    let reachable = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(&target)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if reachable {
        return Ok(preferred);
    }
    let tag: u64 = root
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let dir = PathBuf::from(format!("/var/tmp/quilt-test-pg-{tag:016x}"));
    eprintln!(
        "note: the postgres user cannot reach {}; the test cluster lives in {}",
        target.display(),
        dir.display()
    );
    Ok(dir)
}

fn postgres_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}
