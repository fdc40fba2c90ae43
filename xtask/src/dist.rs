//! Builds the client into `dist/`: the wasm app through wasm-bindgen, content-hashed file
//! names, `public/` copied over, and a service worker whose precache list names the exact
//! shell files of this build with each one's hash (so an update fetches only what changed);
//! every text and wasm file precompressed beside it (`.br`, `.gz`) for the server to send as
//! asked. `dist/icons.rs` draws the raster install icons.

mod icons;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::setup::{self, WasmToolchain};
use crate::{cargo, sh};

const TARGET: &str = "wasm32-unknown-unknown";
/// Cargo profile for the client (see the root Cargo.toml).
const PROFILE: &str = "wasm-release";

/// A cargo command for the wasm client, on whichever toolchain this machine has.
fn wasm_cargo(root: &Path, toolchain: &WasmToolchain, subcommand: &str) -> Command {
    let target_dir = root.join("target").join("wasm");
    match toolchain {
        WasmToolchain::Rustup => {
            let mut c = cargo();
            c.arg(subcommand).env("CARGO_TARGET_DIR", target_dir);
            c
        }
        WasmToolchain::DebianBuildStd => {
            // Only this command sees these variables; native builds keep rustup's compiler.
            let mut c = Command::new("/usr/bin/cargo");
            let path = std::env::var("PATH").unwrap_or_default();
            c.arg(subcommand)
                .env("PATH", format!("/usr/bin:{path}"))
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTDOC", "/usr/bin/rustdoc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env("CARGO_TARGET_DIR", root.join("target").join("wasm-debian"));
            c
        }
    }
}

fn wasm_target_dir(root: &Path, toolchain: &WasmToolchain) -> PathBuf {
    match toolchain {
        WasmToolchain::Rustup => root.join("target").join("wasm"),
        WasmToolchain::DebianBuildStd => root.join("target").join("wasm-debian"),
    }
}

