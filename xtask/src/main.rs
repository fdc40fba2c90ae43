//! `cargo xtask <command>`: build, run and test Quilt with one command each.
//!
//! - `run`:  build the client and server, start on embedded SQLite with the demo caseload.
//! - `test`: the whole suite, exactly what CI runs (`.ci/run` calls it); the server's
//!   integration tests run twice, on SQLite and on PostgreSQL (a private cluster it starts).
//! - `tidy`: module docs, ARCHITECTURE.md's paths and names, long files, layering (`tidy.rs`).
//! - `dist`: build the client into `dist/` (wasm, wasm-bindgen, app shell, service worker).
//! - `postgres`: start the private PostgreSQL test cluster if needed and print its URL.
//! - `fuzz`, `soak`: fuzz every decoder of untrusted bytes (short, and ten minutes);
//!   `soak --crash`: SIGKILL the server at random moments while 50 tablets sync.
//! - `bench`: the release benchmark table with its baselines (`BENCHMARKS.md`).
//!
//! Every tool the build needs is installed here, idempotently, from the package registries.

mod dist;
mod setup;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root).context("entering the workspace root")?;
    match args.first().map(String::as_str) {
        Some("run") => run(&root),
        Some("test") | Some("ci") => test(&root),
        Some("tidy") => tidy::run(&root),
        Some("dist") => dist::build(&root).map(|_| ()),
        Some("postgres") => {
            println!("{}", setup::ensure_postgres(&root)?);
            Ok(())
        }
        Some("fuzz") => {
            let seconds = args
                .iter()
                .position(|a| a == "--seconds")
                .and_then(|i| args.get(i + 1))
                .and_then(|s| s.parse().ok())
                .unwrap_or(60);
            setup::fuzz(&root, seconds)
        }
        Some("soak") if args.iter().any(|a| a == "--crash") => {
            let trials = args
                .iter()
                .position(|a| a == "--trials")
                .and_then(|i| args.get(i + 1))
                .and_then(|s| s.parse().ok())
                .unwrap_or(50);
            crash_soak(&root, trials)
        }
        Some("soak") => setup::fuzz(&root, 600),
        Some("bench") => bench(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <run | test | tidy | dist | postgres | fuzz [--seconds N] | soak | bench>"
            );
            eprintln!("  run   build everything and start the server with a demo caseload");
            eprintln!(
                "  test  the whole suite: fmt, tidy, clippy, native tests, wasm build, browser tests"
            );
            eprintln!(
                "  tidy  module docs, ARCHITECTURE.md's paths and names, long files, layering"
            );
            eprintln!("  dist  build the client into dist/");
            eprintln!("  postgres  start the PostgreSQL test cluster and print its URL");
            eprintln!("  fuzz  fuzz the sync decoder and change validator (default 60 s)");
            eprintln!("  soak  the long runs: fuzzing for 10 minutes");
            eprintln!("  soak --crash [--trials N]  SIGKILL the server N times (default 50) while 50 tablets sync, on SQLite and PostgreSQL");
            eprintln!(
                "  bench  the release benchmark table (SQLite and PostgreSQL, with baselines)"
            );
            bail!("unknown command")
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command, echoing it, and fails with its exit status.
pub fn sh(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", describe(cmd)))?;
    if !status.success() {
        bail!("{} failed with {status}", describe(cmd));
    }
    Ok(())
}

pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(root: &Path) -> Result<()> {
    dist::build(root)?;
    sh(cargo().args(["build", "-p", "server", "--bin", "quilt-server"]))?;
    let db = root.join("data").join("quilt.db");
    println!();
    println!("Quilt demo — open http://127.0.0.1:8080/ (Ctrl-C stops the server)");
    println!(
        "Database: {} (created with the demo caseload if missing)",
        db.display()
    );
    println!("Demo logins, password for all: quilt-demo");
    println!("  sam.social      practitioner, Children's Social Care");
    println!("  hana.health     practitioner, Health Visiting (NHS)");
    println!("  morgan.manager  team manager");
    println!("  ada.admin       administrator (accounts, teams, agencies, children, imports)");
    println!("  fran.frontdoor  the front door (every concern raised: match, decide)");
    println!("  jo.school       a school's safeguarding lead, raises concerns");
    println!();
    sh(Command::new(root.join("target/debug/quilt-server"))
        .arg("--demo")
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .arg("--static-dir")
        .arg(root.join("dist")))
}

fn test(root: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    setup::browser()?;
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    tidy::run(root)?;
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    dist::clippy_wasm(root)?;
    // The server's integration tests run on both engines: SQLite here, PostgreSQL below.
    let sqlite_started = std::time::Instant::now();
    sh(cargo()
        .args(["test", "--workspace", "--exclude", "tests"])
        .env_remove("QUILT_TEST_DATABASE_URL"))?;
    eprintln!(
        "xtask test: native tests (server on SQLite) passed in {:.0?}",
        sqlite_started.elapsed()
    );
    let postgres = setup::ensure_postgres(root)?;
    let postgres_started = std::time::Instant::now();
    sh(cargo()
        .args(["test", "-p", "server", "--test", "*"])
        .env("QUILT_TEST_DATABASE_URL", &postgres))?;
    eprintln!(
        "xtask test: server integration tests on PostgreSQL passed in {:.0?}",
        postgres_started.elapsed()
    );
    // A short fuzzing smoke run; `cargo xtask soak` runs the long one.
    setup::fuzz(root, 20)?;
    dist::build(root)?;
    sh(cargo().args(["build", "-p", "server", "--bin", "quilt-server"]))?;
    sh(cargo()
        .args([
            "test",
            "-p",
            "tests",
            "--",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env("QUILT_SERVER_BIN", root.join("target/debug/quilt-server"))
        .env("QUILT_DIST", root.join("dist"))
        .env("QUILT_TEST_DATABASE_URL", &postgres))?;
    // The benchmark at smoke sizes: proves it runs; its numbers mean nothing in a debug build.
    let peer = setup::peer(root)?;
    sh(cargo()
        .args([
            "run",
            "-p",
            "tests",
            "--bin",
            "quilt-bench",
            "--",
            "--smoke",
            "--postgres",
        ])
        .env("QUILT_DIST", root.join("dist"))
        .env("QUILT_PEER", &peer)
        .env("QUILT_TEST_DATABASE_URL", &postgres))?;
    eprintln!("xtask test: everything passed in {:.0?}", started.elapsed());
    Ok(())
}

/// `cargo xtask bench`: the release benchmark table, on SQLite and PostgreSQL, with the
/// client's size from a fresh `dist/`.
fn bench(root: &Path) -> Result<()> {
    let dist = dist::build(root)?;
    let (raw, brotli) = dist::wasm_sizes(&dist)?;
    let postgres = setup::ensure_postgres(root)?;
    let peer = setup::peer(root)?;
    sh(cargo()
        .args([
            "run",
            "--release",
            "-p",
            "tests",
            "--bin",
            "quilt-bench",
            "--",
            "--postgres",
        ])
        .env("QUILT_TEST_DATABASE_URL", &postgres)
        .env("QUILT_PEER", &peer)
        .env("QUILT_DIST", &dist)
        .env("QUILT_WASM_RAW", format!("{:.2} MB", raw as f64 / 1e6))
        .env(
            "QUILT_WASM_BROTLI",
            format!("{:.2} MB", brotli as f64 / 1e6),
        ))
}

/// `cargo xtask soak --crash`: the crash soak with many SIGKILLs, on SQLite and PostgreSQL.
fn crash_soak(root: &Path, trials: u32) -> Result<()> {
    let postgres = setup::ensure_postgres(root)?;
    sh(cargo().args(["build", "-p", "server", "--bin", "quilt-server"]))?;
    sh(cargo()
        .args([
            "test",
            "-p",
            "tests",
            "--test",
            "e2e",
            "--",
            "crash::",
            "--include-ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("QUILT_SERVER_BIN", root.join("target/debug/quilt-server"))
        .env("QUILT_DIST", root.join("dist"))
        .env("QUILT_TEST_DATABASE_URL", &postgres)
        .env("QUILT_CRASH_TRIALS", trials.to_string()))
}
