//! `cargo xtask tidy`: checks that keep the tree and its documentation honest, as plain text
//! searches (the idea of rust-analyzer's `xtask/src/tidy.rs`). `cargo xtask test` runs it
//! right after `cargo fmt --check`, and so does this crate's own test.
//!
//! - Every Rust file opens with a `//!` line saying what it is for.
//! - Every path ARCHITECTURE.md names exists: backticked spans that look like paths, and link
//!   targets. A path whose first part is an entry of the repository root is read from the root;
//!   any other (`store/sqlite.rs`, `people.rs`) from the directory of the last such path
//!   earlier in the same list item, so "`server/src/store.rs` … `store/sqlite.rs`" means
//!   `server/src/store/sqlite.rs`. In an item about a directory (`app/src/pages/` …), a bare
//!   lowercase name is a module of it (`login` is `app/src/pages/login.rs`). Paths under
//!   `target/` are build output and not checked.
//! - Every item ARCHITECTURE.md names as code is defined somewhere in the workspace: a path
//!   with `::` (`Store::commit_merge`, every segment), a call (`open_store(url)`), a
//!   CamelCase name (`DocCache`), a snake_case name with an underscore (`project_unversioned`).
//!   Defined means declared as a `fn`, type, `const`, `static`, module, field or enum variant,
//!   named first by a macro call such as `id_type!(ChildId, …)`, a crate, or a table in
//!   `server/migrations/`; a path into a dependency (`anyhow::Error`) needs only the crate.
//!   Single lowercase words and SQL keywords are prose to this check.
//! - No Rust file is over 600 lines unless a comment in it says why, after the long-file
//!   marker (see `LONG_FILE`); a file back under the limit must drop its marker.
//! - No two top-level modules of a crate import each other, directly or round a cycle
//!   (`tidy/cycles.rs`).
//! - The layering rules that hold today (`tidy/layers.rs`, which also lists the next ones,
//!   issue 11's, that do not hold yet), as searches over code lines.

mod architecture;
mod cycles;
mod layers;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Where the workspace's Rust sources live.
const SOURCE_DIRS: &[&str] = &[
    "app/src",
    "server/src",
    "shared/src",
    "tests/src",
    "xtask/src",
    "server/tests",
    "shared/tests",
    "tests/tests",
    "shared/fuzz/fuzz_targets",
];

const MAX_LINES: usize = 600;

/// The words a comment in a long file starts its reason with.
const LONG_FILE: &str = "tidy: long file";

/// `cargo xtask tidy`.
pub fn run(root: &Path) -> Result<()> {
    let offences = check(root)?;
    if offences.is_empty() {
        eprintln!("tidy: ok");
        return Ok(());
    }
    for offence in &offences {
        eprintln!("tidy: {offence}");
    }
    bail!("tidy: {} offence(s), listed above", offences.len())
}

/// Every offence in the tree at `root`, one sentence each.
pub fn check(root: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for dir in SOURCE_DIRS {
        collect(root, &root.join(dir), "rs", &mut files)?;
    }
    let mut out = Vec::new();
    for file in &files {
        module_doc(file, &mut out);
        long_file(file, &mut out);
        layers::check(file, &mut out);
    }
    cycles::check(&files, &mut out);
    let text =
        fs::read_to_string(root.join("ARCHITECTURE.md")).context("reading ARCHITECTURE.md")?;
    architecture::check(root, &text, &files, &mut out)?;
    Ok(out)
}

/// A file of the tree: its path from the root (with `/`) and its text.
struct Source {
    path: String,
    text: String,
}

fn collect(root: &Path, dir: &Path, ext: &str, out: &mut Vec<Source>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, ext, out)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
            let text =
                fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            out.push(Source {
                path: relative(root, &path),
                text,
            });
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with("//")
}

fn module_doc(file: &Source, out: &mut Vec<String>) {
    if !file.text.lines().next().unwrap_or("").starts_with("//!") {
        out.push(format!(
            "{}: does not open with a `//!` line saying what the module is for",
            file.path
        ));
    }
}