/// Clippy on the client as it is really built: for wasm32.
pub fn clippy_wasm(root: &Path) -> Result<()> {
    let toolchain = setup::wasm_toolchain()?;
    if let WasmToolchain::DebianBuildStd = toolchain {
        eprintln!("note: clippy for wasm32 needs rustup's toolchain; the native clippy run covers app's code");
        return Ok(());
    }
    sh(wasm_cargo(root, &toolchain, "clippy")
        .args(["-p", "app", "--target", TARGET, "--", "-D", "warnings"]))
}

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// Builds the client and assembles `dist/`; returns the dist directory.
pub fn build(root: &Path) -> Result<PathBuf> {
    let toolchain = setup::wasm_toolchain()?;
    sh(wasm_cargo(root, &toolchain, "build").args([
        "-p",
        "app",
        "--profile",
        PROFILE,
        "--target",
        TARGET,
    ]))?;
    let wasm = wasm_target_dir(root, &toolchain)
        .join(TARGET)
        .join(PROFILE)
        .join("app.wasm");
    let bindgen = setup::wasm_bindgen(root)?;
    let out = root.join("target").join("bindgen");
    if out.exists() {
        std::fs::remove_dir_all(&out).context("clearing target/bindgen")?;
    }
    sh(Command::new(&bindgen)
        .arg(&wasm)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--remove-name-section",
            "--out-dir",
        ])
        .arg(&out))?;

    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).context("clearing dist/")?;
    }
    std::fs::create_dir_all(&dist)?;

    // Content-hashed names: a new build is a new URL, so no cache ever serves a stale app.
    let js = std::fs::read(out.join("app.js")).context("reading wasm-bindgen's app.js")?;
    let wasm_bytes = std::fs::read(out.join("app_bg.wasm")).context("reading app_bg.wasm")?;
    let js_name = format!("app-{}.js", short_hash(&js));
    let wasm_name = format!("app-{}.wasm", short_hash(&wasm_bytes));
    std::fs::write(dist.join(&js_name), &js)?;
    std::fs::write(dist.join(&wasm_name), &wasm_bytes)?;

    // A tiny external boot script, so the Content-Security-Policy needs no inline script.
    let boot =
        format!("import init from '/{js_name}';\ninit({{ module_or_path: '/{wasm_name}' }});\n");
    let boot_name = format!("boot-{}.js", short_hash(boot.as_bytes()));
    std::fs::write(dist.join(&boot_name), &boot)?;

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(boot_name.clone(), boot.into_bytes());
    files.insert(js_name.clone(), js);
    files.insert(wasm_name.clone(), wasm_bytes);
    let public = root.join("public");
    let mut sw_template = None;
    for entry in std::fs::read_dir(&public).context("reading public/")? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type()?.is_file() {
            bail!("public/{name}: subdirectories are not supported yet");
        }
        let mut bytes = std::fs::read(entry.path())?;
        match name.as_str() {
            "sw.js" => {
                sw_template = Some(String::from_utf8(bytes).context("public/sw.js is not UTF-8")?);
                continue;
            }
            "index.html" => {
                let html = String::from_utf8(bytes).context("public/index.html is not UTF-8")?;
                if !html.contains("__BOOT_JS__") {
                    bail!("public/index.html must load __BOOT_JS__");
                }
                bytes = html
                    .replace("__BOOT_JS__", &format!("/{boot_name}"))
                    .into_bytes();
            }
            _ => {}
        }
        std::fs::write(dist.join(&name), &bytes)?;
        files.insert(name, bytes);
    }

    // Raster install icons, drawn from the design of `public/icon.svg`.
    for size in icons::SIZES {
        let name = format!("icon-{size}.png");
        let bytes = icons::png(size)?;
        std::fs::write(dist.join(&name), &bytes)?;
        files.insert(name, bytes);
    }

    let sw = sw_template.context("public/sw.js is missing")?;
    if !sw.contains("\"__QUILT_VERSION__\"") || !sw.contains("__QUILT_PRECACHE__") {
        bail!("public/sw.js must contain \"__QUILT_VERSION__\" and __QUILT_PRECACHE__");
    }
    // The version hashes every shell file, so any change installs a new shell; each file's
    // own hash lets the new service worker fetch only the files that changed.
    let mut all = Sha256::new();
    let index_hash = short_hash(
        files
            .get("index.html")
            .context("public/index.html is missing")?,
    );
    let mut precache = vec![("/".to_owned(), index_hash)];
    for (name, bytes) in &files {
        all.update(name.as_bytes());
        all.update(bytes);
        // The install prompt's screenshots are fetched by the browser when it offers to
        // install, never needed offline.
        if !name.starts_with("screenshot-") {
            precache.push((format!("/{name}"), short_hash(bytes)));
        }
    }
    // The worker's own code too: a change to it is a new shell.
    all.update(sw.as_bytes());
    let version = hex::encode(&all.finalize()[..8]);
    let list = format!(
        "[\n{}\n]",
        precache
            .iter()
            .map(|(url, hash)| format!("  {{\"url\": \"{url}\", \"hash\": \"{hash}\"}}"))
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let sw = sw
        .replace("\"__QUILT_VERSION__\"", &format!("\"{version}\""))
        .replace("__QUILT_PRECACHE__", &list);
    std::fs::write(dist.join("sw.js"), &sw)?;
    files.insert("sw.js".to_owned(), sw.into_bytes());

    // Precompressed beside each file, so the server never compresses per request.
    let mut wasm_brotli = 0;
    for (name, bytes) in &files {
        if !compressible(name) {
            continue;
        }
        let br = brotli(bytes)?;
        if name == &wasm_name {
            wasm_brotli = br.len();
        }
        std::fs::write(dist.join(format!("{name}.br")), br)?;
        std::fs::write(dist.join(format!("{name}.gz")), gzip(bytes)?)?;
    }

    let wasm_bytes = std::fs::read(dist.join(&wasm_name))?;
    eprintln!(
        "dist/: shell version {version}, {} files, wasm {:.2} MB raw, {:.2} MB brotli",
        precache.len() - 1,
        wasm_bytes.len() as f64 / 1e6,
        wasm_brotli as f64 / 1e6
    );
    Ok(dist)
}

/// Text and wasm compress well; PNG images are compressed already.
fn compressible(name: &str) -> bool {
    [
        ".js",
        ".wasm",
        ".css",
        ".html",
        ".webmanifest",
        ".svg",
        ".json",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// Brotli at the quality a web server would use for static files.
fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).context("brotli")?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// Size after brotli at the quality a web server would use for static files.
pub fn brotli_size(bytes: &[u8]) -> Result<usize> {
    Ok(brotli(bytes)?.len())
}

/// The packaged client's wasm size in `dist`: (raw bytes, brotli bytes).
pub fn wasm_sizes(dist: &Path) -> Result<(usize, usize)> {
    for entry in std::fs::read_dir(dist).context("reading dist/")? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let bytes = std::fs::read(&path)?;
            return Ok((bytes.len(), brotli_size(&bytes)?));
        }
    }
    anyhow::bail!("no .wasm in {}", dist.display())
}