fn long_file(file: &Source, out: &mut Vec<String>) {
    let lines = file.text.lines().count();
    let reasons: Vec<&str> = file
        .text
        .lines()
        .filter(|l| is_comment(l))
        .filter_map(|l| l.split_once(LONG_FILE).map(|(_, reason)| reason))
        .collect();
    let has_reason = reasons.iter().any(|r| {
        r.trim_matches(|c: char| c.is_whitespace() || "—-–:,.".contains(c))
            .len()
            >= 10
    });
    if lines > MAX_LINES && !has_reason {
        out.push(format!(
            "{}: {lines} lines, over {MAX_LINES}: split it, or say why in a comment `{LONG_FILE} — <reason>`",
            file.path
        ));
    } else if lines <= MAX_LINES && !reasons.is_empty() {
        out.push(format!(
            "{}: {lines} lines, no longer over {MAX_LINES}: drop its `{LONG_FILE}` comment",
            file.path
        ));
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real tree is tidy: this is what `cargo xtask tidy` checks.
    #[test]
    fn the_tree_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask sits in the workspace");
        let offences = check(root).expect("reading the tree");
        assert!(
            offences.is_empty(),
            "cargo xtask tidy found:\n{}",
            offences.join("\n")
        );
    }

    /// A small tree with one offence of each kind, and what tidy says about it.
    #[test]
    fn finds_each_kind_of_offence() {
        let root = std::env::temp_dir().join(format!("quilt-tidy-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let long = format!("//! Long.\n{}", "fn f() {}\n".repeat(MAX_LINES));
        let files = [
            ("Cargo.toml", "[workspace.dependencies]\nanyhow = \"1\"\n"),
            (
                "shared/src/lib.rs",
                "//! Shared.\npub fn real_fn() {}\npub struct RealType;\n",
            ),
            ("shared/src/clock.rs", "use std::time::SystemTime;\n"),
            ("server/src/long.rs", long.as_str()),
            (
                "server/src/short.rs",
                "//! Short.\n// tidy: long file — it was, before the split\n",
            ),
            (
                "server/src/store.rs",
                "//! Store.\nuse crate::state::AppState;\n",
            ),
            (
                "ARCHITECTURE.md",
                "# Map\n\n- `shared/src/lib.rs` — `real_fn`, `RealType`, `anyhow::Error`, \
                 `lib.rs`; `missing_fn`, `Ghost::real_fn`, `gone.rs`, `shared/src/nope.rs`, \
                 [a link](NOPE.md).\n- `nowhere.rs`\n\n```\nfenced `ignored.rs`\n```\n",
            ),
        ];
        for (path, text) in files {
            let path = root.join(path);
            fs::create_dir_all(path.parent().expect("a parent")).expect("creating the tree");
            fs::write(&path, text).expect("writing the tree");
        }
        let offences = check(&root).expect("checking the tree");
        let _ = fs::remove_dir_all(&root);
        let expected = [
            "server/src/long.rs: 601 lines, over 600",
            "server/src/short.rs: 2 lines, no longer over 600",
            "server/src/store.rs:2: names `crate::state`",
            "shared/src/clock.rs: does not open with a `//!` line",
            "shared/src/clock.rs:1: names `std::time`",
            "shared/src/clock.rs:1: names `SystemTime`",
            "links to `NOPE.md`, which does not exist",
            "`missing_fn` names `missing_fn`, which nothing in the workspace defines",
            "`Ghost::real_fn` names `Ghost`",
            "`gone.rs` names shared/src/gone.rs, which does not exist",
            "`shared/src/nope.rs` names shared/src/nope.rs, which does not exist",
            "`nowhere.rs` is not a path from the repository root",
        ];
        for e in expected {
            assert!(
                offences.iter().any(|o| o.contains(e)),
                "expected {e:?} in:\n{}",
                offences.join("\n")
            );
        }
        assert_eq!(offences.len(), expected.len(), "{}", offences.join("\n"));
    }
}
